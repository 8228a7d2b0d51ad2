/* Tests for src/http/accept_encoding.c: the Accept-Encoding parser.
 *
 * Every case is read whole, then split in two at every position (and a
 * byte at a time): each way must give the same q-values. Each piece sits
 * right before a PROT_NONE page, so reading one byte past it crashes.
 * Several fields make one list; the effective q of a coding follows its own
 * element, else "*", else identity-only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/accept_encoding.h"

#include "guard_page.h"

#define U ACCEPT_ENCODING_UNSET

struct expect {
    const char *value;
    int16_t q[HTTP_CODING_COUNT]; /* gzip, br, identity, * as the parser records them */
};

/* Feeds s[0..len) placed right before the guard page. */
static void feed_guarded(struct accept_encoding *ae, const char *s, size_t len)
{
    assert_true(len <= g_cap);
    char *b = g_mem + g_cap - len;
    memcpy(b, s, len);
    accept_encoding_feed(ae, b, len);
}

static void assert_q(const struct accept_encoding *ae, const int16_t *q, const char *value,
                     size_t split)
{
    for (int c = 0; c < HTTP_CODING_COUNT; c++) {
        if (ae->q[c] != q[c])
            print_error("\"%s\" split at %zu: coding %d has q %d, want %d\n", value, split, c,
                        ae->q[c], q[c]);
        assert_int_equal(ae->q[c], q[c]);
    }
}

/* Whole, at every split position in two, and a byte at a time. */
static void check_case(const struct expect *e)
{
    size_t n = strlen(e->value);
    struct accept_encoding ae;
    accept_encoding_init(&ae);
    feed_guarded(&ae, e->value, n);
    accept_encoding_end_field(&ae);
    assert_q(&ae, e->q, e->value, n);
    for (size_t i = 0; i <= n; i++) {
        accept_encoding_init(&ae);
        feed_guarded(&ae, e->value, i);
        feed_guarded(&ae, e->value + i, n - i);
        accept_encoding_end_field(&ae);
        assert_q(&ae, e->q, e->value, i);
    }
    accept_encoding_init(&ae);
    for (size_t i = 0; i < n; i++)
        feed_guarded(&ae, e->value + i, 1);
    accept_encoding_end_field(&ae);
    assert_q(&ae, e->q, e->value, 1);
}

static const struct expect cases[] = {
    /*                                  gzip   br  ident    * */
    {"", {U, U, U, U}},
    {"gzip", {1000, U, U, U}},
    {"GZip", {1000, U, U, U}},
    {"x-gzip", {1000, U, U, U}},
    {"gzip, deflate, br, zstd", {1000, 1000, U, U}},
    {"gzip;q=0", {0, U, U, U}},
    {"gzip; q=0", {0, U, U, U}},
    {"gzip ;Q=0.000", {0, U, U, U}},
    {"gzip;q=0.5, br;q=0.25", {500, 250, U, U}},
    {"gzip;q=0.001", {1, U, U, U}},
    {"gzip;q=0.12", {120, U, U, U}},
    {"gzip;q=1", {1000, U, U, U}},
    {"gzip;q=1.", {1000, U, U, U}},
    {"gzip;q=1.000", {1000, U, U, U}},
    {"gzip;q=0.", {0, U, U, U}},
    {"*", {U, U, U, 1000}},
    {"*;q=0", {U, U, U, 0}},
    {"identity;q=0, *;q=0", {U, U, 0, 0}},
    {"br;q=1.0, gzip;q=0.8, *;q=0.1", {800, 1000, U, 100}},
    /* Broken elements are ignored as a whole; the others count. */
    {"gzip;q=2, br", {U, 1000, U, U}},
    {"gzip;q=1.5", {U, U, U, U}},
    {"gzip;q=1.001", {U, U, U, U}},
    {"gzip;q=0.5000", {U, U, U, U}},
    {"gzip;q=-1", {U, U, U, U}},
    {"gzip;q=", {U, U, U, U}},
    {"gzip;q", {U, U, U, U}},
    {"gzip;q=\"1\"", {U, U, U, U}},
    {"gzip;q=0.5x", {U, U, U, U}},
    {"gzip;q =0.5, br", {U, 1000, U, U}},
    {"gzip deflate, br", {U, 1000, U, U}},
    {"gzip\x01, br", {U, 1000, U, U}},
    {"\"gzip\", br", {U, 1000, U, U}},
    {"gzip;;q=0.5;", {500, U, U, U}},
    {"gzip;level=9;q=0", {0, U, U, U}},
    {"gzip;x=\"a, b;q=1\";q=0.3", {300, U, U, U}},
    {"gzip;x=\"a\\\"b\", br", {1000, 1000, U, U}},
    {"gzip;x=\"open, br", {U, U, U, U}},
    /* Empty elements, OWS. */
    {" ,, gzip ,\t, br\t", {1000, 1000, U, U}},
    /* The first element naming a coding counts. */
    {"gzip;q=0, gzip", {0, U, U, U}},
    {"gzip, x-gzip;q=0", {1000, U, U, U}},
    {"gzip;q=9, gzip;q=0.2", {200, U, U, U}},
    /* Names that only start like ours. */
    {"gzipx, brotli, identityx, **", {U, U, U, U}},
    {"identity", {U, U, 1000, U}},
};

