/* Compilation: each location's handler pipeline, and the listeners (one per
 * distinct listen address) with their servers and default server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"
#include "http/http_parse.h"
#include "lib/sockaddr.h"

/* The keys every location has besides its handlers'. */
static const char *const common_keys[] = {"methods",  "root",   "index",   "error_pages",
                                          "timeouts", "limits", "charset", "compress",
                                          NULL};

static int by_order(const void *x, const void *y)
{
    const struct cfg_handler *a = *(const struct cfg_handler *const *)x;
    const struct cfg_handler *b = *(const struct cfg_handler *const *)y;
    return (a->order > b->order) - (a->order < b->order);
}

int cfg_use_handlers(struct cfg_ctx *c, const struct cfg_handler *const *table)
{
    size_t n = 0, n_keys = sizeof(common_keys) / sizeof(common_keys[0]);
    for (; table && table[n]; n++)
        for (size_t k = 0; table[n]->keys && table[n]->keys[k]; k++)
            n_keys++;
    if (n > CFG_MAX_STAGES)
        return cfg_error(c, NULL, "too many handlers (%zu, at most %d)", n, CFG_MAX_STAGES);
    const struct cfg_handler **v = cfg_arena_calloc(c->a, n ? n : 1, sizeof(*v));
    const char **keys = cfg_arena_calloc(c->a, n_keys, sizeof(*keys));
    if (!v || !keys)
        return cfg_error(c, NULL, "out of memory");
    if (n) {
        memcpy(v, table, n * sizeof(*v));
        qsort(v, n, sizeof(*v), by_order);
    }
    size_t at = 0;
    for (size_t i = 0; common_keys[i]; i++)
        keys[at++] = common_keys[i];
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; v[i]->keys && v[i]->keys[k]; k++)
            keys[at++] = v[i]->keys[k];
    keys[at] = NULL;
    c->handlers = v;
    c->n_handlers = n;
    c->location_keys = keys;
    return 0;
}

const void *cfg_location_settings(const struct cfg_location *loc, const struct cfg_handler *h)
{
    for (size_t i = 0; i < loc->n_pipeline; i++)
        if (loc->pipeline[i].handler == h)
            return loc->pipeline[i].settings;
    return NULL;
}

/* The first of h's keys that m sets, for a message at its place. */
static const struct cfg_node *key_of(const struct cfg_node *m, const struct cfg_handler *h)
{
    const struct cfg_node *k = NULL;
    for (size_t i = 0; h->keys && h->keys[i] && !k; i++)
        cfg_map_get(m, h->keys[i], &k);
    return k;
}

/* "POST or PUT": the names of the methods in bits. */
static void method_names(unsigned bits, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned m = 1; m < HTTP_METHOD_COUNT; m++)
        if (bits & HTTP_METHOD_BIT(m))
            n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? " or " : "",
                                  cfg_method_name(m));
}

/* Warnings for what the pipeline leaves out or cannot use. */
static int pipeline_warnings(struct cfg_ctx *c, const struct cfg_node *m,
                             const struct cfg_location *loc, const struct cfg_handler *only)
{
    for (size_t i = 0; i < c->n_handlers && m; i++) {
        const struct cfg_handler *h = c->handlers[i];
        if (only && h != only) {
            /* Set but never asked: the exclusive handler answers everything. */
            for (size_t k = 0; h->keys && h->keys[k]; k++) {
                const struct cfg_node *key;
                if (cfg_map_get(m, h->keys[k], &key) &&
                    cfg_warn(c, key, "'%s' has no effect with '%s'", h->keys[k], only->name) < 0)
                    return -1;
            }
        } else if (!only && h->warn_methods && cfg_location_settings(loc, h) &&
                   !(loc->methods & h->warn_methods)) {
            char names[64];
            method_names(h->warn_methods, names, sizeof(names));
            if (cfg_warn(c, key_of(m, h), "%s without %s in methods", h->name, names) < 0)
                return -1;
        }
    }
    return 0;
}

/* Two handlers that may not share a location (upload and cgi). */
static int check_excludes(struct cfg_ctx *c, const struct cfg_node *k,
                          const struct cfg_location *loc)
{
    for (size_t i = 0; i < loc->n_pipeline; i++) {
        const struct cfg_handler *h = loc->pipeline[i].handler;
        for (size_t j = 0; h->excludes && j < loc->n_pipeline; j++)
            if (strcmp(loc->pipeline[j].handler->name, h->excludes) == 0)
                return cfg_error(c, k, "location '%s' has both '%s' and '%s': %s", loc->prefix,
                                 h->name, h->excludes, h->excludes_why);
    }
    return 0;
}

/* Each handler reads its keys in the fixed order; an exclusive one (redirect,
 * proxy) is then the whole pipeline, and two of them are an error. */
