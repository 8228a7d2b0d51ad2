/* The response API: what handlers set, and how it is queued on the
 * connection (head, then a memory body, a file range or a stream). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/http_response.h"
#include "http/mime.h"
#include "server/compress.h"
#include "server/exchange.h"

void response_init(struct request *r)
{
    struct response *res = &r->res;
    res->status = 0;
    res->content_type = NULL;
    res->content_length = -1;
    res->extra_len = 0;
    res->body = NULL;
    res->body_len = 0;
    res->file_fd = -1;
    res->file_off = res->file_len = 0;
    res->close = false;
    res->release = NULL;
    res->release_arg = NULL;
    res->owned = NULL;
    res->from_file = res->streaming = res->chunked = false;
    res->filters = NULL;
}

/* Gives back what the body holds: an fd, a reference, adopted memory. */
static void release_body(struct response *res)
{
    if (res->file_fd >= 0)
        close(res->file_fd);
    res->file_fd = -1;
    if (res->release)
        res->release(res->release_arg);
    res->release = NULL;
    free(res->owned);
    res->owned = NULL;
    res->body = NULL;
}

void response_reset(struct request *r)
{
    release_body(&r->res);
    bool close = r->res.close; /* a decided close stays decided */
    response_init(r);
    r->res.close = close;
}

enum handler_result request_error(struct request *r, int status)
{
    r->res.status = status;
    return HANDLER_DONE;
}

void response_set_status(struct request *r, int status)
{
    r->res.status = status;
}

void response_set_length(struct request *r, int64_t len)
{
    r->res.content_length = len;
}

void response_close_after(struct request *r)
{
    r->res.close = true;
}

/* The response's header buffer, taken from the pool on first use. */
static char *head_room(struct request *r)
{
    if (!r->res.buf)
        r->res.buf = bufpool_get(&r->srv->heads);
    return r->res.buf;
}

int response_add_header(struct request *r, const char *fmt, ...)
{
    char *extra = head_room(r);
    if (!extra)
        return -1;
    size_t room = REQUEST_EXTRA_BUF - r->res.extra_len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(extra + r->res.extra_len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= room)
        return -1;
    r->res.extra_len += (size_t)n;
    memcpy(extra + r->res.extra_len, "\r\n", 2);
    r->res.extra_len += 2;
    return 0;
}

int response_add_header_pair(struct request *r, const char *name, size_t name_len,
                             const char *value, size_t value_len)
{
    char *extra = head_room(r);
    if (!extra)
        return -1;
    size_t need = name_len + 2 + value_len + 2;
    if (need >= REQUEST_EXTRA_BUF - r->res.extra_len)
        return -1;
    char *at = extra + r->res.extra_len;
    memcpy(at, name, name_len);
    memcpy(at + name_len, ": ", 2);
    memcpy(at + name_len + 2, value, value_len);
    memcpy(at + name_len + 2 + value_len, "\r\n", 2);
    r->res.extra_len += need;
    return 0;
}

void response_set_file(struct request *r, int status, int fd, off_t off, off_t len,
                       const char *content_type)
{
    release_body(&r->res);
    r->res.status = status;
    r->res.file_fd = fd;
    r->res.file_off = off;
    r->res.file_len = len;
    r->res.content_length = len;
    r->res.content_type = content_type;
    r->res.from_file = true;
}

void response_set_body(struct request *r, int status, const char *body, size_t len,
                       const char *content_type)
{
    r->res.status = status;
    r->res.body = body;
    r->res.body_len = len;
    r->res.content_length = (int64_t)len;
    r->res.content_type = content_type;
    r->res.from_file = false;
}

void response_set_body_ref(struct request *r, int status, const char *body, size_t len,
                           const char *content_type, void (*release)(void *), void *arg)
{
    release_body(&r->res);
    r->res.release = release;
    r->res.release_arg = arg;
    response_set_body(r, status, body, len, content_type);
    r->res.from_file = true;
}

