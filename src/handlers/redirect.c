/* redirect: answers every request of its location with a 3xx to the
 * configured target. With keep_path the rest of the request path after the
 * location prefix (percent-encoded again) and the query string go along:
 * prefix "/old/", to "/new/": "/old/x y?a=1" -> "/new/x%20y?a=1". */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handler.h"
#include "handlers/request.h"
#include "http/http_status.h"
#include "http/uri.h"

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
    size_t to_len = strlen(to);
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
    bool add_query = h->has_query && h->query.len > 0;
    size_t cap = to_len + 1 + rest_len * 3 + 1 + (add_query ? h->query.len + 1 : 0) + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;

    memcpy(out, to, base_len);
    size_t o = base_len;
    if (add_slash)
        out[o++] = '/';
    long n = uri_encode_path(rest, rest_len, out + o, cap - o);
    if (n < 0) { /* cannot happen: cap allows 3 bytes per byte */
        free(out);
        return NULL;
    }
    o += (size_t)n;
    memcpy(out + o, to + base_len, frag_at - base_len); /* "?v=2" of `to` */
    o += frag_at - base_len;
    if (add_query) {
        out[o++] = to_has_query ? '&' : '?';
        memcpy(out + o, h->query.p, h->query.len);
        o += h->query.len;
    }
    memcpy(out + o, to + frag_at, to_len - frag_at); /* "#top" of `to` */
    o += to_len - frag_at;
    out[o] = '\0';
    return out;
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
    size_t tlen = strlen(target);
    size_t ecap = tlen * 6 + 1; /* "&quot;" is the longest escape */
    char *esc = malloc(ecap);
    if (!esc)
        return;
    long elen = uri_escape_html(target, tlen, esc, ecap);
    if (elen < 0) {
        free(esc);
        return;
    }
    static const char fmt[] = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                              "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n"
                              "<p>The document is at <a href=\"%s\">%s</a>.</p>\n"
                              "<hr><p>portico</p></body></html>\n";
    const char *reason = http_status_reason(status);
    int len = snprintf(NULL, 0, fmt, status, reason, status, reason, esc, esc);
    char *body = len > 0 ? request_body_alloc(r, (size_t)len + 1) : NULL;
    if (body) {
        snprintf(body, (size_t)len + 1, fmt, status, reason, status, reason, esc, esc);
        request_set_body(r, status, body, (size_t)len, "text/html; charset=utf-8");
    }
    free(esc);
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
