/* Reading a request body: Content-Length or chunked framing decoded from
 * the connection's buffer and handed to the handler's sink as it arrives,
 * so memory stays at one read buffer whatever the size. Every gap between
 * reads is bounded by timeouts.body. A body no handler read is drained the
 * same way after the response, so that the connection can stay open. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "server/exchange.h"

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

/* The body bytes not yet decoded start right after the head, which stays
 * in the buffer (its fields point into it) until a stall moves it out. */
static size_t body_offset(const struct request *r)
{
    return r->conn->rpos + (r->head_copy ? 0 : r->head_len);
}

static char *body_start(struct request *r)
{
    return r->conn->rbuf + body_offset(r);
}

static size_t body_avail(struct request *r)
{
    struct conn *c = r->conn;
    return c->rbuf ? c->rlen - body_offset(r) : 0;
}

/* The socket has nothing for now: a body that stalls holds no buffer. The
 * head moves to memory of its own size (the read buffer goes back to the
 * pool) and the big body buffer goes back too once it is drained. */
static void release_buffers(struct request *r)
{
    struct conn *c = r->conn;
    if (r->big && r->big_pos == r->big_len) {
        bufpool_put(&r->srv->bodies, r->big);
        r->big = NULL;
        r->big_pos = r->big_len = 0;
    }
    if (r->head_copy || !c->rbuf || body_avail(r) > 0)
        return;
    /* Without memory the buffer stays: it still works, only costs more. */
    if (request_detach_head(r) == 0)
        conn_release_buffer(c);
}

int request_detach_head(struct request *r)
{
    struct conn *c = r->conn;
    if (r->head_copy)
        return 0;
    char *copy = malloc(r->head_len ? r->head_len : 1);
    if (!copy)
        return -1;
    const char *old = c->rbuf + c->rpos;
    memcpy(copy, old, r->head_len);
    http_head_rebase(&r->head, old, r->head_len, copy);
    r->head_copy = copy;
    c->rpos += r->head_len;
    return 0;
}

/* Drops the decoded bytes; what followed the body (a pipelined request)
 * moves up behind the head. */
static void keep_after_body(struct request *r, const char *rest, size_t n)
{
    char *start = body_start(r);
    if (n && rest != start)
        memmove(start, rest, n);
    r->conn->rlen = (size_t)(start - r->conn->rbuf) + n;
}

void request_fail(struct request *r, int status)
{
    if (r->discarding || r->res.streaming || r->head_bytes) {
        /* The answer is out already: only closing can tell. */
        conn_close(r->conn);
        return;
    }
    if (r->async && r->async->on_abort)
        r->async->on_abort(r);
    r->async = NULL;
    r->sink = NULL;
    r->handler_data = NULL;
    response_reset(r); /* drop whatever a handler had prepared */
    r->res.close = true;
    request_error(r, status);
    response_send(r);
}

/* Offers n bytes to the sink. Returns the count taken, or -status. */
static long deliver(struct request *r, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (r->body_received + n > request_limits(r, r->conn)->body_size)
        return -413;
    long taken = r->sink->write(r, p, n);
    if (taken > 0)
        r->body_received += (uint64_t)taken;
    return taken;
}

static void body_done(struct request *r)
{
    struct conn *c = r->conn;
    conn_cancel_timer(c);
    conn_set_state(c, CONN_BUSY);
    r->has_body = false; /* the framing is known again: keep-alive is possible */
    const struct body_sink *sink = r->sink;
    r->sink = NULL;
    sink->finish(r);
}

/* A Content-Length body past what came with the head is read straight
 * into a larger buffer of the request's, never beyond the body's end, so a
 * big upload costs few system calls and the pipelined bytes after it stay
 * in the connection's buffer. */
static int consume_big(struct request *r)
{
    size_t n = r->big_len - r->big_pos;
    long taken = deliver(r, r->big + r->big_pos, n);
    if (taken < 0) {
        request_fail(r, (int)-taken);
        return -1;
    }
    r->big_pos += (size_t)taken;
    r->body_left -= (uint64_t)taken;
    if ((size_t)taken < n)
        return 2;
    r->big_pos = r->big_len = 0;
    return r->body_left == 0;
}

static ssize_t read_body(struct request *r)
{
    struct conn *c = r->conn;
    /* A drained body goes through the connection's buffer: it is thrown
     * away, so a bigger buffer would only cost memory. */
    if (r->head.chunked || body_avail(r) > 0 || r->discarding)
        return conn_read(c);
    if (!r->big && !(r->big = bufpool_get(&r->srv->bodies)))
        return conn_read(c);
    size_t want = r->body_left < REQUEST_BIG_BODY_BUF ? (size_t)r->body_left
                                                       : REQUEST_BIG_BODY_BUF;
    ssize_t n = conn_recv(c, r->big, want);
    if (n > 0) {
        r->big_pos = 0;
        r->big_len = (size_t)n;
    }
    return n;
}

/* Offers the decoded bytes waiting at the body's start (a sink took
 * fewer last time). Returns 0 when all were taken, 2 when the sink is
 * still full, -1 after the request was failed. */
