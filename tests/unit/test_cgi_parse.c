/* Tests for src/http/cgi_parse.c: the CGI response header parser.
 *
 * The parser re-reads the block from its start on every call, so a split
 * of the input is just a shorter prefix. Every input is parsed as each of
 * its prefixes, from 0 bytes to all of them, placed so that it ends right
 * before a PROT_NONE page: reading one byte too far crashes. A prefix of a
 * valid block is INCOMPLETE; an error shows up at some byte and stays from
 * there on. */
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

#include "http/cgi_parse.h"

#define MAX 8192

#include "parse_test.h"

static struct cgi_response g_r; /* result of the last parse */


static long parse_prefix(const char *s, size_t i, size_t max)
{
    return cgi_parse_headers(place(s, i), i, max, &g_r);
}

/* s[0..n) starts with a valid block of head_len bytes (the rest is body). */
static void ok_n(const char *s, size_t n, size_t max, size_t head_len)
{
    for (size_t i = 0; i <= n; i++) {
        long r = parse_prefix(s, i, max);
        long want = i < head_len ? CGI_PARSE_INCOMPLETE : (long)head_len;
        if (r != want)
            print_error("prefix %zu of \"%.*s\": want %ld, got %ld\n", i, (int)n, s, want, r);
        assert_int_equal(r, want);
    }
}

/* A whole block, no body. */
static void ok(const char *s)
{
    ok_n(s, strlen(s), MAX, strlen(s));
}

/* A block followed by a body starting with body_start. */
static void ok_body(const char *s, const char *body_start)
{
    ok_n(s, strlen(s), MAX, at(s, body_start) - strlen(body_start));
}

/* s[0..n) is refused: prefixes shorter than early are INCOMPLETE, every
 * longer one is an error. */
static void err_n(const char *s, size_t n, size_t max, size_t early)
{
    assert_true(early <= n);
    for (size_t i = 0; i <= n; i++) {
        long r = parse_prefix(s, i, max);
        long want = i < early ? CGI_PARSE_INCOMPLETE : CGI_PARSE_ERROR;
        if (r != want)
            print_error("prefix %zu of \"%.*s\": want %ld, got %ld\n", i, (int)n, s, want, r);
        assert_int_equal(r, want);
    }
}

/* Error visible once the prefix reaches the end of sub. */
static void err_at(const char *s, const char *sub)
{
    err_n(s, strlen(s), MAX, at(s, sub));
}

/* Error known only with the whole block. */
static void err_end(const char *s)
{
    err_n(s, strlen(s), MAX, strlen(s));
}

/* For literals holding a NUL. */
#define ERR_LIT(lit, early) err_n((lit), sizeof(lit) - 1, MAX, (early))

static void assert_header(size_t i, const char *name, const char *value)
{
    assert_true(i < g_r.num_headers);
    assert_str(g_r.headers[i].name, name);
    assert_str(g_r.headers[i].value, value);
}

/* ---- responses ---- */

static void test_document(void **state)
{
    ok_body("Content-Type: text/html; charset=utf-8\r\n\r\n<html>hi</html>", "<html>");
    assert_int_equal(g_r.status, 0);
    assert_int_equal(g_r.reason.len, 0);
    assert_str(g_r.content_type, "text/html; charset=utf-8");
    assert_int_equal(g_r.location.len, 0);
    assert_int_equal(g_r.content_length, -1);
    assert_int_equal(g_r.num_headers, 0);
    /* no body at all */
    ok("Content-type: text/plain\n\n");
    assert_str(g_r.content_type, "text/plain");
    /* the body is not looked at, whatever it holds */
    static const char nul_body[] = "Content-Type: a/b\n\n\0\r\rX Y\n \n";
    ok_n(nul_body, sizeof(nul_body) - 1, MAX, 19);
    assert_str(g_r.content_type, "a/b");
}

