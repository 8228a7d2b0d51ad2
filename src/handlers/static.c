/* static: GET/HEAD of a regular file under the location's root; a
 * directory is answered with its index file, a redirect to its slash, or
 * left to autoindex (403 when nobody lists it). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handlers/file_cache.h"
#include "config/cfg_parse.h"
#include "handlers/handlers.h"
#include "http/accept_encoding.h"
#include "http/escape.h"
#include "http/http_date.h"
#include "http/http_range.h"
#include "http/http_status.h"
#include "http/mime.h"
#include "lib/path.h"
#include "lib/strbuf.h"
#include "server/fs.h"
#include "server/request.h"

static enum handler_result open_failed(struct request *r)
{
    int status = http_status_for_errno(errno);
    if (status == 404)
        return HANDLER_DECLINED; /* nothing takes it: 404 */
    return request_error(r, status);
}

static uint64_t wakeup_of(const struct request *r)
{
    return request_loop(r)->wakeups;
}

static const char *mime_of(const struct request *r, const char *name)
{
    return mime_type_for(name, strlen(name), r->cfg->mime_types, r->cfg->n_mime_types);
}

/* What the answer to a file request needs to know of the file. */
struct file_meta {
    off_t size;
    time_t mtime;
    const char *etag;
    const char *last_modified;
    const char *content_type;
};

/* A type a browser would run or render as part of the site. */
static bool is_active_type(const char *type)
{
    static const char *const active[] = {
        "text/html",       "application/xhtml+xml",  "image/svg+xml",
        "application/xml", "text/xml",               "text/javascript",
        "application/javascript", "application/x-javascript", "application/ecmascript",
        NULL};
    size_t n = strcspn(type, "; ");
    for (size_t i = 0; active[i]; i++)
        if (strlen(active[i]) == n && strncasecmp(type, active[i], n) == 0)
            return true;
    return false;
}

/* In a location that takes uploads, a file may be anybody's: never let a
 * browser sniff it into something else, and never render an active one as
 * the site's own page (stored XSS). */
static void uploaded_file_headers(struct request *r, const char *type)
{
    if (!cfg_location_settings(r->loc, &handler_upload.desc))
        return;
    RESPONSE_HEADER(r, "X-Content-Type-Options", "nosniff");
    if (is_active_type(type))
        RESPONSE_HEADER(r, "Content-Disposition", "attachment");
}

/* The validators and, unless a precondition or range decides otherwise,
 * the whole file. Returns the byte range to send in *off and *len, or a
 * status without a body (304, 412, 416). */
static int negotiate(struct request *r, const struct file_meta *m, off_t *off, off_t *len)
{
    uploaded_file_headers(r, m->content_type);
    RESPONSE_HEADER(r, "Last-Modified", m->last_modified);
    RESPONSE_HEADER(r, "ETag", m->etag);
    RESPONSE_HEADER(r, "Accept-Ranges", "bytes");
    size_t etag_len = strlen(m->etag);
    switch (http_conditional(&r->head, m->etag, etag_len, m->mtime)) {
    case HTTP_COND_NOT_MODIFIED:
        r->res.content_type = m->content_type; /* for its Vary (compress) */
        return 304;
    case HTTP_COND_PRECONDITION_FAILED: return 412;
    case HTTP_COND_PROCEED: break;
    }
    *off = 0;
    *len = m->size;
    const struct http_header *range = http_find_header(&r->head, "range", 5);
    if (!range || !http_if_range_applies(&r->head, m->etag, etag_len, m->mtime))
        return 200;
    uint64_t first, last;
    switch (http_range_parse(range->value.p, range->value.len, (uint64_t)m->size, &first, &last)) {
    case HTTP_RANGE_NONE:
        return 200;
    case HTTP_RANGE_UNSATISFIABLE:
        response_add_header(r, "Content-Range: bytes */%lld", (long long)m->size);
        return 416;
    case HTTP_RANGE_OK:
        break;
    }
    response_add_header(r, "Content-Range: bytes %llu-%llu/%lld", (unsigned long long)first,
                       (unsigned long long)last, (long long)m->size);
    *off = (off_t)first;
    *len = (off_t)(last - first + 1);
    return 206;
}

static void release_entry(void *e)
{
    file_cache_release(e);
}

/* The cached file e as a response of type. */
static enum handler_result send_cached(struct request *r, struct file_cache_entry *e,
                                       const char *type)
{
    struct file_meta m = {e->size, e->mtime.tv_sec, e->etag, e->last_modified, type};
    off_t off, len;
    int status = negotiate(r, &m, &off, &len);
    if (status != 200 && status != 206) {
        file_cache_release(e);
        return request_error(r, status);
    }
    response_set_body_ref(r, status, e->data + off, (size_t)len, type, release_entry, e);
    return HANDLER_DONE;
}

