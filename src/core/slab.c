#include "core/slab.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* Poisoning for the memory checkers: a freed object may not be touched
 * until slab_alloc hands it out again. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#elif defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define POISON(p, n) VALGRIND_MAKE_MEM_NOACCESS(p, n)
#define UNPOISON(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n) /* the link is read, then all zeroed */
#endif
#endif
#ifndef POISON
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A chunk's size, which is also its alignment. */
#define SLAB_CHUNK ((size_t)64 * 1024)

/* The head of a chunk; its objects follow it. */
struct slab_chunk {
    struct slab_chunk *prev, *next; /* the slab's partial list */
    void *free;                     /* freed objects, linked through their first word */
    unsigned used;                  /* objects handed out */
    unsigned fresh;                 /* objects [fresh, per_chunk) were never handed out */
};

#define SLAB_HEAD ((sizeof(struct slab_chunk) + 15) & ~(size_t)15)

void slab_init(struct slab *s, size_t size)
{
    memset(s, 0, sizeof(*s));
    if (size < sizeof(void *))
        size = sizeof(void *);
    s->size = (size + 15) & ~(size_t)15;
    s->per_chunk = (SLAB_CHUNK - SLAB_HEAD) / s->size;
}

/* A chunk aligned to its size: twice the size is mapped and the parts
 * before and after the aligned middle are unmapped. NULL when the kernel
 * refuses. */
static struct slab_chunk *chunk_map(void)
{
    size_t len = 2 * SLAB_CHUNK;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)p + SLAB_CHUNK - 1) & ~(uintptr_t)(SLAB_CHUNK - 1);
    size_t head = start - (uintptr_t)p;
    if (head)
        munmap(p, head);
    if (len - head > SLAB_CHUNK)
        munmap((char *)start + SLAB_CHUNK, len - head - SLAB_CHUNK);
    return (struct slab_chunk *)start;
}

/* Unmaps a chunk; ASan forgets its poison first (the address may be
 * mapped again). */
static void chunk_unmap(struct slab_chunk *ch)
{
    UNPOISON(ch, SLAB_CHUNK);
    munmap(ch, SLAB_CHUNK);
}

static void unlink_partial(struct slab *s, struct slab_chunk *ch)
{
    if (ch->prev)
        ch->prev->next = ch->next;
    else
        s->partial = ch->next;
    if (ch->next)
        ch->next->prev = ch->prev;
    ch->prev = ch->next = NULL;
}

static void push_partial(struct slab *s, struct slab_chunk *ch)
{
    ch->prev = NULL;
    ch->next = s->partial;
    if (s->partial)
        s->partial->prev = ch;
    s->partial = ch;
}

/* A chunk with a free object: a partial one, the spare, or a new one. */
static struct slab_chunk *chunk_with_room(struct slab *s)
{
    if (s->partial)
        return s->partial;
    struct slab_chunk *ch = s->spare;
    if (ch) {
        s->spare = NULL;
    } else {
        if (!(ch = chunk_map()))
            return NULL;
        s->chunks++; /* fresh from mmap: already zero */
    }
    push_partial(s, ch);
    return ch;
}

void *slab_alloc(struct slab *s)
{
    struct slab_chunk *ch = chunk_with_room(s);
    if (!ch)
        return NULL;
    char *p;
    if (ch->free) {
        p = ch->free;
        UNPOISON(p, s->size);
        ch->free = *(void **)p;
    } else {
        p = (char *)ch + SLAB_HEAD + ch->fresh++ * s->size;
    }
    if (++ch->used == s->per_chunk)
        unlink_partial(s, ch);
    s->in_use++;
    memset(p, 0, s->size);
    return p;
}

void slab_free(struct slab *s, void *p)
{
    if (!p)
        return;
    struct slab_chunk *ch = (struct slab_chunk *)((uintptr_t)p & ~(uintptr_t)(SLAB_CHUNK - 1));
    *(void **)p = ch->free;
    ch->free = p;
    POISON(p, s->size);
    s->in_use--;
    if (ch->used-- == s->per_chunk)
        push_partial(s, ch); /* it was full */
    if (ch->used > 0)
        return;
    unlink_partial(s, ch);
    if (!s->spare) {
        s->spare = ch;
        return;
    }
    chunk_unmap(ch);
    s->chunks--;
}

void slab_destroy(struct slab *s)
{
    while (s->partial) {
        struct slab_chunk *ch = s->partial;
        unlink_partial(s, ch);
        chunk_unmap(ch);
    }
    if (s->spare)
        chunk_unmap(s->spare);
    s->spare = NULL;
    s->chunks = 0;
}