void response_adopt_body(struct request *r, int status, char *body, size_t len,
                         const char *content_type)
{
    release_body(&r->res);
    r->res.owned = body;
    response_set_body(r, status, body, len, content_type);
}

/* ---- sending ---- */

static bool has_no_body(int status)
{
    return status == 204 || status == 304 || status < 200;
}

/* Whether the connection can serve another request after this one. */
static bool keep_alive(const struct request *r)
{
    const struct conn *c = r->conn;
    return r->head.keep_alive && !r->res.close &&
           (!r->has_body || request_body_discardable(r)) &&
           c->requests + 1 < request_limits(r, c)->keepalive_requests && !c->set->stopping &&
           !(c->peer_closed && conn_pending(c) <= r->head_len);
}

/* What follows "; charset=" after the type, or NULL (request.h says when). */
static const char *head_charset(const struct request *r)
{
    const char *name = r->loc      ? r->loc->charset
                       : r->server ? r->server->charset
                                   : default_server(r->conn)->charset;
    if (!name || !mime_type_takes_charset(r->res.content_type))
        return NULL;
    if (r->res.from_file || strcasecmp(name, "utf-8") == 0)
        return name;
    return "utf-8";
}

/* Decides keep-alive and queues the response head. Returns 0 or -1. */
static int queue_head(struct request *r)
{
    struct conn *c = r->conn;
    struct response *res = &r->res;
    char *extra = head_room(r);
    if (!extra)
        return -1;
    char *head = extra + REQUEST_EXTRA_BUF;
    bool keep = keep_alive(r);
    res->close = !keep;
    struct http_response_head h = {
        .status = res->status,
        .date = server_date(r->srv, c->set->loop->now_wall),
        .content_type = res->content_type,
        .charset = head_charset(r),
        .content_length = res->content_length,
        .keep_alive = keep,
        .upgrade = res->status == 101,
        .extra = extra,
        .extra_len = res->extra_len,
    };
    size_t head_len = http_response_head_write(head, REQUEST_HEAD_BUF, &h);
    if (head_len == 0) {
        /* Headers did not fit: drop the extras rather than fail. */
        h.extra_len = 0;
        head_len = http_response_head_write(head, REQUEST_HEAD_BUF, &h);
    }
    /* Counted from here for the access log, which logs the body bytes. */
    c->bytes_sent = 0;
    r->head_bytes = head_len;
    c->set->stats->responses[STATS_CLASS(res->status)]++;
    return outq_mem(&c->out, head, head_len);
}

static bool sends_body(const struct request *r)
{
    return r->head.method != HTTP_HEAD && !has_no_body(r->res.status);
}

/* Queues the body prepared in the response. Returns 0 or -1. */
static int queue_body(struct request *r)
{
    struct response *res = &r->res;
    struct outq *q = &r->conn->out;
    if (!sends_body(r))
        return 0;
    if (res->body)
        return outq_mem(q, res->body, res->body_len);
    if (res->file_fd >= 0 && res->file_len > 0) {
        int fd = res->file_fd;
        res->file_fd = -1; /* the queue closes it now */
        return outq_file(q, fd, res->file_off, res->file_len, true);
    }
    return 0;
}

void response_send(struct request *r)
{
    struct conn *c = r->conn;
    struct response *res = &r->res;
    if (res->status == 0)
        res->status = 500;
    bool bodyless = has_no_body(res->status);
    if (!bodyless && res->status >= 300 && !res->body && res->file_fd < 0)
        error_page_body(r);
    /* Vary for a listed type (a 304's too), and maybe gzip. */
    bool gzip = compress_prepare(r);
    if (bodyless) {
        res->content_length = -1;
        res->content_type = NULL;
    }
    if (gzip) {
        compress_send(r);
        return;
    }
    if (queue_head(r) < 0 || queue_body(r) < 0) {
        conn_close(c); /* the queue is bounded: nothing sensible can go out */
        return;
    }
    conn_write(c, request_timeouts(r, c)->send_ms);
}