static void test_status(void **state)
{
    ok("Status: 418 I'm a teapot\r\nContent-Type: text/plain\r\n\r\n");
    assert_int_equal(g_r.status, 418);
    assert_str(g_r.reason, "I'm a teapot");
    assert_str(g_r.content_type, "text/plain");
    /* Status alone is a response */
    ok("Status: 404 Not Found\n\n");
    assert_int_equal(g_r.status, 404);
    assert_str(g_r.reason, "Not Found");
    assert_int_equal(g_r.content_type.len, 0);
    assert_int_equal(g_r.location.len, 0);
    /* reason may be empty */
    ok("Status: 418\n\n");
    assert_int_equal(g_r.status, 418);
    assert_int_equal(g_r.reason.len, 0);
    ok("Status:204 \t\r\n\r\n");
    assert_int_equal(g_r.status, 204);
    assert_int_equal(g_r.reason.len, 0);
    /* extra spaces before the reason are not part of it; inside it they are */
    ok("Status: 503   Service  Unavailable  \n\n");
    assert_int_equal(g_r.status, 503);
    assert_str(g_r.reason, "Service  Unavailable");
    /* the range ends (1xx is not a final status: refused, below) */
    ok("status: 200 OK\n\n");
    assert_int_equal(g_r.status, 200);
    ok("STATUS: 599\n\n");
    assert_int_equal(g_r.status, 599);
    /* repeated: the last one wins */
    ok("Status: 200 OK\nStatus: 201 Created\nContent-Type: a/b\n\n");
    assert_int_equal(g_r.status, 201);
    assert_str(g_r.reason, "Created");
    /* never passed as a header */
    assert_int_equal(g_r.num_headers, 0);
}

static void test_location(void **state)
{
    /* local redirect: a path, no body */
    ok("Location: /hello.txt\n\n");
    assert_str(g_r.location, "/hello.txt");
    assert_int_equal(g_r.status, 0);
    assert_int_equal(g_r.content_type.len, 0);
    ok("Location: /search?q=a%20b\r\n\r\n");
    assert_str(g_r.location, "/search?q=a%20b");
    /* client redirect: an absolute URI */
    ok("Location: http://example.test/x\r\n\r\n");
    assert_str(g_r.location, "http://example.test/x");
    ok_body("Status: 301 Moved\r\nLocation: https://example.test/a?b\r\nContent-Type: text/html\r\n"
            "\r\n<a href=...>moved</a>",
            "<a");
    assert_int_equal(g_r.status, 301);
    assert_str(g_r.reason, "Moved");
    assert_str(g_r.location, "https://example.test/a?b");
    assert_str(g_r.content_type, "text/html");
    assert_int_equal(g_r.num_headers, 0);
    /* repeated: the last one wins */
    ok("Location: /a\nlocation: /b\n\n");
    assert_str(g_r.location, "/b");
}

static void test_content_length(void **state)
{
    ok_body("Content-Type: application/octet-stream\r\nContent-Length: 12\r\n\r\nhello world\n",
            "hello");
    assert_int_equal(g_r.content_length, 12);
    ok("Content-Type: a/b\nContent-Length: 0\n\n");
    assert_int_equal(g_r.content_length, 0);
    ok("Content-Type: a/b\nContent-Length: 007\n\n");
    assert_int_equal(g_r.content_length, 7);
    /* repeated with the same value */
    ok("content-length: 5\nContent-Type: a/b\nCONTENT-LENGTH:  5 \n\n");
    assert_int_equal(g_r.content_length, 5);
    /* the largest accepted value */
    ok("Content-Type: a/b\nContent-Length: 4611686018427387904\n\n");
    assert_int_equal(g_r.content_length, INT64_C(4611686018427387904));
    /* Content-Length alone does not make a response */
    err_end("Content-Length: 5\n\n");
}

