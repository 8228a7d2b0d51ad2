/* Tests for src/http/http_chunked.c: the chunked transfer coding decoder.
 *
 * Every input is decoded whole, in two pieces split at every position, and
 * one byte at a time; each piece sits in a heap block of exactly its size
 * (ASan sees any overrun) and the whole input also right before a PROT_NONE
 * page. The concatenated output, the leftover bytes after the body and the
 * byte at which an error is reported must be the same every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_chunked.h"

#define GUARD_PAGES 4
#include "guard_page.h"



/* The outcome of feeding one input in pieces. */
struct outcome {
    char data[4096];
    size_t data_len;
    char left[256];
    size_t left_len;
    ssize_t rc;       /* last result: >= 0 leftover, ERROR or MORE */
    size_t err_piece; /* index of the piece whose call failed */
    uint64_t total;
};

static void append(char *dst, size_t *dst_len, size_t cap, const char *src, size_t n)
{
    assert_true(*dst_len + n <= cap);
    memcpy(dst + *dst_len, src, n);
    *dst_len += n;
}

/* Feeds in[0..n) cut at cuts[0..ncuts) (increasing). Once the body is
 * complete the rest of the input is leftover, as the caller would see it. */
static void feed(const char *in, size_t n, const size_t *cuts, size_t ncuts, struct outcome *o)
{
    struct http_chunked d;
    http_chunked_init(&d);
    memset(o, 0, sizeof(*o));
    o->rc = HTTP_CHUNKED_MORE;
    size_t start = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t stop = i < ncuts ? cuts[i] : n;
        size_t plen = stop - start;
        if (o->rc >= 0) { /* body done: the rest belongs to the next request */
            append(o->left, &o->left_len, sizeof(o->left), in + start, plen);
        } else {
            char *piece = malloc(plen ? plen : 1);
            assert_non_null(piece);
            memcpy(piece, in + start, plen);
            size_t len = plen;
            ssize_t rc = http_chunked_decode(&d, piece, &len);
            assert_true(len <= plen);
            if (rc == HTTP_CHUNKED_ERROR) {
                o->rc = rc;
                o->err_piece = i;
                free(piece);
                break;
            }
            append(o->data, &o->data_len, sizeof(o->data), piece, len);
            if (rc >= 0) {
                assert_true(len + (size_t)rc <= plen);
                append(o->left, &o->left_len, sizeof(o->left), piece + len, (size_t)rc);
            } else {
                assert_int_equal(rc, HTTP_CHUNKED_MORE);
            }
            o->rc = rc;
            free(piece);
        }
        start = stop;
    }
    o->total = d.total;
}

static void check_outcome(const struct outcome *o, const char *data, size_t data_len,
                          const char *left, size_t left_len, const char *how)
{
    if (o->rc < 0 || o->data_len != data_len || memcmp(o->data, data, data_len) != 0 ||
        o->left_len != left_len || memcmp(o->left, left, left_len) != 0)
        print_error("%s: rc %zd, data \"%.*s\", left \"%.*s\"\n", how, o->rc, (int)o->data_len,
                    o->data, (int)o->left_len, o->left);
    assert_true(o->rc >= 0);
    assert_int_equal(o->data_len, data_len);
    assert_memory_equal(o->data, data, data_len);
    assert_int_equal(o->left_len, left_len);
    assert_memory_equal(o->left, left, left_len);
    assert_int_equal(o->total, data_len);
}

/* in[0..n) is a complete body with data, followed by left. */
static void ok_n(const char *in, size_t n, const char *data, size_t data_len, const char *left,
                 size_t left_len)
{
    static struct outcome o;
    static size_t cuts[8192];
    assert_true(n <= sizeof(cuts) / sizeof(cuts[0]));

    feed(in, n, NULL, 0, &o);
    check_outcome(&o, data, data_len, left, left_len, "whole");
    for (size_t k = 0; k <= n; k++) {
        cuts[0] = k;
        feed(in, n, cuts, 1, &o);
        check_outcome(&o, data, data_len, left, left_len, "two pieces");
    }
    for (size_t k = 0; k < n; k++)
        cuts[k] = k + 1;
    feed(in, n, cuts, n, &o);
    check_outcome(&o, data, data_len, left, left_len, "byte by byte");

    /* whole input ending at the guard page: decoded in place there */
    assert_true(n <= g_cap);
    char *b = g_mem + g_cap - n;
    memcpy(b, in, n);
    struct http_chunked d;
    http_chunked_init(&d);
    size_t len = n;
    ssize_t rc = http_chunked_decode(&d, b, &len);
    assert_int_equal(rc, (ssize_t)left_len);
    assert_int_equal(len, data_len);
    assert_memory_equal(b, data, data_len);
    assert_memory_equal(b + len, left, left_len);
}

