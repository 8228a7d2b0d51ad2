/* cfg_load(): reads the file, parses it into nodes, loads the top-level
 * keys and the servers, then builds the listeners. The node tree lives in
 * the config's arena (the config points at its strings); only the file's
 * text goes in a temporary one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_internal.h"

#define CFG_FILE_MAX (4u << 20)

static const char *const top_keys[] = {"workers",  "error_log",  "log_level", "access_log",
                                       "pid_file", "mime_types", "charset",   "timeouts",
                                       "limits",   "compress",   "upstreams", "servers", NULL};

/* Mapping keys named "proxy" anywhere in the tree: each may add a
 * single-server upstream group. */
static size_t count_proxy_keys(const struct cfg_node *n)
{
    size_t count = 0;
    if (!n || n->kind == CFG_NODE_SCALAR)
        return 0;
    for (size_t i = 0; i < n->n; i++) {
        const struct cfg_node *item = n->kind == CFG_NODE_MAPPING ? cfg_map_value(n, i) : n->items[i];
        if (n->kind == CFG_NODE_MAPPING && strcmp(cfg_map_key(n, i)->str, "proxy") == 0)
            count++;
        count += count_proxy_keys(item);
    }
    return count;
}

static void set_defaults(struct config *cfg)
{
    cfg->workers = 0;
    cfg->log_level = LOG_INFO;
    cfg->timeouts = (struct cfg_timeouts){.header_ms = 10000, .body_ms = 60000,
                                          .keepalive_ms = 75000, .send_ms = 60000,
                                          .cgi_ms = 30000, .upstream_ms = 60000,
                                          .upstream_connect_ms = 5000};
    cfg->limits = (struct cfg_limits){.connections = 10000, .keepalive_requests = 10000,
                                      .header_size = 16u << 10, .body_size = 1u << 20};
    static char *types[] = {"text/html", "text/css", "text/plain", "text/javascript",
                            "application/javascript", "application/json", "image/svg+xml"};
    cfg->compress = (struct cfg_compress){.gzip = true, .precompressed = true, .level = 5,
                                          .min_size = 1024, .types = types,
                                          .n_types = sizeof(types) / sizeof(types[0])};
}

/* "-", a path (relative to the file's folder) or, when allowed, an
 * unquoted off for NULL. */
static int load_log_path(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                         bool dash, char **out)
{
    if (n->kind == CFG_NODE_SCALAR && n->plain && strcasecmp(n->str, "off") == 0) {
        *out = NULL;
        return 0;
    }
    const char *s;
    if (cfg_get_string(c, n, what, &s) < 0 || !*s)
        return cfg_error(c, n, "'%s' must be %sa path or off", what, dash ? "\"-\", " : "");
    *out = dash && strcmp(s, "-") == 0 ? (char *)"-" : cfg_join_path(c, s);
    if (!*out)
        return cfg_error(c, n, "out of memory");
    return 0;
}

/* access_log: a path as load_log_path reads it, or a mapping {path,
 * format} (path "-" when left out, format combined). */
static int load_access_log(struct cfg_ctx *c, const struct cfg_node *n)
{
    static const char *const keys[] = {"path", "format", NULL};
    if (n->kind != CFG_NODE_MAPPING)
        return load_log_path(c, n, "access_log", true, &c->cfg->access_log);
    if (cfg_check_keys(c, n, keys, "in access_log") < 0)
        return -1;
    const struct cfg_node *v;
    if ((v = cfg_map_get(n, "path", NULL)) &&
        load_log_path(c, v, "access_log.path", true, &c->cfg->access_log) < 0)
        return -1;
    if (!(v = cfg_map_get(n, "format", NULL)))
        return 0;
    if (v->kind == CFG_NODE_SCALAR && strcmp(v->str, "json") == 0)
        c->cfg->access_log_format = CFG_LOG_JSON;
    else if (!(v->kind == CFG_NODE_SCALAR && strcmp(v->str, "combined") == 0))
        return cfg_error(c, v, "'access_log.format' must be combined or json");
    return 0;
}

static int load_workers(struct cfg_ctx *c, const struct cfg_node *n)
{
    uint64_t w;
    if (n->kind == CFG_NODE_SCALAR && strcasecmp(n->str, "auto") == 0) {
        c->cfg->workers = 0;
        return 0;
    }
    if (cfg_get_uint(c, n, "workers", 1, 4096, &w) < 0)
        return cfg_error(c, n, "'workers' must be a positive integer or auto");
    c->cfg->workers = (int)w;
    return 0;
}

