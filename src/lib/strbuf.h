/* A growable byte buffer for generated bodies (listings, JSON). Once an
 * allocation fails the buffer is marked failed and further appends are
 * ignored, so callers check once at the end. */
#ifndef PORTICO_STRBUF_H
#define PORTICO_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *p;
    size_t len, cap;
    bool failed;
};

#define STRBUF_INIT {NULL, 0, 0, false}

/* Appends s[0..len); the bytes stay NUL-terminated. */
void strbuf_append(struct strbuf *b, const char *s, size_t len);
/* Appends the C string s. */
void strbuf_puts(struct strbuf *b, const char *s);
/* Appends printf-formatted text. */
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes over (caller frees) and resets b; NULL if it failed. */
char *strbuf_take(struct strbuf *b, size_t *len);
/* Empties b (a failed one too), keeping its memory for the next use. */
void strbuf_reset(struct strbuf *b);
/* Frees what b holds and resets it for reuse. */
void strbuf_free(struct strbuf *b);

#endif
