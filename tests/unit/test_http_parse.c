/* Tests for src/http/http_parse.c: the request-head parser.
 *
 * Every request is parsed as each of its prefixes, from 0 bytes to all of
 * them, and each prefix is placed so that it ends right before a PROT_NONE
 * page: reading one byte too far crashes. A prefix must give INCOMPLETE
 * until the point where the result is known (the end of the head, or the
 * byte that makes the error visible), and that same result from then on. */
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

#include "http/http_parse.h"

#define MAXH 16384

#include "parse_test.h"

static struct http_request_head g_h; /* result of the last (complete) parse */


static long parse_prefix(const char *req, size_t i, size_t max_head)
{
    return http_parse_request(place(req, i), i, max_head, &g_h);
}

/* req[0..n) holds a valid head of head_len bytes (the rest is body). */
static void ok_n(const char *req, size_t n, size_t max_head, size_t head_len)
{
    for (size_t i = 0; i <= n; i++) {
        long r = parse_prefix(req, i, max_head);
        long want = i < head_len ? HTTP_PARSE_INCOMPLETE : (long)head_len;
        if (r != want)
            print_error("prefix %zu of \"%.*s\": want %ld, got %ld (%d %s)\n", i, (int)n, req,
                        want, r, g_h.error_status, g_h.error_reason ? g_h.error_reason : "");
        assert_int_equal(r, want);
    }
}

static void ok(const char *req)
{
    ok_n(req, strlen(req), MAXH, strlen(req));
}

/* req[0..n) is refused with status; prefixes shorter than early are
 * INCOMPLETE, every longer one gives the error. */
static void err_n(const char *req, size_t n, size_t max_head, int status, size_t early)
{
    assert_true(early <= n);
    for (size_t i = 0; i <= n; i++) {
        long r = parse_prefix(req, i, max_head);
        long want = i < early ? HTTP_PARSE_INCOMPLETE : HTTP_PARSE_ERROR;
        if (r != want || (r == HTTP_PARSE_ERROR && g_h.error_status != status))
            print_error("prefix %zu of \"%.*s\": want %ld/%d, got %ld/%d (%s)\n", i, (int)n,
                        req, want, status, r, g_h.error_status,
                        g_h.error_reason ? g_h.error_reason : "");
        assert_int_equal(r, want);
        if (r == HTTP_PARSE_ERROR) {
            assert_int_equal(g_h.error_status, status);
            assert_non_null(g_h.error_reason);
            assert_true(g_h.error_reason[0] != '\0');
        }
    }
}

/* Error visible once the prefix reaches the end of sub. */
static void err_at(const char *req, int status, const char *sub)
{
    err_n(req, strlen(req), MAXH, status, at(req, sub));
}

/* Error known only with the complete input. */
static void err_end(const char *req, int status)
{
    err_n(req, strlen(req), MAXH, status, strlen(req));
}

/* For literals holding a NUL. */
#define ERR_LIT(lit, status, early) err_n((lit), sizeof(lit) - 1, MAXH, (status), (early))

/* ---- request line ---- */

/* OPTIONS and PATCH parse (a proxy location passes them on). */
static void test_options_patch(void **state)
{
    ok("OPTIONS /api/x HTTP/1.1\r\nHost: a\r\nOrigin: http://b\r\n\r\n");
    assert_int_equal(g_h.method, HTTP_OPTIONS);
    assert_string_equal(http_method_name(g_h.method), "OPTIONS");
    ok("PATCH /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n");
    assert_int_equal(g_h.method, HTTP_PATCH);
    assert_string_equal(http_method_name(g_h.method), "PATCH");
}