static int load_log_level(struct cfg_ctx *c, const struct cfg_node *n)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    static const enum log_level values[] = {LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR};
    for (size_t i = 0; n->kind == CFG_NODE_SCALAR && i < 4; i++) {
        if (strcasecmp(n->str, levels[i]) == 0) {
            c->cfg->log_level = values[i];
            return 0;
        }
    }
    return cfg_error(c, n, "'log_level' must be debug, info, warn or error");
}

static int load_mime_types(struct cfg_ctx *c, const struct cfg_node *n)
{
    if (cfg_get_mapping(c, n, "mime_types") < 0)
        return -1;
    struct mime_override *m = cfg_arena_calloc(c->a, n->n, sizeof(*m));
    if (!m)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        const struct cfg_node *k = cfg_map_key(n, i), *v = cfg_map_value(n, i);
        if (k->str[0] != '.' || k->len < 2 || strchr(k->str, '/'))
            return cfg_error(c, k, "mime type extension '%s' must start with '.', like .wasm",
                             k->str);
        const char *t;
        if (cfg_get_string(c, v, "mime_types", &t) < 0 || !strchr(t, '/') || t[0] == '/' ||
            strpbrk(t, "\r\n"))
            return cfg_error(c, v, "mime type for '%s' must look like type/subtype", k->str);
        m[i] = (struct mime_override){.ext = k->str, .type = t};
    }
    c->cfg->mime_types = m;
    c->cfg->n_mime_types = n->n;
    return 0;
}

static int load_top(struct cfg_ctx *c, const struct cfg_node *root)
{
    struct config *cfg = c->cfg;
    if (!root || root->kind != CFG_NODE_MAPPING)
        return cfg_error(c, root, "the top level must be a mapping with 'servers'");
    if (cfg_check_keys(c, root, top_keys, "at top level") < 0)
        return -1;
    const struct cfg_node *v;
    cfg->error_log = cfg->access_log = "-";
    if ((v = cfg_map_get(root, "workers", NULL)) && load_workers(c, v) < 0)
        return -1;
    if ((v = cfg_map_get(root, "error_log", NULL)) &&
        load_log_path(c, v, "error_log", true, &cfg->error_log) < 0)
        return -1;
    if ((v = cfg_map_get(root, "log_level", NULL)) && load_log_level(c, v) < 0)
        return -1;
    if ((v = cfg_map_get(root, "access_log", NULL)) && load_access_log(c, v) < 0)
        return -1;
    if ((v = cfg_map_get(root, "pid_file", NULL)) &&
        load_log_path(c, v, "pid_file", false, &cfg->pid_file) < 0)
        return -1;
    if ((v = cfg_map_get(root, "mime_types", NULL)) && load_mime_types(c, v) < 0)
        return -1;
    if ((v = cfg_map_get(root, "charset", NULL)) && cfg_load_charset(c, v, &cfg->charset) < 0)
        return -1;
    if ((v = cfg_map_get(root, "timeouts", NULL)) && cfg_load_timeouts(c, v, &cfg->timeouts, true) < 0)
        return -1;
    if ((v = cfg_map_get(root, "limits", NULL)) && cfg_load_limits(c, v, &cfg->limits) < 0)
        return -1;
    if ((v = cfg_map_get(root, "compress", NULL)) && cfg_load_compress(c, v, &cfg->compress) < 0)
        return -1;
    c->upstream_room = count_proxy_keys(root);
    if (cfg_load_upstreams(c, cfg_map_get(root, "upstreams", NULL)) < 0)
        return -1;
    if (!(v = cfg_map_get(root, "servers", NULL)))
        return cfg_error(c, root, "the configuration is missing 'servers'");
    if (cfg_load_servers(c, v) < 0)
        return -1;
    return cfg_build_listeners(c);
}

/* Why open() failed. "Permission denied" alone leaves a person guessing
 * when the file is another user's: most often a file of the host mounted
 * into a container whose user differs (the demo image runs as uid 10001).
 * Say who portico runs as, whose the file is and what to do. */
