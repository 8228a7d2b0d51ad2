/* The HTTP/1 exchange on a connection: the protocol object core calls back
 * into. Per request:
 *
 *   IDLE --first byte--> READING (head) --route--> BUSY (a handler works;
 *   READING again while it reads a body) --response--> WRITING -->
 *   finish: drain an unread body (READING), then IDLE (keep-alive) or
 *   linger and close.
 *
 * Requests already in the buffer (pipelined) are served one after the
 * other, as long as each response goes out at once. */
#include <string.h>

#include "core/conn_tls.h"
#include "core/log.h"
#include "server/compress.h"
#include "server/exchange.h"

const char *server_date(struct server *s, time_t now)
{
    if (s->date_at != now) {
        http_date_format(now, s->date);
        s->date_at = now;
    }
    return s->date;
}

static void parse_failed(struct conn *c, struct request *r)
{
    r->server = default_server(c);
    r->res.close = true;
    request_error(r, r->head.error_status ? r->head.error_status : 400);
    log_info("client %s: %s", "request", r->head.error_reason ? r->head.error_reason : "bad");
    response_send(r);
}

/* Plain HTTP sent to a TLS address: a plain 400, then the connection
 * closes (as nginx answers "plain HTTP request sent to HTTPS port"). */
static void plain_on_tls(struct conn *c, struct request *r)
{
    r->server = default_server(c);
    r->res.close = true;
    request_error(r, 400);
    log_info("client: a plain HTTP request on TLS address %s",
             ((const struct cfg_listener *)c->listener)->text);
    response_send(r);
}

/* The parser reads the head from its start on every call; a head that
 * trickles in needs a new look only once a line ends (or the limit is
 * reached), which keeps a byte-at-a-time client from costing O(n^2). */
static long parse_head(struct conn *c, struct request *r, uint64_t max_head)
{
    const char *p = c->rbuf + c->rpos;
    size_t len = conn_pending(c);
    if (r->scanned && len < max_head && !memchr(p + r->scanned, '\n', len - r->scanned)) {
        r->scanned = len;
        return HTTP_PARSE_INCOMPLETE;
    }
    long n = http_parse_request(p, len, max_head, &r->head);
    r->scanned = len;
    return n;
}

/* True while the connection waits for, or reads, a request head. */
static bool wants_head(const struct conn *c)
{
    const struct request *r = c->proto_data;
    return c->state == CONN_IDLE || (c->state == CONN_READING && r && !r->sink);
}

/* Makes sure bytes are buffered. Returns false when there are none (the
 * connection may have been closed). */
static bool have_bytes(struct conn *c)
{
    if (conn_pending(c) > 0)
        return true;
    ssize_t got = c->readable ? conn_read(c) : 0;
    if (got < 0 && !c->peer_closed) {
        conn_close(c);
        return false;
    }
    if (conn_pending(c) > 0)
        return true;
    if (c->peer_closed)
        conn_close(c);
    return false;
}

/* The request whose head is being read; the first byte starts one. */
static struct request *current_request(struct conn *c)
{
    struct request *r = c->proto_data;
    if (r)
        return r;
    /* A kept-alive connection: the head's time runs from its first byte
     * (a new one's has run since the accept). */
    if (c->requests > 0)
        conn_set_timer(c, request_timeouts(NULL, c)->header_ms);
    /* A new head may need the whole buffer: move pipelined bytes up. */
    conn_compact(c);
    if (!(r = request_new(c)))
        conn_close(c);
    return r;
}

/* Parses and answers the requests in the read buffer, one after the other,
 * as long as each response goes out at once. */
static void dispatch(struct conn *c)
{
    c->in_dispatch = true;
    while (wants_head(c) && have_bytes(c)) {
        struct request *r = current_request(c);
        if (!r)
            break;
        if (c->plain_on_tls) {
            conn_cancel_timer(c);
            plain_on_tls(c, r);
            break;
        }
        const struct cfg_listener *l = c->listener;
        long n = parse_head(c, r, l->max_header_size);
        if (n == HTTP_PARSE_INCOMPLETE) {
            if (c->peer_closed)
                conn_close(c);
            else if (c->readable && conn_read(c) > 0)
                continue;
            break;
        }
        conn_cancel_timer(c);
        if (n == HTTP_PARSE_ERROR) {
            parse_failed(c, r);
            continue;
        }
        r->head_len = (size_t)n;
        route(r);
    }
    c->in_dispatch = false;
}

