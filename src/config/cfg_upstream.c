/* Upstream groups (`upstreams:`) and the single-server groups a `proxy`
 * target names directly. Host names are resolved here, once, at load:
 * never in a worker. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_internal.h"
#include "lib/sockaddr.h"

#define UPSTREAM_PORT 80

/* Splits "host:port", "[v6]:port" or "host" (port default_port) and
 * resolves it into s. Returns 0 or -1 with the error set at n. */
static int resolve(struct cfg_ctx *c, const struct cfg_node *n, const char *text,
                   unsigned default_port, struct cfg_upstream_server *s)
{
    char host[256];
    const char *port = NULL, *h = text;
    size_t hl;
    if (*text == '[') {
        const char *end = strchr(text, ']');
        if (!end || (end[1] && end[1] != ':'))
            return cfg_error(c, n, "'%s' is not host:port or [ipv6]:port", text);
        h = text + 1;
        hl = (size_t)(end - h);
        port = end[1] ? end + 2 : NULL;
    } else {
        const char *colon = strrchr(text, ':');
        hl = colon ? (size_t)(colon - text) : strlen(text);
        port = colon ? colon + 1 : NULL;
    }
    char def[8];
    snprintf(def, sizeof(def), "%u", default_port);
    if (hl == 0 || hl >= sizeof(host) || (port && !*port))
        return cfg_error(c, n, "'%s' is not host:port", text);
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
    int rc = getaddrinfo(host, port ? port : def, &hints, &res);
    if (rc != 0)
        return cfg_error(c, n, "cannot resolve upstream '%s': %s", text, gai_strerror(rc));
    memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
    s->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    if (sockaddr_port(&s->addr) == 0)
        return cfg_error(c, n, "port must be between 1 and 65535 in '%s'", text);
    sockaddr_text(&s->addr, s->text, sizeof(s->text));
    s->written = text;
    return 0;
}

/* One item of `servers`: "host:port", or {address, weight, backup}. */
static int parse_server(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_upstream_server *s)
{
    static const char *const keys[] = {"address", "weight", "backup", NULL};
    const struct cfg_node *addr = n, *v;
    const char *text;
    s->weight = 1;
    if (n->kind == CFG_NODE_MAPPING) {
        if (cfg_check_keys(c, n, keys, "in an upstream server") < 0)
            return -1;
        if (!(addr = cfg_map_get(n, "address", NULL)))
            return cfg_error(c, n, "upstream server is missing 'address'");
        uint64_t w;
        if ((v = cfg_map_get(n, "weight", NULL))) {
            if (cfg_get_uint(c, v, "weight", 1, 1000, &w) < 0)
                return -1;
            s->weight = (unsigned)w;
        }
        if ((v = cfg_map_get(n, "backup", NULL)) && cfg_get_bool(c, v, "backup", &s->backup) < 0)
            return -1;
    }
    if (cfg_get_string(c, addr, "address", &text) < 0)
        return -1;
    return resolve(c, addr, text, UPSTREAM_PORT, s);
}

static int parse_servers(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_upstream *u)
{
    if (n->kind != CFG_NODE_SEQUENCE || n->n == 0)
        return cfg_error(c, n, "'servers' must be a list of host:port");
    u->servers = cfg_arena_calloc(c->a, n->n, sizeof(*u->servers));
    if (!u->servers)
        return cfg_error(c, n, "out of memory");
    size_t primaries = 0;
    for (size_t i = 0; i < n->n; i++) {
        if (parse_server(c, n->items[i], &u->servers[i]) < 0)
            return -1;
        primaries += !u->servers[i].backup;
    }
    u->n_servers = n->n;
    if (primaries == 0)
        return cfg_error(c, n, "upstream '%s' has only backup servers", u->name);
    return 0;
}

static int parse_balance(struct cfg_ctx *c, const struct cfg_node *v, struct cfg_upstream *u)
{
    static const char *const names[] = {"round_robin", "least_conn", "ip_hash"};
    const char *s;
    if (cfg_get_string(c, v, "balance", &s) < 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            u->balance = (enum cfg_balance)i;
            return 0;
        }
    }
    return cfg_error(c, v, "'balance' must be round_robin, least_conn or ip_hash");
}

static int parse_health(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_upstream *u)
{
    static const char *const keys[] = {"path", "interval", NULL};
    if (cfg_get_mapping(c, n, "health_check") < 0 ||
        cfg_check_keys(c, n, keys, "in health_check") < 0)
        return -1;
    const struct cfg_node *v = cfg_map_get(n, "path", NULL);
    const char *path = "/";
    if (v && cfg_get_string(c, v, "path", &path) < 0)
        return -1;
    if (path[0] != '/' || !cfg_header_safe(path))
        return cfg_error(c, v ? v : n, "health_check 'path' must start with '/' (no spaces)");
    u->health_path = path;
    u->health_interval_ms = 5000;
    if ((v = cfg_map_get(n, "interval", NULL)) &&
        cfg_get_duration(c, v, "interval", &u->health_interval_ms) < 0)
        return -1;
    return 0;
}

