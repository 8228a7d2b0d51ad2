/* gzip on the fly: the decision, the header edits, the deflate filter and
 * the feeding of memory and file bodies (see compress.h). */
#include "server/compress.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "http/accept_encoding.h"
#include "server/exchange.h"

/* Deflate output between two drains of the queue: what one piece makes
 * goes out from here without a copy (more than this is copied). */
#define COMPRESS_OUT (32 * 1024)
/* Body bytes fed per piece, and per turn of the loop. */
#define COMPRESS_PIECE (32 * 1024)
#define COMPRESS_TURN (256 * 1024)
/* Idle streams a worker keeps: each holds zlib's ~256 KiB. */
#define COMPRESS_KEEP 8

struct compress {
    struct response_filter filter; /* first: what the response passes through */
    struct compress_pool *pool;
    struct compress *next_free;
    struct request *r;  /* NULL once the request ended during a feed */
    struct loop *loop;
    z_stream z;
    int level;
    bool sync_flush;    /* a handler's stream: each piece leaves at once */
    bool feeding;       /* the server feeds the body (compress_send) */
    bool busy, again;   /* inside feed(); a drain came meanwhile */
    const char *mem;    /* the memory body still to feed, or ... */
    size_t mem_left;
    int fd;             /* ... the file (the response owns it) */
    off_t off, left;
    struct timer kick;  /* the next turn of a long feed */
    char out[COMPRESS_OUT];
    char in[COMPRESS_PIECE];
};

/* ---- the pool ---- */

void compress_pool_init(struct compress_pool *p)
{
    p->free = NULL;
    p->n_free = 0;
}

void compress_pool_free(struct compress_pool *p)
{
    while (p->free) {
        struct compress *gz = p->free;
        p->free = gz->next_free;
        deflateEnd(&gz->z);
        free(gz);
    }
    p->n_free = 0;
}

/* A stream at level, reset; NULL when memory is short (the response then
 * goes out as it is). */