#define OK(in, data, left)                                                                    \
    ok_n((in), sizeof(in) - 1, (data), sizeof(data) - 1, (left), sizeof(left) - 1)

/* in[0..n) is refused at byte err_at: earlier bytes are accepted. */
static void err_n(const char *in, size_t n, size_t err_at)
{
    static struct outcome o;
    static size_t cuts[8192];
    assert_true(err_at < n && n <= sizeof(cuts) / sizeof(cuts[0]));

    feed(in, n, NULL, 0, &o);
    assert_int_equal(o.rc, HTTP_CHUNKED_ERROR);
    for (size_t k = 0; k <= n; k++) {
        cuts[0] = k;
        feed(in, n, cuts, 1, &o);
        assert_int_equal(o.rc, HTTP_CHUNKED_ERROR);
        assert_int_equal(o.err_piece, err_at < k ? 0 : 1);
    }
    for (size_t k = 0; k < n; k++)
        cuts[k] = k + 1;
    feed(in, n, cuts, n, &o);
    if (o.rc != HTTP_CHUNKED_ERROR || o.err_piece != err_at)
        print_error("\"%.*s\": want error at %zu, got rc %zd at %zu\n", (int)n, in, err_at, o.rc,
                    o.err_piece);
    assert_int_equal(o.rc, HTTP_CHUNKED_ERROR);
    assert_int_equal(o.err_piece, err_at);

    char *b = g_mem + g_cap - n;
    memcpy(b, in, n);
    struct http_chunked d;
    http_chunked_init(&d);
    size_t len = n;
    assert_int_equal(http_chunked_decode(&d, b, &len), HTTP_CHUNKED_ERROR);
}

#define ERR(in, err_at) err_n((in), sizeof(in) - 1, (err_at))

/* in[0..n) is valid so far but not finished: MORE with data decoded. */
static void more_n(const char *in, size_t n, const char *data, size_t data_len)
{
    static struct outcome o;
    static size_t cuts[8192];
    for (size_t k = 0; k <= n; k++) {
        cuts[0] = k;
        feed(in, n, cuts, 1, &o);
        assert_int_equal(o.rc, HTTP_CHUNKED_MORE);
        assert_int_equal(o.data_len, data_len);
        assert_memory_equal(o.data, data, data_len);
    }
}

#define MORE(in, data) more_n((in), sizeof(in) - 1, (data), sizeof(data) - 1)

static void test_basic(void **state)
{
    OK("5\r\nhello\r\n0\r\n\r\n", "hello", "");
    OK("0\r\n\r\n", "", "");
    OK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "");
    OK("1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", "abc", "");
    /* data may hold anything, CRLF and NUL included */
    OK("6\r\n\r\n0\r\n\0\r\n0\r\n\r\n", "\r\n0\r\n\0", "");
}

