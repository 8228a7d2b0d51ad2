// link: src/http/multipart.c src/http/http_param.c
/* libFuzzer driver for the multipart/form-data parser.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       -o fuzz_multipart fuzz/fuzz_multipart.c src/http/multipart.c && ./fuzz_multipart
 *
 * Input: byte 0 picks the boundary, bytes 1-2 a split position, the rest is
 * the body. The body is parsed whole, in two feeds split there, in pieces
 * of a size taken from byte 0, and one byte at a time; each run's
 * transcript (part headers, data bytes, part ends, result, done, error)
 * must be identical. Each feed is an exact-size heap copy, so ASan sees
 * any read past it. The whole input is also tried as a Content-Type. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/multipart.h"

struct transcript {
    unsigned char *p;
    size_t len, cap;
    int in_part;
};

static void put(struct transcript *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n)
            cap *= 2;
        t->p = realloc(t->p, cap);
        if (t->p == NULL)
            abort();
        t->cap = cap;
    }
    memcpy(t->p + t->len, p, n);
    t->len += n;
}

/* Markers are 0xff followed by a letter; a data byte 0xff is doubled. */
static void mark(struct transcript *t, char what)
{
    unsigned char m[2] = {0xff, (unsigned char)what};
    put(t, m, 2);
}

static void put_str(struct transcript *t, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) /* the parser always NUL-terminates */
        abort();
    put(t, s, n + 1);
}

static int on_begin(void *ctx, const struct multipart_part *part)
{
    struct transcript *t = ctx;
    if (t->in_part)
        abort();
    t->in_part = 1;
    mark(t, 'B');
    put_str(t, part->name, sizeof part->name);
    put_str(t, part->filename, sizeof part->filename);
    put_str(t, part->content_type, sizeof part->content_type);
    put(t, part->has_filename ? "1" : "0", 1);
    return 0;
}

static int on_data(void *ctx, const char *data, size_t len)
{
    struct transcript *t = ctx;
    if (!t->in_part || len == 0)
        abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        put(t, &c, 1);
        if (c == 0xff)
            put(t, &c, 1);
    }
    return 0;
}

static int on_end(void *ctx)
{
    struct transcript *t = ctx;
    if (!t->in_part)
        abort();
    t->in_part = 0;
    mark(t, 'E');
    return 0;
}

static const struct multipart_callbacks cbs = {on_begin, on_data, on_end};

static const char *const content_types[] = {
    "multipart/form-data; boundary=b",
    "multipart/form-data; boundary=XyZ",
    "multipart/form-data; boundary=\"--a b\"",
    "multipart/form-data; boundary=------------------------abcdef0123456789",
};

static struct multipart g_m;

/* Parses body[0..n) in pieces: first piece `cut` bytes, then `step`-byte
 * pieces (step 0: the rest at once). */
static void run(struct transcript *t, const char *ct, const uint8_t *body, size_t n, size_t cut,
                size_t step)
{
    if (multipart_init(&g_m, ct, strlen(ct)) != 0)
        abort();
    int rc = 0;
    size_t at = 0;
    while (at < n && rc == 0) {
        size_t k = at == 0 ? cut : (step ? step : n - at);
        if (k == 0 && at == 0)
            k = step ? step : n;
        if (k > n - at)
            k = n - at;
        char *copy = malloc(k);
        if (copy == NULL)
            abort();
        memcpy(copy, body + at, k);
        rc = multipart_feed(&g_m, copy, k, &cbs, t);
        free(copy);
        at += k;
    }
    if (rc == 0 && multipart_feed(&g_m, NULL, 0, &cbs, t) != 0)
        abort();
    if (rc != 0 && (g_m.error == NULL || multipart_feed(&g_m, "x", 1, &cbs, t) != -1))
        abort(); /* a failed parser says why and stays failed */
    mark(t, rc == 0 ? '0' : '-');
    mark(t, multipart_done(&g_m) ? 'D' : 'd');
    if (g_m.error)
        put_str(t, g_m.error, 256);
}

static void same(const struct transcript *a, const struct transcript *b)
{
    if (a->len != b->len || memcmp(a->p, b->p, a->len) != 0) {
        fprintf(stderr, "fuzz_multipart: transcripts differ (%zu vs %zu bytes)\n", a->len,
                b->len);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Any bytes as a Content-Type: no crash, no read past size. */
    char *ct_copy = malloc(size ? size : 1);
    if (ct_copy == NULL)
        abort();
    memcpy(ct_copy, data, size);
    struct multipart m;
    if (multipart_init(&m, ct_copy, size) == 0 &&
        (m.boundary_len < 5 || m.boundary_len > MULTIPART_MAX_BOUNDARY + 4))
        abort();
    free(ct_copy);

    if (size < 3)
        return 0;
    const char *ct = content_types[data[0] % 4];
    size_t step = 1 + (data[0] >> 2) % 64;
    const uint8_t *body = data + 3;
    size_t n = size - 3;
    size_t cut = ((size_t)data[1] << 8 | data[2]) % (n + 1);

    struct transcript whole = {0}, other = {0};
    run(&whole, ct, body, n, n, 0);

    run(&other, ct, body, n, cut, 0);
    same(&whole, &other);
    other.len = 0;
    other.in_part = 0;

    run(&other, ct, body, n, 0, step);
    same(&whole, &other);
    other.len = 0;
    other.in_part = 0;

    if (n <= 4096) {
        run(&other, ct, body, n, 1, 1);
        same(&whole, &other);
    }
    free(whole.p);
    free(other.p);
    return 0;
}