static void test_simple_get(void **state)
{
    ok("GET /index.html HTTP/1.1\r\nHost: example.test\r\nUser-Agent: t\r\n\r\n");
    assert_int_equal(g_h.method, HTTP_GET);
    assert_str(g_h.method_str, "GET");
    assert_str(g_h.target, "/index.html");
    assert_str(g_h.path, "/index.html");
    assert_false(g_h.has_query);
    assert_int_equal(g_h.query.len, 0);
    assert_int_equal(g_h.authority.len, 0);
    assert_int_equal(g_h.minor_version, 1);
    assert_int_equal(g_h.num_headers, 2);
    assert_str(g_h.headers[0].name, "Host");
    assert_str(g_h.headers[0].value, "example.test");
    assert_str(g_h.headers[1].name, "User-Agent");
    assert_str(g_h.headers[1].value, "t");
    assert_str(g_h.host, "example.test");
    assert_int_equal(g_h.content_length, -1);
    assert_false(g_h.chunked);
    assert_true(g_h.keep_alive);
    assert_false(g_h.expect_continue);
    assert_int_equal(g_h.error_status, 0);
}

static void test_methods(void **state)
{
    static const struct {
        const char *req;
        enum http_method m;
        const char *name;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_GET, "GET"},
        {"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_HEAD, "HEAD"},
        {"POST / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_POST, "POST"},
        {"PUT / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_PUT, "PUT"},
        {"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_DELETE, "DELETE"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok(cases[i].req);
        assert_int_equal(g_h.method, cases[i].m);
        assert_str(g_h.method_str, cases[i].name);
        assert_string_equal(http_method_name(cases[i].m), cases[i].name);
        assert_int_equal(http_method_from(STR_LIT("GET")), HTTP_GET);
    }
    assert_int_equal(http_method_from(STR_LIT("get")), HTTP_METHOD_UNKNOWN);
    assert_int_equal(http_method_from(STR_LIT("GETS")), HTTP_METHOD_UNKNOWN);
    assert_int_equal(http_method_from(STR_LIT("")), HTTP_METHOD_UNKNOWN);
    assert_int_equal(http_method_from(STR_LIT("DELETE")), HTTP_DELETE);
    assert_string_equal(http_method_name(HTTP_METHOD_UNKNOWN), "UNKNOWN");
}

static void test_method_errors(void **state)
{
    /* not a token: refused at the offending byte */
    err_at("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "G(");
    err_at("GE\"T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "GE\"");
    err_at("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "GET\t");
    err_at(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, " ");
    err_at("GET\r\nHost: a\r\n\r\n", 400, "GET\r");
    ERR_LIT("GE\0T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 3);
    /* a token, but not one we implement: 501 once the line is complete */
    err_at("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "HTTP/1.1\r\n");
    err_at("get / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "HTTP/1.1\r\n");
    /* OPTIONS is known (a proxy passes it on), but not for the whole server */
    err_at("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("BREW /pot HTTP/1.0\n\n", 501, "HTTP/1.0\n");
    err_at("CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501, "HTTP/1.1\r\n");
    /* the method is kept for the log */
    assert_str(g_h.method_str, "CONNECT");
    assert_str(g_h.target, "example.com:443");
}

/* A head moved elsewhere (a stalled body): every slice follows it. */
static void test_rebase(void **state)
{
    static const char req[] = "GET /a?b HTTP/1.0\r\nHost: h\r\nUser-Agent: u\r\n\r\n";
    char from[sizeof(req)], to[sizeof(req)];
    memcpy(from, req, sizeof(req));
    struct http_request_head h;
    assert_int_equal(http_parse_request(from, sizeof(req) - 1, MAXH, &h), sizeof(req) - 1);
    memcpy(to, from, sizeof(req));
    memset(from, 'x', sizeof(from));
    http_head_rebase(&h, from, sizeof(req) - 1, to);
    struct str *all[] = {&h.method_str, &h.target, &h.path, &h.query, &h.host, &h.version,
                         &h.headers[0].name, &h.headers[1].value};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        assert_true(all[i]->p >= to && all[i]->p < to + sizeof(to));
    assert_str(h.target, "/a?b");
    assert_str(h.version, "HTTP/1.0");
    assert_str(h.headers[1].value, "u");
}

static void test_versions(void **state)
{
    ok("GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(g_h.minor_version, 0);
    assert_false(g_h.keep_alive);
    assert_int_equal(g_h.host.len, 0);
    assert_int_equal(g_h.num_headers, 0);
    /* the version as sent, for the log (both ways of reading it) */
    assert_str(g_h.version, "HTTP/1.0");
    ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(g_h.version, "HTTP/1.1");
    ok("GET / HTTP/1.1\nHost: a\n\n");
    assert_str(g_h.version, "HTTP/1.1");

    /* well-formed but unsupported */
    err_at("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2.0\r\n");
    assert_str(g_h.version, "HTTP/2.0"); /* the log says what was sent */
    err_at("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "HTTP/1.2\r\n");
    err_at("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "HTTP/0.9\r\n");
    err_at("GET / HTTP/3.1\nHost: a\n\n", 505, "HTTP/3.1\n");
    /* malformed: seen as soon as the wrong byte arrives */
    err_at("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400, "HTTP/1.1x");
    assert_int_equal(g_h.version.len, 0); /* no version then */
    err_at("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "HTTP/1.1 ");
    err_at("GET / HTTP/11\r\nHost: a\r\n\r\n", 400, "HTTP/11");
    err_at("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, "HTTP/1.10");
    err_at("GET / HTTP/1\r\nHost: a\r\n\r\n", 400, "HTTP/1\r");
    err_at("GET / http/1.1\r\nHost: a\r\n\r\n", 400, "GET / h");
    err_at("GET / HTTPS/1.1\r\nHost: a\r\n\r\n", 400, "HTTPS");
    err_at("GET / HTTP/x.1\r\nHost: a\r\n\r\n", 400, "HTTP/x");
    err_at("GET / HTTP/2.x\r\nHost: a\r\n\r\n", 400, "HTTP/2.x");
    err_at("GET / HTTP/2.0x\r\nHost: a\r\n\r\n", 400, "HTTP/2.0x");
    err_at("GET / \r\nHost: a\r\n\r\n", 400, "GET / \r");
    err_at("GET /\r\nHost: a\r\n\r\n", 400, "GET /\r");
    err_at("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400, "HTTP/1.1 ");
    ERR_LIT("GET / HTTP/1.\0\r\nHost: a\r\n\r\n", 400, 14);
    /* bare CR after the version, even for a version we do not support */
    err_at("GET / HTTP/1.1\rHost: a\r\n\r\n", 400, "HTTP/1.1\rH");
    err_at("GET / HTTP/2.0\r\r\n\r\n", 400, "HTTP/2.0\r\r");
}

static void test_line_endings(void **state)
{
    ok("GET /a HTTP/1.1\nHost: h\nX: y\n\n");
    assert_str(g_h.path, "/a");
    assert_int_equal(g_h.num_headers, 2);
    assert_str(g_h.headers[1].value, "y");
    /* mixed */
    ok("GET /a HTTP/1.1\r\nHost: h\nX: y\r\n\n");
    assert_int_equal(g_h.num_headers, 2);
    ok("GET /a HTTP/1.1\nHost: h\r\n\r\n");
    assert_str(g_h.host, "h");

    /* bare CR anywhere */
    err_at("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "Host: a\rX");
    err_at("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400, "\r\n\rX");
    err_at("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 400, "\r\n\r\r");
    err_at("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, "a\rb");
    err_at("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "\rG");
    err_at("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a\r");
    err_at("GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n", 400, "Ho\r");
}

static void test_leading_empty_lines(void **state)
{
    const char *req = "\r\n\r\n\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n";
    ok(req);
    assert_str(g_h.path, "/x");
    assert_str(g_h.method_str, "GET");
    assert_str(g_h.host, "a");
    /* with a body after the head */
    req = "\nPOST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
    ok_n(req, strlen(req), MAXH, strlen(req) - 3);
    assert_int_equal(g_h.content_length, 3);
}

static void test_nul_anywhere(void **state)
{
    static const char base[] = "GET /p?q HTTP/1.1\r\nHost: a\r\nX-Y: zz\r\n\r\n";
    size_t n = sizeof(base) - 1;
    char req[sizeof(base)];
    /* a NUL in place of any byte of the head is refused as soon as seen
     * (in place of an LF, the CR before it is bare) */
    for (size_t k = 0; k < n; k++) {
        memcpy(req, base, n);
        req[k] = '\0';
        err_n(req, n, MAXH, 400, k + 1);
    }
}

static void test_control_chars(void **state)
{
    /* HTAB and obs-text are allowed in values */
    ok("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb \xff\x80 c\r\n\r\n");
    assert_str(g_h.headers[1].value, "a\tb \xff\x80 c");
    static const char ctl[] = {1, 2, 8, 11, 12, 14, 27, 31, 127};
    for (size_t i = 0; i < sizeof(ctl); i++) {
        char req[64];
        int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\nX: a%cb\r\n\r\n", ctl[i]);
        err_n(req, (size_t)n, MAXH, 400, at(req, "X: a") + 1);
        n = snprintf(req, sizeof(req), "GET /a%cb HTTP/1.1\r\nHost: a\r\n\r\n", ctl[i]);
        err_n(req, (size_t)n, MAXH, 400, at(req, "GET /a") + 1);
    }
}

/* Long targets and values (the parser scans them in blocks): a bad byte at
 * any offset is found at that offset, and good bytes all pass. */
static void test_long_runs(void **state)
{
    char req[512];
    static const char bad_value[] = {0, 1, 8, 13, 31, 127};
    static const char bad_target[] = {0, 9, 10, 13, ' ', '#', 127};
    for (size_t k = 0; k < 80; k++) {
        for (size_t b = 0; b < sizeof(bad_value); b++) {
            size_t v = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\nX: ");
            memset(req + v, 'v', 80);
            memcpy(req + v + 80, "\r\n\r\n", 4);
            req[v + k] = bad_value[b];
            /* a CR is found bare with the byte after it */
            err_n(req, v + 84, MAXH, 400, v + k + (bad_value[b] == '\r' ? 2 : 1));
        }
        for (size_t b = 0; b < sizeof(bad_target); b++) {
            memcpy(req, "GET /", 5);
            memset(req + 5, 't', 80);
            memcpy(req + 85, " HTTP/1.1\r\nHost: a\r\n\r\n", 22);
            req[5 + k] = bad_target[b];
            /* after a SP, "ttt" is read as the version */
            err_n(req, 107, MAXH, 400, 5 + k + (bad_target[b] == ' ' ? 2 : 1));
            /* the same in the query */
            memcpy(req, "GET /?", 6);
            memset(req + 6, 't', 80);
            memcpy(req + 86, " HTTP/1.1\r\nHost: a\r\n\r\n", 22);
            req[6 + k] = bad_target[b];
            err_n(req, 108, MAXH, 400, 6 + k + (bad_target[b] == ' ' ? 2 : 1));
        }
    }
    /* good bytes of every kind */
    char good[300];
    size_t n = 0;
    for (int c = 0x20; c < 0x100; c++)
        if (c != 0x7f)
            good[n++] = (char)c;
    int len = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\nX: %.*s\t!\r\n\r\n", (int)(n - 1),
                       good + 1);
    ok_n(req, (size_t)len, MAXH, (size_t)len);
    assert_int_equal(g_h.headers[1].value.len, n - 1 + 2);
    assert_memory_equal(g_h.headers[1].value.p, good + 1, n - 1);
    n = 0;
    for (int c = 0x21; c < 0x100; c++)
        if (c != 0x7f && c != '#' && c != '?')
            good[n++] = (char)c;
    len = snprintf(req, sizeof(req), "GET /%.*s?%.*s?x HTTP/1.1\r\nHost: a\r\n\r\n", (int)n, good,
                   (int)n, good);
    ok_n(req, (size_t)len, MAXH, (size_t)len);
    assert_int_equal(g_h.path.len, n + 1);
    assert_memory_equal(g_h.path.p + 1, good, n);
    assert_int_equal(g_h.query.len, n + 2);
    assert_memory_equal(g_h.query.p, good, n);
}

static void test_target_origin_form(void **state)
{
    ok("GET /a/b%20c?x=1&y=%2F HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(g_h.target, "/a/b%20c?x=1&y=%2F");
    assert_str(g_h.path, "/a/b%20c");
    assert_true(g_h.has_query);
    assert_str(g_h.query, "x=1&y=%2F");

    ok("GET /p? HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(g_h.path, "/p");
    assert_true(g_h.has_query);
    assert_int_equal(g_h.query.len, 0);

    ok("GET /p?a?b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(g_h.path, "/p");
    assert_str(g_h.query, "a?b");

    ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(g_h.path, "/");
    assert_false(g_h.has_query);

    ok("GET //x/../y HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(g_h.path, "//x/../y");
    assert_int_equal(g_h.authority.len, 0);

    /* raw UTF-8 is passed through for the URI decoder */
    ok("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_str(g_h.path, "/caf\xc3\xa9");
}

static void test_target_absolute_form(void **state)
{
    ok("GET http://Example.test:8080/a/b?x=1 HTTP/1.1\r\nHost: other\r\n\r\n");
    assert_str(g_h.target, "http://Example.test:8080/a/b?x=1");
    assert_str(g_h.authority, "Example.test:8080");
    assert_str(g_h.host, "Example.test:8080");
    assert_str(g_h.path, "/a/b");
    assert_str(g_h.query, "x=1");
    assert_true(g_h.has_query);

    ok("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_str(g_h.authority, "h");
    assert_str(g_h.path, "/");
    assert_false(g_h.has_query);

    ok("GET hTTp://h?q HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_str(g_h.authority, "h");
    assert_str(g_h.path, "/");
    assert_str(g_h.query, "q");

    ok("GET http://[::1]:80/ HTTP/1.0\r\n\r\n");
    assert_str(g_h.authority, "[::1]:80");
    assert_str(g_h.host, "[::1]:80");
    assert_str(g_h.path, "/");

    /* invalid forms for our methods */
    err_at("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET example.test:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET ftp://h/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET http:/h/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET http://u@h/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET http://h\"/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    err_at("GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400, "HTTP/1.1\r\n");
    /* the target is kept for the log */
    assert_str(g_h.target, "a");
}

static void test_target_errors(void **state)
{
    err_at("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "GET  ");
    err_at("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a b");
    err_at("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a\t");
    err_at("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a\x7f");
    err_at("GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a#");
    err_at("GET /a?b#f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a?b#");
    err_at("GET /a?b c HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a?b c");
    /* the log gets the target as sent, up to its end, the bad byte too */
    err_at("GET /a\x01z?q HTTP/1.1\r\nHost: a\r\n\r\n", 400, "/a\x01");
    assert_str(g_h.target, "/a\x01z?q");
    err_at("GET /a?b#f\r\nHost: a\r\n\r\n", 400, "/a?b#");
    assert_str(g_h.target, "/a?b#f");
    /* ... as far as it came */
    assert_int_equal(parse_prefix("GET /a\x1b[0m", 10, MAXH), HTTP_PARSE_ERROR);
    assert_str(g_h.target, "/a\x1b[0m");
}

/* ---- header fields ---- */

static void test_header_syntax(void **state)
{
    ok("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Ows: \t \r\nX-Trim:  \t v a l \t \r\n"
       "x!#$%&'*+-.^_`|~09AZaz:1\r\n\r\n");
    assert_int_equal(g_h.num_headers, 5);
    assert_str(g_h.headers[1].name, "X-Empty");
    assert_str(g_h.headers[1].value, "");
    assert_str(g_h.headers[2].name, "X-Ows");
    assert_str(g_h.headers[2].value, "");
    assert_str(g_h.headers[3].value, "v a l");
    assert_str(g_h.headers[4].name, "x!#$%&'*+-.^_`|~09AZaz");
    assert_str(g_h.headers[4].value, "1");

    err_at("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400, "Host ");
    err_at("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "Host ");
    err_at("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400, "Host\t");
    err_at("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400, "NoColon\r");
    err_at("GET / HTTP/1.1\r\nHost: a\r\nNoColon\n\n", 400, "NoColon\n");
    err_at("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400, "\r\n:");
    err_at("GET / HTTP/1.1\r\nHost: a\r\nX(y: v\r\n\r\n", 400, "X(");
    err_at("GET / HTTP/1.1\r\nHost: a\r\nX/y: v\r\n\r\n", 400, "X/");
    err_at("GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: v\r\n\r\n", 400, "X\xc3");
    /* obs-fold, and whitespace before the first field */
    err_at("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400, "b\r\n ");
    err_at("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", 400, "b\r\n\t");
    err_at("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "\r\n ");
}

static void test_find_header(void **state)
{
    ok("GET / HTTP/1.1\r\nHost: a\r\nX-Custom-Thing: v1\r\nACCEPT: */*\r\n\r\n");
    const struct http_header *h = http_find_header(&g_h, "x-custom-thing", 14);
    assert_non_null(h);
    assert_str(h->value, "v1");
    assert_str(h->name, "X-Custom-Thing");
    h = http_find_header(&g_h, "accept", 6);
    assert_non_null(h);
    assert_str(h->value, "*/*");
    assert_null(http_find_header(&g_h, "accep", 5));
    assert_null(http_find_header(&g_h, "accepts", 7));
    assert_null(http_find_header(&g_h, "cookie", 6));
    /* the first of repeated fields */
    ok("GET / HTTP/1.1\r\nHost: a\r\nX_a: 1\r\nx_A: 2\r\n\r\n");
    h = http_find_header(&g_h, "x_a", 3);
    assert_non_null(h);
    assert_str(h->value, "1");
}

static void test_max_headers(void **state)
{
    char req[4096];
    size_t n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 1; i < HTTP_MAX_HEADERS; i++)
        n += (size_t)snprintf(req + n, sizeof(req) - n, "X-%d: v%d\r\n", i, i);
    memcpy(req + n, "\r\n", 3);
    ok_n(req, n + 2, MAXH, n + 2);
    assert_int_equal(g_h.num_headers, HTTP_MAX_HEADERS);
    const struct http_header *h = http_find_header(&g_h, "x-99", 4);
    assert_non_null(h);
    assert_str(h->value, "v99");

    /* one more: 431 at the first byte of the 101st field */
    size_t early = n + 1;
    memcpy(req + n, "Y: z\r\n\r\n", 9);
    err_n(req, n + 8, MAXH, 431, early);
    /* ... but a plain end of head after 100 fields is fine (checked above),
     * and a bare CR there is still a 400 */
    memcpy(req + n, "\rY", 3);
    err_n(req, n + 2, MAXH, 400, n + 2);
}

static void test_host(void **state)
{
    err_end("GET / HTTP/1.1\r\nX: a\r\n\r\n", 400);
    err_end("GET / HTTP/1.1\n\n", 400);
    err_end("GET http://h/ HTTP/1.1\r\n\r\n", 400); /* RFC 9112 3.2 */
    err_at("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "Host: a\r\nHost: a\r\n");
    err_at("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400, "host: b\r\n");
    err_at("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "a b\r\n");
    err_at("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "a/b\r\n");
    err_at("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "u@a\r\n");

    ok("GET / HTTP/1.1\r\nhOST:  Example.Test:8080 \r\n\r\n");
    assert_str(g_h.host, "Example.Test:8080");
    ok("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    assert_str(g_h.host, "[::1]:8080");
    ok("GET / HTTP/1.1\r\nHost:\r\n\r\n"); /* empty, allowed by RFC 9110 7.2 */
    assert_int_equal(g_h.host.len, 0);
    ok("GET / HTTP/1.0\r\nHost: old\r\n\r\n");
    assert_str(g_h.host, "old");
}

static void test_content_length(void **state)
{
    const char *req = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
    ok_n(req, strlen(req), MAXH, strlen(req) - 5);
    assert_int_equal(g_h.content_length, 5);
    ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(g_h.content_length, 0);
    ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n");
    assert_int_equal(g_h.content_length, 7);
    ok("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 42, 42,42\r\n\r\n");
    assert_int_equal(g_h.content_length, 42);
    ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\nCONTENT-LENGTH: 42\r\n\r\n");
    assert_int_equal(g_h.content_length, 42);
    ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4611686018427387904\r\n\r\n");
    assert_int_equal(g_h.content_length, INT64_C(4611686018427387904));

    static const char *bad[] = {
        "", "abc", "-1", "+5", "1 2", "0x10", "5,", ",5", "5, 6", "5;", "1.0",
        "4611686018427387905", "9223372036854775807", "18446744073709551616",
        "99999999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char r[256];
        snprintf(r, sizeof(r), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n", bad[i]);
        char sub[64];
        snprintf(sub, sizeof(sub), "Length: %s\r\n", bad[i]);
        err_at(r, 400, sub);
    }
    err_at("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
           "Length: 6\r\n");
    err_at("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5, 7\r\nHost: a\r\n\r\n", 400,
           "5, 7\r\n");
}

static void test_transfer_encoding(void **state)
{
    const char *req = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello";
    ok_n(req, strlen(req), MAXH, (size_t)(strstr(req, "5\r\nhello") - req));
    assert_true(g_h.chunked);
    assert_int_equal(g_h.content_length, -1);
    ok("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: ChUnKeD\r\n\r\n");
    assert_true(g_h.chunked);
    ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,\r\n\r\n");
    assert_true(g_h.chunked);
    ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_true(g_h.chunked);

    /* unsupported codings */
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 501);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
            "Transfer-Encoding: chunked\r\n\r\n",
            501);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
            "Transfer-Encoding: chunked\r\n\r\n",
            501);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n\r\n", 501);
    /* framing that cannot be trusted */
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
            "Content-Length: 5\r\n\r\n",
            400);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
            "Transfer-Encoding: chunked\r\n\r\n",
            400);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
            "Transfer-Encoding: gzip\r\n\r\n",
            400);
    err_end("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400);
    err_end("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n", 400);
}

static void test_keep_alive(void **state)
{
    static const struct {
        const char *req;
        bool ka;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nconnection: Close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: a\r\nX-Connection: close\r\n\r\n", true},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: foo ,Keep-Alive , bar\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: foo\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok(cases[i].req);
        if (g_h.keep_alive != cases[i].ka)
            print_error("case %zu\n", i);
        assert_int_equal(g_h.keep_alive, cases[i].ka);
    }
}

static void test_expect(void **state)
{
    ok("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n");
    assert_true(g_h.expect_continue);
    ok("PUT /f HTTP/1.1\r\nHost: a\r\nexpect:  100-Continue \r\n\r\n");
    assert_true(g_h.expect_continue);
    ok("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continued\r\n\r\n");
    assert_false(g_h.expect_continue);
    ok("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n");
    assert_false(g_h.expect_continue);
    /* RFC 9110 10.1.1: ignored in HTTP/1.0 */
    ok("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
    assert_false(g_h.expect_continue);
}

/* ---- limits ---- */

static void test_limit_request_line(void **state)
{
    char req[512];
    memset(req, 0, sizeof(req));
    strcpy(req, "GET /");
    memset(req + 5, 'a', 100);
    strcat(req, " HTTP/1.1\r\nHost: a\r\n\r\n");
    size_t n = strlen(req);
    /* fits */
    ok_n(req, n, n, n);
    /* request line longer than max_head: 414 as soon as max_head bytes are in */
    err_n(req, n, 50, 414, 50);
    /* a request line of exactly max_head bytes: its line end is beyond max_head */
    size_t line = at(req, "HTTP/1.1") ;
    err_n(req, n, line, 414, line);
    err_n(req, n, line + 1, 414, line + 1); /* CR fits, LF does not */
    err_n(req, n, line + 2, 431, line + 2); /* line fits, the rest does not */
    /* an error seen before max_head wins */
    req[3] = '(';
    err_n(req, n, 50, 400, 4);
    req[3] = ' ';
    /* leading empty lines count */
    const char *lead = "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    err_n(lead, strlen(lead), 10, 414, 10);
    ok_n(lead, strlen(lead), strlen(lead), strlen(lead));
    err_n(lead, strlen(lead), strlen(lead) - 1, 431, strlen(lead) - 1);
    /* LF-only line end that just fits */
    const char *lf = "GET / HTTP/1.1\nHost: a\n\n";
    err_n(lf, strlen(lf), at(lf, "1.1\n"), 431, at(lf, "1.1\n"));
    err_n(lf, strlen(lf), at(lf, "1.1"), 414, at(lf, "1.1"));
}

static void test_limit_head(void **state)
{
    const char *req = "POST /u HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789012345678901234567890\r\n"
                      "Content-Length: 10\r\n\r\n0123456789";
    size_t n = strlen(req), head = n - 10;
    /* head exactly max_head, body beyond it: fine */
    ok_n(req, n, head, head);
    assert_int_equal(g_h.content_length, 10);
    ok_n(req, n, head + 1, head);
    /* one byte short: 431 once max_head bytes are in, without waiting */
    err_n(req, n, head - 1, 431, head - 1);
    err_n(req, n, 40, 431, 40);
    /* a missing Host with a head that just fits is a 400 */
    const char *nohost = "GET / HTTP/1.1\r\nX: y\r\n\r\n";
    err_n(nohost, strlen(nohost), strlen(nohost), 400, strlen(nohost));
    /* and with max_head bytes of valid fields and no end: 431 */
    err_n(nohost, strlen(nohost), strlen(nohost) - 1, 431, strlen(nohost) - 1);
}

/* A mixed request, and a pipelined second one after it. */
static void test_pipelined(void **state)
{
    const char *req = "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t first = at(req, "\r\n\r\n");
    ok_n(req, strlen(req), MAXH, first);
    assert_str(g_h.path, "/one");
    long r = http_parse_request(place(req + first, strlen(req) - first),
                                strlen(req) - first, MAXH, &g_h);
    assert_int_equal(r, (long)(strlen(req) - first));
    assert_str(g_h.path, "/two");
}

/* A typical browser request. */
static void test_realistic(void **state)
{
    const char *req = "GET /static/css/site.css?v=3 HTTP/1.1\r\n"
                      "Host: www.example.test\r\n"
                      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101\r\n"
                      "Accept: text/css,*/*;q=0.1\r\n"
                      "Accept-Language: en-US,en;q=0.5\r\n"
                      "Accept-Encoding: gzip, deflate, br\r\n"
                      "Referer: https://www.example.test/\r\n"
                      "Connection: keep-alive\r\n"
                      "Cookie: a=b; c=d\r\n"
                      "\r\n";
    ok(req);
    assert_int_equal(g_h.num_headers, 8);
    assert_str(g_h.path, "/static/css/site.css");
    assert_str(g_h.query, "v=3");
    assert_str(g_h.host, "www.example.test");
    assert_true(g_h.keep_alive);
    const struct http_header *h = http_find_header(&g_h, "cookie", 6);
    assert_non_null(h);
    assert_str(h->value, "a=b; c=d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_options_patch),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_method_errors),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_rebase),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_leading_empty_lines),
        cmocka_unit_test(test_nul_anywhere),
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_long_runs),
        cmocka_unit_test(test_target_origin_form),
        cmocka_unit_test(test_target_absolute_form),
        cmocka_unit_test(test_target_errors),
        cmocka_unit_test(test_header_syntax),
        cmocka_unit_test(test_find_header),
        cmocka_unit_test(test_max_headers),
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_limit_request_line),
        cmocka_unit_test(test_limit_head),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_realistic),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
