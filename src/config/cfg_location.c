/* Locations: prefix -> settings inherited from the server, then the
 * handlers' own keys, read by their descriptors into the pipeline. */
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

bool cfg_header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
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

/* A location that only forwards or redirects (proxy, redirect: handlers
 * that answer everything) touches no file, so it needs no root. */
static bool answers_without_files(const struct cfg_ctx *c, const struct cfg_node *m)
{
    for (size_t i = 0; i < c->n_handlers && m; i++) {
        const struct cfg_handler *h = c->handlers[i];
        for (size_t k = 0; h->exclusive && h->keys && h->keys[k]; k++)
            if (cfg_map_get(m, h->keys[k], NULL))
                return true;
    }
    return false;
}

/* root, index, error_pages, timeouts, limits, charset, compress: the
 * server's unless set. */
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
    } else if (!s->root && !answers_without_files(c, m)) {
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
    if ((v = cfg_map_get(m, "timeouts", NULL)) && cfg_load_timeouts(c, v, &loc->timeouts, false) < 0)
        return -1;
    loc->limits = s->limits;
    if ((v = cfg_map_get(m, "limits", NULL)) && cfg_load_limits(c, v, &loc->limits) < 0)
        return -1;
    loc->compress = s->compress;
    if ((v = cfg_map_get(m, "compress", NULL)) && cfg_load_compress(c, v, &loc->compress) < 0)
        return -1;
    loc->charset = s->charset;
    if ((v = cfg_map_get(m, "charset", NULL)) && cfg_load_charset(c, v, &loc->charset) < 0)
        return -1;
    return 0;
}

/* A root that holds the configuration's own folder (or is "/") and lets
 * clients write or delete: the configuration itself, or anything, could
 * be replaced. Allowed, but -t says so. */
static int root_warning(struct cfg_ctx *c, const struct cfg_node *k,
                        const struct cfg_location *loc)
{
    unsigned writes = HTTP_METHOD_BIT(HTTP_PUT) | HTTP_METHOD_BIT(HTTP_DELETE);
    const char *dir = c->cfg->dir;
    if (!loc->root)
        return 0;
    size_t n = strlen(loc->root);
    bool holds = strcmp(loc->root, "/") == 0 ||
                 (strncmp(dir, loc->root, n) == 0 && (dir[n] == '/' || dir[n] == '\0'));
    if (!(loc->methods & writes) || !holds)
        return 0;
    return cfg_warn(c, k, "location '%s' allows PUT or DELETE under root '%s', which holds the "
                    "configuration's own folder", loc->prefix, loc->root);
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
    if (!empty && cfg_check_keys(c, m, c->location_keys, "in location") < 0)
        return -1;
    if (empty)
        m = NULL; /* cfg_map_get() finds nothing in it */
    const struct cfg_node *v;
    if ((v = cfg_map_get(m, "methods", NULL)) && cfg_get_methods(c, v, &loc->methods) < 0)
        return -1;
    if (load_inherited(c, s, srv, m, loc) < 0 || root_warning(c, k, loc) < 0)
        return -1;
    return cfg_compile_pipeline(c, k, m, loc);
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
