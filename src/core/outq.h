/* A connection's output queue: memory, file-range and stream chunks, in
 * the spirit of lighttpd's chunkqueue. A response is typically a head in
 * memory followed by a file range (sent with sendfile) or by a stream: a
 * body that a source (a CGI pipe; an upstream socket once the proxy is
 * built) produces piece by piece while the queue drains.
 *
 * Memory chunks point at bytes their owner keeps alive until they are
 * written (outq_mem), or at bytes the queue copied and owns (outq_copy).
 * The queue grows as needed up to OUTQ_MAX_CHUNKS and OUTQ_MAX_COPIED
 * copied bytes, and every append reports whether it fit.
 *
 * An empty queue holds no memory (an idle keep-alive connection has one):
 * its chunk array is taken at the first append, from a small per-process
 * cache of OUTQ_SMALL_CHUNKS-chunk arrays, and goes back there as soon as
 * the last chunk leaves. */
#ifndef PORTICO_OUTQ_H
#define PORTICO_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OUTQ_SMALL_CHUNKS 4 /* the array a queue starts with */
#define OUTQ_MAX_CHUNKS 256
#define OUTQ_MAX_COPIED (256 * 1024)
#define OUTQ_SMALL 16 /* copies up to this size live inside the chunk */

enum outq_kind { OUTQ_MEM, OUTQ_FILE, OUTQ_STREAM };

struct outq_chunk {
    enum outq_kind kind;
    bool owned; /* MEM: p is the queue's (malloc'd or small); FILE: fd is closed when done */
    union {
        struct {
            const char *p; /* NULL: a small copy, in `small` */
            size_t len;
            size_t done; /* bytes of it already written */
        } mem;
        struct {
            int fd;
            off_t off, len;
        } file;
    } u;
    char small[OUTQ_SMALL]; /* a small copy's bytes (no pointer into itself, so
                               chunks can be moved) */
};

struct outq {
    struct outq_chunk *v;    /* NULL while empty */
    uint32_t first, n, cap;  /* chunks v[first .. first + n) are queued */
    uint32_t copied;         /* bytes of heap copies queued */
};

/* What outq_flush achieved. */
enum outq_result {
    OUTQ_DONE = 1,   /* everything is out */
    OUTQ_AGAIN = 0,  /* the socket is full: wait for it to be writable */
    OUTQ_ERROR = -1, /* the socket failed, or a file ended early */
    OUTQ_STREAM_WAIT = 2 /* all is out up to an open stream: its source owes more */
};

void outq_init(struct outq *q);
/* Frees the cache of spare chunk arrays (at a worker's exit). */
void outq_cache_free(void);
/* Drops every chunk, closing owned files and freeing owned memory. */
void outq_clear(struct outq *q);
static inline bool outq_empty(const struct outq *q) { return q->n == 0; }

/* Appends len bytes at p, which stay valid until written or cleared.
 * Nothing is queued for len 0. Returns 0, or -1 when the queue is full. */
int outq_mem(struct outq *q, const void *p, size_t len);
/* Appends a copy of p[0..len). Returns 0, or -1 when full or out of memory. */
int outq_copy(struct outq *q, const void *p, size_t len);
/* Appends len bytes of fd from off; owned: the queue closes fd. Returns 0,
 * or -1 when full (an owned fd is closed then). */
int outq_file(struct outq *q, int fd, off_t off, off_t len, bool owned);

/* Opens a stream at the tail: later appends go in front of it, and the
 * writer stops there (OUTQ_STREAM_WAIT) until the stream is closed.
 * Returns 0 or -1 when full. */
int outq_stream_open(struct outq *q);
/* The source has no more: the stream chunk goes. */
void outq_stream_close(struct outq *q);
bool outq_streaming(const struct outq *q);

/* Takes up to cap bytes from the front into buf: memory is copied, file
 * ranges are read (pread), and taking stops at an open stream. What is
 * taken leaves the queue. Returns the bytes taken (0: the queue is empty
 * or a stream is next), or -1 when a file could not be read or ended
 * early. For writers that cannot hand the kernel the chunks themselves
 * (TLS). */
long outq_take(struct outq *q, char *buf, size_t cap);

/* Writes what the socket fd takes, adding the bytes sent to *sent. */
enum outq_result outq_flush(struct outq *q, int fd, uint64_t *sent);

#endif
