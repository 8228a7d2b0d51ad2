/* static: GET/HEAD of a regular file under the location's root; a
 * directory is answered with its index file, a redirect to its slash, or
 * left to autoindex (403 when nobody lists it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handlers/handler.h"
#include "handlers/file_cache.h"
#include "handlers/fs.h"
#include "handlers/request.h"
#include "http/http_date.h"
#include "http/mime.h"
#include "http/uri.h"

static enum handler_result open_failed(struct request *r)
{
    if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG)
        return HANDLER_DECLINED; /* nothing takes it: 404 */
    return request_error(r, 403);
}

static const char *mime_of(const struct request *r, const char *name)
{
    return mime_type_for(name, strlen(name), r->cfg->mime_types, r->cfg->n_mime_types);
}

static enum handler_result serve_cached(struct request *r, struct file_cache_entry *e)
{
    request_add_header(r, "Last-Modified: %s", e->last_modified);
    r->res.status = 200;
    r->res.cached = e;
    r->res.body = e->data;
    r->res.body_len = (size_t)e->size;
    r->res.content_length = e->size;
    r->res.content_type = e->content_type;
    return HANDLER_DONE;
}

/* rel is the file's path under the root: the cache key. */
static enum handler_result serve_file(struct request *r, int fd, const struct stat *st,
                                      const char *rel)
{
    const char *type = mime_of(r, rel);
    struct file_cache_entry *e = file_cache_put(r->loc->root, rel, fd, st, type);
    if (e) {
        close(fd);
        return serve_cached(r, e);
    }
    char date[HTTP_DATE_LEN + 1];
    http_date_format(st->st_mtime, date);
    request_add_header(r, "Last-Modified: %s", date);
    request_set_file(r, 200, fd, 0, st->st_size, type);
    return HANDLER_DONE;
}

/* "/dir" names a directory: send the client to "/dir/" (query kept). */
static enum handler_result redirect_to_slash(struct request *r)
{
    char loc[PATH_MAX * 3 + 2];
    long n = uri_encode_path(r->path, r->path_len, loc, sizeof(loc) - 1);
    if (n < 0)
        return request_error(r, 414);
    loc[n] = '/';
    loc[n + 1] = '\0';
    const struct http_request_head *h = &r->head;
    if (h->has_query)
        request_add_header(r, "Location: %s?%.*s", loc, (int)h->query.len, h->query.p);
    else
        request_add_header(r, "Location: %s", loc);
    return request_error(r, 301);
}

static enum handler_result serve_index(struct request *r, const char *rel)
{
    const struct cfg_location *loc = r->loc;
    char path[PATH_MAX];
    for (size_t i = 0; i < loc->n_index; i++) {
        int n = snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", loc->index[i]);
        if (n < 0 || (size_t)n >= sizeof(path))
            continue;
        struct file_cache_entry *e = file_cache_get(loc->root, path);
        if (e)
            return serve_cached(r, e);
        int fd = fs_open_beneath(loc->root, path, O_RDONLY);
        if (fd < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            return request_error(r, 403);
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            return serve_file(r, fd, &st, path);
        close(fd);
    }
    r->dir_no_index = true;
    return HANDLER_DECLINED;
}

static enum handler_result static_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (m != HTTP_GET && m != HTTP_HEAD)
        return HANDLER_DECLINED;
    const char *rel = request_rel_path(r);
    struct file_cache_entry *e = file_cache_get(r->loc->root, rel);
    if (e)
        return serve_cached(r, e);
    int fd = fs_open_beneath(r->loc->root, rel, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return open_failed(r);
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
    if (r->path[r->path_len - 1] != '/')
        return redirect_to_slash(r);
    return serve_index(r, rel);
}

const struct handler handler_static = {
    .name = "static",
    .on_request = static_on_request,
};