/* The open file fd (stat st) as a response of type, sent with sendfile. */
static enum handler_result send_fd(struct request *r, int fd, const struct stat *st,
                                   const char *type)
{
    char date[HTTP_DATE_LEN + 1], etag[HTTP_ETAG_MAX];
    http_date_format(st->st_mtime, date);
    http_etag_make(etag, st->st_mtim.tv_sec, st->st_mtim.tv_nsec, (uint64_t)st->st_size);
    struct file_meta m = {st->st_size, st->st_mtime, etag, date, type};
    off_t off, len;
    int status = negotiate(r, &m, &off, &len);
    if (status != 200 && status != 206) {
        close(fd);
        return request_error(r, status);
    }
    response_set_file(r, status, fd, off, len, type);
    return HANDLER_DONE;
}

/* ---- precompressed variants: FILE.br, FILE.gz ---- */

static const char *const coding_ext[] = {[HTTP_CODING_GZIP] = ".gz", [HTTP_CODING_BR] = ".br"};
static const char *const coding_name[] = {[HTTP_CODING_GZIP] = "gzip", [HTTP_CODING_BR] = "br"};

/* The variants worth looking for, in order: none for a Range request (it
 * gets the file as it is); br before gzip unless the client prefers gzip. */
static size_t variants_wanted(const struct request *r, enum http_coding order[2])
{
    const struct cfg_compress *z = &r->loc->compress;
    if (!z->on || !z->precompressed || http_find_header(&r->head, "range", 5))
        return 0;
    struct accept_encoding ae;
    accept_encoding_read(&r->head, &ae);
    unsigned br = accept_encoding_q(&ae, HTTP_CODING_BR);
    unsigned gz = accept_encoding_q(&ae, HTTP_CODING_GZIP);
    size_t n = 0;
    if (br && br >= gz)
        order[n++] = HTTP_CODING_BR;
    if (gz)
        order[n++] = HTTP_CODING_GZIP;
    if (br && br < gz)
        order[n++] = HTTP_CODING_BR;
    return n;
}

