/* Tests for src/http/http_range.c: Range, ETag, conditional requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http/http_date.h"
#include "http/http_parse.h"
#include "http/http_range.h"

/* ---- ranges ------------------------------------------------------------- */

static void range_ok(const char *v, uint64_t size, uint64_t first, uint64_t last)
{
    uint64_t f = 12345, l = 12345;
    /* An exact-size copy: ASan sees a read past the value. */
    size_t n = strlen(v);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, v, n);
    enum http_range_result r = http_range_parse(copy, n, size, &f, &l);
    if (r != HTTP_RANGE_OK || f != first || l != last)
        print_error("\"%s\" size %llu: got %d %llu-%llu, want %llu-%llu\n", v,
                    (unsigned long long)size, r, (unsigned long long)f, (unsigned long long)l,
                    (unsigned long long)first, (unsigned long long)last);
    free(copy);
    assert_int_equal(r, HTTP_RANGE_OK);
    assert_int_equal(f, first);
    assert_int_equal(l, last);
}

static void range_is(const char *v, uint64_t size, enum http_range_result want)
{
    uint64_t f = 12345, l = 12345;
    size_t n = strlen(v);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, v, n);
    enum http_range_result r = http_range_parse(copy, n, size, &f, &l);
    free(copy);
    if (r != want)
        print_error("\"%s\" size %llu: got %d, want %d\n", v, (unsigned long long)size, r, want);
    assert_int_equal(r, want);
}

static void test_range_forms(void **state)
{
    range_ok("bytes=0-0", 100, 0, 0);
    range_ok("bytes=0-99", 100, 0, 99);
    range_ok("bytes=10-19", 100, 10, 19);
    range_ok("bytes=99-99", 100, 99, 99);
    range_ok("bytes=10-", 100, 10, 99);
    range_ok("bytes=0-", 100, 0, 99);
    range_ok("bytes=99-", 100, 99, 99);
    range_ok("bytes=-1", 100, 99, 99);
    range_ok("bytes=-10", 100, 90, 99);
    range_ok("bytes=-100", 100, 0, 99);
    range_ok("bytes=-500", 100, 0, 99); /* suffix longer than the file: all of it */
    range_ok("bytes=0-0", 1, 0, 0);
    range_ok("bytes=-1", 1, 0, 0);
    range_ok("bytes=007-008", 100, 7, 8);
}

