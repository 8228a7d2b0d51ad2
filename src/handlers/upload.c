/* upload: POST and PUT store request bodies under the location's root.
 *
 *  - multipart/form-data POST to a directory: every file part is stored
 *    under its sanitised name; a taken name gets a suffix (a-1.txt).
 *  - any other POST to a file URI creates that file (409 if it exists).
 *  - PUT to a file URI creates it (201) or replaces it (204).
 *
 * Bodies stream into unnamed temporary files (O_TMPFILE) in the target
 * folder and are linked into place only once the whole body arrived, so a
 * cut-off upload leaves nothing behind and never touches existing files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "handlers/file_cache.h"
#include "server/fs.h"
#include "config/cfg_parse.h"
#include "handlers/handlers.h"
#include "server/request.h"
#include "handlers/upload_name.h"
#include "handlers/upload_reply.h"
#include "http/http_status.h"
#include "http/multipart.h"
#include "lib/path.h"

/* Files one multipart request may store: each holds an fd until the end. */
#define UPLOAD_MAX_FILES 64
/* Tries of a-1.txt, a-2.txt ... before giving up with 409. */
#define UPLOAD_MAX_VARIANTS 1000

struct upload {
    const struct request *r;
    int dirfd; /* O_PATH of the folder the files go to */
    bool is_put;
    bool existed; /* PUT: the target was there before */
    struct upload_file *files; /* grown as parts come, up to UPLOAD_MAX_FILES */
    size_t n_files, cap_files;
    struct upload_file *cur; /* the multipart file part being written */
    bool cur_unnamed;        /* ... and its name was generated */
    bool multipart;
    int status; /* an error a multipart callback ran into */
    struct multipart *mp; /* only for a multipart body: it is not small */
};

static unsigned long tmp_counter;
/* Temporary files all uploads of this worker hold open. */
static unsigned open_files;

/* What all uploads together may hold: a quarter of the descriptors this
 * process may open, so that many-file uploads cannot starve accept() and
 * the other requests of descriptors (their next file is refused, 413). */
static unsigned file_budget(void)
{
    static unsigned budget;
    struct rlimit rl;
    if (!budget)
        budget = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                     ? (unsigned)(rl.rlim_cur / 4)
                     : 1024;
    return budget;
}

/* An unnamed file in the folder, or a hidden named one where the file
 * system has no O_TMPFILE. */
static int open_temp(struct upload *u, struct upload_file *f)
{
    f->tmpname[0] = '\0';
    f->size = 0;
    f->fd = openat(u->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (f->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        snprintf(f->tmpname, sizeof(f->tmpname), ".portico-upload-%d-%lu", (int)getpid(),
                 ++tmp_counter);
        f->fd = openat(u->dirfd, f->tmpname, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (f->fd < 0)
            f->tmpname[0] = '\0';
    }
    if (f->fd >= 0)
        open_files++;
    return f->fd;
}

/* Room for one more file; the struct stays small for the usual single one. */
static struct upload_file *next_file(struct upload *u)
{
    if (u->n_files == u->cap_files) {
        size_t cap = u->cap_files ? u->cap_files * 2 : 1;
        struct upload_file *v = realloc(u->files, cap * sizeof(*v));
        if (!v)
            return NULL;
        u->files = v;
        u->cap_files = cap;
    }
    struct upload_file *f = &u->files[u->n_files];
    f->fd = -1;
    f->tmpname[0] = '\0';
    f->size = 0;
    return f;
}

static void discard_file(struct upload *u, struct upload_file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        open_files--;
    }
    if (f->tmpname[0])
        unlinkat(u->dirfd, f->tmpname, 0);
    f->fd = -1;
    f->tmpname[0] = '\0';
}

static void upload_free(struct upload *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n_files; i++)
        discard_file(u, &u->files[i]);
    if (u->dirfd >= 0)
        close(u->dirfd);
    free(u->files);
    free(u->mp);
    free(u);
}

static int write_all(struct upload_file *f, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return http_status_for_errno(errno);
        p += n;
        len -= (size_t)n;
        f->size += (uint64_t)n;
    }
    return 0;
}

/* Gives the finished temp file its name. replace: PUT over an existing
 * file. Returns 0 or -1 with errno (EEXIST: the name is taken). */
