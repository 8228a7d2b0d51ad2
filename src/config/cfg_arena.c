/* Grow-only arena: a list of blocks; big requests get a block of their own. */
#include "config/cfg_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 8192

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
};

struct cfg_arena {
    struct arena_block *head;
};

struct cfg_arena *cfg_arena_new(void)
{
    return calloc(1, sizeof(struct cfg_arena));
}

void cfg_arena_free(struct cfg_arena *a)
{
    if (!a)
        return;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

static struct arena_block *arena_grow(struct cfg_arena *a, size_t n)
{
    size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    if (size > SIZE_MAX - sizeof(struct arena_block))
        return NULL;
    struct arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = 0;
    /* A dedicated big block goes behind the current one, which may still
     * have room for small requests. */
    if (size > ARENA_BLOCK && a->head) {
        b->next = a->head->next;
        a->head->next = b;
    } else {
        b->next = a->head;
        a->head = b;
    }
    return b;
}

void *cfg_arena_alloc(struct cfg_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        b = arena_grow(a, n);
        if (!b)
            return NULL;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

void *cfg_arena_calloc(struct cfg_arena *a, size_t n, size_t sz)
{
    if (sz && n > SIZE_MAX / sz)
        return NULL;
    return cfg_arena_alloc(a, n * sz);
}

char *cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t n)
{
    char *p = cfg_arena_alloc(a, n + 1);
    if (p && n)
        memcpy(p, s, n);
    return p;
}

char *cfg_arena_strdup(struct cfg_arena *a, const char *s)
{
    return cfg_arena_strndup(a, s, strlen(s));
}

char *cfg_arena_vprintf(struct cfg_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = cfg_arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *cfg_arena_printf(struct cfg_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = cfg_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