/* The settings of a group besides its servers. */
static int parse_group_settings(struct cfg_ctx *c, const struct cfg_node *m, struct cfg_upstream *u)
{
    const struct cfg_node *v;
    uint64_t x;
    if ((v = cfg_map_get(m, "balance", NULL)) && parse_balance(c, v, u) < 0)
        return -1;
    if ((v = cfg_map_get(m, "keepalive", NULL))) {
        if (cfg_get_uint(c, v, "keepalive", 0, 100000, &x) < 0)
            return -1;
        u->keepalive = (unsigned)x;
    }
    if ((v = cfg_map_get(m, "max_fails", NULL))) {
        if (cfg_get_uint(c, v, "max_fails", 0, 100000, &x) < 0)
            return -1;
        u->max_fails = (unsigned)x;
    }
    if ((v = cfg_map_get(m, "fail_timeout", NULL)) &&
        cfg_get_duration(c, v, "fail_timeout", &u->fail_timeout_ms) < 0)
        return -1;
    if ((v = cfg_map_get(m, "health_check", NULL)) && parse_health(c, v, u) < 0)
        return -1;
    return 0;
}

static void group_defaults(struct cfg_upstream *u)
{
    u->balance = CFG_BALANCE_ROUND_ROBIN;
    u->keepalive = 32;
    u->max_fails = 1;
    u->fail_timeout_ms = 10000;
}

static int parse_group(struct cfg_ctx *c, const struct cfg_node *k, const struct cfg_node *m,
                       struct cfg_upstream *u)
{
    static const char *const keys[] = {"servers",      "balance",      "keepalive", "max_fails",
                                       "fail_timeout", "health_check", NULL};
    group_defaults(u);
    u->name = k->str;
    u->pos = cfg_pos_of(c, k);
    if (cfg_get_mapping(c, m, "upstream") < 0 || cfg_check_keys(c, m, keys, "in upstream") < 0)
        return -1;
    const struct cfg_node *v = cfg_map_get(m, "servers", NULL);
    if (!v)
        return cfg_error(c, m, "upstream '%s' is missing 'servers'", u->name);
    return parse_servers(c, v, u) < 0 ? -1 : parse_group_settings(c, m, u);
}

/* Room for the named groups and the single-server ones proxy targets add:
 * at most one per location, so the count of the file's nodes bounds it. */
int cfg_load_upstreams(struct cfg_ctx *c, const struct cfg_node *n)
{
    struct config *cfg = c->cfg;
    if (n && cfg_get_mapping(c, n, "upstreams") < 0)
        return -1;
    for (size_t i = 0; n && i < n->n; i++) {
        const char *name = cfg_map_key(n, i)->str;
        if (!*name || strpbrk(name, "/:[] "))
            return cfg_error(c, cfg_map_key(n, i),
                             "upstream name '%s' must be a plain name like app", name);
    }
    size_t named = n ? n->n : 0;
    cfg->upstreams = cfg_arena_calloc(c->a, named + c->upstream_room, sizeof(*cfg->upstreams));
    if (!cfg->upstreams)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < named; i++) {
        struct cfg_upstream *u = &cfg->upstreams[i];
        u->index = i;
        if (parse_group(c, cfg_map_key(n, i), cfg_map_value(n, i), u) < 0)
            return -1;
    }
    cfg->n_upstreams = named;
    return 0;
}

const struct cfg_upstream *cfg_upstream_named(struct cfg_ctx *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->cfg->n_upstreams; i++) {
        const struct cfg_upstream *u = &c->cfg->upstreams[i];
        if (!u->implicit && strlen(u->name) == len && strncmp(u->name, name, len) == 0)
            return u;
    }
    return NULL;
}

const struct cfg_upstream *cfg_upstream_single(struct cfg_ctx *c, const struct cfg_node *n,
                                               const char *hostport)
{
    struct config *cfg = c->cfg;
    struct cfg_upstream_server s = {.weight = 1};
    if (resolve(c, n, hostport, UPSTREAM_PORT, &s) < 0)
        return NULL;
    if (!(s.written = cfg_arena_strdup(c->a, hostport))) { /* hostport is the caller's */
        cfg_error(c, n, "out of memory");
        return NULL;
    }
    /* The same server named twice (the same way: Host: upstream sends the
     * name) shares one group, and so one pool. */
    for (size_t i = 0; i < cfg->n_upstreams; i++) {
        struct cfg_upstream *u = &cfg->upstreams[i];
        if (u->implicit && strcasecmp(u->servers[0].written, s.written) == 0 &&
            sockaddr_equal(&u->servers[0].addr, u->servers[0].addrlen, &s.addr, s.addrlen))
            return u;
    }
    struct cfg_upstream *u = &cfg->upstreams[cfg->n_upstreams];
    group_defaults(u);
    u->servers = cfg_arena_calloc(c->a, 1, sizeof(*u->servers));
    if (!u->servers) {
        cfg_error(c, n, "out of memory");
        return NULL;
    }
    u->servers[0] = s;
    u->n_servers = 1;
    u->name = u->servers[0].text;
    u->implicit = true;
    u->pos = cfg_pos_of(c, n);
    u->index = cfg->n_upstreams++;
    return u;
}