static void test_extra_headers(void **state)
{
    ok("X-Custom: 1\r\n"
       "Set-Cookie: a=b; Path=/\r\n"
       "Content-Type: text/plain\r\n"
       "Cache-Control:no-store\r\n"
       "set-cookie: c=d\r\n"
       "X-Empty:\r\n"
       "X-Trim: \t spaced  value \t\r\n"
       "WWW-Authenticate: Basic realm=\"x\"\r\n"
       "X-Obs: caf\xc3\xa9\r\n"
       "\r\n");
    assert_int_equal(g_r.num_headers, 8);
    assert_header(0, "X-Custom", "1");
    assert_header(1, "Set-Cookie", "a=b; Path=/");
    assert_header(2, "Cache-Control", "no-store");
    assert_header(3, "set-cookie", "c=d");
    assert_header(4, "X-Empty", "");
    assert_header(5, "X-Trim", "spaced  value");
    assert_header(6, "WWW-Authenticate", "Basic realm=\"x\"");
    assert_header(7, "X-Obs", "caf\xc3\xa9");
    assert_str(g_r.content_type, "text/plain");
    /* every tchar is allowed in a name */
    ok("!#$%&'*+-.^_`|~0aZ: x\nStatus: 200\n\n");
    assert_header(0, "!#$%&'*+-.^_`|~0aZ", "x");
}

static void test_dropped_headers(void **state)
{
    ok("Connection: close\n"
       "Transfer-Encoding: chunked\n"
       "Keep-Alive: timeout=5\n"
       "Server: evil/1.0\n"
       "Date: Thu, 01 Jan 1970 00:00:00 GMT\n"
       "X-Kept: yes\n"
       "CONNECTION: keep-alive\n"
       "transfer-encoding: gzip\n"
       "keep-alive: x\n"
       "SERVER: y\n"
       "date: z\n"
       "Content-Type: text/plain\n"
       "Content-Length: 3\n"
       "Status: 200 OK\n"
       "Location: /x\n"
       "\n");
    assert_int_equal(g_r.num_headers, 1);
    assert_header(0, "X-Kept", "yes");
    /* names that only start like a dropped one are kept */
    ok("Dates: 1\nServer-Timing: db;dur=5\nConnections: 2\nContent-Type: a/b\n\n");
    assert_int_equal(g_r.num_headers, 3);
    assert_header(0, "Dates", "1");
    assert_header(1, "Server-Timing", "db;dur=5");
    assert_header(2, "Connections", "2");
}

static void test_line_endings(void **state)
{
    ok("Content-Type: a/b\r\nX-A: 1\r\n\r\n");
    assert_header(0, "X-A", "1");
    ok("Content-Type: a/b\nX-A: 1\n\n");
    assert_header(0, "X-A", "1");
    /* mixed */
    ok("Content-Type: a/b\r\nX-A: 1\nX-B: 2\r\n\n");
    assert_int_equal(g_r.num_headers, 2);
    assert_header(1, "X-B", "2");
    ok("Content-Type: a/b\nX-A: 1\r\n\r\n");
    /* the returned length counts the final empty line in both forms */
    ok_body("Status: 200\r\n\r\nbody", "body");
    ok_body("Status: 200\n\nbody", "body");
    ok_body("Status: 200\n\r\n\r\nbody", "\r\nbody");
}

/* Splitting the input anywhere gives INCOMPLETE, then the same answer. */
static void test_every_split(void **state)
{
    static const char *const blocks[] = {
        "Status: 418 I'm a teapot\r\nContent-Type: text/plain\r\nX-A: 1\r\n\r\n",
        "Location: /hello.txt\n\n",
        "Content-Type: text/html\nContent-Length: 5\nSet-Cookie: a=b\n\nhello",
    };
    for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
        const char *s = blocks[b];
        size_t n = strlen(s);
        long full = parse_prefix(s, n, MAX);
        assert_true(full > 0);
        struct cgi_response want = g_r;
        for (size_t k = 0; k <= n; k++) {
            /* the first read ends at k: INCOMPLETE unless the block is in */
            long r = parse_prefix(s, k, MAX);
            assert_int_equal(r, (long)k < full ? CGI_PARSE_INCOMPLETE : full);
            /* the rest arrives: the same result as at once */
            r = parse_prefix(s, n, MAX);
            assert_int_equal(r, full);
            assert_int_equal(g_r.status, want.status);
            assert_int_equal(g_r.content_length, want.content_length);
            assert_int_equal(g_r.num_headers, want.num_headers);
            assert_int_equal(g_r.content_type.len, want.content_type.len);
            assert_int_equal(g_r.location.len, want.location.len);
            assert_int_equal(g_r.reason.len, want.reason.len);
        }
        ok_n(s, n, MAX, (size_t)full);
    }
}

