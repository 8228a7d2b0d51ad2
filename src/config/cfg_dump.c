/* cfg_dump(): the compiled configuration as text for `portico -T`. The
 * warnings (cfg->warnings) are left to the caller, which prints them for -t
 * as well. */
#include <inttypes.h>
#include <stdio.h>

#include "config/cfg_internal.h"
#include "http/http_parse.h"

static const char *fmt_size(char *buf, size_t n, uint64_t v)
{
    static const char units[] = "gmk";
    for (int i = 0; i < 3; i++) {
        unsigned shift = (unsigned)(30 - 10 * i);
        if (v && v % ((uint64_t)1 << shift) == 0) {
            snprintf(buf, n, "%" PRIu64 "%c", v >> shift, units[i]);
            return buf;
        }
    }
    snprintf(buf, n, "%" PRIu64, v);
    return buf;
}

static const char *fmt_ms(char *buf, size_t n, uint32_t ms)
{
    if (ms % 3600000 == 0)
        snprintf(buf, n, "%" PRIu32 "h", ms / 3600000);
    else if (ms % 1000 == 0)
        snprintf(buf, n, "%" PRIu32 "s", ms / 1000);
    else
        snprintf(buf, n, "%" PRIu32 "ms", ms);
    return buf;
}

static void dump_timeouts(FILE *out, const char *ind, const struct cfg_timeouts *t)
{
    char b[7][24];
    fprintf(out,
            "%stimeouts: header %s, body %s, keepalive %s, send %s, cgi %s, upstream %s, "
            "upstream_connect %s\n",
            ind, fmt_ms(b[0], 24, t->header_ms), fmt_ms(b[1], 24, t->body_ms),
            fmt_ms(b[2], 24, t->keepalive_ms), fmt_ms(b[3], 24, t->send_ms),
            fmt_ms(b[4], 24, t->cgi_ms), fmt_ms(b[5], 24, t->upstream_ms),
            fmt_ms(b[6], 24, t->upstream_connect_ms));
}

static void dump_limits(FILE *out, const char *ind, const struct cfg_limits *l)
{
    char b[2][24];
    fprintf(out,
            "%slimits: connections %" PRIu32 ", keepalive_requests %" PRIu32
            ", header_size %s, body_size %s\n",
            ind, l->connections, l->keepalive_requests, fmt_size(b[0], 24, l->header_size),
            fmt_size(b[1], 24, l->body_size));
}

static void dump_compress(FILE *out, const char *ind, const struct cfg_compress *z)
{
    char b[24];
    if (!z->on) {
        fprintf(out, "%scompress: off\n", ind);
        return;
    }
    fprintf(out, "%scompress: gzip ", ind);
    if (z->gzip)
        fprintf(out, "level %d, min_size %s", z->level, fmt_size(b, sizeof(b), z->min_size));
    else
        fputs("off", out);
    fprintf(out, "; precompressed %s; types:", z->precompressed ? "on" : "off");
    for (size_t i = 0; i < z->n_types; i++)
        fprintf(out, " %s", z->types[i]);
    fputc('\n', out);
}

static void dump_list(FILE *out, const char *label, char *const *v, size_t n)
{
    fprintf(out, "%s:", label);
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %s", v[i]);
    fputs(n ? "\n" : " (none)\n", out);
}

static void dump_error_pages(FILE *out, const char *ind, const struct cfg_error_page *e,
                             size_t n)
{
    fprintf(out, "%serror_pages:", ind);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s %d %s", i ? "," : "", e[i].status, e[i].uri);
    fputs(n ? "\n" : " (none)\n", out);
}

static void dump_handlers(FILE *out, const struct cfg_location *loc)
{
    for (size_t i = 0; i < loc->n_pipeline; i++)
        if (loc->pipeline[i].handler->dump)
            loc->pipeline[i].handler->dump(loc->pipeline[i].settings, out);
    fprintf(out, "    pipeline:");
    for (size_t i = 0; i < loc->n_pipeline; i++)
        fprintf(out, "%s%s", i ? " -> " : " ", loc->pipeline[i].handler->name);
    fputc('\n', out);
}

static void dump_location(FILE *out, const struct cfg_location *loc)
{
    char b[24];
    fprintf(out, "  location %s (%s:%d:%d)\n", loc->prefix, loc->pos.file, loc->pos.line,
            loc->pos.col);
    fputs("    methods:", out);
    for (unsigned m = 1; m < HTTP_METHOD_COUNT; m++)
        if (loc->methods & HTTP_METHOD_BIT(m))
            fprintf(out, " %s", cfg_method_name(m));
    fprintf(out, "\n    root: %s%s\n", loc->root ? loc->root : "(none: it reads no file)",
            loc->own_root ? " (prefix maps here)" : "");
    dump_list(out, "    index", loc->index, loc->n_index);
    fprintf(out, "    limits: body_size %s\n", fmt_size(b, sizeof(b), loc->limits.body_size));
    dump_timeouts(out, "    ", &loc->timeouts);
    dump_compress(out, "    ", &loc->compress);
    dump_error_pages(out, "    ", loc->error_pages, loc->n_error_pages);
    fprintf(out, "    charset: %s\n", loc->charset ? loc->charset : "off");
    dump_handlers(out, loc);
}

