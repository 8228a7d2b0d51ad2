#include "core/outq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Memory chunks gathered into one sendmsg. */
#define OUTQ_IOV 64
/* The most one sendfile call is asked for. */
#define OUTQ_FILE_STEP ((off_t)1 << 30)

/* Spare OUTQ_SMALL_CHUNKS-chunk arrays, linked through their first word:
 * a worker is one thread, and a queue takes and returns one per response. */
#define OUTQ_CACHE_KEEP 64
static void *cache;
static size_t cache_n;

static struct outq_chunk *array_get(void)
{
    void *v = cache;
    if (v) {
        cache = *(void **)v;
        cache_n--;
        return v;
    }
    return malloc(OUTQ_SMALL_CHUNKS * sizeof(struct outq_chunk));
}

static void array_put(struct outq_chunk *v, size_t cap)
{
    if (cap != OUTQ_SMALL_CHUNKS || cache_n >= OUTQ_CACHE_KEEP) {
        free(v);
        return;
    }
    *(void **)v = cache;
    cache = v;
    cache_n++;
}

void outq_cache_free(void)
{
    while (cache) {
        void *next = *(void **)cache;
        free(cache);
        cache = next;
    }
    cache_n = 0;
}

void outq_init(struct outq *q)
{
    q->v = NULL;
    q->cap = q->first = q->n = 0;
    q->copied = 0;
}

/* The queue is empty: its array goes back. */
static void release_array(struct outq *q)
{
    if (q->v)
        array_put(q->v, q->cap);
    outq_init(q);
}

static void chunk_release(struct outq *q, struct outq_chunk *ch)
{
    if (!ch->owned)
        return;
    if (ch->kind == OUTQ_FILE) {
        close(ch->u.file.fd);
    } else if (ch->kind == OUTQ_MEM && ch->u.mem.p) {
        q->copied -= (uint32_t)ch->u.mem.len;
        free((void *)ch->u.mem.p);
    }
    ch->owned = false;
}

/* Drops the first chunk (written, or cleared). */
static void pop_first(struct outq *q)
{
    chunk_release(q, &q->v[q->first]);
    q->first++;
    if (--q->n == 0)
        release_array(q);
}

void outq_clear(struct outq *q)
{
    while (q->n)
        pop_first(q);
    release_array(q);
}

/* Room for one more chunk at the end: takes an array, moves the live
 * chunks down or grows the array. Returns 0 or -1 (the bound, or no
 * memory). */
static int make_room(struct outq *q)
{
    if (!q->v) {
        if (!(q->v = array_get()))
            return -1;
        q->cap = OUTQ_SMALL_CHUNKS;
        return 0;
    }
    if (q->first + q->n < q->cap)
        return 0;
    if (q->first > 0) {
        memmove(q->v, q->v + q->first, q->n * sizeof(*q->v));
        q->first = 0;
        return 0;
    }
    if (q->cap >= OUTQ_MAX_CHUNKS)
        return -1;
    size_t cap = q->cap * 2;
    struct outq_chunk *v = malloc(cap * sizeof(*v));
    if (!v)
        return -1;
    memcpy(v, q->v, q->n * sizeof(*v));
    array_put(q->v, q->cap);
    q->v = v;
    q->cap = (uint32_t)cap;
    return 0;
}

bool outq_streaming(const struct outq *q)
{
    return q->n && q->v[q->first + q->n - 1].kind == OUTQ_STREAM;
}

/* A new chunk at the end, or in front of an open stream. */
static struct outq_chunk *push(struct outq *q)
{
    if (make_room(q) < 0)
        return NULL;
    struct outq_chunk *ch = &q->v[q->first + q->n];
    q->n++;
    if (q->n > 1 && ch[-1].kind == OUTQ_STREAM) {
        ch[0] = ch[-1]; /* the stream chunk holds no pointer into itself */
        ch--;
    }
    memset(ch, 0, sizeof(*ch));
    return ch;
}

int outq_mem(struct outq *q, const void *p, size_t len)
{
    if (len == 0)
        return 0;
    struct outq_chunk *ch = push(q);
    if (!ch)
        return -1;
    ch->kind = OUTQ_MEM;
    ch->u.mem.p = p;
    ch->u.mem.len = len;
    return 0;
}

int outq_copy(struct outq *q, const void *p, size_t len)
{
    if (len == 0)
        return 0;
    char *copy = NULL;
    if (len > OUTQ_SMALL) {
        if (q->copied + len > OUTQ_MAX_COPIED || !(copy = malloc(len)))
            return -1;
        memcpy(copy, p, len);
    }
    struct outq_chunk *ch = push(q);
    if (!ch) {
        free(copy);
        return -1;
    }
    ch->kind = OUTQ_MEM;
    ch->owned = true;
    if (copy)
        q->copied += (uint32_t)len;
    else
        memcpy(ch->small, p, len); /* p stays NULL: the bytes are in small */
    ch->u.mem.p = copy;
    ch->u.mem.len = len;
    return 0;
}