/* ---- errors ---- */

static void test_no_colon(void **state)
{
    err_at("Content-Type text/html\n\n", "Content-Type ");
    err_at("Content-Type\n\n", "Content-Type\n");
    err_at("Content-Type: a/b\nHello\n\n", "Hello\n");
    err_at("Content-Type: a/b\r\nHello\r\n\r\n", "Hello\r");
    /* the body of a script that forgot the header block */
    err_at("<html><body>oops</body></html>\n", "<");
    err_at("Hello world\n", "Hello ");
}

static void test_bad_name(void **state)
{
    err_at(": x\nContent-Type: a/b\n\n", ":");
    err_at("Content-Type: a/b\n: x\n\n", "\n:");
    err_at("Content-Type : a/b\n\n", "Content-Type ");
    err_at("Content-Type\t: a/b\n\n", "Content-Type\t");
    err_at("X(Y): 1\nContent-Type: a/b\n\n", "X(");
    err_at("X@Y: 1\nContent-Type: a/b\n\n", "X@");
    err_at("X\"Y: 1\nContent-Type: a/b\n\n", "X\"");
    err_at("Caf\xc3\xa9: 1\nContent-Type: a/b\n\n", "Caf\xc3");
    err_at("X\x7fY: 1\nContent-Type: a/b\n\n", "X\x7f");
}

static void test_obs_fold(void **state)
{
    err_at("Content-Type: text/html\n continued\n\n", "\n ");
    err_at("Content-Type: text/html\r\n\tcontinued\r\n\r\n", "\r\n\t");
    /* leading whitespace on the first line */
    err_at(" Content-Type: a/b\n\n", " ");
    err_at("\tStatus: 200\n\n", "\t");
}

static void test_nul_and_cr(void **state)
{
    ERR_LIT("Content-Type: a\0b\n\n", 16);
    ERR_LIT("Content-\0Type: a/b\n\n", 9);
    ERR_LIT("\0", 1);
    ERR_LIT("Content-Type: a/b\n\0\n", 19);
    /* bare CR: in a value, at a line end, in place of the empty line */
    err_at("Content-Type: a\rb\n\n", "a\rb");
    /* A control byte in a value would go into our head: refused where seen. */
    err_at("X-A: a\x01" "b\n\n", "a\x01");
    err_at("X-A: a\x1b[31m\n\n", "a\x1b");
    err_at("Location: /x\x7f\n\n", "/x\x7f");
    ok("X-A: a\tb\nContent-Type: a/b\n\n"); /* HTAB is fine inside */
    err_at("Content-Type: a/b\r\r\n\n", "\r\r");
    err_at("Content-Type: a/b\n\rX\n", "\rX");
    err_at("\r\r", "\r\r");
    err_at("X\r: 1\n\n", "X\r");
}

