/* autoindex: lists a directory that has no index file (static found it and
 * set r->dir_no_index). HTML by default; JSON (the shape of nginx's
 * autoindex_format json) when Accept names application/json or the query
 * has format=json. Dot-files are hidden; directories come first, then
 * names in byte order.
 *
 * The body is rendered twice: once to measure it, once into memory from
 * request_body_alloc of exactly that size, so a directory of any size fits
 * and nothing is copied twice. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handlers/fs.h"
#include "handlers/handler.h"
#include "handlers/request.h"
#include "http/http_date.h"
#include "http/http_parse.h"
#include "http/uri.h"

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
    int n = snprintf(rel, sizeof(rel), "%s%s%s", dir_rel, *dir_rel ? "/" : "", name);
    if (n < 0 || (size_t)n >= sizeof(rel))
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

/* ---- rendering: with out.p NULL it only measures ---- */

struct out {
    char *p;
    size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->p)
        memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    put(o, buf, (size_t)n);
}

/* Escapes are per byte, so long strings go through a small buffer in
 * pieces. */
#define CHUNK 256

static void put_html(struct out *o, const char *s, size_t n)
{
    char buf[CHUNK * 6 + 1];
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        long e = uri_escape_html(s + i, k, buf, sizeof(buf));
        if (e > 0)
            put(o, buf, (size_t)e);
    }
}

/* A link target: percent-encoded, then HTML-escaped for the attribute
 * (a no-op for what encoding leaves, kept for safety). */
static void put_href(struct out *o, const char *s, size_t n)
{
    char enc[CHUNK * 3 + 1];
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        long e = uri_encode_path(s + i, k, enc, sizeof(enc));
        if (e > 0)
            put_html(o, enc, (size_t)e);
    }
}

/* A JSON string with its quotes: '"', '\\' and control bytes escaped,
 * other bytes (UTF-8) as they are. */
static void put_json_str(struct out *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(o, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(o, esc, 6);
        } else {
            put(o, p, 1);
        }
    }
    put(o, "\"", 1);
}

static void put_date(struct out *o, time_t t)
{
    char date[HTTP_DATE_LEN + 1];
    http_date_format(t, date);
    put(o, date, HTTP_DATE_LEN);
}

static void render_json(struct out *o, const struct listing *l)
{
    put(o, "[", 1);
    for (size_t i = 0; i < l->n; i++) {
        const struct entry *e = &l->v[i];
        if (i)
            put(o, ",\n", 2);
        puts_(o, "{\"name\":");
        put_json_str(o, e->name);
        puts_(o, e->type == ENTRY_DIR    ? ",\"type\":\"directory\""
                 : e->type == ENTRY_FILE ? ",\"type\":\"file\""
                                         : ",\"type\":\"other\"");
        puts_(o, ",\"mtime\":\"");
        put_date(o, e->mtime);
        put(o, "\"", 1);
        if (e->type == ENTRY_FILE) {
            puts_(o, ",\"size\":");
            put_u64(o, (uint64_t)e->size);
        }
        put(o, "}", 1);
    }
    put(o, "]\n", 2);
}

static void render_html(struct out *o, const struct request *r, const struct listing *l)
{
    puts_(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>Index of ");
    put_html(o, r->path, r->path_len);
    puts_(o, "</title>\n<style>body{font-family:sans-serif}"
             "td,th{padding:0 1em 0 0;text-align:left}.s{text-align:right}</style>\n"
             "</head>\n<body>\n<h1>Index of ");
    put_html(o, r->path, r->path_len);
    puts_(o, "</h1>\n<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th><th>Last modified</th>"
             "</tr></thead>\n<tbody>\n");
    if (!(r->path_len == 1 && r->path[0] == '/'))
        puts_(o, "<tr><td><a href=\"../\">../</a></td><td class=\"s\">-</td><td></td></tr>\n");
    for (size_t i = 0; i < l->n; i++) {
        const struct entry *e = &l->v[i];
        size_t n = strlen(e->name);
        const char *slash = e->type == ENTRY_DIR ? "/" : "";
        puts_(o, "<tr><td><a href=\"");
        put_href(o, e->name, n);
        puts_(o, slash);
        puts_(o, "\">");
        put_html(o, e->name, n);
        puts_(o, slash);
        puts_(o, "</a></td><td class=\"s\">");
        if (e->type == ENTRY_FILE)
            put_u64(o, (uint64_t)e->size);
        else
            put(o, "-", 1);
        puts_(o, "</td><td>");
        put_date(o, e->mtime);
        puts_(o, "</td></tr>\n");
    }
    puts_(o, "</tbody>\n</table>\n<hr><p>portico</p>\n</body>\n</html>\n");
}

/* ---- format choice ---- */

/* Accept names application/json, or one query parameter is format=json. */
static bool wants_json(const struct request *r)
{
    const struct http_header *accept = http_find_header(&r->head, "accept", 6);
    if (accept && str_case_contains(accept->value, "application/json", 16))
        return true;
    const char *q = r->head.query.p, *end = q + r->head.query.len;
    while (q && q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if (str_eq(str_make(q, (size_t)(stop - q)), "format=json", 11))
            return true;
        q = amp ? amp + 1 : end;
    }
    return false;
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
        if (errno == ENOENT || errno == ENOTDIR)
            return HANDLER_DECLINED; /* gone since static looked: 404 */
        return request_error(r, 403);
    }
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return request_error(r, 500);
    }
    /* rel without its trailing slash, for resolving symlinks beneath it. */
    char dir_rel[PATH_MAX];
    size_t rl = strlen(rel);
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

    bool json = wants_json(r);
    struct out o = {0};
    if (json)
        render_json(&o, &l);
    else
        render_html(&o, r, &l);
    size_t len = o.len;
    o = (struct out){.p = request_body_alloc(r, len), .len = 0};
    if (!o.p) {
        listing_free(&l);
        return request_error(r, 500);
    }
    if (json)
        render_json(&o, &l);
    else
        render_html(&o, r, &l);
    listing_free(&l);

    request_add_header(r, "Vary: Accept");
    request_set_body(r, 200, o.p, o.len,
                     json ? "application/json" : "text/html; charset=utf-8");
    return HANDLER_DONE;
}

const struct handler handler_autoindex = {
    .name = "autoindex",
    .on_request = autoindex_on_request,
};
