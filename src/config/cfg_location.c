/* Locations: prefix -> settings inherited from the server, handlers
 * (redirect, proxy, status, cgi, upload, autoindex) and the pipeline. */
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_internal.h"
#include "http/http_parse.h"
#include "lib/path.h"

static const char *const location_keys[] = {
    "methods", "root",     "index",  "error_pages", "timeouts", "limits", "autoindex",
    "upload",  "redirect", "cgi",    "status",      "proxy",    NULL};

/* Text that ends up in a response header: no spaces or control bytes. */
static bool is_header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

static int load_redirect(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_location *loc)
{
    static const char *const keys[] = {"to", "status", "keep_path", NULL};
    struct cfg_redirect *r = cfg_arena_alloc(c->a, sizeof(*r));
    if (!r)
        return cfg_error(c, n, "out of memory");
    r->status = 301;
    const struct cfg_node *to = n;
    if (n->kind == CFG_NODE_MAPPING) {
        if (cfg_check_keys(c, n, keys, "in redirect") < 0)
            return -1;
        if (!(to = cfg_map_get(n, "to", NULL)))
            return cfg_error(c, n, "redirect is missing 'to'");
        const struct cfg_node *v;
        uint64_t st;
        if ((v = cfg_map_get(n, "status", NULL))) {
            if (cfg_get_uint(c, v, "status", 0, 999, &st) < 0 ||
                !(st == 301 || st == 302 || st == 303 || st == 307 || st == 308))
                return cfg_error(c, v, "'status' must be 301, 302, 303, 307 or 308");
            r->status = (int)st;
        }
        if ((v = cfg_map_get(n, "keep_path", NULL)) &&
            cfg_get_bool(c, v, "keep_path", &r->keep_path) < 0)
            return -1;
    }
    const char *s;
    if (to->kind != CFG_NODE_SCALAR || cfg_node_is_null(to) || cfg_get_string(c, to, "to", &s) < 0)
        return cfg_error(c, to, "'redirect' must be a URL or a mapping with 'to'");
    if (!*s || !is_header_safe(s))
        return cfg_error(c, to, "redirect target must be a non-empty URL without spaces or "
                         "control characters");
    r->to = (char *)s;
    loc->redirect = r;
    return 0;
}

static int load_cgi_entry(struct cfg_ctx *c, const struct cfg_node *k, const struct cfg_node *v,
                          struct cfg_cgi *e)
{
    if (k->str[0] != '.' || k->len < 2 || strchr(k->str, '/'))
        return cfg_error(c, k, "cgi extension '%s' must start with '.', like .py", k->str);
    const char *interp;
    if (cfg_get_string(c, v, "cgi", &interp) < 0)
        return cfg_error(c, v, "cgi interpreter for '%s' must be an absolute path or \"\"",
                         k->str);
    e->ext = (char *)k->str;
    e->interpreter = (char *)interp;
    if (!*interp)
        return 0;
    if (interp[0] != '/')
        return cfg_error(c, v, "cgi interpreter '%s' must be an absolute path or \"\"", interp);
    struct stat st;
    if (stat(interp, &st) < 0)
        return cfg_error(c, v, "cgi interpreter '%s' does not exist", interp);
    if (!S_ISREG(st.st_mode) || access(interp, X_OK) < 0)
        return cfg_error(c, v, "cgi interpreter '%s' is not an executable file", interp);
    return 0;
}

static int load_cgi(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_location *loc)
{
    if (cfg_get_mapping(c, n, "cgi") < 0)
        return -1;
    loc->cgi = cfg_arena_calloc(c->a, n->n, sizeof(*loc->cgi));
    if (!loc->cgi)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < n->n; i++)
        if (load_cgi_entry(c, cfg_map_key(n, i), cfg_map_value(n, i), &loc->cgi[i]) < 0)
            return -1;
    loc->n_cgi = n->n;
    return 0;
}