static void test_bad_status(void **state)
{
    static const char *const bad[] = {
        "Status: 42\n\n",        "Status: 4180\n\n",        "Status: 099\n\n",
        "Status: 600\n\n",       "Status: 000\n\n",         "Status: abc\n\n",
        "Status: 418x\n\n",      "Status: 418\tteapot\n\n", "Status: 418-teapot\n\n",
        "Status:\n\n",           "Status: -18\n\n",         "Status: +18 x\n\n",
        "Status: 4 18\n\n",      "Status: 1e2\n\n",         "Status: 999 Nope\n\n",
        "Status: \xd9\xa1\xd9\xa2\xd9\xa3\n\n",
        /* An interim status is not a script's answer: 502 for the client. */
        "Status: 100 Continue\n\n", "Status: 101\n\n", "Status: 199 x\n\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        err_at(bad[i], "\n"); /* known once its line is complete */
    err_at("Status: 4180\r\nContent-Type: a/b\r\n\r\n", "4180\r\n");
    /* a valid Status does not excuse a later invalid one */
    err_at("Status: 200\nStatus: 2000\n\n", "2000\n");
}

static void test_bad_content_length(void **state)
{
    static const char *const bad[] = {
        "Content-Length: abc\n",  "Content-Length:\n",     "Content-Length: -1\n",
        "Content-Length: +5\n",   "Content-Length: 1 2\n", "Content-Length: 5, 5\n",
        "Content-Length: 0x10\n", "Content-Length: 5.0\n",
        "Content-Length: 4611686018427387905\n",
        "Content-Length: 99999999999999999999999\n",
    };
    char s[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(s, sizeof(s), "Content-Type: a/b\n%s\n", bad[i]);
        err_n(s, strlen(s), MAX, strlen(s) - 1);
    }
    /* repeated with another value */
    err_at("Content-Type: a/b\nContent-Length: 5\nContent-Length: 6\n\n", "6\n");
    err_at("Content-Length: 0\ncontent-length: 00\nContent-Length: 1\nStatus: 200\n\n", "1\n");
}

static void test_too_many_headers(void **state)
{
    char s[4096];
    size_t len = (size_t)snprintf(s, sizeof(s), "Content-Type: a/b\n");
    for (int i = 0; i < CGI_MAX_HEADERS; i++)
        len += (size_t)snprintf(s + len, sizeof(s) - len, "X-%d: %d\n", i, i);
    /* the server's own headers do not count */
    len += (size_t)snprintf(s + len, sizeof(s) - len,
                            "Date: x\nServer: y\nConnection: z\nStatus: 200\nLocation: /\n");
    size_t before = len;
    len += (size_t)snprintf(s + len, sizeof(s) - len, "\n");
    ok(s);
    assert_int_equal(g_r.num_headers, CGI_MAX_HEADERS);
    assert_header(CGI_MAX_HEADERS - 1, "X-63", "63");
    /* one more is refused once its line is complete */
    len = before + (size_t)snprintf(s + before, sizeof(s) - before, "X-Last: 1\n\n");
    err_n(s, len, MAX, len - 1);
}

static void test_nothing_said(void **state)
{
    err_end("\n");
    err_end("\r\n");
    err_end("X-Custom: 1\nSet-Cookie: a=b\n\n");
    err_at("X-Custom: 1\r\n\r\nbody", "\r\n\r\n");
    /* empty values say nothing either */
    err_end("Content-Type:\n\n");
    err_end("Location:  \n\n");
    err_end("Content-Type: \t\r\nLocation:\r\n\r\n");
    /* one of the three is enough */
    ok("Content-Type:\nStatus: 200\n\n");
    ok("Location: /\n\n");
}

static void test_max(void **state)
{
    const char *s = "Content-Type: text/plain\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\nbody";
    size_t n = strlen(s), head = n - 4;
    /* a block of exactly max bytes fits, the body may follow */
    ok_n(s, n, head, head);
    ok_n(s, n, head + 1, head);
    /* one byte less: once max bytes are in without the end, an error */
    err_n(s, n, head - 1, head - 1);
    err_n(s, n, 10, 10);
    err_n(s, n, 1, 1);
    err_n(s, n, 0, 0);
    /* an error inside the limit is still found as early as before */
    err_n("Bad Line\nContent-Type: a/b\n\n", 28, 20, 4);
    /* a block that ends with CR LF across the limit does not fit */
    err_n("Status: 200\r\n\r\n", 15, 14, 14);
    /* a long block just under the limit */
    static char big[MAX + 64];
    size_t len = (size_t)snprintf(big, sizeof(big), "Content-Type: a/b\nX-Big: ");
    memset(big + len, 'x', MAX - len - 2);
    len = MAX - 2;
    memcpy(big + len, "\n\n", 2);
    len += 2;
    ok_n(big, len, MAX, MAX);
    assert_int_equal(g_r.headers[0].value.len, MAX - 2 - 25);
    err_n(big, len, MAX - 1, MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_location),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_extra_headers),
        cmocka_unit_test(test_dropped_headers),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_no_colon),
        cmocka_unit_test(test_bad_name),
        cmocka_unit_test(test_obs_fold),
        cmocka_unit_test(test_nul_and_cr),
        cmocka_unit_test(test_bad_status),
        cmocka_unit_test(test_bad_content_length),
        cmocka_unit_test(test_too_many_headers),
        cmocka_unit_test(test_nothing_said),
        cmocka_unit_test(test_max),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
