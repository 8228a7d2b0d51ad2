/* The bytes of a proxied request: the head and body to the upstream (the
 * body as it arrives, with back-pressure both ways), the response head
 * back (parsed, 1xx skipped, hop-by-hop headers dropped), the body to the
 * client a piece at a time (the upstream is read only once the client took
 * the last piece), and a WebSocket's tunnel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "handlers/proxy_state.h"
#include "lib/ascii.h"

/* ---- to the upstream ---- */

/* Writes out[out_pos..]; returns 1 when all is out, 0 when the socket is
 * full, -1 after a fault (reported). */
static int flush_out(struct proxy *p)
{
    struct upstream_conn *uc = p->uc;
    while (p->out_pos < p->out.len) {
        ssize_t n = send(uc->io.fd, p->out.p + p->out_pos, p->out.len - p->out_pos, MSG_NOSIGNAL);
        if (n > 0) {
            p->out_pos += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            uc->writable = false;
            /* Keep what is left at the front: out stays within its bound. */
            memmove(p->out.p, p->out.p + p->out_pos, p->out.len - p->out_pos);
            p->out.len -= p->out_pos;
            p->out_pos = 0;
            return 0;
        }
        int err = n < 0 ? errno : 0;
        /* Nothing ever went out on a new connection: it was never made. */
        bool never = p->out_pos == 0 && !uc->reused;
        proxy_fault(p, never ? FAULT_CONNECT : FAULT_IO, err);
        return -1;
    }
    p->out.len = p->out_pos = 0;
    return 1;
}

static void wait_response(struct proxy *p)
{
    p->phase = PROXY_WAIT;
    upstream_conn_timer(p->uc, p->r->loc->timeouts.upstream_ms);
    if (!p->buf && !(p->buf = proxy_buf_get())) {
        proxy_fault(p, FAULT_IO, ENOMEM);
        return;
    }
    p->pos = p->len = 0;
    proxy_read_head(p);
}

void proxy_send(struct proxy *p)
{
    int rc = flush_out(p);
    if (rc < 0)
        return;
    if (rc == 0) {
        upstream_conn_timer(p->uc, p->r->loc->timeouts.upstream_ms);
        return;
    }
    if (p->body_done) {
        wait_response(p);
        return;
    }
    upstream_conn_timer(p->uc, 0); /* the client's pace now: timeouts.body */
    if (p->body_paused) {
        p->body_paused = false;
        request_body_resume(p->r);
    }
}

/* A copy of the body bytes as framed for the upstream, while they fit, so
 * that a retry on another server can send them again. */
static void keep_for_replay(struct proxy *p, const char *bytes, size_t n)
{
    if (p->replay_lost)
        return;
    if (p->replay.len + n > PROXY_REPLAY_MAX) {
        p->replay_lost = true;
        strbuf_free(&p->replay);
        return;
    }
    strbuf_append(&p->replay, bytes, n);
    p->replay_lost = p->replay.failed;
}

/* The client's body, decoded by the server; re-framed as the client sent
 * it (Content-Length as is, chunked as chunks). */
static long sink_write(struct request *r, const char *data, size_t len)
{
    struct proxy *p = r->handler_data;
    /* out holds at most PROXY_OUT_MAX: what waits, this piece, its framing. */
    size_t waiting = p->out.len - p->out_pos, framing = 32;
    if (p->phase != PROXY_SEND || waiting + framing >= PROXY_OUT_MAX) {
        p->body_paused = true;
        return 0;
    }
    size_t room = PROXY_OUT_MAX - waiting - framing;
    size_t n = len < room ? len : room;
    p->body_paused = n < len; /* the server pauses the body on a short take */
    size_t from = p->out.len;
    if (r->head.chunked)
        strbuf_printf(&p->out, "%zx\r\n", n);
    strbuf_append(&p->out, data, n);
    if (r->head.chunked)
        strbuf_puts(&p->out, "\r\n");
    if (p->out.failed)
        return -500;
    p->body_taken = true;
    keep_for_replay(p, p->out.p + from, p->out.len - from);
    /* Written from the loop: inside the sink, a failure would answer the
     * request under the caller's feet, and a resume would read the client
     * again before this call returns. */
    loop_timer_in(request_loop(r), &p->kick, 0);
    return (long)n;
}

