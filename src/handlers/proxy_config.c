/* The proxy handler's settings:
 *
 *   proxy: http://127.0.0.1:9000        one server, the full original target sent
 *   proxy: http://app                   the upstream group `app`
 *   proxy: {to: http://app/internal/, host: client|upstream|NAME,
 *           set_headers: {X-Env: prod, X-Debug: ""}, websocket: true, retries: 1}
 *
 * A path in `to` replaces the location prefix (/v2/a?q -> /internal/a?q). */
#include <string.h>
#include <strings.h>

#include "config/cfg_parse.h"
#include "handlers/proxy.h"

/* "http://host[:port][/path]" with a host; an IPv6 host in brackets. */
static bool is_proxy_url(const char *s)
{
    if (strncasecmp(s, "http://", 7) != 0 || !cfg_header_safe(s))
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

/* Splits "http://AUTHORITY[/path]" into the authority and the path. */
static int split_url(struct cfg_ctx *c, const struct cfg_node *n, const char *url,
                     const char **auth, size_t *auth_len, const char **path)
{
    if (!is_proxy_url(url))
        return cfg_error(c, n, "'proxy' must be an http:// URL with a host, like "
                         "http://127.0.0.1:9000");
    *auth = url + 7;
    *auth_len = strcspn(*auth, "/?#");
    const char *rest = *auth + *auth_len;
    if (rest[strcspn(rest, "?#")])
        return cfg_error(c, n, "'proxy' must be an http:// URL with a host and at most a path "
                         "(no query or fragment)");
    *path = *rest ? rest : NULL;
    return 0;
}

/* The group the authority names: an upstream's name, else one server. */
static const struct cfg_upstream *group_of(struct cfg_ctx *c, const struct cfg_node *n,
                                           const char *auth, size_t len)
{
    const struct cfg_upstream *u = cfg_upstream_named(c, auth, len);
    if (u)
        return u;
    char hostport[300];
    if (len >= sizeof(hostport)) {
        cfg_error(c, n, "proxy host '%.*s' is too long", (int)len, auth);
        return NULL;
    }
    memcpy(hostport, auth, len);
    hostport[len] = '\0';
    return cfg_upstream_single(c, n, hostport);
}

static int parse_to(struct cfg_ctx *c, const struct cfg_node *n, struct proxy_settings *ps)
{
    const char *url, *auth = NULL;
    size_t len = 0;
    if (cfg_get_string(c, n, "to", &url) < 0 || split_url(c, n, url, &auth, &len, &ps->path) < 0)
        return -1;
    ps->to = url;
    ps->group = group_of(c, n, auth, len);
    return ps->group ? 0 : -1;
}

static int parse_host(struct cfg_ctx *c, const struct cfg_node *v, struct proxy_settings *ps)
{
    const char *s;
    if (cfg_get_string(c, v, "host", &s) < 0)
        return -1;
    if (strcmp(s, "client") == 0) {
        ps->host = PROXY_HOST_CLIENT;
    } else if (strcmp(s, "upstream") == 0) {
        ps->host = PROXY_HOST_UPSTREAM;
    } else if (*s && cfg_header_safe(s)) {
        ps->host = PROXY_HOST_LITERAL;
        ps->host_literal = s;
    } else {
        return cfg_error(c, v, "'host' must be client, upstream or a host name");
    }
    return 0;
}

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *s))
            return false;
    return true;
}

/* Headers that frame the request or belong to one connection: portico
 * writes them itself, and a second value would confuse the upstream. */
static bool owned_header(const char *name)
{
    static const char *const owned[] = {"host",    "content-length", "transfer-encoding",
                                        "connection", "keep-alive",  "proxy-connection",
                                        "te",      "trailer",        "upgrade",
                                        NULL};
    for (size_t i = 0; owned[i]; i++)
        if (strcasecmp(name, owned[i]) == 0)
            return true;
    return false;
}

