/* Settings shared by servers and locations: timeouts, limits, charset,
 * root, index and error pages. Each overrides only the keys it sets. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_internal.h"
#include "lib/ascii.h"
#include "lib/beneath.h"

#define HEADER_SIZE_MIN 64
#define HEADER_SIZE_MAX (64u << 20)

int cfg_load_timeouts(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_timeouts *t,
                      bool top)
{
    static const char *const keys[] = {"header",   "body",  "keepalive",        "send", "cgi",
                                       "upstream", "drain", "upstream_connect", NULL};
    uint32_t *fields[] = {&t->header_ms, &t->body_ms,     &t->keepalive_ms, &t->send_ms,
                          &t->cgi_ms,    &t->upstream_ms, &t->drain_ms,     &t->upstream_connect_ms};
    if (cfg_get_mapping(c, n, "timeouts") < 0 || cfg_check_keys(c, n, keys, "in timeouts") < 0)
        return -1;
    for (size_t i = 0; keys[i]; i++) {
        const struct cfg_node *v = cfg_map_get(n, keys[i], NULL);
        if (!v)
            continue;
        const struct cfg_node *k;
        if (fields[i] == &t->drain_ms && !top && cfg_map_get(n, "drain", &k))
            return cfg_error(c, k, "'drain' belongs in the top-level timeouts: it is how long "
                             "a retiring worker may take, for all its servers");
        /* drain: off (unquoted) means "until the last request is done". */
        if (fields[i] == &t->drain_ms && v->kind == CFG_NODE_SCALAR && v->plain &&
            strcasecmp(v->str, "off") == 0) {
            t->drain_ms = 0;
            continue;
        }
        if (cfg_get_duration(c, v, keys[i], fields[i]) < 0)
            return -1;
    }
    return 0;
}

int cfg_load_limits(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_limits *l)
{
    static const char *const keys[] = {"connections", "keepalive_requests", "header_size",
                                       "body_size", NULL};
    if (cfg_get_mapping(c, n, "limits") < 0 || cfg_check_keys(c, n, keys, "in limits") < 0)
        return -1;
    const struct cfg_node *v;
    uint64_t x;
    if ((v = cfg_map_get(n, "connections", NULL))) {
        if (cfg_get_uint(c, v, "connections", 1, UINT32_MAX, &x) < 0)
            return -1;
        l->connections = (uint32_t)x;
    }
    if ((v = cfg_map_get(n, "keepalive_requests", NULL))) {
        if (cfg_get_uint(c, v, "keepalive_requests", 1, UINT32_MAX, &x) < 0)
            return -1;
        l->keepalive_requests = (uint32_t)x;
    }
    if ((v = cfg_map_get(n, "header_size", NULL))) {
        if (cfg_get_size(c, v, "header_size", &l->header_size) < 0)
            return -1;
        if (l->header_size < HEADER_SIZE_MIN || l->header_size > HEADER_SIZE_MAX)
            return cfg_error(c, v, "'header_size' must be between 64 and 64m");
    }
    if ((v = cfg_map_get(n, "body_size", NULL)) &&
        cfg_get_size(c, v, "body_size", &l->body_size) < 0)
        return -1;
    return 0;
}

/* compress.types: "type/subtype" (lower-cased here) or "*". */
static int load_compress_types(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_compress *z)
{
    if (cfg_get_string_list(c, n, "types", &z->types, &z->n_types) < 0)
        return -1;
    for (size_t i = 0; i < z->n_types; i++) {
        const struct cfg_node *item = n->kind == CFG_NODE_SEQUENCE ? n->items[i] : n;
        const char *t = z->types[i], *slash = strchr(t, '/');
        bool ok = strcmp(t, "*") == 0 || (slash && slash != t && slash[1] && !strchr(t, ';') &&
                                         cfg_header_safe(t));
        if (!ok)
            return cfg_error(c, item, "compress type '%s' must look like text/html (or be \"*\")", t);
        char *lower = cfg_arena_strdup(c->a, t);
        if (!lower)
            return cfg_error(c, item, "out of memory");
        for (char *p = lower; *p; p++)
            *p = (char)ascii_lower((unsigned char)*p);
        z->types[i] = lower;
    }
    return 0;
}

