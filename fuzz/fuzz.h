/* What the libFuzzer harnesses share: an invariant check that aborts (so
 * libFuzzer keeps the input), a limit picked from control bytes, exact-size
 * heap copies, byte classes, slices checked against their buffer, and the
 * prefixes worth parsing again when a parser re-reads its input from the
 * start (fuzz_http_parse.c, fuzz_http_resp.c, fuzz_cgi_parse.c). */
#ifndef PORTICO_FUZZ_H
#define PORTICO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/str.h"

#define CHECK(c)                                                                         \
    do {                                                                                 \
        if (!(c))                                                                        \
            abort();                                                                     \
    } while (0)

/* A limit from two control bytes: min << (b0 % steps), plus up to as much
 * again by b1, so that limits spread log-uniformly; at most max. */
static inline size_t fuzz_pick_max(uint8_t b0, uint8_t b1, size_t min, unsigned steps,
                                   size_t max)
{
    size_t base = min << (b0 % steps);
    size_t m = base + base * b1 / 256;
    return m > max ? max : m;
}

/* A heap copy of exactly src[0..n), so that ASan sees a read past its end. */
static inline char *fuzz_copy(const char *src, size_t n)
{
    char *copy = malloc(n ? n : 1);
    CHECK(copy != NULL);
    if (n)
        memcpy(copy, src, n);
    return copy;
}

/* Appends s[0..n) at *p. */
static inline void fuzz_put(char **p, const char *s, size_t n)
{
    memcpy(*p, s, n);
    *p += n;
}

/* Appends the field line "name: value" CRLF at *p. */
static inline void fuzz_put_field(char **p, struct str name, struct str value)
{
    fuzz_put(p, name.p, name.len);
    fuzz_put(p, ": ", 2);
    fuzz_put(p, value.p, value.len);
    fuzz_put(p, "\r\n", 2);
}

static inline int fuzz_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* tchar (RFC 9110 5.6.2), written out independently of the parsers. */
static inline int fuzz_is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Same bytes, and at the same offset from their bases when offsets is set
 * and the slices are not empty. */
static inline void fuzz_same_str(struct str a, struct str b, const char *ab, const char *bb,
                                 int offsets)
{
    CHECK(a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
    if (offsets && a.len)
        CHECK(a.p - ab == b.p - bb);
}

/* s lies inside [base, base + n). An empty str may sit at base + n. */
static inline int fuzz_str_inside(struct str s, const char *base, size_t n)
{
    if (s.p == NULL)
        return 0;
    uintptr_t p = (uintptr_t)s.p, b = (uintptr_t)base;
    return p >= b && p <= b + n && s.len <= b + n - p;
}

static inline uint64_t fuzz_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Cutting an input into pieces for an incremental parser, the way a
 * control byte says: ctl % 8 == 0, one byte at a time; else pieces of
 * 1..max, max growing with the low bits, and the odd empty piece when
 * ctl & 8. fuzz_cut_init seeds it for an input of n bytes; fuzz_cut_next
 * returns the next piece's size, at most left. */
struct fuzz_cut {
    uint64_t seed;
    uint8_t ctl;
};

static inline void fuzz_cut_init(struct fuzz_cut *c, uint8_t ctl, size_t n)
{
    c->seed = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)ctl << 32) ^ n;
    c->ctl = ctl;
}

static inline size_t fuzz_cut_next(struct fuzz_cut *c, size_t left)
{
    static const size_t max_piece[8] = {1, 2, 3, 5, 8, 17, 64, 512};
    /* xorshift64* */
    c->seed ^= c->seed >> 12;
    c->seed ^= c->seed << 25;
    c->seed ^= c->seed >> 27;
    uint64_t r = c->seed * 0x2545f4914f6cdd1dULL;
    size_t piece = 1;
    if ((c->ctl & 8) && r % 7 == 0)
        piece = 0;
    else if (c->ctl % 8 != 0)
        piece = 1 + (size_t)((r >> 8) % max_piece[c->ctl % 8]);
    return piece > left ? left : piece;
}

/* Prefix lengths of the len parsed bytes to try, for an input data[0..size):
 * 0 and len - 1, the edges of a successful result full (> 0) and of the
 * limit max (when len reaches it), then positions drawn from the input's
 * first 64 bytes, cap in all. Returns how many were written to cand; each
 * is at most len. */
static inline size_t fuzz_prefixes(const uint8_t *data, size_t size, size_t len, long full,
                                   size_t max, size_t *cand, size_t cap)
{
    size_t nc = 0;
    cand[nc++] = 0;
    cand[nc++] = len ? len - 1 : 0;
    if (full > 0) {
        cand[nc++] = (size_t)full - 1;
        cand[nc++] = (size_t)full;
    }
    if (max <= len) {
        cand[nc++] = max - 1;
        cand[nc++] = max;
    }
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ size;
    for (size_t i = 0; i < size && i < 64; i++)
        h = fuzz_mix(h ^ data[i]);
    while (nc < cap && len > 1) {
        h = fuzz_mix(h + 1);
        cand[nc++] = (size_t)(h % len);
    }
    return nc;
}

#endif