static void test_cases(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(&cases[i]);
}

/* v[0..n) as one field. */
static void read_whole(const char *v, size_t n, struct accept_encoding *ae)
{
    accept_encoding_init(ae);
    accept_encoding_feed(ae, v, n);
    accept_encoding_end_field(ae);
}

/* Every prefix of a long value, ended there: never a read past it, and a
 * coding's q is unset, the whole value's, or what a cut element says. */
static void test_prefixes(void **state)
{
    static const char v[] = "br;q=1.0, gzip;x=\"a,b\";q=0.8, identity;q=0.5, *;q=0";
    size_t n = sizeof(v) - 1;
    struct accept_encoding whole;
    read_whole(v, n, &whole);
    for (size_t i = 0; i <= n; i++) {
        struct accept_encoding ae;
        accept_encoding_init(&ae);
        feed_guarded(&ae, v, i);
        accept_encoding_end_field(&ae);
        for (int c = 0; c < HTTP_CODING_COUNT; c++)
            assert_true(ae.q[c] == U || ae.q[c] == whole.q[c] || ae.q[c] == 0 ||
                        ae.q[c] == 1000); /* "q=0" cut from "q=0.8", "gzip" from "gzip;q=..." */
    }
}

/* One list in several fields reads as the fields joined with commas, at
 * every comma of the value. */
static void test_fields(void **state)
{
    static const char v[] = "gzip;q=0.5, br;q=0, identity, *;q=0.1";
    size_t n = sizeof(v) - 1;
    struct accept_encoding whole;
    read_whole(v, n, &whole);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != ',')
            continue;
        struct accept_encoding ae;
        accept_encoding_init(&ae);
        feed_guarded(&ae, v, i);
        accept_encoding_end_field(&ae);
        feed_guarded(&ae, v + i + 1, n - i - 1);
        accept_encoding_end_field(&ae);
        assert_memory_equal(ae.q, whole.q, sizeof(whole.q));
    }
    /* A field that ends inside a quoted-string does not swallow the next. */
    struct accept_encoding ae;
    accept_encoding_init(&ae);
    accept_encoding_feed(&ae, "gzip;x=\"open", 12);
    accept_encoding_end_field(&ae);
    accept_encoding_feed(&ae, "br", 2);
    accept_encoding_end_field(&ae);
    assert_int_equal(ae.q[HTTP_CODING_GZIP], U);
    assert_int_equal(ae.q[HTTP_CODING_BR], 1000);
}

static unsigned q_of(const char *value, enum http_coding c)
{
    struct accept_encoding ae;
    accept_encoding_init(&ae);
    if (value) {
        accept_encoding_feed(&ae, value, strlen(value));
        accept_encoding_end_field(&ae);
    }
    return accept_encoding_q(&ae, c);
}

static void test_effective_q(void **state)
{
    /* No field: identity only. */
    assert_int_equal(q_of(NULL, HTTP_CODING_GZIP), 0);
    assert_int_equal(q_of(NULL, HTTP_CODING_IDENTITY), 1000);
    assert_int_equal(q_of("", HTTP_CODING_GZIP), 0);
    assert_int_equal(q_of("gzip", HTTP_CODING_GZIP), 1000);
    assert_int_equal(q_of("gzip", HTTP_CODING_BR), 0);
    assert_int_equal(q_of("gzip;q=0", HTTP_CODING_GZIP), 0);
    /* "*" stands for every coding not named. */
    assert_int_equal(q_of("*", HTTP_CODING_GZIP), 1000);
    assert_int_equal(q_of("*;q=0.4", HTTP_CODING_BR), 400);
    assert_int_equal(q_of("*, gzip;q=0", HTTP_CODING_GZIP), 0);
    assert_int_equal(q_of("*;q=0, gzip", HTTP_CODING_GZIP), 1000);
    assert_int_equal(q_of("*;q=0", HTTP_CODING_IDENTITY), 0);
    assert_int_equal(q_of("*;q=0, identity", HTTP_CODING_IDENTITY), 1000);
    assert_int_equal(q_of("identity;q=0", HTTP_CODING_IDENTITY), 0);
    assert_true(accept_encoding_takes(&(struct accept_encoding){
                                          .q = {U, U, U, 1}},
                                      HTTP_CODING_GZIP));
}

/* accept_encoding_read: every Accept-Encoding field of a parsed head. */
static void test_read_head(void **state)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br;q=0\r\n"
                              "X: y\r\naccept-encoding:  gzip , br\r\n\r\n";
    struct http_request_head h;
    assert_true(http_parse_request(req, sizeof(req) - 1, 4096, &h) > 0);
    struct accept_encoding ae;
    accept_encoding_read(&h, &ae);
    assert_int_equal(accept_encoding_q(&ae, HTTP_CODING_GZIP), 1000);
    assert_int_equal(accept_encoding_q(&ae, HTTP_CODING_BR), 0); /* the first says 0 */
    static const char none[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_true(http_parse_request(none, sizeof(none) - 1, 4096, &h) > 0);
    accept_encoding_read(&h, &ae);
    assert_false(accept_encoding_takes(&ae, HTTP_CODING_GZIP));
    assert_true(accept_encoding_takes(&ae, HTTP_CODING_IDENTITY));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_effective_q),
        cmocka_unit_test(test_read_head),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