int outq_file(struct outq *q, int fd, off_t off, off_t len, bool owned)
{
    struct outq_chunk *ch = len > 0 ? push(q) : NULL;
    if (!ch) {
        if (owned)
            close(fd);
        return len > 0 ? -1 : 0;
    }
    ch->kind = OUTQ_FILE;
    ch->owned = owned;
    ch->u.file.fd = fd;
    ch->u.file.off = off;
    ch->u.file.len = len;
    return 0;
}

int outq_stream_open(struct outq *q)
{
    if (outq_streaming(q))
        return 0;
    struct outq_chunk *ch = push(q);
    if (!ch)
        return -1;
    ch->kind = OUTQ_STREAM;
    return 0;
}

void outq_stream_close(struct outq *q)
{
    if (!outq_streaming(q))
        return;
    if (--q->n == 0)
        release_array(q);
}

/* ---- writing ---- */

/* Consumes n written bytes from the memory chunks at the front. */
static void advance_mem(struct outq *q, size_t n)
{
    while (n > 0) {
        struct outq_chunk *ch = &q->v[q->first];
        size_t left = ch->u.mem.len - ch->u.mem.done;
        if (n < left) {
            ch->u.mem.done += n;
            return;
        }
        n -= left;
        pop_first(q);
    }
}

/* Gathers the memory chunks at the front into iov. *more is set when a
 * file range follows them, so that the last piece waits for it (MSG_MORE)
 * and a small head and a small file leave in one packet. */
static int gather(const struct outq *q, struct iovec *iov, bool *more)
{
    int n = 0;
    size_t i = q->first, end = q->first + q->n;
    for (; i < end && n < OUTQ_IOV && q->v[i].kind == OUTQ_MEM; i++, n++) {
        const struct outq_chunk *ch = &q->v[i];
        iov[n].iov_base = (char *)(ch->u.mem.p ? ch->u.mem.p : ch->small) + ch->u.mem.done;
        iov[n].iov_len = ch->u.mem.len - ch->u.mem.done;
    }
    *more = i < end && q->v[i].kind == OUTQ_FILE;
    return n;
}

static enum outq_result flush_mem(struct outq *q, int fd, uint64_t *sent)
{
    struct iovec iov[OUTQ_IOV];
    bool more;
    int n = gather(q, iov, &more);
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (w < 0) {
        if (errno == EINTR)
            return OUTQ_DONE; /* nothing written: the caller loops */
        return errno == EAGAIN || errno == EWOULDBLOCK ? OUTQ_AGAIN : OUTQ_ERROR;
    }
    *sent += (uint64_t)w;
    advance_mem(q, (size_t)w);
    return OUTQ_DONE;
}

static enum outq_result flush_file(struct outq *q, int fd, uint64_t *sent)
{
    struct outq_chunk *ch = &q->v[q->first];
    size_t step = (size_t)(ch->u.file.len < OUTQ_FILE_STEP ? ch->u.file.len : OUTQ_FILE_STEP);
    ssize_t w = sendfile(fd, ch->u.file.fd, &ch->u.file.off, step);
    if (w < 0) {
        if (errno == EINTR)
            return OUTQ_DONE;
        return errno == EAGAIN || errno == EWOULDBLOCK ? OUTQ_AGAIN : OUTQ_ERROR;
    }
    if (w == 0)
        return OUTQ_ERROR; /* the file shrank under us: the framing is lost */
    *sent += (uint64_t)w;
    ch->u.file.len -= w;
    if (ch->u.file.len == 0)
        pop_first(q);
    return OUTQ_DONE;
}

long outq_take(struct outq *q, char *buf, size_t cap)
{
    size_t got = 0;
    while (q->n && got < cap) {
        struct outq_chunk *ch = &q->v[q->first];
        if (ch->kind == OUTQ_STREAM)
            break;
        if (ch->kind == OUTQ_MEM) {
            const char *p = ch->u.mem.p ? ch->u.mem.p : ch->small;
            size_t n = ch->u.mem.len - ch->u.mem.done;
            if (n > cap - got)
                n = cap - got;
            memcpy(buf + got, p + ch->u.mem.done, n);
            got += n;
            advance_mem(q, n);
            continue;
        }
        size_t want = cap - got;
        if ((off_t)want > ch->u.file.len)
            want = (size_t)ch->u.file.len;
        ssize_t r = pread(ch->u.file.fd, buf + got, want, ch->u.file.off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1; /* unreadable, or shrank under us: the framing is lost */
        got += (size_t)r;
        ch->u.file.off += r;
        ch->u.file.len -= r;
        if (ch->u.file.len == 0)
            pop_first(q);
    }
    return (long)got;
}

enum outq_result outq_flush(struct outq *q, int fd, uint64_t *sent)
{
    while (q->n) {
        enum outq_kind kind = q->v[q->first].kind;
        if (kind == OUTQ_STREAM)
            return OUTQ_STREAM_WAIT;
        enum outq_result r = kind == OUTQ_MEM ? flush_mem(q, fd, sent) : flush_file(q, fd, sent);
        if (r != OUTQ_DONE)
            return r;
    }
    return OUTQ_DONE;
}