static void sink_finish(struct request *r)
{
    struct proxy *p = r->handler_data;
    p->body_done = true;
    if (r->head.chunked) {
        strbuf_puts(&p->out, "0\r\n\r\n");
        keep_for_replay(p, "0\r\n\r\n", 5);
    }
    loop_timer_in(request_loop(r), &p->kick, 0);
}

const struct body_sink proxy_sink = {sink_write, sink_finish};

/* ---- from the upstream ---- */

/* Reads what the socket has into buf[len..]. Returns the bytes read, 0
 * when none now, -1 at its end (p->eof) or on an error. */
static ssize_t read_up(struct proxy *p)
{
    struct upstream_conn *uc = p->uc;
    if (p->len == PROXY_BUF || !uc->readable)
        return 0; /* no room, or nothing came since the socket was drained */
    for (;;) {
        size_t room = PROXY_BUF - p->len;
        ssize_t n = recv(uc->io.fd, p->buf + p->len, room, 0);
        if (n > 0) {
            p->len += (size_t)n;
            p->got_byte = true;
            /* A short read drained the socket: the next byte brings a new
             * edge (but a FIN seen already brings none: read on to it). */
            if ((size_t)n < room && !uc->rdhup)
                uc->readable = false;
            return n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            uc->readable = false;
            return 0;
        }
        p->eof = true;
        uc->peer_closed = true;
        return -1;
    }
}

/* Headers of the response not passed to the client: hop-by-hop ones (and
 * those its Connection names), the framing (ours is set anew), and Date
 * and Server (ours are sent). */
static bool resp_dropped(const struct proxy *p, struct str name)
{
    static const char *const drop[] = {"connection", "keep-alive",        "proxy-connection",
                                       "te",         "trailer",           "transfer-encoding",
                                       "date",       "server",            "content-length",
                                       NULL};
    for (size_t i = 0; drop[i]; i++)
        if (name.len == strlen(drop[i]) && ascii_case_eq(name.p, drop[i], name.len))
            return true;
    if (STR_CASE_EQ(name, "upgrade")) /* for a WebSocket, though Connection names it */
        return !(p->resp.upgrade && p->websocket);
    return http_headers_connection_names(p->resp.headers, p->resp.num_headers, name);
}

static void tunnel_start(struct proxy *p);

/* No more body bytes to wait for: none at all (HEAD, 204, 304), or all of
 * a Content-Length (0 included) passed on. */
static bool body_over(const struct proxy *p)
{
    return p->resp.body == HTTP_BODY_NONE || (p->resp.body == HTTP_BODY_LENGTH && p->left == 0);
}

/* The head is in: status and headers go to the client, then the body. */
static void start_response(struct proxy *p, size_t head_len)
{
    struct request *r = p->r;
    const struct http_response_in *h = &p->resp;
    upstream_conn_timer(p->uc, 0);
    r->upstream_us = loop_clock_us() - p->t0_us;
    response_set_status(r, h->status);
    for (size_t i = 0; i < h->num_headers; i++) {
        if (resp_dropped(p, h->headers[i].name))
            continue;
        if (response_add_header_pair(r, h->headers[i].name.p, h->headers[i].name.len,
                                     h->headers[i].value.p, h->headers[i].value.len) < 0) {
            /* Never a response with some of its headers missing. */
            log_err("upstream %s: response headers over %d bytes", p->g->def.servers[p->server].text,
                    REQUEST_EXTRA_BUF);
            proxy_fault(p, FAULT_INVALID, 0);
            return;
        }
    }
    p->pos = head_len;
    if (h->status == 101) {
        tunnel_start(p);
        return;
    }
    p->left = h->content_length;
    http_chunked_init(&p->dechunk);
    /* A known length is passed on (a HEAD or 304 one too); otherwise ours
     * is chunked, or the close for HTTP/1.0 clients. */
    response_set_length(r, h->has_content_length && h->body != HTTP_BODY_CHUNKED
                               ? (int64_t)h->content_length
                               : -1);
    p->phase = PROXY_BODY;
    /* Body bytes came with the head (or there is no body): the head goes
     * out with the first piece, in one write. Else now, and on_drained
     * asks for the body. */
    bool body_now = p->pos < p->len || body_over(p);
    p->head_out = !body_now;
    p->writing = !body_now;
    response_stream_begin(r, body_now);
    if (body_now)
        proxy_pass(p);
}

