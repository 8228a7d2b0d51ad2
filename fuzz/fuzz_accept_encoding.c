// link: src/http/accept_encoding.c
/* libFuzzer driver for the Accept-Encoding parser.
 *
 * Input: one control byte that picks how the value is cut, then the value
 * of one field. It is read whole, then cut into pieces (fuzz_cut_next:
 * one byte each, or sizes drawn from a generator seeded by the control
 * byte and the length), every piece in a heap block of exactly its size so that ASan sees any
 * overrun. Both ways must give the same q-values; each is unset or within
 * 0..1000, and so is the effective q of every coding. A coding whose name
 * the value does not contain (case-insensitively) stays unset. The same
 * field twice reads as once (the first element naming a coding counts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/accept_encoding.h"
#include "fuzz.h"

static void feed_copy(struct accept_encoding *ae, const char *s, size_t n)
{
    char *copy = fuzz_copy(s, n);
    accept_encoding_feed(ae, copy, n);
    free(copy);
}

/* s[0..n) contains the lower-case word, ASCII case-insensitively. */
static int contains(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; w <= n && i <= n - w; i++)
        if (strncasecmp(s + i, word, w) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    struct accept_encoding whole, split, twice;
    accept_encoding_init(&whole);
    feed_copy(&whole, in, n);
    accept_encoding_end_field(&whole);

    struct fuzz_cut cut;
    fuzz_cut_init(&cut, ctl, n);
    accept_encoding_init(&split);
    for (size_t pos = 0; pos < n;) {
        size_t piece = fuzz_cut_next(&cut, n - pos);
        feed_copy(&split, in + pos, piece);
        pos += piece;
    }
    accept_encoding_end_field(&split);
    CHECK(memcmp(split.q, whole.q, sizeof(whole.q)) == 0);

    accept_encoding_init(&twice);
    for (int i = 0; i < 2; i++) {
        feed_copy(&twice, in, n);
        accept_encoding_end_field(&twice);
    }
    CHECK(memcmp(twice.q, whole.q, sizeof(whole.q)) == 0);

    for (int c = 0; c < HTTP_CODING_COUNT; c++) {
        CHECK(whole.q[c] == ACCEPT_ENCODING_UNSET || (whole.q[c] >= 0 && whole.q[c] <= 1000));
        CHECK(accept_encoding_q(&whole, (enum http_coding)c) <= 1000);
    }
    if (!contains(in, n, "gzip"))
        CHECK(whole.q[HTTP_CODING_GZIP] == ACCEPT_ENCODING_UNSET);
    if (!contains(in, n, "br"))
        CHECK(whole.q[HTTP_CODING_BR] == ACCEPT_ENCODING_UNSET);
    if (!contains(in, n, "identity"))
        CHECK(whole.q[HTTP_CODING_IDENTITY] == ACCEPT_ENCODING_UNSET);
    if (!memchr(in, '*', n))
        CHECK(whole.q[HTTP_CODING_ANY] == ACCEPT_ENCODING_UNSET);
    return 0;
}