static void test_range_clamp_and_unsatisfiable(void **state)
{
    range_ok("bytes=50-1000", 100, 50, 99);
    range_ok("bytes=0-18446744073709551615", 100, 0, 99);
    range_ok("bytes=0-18446744073709551614", UINT64_MAX, 0, UINT64_MAX - 1);
    range_ok("bytes=-18446744073709551615", 100, 0, 99);
    range_is("bytes=100-", 100, HTTP_RANGE_UNSATISFIABLE);
    range_is("bytes=100-200", 100, HTTP_RANGE_UNSATISFIABLE);
    range_is("bytes=1000-2000", 100, HTTP_RANGE_UNSATISFIABLE);
    range_is("bytes=-0", 100, HTTP_RANGE_UNSATISFIABLE);
    range_is("bytes=-0", 0, HTTP_RANGE_UNSATISFIABLE);
    /* An empty file: nothing is satisfiable. */
    range_is("bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE);
    range_is("bytes=0-0", 0, HTTP_RANGE_UNSATISFIABLE);
    range_is("bytes=-5", 0, HTTP_RANGE_UNSATISFIABLE);
    range_is("bytes=18446744073709551615-", 100, HTTP_RANGE_UNSATISFIABLE);
}

static void test_range_whitespace_and_case(void **state)
{
    range_ok(" bytes=1-2", 100, 1, 2);
    range_ok("bytes=1-2 ", 100, 1, 2);
    range_ok("bytes= 1-2\t", 100, 1, 2);
    range_ok("\tbytes = 1-2", 100, 1, 2);
    range_ok("BYTES=1-2", 100, 1, 2);
    range_ok("Bytes=-3", 100, 97, 99);
    /* Empty list elements are allowed by the list syntax. */
    range_ok("bytes=,1-2", 100, 1, 2);
    range_ok("bytes=1-2, ,", 100, 1, 2);
    /* Not inside a range-spec. */
    range_is("bytes=1 -2", 100, HTTP_RANGE_NONE);
    range_is("bytes=1- 2", 100, HTTP_RANGE_NONE);
    range_is("bytes=- 2", 100, HTTP_RANGE_NONE);
}

static void test_range_invalid(void **state)
{
    const char *bad[] = {
        "",
        "bytes",
        "bytes=",
        "bytes= ",
        "bytes=,",
        "bytes=-",
        "bytes=--1",
        "bytes=1",
        "bytes=a-b",
        "bytes=1-a",
        "bytes=1-2x",
        "bytes=5-4",   /* last before first */
        "bytes=+1-2",
        "bytes=0x10-",
        "bytes=1.5-2",
        "bytes:1-2",
        "byte=1-2",
        "bytesx=1-2",
        "items=1-2",
        "bytes=1-2-3",
        "=1-2",
        /* Several ranges are served whole. */
        "bytes=0-1,2-3",
        "bytes=0-1, 5-",
        "bytes=-1,-2",
        "bytes=0-1,0-1",
        /* Overflow. */
        "bytes=18446744073709551616-",
        "bytes=0-18446744073709551616",
        "bytes=-18446744073709551616",
        "bytes=99999999999999999999999999-",
        "bytes=1-99999999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        range_is(bad[i], 100, HTTP_RANGE_NONE);
    uint64_t f, l;
    assert_int_equal(http_range_parse(NULL, 0, 100, &f, &l), HTTP_RANGE_NONE);
    /* The length bounds the value. */
    assert_int_equal(http_range_parse("bytes=1-2,3-4", 9, 100, &f, &l), HTTP_RANGE_OK);
    assert_int_equal(f, 1);
    assert_int_equal(l, 2);
}

/* ---- ETag --------------------------------------------------------------- */

static void test_etag_format(void **state)
{
    char out[HTTP_ETAG_MAX];
    size_t n = http_etag_make(out, 0x5f5e1000, 0x1234, 0xabc);
    assert_string_equal(out, "\"5f5e1000-1234-abc\"");
    assert_int_equal(n, strlen(out));

    n = http_etag_make(out, 1700000000, 0, 0);
    assert_string_equal(out, "\"6553f100-0-0\"");
    assert_int_equal(n, strlen(out));

    n = http_etag_make(out, (time_t)0x7fffffffffffffffLL, 999999999L, UINT64_MAX);
    assert_string_equal(out, "\"7fffffffffffffff-3b9ac9ff-ffffffffffffffff\"");
    assert_int_equal(n, strlen(out));
    assert_true(n < HTTP_ETAG_MAX);

    /* Different times or sizes give different tags. */
    char a[HTTP_ETAG_MAX], b[HTTP_ETAG_MAX];
    http_etag_make(a, 100, 1, 10);
    http_etag_make(b, 100, 2, 10);
    assert_string_not_equal(a, b);
    http_etag_make(b, 100, 1, 11);
    assert_string_not_equal(a, b);
}

/* ---- conditionals ------------------------------------------------------- */

static struct http_request_head g_h;
static char g_req[4096];

/* Parses "GET / HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n". */
static const struct http_request_head *head_m(const char *method, const char *extra)
{
    int n = snprintf(g_req, sizeof g_req, "%s /f.txt HTTP/1.1\r\nHost: x\r\n%s\r\n", method, extra);
    assert_true(n > 0 && (size_t)n < sizeof g_req);
    long r = http_parse_request(g_req, (size_t)n, sizeof g_req, &g_h);
    if (r != n)
        print_error("parse of \"%s\": %ld\n", g_req, r);
    assert_int_equal(r, n);
    return &g_h;
}

static const struct http_request_head *head(const char *extra)
{
    return head_m("GET", extra);
}

#define ETAG "\"5f5e1000-0-c\""
#define MTIME ((time_t)784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */
#define DATE_EQ "Sun, 06 Nov 1994 08:49:37 GMT"
#define DATE_BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define DATE_AFTER "Sun, 06 Nov 1994 08:49:38 GMT"

static enum http_cond_result cond(const char *extra)
{
    return http_conditional(head(extra), ETAG, strlen(ETAG), MTIME);
}

static enum http_cond_result cond_m(const char *method, const char *extra)
{
    return http_conditional(head_m(method, extra), ETAG, strlen(ETAG), MTIME);
}

static void test_cond_none(void **state)
{
    assert_int_equal(cond(""), HTTP_COND_PROCEED);
    assert_int_equal(cond("Accept: */*\r\n"), HTTP_COND_PROCEED);
}

static void test_cond_if_none_match(void **state)
{
    assert_int_equal(cond("If-None-Match: " ETAG "\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("if-none-match: " ETAG "\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-None-Match: W/" ETAG "\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-None-Match: *\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-None-Match: \"a\", " ETAG ", \"b\"\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-None-Match: \"a\",W/" ETAG "\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-None-Match: \"a\"\r\nIf-None-Match: " ETAG "\r\n"),
                     HTTP_COND_NOT_MODIFIED); /* a list over two lines */
    assert_int_equal(cond("If-None-Match: bogus, " ETAG "\r\n"), HTTP_COND_NOT_MODIFIED);

    assert_int_equal(cond("If-None-Match: \"other\"\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-None-Match: \"a\", \"b\", W/\"c\"\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-None-Match: \"5f5e1000-0-C\"\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-None-Match: 5f5e1000-0-c\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-None-Match: \"5f5e1000-0-c\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-None-Match: w/" ETAG "\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-None-Match: **\r\n"), HTTP_COND_PROCEED);

    /* A HEAD counts as a GET; other methods get 412. */
    assert_int_equal(cond_m("HEAD", "If-None-Match: " ETAG "\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond_m("PUT", "If-None-Match: *\r\n"), HTTP_COND_PRECONDITION_FAILED);
    assert_int_equal(cond_m("DELETE", "If-None-Match: \"x\"\r\n"), HTTP_COND_PROCEED);
}

static void test_cond_if_none_match_beats_ims(void **state)
{
    /* If-None-Match present: If-Modified-Since is ignored either way. */
    assert_int_equal(cond("If-None-Match: \"other\"\r\nIf-Modified-Since: " DATE_AFTER "\r\n"),
                     HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Modified-Since: " DATE_AFTER "\r\nIf-None-Match: \"other\"\r\n"),
                     HTTP_COND_PROCEED);
    assert_int_equal(cond("If-None-Match: " ETAG "\r\nIf-Modified-Since: " DATE_BEFORE "\r\n"),
                     HTTP_COND_NOT_MODIFIED);
}

static void test_cond_if_modified_since(void **state)
{
    assert_int_equal(cond("If-Modified-Since: " DATE_BEFORE "\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Modified-Since: " DATE_EQ "\r\n"), HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-Modified-Since: " DATE_AFTER "\r\n"), HTTP_COND_NOT_MODIFIED);
    /* Obsolete forms parse too. */
    assert_int_equal(cond("If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n"),
                     HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n"),
                     HTTP_COND_NOT_MODIFIED);
    /* An unparseable date is ignored. */
    assert_int_equal(cond("If-Modified-Since: yesterday\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 XYZ\r\n"),
                     HTTP_COND_PROCEED);
    /* Only for GET and HEAD. */
    assert_int_equal(cond_m("HEAD", "If-Modified-Since: " DATE_EQ "\r\n"),
                     HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond_m("POST", "If-Modified-Since: " DATE_EQ "\r\n"), HTTP_COND_PROCEED);
}

static void test_cond_if_match(void **state)
{
    assert_int_equal(cond("If-Match: " ETAG "\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Match: *\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Match: \"a\", " ETAG "\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Match: \"other\"\r\n"), HTTP_COND_PRECONDITION_FAILED);
    assert_int_equal(cond("If-Match: \"a\", \"b\"\r\n"), HTTP_COND_PRECONDITION_FAILED);
    /* Strong comparison: a weak tag never matches. */
    assert_int_equal(cond("If-Match: W/" ETAG "\r\n"), HTTP_COND_PRECONDITION_FAILED);
    assert_int_equal(cond("If-Match: garbage\r\n"), HTTP_COND_PRECONDITION_FAILED);
    /* If-Match wins over If-None-Match and If-Modified-Since. */
    assert_int_equal(cond("If-Match: \"other\"\r\nIf-None-Match: " ETAG "\r\n"),
                     HTTP_COND_PRECONDITION_FAILED);
    assert_int_equal(cond("If-Match: " ETAG "\r\nIf-None-Match: " ETAG "\r\n"),
                     HTTP_COND_NOT_MODIFIED);
    assert_int_equal(cond("If-Match: " ETAG "\r\nIf-Modified-Since: " DATE_EQ "\r\n"),
                     HTTP_COND_NOT_MODIFIED);
    /* A weak ETag of ours never passes If-Match. */
    assert_int_equal(http_conditional(head("If-Match: W/\"x\"\r\n"), "W/\"x\"", 5, MTIME),
                     HTTP_COND_PRECONDITION_FAILED);
    assert_int_equal(http_conditional(head("If-None-Match: \"x\"\r\n"), "W/\"x\"", 5, MTIME),
                     HTTP_COND_NOT_MODIFIED);
}

static void test_cond_if_unmodified_since(void **state)
{
    assert_int_equal(cond("If-Unmodified-Since: " DATE_EQ "\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Unmodified-Since: " DATE_AFTER "\r\n"), HTTP_COND_PROCEED);
    assert_int_equal(cond("If-Unmodified-Since: " DATE_BEFORE "\r\n"),
                     HTTP_COND_PRECONDITION_FAILED);
    assert_int_equal(cond("If-Unmodified-Since: not a date\r\n"), HTTP_COND_PROCEED);
    /* Ignored when If-Match is present. */
    assert_int_equal(cond("If-Match: " ETAG "\r\nIf-Unmodified-Since: " DATE_BEFORE "\r\n"),
                     HTTP_COND_PROCEED);
    /* 412 wins over 304. */
    assert_int_equal(cond("If-Unmodified-Since: " DATE_BEFORE "\r\nIf-None-Match: *\r\n"),
                     HTTP_COND_PRECONDITION_FAILED);
}

/* ---- If-Range ----------------------------------------------------------- */

static int if_range(const char *extra)
{
    return http_if_range_applies(head(extra), ETAG, strlen(ETAG), MTIME);
}

static void test_if_range(void **state)
{
    assert_int_equal(if_range(""), 1);
    assert_int_equal(if_range("Range: bytes=0-1\r\n"), 1);
    assert_int_equal(if_range("If-Range: " ETAG "\r\n"), 1);
    assert_int_equal(if_range("if-range: " ETAG "\r\n"), 1);
    assert_int_equal(if_range("If-Range: \"other\"\r\n"), 0);
    assert_int_equal(if_range("If-Range: W/" ETAG "\r\n"), 0); /* weak: never */
    assert_int_equal(if_range("If-Range: " ETAG ", \"x\"\r\n"), 0); /* not a list */
    assert_int_equal(if_range("If-Range: \"5f5e1000-0-c\r\n"), 0);
    assert_int_equal(if_range("If-Range: " DATE_EQ "\r\n"), 1);
    assert_int_equal(if_range("If-Range: " DATE_BEFORE "\r\n"), 0);
    assert_int_equal(if_range("If-Range: " DATE_AFTER "\r\n"), 0);
    assert_int_equal(if_range("If-Range: garbage\r\n"), 0);
    assert_int_equal(if_range("If-Range: *\r\n"), 0);
    /* A date on a Wednesday is not taken for a weak ETag. */
    assert_int_equal(http_if_range_applies(head("If-Range: Wed, 09 Nov 1994 08:49:37 GMT\r\n"),
                                           ETAG, strlen(ETAG), (time_t)784370977),
                     1);
    assert_int_equal(http_if_range_applies(head("If-Range: Wed, 09 Nov 1994 08:49:37 GMT\r\n"),
                                           ETAG, strlen(ETAG), MTIME),
                     0);
    /* Our own ETag weak: a strong comparison fails. */
    assert_int_equal(http_if_range_applies(head("If-Range: W/\"x\"\r\n"), "W/\"x\"", 5, MTIME), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_forms),
        cmocka_unit_test(test_range_clamp_and_unsatisfiable),
        cmocka_unit_test(test_range_whitespace_and_case),
        cmocka_unit_test(test_range_invalid),
        cmocka_unit_test(test_etag_format),
        cmocka_unit_test(test_cond_none),
        cmocka_unit_test(test_cond_if_none_match),
        cmocka_unit_test(test_cond_if_none_match_beats_ims),
        cmocka_unit_test(test_cond_if_modified_since),
        cmocka_unit_test(test_cond_if_match),
        cmocka_unit_test(test_cond_if_unmodified_since),
        cmocka_unit_test(test_if_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