/* ---- streaming ---- */

void response_stream_begin(struct request *r, bool body_now)
{
    struct response *res = &r->res;
    res->streaming = true;
    res->chunked = false;
    if (!r->gz) /* compress_send prepared it already */
        compress_prepare(r);
    if (res->content_length < 0 && sends_body(r)) {
        if (r->head.minor_version >= 1) {
            res->chunked = true;
            response_add_header(r, "Transfer-Encoding: chunked");
        } else {
            res->close = true; /* the end of the body is the end of the connection */
        }
    }
    if (queue_head(r) < 0 || outq_stream_open(&r->conn->out) < 0) {
        conn_close(r->conn);
        return;
    }
    /* The head goes out now: a source that works long before its first
     * body byte has the client see the status meanwhile. */
    if (!body_now)
        conn_write(r->conn, request_timeouts(r, r->conn)->send_ms);
}

int response_queue_piece(struct request *r, const char *data, size_t len, bool last, bool copy)
{
    struct outq *q = &r->conn->out;
    int (*put)(struct outq *, const void *, size_t) = copy ? outq_copy : outq_mem;
    if (len > 0 && r->res.chunked) {
        char size_line[24];
        int n = snprintf(size_line, sizeof(size_line), "%zx\r\n", len);
        if (outq_copy(q, size_line, (size_t)n) < 0 || put(q, data, len) < 0 ||
            outq_mem(q, "\r\n", 2) < 0)
            return -1;
    } else if (put(q, data, len) < 0) {
        return -1;
    }
    if (last && r->res.chunked && outq_mem(q, "0\r\n\r\n", 5) < 0)
        return -1;
    if (last)
        outq_stream_close(q);
    return 0;
}

int response_filter_next(struct response_filter *f, struct request *r, const char *p,
                         size_t len, bool last)
{
    if (f->next)
        return f->next->write(f->next, r, p, len, last);
    return response_queue_piece(r, p, len, last, false);
}

void response_add_filter(struct request *r, struct response_filter *f)
{
    f->next = r->res.filters;
    r->res.filters = f;
}

int response_stream_write(struct request *r, const char *data, size_t len, bool last)
{
    struct conn *c = r->conn;
    int rc = 0;
    if (!sends_body(r)) {
        if (last)
            outq_stream_close(&c->out);
    } else if (r->res.filters) {
        rc = r->res.filters->write(r->res.filters, r, data, len, last);
    } else {
        rc = response_queue_piece(r, data, len, last, false);
    }
    if (rc < 0) {
        conn_close(c);
        return -1;
    }
    conn_write(c, request_timeouts(r, c)->send_ms);
    return 0;
}

void response_stream_flush(struct request *r)
{
    conn_write(r->conn, request_timeouts(r, r->conn)->send_ms);
}

/* ---- a tunnel ---- */

void request_tunnel(struct request *r, const struct tunnel_ops *ops)
{
    struct conn *c = r->conn;
    r->tunnel = ops;
    r->res.close = true; /* when it ends, so does the connection */
    /* The head leaves the buffer: what follows it is the tunnel's. */
    if (request_detach_head(r) < 0 || queue_head(r) < 0) {
        conn_close(c);
        return;
    }
    conn_cancel_timer(c); /* the handler bounds the silence */
    conn_set_state(c, CONN_TUNNEL);
    conn_tunnel_write(c);
    if (c->state == CONN_TUNNEL)
        conn_tunnel_resume(c);
}

int request_tunnel_write(struct request *r, const char *data, size_t len)
{
    if (outq_mem(&r->conn->out, data, len) < 0) {
        conn_close(r->conn);
        return -1;
    }
    conn_tunnel_write(r->conn);
    return 0;
}

void request_tunnel_resume(struct request *r)
{
    conn_tunnel_resume(r->conn);
}
