/* proxy: forwards every request of its location to a backend server of
 * an upstream group (CONFIG.md, "What handlers answer", proxy). This file
 * holds the attempts: which server, retries, the error answers; the bytes
 * themselves are proxy_io.c's.
 *
 * Retries: a connection that could not be made is tried on the next server
 * (any method); once a request was sent, only GET, HEAD, PUT, DELETE and
 * OPTIONS without a body are retried, and only when no response byte came
 * back; never more than `retries`. A pooled connection that fails before
 * any response byte is not the server's fault: it is retried at once on a
 * fresh one. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"
#include "core/log.h"
#include "core/stats_board.h"
#include "handlers/handlers.h"
#include "handlers/proxy_head.h"
#include "handlers/proxy_state.h"
#include "lib/sockaddr.h"

/* ---- this worker's groups, made on first use ---- */

static struct upstream_group *groups;
static struct upstream_server_def **server_defs;
static size_t n_groups;

static enum upstream_balance balance_of(enum cfg_balance b)
{
    return b == CFG_BALANCE_LEAST_CONN ? UPSTREAM_LEAST_CONN
           : b == CFG_BALANCE_IP_HASH  ? UPSTREAM_IP_HASH
                                       : UPSTREAM_ROUND_ROBIN;
}

/* The upstream module knows no configuration: describe the group. */
static int group_init(struct upstream_group *g, const struct cfg_upstream *u,
                      const struct cfg_timeouts *t, struct loop *loop, struct backend_stats *pub)
{
    struct upstream_server_def *defs = calloc(u->n_servers, sizeof(*defs));
    if (!defs)
        return -1;
    server_defs[u->index] = defs;
    for (size_t i = 0; i < u->n_servers; i++)
        defs[i] = (struct upstream_server_def){
            .addr = u->servers[i].addr, .addrlen = u->servers[i].addrlen,
            .text = u->servers[i].text, .host = u->servers[i].written,
            .weight = u->servers[i].weight,
            .backup = u->servers[i].backup};
    struct upstream_group_def def = {
        .name = u->name, .servers = defs, .n_servers = u->n_servers,
        .balance = balance_of(u->balance), .keepalive = u->keepalive,
        .max_fails = u->max_fails, .fail_timeout_ms = u->fail_timeout_ms,
        .health_path = u->health_path, .health_interval_ms = u->health_interval_ms,
        .connect_timeout_ms = t->upstream_connect_ms, .health_timeout_ms = t->upstream_connect_ms};
    return upstream_group_init(g, loop, &def, pub);
}

/* A worker starts: every group of the configuration is set up (their
 * health checks begin). The counters go to the shared board, where
 * /status sums them; the configuration's address tells the workers of one
 * generation apart. */
static int proxy_start(const struct config *cfg, struct loop *loop, struct worker_stats *stats)
{
    if (!cfg->n_upstreams)
        return 0;
    groups = calloc(cfg->n_upstreams, sizeof(*groups));
    server_defs = calloc(cfg->n_upstreams, sizeof(*server_defs));
    if (!groups || !server_defs)
        return -1;
    n_groups = cfg->n_upstreams;
    struct backend_stats *board =
        stats_board ? stats_board_backends(stats_board, stats, (uint64_t)(uintptr_t)cfg) : NULL;
    size_t flat = 0;
    for (size_t i = 0; i < n_groups; i++) {
        const struct cfg_upstream *u = &cfg->upstreams[i];
        struct backend_stats *pub =
            board && flat + u->n_servers <= STATS_BACKENDS ? board + flat : NULL;
        flat += u->n_servers;
        if (group_init(&groups[i], u, &cfg->timeouts, loop, pub) < 0)
            return -1;
    }
    return 0;
}

static struct upstream_group *group_of(const struct cfg_upstream *u)
{
    return u->index < n_groups ? &groups[u->index] : NULL;
}

static void proxy_destroy(void)
{
    for (size_t i = 0; i < n_groups; i++) {
        upstream_group_free(&groups[i]);
        free(server_defs[i]);
    }
    free(groups);
    free(server_defs);
    groups = NULL;
    server_defs = NULL;
    n_groups = 0;
    proxy_alloc_free();
}