static void test_leftover(void **state)
{
    OK("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "abc", "GET / HTTP/1.1\r\n");
    OK("0\r\n\r\nX", "", "X");
    OK("0\n\nnext", "", "next");
    OK("2\r\nhi\r\n0\r\nT: v\r\n\r\n0\r\n\r\n", "hi", "0\r\n\r\n");
}

static void test_bare_lf(void **state)
{
    OK("5\nhello\n0\n\n", "hello", "");
    OK("5\r\nhello\n0\n\r\n", "hello", "");
    OK("5;ext\nhello\r\n0;x\n\n", "hello", "");
    OK("0\nTrailer: x\nOther: y\r\n\n", "", "");
}

static void test_hex_sizes(void **state)
{
    OK("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n", "01234567890123456789", "");
    OK("0005\r\nhello\r\n000\r\n\r\n", "hello", "");
    OK("0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n", "hello", ""); /* 16 digits */
    OK("1F\r\n0123456789abcdef0123456789abcde\r\n0\r\n\r\n", "0123456789abcdef0123456789abcde",
       "");
    OK("1f\r\n0123456789abcdef0123456789abcde\r\n0\r\n\r\n", "0123456789abcdef0123456789abcde",
       "");

    /* a large chunk, decoded across every split */
    char in[1200], data[1100];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    int n = snprintf(in, sizeof(in), "44c\r\n");
    memcpy(in + n, data, sizeof(data));
    n += (int)sizeof(data);
    memcpy(in + n, "\r\n0\r\n\r\n", 7);
    ok_n(in, (size_t)n + 7, data, sizeof(data), "", 0);
}

static void test_size_limits(void **state)
{
    /* 2^60 is accepted (the data never comes here) */
    MORE("1000000000000000\r\nabc", "abc");
    MORE("0fffffffffffffff\r\n", "");
    /* beyond 2^60: refused at the digit that overflows */
    ERR("1000000000000001\r\n", 15);
    ERR("FFFFFFFFFFFFFFFF\r\n", 15);
    ERR("10000000000000000\r\n", 16);
    /* more than 16 digits, even if they are leading zeros */
    ERR("00000000000000005\r\nhello\r\n0\r\n\r\n", 16);
    ERR("ffffffffffffffffffffffffff\r\n", 15);
}

static void test_bad_size(void **state)
{
    ERR("g\r\n", 0);
    ERR("5x\r\nhello\r\n0\r\n\r\n", 1);
    ERR("\r\n5\r\nhello\r\n0\r\n\r\n", 0);
    ERR("-5\r\nhello\r\n", 0);
    ERR("+5\r\nhello\r\n", 0);
    ERR("0x5\r\nhello\r\n", 1);
    ERR(" 5\r\nhello\r\n", 0);
    ERR(";x\r\n", 0);
    ERR("5\rhello\r\n", 2);
    ERR("5\r\r\nhello\r\n", 2);
    ERR("\0" "5\r\n", 0);
}

static void test_extensions(void **state)
{
    OK("5;name=value\r\nhello\r\n0\r\n\r\n", "hello", "");
    OK("5;a;b=\"q;uoted\"\r\nhello\r\n0;last\r\n\r\n", "hello", "");
    OK("5 ;a=b\r\nhello\r\n0\t \t; x = y\r\n\r\n", "hello", "");
    OK("5;\r\nhello\r\n0;\r\n\r\n", "hello", "");
    OK("5;\xff\t\x80\r\nhello\r\n0\r\n\r\n", "hello", "");
    /* whitespace only before ';' */
    ERR("5 \r\nhello\r\n0\r\n\r\n", 2);
    ERR("5 x\r\nhello\r\n0\r\n\r\n", 2);
    ERR("5 5\r\nhello\r\n0\r\n\r\n", 2);
    /* control bytes and bare CR inside an extension */
    ERR("5;a\x01\r\nhello\r\n0\r\n\r\n", 3);
    ERR("5;a\0\r\nhello\r\n0\r\n\r\n", 3);
    ERR("5;a\rb\r\nhello\r\n0\r\n\r\n", 4);
    ERR("0;a\x7f\r\n\r\n", 3);
}

static void test_extension_too_long(void **state)
{
    char in[5000];
    size_t n = 0;
    in[n++] = '5';
    in[n++] = ';';
    memset(in + n, 'x', 4096);
    n += 4096;
    memcpy(in + n, "\r\nhello\r\n0\r\n\r\n", 14);
    ok_n(in, n + 14, "hello", 5, "", 0);
    in[n] = 'x'; /* one more extension byte */
    err_n(in, n + 14, n);
}

static void test_data_crlf(void **state)
{
    ERR("5\r\nhelloX\r\n0\r\n\r\n", 8);
    ERR("5\r\nhello\rX\n0\r\n\r\n", 9);
    ERR("5\r\nhello\r\r\n0\r\n\r\n", 9);
    ERR("5\r\nhello0\r\n\r\n", 8);
    ERR("5\r\nhello world\r\n0\r\n\r\n", 8);
    ERR("3\r\nhello\r\n0\r\n\r\n", 6);
    ERR("5\r\nhello \r\n0\r\n\r\n", 8);
}

static void test_trailers(void **state)
{
    OK("5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum: 1234\r\n\r\n", "hello", "");
    OK("0\r\nA: b\r\n\r\nrest", "", "rest");
    OK("0\r\nA:\tb \xff\r\n\r\n", "", "");
    /* bare CR in a trailer line or at the end */
    ERR("0\r\nA: b\rc\r\n\r\n", 8);
    ERR("0\r\nA: b\r\n\rX", 10);
    ERR("0\r\n\rX", 4);
    ERR("0\r\nA: \x01\r\n\r\n", 6);
    ERR("0\r\n\0\r\n\r\n", 3);
    /* not finished yet */
    MORE("5\r\nhello\r\n0\r\nA: b\r\n", "hello");
    MORE("5\r\nhello\r\n0\r\n", "hello");
    MORE("5\r\nhel", "hel");
    MORE("5\r\nhello\r\n0\r\n\r", "hello");
}

static void test_trailer_too_long(void **state)
{
    char in[17000];
    size_t n = 0;
    memcpy(in, "0\r\n", 3);
    n = 3;
    for (int i = 0; i < 16384 / 64; i++) {
        memcpy(in + n, "X: ", 3);
        memset(in + n + 3, 'v', 59);
        memcpy(in + n + 62, "\r\n", 2);
        n += 64;
    }
    memcpy(in + n, "\r\n", 2);
    /* exactly 16384 trailer bytes: accepted (only decoded whole and byte by
     * byte, the full split matrix would take too long here) */
    struct http_chunked d;
    http_chunked_init(&d);
    size_t len = n + 2;
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, in, len);
    assert_int_equal(http_chunked_decode(&d, copy, &len), 0);
    assert_int_equal(len, 0);
    http_chunked_init(&d);
    ssize_t rc = HTTP_CHUNKED_MORE;
    for (size_t i = 0; i < n + 2; i++) {
        char c = in[i];
        len = 1;
        rc = http_chunked_decode(&d, &c, &len);
        assert_int_equal(len, 0);
        assert_int_equal(rc, i + 1 < n + 2 ? HTTP_CHUNKED_MORE : 0);
    }
    /* one byte more: refused */
    memcpy(in + n, "x\r\n\r\n", 5);
    len = n + 5;
    free(copy);
    copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, in, len);
    http_chunked_init(&d);
    assert_int_equal(http_chunked_decode(&d, copy, &len), HTTP_CHUNKED_ERROR);
    free(copy);
}