/* A listen item with tls: true as the file would write it. */
static void dump_listens(FILE *out, const struct cfg_server *s)
{
    fputs("  listen:", out);
    for (size_t i = 0; i < s->n_listens; i++) {
        const struct cfg_listen *l = &s->listens[i];
        if (l->tls)
            fprintf(out, " {address: \"%s\", tls: true}", l->text);
        else
            fprintf(out, " %s", l->text);
    }
    fputc('\n', out);
}

static void dump_tls(FILE *out, const struct cfg_tls *t, const char *note)
{
    fprintf(out, "  tls:\n    certificate: %s\n", t->certificate);
    /* config reads no certificate: what the loader found in it. */
    if (note)
        fprintf(out, "    # %s\n", note);
    fprintf(out, "    key: %s\n    protocols:%s%s\n", t->key,
            t->protocols & CFG_TLS_1_2 ? " TLSv1.2" : "",
            t->protocols & CFG_TLS_1_3 ? " TLSv1.3" : "");
}

static void dump_server(FILE *out, const struct cfg_server *s, const char *tls_note)
{
    fprintf(out, "\nserver %s:%d:%d%s\n", s->pos.file, s->pos.line, s->pos.col,
            s->is_default ? " (default)" : "");
    dump_listens(out, s);
    if (s->tls)
        dump_tls(out, s->tls, tls_note);
    dump_list(out, "  names", s->names, s->n_names);
    fprintf(out, "  root: %s\n", s->root ? s->root : "(none: every location has its own)");
    dump_list(out, "  index", s->index, s->n_index);
    dump_error_pages(out, "  ", s->error_pages, s->n_error_pages);
    dump_timeouts(out, "  ", &s->timeouts);
    dump_limits(out, "  ", &s->limits);
    fprintf(out, "  charset: %s\n", s->charset ? s->charset : "off");
    fputs("  locations (in matching order, longest prefix first):\n", out);
    for (size_t i = 0; i < s->n_locations; i++)
        dump_location(out, &s->locations[i]);
}

static void dump_global(const struct config *cfg, FILE *out)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    fprintf(out, "# portico configuration %s (paths relative to %s)\n", cfg->path, cfg->dir);
    if (cfg->workers)
        fprintf(out, "workers: %d\n", cfg->workers);
    else
        fputs("workers: auto\n", out);
    fprintf(out, "error_log: %s\nlog_level: %s\naccess_log: %s%s\npid_file: %s\n",
            cfg->error_log ? cfg->error_log : "off", levels[cfg->log_level],
            cfg->access_log ? cfg->access_log : "off",
            cfg->access_log_format == CFG_LOG_JSON ? " (format json)" : "",
            cfg->pid_file ? cfg->pid_file : "off");
    fputs("mime_types:", out);
    for (size_t i = 0; i < cfg->n_mime_types; i++)
        fprintf(out, " %s=%s", cfg->mime_types[i].ext, cfg->mime_types[i].type);
    fputs(cfg->n_mime_types ? "\n" : " (built-in only)\n", out);
    fprintf(out, "charset: %s\n", cfg->charset ? cfg->charset : "off");
    dump_timeouts(out, "", &cfg->timeouts);
    char b[24];
    fprintf(out, "drain: %s\n",
            cfg->timeouts.drain_ms ? fmt_ms(b, sizeof(b), cfg->timeouts.drain_ms) : "off");
    dump_limits(out, "", &cfg->limits);
}

static void dump_upstream(const struct cfg_upstream *u, FILE *out)
{
    static const char *const balance[] = {"round_robin", "least_conn", "ip_hash"};
    char b[2][24];
    fprintf(out, "upstream %s:", u->name);
    for (size_t i = 0; i < u->n_servers; i++)
        fprintf(out, " %s%s", u->servers[i].text, u->servers[i].backup ? " (backup)" : "");
    for (size_t i = 0; i < u->n_servers; i++)
        if (u->servers[i].weight != 1)
            fprintf(out, "; weight of %s: %u", u->servers[i].text, u->servers[i].weight);
    fprintf(out, "; %s, keepalive %u, max_fails %u, fail_timeout %s", balance[u->balance],
            u->keepalive, u->max_fails, fmt_ms(b[0], 24, u->fail_timeout_ms));
    if (u->health_path)
        fprintf(out, ", health_check %s every %s", u->health_path,
                fmt_ms(b[1], 24, u->health_interval_ms));
    fputc('\n', out);
}

void cfg_dump(const struct config *cfg, FILE *out, const char *const *tls_notes)
{
    dump_global(cfg, out);
    for (size_t i = 0; i < cfg->n_upstreams; i++)
        if (!cfg->upstreams[i].implicit)
            dump_upstream(&cfg->upstreams[i], out);
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        const struct cfg_listener *l = &cfg->listeners[i];
        char b[24];
        fprintf(out, "listener %s%s%s%s%s: max header %s, servers:", l->text,
                l->tls ? " (tls)" : "", l->via ? " (on the socket of " : "",
                l->via ? l->via->text : "",
                l->via ? ")" : "", fmt_size(b, sizeof(b), l->max_header_size));
        for (size_t j = 0; j < l->n_servers; j++)
            fprintf(out, " %s:%d:%d%s", l->servers[j]->pos.file, l->servers[j]->pos.line,
                    l->servers[j]->pos.col, l->servers[j] == l->default_server ? " (default)" : "");
        fputc('\n', out);
    }
    for (size_t i = 0; i < cfg->n_servers; i++)
        dump_server(out, &cfg->servers[i], tls_notes ? tls_notes[i] : NULL);
}
