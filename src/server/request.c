/* Request blocks, and what handlers ask of a request. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/conn_tls.h"
#include "core/master.h"
#include "core/stats_board.h"
#include "http/uri.h"
#include "server/compress.h"
#include "server/exchange.h"

const struct cfg_server *default_server(const struct conn *c)
{
    const struct cfg_listener *l = c->listener;
    return l->default_server;
}

bool request_https(const struct request *r)
{
    return conn_is_tls(r->conn);
}

const struct cfg_timeouts *request_timeouts(const struct request *r, const struct conn *c)
{
    if (r && r->loc)
        return &r->loc->timeouts;
    if (r && r->server)
        return &r->server->timeouts;
    return &default_server(c)->timeouts;
}

const struct cfg_limits *request_limits(const struct request *r, const struct conn *c)
{
    if (r && r->loc)
        return &r->loc->limits;
    if (r && r->server)
        return &r->server->limits;
    return &default_server(c)->limits;
}

struct request *request_new(struct conn *c)
{
    struct server *srv = c->set->proto_ctx;
    struct request *r = bufpool_get(&srv->requests);
    if (!r)
        return NULL;
    /* Everything before the response's header buffer starts zeroed but the
     * head's header array (3 KiB, valid only up to num_headers); the large
     * buffers after it are written before they are read. */
    size_t head_at = offsetof(struct request, head), after_head = head_at + sizeof(r->head);
    memset(r, 0, head_at);
    http_request_head_reset(&r->head, NULL);
    memset((char *)r + after_head, 0, offsetof(struct request, path_buf) - after_head);
    r->conn = c;
    r->srv = srv;
    r->cfg = srv->cfg;
    r->path = r->path_buf;
    r->path_buf[0] = '\0';
    r->start_us = loop_clock_us();
    response_init(r);
    c->proto_data = r;
    conn_set_state(c, CONN_READING);
    return r;
}

void request_free(struct conn *c)
{
    struct request *r = c->proto_data;
    if (!r)
        return;
    /* A handler that still holds state (a CGI process, upload files)
     * releases it whichever way the request ends. */
    if (r->handler_data && r->async && r->async->on_abort)
        r->async->on_abort(r);
    compress_release(r);
    response_reset(r);
    if (r->res.buf)
        bufpool_put(&r->srv->heads, r->res.buf);
    free(r->redirect_target);
    if (r->big)
        bufpool_put(&r->srv->bodies, r->big);
    free(r->head_copy);
    if (r->path != r->path_buf)
        free(r->path);
    c->proto_data = NULL;
    bufpool_put(&r->srv->requests, r);
}

long request_set_path(struct request *r, const char *path, size_t len, bool *nomem)
{
    *nomem = false;
    char *dst = r->path_buf;
    /* A long path gets its own memory (decoding never makes it longer). */
    if (len >= sizeof(r->path_buf) && !(dst = malloc(len + 1))) {
        *nomem = true;
        return -1;
    }
    long n = uri_normalize_path(path, len, dst);
    if (r->path != r->path_buf)
        free(r->path);
    r->path = dst;
    r->path_len = n < 0 ? 0 : (size_t)n;
    if (n < 0)
        r->path[0] = '\0';
    return n;
}

const char *request_rel_path(const struct request *r)
{
    const char *p = r->path;
    if (r->loc && r->loc->own_root) {
        size_t skip = r->loc->prefix_len;
        if (skip > r->path_len)
            skip = r->path_len; /* "/files" against prefix "/files/" */
        p += skip;
    }
    while (*p == '/')
        p++;
    return p;
}

bool request_query_has(const struct request *r, const char *param, size_t len)
{
    const char *q = r->head.query.p, *end = q + r->head.query.len;
    while (q && q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if (str_eq(str_make(q, (size_t)(stop - q)), param, len))
            return true;
        q = amp ? amp + 1 : end;
    }
    return false;
}

bool request_wants_json(const struct request *r)
{
    const struct http_header *accept = http_find_header(&r->head, "accept", 6);
    if (accept && str_case_contains(accept->value, "application/json", 16))
        return true;
    return request_query_has(r, "format=json", 11);
}

unsigned request_stats(const struct request *r, struct worker_stats *out)
{
    if (stats_board) {
        stats_board_sum(stats_board, out);
        return stats_board->workers;
    }
    *out = *r->conn->set->stats;
    return r->cfg->workers > 0 ? (unsigned)r->cfg->workers : master_cpu_count();
}

struct worker_stats *request_counters(const struct request *r)
{
    return r->conn->set->stats;
}

struct loop *request_loop(const struct request *r)
{
    return r->conn->set->loop;
}
