#include "handlers/request.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/worker.h"
#include "handlers/access_log.h"
#include "handlers/file_cache.h"
#include "handlers/handler.h"
#include "http/http_response.h"
#include "http/http_status.h"
#include "http/uri.h"

/* Set by main before the worker runs. */
const struct config *request_config;

static const struct cfg_listener *listener_of(const struct conn *c)
{
    return c->listener;
}

static const struct cfg_server *default_server(const struct conn *c)
{
    return listener_of(c)->default_server;
}

static const struct cfg_timeouts *timeouts_of(const struct request *r, const struct conn *c)
{
    if (r && r->loc)
        return &r->loc->timeouts;
    if (r && r->server)
        return &r->server->timeouts;
    return &default_server(c)->timeouts;
}

static struct request *request_new(struct conn *c)
{
    struct request *r = bufpool_get(&c->worker->blocks);
    if (!r)
        return NULL;
    r->conn = c;
    r->cfg = request_config;
    r->head_len = 0;
    r->scanned = 0;
    r->head_bytes = 0;
    r->server = NULL;
    r->loc = NULL;
    r->path[0] = '\0';
    r->path_len = 0;
    r->start_ms = c->worker->loop.now_ms;
    r->has_body = false;
    r->sink = NULL;
    r->big = NULL;
    r->big_pos = r->big_len = 0;
    r->handler_data = NULL;
    r->continue_pending = false;
    r->redirects = 0;
    r->streaming = false;
    r->dir_no_index = false;
    r->async = NULL;
    memset(&r->res, 0, offsetof(struct response, extra));
    r->res.extra_len = 0;
    r->res.body = NULL;
    r->res.body_len = 0;
    r->res.file_fd = -1;
    r->res.close = false;
    r->res.cached = NULL;
    r->res.owned = NULL;
    r->res.content_length = -1;
    c->proto_data = r;
    c->worker->stats->reading++;
    return r;
}

static void request_free(struct conn *c)
{
    struct request *r = c->proto_data;
    if (!r)
        return;
    /* A handler that still holds state (a CGI process, upload files)
     * releases it whichever way the request ends. */
    if (r->handler_data && r->async && r->async->on_abort)
        r->async->on_abort(r);
    if (r->res.file_fd >= 0)
        close(r->res.file_fd);
    file_cache_release(r->res.cached);
    free(r->res.owned);
    free(r->big);
    c->proto_data = NULL;
    bufpool_put(&c->worker->blocks, r);
}

int request_error(struct request *r, int status)
{
    r->res.status = status;
    return HANDLER_DONE;
}

int request_add_header(struct request *r, const char *fmt, ...)
{
    size_t room = sizeof(r->res.extra) - r->res.extra_len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->res.extra + r->res.extra_len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= room)
        return -1;
    r->res.extra_len += (size_t)n;
    memcpy(r->res.extra + r->res.extra_len, "\r\n", 2);
    r->res.extra_len += 2;
    return 0;
}

void request_set_file(struct request *r, int status, int fd, off_t off, off_t len,
                      const char *content_type)
{
    if (r->res.file_fd >= 0)
        close(r->res.file_fd);
    r->res.status = status;
    r->res.file_fd = fd;
    r->res.file_off = off;
    r->res.file_len = len;
    r->res.content_length = len;
    r->res.content_type = content_type;
}

void request_set_body(struct request *r, int status, const char *body, size_t len,
                      const char *content_type)
{
    r->res.status = status;
    r->res.body = body;
    r->res.body_len = len;
    r->res.content_length = (int64_t)len;
    r->res.content_type = content_type;
}

