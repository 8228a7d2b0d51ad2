/* redirect: answers every request of its location with a 3xx to the
 * configured target. With keep_path the rest of the request path after the
 * location prefix (percent-encoded again) and the query string go along:
 * prefix "/old/", to "/new/": "/old/x y?a=1" -> "/new/x%20y?a=1". */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"
#include "handlers/handlers.h"
#include "handlers/redirect.h"
#include "http/escape.h"
#include "lib/ascii.h"
#include "lib/sockaddr.h"
#include "lib/strbuf.h"
#include "server/request.h"

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

/* A byte a host name may hold in a Location header: letters, digits,
 * '-', '.', '_', and the brackets and colons of an IPv6 literal. */
static bool host_byte(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_' || ch == '[' || ch == ']' || ch == ':';
}

/* {host}: the request's host, lower-cased, without port or trailing dot;
 * without a usable one (an HTTP/1.0 request without Host), the server's
 * first plain name, else the address it listens on (localhost for a
 * wildcard). */
static void put_host(struct strbuf *b, const struct request *r)
{
    struct str h = r->head.host;
    size_t len = h.len;
    if (len && h.p[0] == '[') {
        const char *end = memchr(h.p, ']', len);
        len = end ? (size_t)(end - h.p) + 1 : 0;
    } else {
        const char *colon = memchr(h.p, ':', len);
        if (colon)
            len = (size_t)(colon - h.p);
        if (len > 1 && h.p[len - 1] == '.')
            len--;
    }
    bool ok = len > 0;
    for (size_t i = 0; ok && i < len; i++)
        ok = host_byte((unsigned char)ascii_lower((unsigned char)h.p[i]));
    if (ok) {
        for (size_t i = 0; i < len; i++) {
            char ch = (char)ascii_lower((unsigned char)h.p[i]);
            strbuf_append(b, &ch, 1);
        }
        return;
    }
    for (size_t i = 0; i < r->server->n_names; i++)
        if (r->server->names[i][0] != '*') {
            strbuf_puts(b, r->server->names[i]);
            return;
        }
    char ip[64];
    const struct cfg_listener *l = r->conn->listener;
    if (sockaddr_is_any(&l->addr) || sockaddr_ip_text(&l->addr, ip, sizeof(ip)) < 0)
        strbuf_puts(b, "localhost");
    else
        strbuf_puts(b, ip);
}

/* `to` with {host} and {uri} (the original target, path and query)
 * filled in; NULL when out of memory. */
static char *fill_placeholders(const struct request *r, const char *to)
{
    struct strbuf b = STRBUF_INIT;
    for (const char *p = to; *p;) {
        if (strncmp(p, "{host}", 6) == 0) {
            put_host(&b, r);
            p += 6;
        } else if (strncmp(p, "{uri}", 5) == 0) {
            strbuf_append(&b, r->head.target.p, r->head.target.len);
            p += 5;
        } else {
            strbuf_append(&b, p++, 1);
        }
    }
    size_t len;
    return strbuf_take(&b, &len);
}

static enum handler_result redirect_on_request(struct request *r)
{
    const struct redirect_settings *rd = r->settings;
    char *filled = NULL, *built = NULL;
    const char *target = rd->to;
    if (strchr(target, '{')) {
        if (!(filled = fill_placeholders(r, target)))
            return request_error(r, 500);
        target = filled;
    }
    if (rd->keep_path) {
        built = keep_path_target(r, target);
        free(filled);
        filled = NULL;
        if (!built)
            return request_error(r, 500);
        target = built;
    }
    enum handler_result res = response_redirect(r, rd->status, target);
    free(filled);
    free(built);
    return res;
}

/* ---- settings ---- */

static const char *const redirect_keys[] = {"redirect", NULL};

/* The long form: {to, status, keep_path}. Sets *to to the `to` node. */
static int parse_map(struct cfg_ctx *c, const struct cfg_node *n, struct redirect_settings *rd,
                     const struct cfg_node **to)
{
    static const char *const keys[] = {"to", "status", "keep_path", NULL};
    if (cfg_check_keys(c, n, keys, "in redirect") < 0)
        return -1;
    if (!(*to = cfg_map_get(n, "to", NULL)))
        return cfg_error(c, n, "redirect is missing 'to'");
    const struct cfg_node *v;
    uint64_t st;
    if ((v = cfg_map_get(n, "status", NULL))) {
        if (cfg_get_uint(c, v, "status", 0, 999, &st) < 0 ||
            !(st == 301 || st == 302 || st == 303 || st == 307 || st == 308))
            return cfg_error(c, v, "'status' must be 301, 302, 303, 307 or 308");
        rd->status = (int)st;
    }
    if ((v = cfg_map_get(n, "keep_path", NULL)) && cfg_get_bool(c, v, "keep_path", &rd->keep_path) < 0)
        return -1;
    return 0;
}

/* A URL (status 301, keep_path false) or the long form. */
static int redirect_parse(struct cfg_ctx *c, const struct cfg_node *m,
                          const struct cfg_location *loc, const void **settings)
{
    const struct cfg_node *n = cfg_map_get(m, "redirect", NULL);
    if (!n)
        return 0;
    struct redirect_settings *rd = cfg_arena_alloc(cfg_arena_of(c), sizeof(*rd));
    if (!rd)
        return cfg_error(c, n, "out of memory");
    rd->status = 301;
    const struct cfg_node *to = n;
    if (n->kind == CFG_NODE_MAPPING && parse_map(c, n, rd, &to) < 0)
        return -1;
    const char *s;
    if (to->kind != CFG_NODE_SCALAR || cfg_node_is_null(to) || cfg_get_string(c, to, "to", &s) < 0)
        return cfg_error(c, to, "'redirect' must be a URL or a mapping with 'to'");
    if (!*s || !cfg_header_safe(s))
        return cfg_error(c, to, "redirect target must be a non-empty URL without spaces or "
                         "control characters");
    rd->to = s;
    *settings = rd;
    return 0;
}

static void redirect_dump(const void *settings, FILE *out)
{
    const struct redirect_settings *rd = settings;
    fprintf(out, "    redirect: %d %s%s\n", rd->status, rd->to,
            rd->keep_path ? " (keep_path)" : "");
}

const struct handler handler_redirect = {
    .desc = {.name = "redirect", .keys = redirect_keys, .order = 1, .exclusive = true,
             .parse = redirect_parse, .dump = redirect_dump},
    .on_request = redirect_on_request,
};
