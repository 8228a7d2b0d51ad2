/* A per-worker allocator of fixed-size objects (the connections).
 *
 * Objects are carved out of 64 KiB chunks mapped from the kernel and
 * aligned to their size, so an object finds its chunk by masking its
 * address: no per-object header, no rounding to malloc's size classes.
 * A chunk hands out its objects from a free list, then from the untouched
 * rest of it in order, so pages are touched (and counted in the RSS) only
 * as they are used. A chunk whose objects are all free is unmapped, except
 * one kept for the next burst. Freed objects are poisoned for ASan and
 * valgrind, so a use after free is still caught. */
#ifndef PORTICO_SLAB_H
#define PORTICO_SLAB_H

#include <stddef.h>

struct slab_chunk;

struct slab {
    size_t size;                /* bytes per object (a multiple of 16) */
    size_t per_chunk;           /* objects per chunk */
    struct slab_chunk *partial; /* chunks with a free object */
    struct slab_chunk *spare;   /* an empty chunk kept, or NULL */
    size_t chunks;              /* chunks mapped (the spare included) */
    size_t in_use;              /* objects handed out */
};

/* Sets up an empty slab of objects of size bytes (at most a quarter of a
 * chunk). */
void slab_init(struct slab *s, size_t size);
/* Unmaps every chunk; objects still in use must have been freed. */
void slab_destroy(struct slab *s);
/* A zeroed object, or NULL when memory is exhausted. */
void *slab_alloc(struct slab *s);
/* Gives p (from slab_alloc of s) back; NULL is ignored. */
void slab_free(struct slab *s, void *p);

#endif
