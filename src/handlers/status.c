/* status: GET/HEAD -> the server's statistics (docs/config.md, "status"),
 * as JSON by default:
 * {"version":"0.1.0","uptime_s":12,"workers":2,
 *  "connections":{"active":3,"reading":0,"writing":1,"idle":2,"tunnels":0},
 *  "requests":{"total":1234},"responses":{"1xx":0,"2xx":1200,...},
 *  "bytes":{"received":..,"sent":..},"cgi":{"started":..,"running":..,
 *  "timeouts":..},"uploads":{"bytes":..},
 *  "tls":{"handshakes":10,"failures":1},         (when a listener speaks TLS)
 *  "upstreams":{"app":[{"server":"127.0.0.1:9001","up":true,"requests":10,
 *               "fails":0,"active":1}]}}       (when named upstreams exist)
 * and in the Prometheus text format for ?format=prometheus or an Accept
 * naming text/plain; version=0.0.4 (status_render.c writes both).
 * requests.total counts finished requests, so not the one asking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"
#include "core/stats_board.h"
#include "handlers/handlers.h"
#include "handlers/status_render.h"
#include "http/http_accept_type.h"
#include "server/request.h"

#ifndef PORTICO_VERSION
#define PORTICO_VERSION "0"
#endif

static bool has_tls(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_listeners; i++)
        if (cfg->listeners[i].tls)
            return true;
    return false;
}

/* The servers of the named groups, summed over the workers of this
 * configuration (from the shared board), into a malloc'd array. Returns
 * how many (*out NULL when there are none), or -1. */
static long gather_servers(const struct config *cfg, uint64_t now_ms,
                           struct status_server **out)
{
    size_t n = 0, flat = 0;
    *out = NULL;
    for (size_t i = 0; i < cfg->n_upstreams; i++)
        if (!cfg->upstreams[i].implicit)
            n += cfg->upstreams[i].n_servers;
    if (!stats_board || n == 0)
        return 0;
    struct status_server *v = calloc(n, sizeof(*v));
    if (!v)
        return -1;
    n = 0;
    for (size_t i = 0; i < cfg->n_upstreams; i++) {
        const struct cfg_upstream *u = &cfg->upstreams[i];
        for (size_t s = 0; s < u->n_servers; s++, flat++) {
            if (u->implicit)
                continue;
            struct backend_stats x;
            stats_board_sum_backend(stats_board, (uint64_t)(uintptr_t)cfg, flat, now_ms, &x);
            v[n++] = (struct status_server){
                .upstream = u->name, .server = u->servers[s].text, .up = !x.check_down,
                .requests = x.requests, .fails = x.failures, .active = x.active};
        }
    }
    *out = v;
    return (long)n;
}

/* ?format=prometheus, or an Accept naming text/plain; version=0.0.4 (what
 * Prometheus sends when it scrapes). */
static bool wants_prometheus(const struct request *r)
{
    if (request_query_has(r, "format=prometheus", 17))
        return true;
    const struct http_header *accept = http_find_header(&r->head, "accept", 6);
    return accept && http_accept_names(accept->value, "text/plain", "version", "0.0.4");
}

static enum handler_result status_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (m != HTTP_GET && m != HTTP_HEAD)
        return HANDLER_DECLINED;
    struct status_figures f = {.version = PORTICO_VERSION, .tls = has_tls(r->cfg)};
    f.workers = request_stats(r, &f.w);
    f.uptime_s = (long long)(request_loop(r)->now_wall - f.w.started);
    if (f.uptime_s < 0)
        f.uptime_s = 0; /* the wall clock was set back */
    struct status_server *servers;
    long n = gather_servers(r->cfg, request_loop(r)->now_ms, &servers);
    if (n < 0)
        return request_error(r, 500);
    f.servers = servers;
    f.n_servers = (size_t)n;
    f.upstreams = n > 0;
    bool prom = wants_prometheus(r);
    struct strbuf b = STRBUF_INIT;
    if (prom)
        status_render_prometheus(&b, &f);
    else
        status_render_json(&b, &f);
    free(servers);
    size_t len;
    char *body = strbuf_take(&b, &len);
    if (!body)
        return request_error(r, 500);
    response_add_header(r, "Cache-Control: no-store");
    response_add_header(r, "Vary: Accept");
    response_adopt_body(r, 200, body, len, prom ? STATUS_PROMETHEUS_TYPE : "application/json");
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
