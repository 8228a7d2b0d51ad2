#include "handlers/cgi_script.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handlers/cgi_env.h"
#include "http/http_status.h"
#include "lib/path.h"
#include "lib/sockaddr.h"
#include "server/fs.h"
#include "server/request.h"

static const struct cgi_ext *ext_of(const struct cgi_settings *cs, const char *seg, size_t len)
{
    for (size_t i = 0; i < cs->n; i++) {
        size_t n = strlen(cs->v[i].ext);
        if (len > n && memcmp(seg + len - n, cs->v[i].ext, n) == 0)
            return &cs->v[i];
    }
    return NULL;
}

static const struct cgi_ext *match(const struct request *r, size_t *end)
{
    const char *path = r->path;
    size_t start = r->loc->prefix_len <= r->path_len ? r->loc->prefix_len : r->path_len;
    while (start > 0 && path[start - 1] != '/')
        start--; /* the segment the prefix ends in */
    for (size_t i = start; i < r->path_len;) {
        const char *slash = memchr(path + i, '/', r->path_len - i);
        size_t seg_end = slash ? (size_t)(slash - path) : r->path_len;
        const struct cgi_ext *c = ext_of(r->settings, path + i, seg_end - i);
        if (c) {
            *end = seg_end;
            return c;
        }
        i = seg_end + 1;
    }
    return NULL;
}

size_t cgi_script_match(const struct request *r)
{
    size_t end = 0;
    return match(r, &end) ? end : 0;
}

int cgi_script_resolve(const struct request *r, size_t end, struct cgi_script *s)
{
    size_t tmp;
    const struct cgi_ext *c = match(r, &tmp);
    const struct cfg_location *loc = r->loc;
    const char *rel = request_rel_path(r);
    size_t rel_len = (size_t)(r->path + end - rel);
    char rel_script[PATH_MAX];
    /* Longer than the file system allows: not there. */
    if (!c || rel > r->path + end || rel_len == 0 || rel_len >= sizeof(rel_script))
        return 404;
    memcpy(rel_script, rel, rel_len);
    rel_script[rel_len] = '\0';
    int fd = fs_open_beneath(loc->root, rel_script, O_RDONLY);
    if (fd < 0)
        return http_status_for_errno(errno);
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    if (rc < 0 || !S_ISREG(st.st_mode))
        return 403;
    bool self = c->interpreter[0] == '\0';
    if (self && !(st.st_mode & 0111))
        return 403;
    if (path_join(s->filename, sizeof(s->filename), loc->root, rel_script) < 0 ||
        snprintf(s->name, sizeof(s->name), "%.*s", (int)end, r->path) >= (int)sizeof(s->name))
        return 404; /* longer than the file system allows */
    memcpy(s->dir, s->filename, sizeof(s->dir));
    char *slash = strrchr(s->dir, '/');
    if (slash == s->dir)
        slash++; /* "/x.cgi" (root "/") runs in "/" */
    *slash = '\0';
    s->path_info = r->path + end;
    s->argv[0] = self ? s->filename : (char *)c->interpreter;
    s->argv[1] = self ? NULL : s->filename;
    s->argv[2] = NULL;
    return 200;
}

/* Host without its port ("[v6]:80" keeps the brackets' content). */
static void server_name(const struct request *r, const struct cfg_listener *l, char *out,
                        size_t cap)
{
    struct str h = r->head.host;
    if (h.len == 0) {
        sockaddr_ip_text(&l->addr, out, cap);
        return;
    }
    size_t n = h.len;
    if (h.p[0] == '[') {
        const char *close = memchr(h.p, ']', h.len);
        n = close ? (size_t)(close - h.p + 1) : h.len;
    } else {
        const char *colon = memchr(h.p, ':', h.len);
        if (colon)
            n = (size_t)(colon - h.p);
    }
    snprintf(out, cap, "%.*s", (int)n, h.p);
}

char **cgi_script_env(const struct cgi_script *s, const struct request *r,
                      int64_t content_length)
{
    const struct conn *c = r->conn;
    const struct cfg_listener *l = c->listener;
    char remote[64], name[256];
    struct sockaddr_storage peer;
    conn_peer_addr(c, &peer);
    sockaddr_ip_text(&peer, remote, sizeof(remote));
    server_name(r, l, name, sizeof(name));
    struct cgi_env_input in = {
        .head = &r->head,
        .script_name = s->name,
        .script_filename = s->filename,
        .path_info = s->path_info,
        .document_root = r->loc->root,
        .server_name = name,
        .server_port = sockaddr_port(&l->addr),
        .remote_addr = remote,
        .remote_port = sockaddr_port(&peer),
        .content_length = content_length,
        .https = request_https(r),
    };
    return cgi_env_build(&in);
}
