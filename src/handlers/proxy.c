/* proxy: forwards every request of its location to a backend. Parsed and
 * validated here; until the reverse proxy lands it answers 501. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_parse.h"
#include "handlers/handlers.h"
#include "server/request.h"

static const char *const proxy_keys[] = {"proxy", NULL};

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

/* Settings: the URL, as written. */
static int proxy_parse(struct cfg_ctx *c, const struct cfg_node *m, const struct cfg_location *loc,
                       const void **settings)
{
    const struct cfg_node *v = cfg_map_get(m, "proxy", NULL);
    const char *s;
    if (!v)
        return 0;
    if (cfg_get_string(c, v, "proxy", &s) < 0 || !is_proxy_url(s))
        return cfg_error(c, v, "'proxy' must be an http:// URL with a host, like "
                         "http://127.0.0.1:9000");
    *settings = s;
    return 0;
}

static void proxy_dump(const void *settings, FILE *out)
{
    fprintf(out, "    proxy: %s\n", (const char *)settings);
}

static enum handler_result proxy_on_request(struct request *r)
{
    return request_error(r, 501);
}

const struct handler handler_proxy = {
    .desc = {.name = "proxy", .keys = proxy_keys, .order = 2, .exclusive = true,
             .parse = proxy_parse, .dump = proxy_dump},
    .on_request = proxy_on_request,
};
