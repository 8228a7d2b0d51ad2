/* status: GET/HEAD -> the server's statistics as JSON (docs/config.md,
 * "status"):
 * {"version":"0.1.0","uptime_s":12,"workers":2,
 *  "connections":{"active":3,"reading":0,"writing":1,"idle":2},
 *  "requests":{"total":1234},
 *  "tls":{"handshakes":10,"failures":1},         (when a listener speaks TLS)
 *  "upstreams":{"app":[{"server":"127.0.0.1:9001","up":true,"requests":10,
 *               "fails":0,"active":1}]}}       (when named upstreams exist)
 * requests.total counts finished requests, so not the one asking. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/cfg_parse.h"
#include "core/stats_board.h"
#include "handlers/handlers.h"
#include "http/escape.h"
#include "lib/strbuf.h"
#include "server/request.h"

#ifndef PORTICO_VERSION
#define PORTICO_VERSION "0"
#endif

/* "upstreams":{"app":[{"server":"127.0.0.1:9001","up":true,"requests":10,
 * "fails":0,"active":1}]}: the named groups, summed over the workers of
 * this configuration (from the shared board). */
static void put_upstreams(struct strbuf *b, const struct config *cfg, uint64_t now_ms)
{
    size_t flat = 0;
    bool first_group = true;
    strbuf_puts(b, ",\"upstreams\":{");
    for (size_t i = 0; i < cfg->n_upstreams; i++) {
        const struct cfg_upstream *u = &cfg->upstreams[i];
        size_t base = flat;
        flat += u->n_servers;
        if (u->implicit)
            continue;
        strbuf_puts(b, first_group ? "\"" : ",\"");
        first_group = false;
        escape_json(b, u->name, strlen(u->name));
        strbuf_puts(b, "\":[");
        for (size_t s = 0; s < u->n_servers; s++) {
            struct backend_stats x = {0};
            stats_board_sum_backend(stats_board, (uint64_t)(uintptr_t)cfg, base + s, now_ms, &x);
            strbuf_printf(b,
                          "%s{\"server\":\"%s\",\"up\":%s,\"requests\":%" PRIu64
                          ",\"fails\":%" PRIu64 ",\"active\":%" PRIu32 "}",
                          s ? "," : "", u->servers[s].text, x.check_down ? "false" : "true",
                          x.requests, x.failures, x.active);
        }
        strbuf_puts(b, "]");
    }
    strbuf_puts(b, "}");
}

static bool has_named_upstreams(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_upstreams; i++)
        if (!cfg->upstreams[i].implicit)
            return true;
    return false;
}

static bool has_tls(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_listeners; i++)
        if (cfg->listeners[i].tls)
            return true;
    return false;
}

static enum handler_result status_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (m != HTTP_GET && m != HTTP_HEAD)
        return HANDLER_DECLINED;
    struct worker_stats c;
    unsigned workers = request_stats(r, &c);
    long long uptime = (long long)(request_loop(r)->now_wall - c.started);
    if (uptime < 0)
        uptime = 0; /* the wall clock was set back */
    struct strbuf b = STRBUF_INIT;
    strbuf_printf(&b,
                  "{\"version\":\"%s\",\"uptime_s\":%lld,\"workers\":%u,"
                  "\"connections\":{\"active\":%" PRIu32 ",\"reading\":%" PRIu32
                  ",\"writing\":%" PRIu32 ",\"idle\":%" PRIu32 "},"
                  "\"requests\":{\"total\":%" PRIu64 "}",
                  PORTICO_VERSION, uptime, workers, c.active, c.reading, c.writing, c.idle,
                  c.requests_total);
    if (has_tls(r->cfg))
        strbuf_printf(&b, ",\"tls\":{\"handshakes\":%" PRIu64 ",\"failures\":%" PRIu64 "}",
                      c.tls_handshakes, c.tls_failures);
    if (stats_board && has_named_upstreams(r->cfg))
        put_upstreams(&b, r->cfg, request_loop(r)->now_ms);
    strbuf_puts(&b, "}\n");
    size_t len;
    char *body = strbuf_take(&b, &len);
    if (!body)
        return request_error(r, 500);
    response_add_header(r, "Cache-Control: no-store");
    response_adopt_body(r, 200, body, len, "application/json");
    return HANDLER_DONE;
}

static const char *const status_keys[] = {"status", NULL};

static int status_parse(struct cfg_ctx *c, const struct cfg_node *m,
                        const struct cfg_location *loc, const void **settings)
{
    return cfg_get_flag(c, m, "status", settings);
}

static void status_dump(const void *settings, FILE *out)
{
    fputs("    status: on\n", out);
}

const struct handler handler_status = {
    .desc = {.name = "status", .keys = status_keys, .order = 3, .parse = status_parse,
             .dump = status_dump},
    .on_request = status_on_request,
};
