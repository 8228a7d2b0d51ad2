/* Compilation: each location's handler pipeline, and the listeners (one per
 * distinct listen address) with their servers and default server. */
#include <string.h>

#include "config/cfg_internal.h"
#include "http/http_parse.h"
#include "lib/sockaddr.h"

static const char *const kind_names[HANDLER_KIND_COUNT] = {
    [HANDLER_REDIRECT] = "redirect", [HANDLER_PROXY] = "proxy",
    [HANDLER_STATUS] = "status",     [HANDLER_CGI] = "cgi",
    [HANDLER_UPLOAD] = "upload",     [HANDLER_DELETE] = "delete",
    [HANDLER_STATIC] = "static",     [HANDLER_AUTOINDEX] = "autoindex",
};

const char *handler_kind_name(enum handler_kind k)
{
    return (unsigned)k < HANDLER_KIND_COUNT ? kind_names[k] : "unknown";
}

/* The fixed order of CONFIG.md; redirect and proxy answer everything, so
 * either one is the whole pipeline. */
void cfg_compile_pipeline(struct cfg_location *loc)
{
    size_t n = 0;
    if (loc->redirect) {
        loc->pipeline[n++] = HANDLER_REDIRECT;
    } else if (loc->proxy) {
        loc->pipeline[n++] = HANDLER_PROXY;
    } else {
        if (loc->status)
            loc->pipeline[n++] = HANDLER_STATUS;
        if (loc->n_cgi)
            loc->pipeline[n++] = HANDLER_CGI;
        if (loc->upload)
            loc->pipeline[n++] = HANDLER_UPLOAD;
        if (loc->methods & HTTP_METHOD_BIT(HTTP_DELETE))
            loc->pipeline[n++] = HANDLER_DELETE;
        loc->pipeline[n++] = HANDLER_STATIC;
        if (loc->autoindex)
            loc->pipeline[n++] = HANDLER_AUTOINDEX;
    }
    loc->n_pipeline = n;
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
                memcpy(x->text, l->text, sizeof(x->text));
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
    return 0;
}