static int deliver_decoded(struct request *r)
{
    char *p = body_start(r);
    long taken = deliver(r, p, r->chunk_ready);
    if (taken < 0) {
        request_fail(r, (int)-taken);
        return -1;
    }
    r->chunk_ready -= (size_t)taken;
    keep_after_body(r, p + taken, body_avail(r) - (size_t)taken);
    return r->chunk_ready ? 2 : 0;
}

/* Decodes a chunked body. Returns as consume() does. The decoded bytes a
 * sink does not take wait at the body's start (chunk_ready) for the next
 * offer; what followed the body comes after them. */
static int consume_chunked(struct request *r)
{
    if (r->chunk_ready) {
        int rc = deliver_decoded(r);
        if (rc)
            return rc;
        if (r->chunk_done)
            return 1;
    }
    char *p = body_start(r);
    size_t len = body_avail(r);
    ssize_t rest = http_chunked_decode(&r->chunked, p, &len);
    if (rest == HTTP_CHUNKED_ERROR) {
        request_fail(r, 400);
        return -1;
    }
    long taken = deliver(r, p, len);
    if (taken < 0) {
        request_fail(r, (int)-taken);
        return -1;
    }
    r->chunk_ready = len - (size_t)taken;
    r->chunk_done = rest >= 0;
    keep_after_body(r, p + taken, r->chunk_ready + (rest > 0 ? (size_t)rest : 0));
    if (r->chunk_ready)
        return 2;
    return rest >= 0;
}

/* Decodes what is buffered. Returns 1 when the body is complete, 0 when
 * more is needed, 2 when the sink is full (paused), -1 after the request
 * was failed. */
static int consume(struct request *r)
{
    if (!r->conn->rbuf) /* after a stall: the bytes are in the big buffer, or not here yet */
        return r->big_pos < r->big_len ? consume_big(r) : 0;
    if (r->head.chunked)
        return consume_chunked(r);
    char *p = body_start(r);
    size_t avail = body_avail(r);
    if (avail == 0 && r->big_pos < r->big_len)
        return consume_big(r);
    size_t n = avail < r->body_left ? avail : (size_t)r->body_left;
    long taken = deliver(r, p, n);
    if (taken < 0) {
        request_fail(r, (int)-taken);
        return -1;
    }
    r->body_left -= (uint64_t)taken;
    keep_after_body(r, p + taken, avail - (size_t)taken);
    if ((size_t)taken < n)
        return 2;
    return r->body_left == 0;
}

void request_body_on_data(struct request *r)
{
    struct conn *c = r->conn;
    for (;;) {
        int done = consume(r);
        if (done < 0)
            return;
        if (done == 2) {
            /* The sink is full: stop reading until it asks again. */
            conn_set_state(c, CONN_BUSY);
            conn_cancel_timer(c);
            return;
        }
        if (done) {
            body_done(r);
            return;
        }
        ssize_t n = c->readable ? read_body(r) : 0;
        if (n < 0) {
            /* The client went away mid-body: nothing is kept. */
            conn_close(c);
            return;
        }
        if (n == 0) {
            release_buffers(r);
            break;
        }
    }
    conn_set_timer(c, request_timeouts(r, c)->body_ms);
}

static void start_body(struct request *r, const struct body_sink *sink)
{
    r->sink = sink;
    r->body_received = 0;
    r->body_left = r->head.content_length > 0 ? (uint64_t)r->head.content_length : 0;
    r->chunk_ready = 0;
    r->chunk_done = false;
    http_chunked_init(&r->chunked);
    conn_set_state(r->conn, CONN_READING);
}

enum handler_result request_read_body(struct request *r, const struct body_sink *sink)
{
    struct conn *c = r->conn;
    start_body(r, sink);
    if (!r->has_body) {
        body_done(r);
        return HANDLER_ASYNC;
    }
    if (r->head.expect_continue && body_avail(r) == 0) {
        r->continue_pending = true;
        if (outq_mem(&c->out, continue_line, sizeof(continue_line) - 1) < 0) {
            conn_close(c);
            return HANDLER_ASYNC;
        }
        conn_write(c, request_timeouts(r, c)->send_ms);
        return HANDLER_ASYNC;
    }
    request_body_on_data(r);
    return HANDLER_ASYNC;
}

void request_body_resume(struct request *r)
{
    conn_set_state(r->conn, CONN_READING);
    request_body_on_data(r);
}

void request_continue_sent(struct request *r)
{
    r->continue_pending = false;
    conn_set_state(r->conn, CONN_READING);
    request_body_on_data(r);
}

/* ---- draining a body nobody read ---- */

static long discard_write(struct request *r, const char *data, size_t len)
{
    return (long)len;
}

static void discard_finish(struct request *r)
{
    exchange_finish(r->conn);
}

static const struct body_sink discard_sink = {discard_write, discard_finish};

bool request_body_discardable(const struct request *r)
{
    /* A client waiting for 100 Continue may never send the body: closing
     * is the only clear answer then. A known length was checked against
     * body_size by route; a chunked one is checked as it comes. */
    return !r->head.expect_continue;
}

bool request_discard_body(struct request *r)
{
    if (!r->has_body)
        return false;
    r->discarding = true;
    start_body(r, &discard_sink);
    request_body_on_data(r);
    return true;
}