int cfg_compile_pipeline(struct cfg_ctx *c, const struct cfg_node *k, const struct cfg_node *m,
                         struct cfg_location *loc)
{
    const struct cfg_handler *only = NULL;
    const void *only_settings = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->n_handlers; i++) {
        const struct cfg_handler *h = c->handlers[i];
        const void *settings = NULL;
        /* No root: the location has an exclusive handler (cfg_location.c
         * checked), and the others, which read files, are left out. */
        if (!loc->root && !h->exclusive)
            continue;
        /* Said before the second one is parsed: its own errors would hide it. */
        if (h->exclusive && only && key_of(m, h))
            return cfg_error(c, key_of(m, h), "'%s' and '%s' cannot be combined in one location",
                             h->name, only->name);
        if (h->parse(c, m, loc, &settings) < 0)
            return -1;
        if (!settings)
            continue;
        if (h->exclusive) {
            only = h;
            only_settings = settings;
        }
        loc->pipeline[n++] = (struct cfg_stage){h, settings};
    }
    loc->n_pipeline = n;
    if (check_excludes(c, k, loc) < 0)
        return -1;
    if (only) {
        loc->pipeline[0] = (struct cfg_stage){only, only_settings};
        loc->n_pipeline = 1;
    }
    return pipeline_warnings(c, m, loc, only);
}

static struct cfg_listener *find_listener(struct config *cfg, const struct cfg_listen *l)
{
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        struct cfg_listener *x = &cfg->listeners[i];
        if (sockaddr_equal(&x->addr, x->addrlen, &l->addr, l->addrlen))
            return x;
    }
    return NULL;
}

/* The first listen item, in file order, naming the address of x. */
static const struct cfg_listen *first_listen(const struct config *cfg,
                                             const struct cfg_listener *x)
{
    for (size_t i = 0; i < cfg->n_servers; i++)
        for (size_t j = 0; j < cfg->servers[i].n_listens; j++)
            if (sockaddr_same(&cfg->servers[i].listens[j].addr, &x->addr))
                return &cfg->servers[i].listens[j];
    return NULL;
}

static const char *tls_word(bool tls)
{
    return tls ? "has tls: true" : "is plain";
}

/* Servers on one address share its socket: they must agree on tls. l is a
 * later listen item of x's address than the one x was made from. */
static int check_same_tls(struct cfg_ctx *c, const struct cfg_listener *x,
                          const struct cfg_listen *l)
{
    if (l->tls == x->tls)
        return 0;
    const struct cfg_listen *first = first_listen(c->cfg, x);
    struct cfg_node at = cfg_node_at(l->pos);
    return cfg_error(c, &at, "listen %s %s here but %s at %s:%d:%d: the servers of one address "
                     "must agree on tls", l->text, tls_word(l->tls), tls_word(x->tls), c->file,
                     first->pos.line, first->pos.col);
}

/* Distinct addresses in order of first appearance, each with its server
 * count; a second pass fills the server lists. */
static int collect_listeners(struct cfg_ctx *c)
{
    struct config *cfg = c->cfg;
    size_t total = 0;
    for (size_t i = 0; i < cfg->n_servers; i++)
        total += cfg->servers[i].n_listens;
    cfg->listeners = cfg_arena_calloc(c->a, total, sizeof(*cfg->listeners));
    if (!cfg->listeners)
        return cfg_error(c, NULL, "out of memory");
    for (size_t i = 0; i < cfg->n_servers; i++) {
        for (size_t j = 0; j < cfg->servers[i].n_listens; j++) {
            const struct cfg_listen *l = &cfg->servers[i].listens[j];
            struct cfg_listener *x = find_listener(cfg, l);
            if (!x) {
                x = &cfg->listeners[cfg->n_listeners++];
                x->addr = l->addr;
                x->addrlen = l->addrlen;
                x->tls = l->tls;
                memcpy(x->text, l->text, sizeof(x->text));
            } else if (check_same_tls(c, x, l) < 0) {
                return -1;
            }
            x->n_servers++;
        }
    }
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        struct cfg_listener *x = &cfg->listeners[i];
        x->servers = cfg_arena_calloc(c->a, x->n_servers, sizeof(*x->servers));
        if (!x->servers)
            return cfg_error(c, NULL, "out of memory");
        x->n_servers = 0;
    }
    for (size_t i = 0; i < cfg->n_servers; i++) {
        for (size_t j = 0; j < cfg->servers[i].n_listens; j++) {
            struct cfg_listener *x = find_listener(cfg, &cfg->servers[i].listens[j]);
            x->servers[x->n_servers++] = &cfg->servers[i];
        }
    }
    return 0;
}

