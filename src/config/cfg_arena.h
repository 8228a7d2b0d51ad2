/* A grow-only allocation arena: everything a loaded configuration owns
 * lives in one, and is released at once by cfg_arena_free(). Nothing in an
 * arena is freed alone. */
#ifndef PORTICO_CFG_ARENA_H
#define PORTICO_CFG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct cfg_arena;

/* A new empty arena, or NULL when out of memory. */
struct cfg_arena *cfg_arena_new(void);
/* Releases the arena and everything allocated from it; NULL is a no-op. */
void cfg_arena_free(struct cfg_arena *a);

/* n zeroed bytes aligned for any type; NULL when out of memory. A zero n
 * still returns a unique valid pointer. */
void *cfg_arena_alloc(struct cfg_arena *a, size_t n);
/* An array of n zeroed elements of size sz, checked for overflow. */
void *cfg_arena_calloc(struct cfg_arena *a, size_t n, size_t sz);
/* Copies of a string, or of its first n bytes, NUL-terminated. */
char *cfg_arena_strdup(struct cfg_arena *a, const char *s);
char *cfg_arena_strndup(struct cfg_arena *a, const char *s, size_t n);
/* A formatted string in the arena. */
char *cfg_arena_printf(struct cfg_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *cfg_arena_vprintf(struct cfg_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