/* `compress: true` turns on what the parent's block says (the defaults when
 * no parent set any), false turns it off, and a mapping turns it on with
 * the keys it sets. */
int cfg_load_compress(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_compress *z)
{
    static const char *const keys[] = {"gzip", "level", "min_size", "types", "precompressed",
                                       NULL};
    if (n->kind == CFG_NODE_SCALAR)
        return cfg_get_bool(c, n, "compress", &z->on) < 0
                   ? cfg_error(c, n, "'compress' must be true, false or a mapping")
                   : 0;
    if (cfg_get_mapping(c, n, "compress") < 0 || cfg_check_keys(c, n, keys, "in compress") < 0)
        return -1;
    z->on = true;
    const struct cfg_node *v;
    uint64_t level;
    if ((v = cfg_map_get(n, "gzip", NULL)) && cfg_get_bool(c, v, "gzip", &z->gzip) < 0)
        return -1;
    if ((v = cfg_map_get(n, "precompressed", NULL)) &&
        cfg_get_bool(c, v, "precompressed", &z->precompressed) < 0)
        return -1;
    if ((v = cfg_map_get(n, "level", NULL))) {
        if (cfg_get_uint(c, v, "level", 1, 9, &level) < 0)
            return cfg_error(c, v, "'level' must be an integer from 1 to 9");
        z->level = (int)level;
    }
    if ((v = cfg_map_get(n, "min_size", NULL)) && cfg_get_size(c, v, "min_size", &z->min_size) < 0)
        return -1;
    if ((v = cfg_map_get(n, "types", NULL)) && load_compress_types(c, v, z) < 0)
        return -1;
    return 0;
}

bool cfg_compress_type(const struct cfg_compress *z, const char *type, size_t len)
{
    size_t n = 0;
    while (n < len && type[n] != ';' && type[n] != ' ' && type[n] != '\t')
        n++;
    for (size_t i = 0; i < z->n_types; i++) {
        const char *t = z->types[i];
        if ((t[0] == '*' && t[1] == '\0') || (strlen(t) == n && strncasecmp(t, type, n) == 0))
            return true;
    }
    return false;
}

/* The longest charset name IANA registers is 40 bytes. */
#define CHARSET_MAX 40

int cfg_load_charset(struct cfg_ctx *c, const struct cfg_node *n, const char **out)
{
    /* YAML's false words mean off; its true words would leave the name to
     * guess, and no charset is called either. */
    static const char *const words[] = {"off", "false", "no", "on", "true", "yes"};
    bool ok = n->kind == CFG_NODE_SCALAR && n->len > 0 && n->len <= CHARSET_MAX;
    for (size_t i = 0; ok && i < 6; i++) {
        if (strcasecmp(n->str, words[i]) == 0) {
            *out = NULL;
            ok = i < 3;
            if (ok)
                return 0;
        }
    }
    for (size_t i = 0; ok && i < n->len; i++)
        ok = ascii_is_tchar((unsigned char)n->str[i]);
    if (!ok)
        return cfg_error(c, n, "'charset' must be off or a charset name like utf-8 (a token "
                         "of at most %d letters, digits and !#$%%&'*+-.^_`|~)", CHARSET_MAX);
    *out = n->str;
    return 0;
}

/* The root as an absolute canonical directory (symlinks resolved), so that
 * handlers can check resolved files against it by prefix. */
int cfg_load_root(struct cfg_ctx *c, const struct cfg_node *n, char **out)
{
    const char *s;
    if (cfg_get_string(c, n, "root", &s) < 0)
        return -1;
    char *joined = cfg_join_path(c, s);
    if (!joined)
        return cfg_error(c, n, "out of memory");
    char *real = realpath(joined, NULL);
    if (!real) {
        if (errno == ENOENT || errno == ENOTDIR)
            return cfg_error(c, n, "root '%s' does not exist (%s)", s, joined);
        return cfg_error(c, n, "root '%s': %s (%s)", s, strerror(errno), joined);
    }
    struct stat st;
    int ok = stat(real, &st) == 0 && S_ISDIR(st.st_mode);
    *out = cfg_arena_strdup(c->a, real);
    free(real);
    if (!ok)
        return cfg_error(c, n, "root '%s' is not a directory (%s)", s, joined);
    if (!*out)
        return cfg_error(c, n, "out of memory");
    return 0;
}

