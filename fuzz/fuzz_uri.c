// link: src/http/uri.c src/http/escape.c src/lib/strbuf.c
/* libFuzzer driver for uri_normalize_path (and escape_url_path).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_uri fuzz/fuzz_uri.c \
 *       src/http/uri.c src/http/escape.c src/lib/strbuf.c && ./fuzz_uri
 *
 * Invariants checked on every path that normalises:
 *   - the length fits in len and dst[n] is the only NUL in dst[0..n];
 *   - it starts with '/', has no empty, "." or ".." segment (no "//",
 *     "/./", "/../", nor a trailing "/." or "/..");
 *   - it is a fixed point: percent-encoding it and normalising again
 *     gives it back, and normalising it again as it stands does too
 *     when it holds no '%'.
 * A path the function refuses must hold something that justifies it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/escape.h"
#include "http/uri.h"
#include "fuzz.h"

static int has_segment(const char *p, size_t n, const char *seg, size_t seg_len)
{
    /* a segment equal to seg: preceded by '/', followed by '/' or the end */
    for (size_t i = 0; i + 1 + seg_len <= n; i++) {
        if (p[i] != '/' || memcmp(p + i + 1, seg, seg_len) != 0)
            continue;
        if (i + 1 + seg_len == n || p[i + 1 + seg_len] == '/')
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    char *dst = malloc(size + 1);
    CHECK(dst != NULL);

    long n = uri_normalize_path(src, size, dst);
    if (n < 0) {
        /* refused: not '/'-first, or it holds a '%' or a NUL, or a '.' */
        CHECK(n == -1);
        CHECK(size == 0 || src[0] != '/' || memchr(src, '%', size) || memchr(src, '\0', size) ||
              memchr(src, '.', size));
        free(dst);
        return 0;
    }

    size_t len = (size_t)n;
    CHECK(len >= 1 && len <= size);
    CHECK(dst[len] == '\0');
    CHECK(memchr(dst, '\0', len) == NULL);
    CHECK(dst[0] == '/');
    CHECK(!has_segment(dst, len, ".", 1));
    CHECK(!has_segment(dst, len, "..", 2));
    CHECK(strstr(dst, "//") == NULL); /* no empty segment but a trailing one */

    /* encode, then normalise again: the same path */
    struct strbuf enc = STRBUF_INIT;
    escape_url_path(&enc, dst, len);
    CHECK(!enc.failed && enc.len >= len && enc.len <= len * 3);
    char *again = malloc(enc.len + 1);
    CHECK(again != NULL);
    CHECK(uri_normalize_path(enc.p, enc.len, again) == n);
    CHECK(memcmp(again, dst, len + 1) == 0);

    if (memchr(dst, '%', len) == NULL) {
        CHECK(uri_normalize_path(dst, len, again) == n);
        CHECK(memcmp(again, dst, len + 1) == 0);
    }

    strbuf_free(&enc);
    free(again);
    free(dst);
    return 0;
}