static struct compress *pool_get(struct compress_pool *p, int level)
{
    struct compress *gz = p->free;
    if (gz) {
        p->free = gz->next_free;
        p->n_free--;
        if (gz->level != level && deflateParams(&gz->z, level, Z_DEFAULT_STRATEGY) != Z_OK) {
            deflateEnd(&gz->z);
            free(gz);
            return NULL;
        }
    } else {
        if (!(gz = malloc(sizeof(*gz))))
            return NULL;
        memset(&gz->z, 0, sizeof(gz->z));
        /* 15 + 16: a 32 KiB window and the gzip wrapper; memLevel 8, as
         * nginx's defaults for bodies over 16 KiB. */
        if (deflateInit2(&gz->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(gz);
            return NULL;
        }
    }
    gz->level = level;
    gz->pool = p;
    return gz;
}

static void pool_put(struct compress *gz)
{
    struct compress_pool *p = gz->pool;
    if (p->n_free >= COMPRESS_KEEP || deflateReset(&gz->z) != Z_OK) {
        deflateEnd(&gz->z);
        free(gz);
        return;
    }
    gz->next_free = p->free;
    p->free = gz;
    p->n_free++;
}

/* ---- the response's header lines ---- */

/* The line of header name (lower-case) among the response's extra lines:
 * its value in *value, the line's start and end (after its CRLF) in *line
 * and *end. Returns false when there is none. */
static bool find_line(const struct request *r, const char *name, size_t len, struct str *value,
                      size_t *line, size_t *end)
{
    const char *b = r->res.buf;
    size_t n = r->res.extra_len;
    for (size_t at = 0; at < n;) {
        const char *eol = memchr(b + at, '\n', n - at);
        size_t stop = eol ? (size_t)(eol - b) + 1 : n;
        const char *colon = memchr(b + at, ':', stop - at);
        if (colon && str_case_eq(str_make(b + at, (size_t)(colon - b) - at), name, len)) {
            const char *v = colon + 1, *e = b + stop;
            while (v < e && ascii_is_blank((unsigned char)*v))
                v++;
            while (e > v && (e[-1] == '\n' || e[-1] == '\r' || ascii_is_blank((unsigned char)e[-1])))
                e--;
            *value = str_make(v, (size_t)(e - v));
            *line = at;
            *end = stop;
            return true;
        }
        at = stop;
    }
    return false;
}

static bool has_header(const struct request *r, const char *name, size_t len, struct str *value)
{
    size_t line, end;
    return find_line(r, name, len, value, &line, &end);
}

/* Every response of a listed type says that it depends on
 * Accept-Encoding: on a Vary line of its own, or added to the one a
 * handler set (autoindex's "Vary: Accept"), unless that names it already. */
static void add_vary(struct request *r)
{
    struct str v;
    size_t line, end;
    if (!find_line(r, "vary", 4, &v, &line, &end)) {
        response_add_header(r, "Vary: Accept-Encoding");
        return;
    }
    static const char more[] = ", Accept-Encoding";
    size_t n = sizeof(more) - 1;
    if (str_case_contains(v, "accept-encoding", 15) || STR_EQ(v, "*") ||
        r->res.extra_len + n >= REQUEST_EXTRA_BUF)
        return;
    char *b = r->res.buf;
    size_t at = (size_t)(v.p + v.len - b);
    memmove(b + at + n, b + at, r->res.extra_len - at);
    memcpy(b + at, more, n);
    r->res.extra_len += n;
}

static void drop_line(struct request *r, size_t line, size_t end)
{
    memmove(r->res.buf + line, r->res.buf + end, r->res.extra_len - end);
    r->res.extra_len -= end - line;
}

/* The headers of a gzipped body: a strong ETag names exact bytes, which
 * gzip changes, so W/ goes in front (RFC 9110 8.8.1; the ETag goes when
 * there is no room); and byte ranges are of the identity body only, so
 * Accept-Ranges goes (as nginx's gzip filter does). */
static void gzip_headers(struct request *r)
{
    struct str v;
    size_t line, end;
    if (find_line(r, "accept-ranges", 13, &v, &line, &end))
        drop_line(r, line, end);
    if (!find_line(r, "etag", 4, &v, &line, &end) || v.len == 0 || v.p[0] != '"')
        return;
    char *b = r->res.buf;
    size_t at = (size_t)(v.p - b);
    if (r->res.extra_len + 2 < REQUEST_EXTRA_BUF) {
        memmove(b + at + 2, b + at, r->res.extra_len - at);
        memcpy(b + at, "W/", 2);
        r->res.extra_len += 2;
    } else {
        drop_line(r, line, end);
    }
}

/* The response's media type: the one set, else a Content-Type line. */
static struct str type_of(const struct request *r)
{
    struct str v = STR_NULL;
    if (r->res.content_type)
        return str_make(r->res.content_type, strlen(r->res.content_type));
    has_header(r, "content-type", 12, &v);
    return v;
}

/* ---- the decision ---- */

/* Everything but the type: the body, the request and the client allow it. */
static bool gzip_wanted(const struct request *r, const struct cfg_compress *z)
{
    const struct response *res = &r->res;
    struct str v;
    int s = res->status;
    if (r->head.method == HTTP_HEAD || s < 200 || s == 204 || s == 206 || s == 304 ||
        r->head.minor_version < 1 || http_find_header(&r->head, "range", 5) ||
        has_header(r, "content-encoding", 16, &v) ||
        (has_header(r, "cache-control", 13, &v) && str_case_contains(v, "no-transform", 12)) ||
        (res->content_length >= 0 && (uint64_t)res->content_length < z->min_size))
        return false;
    struct accept_encoding ae;
    accept_encoding_read(&r->head, &ae);
    return accept_encoding_takes(&ae, HTTP_CODING_GZIP);
}

static int gz_write(struct response_filter *f, struct request *r, const char *p, size_t len,
                    bool last);
static void kick(struct timer *t);

bool compress_prepare(struct request *r)
{
    const struct cfg_location *loc = r->loc;
    if (!loc || !loc->compress.on || r->tunnel || r->res.status == 101)
        return false;
    const struct cfg_compress *z = &loc->compress;
    struct str type = type_of(r);
    if (type.len == 0 || !cfg_compress_type(z, type.p, type.len))
        return false;
    add_vary(r);
    if (!z->gzip || !gzip_wanted(r, z))
        return false;
    struct compress *gz = pool_get(&r->srv->compress, z->level);
    if (!gz)
        return false;
    if (response_add_header(r, "Content-Encoding: gzip") < 0) {
        pool_put(gz);
        return false;
    }
    gzip_headers(r);
    r->res.content_length = -1;
    gz->r = r;
    gz->loop = request_loop(r);
    gz->sync_flush = true;
    gz->feeding = gz->busy = gz->again = false;
    gz->mem = NULL;
    gz->mem_left = 0;
    gz->fd = -1;
    gz->off = gz->left = 0;
    gz->kick = (struct timer){.cb = kick};
    /* The last step before the queue: after any filter of the handler's. */
    gz->filter = (struct response_filter){.write = gz_write};
    struct response_filter **tail = &r->res.filters;
    while (*tail)
        tail = &(*tail)->next;
    *tail = &gz->filter;
    r->gz = gz;
    return true;
}

/* ---- the filter ---- */

/* Deflates p[0..len) into the output buffer and passes it on: without a
 * copy when it holds the piece's whole output (the buffer is reused only
 * after the drain that lets the next piece come), copied into the queue
 * when it ran full first. The filter is the chain's last. */
static int gz_write(struct response_filter *f, struct request *r, const char *p, size_t len,
                    bool last)
{
    struct compress *gz = (struct compress *)f;
    z_stream *z = &gz->z;
    z->next_in = (Bytef *)(uintptr_t)p;
    z->avail_in = (uInt)len;
    int flush = last ? Z_FINISH : gz->sync_flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    for (;;) {
        z->next_out = (Bytef *)gz->out;
        z->avail_out = COMPRESS_OUT;
        int rc = deflate(z, flush);
        if (rc == Z_STREAM_ERROR)
            return -1;
        size_t n = COMPRESS_OUT - z->avail_out;
        bool done = last ? rc == Z_STREAM_END : z->avail_in == 0 && z->avail_out > 0;
        if (done)
            return n || last ? response_filter_next(f, r, gz->out, n, last) : 0;
        if (response_queue_piece(r, gz->out, n, false, true) < 0)
            return -1;
    }
}

/* ---- feeding a memory or file body ---- */

/* The next piece of the body into the filter. Returns false when the
 * file could not be read (the connection is closed then). */
static bool feed_piece(struct compress *gz, size_t *turn)
{
    struct request *r = gz->r;
    const char *p = gz->mem;
    size_t n;
    bool last;
    if (gz->fd >= 0) {
        size_t want = gz->left < COMPRESS_PIECE ? (size_t)gz->left : COMPRESS_PIECE;
        ssize_t got;
        do
            got = pread(gz->fd, gz->in, want, gz->off);
        while (got < 0 && errno == EINTR);
        if (got <= 0 && want > 0) {
            /* Unreadable, or shorter than when it was opened: the head is
             * out, so only the close can tell. */
            conn_close(r->conn);
            return false;
        }
        p = gz->in;
        n = got > 0 ? (size_t)got : 0;
        gz->off += (off_t)n;
        gz->left -= (off_t)n;
        last = gz->left == 0;
    } else {
        n = gz->mem_left < COMPRESS_PIECE ? gz->mem_left : COMPRESS_PIECE;
        gz->mem += n;
        gz->mem_left -= n;
        last = gz->mem_left == 0;
    }
    *turn = n < *turn ? *turn - n : 0;
    response_stream_write(r, p, n, last);
    return true;
}

/* Feeds pieces as long as the socket takes them (each drain while a piece
 * is written sets again), up to COMPRESS_TURN bytes; then the loop's turn. */
static void feed(struct compress *gz)
{
    if (gz->busy) {
        gz->again = true;
        return;
    }
    gz->busy = true;
    size_t turn = COMPRESS_TURN;
    do
        gz->again = false;
    while (feed_piece(gz, &turn) && gz->r && gz->again && turn > 0);
    gz->busy = false;
    if (!gz->r) {
        pool_put(gz); /* the request ended meanwhile */
        return;
    }
    if (gz->again)
        loop_timer_in(gz->loop, &gz->kick, 0);
}

static void kick(struct timer *t)
{
    feed((struct compress *)((char *)t - offsetof(struct compress, kick)));
}

void compress_send(struct request *r)
{
    struct compress *gz = r->gz;
    struct response *res = &r->res;
    gz->sync_flush = false;
    gz->feeding = true;
    if (res->body) {
        gz->mem = res->body;
        gz->mem_left = res->body_len;
    } else if (res->file_fd >= 0) {
        gz->fd = res->file_fd;
        gz->off = res->file_off;
        gz->left = res->file_len;
    }
    /* busy: a failure to queue the head frees the request, not gz. */
    gz->busy = true;
    response_stream_begin(r, true);
    gz->busy = false;
    if (!gz->r) {
        pool_put(gz);
        return;
    }
    feed(gz);
}

bool compress_on_drained(struct request *r)
{
    if (!r->gz || !r->gz->feeding)
        return false;
    feed(r->gz);
    return true;
}

void compress_release(struct request *r)
{
    struct compress *gz = r->gz;
    if (!gz)
        return;
    r->gz = NULL;
    loop_timer_cancel(gz->loop, &gz->kick);
    if (gz->busy)
        gz->r = NULL; /* feed() puts it back when it returns */
    else
        pool_put(gz);
}