int cfg_load_index(struct cfg_ctx *c, const struct cfg_node *n, char ***out, size_t *n_out)
{
    if (cfg_get_string_list(c, n, "index", out, n_out) < 0)
        return -1;
    for (size_t i = 0; i < *n_out; i++) {
        const char *f = (*out)[i];
        if (strchr(f, '/') || strcmp(f, ".") == 0 || strcmp(f, "..") == 0) {
            const struct cfg_node *item = n->kind == CFG_NODE_SEQUENCE ? n->items[i] : n;
            return cfg_error(c, item, "index entry '%s' must be a file name", f);
        }
    }
    return 0;
}

/* A '/'-rooted path without '.' or '..' segments or empty ones. */
static bool is_clean_path(const char *p)
{
    if (p[0] != '/')
        return false;
    for (const char *seg = p + 1;; seg++) {
        const char *end = strchrnul(seg, '/');
        size_t len = (size_t)(end - seg);
        bool last = *end == '\0';
        if ((len == 0 && !last) || (len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (last)
            return true;
        seg = end;
    }
}

/* The page must be a regular file that the same containment rules as a
 * request reach: below the root, symlinks included. */
static int check_error_page(struct cfg_ctx *c, const struct cfg_node *v,
                            const struct cfg_error_page *ep)
{
    int dir = open(ep->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = dir < 0 ? -1 : open_beneath(dir, ep->root, ep->uri + 1, O_RDONLY | O_NONBLOCK);
    int err = errno;
    struct stat st;
    bool regular = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (fd >= 0)
        close(fd);
    if (dir >= 0)
        close(dir);
    if (fd < 0 && err == EXDEV)
        return cfg_error(c, v, "error page '%s' leads outside the root '%s'", ep->uri, ep->root);
    if (fd < 0)
        return cfg_error(c, v, "error page file '%s' does not exist", ep->path);
    if (!regular)
        return cfg_error(c, v, "error page file '%s' is not a regular file", ep->path);
    return 0;
}

static int load_error_page(struct cfg_ctx *c, const struct cfg_node *k, const struct cfg_node *v,
                           const char *root, struct cfg_error_page *ep)
{
    uint64_t status;
    if (cfg_get_uint(c, k, "error_pages", 300, 599, &status) < 0)
        return cfg_error(c, k, "error page status '%.20s' must be between 300 and 599", k->str);
    const char *uri;
    if (cfg_get_string(c, v, "error_pages", &uri) < 0)
        return cfg_error(c, v, "error page %d must be a URI like /errors/%d.html", (int)status,
                         (int)status);
    if (!is_clean_path(uri) || uri[strlen(uri) - 1] == '/')
        return cfg_error(c, v, "error page '%s' must be a file path starting with '/' "
                         "(no '.' or '..' segments)", uri);
    ep->status = (int)status;
    ep->uri = (char *)uri;
    ep->root = root;
    ep->path = cfg_path_join(c, root, uri);
    if (!ep->path)
        return cfg_error(c, v, "out of memory");
    return check_error_page(c, v, ep);
}

int cfg_load_error_pages(struct cfg_ctx *c, const struct cfg_node *n, const char *root,
                         struct cfg_error_page **out, size_t *n_out)
{
    if (cfg_get_mapping(c, n, "error_pages") < 0)
        return -1;
    if (!root)
        return cfg_error(c, n, "'error_pages' needs a 'root'");
    struct cfg_error_page *eps = cfg_arena_calloc(c->a, n->n, sizeof(*eps));
    if (!eps)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        if (load_error_page(c, cfg_map_key(n, i), cfg_map_value(n, i), root, &eps[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (eps[j].status == eps[i].status)
                return cfg_error(c, cfg_map_key(n, i), "duplicate error page for status %d",
                                 eps[i].status);
    }
    *out = eps;
    *n_out = n->n;
    return 0;
}
