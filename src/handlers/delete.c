/* delete: DELETE of a file under the location's root -> 204; missing ->
 * 404; a directory, the root itself or anything outside the root -> 403.
 *
 * The parent directory is opened beneath the root (symlinks on the way
 * resolved and checked), and the last name is looked at and removed
 * relative to that fd without following it: no path is resolved twice, so
 * a symlink swapped in meanwhile cannot lead outside the root, and a
 * symlink inside the root is removed itself, never its target. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handlers/file_cache.h"
#include "server/fs.h"
#include "config/cfg_parse.h"
#include "handlers/handlers.h"
#include "http/http_status.h"
#include "server/request.h"

static enum handler_result delete_on_request(struct request *r)
{
    if (r->head.method != HTTP_DELETE)
        return HANDLER_DECLINED;

    char path[PATH_MAX];
    const char *rel = request_rel_path(r);
    size_t len = strlen(rel);
    bool trailing_slash = len > 0 && rel[len - 1] == '/';
    while (len > 0 && rel[len - 1] == '/')
        len--;
    if (len == 0) /* the root itself */
        return request_error(r, 403);
    if (len >= sizeof(path))
        return request_error(r, 404);
    memcpy(path, rel, len);
    path[len] = '\0';

    /* "a/b/c": parent "a/b", base "c"; "c": parent "" (the root), base "c". */
    const char *parent = "", *base = path;
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        parent = path;
        base = slash + 1;
    }

    int dfd = fs_open_beneath(r->loc->root, parent, O_PATH | O_DIRECTORY);
    if (dfd < 0)
        return request_error(r, http_status_for_errno(errno));
    struct stat st;
    int status;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        status = http_status_for_errno(errno);
    else if (S_ISDIR(st.st_mode))
        status = 403;
    else if (trailing_slash)
        status = 404; /* "file/" names a directory that is not there */
    else if (unlinkat(dfd, base, 0) < 0)
        status = http_status_for_errno(errno);
    else
        status = 204;
    close(dfd);
    if (status != 204)
        return request_error(r, status);
    file_cache_files_changed();
    response_set_body(r, 204, "", 0, NULL);
    return HANDLER_DONE;
}

/* On wherever DELETE is an allowed method. */
static int delete_parse(struct cfg_ctx *c, const struct cfg_node *m,
                        const struct cfg_location *loc, const void **settings)
{
    static const bool on = true;
    *settings = loc->methods & HTTP_METHOD_BIT(HTTP_DELETE) ? &on : NULL;
    return 0;
}

const struct handler handler_delete = {
    .desc = {.name = "delete", .order = 6, .parse = delete_parse},
    .on_request = delete_on_request,
};