static void test_state_after_end(void **state)
{
    struct http_chunked d;
    http_chunked_init(&d);
    char buf[32];
    memcpy(buf, "2\r\nok\r\n0\r\n\r\nAB", 14);
    size_t len = 14;
    assert_int_equal(http_chunked_decode(&d, buf, &len), 2);
    assert_int_equal(len, 2);
    assert_memory_equal(buf, "okAB", 4);
    assert_int_equal(d.total, 2);
    /* later bytes are all leftover */
    memcpy(buf, "xyz", 3);
    len = 3;
    assert_int_equal(http_chunked_decode(&d, buf, &len), 3);
    assert_int_equal(len, 0);
    assert_memory_equal(buf, "xyz", 3);
    len = 0;
    assert_int_equal(http_chunked_decode(&d, buf, &len), 0);
    assert_int_equal(len, 0);

    /* an error is sticky */
    http_chunked_init(&d);
    memcpy(buf, "2\r\nokX", 6);
    len = 6;
    assert_int_equal(http_chunked_decode(&d, buf, &len), HTTP_CHUNKED_ERROR);
    memcpy(buf, "\r\n0\r\n\r\n", 7);
    len = 7;
    assert_int_equal(http_chunked_decode(&d, buf, &len), HTTP_CHUNKED_ERROR);

    /* empty input */
    http_chunked_init(&d);
    len = 0;
    assert_int_equal(http_chunked_decode(&d, buf, &len), HTTP_CHUNKED_MORE);
    assert_int_equal(len, 0);
    assert_int_equal(d.total, 0);
}

static void test_total(void **state)
{
    struct http_chunked d;
    http_chunked_init(&d);
    char buf[64];
    memcpy(buf, "3\r\nabc\r\n4\r\nde", 13);
    size_t len = 13;
    assert_int_equal(http_chunked_decode(&d, buf, &len), HTTP_CHUNKED_MORE);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "abcde", 5);
    assert_int_equal(d.total, 5);
    memcpy(buf, "fg\r\n0\r\n\r\n", 9);
    len = 9;
    assert_int_equal(http_chunked_decode(&d, buf, &len), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(buf, "fg", 2);
    assert_int_equal(d.total, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_leftover),
        cmocka_unit_test(test_bare_lf),
        cmocka_unit_test(test_hex_sizes),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_extension_too_long),
        cmocka_unit_test(test_data_crlf),
        cmocka_unit_test(test_trailers),
        cmocka_unit_test(test_trailer_too_long),
        cmocka_unit_test(test_state_after_end),
        cmocka_unit_test(test_total),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
