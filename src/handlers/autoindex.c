/* autoindex: lists a directory that has no index file (static found it and
 * set r->dir_no_index). HTML by default; JSON (the shape of nginx's
 * autoindex_format json) when Accept names application/json or the query
 * has format=json. Dot-files are hidden.
 *
 * A folder of up to AUTOINDEX_SORT_MAX entries is read at once, sorted
 * (directories first, then names in byte order) and sent as one body. A
 * larger one is streamed in the order the file system keeps: a slice of
 * AUTOINDEX_SLICE entries is read and written per turn of the loop, so
 * neither the worker's time nor the memory a listing holds grows with the
 * folder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_parse.h"
#include "handlers/autoindex_render.h"
#include "handlers/handlers.h"
#include "http/http_status.h"
#include "lib/path.h"
#include "lib/strbuf.h"
#include "server/fs.h"
#include "server/request.h"

#define AUTOINDEX_SORT_MAX 2000
#define AUTOINDEX_SLICE 256

/* A listing in progress. */
struct listing {
    const struct request *r;
    DIR *dir;
    char dir_rel[PATH_MAX]; /* the folder under the root, no trailing slash */
    bool json, eof, any;    /* any: an entry was rendered (JSON commas) */
    bool begun;             /* a streamed piece was written */
    struct entry *v;        /* entries read and not yet rendered */
    size_t n, cap;
    struct strbuf piece;    /* the text being written */
};

static void entries_clear(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    l->n = 0;
}

static void listing_free(struct listing *l)
{
    if (!l)
        return;
    entries_clear(l);
    free(l->v);
    if (l->dir)
        closedir(l->dir);
    strbuf_free(&l->piece);
    free(l);
}

/* ---- reading the directory ---- */

/* The stat of a symlink's target, resolved beneath the root: a link that
 * is broken or leads outside the root is not listed (0 listed, -1 not). */
static int stat_link_target(const struct listing *l, const char *name, struct stat *st)
{
    char rel[PATH_MAX];
    if (path_join(rel, sizeof(rel), l->dir_rel, name) < 0)
        return -1;
    int fd = fs_open_beneath(l->r->loc->root, rel, O_PATH);
    if (fd < 0)
        return -1;
    int rc = fstat(fd, st);
    close(fd);
    return rc;
}

static int add_entry(struct listing *l, const char *name, const struct stat *st)
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

/* Reads up to `want` more visible entries (l->eof at the end). Symlinks
 * are followed, but only when their target stays inside the root. Returns
 * 0, or -1 when out of memory. */
static int read_some(struct listing *l, size_t want)
{
    int dfd = dirfd(l->dir);
    for (size_t got = 0; got < want;) {
        struct dirent *de = readdir(l->dir);
        if (!de) {
            l->eof = true;
            return 0;
        }
        if (de->d_name[0] == '.') /* ".", ".." and dot-files */
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone meanwhile */
        if (S_ISLNK(st.st_mode) && stat_link_target(l, de->d_name, &st) < 0)
            continue;
        if (add_entry(l, de->d_name, &st) < 0)
            return -1;
        got++;
    }
    return 0;
}

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    bool xd = x->type == ENTRY_DIR, yd = y->type == ENTRY_DIR;
    if (xd != yd)
        return xd ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Renders the entries read so far into l->piece, and forgets them. */
static void render_entries(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++) {
        render_entry(&l->piece, l->json, &l->v[i], !l->any);
        l->any = true;
    }
    entries_clear(l);
}

/* ---- answering ---- */

/* A small folder, read to its end: sorted, in one body. */
static enum handler_result answer_whole(struct request *r, struct listing *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), entry_cmp);
    render_head(&l->piece, l->json, r->path, r->path_len);
    render_entries(l);
    render_tail(&l->piece, l->json, true);
    size_t len;
    char *body = strbuf_take(&l->piece, &len);
    listing_free(l);
    if (!body)
        return request_error(r, 500);
    response_adopt_body(r, 200, body, len, r->res.content_type);
    return HANDLER_DONE;
}

/* The next piece of a streamed listing; the drained callback asks for
 * each one after the head. */
static void stream_next(struct request *r)
{
    struct listing *l = r->handler_data;
    if (l->begun) /* the last piece is out: its text can go */
        strbuf_free(&l->piece);
    l->begun = true;
    if (l->n == 0 && !l->eof && read_some(l, AUTOINDEX_SLICE) < 0) {
        request_fail(r, 500); /* the head is out: this closes the connection */
        return;
    }
    render_entries(l);
    if (l->eof)
        render_tail(&l->piece, l->json, false);
    if (l->piece.failed) {
        request_fail(r, 500);
        return;
    }
    response_stream_write(r, l->piece.p ? l->piece.p : "", l->piece.len, l->eof);
}

static void autoindex_on_drained(struct request *r)
{
    if (r->handler_data)
        stream_next(r);
}

static void autoindex_on_abort(struct request *r)
{
    listing_free(r->handler_data);
    r->handler_data = NULL;
}

/* A folder too big to sort: streamed, starting with what was read. */
static enum handler_result answer_streamed(struct request *r, struct listing *l)
{
    response_set_status(r, 200);
    r->handler_data = l;
    render_head(&l->piece, l->json, r->path, r->path_len);
    if (r->head.method == HTTP_HEAD) {
        entries_clear(l); /* no body: nothing more to read */
        l->eof = true;
    }
    response_stream_begin(r, false); /* on_drained sends each piece from here */
    return HANDLER_ASYNC;
}

static struct listing *listing_open(struct request *r, int fd, const char *rel)
{
    struct listing *l = calloc(1, sizeof(*l));
    size_t rl = strlen(rel);
    while (rl > 0 && rel[rl - 1] == '/')
        rl--;
    /* It opened, so the kernel took its length: too long cannot be. */
    if (!l || rl >= sizeof(l->dir_rel) || !(l->dir = fdopendir(fd))) {
        free(l);
        close(fd);
        return NULL;
    }
    memcpy(l->dir_rel, rel, rl);
    l->dir_rel[rl] = '\0';
    l->r = r;
    l->json = request_wants_json(r);
    return l;
}

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
    struct listing *l = listing_open(r, fd, rel);
    if (!l || read_some(l, AUTOINDEX_SORT_MAX + 1) < 0) {
        listing_free(l);
        return request_error(r, 500);
    }
    response_add_header(r, "Vary: Accept");
    r->res.content_type = l->json ? "application/json" : "text/html";
    return l->eof ? answer_whole(r, l) : answer_streamed(r, l);
}

/* ---- settings ---- */

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
    .on_drained = autoindex_on_drained,
    .on_abort = autoindex_on_abort,
};