static int link_into_place(struct upload *u, struct upload_file *f, bool replace)
{
    if (f->tmpname[0]) {
        unsigned flags = replace ? 0 : RENAME_NOREPLACE;
        if (renameat2(u->dirfd, f->tmpname, u->dirfd, f->name, flags) < 0)
            return -1;
        f->tmpname[0] = '\0';
        return 0;
    }
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
    if (linkat(AT_FDCWD, proc, u->dirfd, f->name, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != EEXIST || !replace)
        return -1;
    /* Replace atomically: link under a hidden name, then rename over. */
    snprintf(f->tmpname, sizeof(f->tmpname), ".portico-put-%d-%lu", (int)getpid(), ++tmp_counter);
    if (linkat(AT_FDCWD, proc, u->dirfd, f->tmpname, AT_SYMLINK_FOLLOW) < 0) {
        f->tmpname[0] = '\0';
        return -1;
    }
    return link_into_place(u, f, true);
}

/* Stores a multipart file under its name or the first free variant. */
static int link_unique(struct upload *u, struct upload_file *f)
{
    char base[sizeof(f->name)];
    memcpy(base, f->name, sizeof(base));
    for (unsigned n = 1; n <= UPLOAD_MAX_VARIANTS; n++) {
        if (link_into_place(u, f, false) == 0)
            return 0;
        if (errno != EEXIST || upload_name_variant(base, n, f->name, sizeof(f->name)) == 0)
            return -1;
    }
    return -1;
}

/* An upload never creates the location's index file: it would replace
 * the folder's listing with a page anybody wrote. */
static bool is_index_name(const struct request *r, const char *name)
{
    for (size_t i = 0; i < r->loc->n_index; i++)
        if (strcmp(name, r->loc->index[i]) == 0)
            return true;
    return false;
}

/* ---- multipart callbacks ---- */

static int mp_begin(void *ctx, const struct multipart_part *part)
{
    struct upload *u = ctx;
    u->cur = NULL;
    if (!part->has_filename)
        return 0; /* a plain form field: not stored */
    if (u->n_files == UPLOAD_MAX_FILES || open_files >= file_budget()) {
        u->status = 413; /* too many files: for this request, or for now */
        return -1;
    }
    struct upload_file *f = next_file(u);
    if (!f) {
        u->status = 500;
        return -1;
    }
    /* Room is left for the "-1000" a taken name may need. */
    u->cur_unnamed = upload_name_sanitize(part->filename, strlen(part->filename), f->name,
                                          sizeof(f->name) - 8) == 0;
    if (u->cur_unnamed)
        snprintf(f->name, sizeof(f->name), "upload-%lx-%lu", (unsigned long)time(NULL),
                 ++tmp_counter);
    if (is_index_name(u->r, f->name)) {
        u->status = 409;
        return -1;
    }
    if (open_temp(u, f) < 0) {
        u->status = http_status_for_errno(errno);
        return -1;
    }
    u->n_files++;
    u->cur = f;
    return 0;
}

static int mp_data(void *ctx, const char *data, size_t len)
{
    struct upload *u = ctx;
    if (!u->cur)
        return 0;
    u->status = write_all(u->cur, data, len);
    return u->status ? -1 : 0;
}

static int mp_end(void *ctx)
{
    struct upload *u = ctx;
    /* A browser sends an empty file input as a part with filename="" and
     * no data: nothing was chosen, so nothing is stored. */
    if (u->cur && u->cur_unnamed && u->cur->size == 0) {
        discard_file(u, u->cur);
        u->n_files--;
    }
    u->cur = NULL;
    return 0;
}

static const struct multipart_callbacks mp_callbacks = {mp_begin, mp_data, mp_end};

/* ---- the body sink ---- */

static long sink_write(struct request *r, const char *data, size_t len)
{
    struct upload *u = r->handler_data;
    int status;
    if (!u->multipart)
        status = write_all(&u->files[0], data, len);
    else if (multipart_feed(u->mp, data, len, &mp_callbacks, u) < 0)
        status = u->status ? u->status : 400;
    else
        status = 0;
    return status ? -status : (long)len;
}

static void sink_finish(struct request *r)
{
    struct upload *u = r->handler_data;
    int status = 201;
    if (u->multipart && !multipart_done(u->mp)) {
        request_fail(r, 400); /* the closing boundary never came */
        return;
    }
    for (size_t i = 0; i < u->n_files; i++) {
        struct upload_file *f = &u->files[i];
        int rc = u->multipart ? link_unique(u, f) : link_into_place(u, f, u->is_put);
        if (rc < 0) {
            request_fail(r, http_status_for_errno(errno));
            return;
        }
        request_counters(r)->upload_bytes += f->size;
    }
    file_cache_files_changed();
    if (u->is_put && u->existed)
        status = 204;
    upload_reply(r, status, u->files, u->n_files);
    r->handler_data = NULL;
    r->async = NULL;
    upload_free(u);
    response_send(r);
}

static const struct body_sink upload_sink = {sink_write, sink_finish};

/* ---- accepting the request ---- */

static bool is_multipart(const struct request *r)
{
    const struct http_header *h = http_find_header(&r->head, "content-type", 12);
    static const char type[] = "multipart/form-data";
    return h && h->value.len >= sizeof(type) - 1 &&
           strncasecmp(h->value.p, type, sizeof(type) - 1) == 0;
}

/* Splits rel into its folder and last segment (name is "" for a folder). */
static void split_rel(const char *rel, char *dir, size_t cap, const char **name)
{
    const char *slash = strrchr(rel, '/');
    size_t n = slash ? (size_t)(slash - rel) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(dir, rel, n);
    dir[n] = '\0';
    *name = slash ? slash + 1 : rel;
}

/* The folder's O_PATH fd, or minus the status of the failure. */
static int open_dir(struct request *r, const char *dir)
{
    int fd = fs_open_beneath(r->loc->root, dir, O_PATH | O_DIRECTORY);
    return fd >= 0 ? fd : -http_status_for_errno(errno);
}

static enum handler_result accept_multipart(struct request *r, struct upload *u)
{
    const struct http_header *ct = http_find_header(&r->head, "content-type", 12);
    if (!(u->mp = malloc(sizeof(*u->mp))))
        return request_error(r, 500);
    if (multipart_init(u->mp, ct->value.p, ct->value.len) < 0)
        return request_error(r, 400);
    int fd = open_dir(r, request_rel_path(r));
    if (fd < 0)
        return request_error(r, -fd);
    u->dirfd = fd;
    u->multipart = true;
    return HANDLER_ASYNC;
}

static enum handler_result accept_file(struct request *r, struct upload *u)
{
    char dir[PATH_MAX];
    const char *name;
    split_rel(request_rel_path(r), dir, sizeof(dir), &name);
    struct upload_file *f = next_file(u);
    if (!f)
        return request_error(r, 500);
    if (*name == '\0' || r->path[r->path_len - 1] == '/')
        return request_error(r, 409); /* a folder: POST to it must be multipart */
    if (upload_name_sanitize(name, strlen(name), f->name, sizeof(f->name)) == 0 ||
        strcmp(f->name, name) != 0)
        return request_error(r, 400);
    if (is_index_name(r, name))
        return request_error(r, 409);
    int fd = open_dir(r, dir);
    if (fd < 0)
        return request_error(r, -fd == 404 ? 409 : -fd); /* no parent folder */
    u->dirfd = fd;
    struct stat st;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!u->is_put || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
            return request_error(r, 409);
        u->existed = true;
    }
    if (open_temp(u, f) < 0)
        return request_error(r, http_status_for_errno(errno));
    u->n_files = 1;
    return HANDLER_ASYNC;
}

