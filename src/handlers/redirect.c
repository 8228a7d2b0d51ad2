/* redirect: answers every request of its location with a 3xx to the
 * configured target. With keep_path the rest of the request path after the
 * location prefix (percent-encoded again) and the query string go along:
 * prefix "/old/", to "/new/": "/old/x y?a=1" -> "/new/x%20y?a=1". */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "handlers/handler.h"
#include "server/request.h"
#include "http/escape.h"

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
    enum handler_result res = response_redirect(r, rd->status, target);
    free(built);
    return res;
}

const struct handler handler_redirect = {
    .name = "redirect",
    .on_request = redirect_on_request,
};
