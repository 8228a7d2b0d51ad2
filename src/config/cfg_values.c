/* Typed scalar values: sizes, durations, booleans, integers, strings,
 * method lists and listen addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_internal.h"
#include "http/http_parse.h"
#include "lib/sockaddr.h"

/* Leading decimal digits of s into *v; returns the count, 0 for none or
 * when the value exceeds max. */
static size_t parse_digits(const char *s, uint64_t max, uint64_t *v)
{
    size_t i = 0;
    uint64_t x = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (max - d) / 10)
            return 0;
        x = x * 10 + d;
    }
    *v = x;
    return i;
}

int cfg_parse_size(const char *s, uint64_t *out)
{
    uint64_t v;
    size_t i = parse_digits(s, UINT64_MAX, &v);
    if (i == 0)
        return -1;
    unsigned shift = 0;
    switch (s[i]) {
    case '\0': break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    default: return -1;
    }
    if (shift && s[i + 1] != '\0')
        return -1;
    if (v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int cfg_parse_duration(const char *s, uint32_t *out_ms)
{
    uint64_t v;
    size_t i = parse_digits(s, UINT32_MAX, &v);
    if (i == 0)
        return -1;
    uint64_t mult;
    const char *u = s + i;
    if (*u == '\0' || strcasecmp(u, "s") == 0)
        mult = 1000;
    else if (strcasecmp(u, "ms") == 0)
        mult = 1;
    else if (strcasecmp(u, "m") == 0)
        mult = 60 * 1000;
    else if (strcasecmp(u, "h") == 0)
        mult = 3600 * 1000;
    else
        return -1;
    if (v > UINT32_MAX / mult)
        return -1;
    *out_ms = (uint32_t)(v * mult);
    return 0;
}

static bool is_scalar(const struct cfg_node *n)
{
    return n->kind == CFG_NODE_SCALAR && !cfg_node_is_null(n);
}

int cfg_get_mapping(struct cfg_ctx *c, const struct cfg_node *n, const char *what)
{
    if (n->kind != CFG_NODE_MAPPING)
        return cfg_error(c, n, "'%s' must be a mapping", what);
    return 0;
}

int cfg_get_string(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                   const char **out)
{
    if (!is_scalar(n))
        return cfg_error(c, n, "'%s' must be a string", what);
    *out = n->str;
    return 0;
}

int cfg_get_bool(struct cfg_ctx *c, const struct cfg_node *n, const char *what, bool *out)
{
    static const char *const yes[] = {"true", "on", "yes"};
    static const char *const no[] = {"false", "off", "no"};
    for (size_t i = 0; is_scalar(n) && i < 3; i++) {
        if (strcasecmp(n->str, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(n->str, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return cfg_error(c, n, "'%s' must be true or false", what);
}

int cfg_get_uint(struct cfg_ctx *c, const struct cfg_node *n, const char *what, uint64_t min,
                 uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (is_scalar(n)) {
        size_t i = parse_digits(n->str, max, &v);
        if (i > 0 && n->str[i] == '\0' && v >= min) {
            *out = v;
            return 0;
        }
    }
    if (min == 1)
        return cfg_error(c, n, "'%s' must be a positive integer", what);
    return cfg_error(c, n, "'%s' must be an integer from %llu to %llu", what,
                     (unsigned long long)min, (unsigned long long)max);
}

int cfg_get_size(struct cfg_ctx *c, const struct cfg_node *n, const char *what, uint64_t *out)
{
    if (!is_scalar(n) || cfg_parse_size(n->str, out) < 0)
        return cfg_error(c, n, "'%s' must be a size like 512, 64k, 10m or 1g", what);
    return 0;
}

int cfg_get_duration(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                     uint32_t *out_ms)
{
    if (!is_scalar(n) || cfg_parse_duration(n->str, out_ms) < 0 || *out_ms == 0)
        return cfg_error(c, n, "'%s' must be a positive duration like 500ms, 10s, 2m or 1h",
                         what);
    return 0;
}

static const char *const method_names[HTTP_METHOD_COUNT] = {
    [HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD", [HTTP_POST] = "POST",
    [HTTP_PUT] = "PUT", [HTTP_DELETE] = "DELETE", [HTTP_OPTIONS] = "OPTIONS",
    [HTTP_PATCH] = "PATCH",
};

const char *cfg_method_name(unsigned bit_index)
{
    return bit_index < HTTP_METHOD_COUNT ? method_names[bit_index] : NULL;
}

/* "A, B or C": the words of a name list, for a message. */
static void word_list(const char *const *words, unsigned count, char *out, size_t cap)
{
    size_t len = 0;
    unsigned left = 0;
    for (unsigned i = 0; i < count; i++)
        left += words[i] != NULL;
    out[0] = '\0';
    for (unsigned i = 0; i < count && len < cap; i++) {
        if (!words[i])
            continue;
        left--;
        len += (size_t)snprintf(out + len, cap - len, "%s%s", words[i],
                                left > 1 ? ", " : left == 1 ? " or " : "");
    }
}

static int word_bit(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                    const char *noun, const char *const *words, unsigned count, unsigned *bits)
{
    if (!is_scalar(n))
        return cfg_error(c, n, "'%s' must be a list of %s names", what, noun);
    for (unsigned i = 0; i < count; i++) {
        if (words[i] && strcasecmp(n->str, words[i]) == 0) {
            *bits |= 1u << i;
            return 0;
        }
    }
    char use[160];
    word_list(words, count, use, sizeof(use));
    return cfg_error(c, n, "unknown %s '%.100s' in '%s' (use %s)", noun, n->str, what, use);
}

int cfg_get_word_bits(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                      const char *noun, const char *const *words, unsigned count, unsigned *out)
{
    unsigned bits = 0;
    if (n->kind == CFG_NODE_SEQUENCE) {
        if (n->n == 0)
            return cfg_error(c, n, "'%s' must not be empty", what);
        for (size_t i = 0; i < n->n; i++)
            if (word_bit(c, n->items[i], what, noun, words, count, &bits) < 0)
                return -1;
    } else if (word_bit(c, n, what, noun, words, count, &bits) < 0) {
        return -1;
    }
    *out = bits;
    return 0;
}

int cfg_get_methods(struct cfg_ctx *c, const struct cfg_node *n, unsigned *out)
{
    /* method_names[m] is the name of HTTP_METHOD_BIT(m) == 1u << m. */
    return cfg_get_word_bits(c, n, "methods", "method", method_names, HTTP_METHOD_COUNT, out);
}

int cfg_get_string_list(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                        char ***out, size_t *n_out)
{
    const struct cfg_node *const *items = (const struct cfg_node *const *)&n;
    size_t count = 1;
    if (n->kind == CFG_NODE_SEQUENCE) {
        items = (const struct cfg_node *const *)n->items;
        count = n->n;
    }
    char **v = cfg_arena_calloc(c->a, count, sizeof(*v));
    if (!v)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < count; i++) {
        if (!is_scalar(items[i]) || items[i]->len == 0)
            return cfg_error(c, items[i], "'%s' must be a string or a list of strings", what);
        v[i] = (char *)items[i]->str;
    }
    *out = v;
    *n_out = count;
    return 0;
}

/* "8080", "*:8080", "localhost:8080", "127.0.0.1:8080", "[::1]:8080". */
static int listen_addr(const char *s, struct cfg_listen *l, const char **port_out)
{
    char host[64];
    const char *port;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
            return -1;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&l->addr;
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return -1;
        a6->sin6_family = AF_INET6;
        l->addrlen = sizeof(*a6);
        *port_out = end + 2;
        return 0;
    }
    const char *colon = strrchr(s, ':');
    port = colon ? colon + 1 : s;
    size_t hl = colon ? (size_t)(colon - s) : 0;
    if (hl >= sizeof(host))
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    struct sockaddr_in *a4 = (struct sockaddr_in *)&l->addr;
    a4->sin_family = AF_INET;
    l->addrlen = sizeof(*a4);
    if (!colon || strcmp(host, "*") == 0)
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcasecmp(host, "localhost") == 0)
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return -1;
    *port_out = port;
    return 0;
}

/* The address of a listen item: a port, "host:port" or "[ipv6]:port". */
static int listen_address(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_listen *l)
{
    const char *port;
    if (!is_scalar(n) || listen_addr(n->str, l, &port) < 0)
        return cfg_error(c, n, "'listen' must be a port, \"host:port\" or \"[ipv6]:port\" "
                         "(host: an IPv4 address, localhost or *)");
    uint64_t p;
    size_t i = parse_digits(port, 65535, &p);
    if (i == 0 && port[0] >= '0' && port[0] <= '9')
        return cfg_error(c, n, "port must be between 1 and 65535 in 'listen'");
    if (i == 0 || port[i] != '\0')
        return cfg_error(c, n, "'listen' must be a port, \"host:port\" or \"[ipv6]:port\" "
                         "(host: an IPv4 address, localhost or *)");
    if (p == 0)
        return cfg_error(c, n, "port must be between 1 and 65535 in 'listen'");
    sockaddr_set_port(&l->addr, (unsigned)p);
    sockaddr_text(&l->addr, l->text, sizeof(l->text));
    return 0;
}

int cfg_get_listen(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_listen *l)
{
    static const char *const keys[] = {"address", "tls", NULL};
    memset(l, 0, sizeof(*l));
    l->pos = cfg_pos_of(c, n);
    if (n->kind != CFG_NODE_MAPPING)
        return listen_address(c, n, l);
    if (cfg_check_keys(c, n, keys, "in a listen item") < 0)
        return -1;
    const struct cfg_node *addr = cfg_map_get(n, "address", NULL), *v;
    if (!addr)
        return cfg_error(c, n, "listen item is missing 'address'");
    if ((v = cfg_map_get(n, "tls", NULL)) && cfg_get_bool(c, v, "tls", &l->tls) < 0)
        return -1;
    return listen_address(c, addr, l);
}

int cfg_get_flag(struct cfg_ctx *c, const struct cfg_node *m, const char *key,
                 const void **settings)
{
    static const bool on = true;
    const struct cfg_node *v = cfg_map_get(m, key, NULL);
    bool set = false;
    if (v && cfg_get_bool(c, v, key, &set) < 0)
        return -1;
    *settings = set ? &on : NULL;
    return 0;
}

struct cfg_arena *cfg_arena_of(struct cfg_ctx *c)
{
    return c->a;
}