void request_adopt_body(struct request *r, int status, char *body, size_t len,
                        const char *content_type)
{
    free(r->res.owned);
    r->res.owned = body;
    request_set_body(r, status, body, len, content_type);
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

/* ---- error pages ---- */

static const struct cfg_error_page *find_error_page(const struct request *r, int status)
{
    const struct cfg_error_page *pages;
    size_t n;
    if (r->loc) {
        pages = r->loc->error_pages;
        n = r->loc->n_error_pages;
    } else if (r->server) {
        pages = r->server->error_pages;
        n = r->server->n_error_pages;
    } else {
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (pages[i].status == status)
            return &pages[i];
    return NULL;
}

/* The built-in page of a status, made once per worker and kept. */
static const char *builtin_page(int status, size_t *len)
{
    static char *pages[600];
    static size_t lens[600];
    static char fallback[256];
    if (status >= 100 && status < 600 && pages[status]) {
        *len = lens[status];
        return pages[status];
    }
    const char *reason = http_status_reason(status);
    const char *fmt = "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
                      "<body><h1>%d %s</h1><hr><p>portico</p></body></html>\n";
    int n = snprintf(fallback, sizeof(fallback), fmt, status, reason, status, reason);
    *len = n > 0 ? (size_t)n : 0;
    if (status < 100 || status >= 600 || !(pages[status] = strdup(fallback)))
        return fallback;
    lens[status] = *len;
    return pages[status];
}

/* Gives an error or redirect response its body: the configured page with
 * the original status, else a small built-in page. */
static void make_status_body(struct request *r)
{
    int status = r->res.status;
    const struct cfg_error_page *page = find_error_page(r, status);
    if (page) {
        int fd = open(page->path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            request_set_file(r, status, fd, 0, st.st_size, "text/html; charset=utf-8");
            return;
        }
        if (fd >= 0)
            close(fd);
        log_err("error page %s for %d: %s", page->path, status, strerror(errno));
    }
    size_t len;
    const char *builtin = builtin_page(status, &len);
    request_set_body(r, status, builtin, len, "text/html; charset=utf-8");
}

/* ---- response ---- */

static bool has_no_body(int status)
{
    return status == 204 || status == 304 || status < 200;
}

/* Decides keep-alive and queues the response head. */
static void queue_head(struct request *r)
{
    struct conn *c = r->conn;
    struct response *res = &r->res;
    const struct cfg_limits *limits = r->loc ? &r->loc->limits
                                    : r->server ? &r->server->limits
                                                : &default_server(c)->limits;
    /* A body nobody read leaves the framing unknown: close after. */
    bool keep = r->head.keep_alive && !res->close && !r->has_body &&
                c->requests + 1 < limits->keepalive_requests && !c->worker->stopping &&
                !(c->peer_closed && conn_pending(c) <= r->head_len);
    res->close = !keep;

    struct http_response_head h = {
        .status = res->status,
        .date = c->worker->loop.date,
        .content_type = res->content_type,
        .content_length = res->content_length,
        .keep_alive = keep,
        .extra = res->extra,
        .extra_len = res->extra_len,
    };
    size_t head_len = http_response_head_write(r->head_buf, sizeof(r->head_buf), &h);
    if (head_len == 0) {
        /* Headers did not fit: drop the extras rather than fail. */
        h.extra_len = 0;
        head_len = http_response_head_write(r->head_buf, sizeof(r->head_buf), &h);
    }
    conn_queue_mem(c, r->head_buf, head_len);
    /* Counted from here for the access log, which logs the body bytes. */
    c->bytes_sent = 0;
    r->head_bytes = head_len;
    c->worker->stats->reading--;
    c->worker->stats->writing++;
}

void request_respond(struct request *r)
{
    struct conn *c = r->conn;
    struct response *res = &r->res;
    if (res->status == 0)
        res->status = 500;
    bool bodyless = has_no_body(res->status);
    if (!bodyless && res->status >= 300 && !res->body && res->file_fd < 0)
        make_status_body(r);
    if (bodyless) {
        res->content_length = -1;
        res->content_type = NULL;
    }
    queue_head(r);
    if (r->head.method != HTTP_HEAD && !bodyless) {
        if (res->body)
            conn_queue_mem(c, res->body, res->body_len);
        else if (res->file_fd >= 0 && res->file_len > 0) {
            conn_queue_file(c, res->file_fd, res->file_off, res->file_len, true);
            res->file_fd = -1; /* core closes it now */
        }
    }
    conn_start_write(c, timeouts_of(r, c)->send_ms);
}

void request_stream_begin(struct request *r)
{
    struct response *res = &r->res;
    r->streaming = true;
    r->stream_last = false;
    r->stream_chunked = false;
    bool bodyless = has_no_body(res->status) || r->head.method == HTTP_HEAD;
    if (res->content_length < 0 && !bodyless) {
        if (r->head.minor_version >= 1) {
            r->stream_chunked = true;
            request_add_header(r, "Transfer-Encoding: chunked");
        } else {
            res->close = true; /* the end of the body is the end of the connection */
        }
    }
    queue_head(r);
}

void request_stream_write(struct request *r, const char *data, size_t len, bool last)
{
    struct conn *c = r->conn;
    bool send_body = r->head.method != HTTP_HEAD && !has_no_body(r->res.status);
    r->stream_last = last;
    if (send_body && len > 0) {
        if (r->stream_chunked) {
            int n = snprintf(r->chunk_head, sizeof(r->chunk_head), "%zx\r\n", len);
            conn_queue_mem(c, r->chunk_head, (size_t)n);
            conn_queue_mem(c, data, len);
            conn_queue_mem(c, "\r\n", 2);
        } else {
            conn_queue_mem(c, data, len);
        }
    }
    if (send_body && last && r->stream_chunked)
        conn_queue_mem(c, "0\r\n\r\n", 5);
    conn_start_write(c, timeouts_of(r, c)->send_ms);
}

/* ---- routing ---- */

static void add_allow(struct request *r)
{
    char allow[64];
    size_t n = 0;
    for (int m = HTTP_GET; m < HTTP_METHOD_COUNT; m++) {
        if (!(r->loc->methods & HTTP_METHOD_BIT(m)))
            continue;
        n += (size_t)snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "",
                              http_method_name((enum http_method)m));
    }
    request_add_header(r, "Allow: %s", allow);
}

static void run_pipeline(struct request *r)
{
    const struct cfg_location *loc = r->loc;
    for (size_t i = 0; i < loc->n_pipeline; i++) {
        const struct handler *h = handler_get(loc->pipeline[i]);
        /* Set before the call: an async handler may finish (and the
         * request be gone) before on_request returns. */
        r->async = h;
        enum handler_result res = h->on_request(r);
        if (res == HANDLER_ASYNC)
            return; /* r may be freed already */
        r->async = NULL;
        if (res == HANDLER_DECLINED)
            continue;
        request_respond(r);
        return;
    }
    request_error(r, r->dir_no_index ? 403 : 404);
    request_respond(r);
}

void request_internal_redirect(struct request *r, const char *target, size_t len)
{
    struct response *res = &r->res;
    r->async = NULL;
    r->handler_data = NULL;
    res->extra_len = 0;
    res->body = NULL;
    res->content_length = -1;
    res->status = 0;
    if (++r->redirects > REQUEST_MAX_REDIRECTS || len >= sizeof(r->redirect_target)) {
        request_error(r, 500);
        request_respond(r);
        return;
    }
    memcpy(r->redirect_target, target, len);
    r->redirect_target[len] = '\0';
    const char *q = memchr(r->redirect_target, '?', len);
    size_t path_len = q ? (size_t)(q - r->redirect_target) : len;
    r->head.has_query = q != NULL;
    r->head.query = q ? str_make(q + 1, len - path_len - 1) : STR_NULL;
    /* RFC 3875 6.2.2: the new request is a GET of the target, without the
     * body the first one had (it was read already). */
    r->head.method = HTTP_GET;
    r->head.method_str = STR_LIT("GET");
    r->head.content_length = -1;
    r->head.chunked = false;
    r->has_body = false;
    r->dir_no_index = false;
    long n = uri_normalize_path(r->redirect_target, path_len, r->path);
    r->loc = n < 0 ? NULL : cfg_match_location(r->server, r->path, (size_t)n);
    r->path_len = n < 0 ? 0 : (size_t)n;
    if (!r->loc) {
        request_error(r, n < 0 ? 500 : 404);
        request_respond(r);
        return;
    }
    r->conn->state = CONN_HANDLE;
    run_pipeline(r);
}

static void route(struct request *r)
{
    struct conn *c = r->conn;
    const struct http_request_head *h = &r->head;
    r->server = cfg_match_server(listener_of(c), h->host.p, h->host.len);
    r->has_body = h->chunked || h->content_length > 0;

    if (h->path.len >= sizeof(r->path)) {
        request_error(r, 414);
        goto respond;
    }
    long n = uri_normalize_path(h->path.p, h->path.len, r->path);
    if (n < 0) {
        request_error(r, 400);
        goto respond;
    }
    r->path_len = (size_t)n;
    r->loc = cfg_match_location(r->server, r->path, r->path_len);
    if (!r->loc) {
        request_error(r, 404);
        goto respond;
    }
    if (!(r->loc->methods & HTTP_METHOD_BIT(h->method))) {
        add_allow(r);
        request_error(r, 405);
        goto respond;
    }
    if (h->content_length > 0 && (uint64_t)h->content_length > r->loc->limits.body_size) {
        request_error(r, 413);
        goto respond;
    }
    c->state = CONN_HANDLE;
    run_pipeline(r);
    return;
respond:
    request_respond(r);
}

/* ---- the connection protocol ---- */

static void start_head(struct conn *c)
{
    c->state = CONN_READ_HEAD;
    conn_set_timer(c, timeouts_of(NULL, c)->header_ms);
}

static void parse_failed(struct conn *c, struct request *r)
{
    r->server = default_server(c);
    r->res.close = true;
    request_error(r, r->head.error_status ? r->head.error_status : 400);
    log_info("client %s: %s", "request", r->head.error_reason ? r->head.error_reason : "bad");
    request_respond(r);
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

/* Parses and answers the requests in the read buffer, one after the other,
 * as long as each response goes out at once. */
static void dispatch(struct conn *c)
{
    c->in_dispatch = true;
    while (c->state == CONN_READ_HEAD || c->state == CONN_KEEPALIVE) {
        if (conn_pending(c) == 0) {
            ssize_t got = c->readable ? conn_read(c) : 0;
            if (got < 0 && !c->peer_closed) {
                conn_close(c);
                break;
            }
            if (conn_pending(c) == 0) {
                if (c->peer_closed)
                    conn_close(c);
                break;
            }
        }
        if (c->state == CONN_KEEPALIVE) {
            c->worker->stats->idle--;
            start_head(c);
        }
        struct request *r = c->proto_data;
        if (!r) {
            /* A new head may need the whole buffer: move pipelined bytes up. */
            conn_compact(c);
            if (!(r = request_new(c))) {
                conn_close(c);
                break;
            }
        }
        const struct cfg_listener *l = listener_of(c);
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

static void proto_on_data(struct conn *c)
{
    if (c->state == CONN_READ_BODY) {
        request_body_on_data(c->proto_data);
        return;
    }
    if (!c->in_dispatch)
        dispatch(c);
}

static void proto_on_written(struct conn *c)
{
    struct request *r = c->proto_data;
    if (r->continue_pending) {
        request_continue_sent(r);
        return;
    }
    if (r->streaming && !r->stream_last) {
        /* The piece is out: the handler may send the next. */
        c->state = CONN_HANDLE;
        r->async->on_event(r, REQUEST_DRAINED, 0);
        return;
    }
    c->worker->stats->writing--;
    c->worker->stats->requests_total++;
    c->requests++;
    access_log_write(r);
    bool close_after = r->res.close;
    c->rpos += r->head_len;
    request_free(c);
    if (close_after) {
        conn_linger_close(c);
        return;
    }
    c->state = CONN_KEEPALIVE;
    c->worker->stats->idle++;
    const struct cfg_timeouts *t = timeouts_of(NULL, c);
    conn_set_timer(c, t->keepalive_ms);
    if (conn_pending(c) == 0)
        conn_release_buffer(c);
    if (!c->in_dispatch)
        dispatch(c);
}

static void proto_on_timeout(struct conn *c)
{
    struct request *r = c->proto_data;
    if (c->state == CONN_KEEPALIVE || (c->state == CONN_READ_HEAD && conn_pending(c) == 0 && !r)) {
        conn_close(c);
        return;
    }
    if (c->state == CONN_READ_HEAD || c->state == CONN_READ_BODY) {
        if (!r && !(r = request_new(c))) {
            conn_close(c);
            return;
        }
        if (!r->server)
            r->server = default_server(c);
        request_fail(r, 408);
        return;
    }
    conn_close(c);
}

static void proto_on_close(struct conn *c)
{
    struct request *r = c->proto_data;
    if (c->state == CONN_KEEPALIVE)
        c->worker->stats->idle--;
    else if (c->state == CONN_WRITE)
        c->worker->stats->writing--;
    else if (r)
        c->worker->stats->reading--;
    request_free(c);
}

const struct conn_proto request_proto = {
    .on_data = proto_on_data,
    .on_written = proto_on_written,
    .on_timeout = proto_on_timeout,
    .on_close = proto_on_close,
};

void request_on_accept(struct conn *c)
{
    c->state = CONN_READ_HEAD;
    dispatch(c);
}