/* "http://host[:port][/path]" with a host; an IPv6 host in brackets. */
static bool is_proxy_url(const char *s)
{
    if (strncasecmp(s, "http://", 7) != 0 || !is_header_safe(s))
        return false;
    const char *h = s + 7, *e;
    if (*h == '[') {
        e = strchr(h, ']');
        if (!e || e == h + 1)
            return false;
        e++;
    } else {
        e = h + strcspn(h, ":/?#");
        if (e == h)
            return false;
    }
    if (*e == ':') {
        unsigned long port = 0;
        const char *p = e + 1;
        for (; *p >= '0' && *p <= '9' && port <= 65535; p++)
            port = port * 10 + (unsigned long)(*p - '0');
        if (p == e + 1 || port < 1 || port > 65535 || (*p && !strchr("/?#", *p)))
            return false;
    } else if (*e && !strchr("/?#", *e)) {
        return false;
    }
    return true;
}

static int load_proxy(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_location *loc)
{
    const char *s;
    if (cfg_get_string(c, n, "proxy", &s) < 0 || !is_proxy_url(s))
        return cfg_error(c, n, "'proxy' must be an http:// URL with a host, like "
                         "http://127.0.0.1:9000");
    loc->proxy = (char *)s;
    return 0;
}

/* "/", "/files/", "/img": starts with '/', no empty, '.' or '..' segment. */
static int check_prefix(struct cfg_ctx *c, const struct cfg_node *k)
{
    const char *p = k->str;
    if (p[0] != '/')
        return cfg_error(c, k, "location prefix '%s' must start with '/'", p);
    if (strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
        (k->len >= 2 && strcmp(p + k->len - 2, "/.") == 0) ||
        (k->len >= 3 && strcmp(p + k->len - 3, "/..") == 0))
        return cfg_error(c, k, "location prefix '%s' must be a normalised path "
                         "(no '//', '.' or '..' segments)", p);
    return 0;
}

/* root, index, error_pages, timeouts, limits: the server's unless set. */
static int load_inherited(struct cfg_ctx *c, const struct cfg_server *s,
                          const struct cfg_node *srv, const struct cfg_node *m,
                          struct cfg_location *loc)
{
    const struct cfg_node *v;
    loc->root = s->root;
    if ((v = cfg_map_get(m, "root", NULL))) {
        if (cfg_load_root(c, v, &loc->root) < 0)
            return -1;
        loc->own_root = true;
    } else if (!s->root) {
        return cfg_error(c, srv, "server is missing 'root' (needed by location '%s')",
                         loc->prefix);
    }
    loc->index = s->index;
    loc->n_index = s->n_index;
    if ((v = cfg_map_get(m, "index", NULL)) && cfg_load_index(c, v, &loc->index, &loc->n_index) < 0)
        return -1;
    loc->error_pages = s->error_pages;
    loc->n_error_pages = s->n_error_pages;
    if ((v = cfg_map_get(m, "error_pages", NULL)) &&
        cfg_load_error_pages(c, v, loc->root, &loc->error_pages, &loc->n_error_pages) < 0)
        return -1;
    loc->timeouts = s->timeouts;
    if ((v = cfg_map_get(m, "timeouts", NULL)) && cfg_load_timeouts(c, v, &loc->timeouts) < 0)
        return -1;
    loc->limits = s->limits;
    if ((v = cfg_map_get(m, "limits", NULL)) && cfg_load_limits(c, v, &loc->limits) < 0)
        return -1;
    return 0;
}

/* The folder uploads go to must exist: the root itself for a location
 * with its own root, else the prefix under the server's root. */
static int check_upload_dir(struct cfg_ctx *c, const struct cfg_node *k,
                            const struct cfg_location *loc)
{
    char path[PATH_MAX];
    const char *sub = loc->own_root ? "" : loc->prefix;
    if (path_join(path, sizeof(path), loc->root, sub) < 0)
        return cfg_error(c, k, "upload folder path is too long");
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return cfg_error(c, k, "upload folder '%s' does not exist or is not a directory", path);
    return 0;
}

static int load_handlers(struct cfg_ctx *c, const struct cfg_node *m, struct cfg_location *loc)
{
    const struct cfg_node *v, *k;
    if ((v = cfg_map_get(m, "autoindex", NULL)) &&
        cfg_get_bool(c, v, "autoindex", &loc->autoindex) < 0)
        return -1;
    if ((v = cfg_map_get(m, "upload", &k)) &&
        (cfg_get_bool(c, v, "upload", &loc->upload) < 0 ||
         (loc->upload && check_upload_dir(c, k, loc) < 0)))
        return -1;
    if ((v = cfg_map_get(m, "status", NULL)) && cfg_get_bool(c, v, "status", &loc->status) < 0)
        return -1;
    if ((v = cfg_map_get(m, "redirect", NULL)) && load_redirect(c, v, loc) < 0)
        return -1;
    if ((v = cfg_map_get(m, "cgi", NULL)) && load_cgi(c, v, loc) < 0)
        return -1;
    if ((v = cfg_map_get(m, "proxy", &k))) {
        if (load_proxy(c, v, loc) < 0)
            return -1;
        if (loc->redirect)
            return cfg_error(c, k, "'proxy' and 'redirect' cannot be combined in one location");
    }
    return 0;
}

