/* A C string built in a fixed buffer the caller owns. What does not fit is
 * cut off and flagged, and NUL bytes are left out: a C string cannot hold
 * them, and one would cut a name short. */
#ifndef PORTICO_CBUF_H
#define PORTICO_CBUF_H

#include <stdbool.h>
#include <stddef.h>

struct cbuf {
    char *p;
    size_t cap; /* bytes at p, the NUL included */
    size_t len;
    bool overflow; /* a byte did not fit */
};

/* Starts an empty string in p[0..cap); cap must be at least 1. */
static inline void cbuf_init(struct cbuf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    b->overflow = false;
    p[0] = '\0';
}

/* Appends c (a NUL is skipped), or sets overflow when the buffer is full. */
static inline void cbuf_put(struct cbuf *b, char c)
{
    if (c == '\0')
        return;
    if (b->len + 1 >= b->cap) {
        b->overflow = true;
        return;
    }
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

#endif
