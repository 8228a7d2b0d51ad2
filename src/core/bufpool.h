/* A per-worker pool of fixed-size buffers.
 *
 * Connections take a buffer while they read or write a request and give it
 * back while they sit idle, so idle keep-alive connections hold no buffer
 * memory. The pool keeps up to `keep` free buffers for reuse and returns
 * the rest to the allocator. */
#ifndef PORTICO_BUFPOOL_H
#define PORTICO_BUFPOOL_H

#include <stddef.h>

struct bufpool {
    size_t size;     /* bytes per buffer */
    size_t keep;     /* free buffers kept at most */
    size_t n_free;
    void *free_list; /* singly linked through the first word */
    size_t in_use;   /* handed out and not yet returned */
};

void bufpool_init(struct bufpool *p, size_t size, size_t keep);
/* Frees the kept buffers; buffers still in use must have been returned. */
void bufpool_free(struct bufpool *p);
/* A buffer of p->size bytes, or NULL when memory is exhausted. */
void *bufpool_get(struct bufpool *p);
void bufpool_put(struct bufpool *p, void *buf);

#endif