static int location_warnings(struct cfg_ctx *c, const struct cfg_node *m,
                             const struct cfg_location *loc)
{
    static const char *const ignored[] = {"status", "cgi", "upload", "autoindex", NULL};
    const struct cfg_node *k;
    if (loc->redirect || loc->proxy) {
        const char *by = loc->redirect ? "redirect" : "proxy";
        for (size_t i = 0; ignored[i]; i++)
            if (cfg_map_get(m, ignored[i], &k) &&
                cfg_warn(c, k, "'%s' has no effect with '%s'", ignored[i], by) < 0)
                return -1;
        return 0;
    }
    unsigned post_put = HTTP_METHOD_BIT(HTTP_POST) | HTTP_METHOD_BIT(HTTP_PUT);
    unsigned get_post = HTTP_METHOD_BIT(HTTP_GET) | HTTP_METHOD_BIT(HTTP_POST);
    if (loc->upload && !(loc->methods & post_put) && cfg_map_get(m, "upload", &k) &&
        cfg_warn(c, k, "upload without POST or PUT in methods") < 0)
        return -1;
    if (loc->n_cgi && !(loc->methods & get_post) && cfg_map_get(m, "cgi", &k) &&
        cfg_warn(c, k, "cgi without GET or POST in methods") < 0)
        return -1;
    return 0;
}

static int load_location(struct cfg_ctx *c, const struct cfg_server *s,
                         const struct cfg_node *srv, const struct cfg_node *k,
                         const struct cfg_node *m, struct cfg_location *loc)
{
    if (check_prefix(c, k) < 0)
        return -1;
    loc->prefix = (char *)k->str;
    loc->prefix_len = k->len;
    loc->pos = cfg_pos_of(c, k);
    loc->methods = HTTP_METHOD_BIT(HTTP_GET) | HTTP_METHOD_BIT(HTTP_HEAD);
    bool empty = cfg_node_is_null(m);
    if (!empty && m->kind != CFG_NODE_MAPPING)
        return cfg_error(c, m, "location '%s' must be a mapping", loc->prefix);
    if (!empty && cfg_check_keys(c, m, location_keys, "in location") < 0)
        return -1;
    if (empty)
        m = NULL; /* cfg_map_get() finds nothing in it */
    const struct cfg_node *v;
    if ((v = cfg_map_get(m, "methods", NULL)) && cfg_get_methods(c, v, &loc->methods) < 0)
        return -1;
    if (load_inherited(c, s, srv, m, loc) < 0 || load_handlers(c, m, loc) < 0 ||
        (m && location_warnings(c, m, loc) < 0))
        return -1;
    cfg_compile_pipeline(loc);
    return 0;
}

/* Longest prefix first, so that the first match is the best one. */
static int location_cmp(const void *x, const void *y)
{
    const struct cfg_location *a = x, *b = y;
    if (a->prefix_len != b->prefix_len)
        return a->prefix_len > b->prefix_len ? -1 : 1;
    return strcmp(a->prefix, b->prefix);
}

int cfg_load_locations(struct cfg_ctx *c, struct cfg_server *s, const struct cfg_node *srv,
                       const struct cfg_node *m)
{
    if (cfg_get_mapping(c, m, "locations") < 0)
        return -1;
    if (m->n == 0)
        return cfg_error(c, m, "'locations' must not be empty");
    s->locations = cfg_arena_calloc(c->a, m->n, sizeof(*s->locations));
    if (!s->locations)
        return cfg_error(c, m, "out of memory");
    for (size_t i = 0; i < m->n; i++)
        if (load_location(c, s, srv, cfg_map_key(m, i), cfg_map_value(m, i), &s->locations[i]) < 0)
            return -1;
    s->n_locations = m->n;
    qsort(s->locations, s->n_locations, sizeof(*s->locations), location_cmp);
    return 0;
}
