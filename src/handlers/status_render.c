/* /status in JSON and in the Prometheus text format: see status_render.h
 * and docs/config.md ("status"). */
#include "handlers/status_render.h"

#include <inttypes.h>
#include <string.h>

#include "http/escape.h"

static const char *const class_names[STATS_CLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

/* Connections that are open but neither reading, writing nor idle: the
 * ones lingering after their last response. The parts are read from
 * other workers' slots while they change: never below 0. */
static uint32_t lingering(const struct worker_stats *w)
{
    uint64_t parts = (uint64_t)w->reading + w->writing + w->idle;
    return w->active > parts ? (uint32_t)(w->active - parts) : 0;
}

/* ---- JSON ---- */

/* "upstreams":{"app":[{"server":"127.0.0.1:9001","up":true,"requests":10,
 * "fails":0,"active":1}]} */
static void json_upstreams(struct strbuf *b, const struct status_figures *f)
{
    strbuf_puts(b, ",\"upstreams\":{");
    const char *group = NULL;
    for (size_t i = 0; i < f->n_servers; i++) {
        const struct status_server *s = &f->servers[i];
        bool first = !group || strcmp(group, s->upstream) != 0;
        if (first) {
            strbuf_puts(b, group ? "],\"" : "\"");
            escape_json(b, s->upstream, strlen(s->upstream));
            strbuf_puts(b, "\":[");
            group = s->upstream;
        }
        strbuf_puts(b, first ? "{\"server\":\"" : ",{\"server\":\"");
        escape_json(b, s->server, strlen(s->server));
        strbuf_printf(b,
                      "\",\"up\":%s,\"requests\":%" PRIu64 ",\"fails\":%" PRIu64
                      ",\"active\":%" PRIu32 "}",
                      s->up ? "true" : "false", s->requests, s->fails, s->active);
    }
    strbuf_puts(b, group ? "]}" : "}");
}

void status_render_json(struct strbuf *b, const struct status_figures *f)
{
    const struct worker_stats *w = &f->w;
    strbuf_puts(b, "{\"version\":\"");
    escape_json(b, f->version, strlen(f->version));
    strbuf_printf(b,
                  "\",\"uptime_s\":%lld,\"workers\":%u,"
                  "\"connections\":{\"active\":%" PRIu32 ",\"reading\":%" PRIu32
                  ",\"writing\":%" PRIu32 ",\"idle\":%" PRIu32 ",\"tunnels\":%" PRIu32 "},"
                  "\"requests\":{\"total\":%" PRIu64 "},\"responses\":{",
                  f->uptime_s, f->workers, w->active, w->reading, w->writing, w->idle,
                  w->tunnels, w->requests_total);
    for (int k = 0; k < STATS_CLASSES; k++)
        strbuf_printf(b, "%s\"%s\":%" PRIu64, k ? "," : "", class_names[k], w->responses[k]);
    strbuf_printf(b,
                  "},\"bytes\":{\"received\":%" PRIu64 ",\"sent\":%" PRIu64 "},"
                  "\"cgi\":{\"started\":%" PRIu64 ",\"running\":%" PRIu32
                  ",\"timeouts\":%" PRIu64 "},\"uploads\":{\"bytes\":%" PRIu64 "}",
                  w->bytes_received, w->bytes_sent, w->cgi_started, w->cgi_running,
                  w->cgi_timeouts, w->upload_bytes);
    if (f->tls)
        strbuf_printf(b, ",\"tls\":{\"handshakes\":%" PRIu64 ",\"failures\":%" PRIu64 "}",
                      w->tls_handshakes, w->tls_failures);
    if (f->upstreams)
        json_upstreams(b, f);
    strbuf_puts(b, "}\n");
}

/* ---- Prometheus ---- */

/* "# HELP" and "# TYPE" of a metric family, before its samples. */
static void family(struct strbuf *b, const char *name, const char *type, const char *help)
{
    strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one sample without labels. */
static void single(struct strbuf *b, const char *name, const char *type, const char *help,
                   uint64_t value)
{
    family(b, name, type, help);
    strbuf_printf(b, "%s %" PRIu64 "\n", name, value);
}

/* A label value as the exposition format wants it: \\, \" and \n. */
static void escape_label(struct strbuf *b, const char *s)
{
    for (; *s; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
        if (esc)
            strbuf_puts(b, esc);
        else
            strbuf_append(b, s, 1);
    }
}

/* name{upstream="...",server="..."} value */
static void server_sample(struct strbuf *b, const char *name, const struct status_server *s,
                          uint64_t value)
{
    strbuf_printf(b, "%s{upstream=\"", name);
    escape_label(b, s->upstream);
    strbuf_puts(b, "\",server=\"");
    escape_label(b, s->server);
    strbuf_printf(b, "\"} %" PRIu64 "\n", value);
}

/* The four families of the upstream servers: each lists every server. */
static void prom_upstreams(struct strbuf *b, const struct status_figures *f)
{
    static const struct {
        const char *name, *type, *help;
    } fams[] = {
        {"portico_upstream_up", "gauge",
         "1 while the upstream server is in service in every worker, 0 while a health check "
         "or failures keep it out."},
        {"portico_upstream_requests_total", "counter",
         "Attempts sent to the upstream server (a retry on it counts again)."},
        {"portico_upstream_fails_total", "counter",
         "Attempts on the upstream server that failed (refused, reset, timed out, invalid "
         "or cut-off response)."},
        {"portico_upstream_active", "gauge", "Requests in flight on the upstream server."},
    };
    for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
        family(b, fams[k].name, fams[k].type, fams[k].help);
        for (size_t i = 0; i < f->n_servers; i++) {
            const struct status_server *s = &f->servers[i];
            uint64_t v = k == 0 ? s->up : k == 1 ? s->requests : k == 2 ? s->fails : s->active;
            server_sample(b, fams[k].name, s, v);
        }
    }
}

static void prom_connections(struct strbuf *b, const struct worker_stats *w)
{
    single(b, "portico_connections_active", "gauge", "Open client connections.", w->active);
    family(b, "portico_connections", "gauge",
           "Open client connections by state; the states add up to "
           "portico_connections_active.");
    strbuf_printf(b,
                  "portico_connections{state=\"reading\"} %" PRIu32 "\n"
                  "portico_connections{state=\"writing\"} %" PRIu32 "\n"
                  "portico_connections{state=\"idle\"} %" PRIu32 "\n"
                  "portico_connections{state=\"lingering\"} %" PRIu32 "\n",
                  w->reading, w->writing, w->idle, lingering(w));
    single(b, "portico_connections_tunnels", "gauge",
           "Connections carrying a byte tunnel (WebSocket), counted as writing too.",
           w->tunnels);
}

/* The families of one sample without labels. */
static void prom_singles(struct strbuf *b, const struct status_figures *f)
{
    const struct worker_stats *w = &f->w;
    const struct {
        const char *name, *type, *help;
        uint64_t value;
    } m[] = {
        {"portico_uptime_seconds", "gauge", "Seconds since the server started.",
         f->uptime_s > 0 ? (uint64_t)f->uptime_s : 0},
        {"portico_workers", "gauge", "Worker processes configured.", f->workers},
        {"portico_requests_total", "counter", "Requests answered completely.",
         w->requests_total},
        {"portico_received_bytes_total", "counter",
         "Bytes read from clients (heads, bodies, tunnels; TLS decrypted).", w->bytes_received},
        {"portico_sent_bytes_total", "counter",
         "Bytes written to clients (heads, bodies, tunnels; before TLS).", w->bytes_sent},
        {"portico_cgi_processes_started_total", "counter", "CGI processes started.",
         w->cgi_started},
        {"portico_cgi_processes_running", "gauge", "CGI processes not yet exited.",
         w->cgi_running},
        {"portico_cgi_timeouts_total", "counter",
         "CGI requests that ran into timeouts.cgi (504, or the connection closed).",
         w->cgi_timeouts},
        {"portico_upload_bytes_total", "counter", "Bytes of uploaded files stored.",
         w->upload_bytes},
        {"portico_tls_handshakes_total", "counter", "TLS handshakes completed.",
         w->tls_handshakes},
        {"portico_tls_handshake_failures_total", "counter",
         "TLS handshakes that failed or timed out, and plain HTTP sent to a TLS address.",
         w->tls_failures},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        single(b, m[i].name, m[i].type, m[i].help, m[i].value);
}

void status_render_prometheus(struct strbuf *b, const struct status_figures *f)
{
    family(b, "portico_info", "gauge", "The running portico's version, as a label.");
    strbuf_puts(b, "portico_info{version=\"");
    escape_label(b, f->version);
    strbuf_puts(b, "\"} 1\n");
    prom_singles(b, f);
    family(b, "portico_responses_total", "counter", "Responses sent, by status class.");
    for (int k = 0; k < STATS_CLASSES; k++)
        strbuf_printf(b, "portico_responses_total{class=\"%s\"} %" PRIu64 "\n", class_names[k],
                      f->w.responses[k]);
    prom_connections(b, &f->w);
    if (f->n_servers)
        prom_upstreams(b, f);
}
