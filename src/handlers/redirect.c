/* redirect: answers every request of its location with a 3xx to the
 * configured target. With keep_path the rest of the request path after the
 * location prefix (percent-encoded again) and the query string go along:
 * prefix "/old/", to "/new/": "/old/x y?a=1" -> "/new/x%20y?a=1". */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handler.h"
#include "handlers/request.h"
#include "http/escape.h"
#include "http/http_status.h"
#include "lib/strbuf.h"

/* The decoded request path after the location prefix: "" or, when the
 * prefix has no trailing slash, "/..." ("/old" and "/old/x" -> "/x"). */
static const char *rest_of_path(const struct request *r, size_t *len)
{
    size_t skip = r->loc->prefix_len;
    if (skip > r->path_len)
        skip = r->path_len; /* "/old" against prefix "/old/" */
    *len = r->path_len - skip;
    return r->path + skip;
}

/* Builds the keep_path target into a malloc'ed string (NULL when out of
 * memory). A query or fragment written in `to` stays after the path:
 * to "/new/?v=2#top" + "x" + "a=1" -> "/new/x?v=2&a=1#top". */
static char *keep_path_target(const struct request *r, const char *to)
{
    size_t base_len = strcspn(to, "?#");
    size_t frag_at = base_len + strcspn(to + base_len, "#");
    bool to_has_query = to[base_len] == '?';

    size_t rest_len;
    const char *rest = rest_of_path(r, &rest_len);
    /* Exactly one slash where `to` and the rest meet. */
    bool to_slash = base_len > 0 && to[base_len - 1] == '/';
    if (rest_len > 0 && rest[0] == '/' && to_slash) {
        rest++;
        rest_len--;
    }
    bool add_slash = rest_len > 0 && rest[0] != '/' && !to_slash;

    const struct http_request_head *h = &r->head;
    struct strbuf b = STRBUF_INIT;
    strbuf_append(&b, to, base_len);
    if (add_slash)
        strbuf_puts(&b, "/");
    escape_url_path(&b, rest, rest_len);
    strbuf_append(&b, to + base_len, frag_at - base_len); /* "?v=2" of `to` */
    if (h->has_query && h->query.len > 0) {
        strbuf_puts(&b, to_has_query ? "&" : "?");
        strbuf_append(&b, h->query.p, h->query.len);
    }
    strbuf_puts(&b, to + frag_at); /* "#top" of `to` */
    size_t len;
    return strbuf_take(&b, &len);
}

/* True when the location configures a page for this status: request.c then
 * sends that page instead of ours. */
static bool has_error_page(const struct request *r, int status)
{
    for (size_t i = 0; i < r->loc->n_error_pages; i++)
        if (r->loc->error_pages[i].status == status)
            return true;
    return false;
}

/* A short HTML page naming the target as a link. Without memory the
 * built-in status page of request.c is sent instead. */
static void set_page(struct request *r, int status, const char *target)
{
    if (has_error_page(r, status))
        return;
    const char *reason = http_status_reason(status);
    size_t tlen = strlen(target);
    struct strbuf b = STRBUF_INIT;
    strbuf_printf(&b,
                  "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                  "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n"
                  "<p>The document is at <a href=\"",
                  status, reason, status, reason);
    escape_html(&b, target, tlen);
    strbuf_puts(&b, "\">");
    escape_html(&b, target, tlen);
    strbuf_puts(&b, "</a>.</p>\n<hr><p>portico</p></body></html>\n");
    size_t len;
    char *body = strbuf_take(&b, &len);
    if (body)
        request_adopt_body(r, status, body, len, "text/html; charset=utf-8");
}

static enum handler_result redirect_on_request(struct request *r)
{
    const struct cfg_redirect *rd = r->loc->redirect;
    if (!rd)
        return HANDLER_DECLINED;
    char *built = NULL;
    const char *target = rd->to;
    if (rd->keep_path) {
        built = keep_path_target(r, rd->to);
        if (!built)
            return request_error(r, 500);
        target = built;
    }
    /* The header block is bounded: a target that does not fit is the
     * request's fault (a long path or query). */
    if (request_add_header(r, "Location: %s", target) < 0) {
        free(built);
        return request_error(r, 414);
    }
    r->res.status = rd->status;
    set_page(r, rd->status, target);
    free(built);
    return HANDLER_DONE;
}

const struct handler handler_redirect = {
    .name = "redirect",
    .on_request = redirect_on_request,
};
