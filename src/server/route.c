/* Routing: Host -> server, path -> location, the method and size checks,
 * then the location's pipeline, whose first handler that does not decline
 * answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/exchange.h"

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
    response_add_header(r, "Allow: %s", allow);
}

static void run_pipeline(struct request *r)
{
    const struct cfg_location *loc = r->loc;
    conn_set_state(r->conn, CONN_BUSY);
    for (size_t i = 0; i < loc->n_pipeline; i++) {
        const struct handler *h = handler_of(loc->pipeline[i].handler);
        r->settings = loc->pipeline[i].settings;
        /* Set before the call: an async handler may finish (and the
         * request be gone) before on_request returns. */
        r->async = h;
        enum handler_result res = h->on_request(r);
        if (res == HANDLER_ASYNC)
            return; /* r may be freed already */
        r->async = NULL;
        if (res == HANDLER_DECLINED)
            continue;
        response_send(r);
        return;
    }
    request_error(r, r->dir_no_index ? 403 : 404);
    response_send(r);
}

void request_internal_redirect(struct request *r, const char *target, size_t len)
{
    r->async = NULL;
    r->handler_data = NULL;
    response_reset(r);
    char *copy = ++r->redirects <= REQUEST_MAX_REDIRECTS ? malloc(len + 1) : NULL;
    if (copy)
        memcpy(copy, target, len);
    free(r->redirect_target); /* after the copy: target may be the last one */
    r->redirect_target = copy;
    if (!copy) {
        request_error(r, 500);
        response_send(r);
        return;
    }
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
    bool nomem;
    long n = request_set_path(r, r->redirect_target, path_len, &nomem);
    r->loc = n < 0 ? NULL : cfg_match_location(r->server, r->path, (size_t)n);
    if (!r->loc) {
        request_error(r, n < 0 ? 500 : 404);
        response_send(r);
        return;
    }
    run_pipeline(r);
}

/* The status a request is refused with before any handler sees it, or 0. */
static int check_request(struct request *r)
{
    const struct http_request_head *h = &r->head;
    bool nomem;
    if (request_set_path(r, h->path.p, h->path.len, &nomem) < 0)
        return nomem ? 500 : 400;
    r->loc = cfg_match_location(r->server, r->path, r->path_len);
    if (!r->loc)
        return 404;
    if (!(r->loc->methods & HTTP_METHOD_BIT(h->method))) {
        add_allow(r);
        return 405;
    }
    if (h->content_length > 0 && (uint64_t)h->content_length > r->loc->limits.body_size) {
        r->res.close = true; /* too much to drain: say so and close */
        return 413;
    }
    return 0;
}

void route(struct request *r)
{
    const struct http_request_head *h = &r->head;
    r->server = cfg_match_server(r->conn->listener, h->host.p, h->host.len);
    r->has_body = h->chunked || h->content_length > 0;
    int status = check_request(r);
    if (status) {
        request_error(r, status);
        response_send(r);
        return;
    }
    run_pipeline(r);
}
