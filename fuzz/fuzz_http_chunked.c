// link: src/http/http_chunked.c
/* libFuzzer driver for http_chunked_decode.
 *
 * Input: one control byte that picks how the body is cut, then the body.
 * The body is decoded whole in one call, and again cut into pieces (one
 * byte each, or sizes drawn from a generator seeded by the control byte and
 * the length); every piece sits in a heap block of exactly its size, so ASan
 * sees any overrun. Calls go on after the end or an error, as a caller that
 * keeps feeding would make them.
 *
 * Both ways must give the same decoded bytes, the same result kind (MORE,
 * ERROR, or done) and the same leftover bytes after the body; the leftover
 * is the input's tail; `total` counts the decoded bytes; a call never
 * returns more bytes than it was given. Once done, a call returns its whole
 * input as leftover; once failed, it fails again with no data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_chunked.h"
#include "fuzz.h"

enum kind { KIND_MORE, KIND_ERROR, KIND_DONE };

struct outcome {
    char *data; /* decoded bytes, concatenated */
    size_t data_len;
    char *left; /* bytes after the body, concatenated */
    size_t left_len;
    enum kind kind;
    uint64_t total;
};

/* Feeds in[0..n) as one call; returns what the caller sees. */
static void feed(struct http_chunked *d, const char *in, size_t n, struct outcome *o)
{
    char *buf = fuzz_copy(in, n);
    size_t len = n;
    enum kind before = o->kind;
    ssize_t r = http_chunked_decode(d, buf, &len);
    CHECK(len <= n);

    if (before == KIND_ERROR) {
        CHECK(r == HTTP_CHUNKED_ERROR && len == 0);
    } else if (before == KIND_DONE) {
        CHECK(r == (ssize_t)n && len == 0);
        CHECK(n == 0 || memcmp(buf, in, n) == 0);
    }

    memcpy(o->data + o->data_len, buf, len);
    o->data_len += len;
    if (r == HTTP_CHUNKED_ERROR) {
        o->kind = KIND_ERROR;
    } else if (r == HTTP_CHUNKED_MORE) {
        CHECK(before == KIND_MORE);
    } else {
        CHECK(r >= 0 && len + (size_t)r <= n);
        /* The leftover is the tail of this piece, moved behind the data. */
        CHECK(r == 0 || memcmp(buf + len, in + n - (size_t)r, (size_t)r) == 0);
        memcpy(o->left + o->left_len, buf + len, (size_t)r);
        o->left_len += (size_t)r;
        o->kind = KIND_DONE;
    }
    o->total = d->total;
    free(buf);
}

static void outcome_init(struct outcome *o, size_t n)
{
    memset(o, 0, sizeof(*o));
    o->data = malloc(n ? n : 1);
    o->left = malloc(n ? n : 1);
    CHECK(o->data != NULL && o->left != NULL);
    o->kind = KIND_MORE;
}

static void outcome_free(struct outcome *o)
{
    free(o->data);
    free(o->left);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    struct http_chunked whole_d, split_d;
    struct outcome whole, split;
    outcome_init(&whole, n);
    outcome_init(&split, n);

    http_chunked_init(&whole_d);
    feed(&whole_d, in, n, &whole);
    CHECK(whole.total == whole.data_len);
    if (whole.kind == KIND_DONE)
        CHECK(whole.data_len + whole.left_len <= n);
    else
        CHECK(whole.left_len == 0);

    /* Cut as the control byte says (fuzz_cut_next). */
    struct fuzz_cut cut;
    fuzz_cut_init(&cut, ctl, n);
    http_chunked_init(&split_d);
    for (size_t pos = 0; pos < n;) {
        size_t piece = fuzz_cut_next(&cut, n - pos);
        feed(&split_d, in + pos, piece, &split);
        pos += piece;
    }
    if (n == 0)
        feed(&split_d, in, 0, &split);
    /* One more, empty call: it changes nothing. */
    enum kind kind = split.kind;
    size_t dl = split.data_len, ll = split.left_len;
    feed(&split_d, in, 0, &split);
    CHECK(split.kind == kind && split.data_len == dl && split.left_len == ll);

    CHECK(split.kind == whole.kind);
    CHECK(split.data_len == whole.data_len);
    CHECK(memcmp(split.data, whole.data, whole.data_len) == 0);
    CHECK(split.left_len == whole.left_len);
    CHECK(memcmp(split.left, whole.left, whole.left_len) == 0);
    CHECK(split.total == whole.total);

    outcome_free(&whole);
    outcome_free(&split);
    return 0;
}