void proxy_read_head(struct proxy *p)
{
    for (;;) {
        long n = http_parse_response(p->buf + p->pos, p->len - p->pos, PROXY_BUF,
                                     p->r->head.method == HTTP_HEAD, &p->resp);
        if (n == HTTP_PARSE_ERROR) {
            log_err("upstream %s: %s", p->g->def.servers[p->server].text,
                    p->resp.error_reason ? p->resp.error_reason : "invalid response head");
            proxy_fault(p, FAULT_INVALID, 0);
            return;
        }
        if (n >= 0 && p->resp.status < 200 && p->resp.status != 101) {
            p->pos += (size_t)n; /* an interim 1xx: skipped */
            continue;
        }
        if (n >= 0) {
            start_response(p, p->pos + (size_t)n);
            return;
        }
        if (p->pos) { /* move what is left to the front */
            memmove(p->buf, p->buf + p->pos, p->len - p->pos);
            p->len -= p->pos;
            p->pos = 0;
        }
        ssize_t got = read_up(p);
        if (got == 0)
            return;
        if (got < 0) {
            proxy_fault(p, FAULT_IO, 0);
            return;
        }
    }
}

/* The next piece of body in buf[pos..len), framed as the upstream sent
 * it: *last when the body ends with it; -1 on a chunked coding error. */
static int next_piece(struct proxy *p, const char **data, size_t *n, bool *last)
{
    char *at = p->buf + p->pos;
    size_t avail = p->len - p->pos;
    *data = at;
    *last = false;
    switch (p->resp.body) {
    case HTTP_BODY_NONE:
        *n = 0;
        *last = true;
        return 0;
    case HTTP_BODY_LENGTH:
        *n = avail < p->left ? avail : (size_t)p->left;
        p->left -= *n;
        p->pos += *n;
        *last = p->left == 0;
        return 0;
    case HTTP_BODY_CLOSE:
        *n = avail;
        p->pos = p->len;
        *last = p->eof;
        return 0;
    case HTTP_BODY_CHUNKED:
        break;
    }
    size_t len = avail;
    ssize_t rest = http_chunked_decode(&p->dechunk, at, &len);
    if (rest == HTTP_CHUNKED_ERROR)
        return -1;
    *n = len;
    p->pos = p->len; /* decoded in place; anything after the body is dropped */
    *last = rest >= 0;
    p->resp.keep_alive &= rest <= 0; /* extra bytes: not a clean connection */
    return 0;
}

void proxy_pass(struct proxy *p)
{
    if (p->phase != PROXY_BODY || p->writing)
        return;
    for (;;) {
        if (p->pos == p->len && !body_over(p)) {
            p->pos = p->len = 0;
            ssize_t got = p->eof ? -1 : read_up(p);
            if (got == 0 && !p->head_out) {
                /* Only a chunk header came with the head: the head goes now. */
                p->head_out = p->writing = true;
                response_stream_flush(p->r);
                return;
            }
            if (got == 0) {
                upstream_conn_timer(p->uc, p->r->loc->timeouts.upstream_ms);
                return;
            }
            if (got > 0) /* not silent: waiting for a slow client is not its silence */
                upstream_conn_timer(p->uc, 0);
            if (got < 0 && p->resp.body != HTTP_BODY_CLOSE) {
                log_err("upstream %s: closed the connection in the middle of a response",
                        p->g->def.servers[p->server].text);
                upstream_report(p->g, p->server, false, request_loop(p->r)->now_ms);
                request_fail(p->r, 502); /* after the head: the client sees the cut */
                return;
            }
        }
        const char *data;
        size_t n;
        bool last;
        if (next_piece(p, &data, &n, &last) < 0) {
            log_err("upstream %s: bad chunked body", p->g->def.servers[p->server].text);
            request_fail(p->r, 502);
            return;
        }
        if (n == 0 && !last)
            continue;
        struct request *r = p->r;
        p->head_out = true;
        if (last)
            proxy_upstream_done(p, p->resp.keep_alive && p->pos == p->len);
        else
            p->writing = true;
        response_stream_write(r, data, n, last); /* last: r and p may be gone */
        return;
    }
}

/* ---- a WebSocket: a byte tunnel both ways ---- */