static int open_error(struct cfg_ctx *c, int e)
{
    struct stat st;
    unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
    if (e != EACCES)
        return cfg_error(c, NULL, "cannot open: %s", strerror(e));
    if (stat(c->file, &st) < 0)
        return cfg_error(c, NULL,
                         "cannot open: %s: portico runs as uid %u gid %u, and a folder on the "
                         "way to the file is closed to it (chmod a+x the folders)",
                         strerror(e), uid, gid);
    return cfg_error(c, NULL,
                     "cannot open: %s: portico runs as uid %u gid %u, and the file belongs to "
                     "uid %u gid %u with mode %04o: make it readable to portico's user, e.g. "
                     "chmod a+r %s (for a file mounted into a container, do it on the host)",
                     strerror(e), uid, gid, (unsigned)st.st_uid, (unsigned)st.st_gid,
                     (unsigned)(st.st_mode & 07777), c->file);
}

/* The whole file into a NUL-terminated buffer in a. */
static int read_file(struct cfg_ctx *c, struct cfg_arena *a, char **buf, size_t *len)
{
    int fd = open(c->file, O_RDONLY | O_CLOEXEC);
    struct stat st = {0};
    if (fd < 0)
        return open_error(c, errno);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CFG_FILE_MAX) {
        int e = errno;
        close(fd);
        if (S_ISDIR(st.st_mode))
            return cfg_error(c, NULL, "cannot read: is a directory");
        if (S_ISREG(st.st_mode))
            return cfg_error(c, NULL, "file is larger than %u bytes", CFG_FILE_MAX);
        return cfg_error(c, NULL, "cannot read: %s", e ? strerror(e) : "not a regular file");
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *p = cfg_arena_alloc(a, size + 1);
    while (p && got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    int e = errno;
    close(fd);
    if (!p)
        return cfg_error(c, NULL, "out of memory");
    if (got < size)
        return cfg_error(c, NULL, "cannot read: %s", e ? strerror(e) : "file shrank");
    p[got] = '\0';
    *buf = p;
    *len = got;
    return 0;
}

/* The absolute directory of the file, where relative paths start. */
static int set_dir(struct cfg_ctx *c)
{
    const char *slash = strrchr(c->file, '/');
    char *folder = slash == c->file ? cfg_arena_strdup(c->a, "/")
                   : slash          ? cfg_arena_strndup(c->a, c->file, (size_t)(slash - c->file))
                                    : cfg_arena_strdup(c->a, ".");
    if (!folder)
        return cfg_error(c, NULL, "out of memory");
    char *real = realpath(folder, NULL);
    if (!real)
        return cfg_error(c, NULL, "cannot resolve the file's folder: %s", strerror(errno));
    c->cfg->dir = cfg_arena_strdup(c->a, real);
    free(real);
    if (!c->cfg->dir)
        return cfg_error(c, NULL, "out of memory");
    return 0;
}

struct config *cfg_load(const char *path, const struct cfg_handler *const *handlers, char *err,
                        size_t errlen)
{
    char spare[1];
    if (!err || errlen == 0) {
        err = spare;
        errlen = sizeof(spare);
    }
    err[0] = '\0';
    struct cfg_arena *a = cfg_arena_new(), *tmp = cfg_arena_new();
    struct config *cfg = a ? cfg_arena_alloc(a, sizeof(*cfg)) : NULL;
    if (!tmp || !cfg || !(cfg->path = cfg_arena_strdup(a, path))) {
        snprintf(err, errlen, "%s:1:1: out of memory", path);
        goto fail;
    }
    cfg->priv = a;
    set_defaults(cfg);
    struct cfg_ctx c = {.cfg = cfg, .a = a, .file = cfg->path, .err = err, .errlen = errlen};
    char *buf = NULL;
    size_t len = 0;
    struct cfg_node *root = NULL;
    if (cfg_use_handlers(&c, handlers) < 0 || read_file(&c, tmp, &buf, &len) < 0 ||
        set_dir(&c) < 0 ||
        cfg_node_parse(a, cfg->path, buf, len, &root, err, errlen) < 0 || load_top(&c, root) < 0)
        goto fail;
    cfg_arena_free(tmp);
    return cfg;
fail:
    cfg_arena_free(tmp);
    cfg_arena_free(a);
    return NULL;
}

void cfg_free(struct config *cfg)
{
    if (cfg)
        cfg_arena_free(cfg->priv);
}
