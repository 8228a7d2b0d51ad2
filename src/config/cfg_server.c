/* Servers (virtual hosts): listen addresses, names, default flag and the
 * settings their locations inherit. */
#include <string.h>

#include "config/cfg_internal.h"
#include "lib/ascii.h"
#include "lib/sockaddr.h"

static const char *const server_keys[] = {"listen",   "tls",    "names",     "default",
                                          "root",     "index",  "error_pages", "timeouts",
                                          "limits",   "charset", "compress", "locations", NULL};

static int load_listens(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_server *s)
{
    const struct cfg_node *const *items = (const struct cfg_node *const *)&n;
    size_t count = 1;
    if (n->kind == CFG_NODE_SEQUENCE) {
        if (n->n == 0)
            return cfg_error(c, n, "'listen' must not be empty");
        items = (const struct cfg_node *const *)n->items;
        count = n->n;
    }
    s->listens = cfg_arena_calloc(c->a, count, sizeof(*s->listens));
    if (!s->listens)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < count; i++) {
        struct cfg_listen *l = &s->listens[i];
        if (cfg_get_listen(c, items[i], l) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (sockaddr_equal(&s->listens[j].addr, s->listens[j].addrlen, &l->addr, l->addrlen))
                return cfg_error(c, items[i], "duplicate listen address %s (first at %s:%d:%d)",
                                 l->text, c->file, s->listens[j].pos.line,
                                 s->listens[j].pos.col);
    }
    s->n_listens = count;
    return 0;
}

static bool is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_';
}

/* Lower-cases name in place, drops one trailing dot, and checks it is a
 * host name, "*.suffix" or a bracketed IPv6 address. */
static bool normalise_name(char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < len; i++)
        name[i] = (char)ascii_lower((unsigned char)name[i]);
    if (len > 1 && name[len - 1] == '.')
        name[--len] = '\0';
    if (len == 0 || name[0] == '.' || strstr(name, ".."))
        return false;
    if (name[0] == '[') {
        if (len < 3 || name[len - 1] != ']')
            return false;
        return strspn(name + 1, "0123456789abcdef:.") == len - 2;
    }
    const char *p = name;
    if (p[0] == '*') {
        if (p[1] != '.' || p[2] == '\0')
            return false;
        p += 2;
    }
    for (; *p; p++)
        if (!is_name_char(*p))
            return false;
    return true;
}

static int load_names(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_server *s,
                      struct cfg_server_aux *aux)
{
    char **names;
    if (cfg_get_string_list(c, n, "names", &names, &s->n_names) < 0)
        return -1;
    s->names = cfg_arena_calloc(c->a, s->n_names, sizeof(*s->names));
    aux->name_nodes = cfg_arena_calloc(c->a, s->n_names, sizeof(*aux->name_nodes));
    if (!s->names || !aux->name_nodes)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < s->n_names; i++) {
        const struct cfg_node *item = n->kind == CFG_NODE_SEQUENCE ? n->items[i] : n;
        aux->name_nodes[i] = item;
        if (!(s->names[i] = cfg_arena_strdup(c->a, names[i])))
            return cfg_error(c, item, "out of memory");
        if (!normalise_name(s->names[i]))
            return cfg_error(c, item, "invalid server name '%s' (a host name, \"*.suffix\" or "
                             "\"[ipv6]\")", names[i]);
    }
    return 0;
}

/* A listen item with tls: true needs the server's certificate and key; a
 * `tls:` block that no listen item uses is only worth a warning. */
static int check_tls_use(struct cfg_ctx *c, const struct cfg_node *tls_key,
                         const struct cfg_server *s)
{
    bool used = false;
    for (size_t i = 0; i < s->n_listens; i++) {
        const struct cfg_listen *l = &s->listens[i];
        if (!l->tls)
            continue;
        if (!s->tls) {
            struct cfg_node at = cfg_node_at(l->pos);
            return cfg_error(c, &at, "listen %s has tls: true, but the server has no 'tls' "
                             "with its certificate and key", l->text);
        }
        used = true;
    }
    if (s->tls && !used)
        return cfg_warn(c, tls_key, "'tls' has no effect: no listen item of this server has "
                        "tls: true");
    return 0;
}