static enum handler_result upload_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (m != HTTP_POST && m != HTTP_PUT)
        return HANDLER_DECLINED;
    struct upload *u = calloc(1, sizeof(*u));
    if (!u)
        return request_error(r, 500);
    u->r = r;
    u->dirfd = -1;
    u->is_put = m == HTTP_PUT;
    enum handler_result res = (!u->is_put && is_multipart(r)) ? accept_multipart(r, u)
                                                             : accept_file(r, u);
    if (res != HANDLER_ASYNC) {
        upload_free(u);
        return res;
    }
    r->handler_data = u;
    return request_read_body(r, &upload_sink);
}

static void upload_on_abort(struct request *r)
{
    upload_free(r->handler_data);
    r->handler_data = NULL;
}

/* ---- settings ---- */

static const char *const upload_keys[] = {"upload", NULL};

/* `upload: true`; the folder uploads go to must exist: the root itself
 * for a location with its own root, else the prefix under the server's
 * root. */
static int upload_parse(struct cfg_ctx *c, const struct cfg_node *m,
                        const struct cfg_location *loc, const void **settings)
{
    const struct cfg_node *k;
    if (cfg_get_flag(c, m, "upload", settings) < 0)
        return -1;
    if (!*settings)
        return 0;
    cfg_map_get(m, "upload", &k);
    char path[PATH_MAX];
    const char *sub = loc->own_root ? "" : loc->prefix;
    if (path_join(path, sizeof(path), loc->root, sub) < 0)
        return cfg_error(c, k, "upload folder path is too long");
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return cfg_error(c, k, "upload folder '%s' does not exist or is not a directory", path);
    return 0;
}

static void upload_dump(const void *settings, FILE *out)
{
    fputs("    upload: on\n", out);
}

const struct handler handler_upload = {
    .desc = {.name = "upload", .keys = upload_keys, .order = 5,
             .warn_methods = HTTP_METHOD_BIT(HTTP_POST) | HTTP_METHOD_BIT(HTTP_PUT),
             .excludes = "cgi",
             .excludes_why = "a client could upload a script and run it",
             .parse = upload_parse, .dump = upload_dump},
    .on_request = upload_on_request,
    .on_abort = upload_on_abort,
};