static int parse_set_headers(struct cfg_ctx *c, const struct cfg_node *n, struct proxy_settings *ps)
{
    if (cfg_get_mapping(c, n, "set_headers") < 0)
        return -1;
    ps->set_headers = cfg_arena_calloc(cfg_arena_of(c), n->n, sizeof(*ps->set_headers));
    if (!ps->set_headers)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        const struct cfg_node *k = cfg_map_key(n, i), *v = cfg_map_value(n, i);
        const char *value;
        if (!is_token(k->str))
            return cfg_error(c, k, "'%s' is not a header name", k->str);
        if (owned_header(k->str))
            return cfg_error(c, k, "'%s' cannot be set: portico writes it for each request%s",
                             k->str, strcasecmp(k->str, "host") == 0 ? " (use host: instead)" : "");
        if (cfg_get_string(c, v, "set_headers", &value) < 0 || strpbrk(value, "\r\n"))
            return cfg_error(c, v, "header value for '%s' must be one line of text", k->str);
        ps->set_headers[i] = (struct proxy_header){k->str, value};
    }
    ps->n_set_headers = n->n;
    return 0;
}

static int parse_map(struct cfg_ctx *c, const struct cfg_node *n, struct proxy_settings *ps)
{
    static const char *const keys[] = {"to", "host", "set_headers", "websocket", "retries", NULL};
    const struct cfg_node *v;
    uint64_t x;
    if (cfg_check_keys(c, n, keys, "in proxy") < 0)
        return -1;
    if (!(v = cfg_map_get(n, "to", NULL)))
        return cfg_error(c, n, "proxy is missing 'to'");
    if (parse_to(c, v, ps) < 0)
        return -1;
    if ((v = cfg_map_get(n, "host", NULL)) && parse_host(c, v, ps) < 0)
        return -1;
    if ((v = cfg_map_get(n, "set_headers", NULL)) && parse_set_headers(c, v, ps) < 0)
        return -1;
    if ((v = cfg_map_get(n, "websocket", NULL)) && cfg_get_bool(c, v, "websocket", &ps->websocket) < 0)
        return -1;
    if ((v = cfg_map_get(n, "retries", NULL))) {
        if (cfg_get_uint(c, v, "retries", 0, 100, &x) < 0)
            return -1;
        ps->retries = (unsigned)x;
    }
    return 0;
}

int proxy_config_parse(struct cfg_ctx *c, const struct cfg_node *m, const struct cfg_location *loc,
                       const void **settings)
{
    const struct cfg_node *n = cfg_map_get(m, "proxy", NULL);
    if (!n)
        return 0;
    struct proxy_settings *ps = cfg_arena_alloc(cfg_arena_of(c), sizeof(*ps));
    if (!ps)
        return cfg_error(c, n, "out of memory");
    ps->websocket = true;
    ps->retries = ~0u; /* each other server once, as nginx does */
    if (n->kind == CFG_NODE_MAPPING ? parse_map(c, n, ps) < 0 : parse_to(c, n, ps) < 0)
        return -1;
    if (ps->retries == ~0u)
        ps->retries = ps->group->n_servers ? (unsigned)ps->group->n_servers - 1 : 0;
    *settings = ps;
    return 0;
}

void proxy_config_dump(const void *settings, FILE *out)
{
    static const char *const hosts[] = {"client", "upstream", ""};
    const struct proxy_settings *ps = settings;
    fprintf(out, "    proxy group: %s%s, host %s%s, websocket %s, retries %u\n",
            ps->group->implicit ? "one server " : "", ps->group->name, hosts[ps->host],
            ps->host == PROXY_HOST_LITERAL ? ps->host_literal : "", ps->websocket ? "on" : "off",
            ps->retries);
    for (size_t i = 0; i < ps->n_set_headers; i++)
        fprintf(out, "    proxy sets: %s: %s\n", ps->set_headers[i].name,
                *ps->set_headers[i].value ? ps->set_headers[i].value : "(removed)");
    fprintf(out, "    proxy: %s\n", ps->to);
}