static int pick_default(struct cfg_ctx *c, struct cfg_listener *x)
{
    const struct cfg_node *first = NULL;
    x->default_server = x->servers[0];
    for (size_t i = 0; i < x->n_servers; i++) {
        const struct cfg_node *k = c->aux[x->servers[i] - c->cfg->servers].default_key;
        if (!k)
            continue;
        if (first)
            return cfg_error(c, k, "second default server for %s (first at %s:%d:%d)", x->text,
                             c->file, first->line, first->col);
        first = k;
        x->default_server = x->servers[i];
    }
    return 0;
}

/* The same exact name twice on one address: the second can never match. */
static int check_names(struct cfg_ctx *c, const struct cfg_listener *x)
{
    for (size_t i = 0; i < x->n_servers; i++) {
        const struct cfg_server *s = x->servers[i];
        for (size_t n = 0; n < s->n_names; n++) {
            for (size_t j = 0; j <= i; j++) {
                const struct cfg_server *t = x->servers[j];
                size_t end = j == i ? n : t->n_names;
                for (size_t m = 0; m < end; m++) {
                    if (strcmp(s->names[n], t->names[m]) != 0)
                        continue;
                    const struct cfg_node *first = c->aux[t - c->cfg->servers].name_nodes[m];
                    return cfg_error(c, c->aux[s - c->cfg->servers].name_nodes[n],
                                     "duplicate server name '%s' on %s (first at %s:%d:%d)",
                                     s->names[n], x->text, c->file, first->line, first->col);
                }
            }
        }
    }
    return 0;
}

static uint64_t max_header_size(const struct cfg_listener *x)
{
    uint64_t max = 0;
    for (size_t i = 0; i < x->n_servers; i++) {
        const struct cfg_server *s = x->servers[i];
        if (s->limits.header_size > max)
            max = s->limits.header_size;
        for (size_t j = 0; j < s->n_locations; j++)
            if (s->locations[j].limits.header_size > max)
                max = s->locations[j].limits.header_size;
    }
    return max;
}

/* The wildcard listener of x's family and port, or NULL. */
static struct cfg_listener *wildcard_of(struct config *cfg, const struct cfg_listener *x)
{
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        struct cfg_listener *w = &cfg->listeners[i];
        if (w != x && sockaddr_is_any(&w->addr) && w->addr.ss_family == x->addr.ss_family &&
            sockaddr_port(&w->addr) == sockaddr_port(&x->addr))
            return w;
    }
    return NULL;
}

/* A specific address rides on the wildcard's socket: both must agree on
 * tls. Said at the later of their first listen items, naming the other. */
static int check_carried_tls(struct cfg_ctx *c, const struct cfg_listener *x,
                             const struct cfg_listener *w)
{
    if (x->tls == w->tls)
        return 0;
    const struct cfg_listen *a = first_listen(c->cfg, x), *b = first_listen(c->cfg, w);
    if (a->pos.line < b->pos.line || (a->pos.line == b->pos.line && a->pos.col < b->pos.col)) {
        const struct cfg_listen *t = a;
        a = b;
        b = t;
    }
    struct cfg_node at = cfg_node_at(a->pos);
    return cfg_error(c, &at, "listen %s %s here but %s %s at %s:%d:%d: a specific address and "
                     "the wildcard of its port share one socket and must agree on tls", a->text,
                     tls_word(a->tls), b->text, tls_word(b->tls), c->file, b->pos.line,
                     b->pos.col);
}

/* Specific addresses beside a wildcard on their port ride on its socket;
 * -t says what that means for Host matching (the nginx trap). */
static int carry_specific(struct cfg_ctx *c)
{
    struct config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        struct cfg_listener *x = &cfg->listeners[i], *w = wildcard_of(cfg, x);
        if (sockaddr_is_any(&x->addr) || !w)
            continue;
        if (check_carried_tls(c, x, w) < 0)
            return -1;
        const struct cfg_listener **v =
            cfg_arena_calloc(c->a, w->n_covered + 1, sizeof(*v));
        if (!v)
            return cfg_error(c, NULL, "out of memory");
        if (w->n_covered)
            memcpy(v, w->covered, w->n_covered * sizeof(*v));
        v[w->n_covered++] = x;
        w->covered = v;
        x->via = w;
        struct cfg_node at = cfg_node_at(first_listen(cfg, x)->pos);
        if (cfg_warn(c, &at,
                     "connections to %s are served only by the servers listening on %s, "
                     "not by those on %s (name them there too to reach them)",
                     x->text, x->text, w->text) < 0)
            return -1;
    }
    return 0;
}

int cfg_build_listeners(struct cfg_ctx *c)
{
    if (collect_listeners(c) < 0)
        return -1;
    for (size_t i = 0; i < c->cfg->n_listeners; i++) {
        struct cfg_listener *x = &c->cfg->listeners[i];
        if (pick_default(c, x) < 0 || check_names(c, x) < 0)
            return -1;
        x->max_header_size = max_header_size(x);
    }
    return carry_specific(c);
}
