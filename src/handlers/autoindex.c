/* autoindex: lists a directory that has no index file (static found it and
 * set r->dir_no_index). HTML by default; JSON (the shape of nginx's
 * autoindex_format json) when Accept names application/json or the query
 * has format=json. Dot-files are hidden; directories come first, then
 * names in byte order.
 *
 * The body is built in one pass in a strbuf, which the request then owns,
 * so a directory of any size fits. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_parse.h"
#include "handlers/handlers.h"
#include "http/escape.h"
#include "http/http_date.h"
#include "http/http_parse.h"
#include "http/http_status.h"
#include "lib/path.h"
#include "lib/strbuf.h"
#include "server/fs.h"
#include "server/request.h"

enum entry_type { ENTRY_FILE, ENTRY_DIR, ENTRY_OTHER };

struct entry {
    char *name;
    enum entry_type type;
    off_t size;
    time_t mtime;
};

struct listing {
    struct entry *v;
    size_t n, cap;
};

static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
}

/* ---- reading the directory ---- */

/* The stat of a symlink's target, resolved beneath the root: a link that
 * is broken or leads outside the root is not listed (0 listed, -1 not). */
static int stat_link_target(const struct request *r, const char *dir_rel, const char *name,
                            struct stat *st)
{
    char rel[PATH_MAX];
    if (path_join(rel, sizeof(rel), dir_rel, name) < 0)
        return -1;
    int fd = fs_open_beneath(r->loc->root, rel, O_PATH);
    if (fd < 0)
        return -1;
    int rc = fstat(fd, st);
    close(fd);
    return rc;
}

static int listing_add(struct listing *l, const char *name, const struct stat *st)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct entry *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    struct entry *e = &l->v[l->n++];
    e->name = copy;
    e->type = S_ISDIR(st->st_mode) ? ENTRY_DIR : S_ISREG(st->st_mode) ? ENTRY_FILE : ENTRY_OTHER;
    e->size = st->st_size;
    e->mtime = st->st_mtime;
    return 0;
}

/* Reads the visible entries of dir (which it closes) into l. Symlinks are
 * followed, but only when their target stays inside the root. Returns 0,
 * or -1 when out of memory. */
static int read_dir(const struct request *r, const char *dir_rel, DIR *dir, struct listing *l)
{
    int dfd = dirfd(dir);
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.') /* ".", ".." and dot-files */
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone meanwhile */
        if (S_ISLNK(st.st_mode) && stat_link_target(r, dir_rel, de->d_name, &st) < 0)
            continue;
        if (listing_add(l, de->d_name, &st) < 0) {
            rc = -1;
            break;
        }
    }
    closedir(dir);
    return rc;
}

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    bool xd = x->type == ENTRY_DIR, yd = y->type == ENTRY_DIR;
    if (xd != yd)
        return xd ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* ---- rendering ---- */

static void put_date(struct strbuf *b, time_t t)
{
    char date[HTTP_DATE_LEN + 1];
    http_date_format(t, date);
    strbuf_append(b, date, HTTP_DATE_LEN);
}

static void render_json(struct strbuf *b, const struct listing *l)
{
    strbuf_puts(b, "[");
    for (size_t i = 0; i < l->n; i++) {
        const struct entry *e = &l->v[i];
        strbuf_puts(b, i ? ",\n{\"name\":\"" : "{\"name\":\"");
        escape_json(b, e->name, strlen(e->name));
        strbuf_puts(b, e->type == ENTRY_DIR    ? "\",\"type\":\"directory\""
                       : e->type == ENTRY_FILE ? "\",\"type\":\"file\""
                                               : "\",\"type\":\"other\"");
        strbuf_puts(b, ",\"mtime\":\"");
        put_date(b, e->mtime);
        strbuf_puts(b, "\"");
        if (e->type == ENTRY_FILE)
            strbuf_printf(b, ",\"size\":%llu", (unsigned long long)e->size);
        strbuf_puts(b, "}");
    }
    strbuf_puts(b, "]\n");
}