/* The client's bytes straight to the upstream; what does not fit now
 * pauses the client until the upstream socket drains. */
static size_t from_client(struct request *r, const char *data, size_t len)
{
    struct proxy *p = r->handler_data;
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(p->uc->io.fd, data + done, len - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            p->uc->writable = false;
            p->body_paused = true;
            break;
        }
        request_fail(r, 502); /* the upstream is gone: so is the tunnel */
        return 0;
    }
    p->heard_client_ms = request_loop(r)->now_ms;
    return done;
}

static const struct tunnel_ops tunnel_ops = {from_client};

/* The tunnel ends when either side stays silent for timeouts.upstream
 * (CONFIG.md). Arrivals only stamp the time; the timer, when it fires,
 * ends the tunnel or runs again to the older side's deadline. */
static bool tunnel_idle(struct proxy *p)
{
    uint64_t now = request_loop(p->r)->now_ms, t = p->r->loc->timeouts.upstream_ms;
    uint64_t oldest = p->heard_client_ms < p->heard_upstream_ms ? p->heard_client_ms
                                                                : p->heard_upstream_ms;
    if (now - oldest >= t)
        return true;
    upstream_conn_timer(p->uc, (uint32_t)(oldest + t - now));
    return false;
}

static void tunnel_start(struct proxy *p)
{
    p->phase = PROXY_TUNNEL;
    p->writing = false;
    p->heard_client_ms = p->heard_upstream_ms = request_loop(p->r)->now_ms;
    upstream_conn_timer(p->uc, p->r->loc->timeouts.upstream_ms);
    request_tunnel(p->r, &tunnel_ops); /* the 101 head goes out */
}

/* The upstream's bytes to the client, one buffer at a time; and the
 * client resumed once the upstream can take its bytes again. */
void proxy_tunnel_ready(struct proxy *p)
{
    struct request *r = p->r;
    if (p->body_paused && p->uc->writable) {
        p->body_paused = false;
        request_tunnel_resume(r);
        if (r->handler_data != p)
            return;
    }
    if (p->writing)
        return;
    if (p->pos == p->len) {
        p->pos = p->len = 0;
        ssize_t got = read_up(p);
        if (got < 0) {
            request_fail(r, 502); /* the upstream closed: the tunnel ends */
            return;
        }
        if (got == 0)
            return;
        p->heard_upstream_ms = request_loop(r)->now_ms;
    }
    size_t n = p->len - p->pos;
    const char *data = p->buf + p->pos;
    p->pos = p->len;
    p->writing = true;
    request_tunnel_write(r, data, n);
}

/* ---- the connection's events ---- */

static void on_ready(struct upstream_conn *uc, uint32_t events)
{
    struct proxy *p = uc->owner;
    switch (p->phase) {
    case PROXY_CONNECT:
        if (uc->connecting)
            return;
        if (upstream_conn_error(uc)) {
            proxy_fault(p, FAULT_CONNECT, upstream_conn_error(uc));
            return;
        }
        p->phase = PROXY_SEND;
        proxy_send(p);
        return;
    case PROXY_SEND:
        if (uc->writable)
            proxy_send(p);
        return;
    case PROXY_WAIT:
        proxy_read_head(p);
        return;
    case PROXY_BODY:
        proxy_pass(p);
        return;
    case PROXY_TUNNEL:
        proxy_tunnel_ready(p);
        return;
    }
}

static void on_timeout(struct upstream_conn *uc)
{
    struct proxy *p = uc->owner;
    if (p->phase == PROXY_TUNNEL && !tunnel_idle(p))
        return;
    if (p->phase == PROXY_TUNNEL) {
        log_info("upstream %s: WebSocket silent for timeouts.upstream on one side: closed",
                 p->g->def.servers[p->server].text);
        request_fail(p->r, 504); /* the head is out: this closes the connection */
        return;
    }
    if (p->phase == PROXY_BODY) {
        log_err("upstream %s: silent for longer than timeouts.upstream",
                p->g->def.servers[p->server].text);
        request_fail(p->r, 504); /* the head is out: this closes the connection */
        return;
    }
    proxy_fault(p, p->phase == PROXY_CONNECT ? FAULT_CONNECT : FAULT_TIMEOUT, ETIMEDOUT);
}

const struct upstream_conn_ops proxy_conn_ops = {on_ready, on_timeout};