static int load_server_settings(struct cfg_ctx *c, const struct cfg_node *m,
                                struct cfg_server *s)
{
    static char *default_index[] = {"index.html"};
    const struct cfg_node *v;
    if ((v = cfg_map_get(m, "root", NULL)) && cfg_load_root(c, v, &s->root) < 0)
        return -1;
    s->index = default_index;
    s->n_index = 1;
    if ((v = cfg_map_get(m, "index", NULL)) && cfg_load_index(c, v, &s->index, &s->n_index) < 0)
        return -1;
    if ((v = cfg_map_get(m, "error_pages", NULL)) &&
        cfg_load_error_pages(c, v, s->root, &s->error_pages, &s->n_error_pages) < 0)
        return -1;
    s->timeouts = c->cfg->timeouts;
    if ((v = cfg_map_get(m, "timeouts", NULL)) && cfg_load_timeouts(c, v, &s->timeouts, false) < 0)
        return -1;
    s->limits = c->cfg->limits;
    if ((v = cfg_map_get(m, "limits", NULL)) && cfg_load_limits(c, v, &s->limits) < 0)
        return -1;
    s->compress = c->cfg->compress;
    if ((v = cfg_map_get(m, "compress", NULL)) && cfg_load_compress(c, v, &s->compress) < 0)
        return -1;
    s->charset = c->cfg->charset;
    if ((v = cfg_map_get(m, "charset", NULL)) && cfg_load_charset(c, v, &s->charset) < 0)
        return -1;
    return 0;
}

static int load_server(struct cfg_ctx *c, const struct cfg_node *m, struct cfg_server *s,
                       struct cfg_server_aux *aux)
{
    if (m->kind != CFG_NODE_MAPPING)
        return cfg_error(c, m, "each server must be a mapping");
    s->pos = cfg_pos_of(c, m);
    aux->node = m;
    if (cfg_check_keys(c, m, server_keys, "in server") < 0)
        return -1;
    const struct cfg_node *v, *k;
    if (!(v = cfg_map_get(m, "listen", NULL)))
        return cfg_error(c, m, "server is missing 'listen'");
    if (load_listens(c, v, s) < 0)
        return -1;
    if ((v = cfg_map_get(m, "names", NULL)) && load_names(c, v, s, aux) < 0)
        return -1;
    if ((v = cfg_map_get(m, "default", &k))) {
        if (cfg_get_bool(c, v, "default", &s->is_default) < 0)
            return -1;
        aux->default_key = s->is_default ? k : NULL;
    }
    k = NULL;
    if ((v = cfg_map_get(m, "tls", &k)) && cfg_load_tls(c, v, &s->tls) < 0)
        return -1;
    if (check_tls_use(c, k, s) < 0)
        return -1;
    if (load_server_settings(c, m, s) < 0)
        return -1;
    if (!(v = cfg_map_get(m, "locations", NULL)))
        return cfg_error(c, m, "server is missing 'locations'");
    return cfg_load_locations(c, s, m, v);
}

int cfg_load_servers(struct cfg_ctx *c, const struct cfg_node *n)
{
    if (n->kind != CFG_NODE_SEQUENCE)
        return cfg_error(c, n, "'servers' must be a list of servers");
    if (n->n == 0)
        return cfg_error(c, n, "'servers' must not be empty");
    struct config *cfg = c->cfg;
    cfg->servers = cfg_arena_calloc(c->a, n->n, sizeof(*cfg->servers));
    c->aux = cfg_arena_calloc(c->a, n->n, sizeof(*c->aux));
    if (!cfg->servers || !c->aux)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < n->n; i++)
        if (load_server(c, n->items[i], &cfg->servers[i], &c->aux[i]) < 0)
            return -1;
    cfg->n_servers = n->n;
    return 0;
}