static void render_html(struct strbuf *b, const struct request *r, const struct listing *l)
{
    strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<title>Index of ");
    escape_html(b, r->path, r->path_len);
    strbuf_puts(b, "</title>\n<style>body{font-family:sans-serif}"
                   "td,th{padding:0 1em 0 0;text-align:left}.s{text-align:right}</style>\n"
                   "</head>\n<body>\n<h1>Index of ");
    escape_html(b, r->path, r->path_len);
    strbuf_puts(b, "</h1>\n<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th>"
                   "<th>Last modified</th></tr></thead>\n<tbody>\n");
    if (!(r->path_len == 1 && r->path[0] == '/'))
        strbuf_puts(b, "<tr><td><a href=\"../\">../</a></td><td class=\"s\">-</td><td></td></tr>\n");
    for (size_t i = 0; i < l->n; i++) {
        const struct entry *e = &l->v[i];
        size_t n = strlen(e->name);
        const char *slash = e->type == ENTRY_DIR ? "/" : "";
        /* Percent-encoding leaves no byte HTML would escape, so the link
         * goes into the attribute as it is. */
        strbuf_puts(b, "<tr><td><a href=\"");
        escape_url_path(b, e->name, n);
        strbuf_puts(b, slash);
        strbuf_puts(b, "\">");
        escape_html(b, e->name, n);
        strbuf_puts(b, slash);
        strbuf_puts(b, "</a></td><td class=\"s\">");
        if (e->type == ENTRY_FILE)
            strbuf_printf(b, "%llu", (unsigned long long)e->size);
        else
            strbuf_puts(b, "-");
        strbuf_puts(b, "</td><td>");
        put_date(b, e->mtime);
        strbuf_puts(b, "</td></tr>\n");
    }
    strbuf_puts(b, "</tbody>\n</table>\n<hr><p>portico</p>\n</body>\n</html>\n");
}

/* ---- the handler ---- */

static enum handler_result autoindex_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (!r->dir_no_index || (m != HTTP_GET && m != HTTP_HEAD))
        return HANDLER_DECLINED;
    const char *rel = request_rel_path(r);
    int fd = fs_open_beneath(r->loc->root, rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        int status = http_status_for_errno(errno);
        if (status == 404)
            return HANDLER_DECLINED; /* gone since static looked: 404 */
        return request_error(r, status);
    }
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return request_error(r, 500);
    }
    /* rel without its trailing slash, for resolving symlinks beneath it. */
    char dir_rel[PATH_MAX];
    size_t rl = strlen(rel);
    if (rl >= sizeof(dir_rel)) {
        closedir(dir); /* it opened, so the kernel took its length: never here */
        return request_error(r, 404);
    }
    while (rl > 0 && rel[rl - 1] == '/')
        rl--;
    memcpy(dir_rel, rel, rl);
    dir_rel[rl] = '\0';

    struct listing l = {0};
    if (read_dir(r, dir_rel, dir, &l) < 0) {
        listing_free(&l);
        return request_error(r, 500);
    }
    if (l.n > 1)
        qsort(l.v, l.n, sizeof(*l.v), entry_cmp);

    bool json = request_wants_json(r);
    struct strbuf b = STRBUF_INIT;
    if (json)
        render_json(&b, &l);
    else
        render_html(&b, r, &l);
    listing_free(&l);
    size_t len;
    char *body = strbuf_take(&b, &len);
    if (!body)
        return request_error(r, 500);

    response_add_header(r, "Vary: Accept");
    response_adopt_body(r, 200, body, len, json ? "application/json" : "text/html; charset=utf-8");
    return HANDLER_DONE;
}

static const char *const autoindex_keys[] = {"autoindex", NULL};

static int autoindex_parse(struct cfg_ctx *c, const struct cfg_node *m,
                           const struct cfg_location *loc, const void **settings)
{
    return cfg_get_flag(c, m, "autoindex", settings);
}

static void autoindex_dump(const void *settings, FILE *out)
{
    fputs("    autoindex: on\n", out);
}

const struct handler handler_autoindex = {
    .desc = {.name = "autoindex", .keys = autoindex_keys, .order = 8,
             .parse = autoindex_parse, .dump = autoindex_dump},
    .on_request = autoindex_on_request,
};