/* ---- one request ---- */

static void proxy_free(struct proxy *p)
{
    loop_timer_cancel(request_loop(p->r), &p->kick);
    if (p->uc) {
        p->g->servers[p->server].pub->active--;
        upstream_conn_close(p->uc);
    }
    proxy_release(p);
}

static void proxy_on_abort(struct request *r)
{
    proxy_free(r->handler_data);
    r->handler_data = NULL;
}

/* Answers status when nothing was sent yet; after the head, only closing
 * the connection can tell (request_fail does either). */
static void answer_error(struct proxy *p, int status)
{
    struct request *r = p->r;
    r->handler_data = NULL;
    r->async = NULL;
    proxy_free(p);
    request_fail(r, status);
}

/* The first step of an attempt runs from the loop, never inside the
 * call that started it: on_request must not see its request answered. */
static void kick(struct timer *t)
{
    struct proxy *p = (struct proxy *)((char *)t - offsetof(struct proxy, kick));
    if (p->phase == PROXY_SEND)
        proxy_send(p);
}

static bool replayable(const struct proxy *p)
{
    static const char *const safe[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", NULL};
    const struct http_request_head *h = &p->r->head;
    if (p->body_taken && p->replay_lost)
        return false; /* too big to keep: once taken, it cannot be sent again */
    for (size_t i = 0; safe[i]; i++)
        if (str_eq(h->method_str, safe[i], strlen(safe[i])))
            return true;
    return false;
}

/* A connection to server p->server: the head goes out as soon as it is
 * up. Returns -1 when not even a socket could be made. */
static int attempt(struct proxy *p)
{
    struct request *r = p->r;
    p->attempts++;
    p->g->servers[p->server].pub->requests++;
    p->g->servers[p->server].pub->active++;
    p->t0_us = loop_clock_us();
    p->got_byte = false;
    p->eof = false; /* the last attempt's end is not this one's */
    p->out.len = p->out_pos = 0;
    strbuf_append(&p->out, p->head.p, p->head.len);
    /* A retry sends what the last attempt sent of the body, again. */
    if (p->replay.len)
        strbuf_append(&p->out, p->replay.p, p->replay.len);
    p->uc = upstream_conn_get(p->g, p->server, r->loc->timeouts.upstream_connect_ms,
                              !replayable(p), &proxy_conn_ops, p);
    if (!p->uc) {
        p->g->servers[p->server].pub->active--;
        log_err("upstream %s: %s", p->g->def.servers[p->server].text, strerror(errno));
        return -1;
    }
    r->upstream = p->g->def.servers[p->server].text;
    p->phase = p->uc->connecting ? PROXY_CONNECT : PROXY_SEND;
    if (p->phase == PROXY_SEND)
        loop_timer_in(request_loop(r), &p->kick, 0);
    return 0;
}

static const char *fault_text(enum proxy_fault f)
{
    switch (f) {
    case FAULT_CONNECT: return "cannot connect";
    case FAULT_TIMEOUT: return "timed out";
    case FAULT_INVALID: return "sent an invalid response head";
    case FAULT_IO: break;
    }
    return "closed the connection";
}

void proxy_fault(struct proxy *p, enum proxy_fault fault, int err)
{
    const char *text = p->g->def.servers[p->server].text;
    bool reused = p->uc->reused;
    p->r->upstream_us = loop_clock_us() - p->t0_us; /* the log: until this attempt failed */
    p->g->servers[p->server].pub->active--;
    upstream_conn_close(p->uc);
    p->uc = NULL;
    /* A pooled connection the server had closed meanwhile: not a fault,
     * and tried again on a fresh one -- unless the request may not be sent
     * twice (POST: CONFIG.md; attempt() checked the connection first). */
    if (reused && !p->got_byte && fault == FAULT_IO && replayable(p)) {
        p->attempts--;
        if (attempt(p) < 0)
            answer_error(p, 502);
        return;
    }
    log_err("upstream %s (%s): %s%s%s", text, p->g->def.name, fault_text(fault),
            err ? ": " : "", err ? strerror(err) : "");
    upstream_report(p->g, p->server, false, request_loop(p->r)->now_ms);
    p->tried[p->server] = true;
    /* CONFIG.md: a connection never made is retried for any method; once
     * the request went out (a timeout waiting for the head too), only an
     * idempotent one, and only before a response byte came back. */
    bool again = !p->got_byte && p->attempts <= p->ps->retries &&
                 (fault == FAULT_CONNECT || replayable(p));
    struct sockaddr_storage peer;
    conn_peer_addr(p->r->conn, &peer);
    int next = again ? upstream_pick(p->g, &peer, p->tried, request_loop(p->r)->now_ms) : -1;
    if (next >= 0) {
        p->server = next;
        if (attempt(p) == 0)
            return;
    }
    /* No (whole) head within timeouts.upstream, sending or waiting: 504. */
    bool no_head = p->phase == PROXY_SEND || p->phase == PROXY_WAIT;
    answer_error(p, fault == FAULT_TIMEOUT && no_head ? 504 : 502);
}

void proxy_upstream_done(struct proxy *p, bool reusable)
{
    struct request *r = p->r;
    p->g->servers[p->server].pub->active--;
    r->upstream_us = loop_clock_us() - p->t0_us;
    upstream_report(p->g, p->server, true, request_loop(r)->now_ms);
    if (reusable)
        upstream_conn_release(p->uc);
    else
        upstream_conn_close(p->uc);
    p->uc = NULL;
}

/* The head sent upstream, written once for every attempt. */
static void make_head(struct proxy *p)
{
    struct request *r = p->r;
    char ip[64];
    struct sockaddr_storage peer;
    conn_peer_addr(r->conn, &peer);
    sockaddr_ip_text(&peer, ip, sizeof(ip));
    p->websocket = p->ps->websocket && proxy_head_is_websocket(&r->head);
    struct proxy_head_in in = {
        .head = &r->head, .ps = p->ps, .path = r->path, .path_len = r->path_len,
        .prefix_len = r->loc->prefix_len, .client_ip = ip,
        .upstream_text = p->g->def.servers[p->server].host, .websocket = p->websocket,
        .https = request_https(r)};
    proxy_head_write(&p->head, &in);
}

static enum handler_result proxy_on_request(struct request *r)
{
    const struct proxy_settings *ps = r->settings;
    struct upstream_group *g = group_of(ps->group);
    struct proxy *p = g ? proxy_alloc(g->def.n_servers) : NULL;
    if (!p) /* out of memory (also when the groups could not be made) */
        return request_error(r, 500);
    p->r = r;
    p->ps = ps;
    p->g = g;
    struct sockaddr_storage peer;
    conn_peer_addr(r->conn, &peer);
    p->server = upstream_pick(g, &peer, NULL, request_loop(r)->now_ms);
    if (p->server < 0) {
        log_err("upstream %s: no server is up", g->def.name);
        proxy_free(p);
        return request_error(r, 502);
    }
    make_head(p);
    if (p->head.failed) {
        proxy_free(p);
        return request_error(r, 500);
    }
    p->kick.cb = kick;
    if (attempt(p) < 0) {
        proxy_free(p);
        return request_error(r, 502);
    }
    r->handler_data = p;
    return request_read_body(r, &proxy_sink);
}

static void proxy_on_drained(struct request *r)
{
    struct proxy *p = r->handler_data;
    if (!p)
        return;
    p->writing = false;
    if (p->phase == PROXY_TUNNEL)
        proxy_tunnel_ready(p);
    else
        proxy_pass(p);
}

static const char *const proxy_keys[] = {"proxy", NULL};

const struct handler handler_proxy = {
    .desc = {.name = "proxy", .keys = proxy_keys, .order = 2, .exclusive = true,
             .parse = proxy_config_parse, .dump = proxy_config_dump},
    .on_request = proxy_on_request,
    .on_drained = proxy_on_drained,
    .on_abort = proxy_on_abort,
    .start = proxy_start,
    .destroy = proxy_destroy,
};
