/* Per-request lookups: Host -> server on a listener, path -> location.
 * Pure functions; no allocation. */
#include <string.h>

#include "config/config.h"
#include "lib/sockaddr.h"
#include "lib/ascii.h"

/* host[0..len) equals the lower-case name, ASCII case-insensitively. */
static bool host_eq(const char *host, const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (ascii_lower((unsigned char)host[i]) != (unsigned char)name[i])
            return false;
    return true;
}

/* The host part of a Host value: without ":port", "[v6]" kept whole,
 * without one trailing dot. */
static size_t host_part(const char *host, size_t len)
{
    if (len && host[0] == '[') {
        const char *end = memchr(host, ']', len);
        return end ? (size_t)(end - host) + 1 : len;
    }
    const char *colon = memchr(host, ':', len);
    if (colon)
        len = (size_t)(colon - host);
    if (len > 1 && host[len - 1] == '.')
        len--;
    return len;
}

const struct cfg_server *cfg_match_server(const struct cfg_listener *l, const char *host,
                                          size_t len)
{
    len = host ? host_part(host, len) : 0;
    if (len == 0)
        return l->default_server;
    const struct cfg_server *wild = NULL;
    size_t wild_len = 0;
    for (size_t i = 0; i < l->n_servers; i++) {
        const struct cfg_server *s = l->servers[i];
        for (size_t j = 0; j < s->n_names; j++) {
            const char *name = s->names[j];
            if (name[0] == '*') {
                /* "*.example.test": the host ends in ".example.test" and
                 * has at least one label before it. */
                size_t sl = strlen(name + 1);
                if (sl > wild_len && len > sl && host_eq(host + len - sl, name + 1, sl)) {
                    wild = s;
                    wild_len = sl;
                }
            } else if (strlen(name) == len && host_eq(host, name, len)) {
                return s;
            }
        }
    }
    return wild ? wild : l->default_server;
}

const struct cfg_location *cfg_match_location(const struct cfg_server *s, const char *path,
                                              size_t len)
{
    const struct cfg_location *slash = NULL;
    for (size_t i = 0; i < s->n_locations; i++) {
        const struct cfg_location *loc = &s->locations[i];
        size_t pl = loc->prefix_len;
        bool ends_slash = pl && loc->prefix[pl - 1] == '/';
        if (pl <= len && memcmp(path, loc->prefix, pl) == 0 &&
            (pl == len || ends_slash || path[pl] == '/')) {
            /* Locations are sorted longest first: this is the longest
             * ordinary match; "/files/" matching "/files" beats it only
             * when it is longer than this prefix. */
            return slash && slash->prefix_len - 1 > pl ? slash : loc;
        }
        if (!slash && ends_slash && pl == len + 1 && memcmp(path, loc->prefix, len) == 0)
            slash = loc;
    }
    return slash;
}

const struct cfg_listener *cfg_match_listener(const struct cfg_listener *l,
                                              const struct sockaddr_storage *local)
{
    for (size_t i = 0; i < l->n_covered; i++)
        if (sockaddr_same(&l->covered[i]->addr, local))
            return l->covered[i];
    return l;
}