static bool older(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static void variant_headers(struct request *r, enum http_coding coding)
{
    RESPONSE_HEADER(r, "Content-Encoding", coding_name[coding]);
    RESPONSE_HEADER(r, "Vary", "Accept-Encoding");
}

/* vrel (FILE plus the coding's extension) answers for FILE, of type and
 * modified at mtime, when it is a regular file not older than FILE: with
 * its own length and validators, FILE's type, and from the small-file
 * cache like any file (its entry under its own type, for requests that
 * name it). DECLINED when it does not. */
static enum handler_result try_variant(struct request *r, const char *vrel, struct timespec mtime,
                                       const char *type, enum http_coding coding)
{
    const char *root = r->loc->root;
    struct file_cache_entry *e = file_cache_get(root, vrel, wakeup_of(r));
    if (e && older(e->mtime, mtime)) {
        file_cache_release(e);
        return HANDLER_DECLINED;
    }
    if (!e) {
        if (file_cache_missing(root, vrel, wakeup_of(r)))
            return HANDLER_DECLINED;
        int fd = fs_open_beneath(root, vrel, O_RDONLY | O_NONBLOCK);
        if (fd < 0) {
            file_cache_note_missing(root, vrel, wakeup_of(r), errno);
            return HANDLER_DECLINED;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || older(st.st_mtim, mtime)) {
            close(fd);
            return HANDLER_DECLINED;
        }
        variant_headers(r, coding);
        if (!(e = file_cache_put(root, vrel, fd, &st, mime_of(r, vrel))))
            return send_fd(r, fd, &st, type);
        close(fd);
    } else {
        variant_headers(r, coding);
    }
    return send_cached(r, e, type);
}

/* FILE.br or FILE.gz in place of FILE (rel, of type, modified at *mtime)
 * when the location has precompressed files and the client takes them.
 * mtime NULL: FILE is not open; a stat tells whether it is a regular file
 * and its time (the variant itself is opened beneath the root, and may be
 * asked for by name anyway), which spares the open of a FILE that is not
 * sent. HANDLER_DONE when a variant answered (or its validators did: 304). */
static enum handler_result serve_variant(struct request *r, const char *rel,
                                         const struct timespec *mtime, const char *type)
{
    enum http_coding order[2];
    size_t n = variants_wanted(r, order);
    struct stat st;
    if (n && !mtime) {
        int dir = fs_root_fd(r->loc->root);
        if (dir < 0 || fstatat(dir, *rel ? rel : ".", &st, 0) < 0 || !S_ISREG(st.st_mode))
            return HANDLER_DECLINED;
        mtime = &st.st_mtim;
        type = mime_of(r, rel);
    }
    for (size_t i = 0; i < n; i++) {
        char vrel[PATH_MAX];
        int len = snprintf(vrel, sizeof(vrel), "%s%s", rel, coding_ext[order[i]]);
        if (len < 0 || (size_t)len >= sizeof(vrel))
            return HANDLER_DECLINED;
        enum handler_result res = try_variant(r, vrel, *mtime, type, order[i]);
        if (res != HANDLER_DECLINED)
            return res;
    }
    return HANDLER_DECLINED;
}

/* ---- a file ---- */

static enum handler_result serve_cached(struct request *r, struct file_cache_entry *e)
{
    if (serve_variant(r, e->rel, &e->mtime, e->content_type) == HANDLER_DONE) {
        file_cache_release(e);
        return HANDLER_DONE;
    }
    return send_cached(r, e, e->content_type);
}

/* rel is the file's path under the root: the cache key. Its variants were
 * looked for before it was opened. */
static enum handler_result serve_file(struct request *r, int fd, const struct stat *st,
                                      const char *rel)
{
    const char *type = mime_of(r, rel);
    struct file_cache_entry *e = file_cache_put(r->loc->root, rel, fd, st, type);
    if (e) {
        close(fd);
        return send_cached(r, e, type);
    }
    return send_fd(r, fd, st, type);
}

/* "/dir" names a directory: send the client to "/dir/" (query kept). */
static enum handler_result redirect_to_slash(struct request *r)
{
    const struct http_request_head *h = &r->head;
    struct strbuf b = STRBUF_INIT;
    escape_url_path(&b, r->path, r->path_len);
    strbuf_puts(&b, "/");
    if (h->has_query) {
        strbuf_puts(&b, "?");
        strbuf_append(&b, h->query.p, h->query.len);
    }
    size_t len;
    char *target = strbuf_take(&b, &len);
    if (!target)
        return request_error(r, 500);
    enum handler_result res = response_redirect(r, 301, target);
    free(target);
    return res;
}

static enum handler_result serve_index(struct request *r, const char *rel)
{
    const struct cfg_location *loc = r->loc;
    char path[PATH_MAX];
    for (size_t i = 0; i < loc->n_index; i++) {
        if (path_join(path, sizeof(path), rel, loc->index[i]) < 0)
            continue;
        struct file_cache_entry *e = file_cache_get(loc->root, path, wakeup_of(r));
        if (e)
            return serve_cached(r, e);
        if (serve_variant(r, path, NULL, NULL) == HANDLER_DONE)
            return HANDLER_DONE;
        if (file_cache_missing(loc->root, path, wakeup_of(r)))
            continue;
        int fd = fs_open_beneath(loc->root, path, O_RDONLY);
        if (fd < 0) {
            if (http_status_for_errno(errno) == 404) {
                file_cache_note_missing(loc->root, path, wakeup_of(r), errno);
                continue;
            }
            return request_error(r, http_status_for_errno(errno));
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            return serve_file(r, fd, &st, path);
        close(fd);
    }
    r->dir_no_index = true;
    return HANDLER_DECLINED;
}

/* rel names a directory: its index, or a redirect to its slash. */
static enum handler_result serve_dir(struct request *r, const char *rel)
{
    if (r->path[r->path_len - 1] != '/')
        return redirect_to_slash(r);
    return serve_index(r, rel);
}

static enum handler_result static_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (m != HTTP_GET && m != HTTP_HEAD)
        return HANDLER_DECLINED;
    const char *rel = request_rel_path(r);
    const char *root = r->loc->root;
    bool is_dir;
    struct file_cache_entry *e = file_cache_find(root, rel, wakeup_of(r), &is_dir);
    if (e)
        return serve_cached(r, e);
    if (is_dir)
        return serve_dir(r, rel);
    int missing = file_cache_missing(root, rel, wakeup_of(r));
    if (missing) {
        errno = missing;
        return open_failed(r);
    }
    if (serve_variant(r, rel, NULL, NULL) == HANDLER_DONE)
        return HANDLER_DONE;
    int fd = fs_open_beneath(root, rel, O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        if (http_status_for_errno(errno) == 404)
            file_cache_note_missing(root, rel, wakeup_of(r), errno);
        return open_failed(r);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return request_error(r, 500);
    }
    if (S_ISREG(st.st_mode))
        return serve_file(r, fd, &st, rel);
    close(fd);
    if (!S_ISDIR(st.st_mode))
        return request_error(r, 403);
    file_cache_put_dir(root, rel, &st);
    return serve_dir(r, rel);
}

/* On in every location that is not a redirect or a proxy. */
static int static_parse(struct cfg_ctx *c, const struct cfg_node *m,
                        const struct cfg_location *loc, const void **settings)
{
    static const bool on = true;
    *settings = &on;
    return 0;
}

const struct handler handler_static = {
    .desc = {.name = "static", .order = 7, .parse = static_parse},
    .on_request = static_on_request,
    .destroy = file_cache_clear,
};