void exchange_finish(struct conn *c)
{
    struct request *r = c->proto_data;
    /* A body nobody read is drained first (the response said keep-alive). */
    if (!r->res.close && request_discard_body(r))
        return;
    bool close_after = r->res.close;
    bool body_unread = r->has_body;
    if (!r->head_copy)
        c->rpos += r->head_len; /* else the head left the buffer already */
    request_free(c);
    if (close_after) {
        conn_linger_close(c, body_unread);
        return;
    }
    conn_set_state(c, CONN_IDLE);
    conn_set_timer(c, request_timeouts(NULL, c)->keepalive_ms);
    if (conn_pending(c) == 0)
        conn_release_buffer(c);
    if (!c->in_dispatch)
        dispatch(c);
}

/* ---- the protocol object ---- */

static void proto_on_accept(struct conn *c)
{
    /* A wildcard socket carries specific addresses too: which one? */
    const struct cfg_listener *l = c->listener;
    struct sockaddr_storage local;
    if (l->n_covered && conn_local_addr(c, &local) == 0)
        c->listener = cfg_match_listener(l, &local);
    l = c->listener;
    /* The handshake counts against the header timeout. */
    if (l->tls && conn_tls_start(c, server_tls_of(c, l->default_server)) < 0) {
        conn_close(c);
        return;
    }
    conn_set_timer(c, request_timeouts(NULL, c)->header_ms);
    dispatch(c);
}

/* The client's bytes in a tunnel go to the handler as they come. */
static void tunnel_data(struct conn *c, struct request *r)
{
    size_t n = conn_pending(c);
    size_t took = r->tunnel->from_client(r, c->rbuf + c->rpos, n);
    if (c->state != CONN_TUNNEL)
        return; /* it ended meanwhile */
    c->rpos += took;
    if (took < n)
        c->paused = true;
    else
        conn_release_buffer(c);
}

static void proto_on_data(struct conn *c)
{
    struct request *r = c->proto_data;
    if (r && r->tunnel) {
        tunnel_data(c, r);
        return;
    }
    if (r && r->sink) {
        request_body_on_data(r);
        return;
    }
    if (!c->in_dispatch)
        dispatch(c);
}

static void proto_on_drained(struct conn *c)
{
    /* The piece is out: the handler may send the next. */
    struct request *r = c->proto_data;
    if (!r->tunnel)
        conn_set_state(c, CONN_BUSY);
    if (compress_on_drained(r))
        return; /* the server feeds this body itself */
    r->async->on_drained(r);
}

static void proto_on_written(struct conn *c)
{
    struct request *r = c->proto_data;
    if (r->continue_pending) {
        request_continue_sent(r);
        return;
    }
    c->set->stats->requests_total++;
    c->requests++;
    access_log_write(r);
    r->logged = true;
    exchange_finish(c);
}

static void proto_on_timeout(struct conn *c)
{
    struct request *r = c->proto_data;
    if (c->state == CONN_READING && r && !r->discarding) {
        if (!r->server)
            r->server = default_server(c);
        request_fail(r, 408);
        return;
    }
    /* Idle (kept alive, or new and silent), or a drain that stalled. */
    conn_close(c);
}

static void proto_on_close(struct conn *c)
{
    struct request *r = c->proto_data;
    /* A response cut short (the client left, a tunnel ended) is logged
     * with what went out, as nginx does. */
    if (r && r->head_bytes && !r->logged)
        access_log_write(r);
    request_free(c);
}

const struct conn_proto server_proto = {
    .on_accept = proto_on_accept,
    .on_data = proto_on_data,
    .on_drained = proto_on_drained,
    .on_written = proto_on_written,
    .on_timeout = proto_on_timeout,
    .on_close = proto_on_close,
    .tls_pick = server_tls_pick,
};
