/* Tests for src/http/http_resp.c: the response-head parser.
 *
 * Every response is parsed as each of its prefixes, from 0 bytes to all of
 * them, and each prefix is placed so that it ends right before a PROT_NONE
 * page: reading one byte too far crashes. A prefix must give INCOMPLETE
 * until the point where the result is known (the end of the head, or the
 * byte that makes the error visible), and that same result from then on:
 * the same length and fields, or the same error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_resp.h"

#define MAXH 16384

#include "parse_test.h"

static struct http_response_in g_r;   /* result of the last parse */
static struct http_response_in g_ref; /* of the whole input, to compare prefixes with */

static long parse_prefix(const char *s, size_t i, size_t max_head, bool head)
{
    const char *b = place(s, i);
    return http_parse_response(b, i, max_head, head, &g_r);
}

/* A complete prefix gave what the whole input gave (g_ref). */
static void assert_same_result(void)
{
    assert_int_equal(g_r.status, g_ref.status);
    assert_int_equal(g_r.minor_version, g_ref.minor_version);
    assert_int_equal(g_r.reason.len, g_ref.reason.len);
    assert_int_equal(g_r.num_headers, g_ref.num_headers);
    assert_int_equal(g_r.body, g_ref.body);
    assert_int_equal(g_r.content_length, g_ref.content_length);
    assert_int_equal(g_r.has_content_length, g_ref.has_content_length);
    assert_int_equal(g_r.keep_alive, g_ref.keep_alive);
    assert_int_equal(g_r.upgrade, g_ref.upgrade);
}

/* s[0..n) holds a valid head of head_len bytes (the rest is body). */
static void ok_n(const char *s, size_t n, size_t max_head, bool head, size_t head_len)
{
    assert_int_equal(parse_prefix(s, n, max_head, head), (long)head_len);
    g_ref = g_r;
    for (size_t i = 0; i <= n; i++) {
        long r = parse_prefix(s, i, max_head, head);
        long want = i < head_len ? HTTP_PARSE_INCOMPLETE : (long)head_len;
        if (r != want)
            print_error("prefix %zu of \"%.*s\": want %ld, got %ld (%s)\n", i, (int)n, s, want,
                        r, g_r.error_reason ? g_r.error_reason : "");
        assert_int_equal(r, want);
        if (r > 0)
            assert_same_result();
    }
}

/* A whole head, no body, answering GET. */
static void ok(const char *s)
{
    ok_n(s, strlen(s), MAXH, false, strlen(s));
}

/* A head followed by a body starting with body_start. */
static void ok_body(const char *s, const char *body_start)
{
    ok_n(s, strlen(s), MAXH, false, at(s, body_start) - strlen(body_start));
}

/* s[0..n) is refused (502); prefixes shorter than early are INCOMPLETE,
 * every longer one gives the same error. */
static void err_n(const char *s, size_t n, size_t max_head, bool head, size_t early)
{
    assert_true(early <= n);
    assert_int_equal(parse_prefix(s, n, max_head, head), HTTP_PARSE_ERROR);
    const char *reason = g_r.error_reason;
    for (size_t i = 0; i <= n; i++) {
        long r = parse_prefix(s, i, max_head, head);
        long want = i < early ? HTTP_PARSE_INCOMPLETE : HTTP_PARSE_ERROR;
        if (r != want)
            print_error("prefix %zu of \"%.*s\": want %ld, got %ld (%s)\n", i, (int)n, s, want,
                        r, g_r.error_reason ? g_r.error_reason : "");
        assert_int_equal(r, want);
        if (r == HTTP_PARSE_ERROR) {
            assert_int_equal(g_r.error_status, 502);
            assert_non_null(g_r.error_reason);
            assert_string_equal(g_r.error_reason, reason);
        }
    }
}

/* Error visible once the prefix reaches the end of sub. */
static void err_at(const char *s, const char *sub)
{
    err_n(s, strlen(s), MAXH, false, at(s, sub));
}

/* Error known only with the complete head. */
static void err_end(const char *s)
{
    err_n(s, strlen(s), MAXH, false, strlen(s));
}

/* For literals holding a NUL. */
#define ERR_LIT(lit, early) err_n((lit), sizeof(lit) - 1, MAXH, false, (early))

/* The reason of the last error. */
static void assert_reason(const char *want)
{
    assert_non_null(g_r.error_reason);
    assert_string_equal(g_r.error_reason, want);
}

/* ---- status line ---- */

static void test_simple(void **state)
{
    const char *s = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";
    ok_body(s, "hello");
    assert_int_equal(g_r.minor_version, 1);
    assert_int_equal(g_r.status, 200);
    assert_str(g_r.reason, "OK");
    assert_int_equal(g_r.num_headers, 2);
    assert_str(g_r.headers[0].name, "Content-Type");
    assert_str(g_r.headers[0].value, "text/html");
    assert_str(g_r.headers[1].name, "Content-Length");
    assert_str(g_r.headers[1].value, "5");
    assert_int_equal(g_r.body, HTTP_BODY_LENGTH);
    assert_int_equal(g_r.content_length, 5);
    assert_true(g_r.has_content_length);
    assert_true(g_r.keep_alive);
    assert_false(g_r.upgrade);
    assert_int_equal(g_r.error_status, 0);
    assert_null(g_r.error_reason);
}

static void test_status_line(void **state)
{
    ok("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(g_r.status, 404);
    assert_str(g_r.reason, "Not Found");
    /* the reason as sent: inner and outer SP, HTAB, obs-text */
    ok("HTTP/1.1 200  \tOK \xc3\xa9 \r\nContent-Length: 0\r\n\r\n");
    assert_str(g_r.reason, " \tOK \xc3\xa9 ");
    /* an empty reason, with and without its SP */
    ok("HTTP/1.1 204 \r\n\r\n");
    assert_int_equal(g_r.status, 204);
    assert_int_equal(g_r.reason.len, 0);
    ok("HTTP/1.1 204\r\n\r\n");
    assert_int_equal(g_r.status, 204);
    assert_int_equal(g_r.reason.len, 0);
    ok("HTTP/1.1 204\n\n");
    assert_int_equal(g_r.reason.len, 0);
    /* the range */
    ok("HTTP/1.1 100 Continue\r\n\r\n");
    assert_int_equal(g_r.status, 100);
    ok("HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(g_r.status, 599);
    /* versions: 1.2 .. 1.9 count as 1.1 (RFC 9110 2.5) */
    ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(g_r.minor_version, 0);
    ok("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(g_r.minor_version, 1);
    assert_true(g_r.keep_alive);
    ok("HTTP/1.9 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(g_r.minor_version, 1);
}

static void test_bad_version(void **state)
{
    err_at("HTTP/2.0 200 OK\r\n\r\n", "HTTP/2.0");
    assert_reason("unsupported HTTP version");
    err_at("HTTP/0.9 200 OK\r\n\r\n", "HTTP/0.9");
    err_at("HTTP/1.1x 200 OK\r\n\r\n", "HTTP/1.1x");
    assert_reason("invalid HTTP version");
    err_at("HTTP/1.10 200 OK\r\n\r\n", "HTTP/1.10");
    err_at("HTTP/11 200 OK\r\n\r\n", "HTTP/11");
    err_at("HTTP/1 200 OK\r\n\r\n", "HTTP/1 ");
    err_at("HTTP/2 200 OK\r\n\r\n", "HTTP/2 ");
    err_at("http/1.1 200 OK\r\n\r\n", "h");
    err_at("HTTPS/1.1 200 OK\r\n\r\n", "HTTPS");
    err_at("ICY 200 OK\r\n\r\n", "I");
    err_at("HTTP/1.1\r\n\r\n", "HTTP/1.1\r");
    err_at("HTTP/1.1\t200 OK\r\n\r\n", "HTTP/1.1\t");
    /* nothing may come before the status line, not even an empty line */
    err_at("\r\nHTTP/1.1 200 OK\r\n\r\n", "\r");
    err_at("\nHTTP/1.1 200 OK\r\n\r\n", "\n");
    err_at(" HTTP/1.1 200 OK\r\n\r\n", " ");
    /* a body (HTTP/0.9) */
    err_at("<html>\r\n", "<");
}

static void test_bad_status(void **state)
{
    err_at("HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 20 ");
    assert_reason("invalid status code");
    err_at("HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 2000");
    err_at("HTTP/1.1 200x\r\n\r\n", "HTTP/1.1 200x");
    err_at("HTTP/1.1 200\tOK\r\n\r\n", "HTTP/1.1 200\t");
    err_at("HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 0");
    err_at("HTTP/1.1 600 High\r\n\r\n", "HTTP/1.1 6");
    err_at("HTTP/1.1 999 High\r\n\r\n", "HTTP/1.1 9");
    err_at("HTTP/1.1 abc\r\n\r\n", "HTTP/1.1 a");
    err_at("HTTP/1.1 -20 OK\r\n\r\n", "HTTP/1.1 -");
    err_at("HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1  ");
    err_at("HTTP/1.1 2a0 OK\r\n\r\n", "HTTP/1.1 2a");
    err_at("HTTP/1.1 \r\n\r\n", "HTTP/1.1 \r");
    ERR_LIT("HTTP/1.1 2\0000 OK\r\n\r\n", 11);
    /* the reason: control bytes and bare CR */
    err_at("HTTP/1.1 200 O\x01K\r\n\r\n", "O\x01");
    assert_reason("invalid character in reason phrase");
    err_at("HTTP/1.1 200 O\x7fK\r\n\r\n", "O\x7f");
    ERR_LIT("HTTP/1.1 200 O\0K\r\n\r\n", 15);
    err_at("HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", "OK\rC");
    assert_reason("bare CR");
    err_at("HTTP/1.1 200\r\r\n\r\n", "200\r\r");
    /* the status parsed so far is kept for the log */
    err_at("HTTP/1.1 502 Bad\x02Gateway\r\n\r\n", "Bad\x02");
    assert_int_equal(g_r.status, 502);
}

/* ---- header fields ---- */

static void test_line_endings(void **state)
{
    ok("HTTP/1.1 200 OK\nContent-Length: 0\nX: y\n\n");
    assert_int_equal(g_r.num_headers, 2);
    assert_str(g_r.headers[1].value, "y");
    assert_int_equal(g_r.body, HTTP_BODY_LENGTH);
    ok("HTTP/1.1 200 OK\r\nContent-Length: 0\nX: y\r\n\n");
    assert_int_equal(g_r.num_headers, 2);

    err_at("HTTP/1.1 200 OK\r\nX: a\rY: b\r\n\r\n", "X: a\rY");
    err_at("HTTP/1.1 200 OK\r\nX: a\r\n\rY", "\r\n\rY");
    err_at("HTTP/1.1 200 OK\r\nX: a\r\n\r\r\n", "\r\n\r\r");
    err_at("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "a\rb");
    err_at("HTTP/1.1 200 OK\r\nX\r: a\r\n\r\n", "X\r");
}

static void test_header_syntax(void **state)
{
    ok("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Ows: \t \r\nX-Trim:  \t v a l \t \r\n"
       "x!#$%&'*+-.^_`|~09AZaz:1\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(g_r.num_headers, 5);
    assert_str(g_r.headers[0].name, "X-Empty");
    assert_str(g_r.headers[0].value, "");
    assert_str(g_r.headers[1].value, "");
    assert_str(g_r.headers[2].value, "v a l");
    assert_str(g_r.headers[3].name, "x!#$%&'*+-.^_`|~09AZaz");
    assert_str(g_r.headers[3].value, "1");

    /* no colon, whitespace before it, a name that is not a token */
    err_at("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "NoColon\r");
    assert_reason("invalid header name");
    err_at("HTTP/1.1 200 OK\r\nNoColon\n\n", "NoColon\n");
    err_at("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", "X ");
    assert_reason("whitespace before colon in header");
    err_at("HTTP/1.1 200 OK\r\nX\t: a\r\n\r\n", "X\t");
    err_at("HTTP/1.1 200 OK\r\n: a\r\n\r\n", "\r\n:");
    assert_reason("empty header name");
    err_at("HTTP/1.1 200 OK\r\nX(y: a\r\n\r\n", "X(");
    err_at("HTTP/1.1 200 OK\r\nX\xc3\xa9: a\r\n\r\n", "X\xc3");
    /* obs-fold, and whitespace before the first field */
    err_at("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "a\r\n ");
    assert_reason("header line starts with whitespace");
    err_at("HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n", "a\r\n\t");
    err_at("HTTP/1.1 200 OK\r\n Content-Length: 0\r\n\r\n", "OK\r\n ");
}

static void test_nul_anywhere(void **state)
{
    static const char base[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Y: zz\r\n\r\n";
    size_t n = sizeof(base) - 1;
    char s[sizeof(base)];
    /* a NUL in place of any byte of the head is refused as soon as seen
     * (in place of an LF, the CR before it is bare) */
    for (size_t k = 0; k < n; k++) {
        memcpy(s, base, n);
        s[k] = '\0';
        err_n(s, n, MAXH, false, k + 1);
    }
}

static void test_control_chars(void **state)
{
    static const char ctl[] = {1, 2, 8, 11, 12, 14, 27, 31, 127};
    for (size_t i = 0; i < sizeof(ctl); i++) {
        char s[64];
        int n = snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\nX: a%cb\r\n\r\n", ctl[i]);
        err_n(s, (size_t)n, MAXH, false, at(s, "X: a") + 1);
        n = snprintf(s, sizeof(s), "HTTP/1.1 200 O%cK\r\n\r\n", ctl[i]);
        err_n(s, (size_t)n, MAXH, false, at(s, "200 O") + 1);
    }
}

/* Long values and reasons (scanned in blocks): a bad byte at any offset is
 * found at that offset. */
static void test_long_runs(void **state)
{
    char s[512];
    static const char bad[] = {0, 1, 8, 13, 31, 127};
    for (size_t k = 0; k < 80; k++) {
        for (size_t b = 0; b < sizeof(bad); b++) {
            size_t v = (size_t)snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\nX: ");
            memset(s + v, 'v', 80);
            memcpy(s + v + 80, "\r\n\r\n", 4);
            s[v + k] = bad[b];
            /* a CR is found bare with the byte after it */
            err_n(s, v + 84, MAXH, false, v + k + (bad[b] == '\r' ? 2 : 1));
            memcpy(s, "HTTP/1.1 200 ", 13);
            memset(s + 13, 'r', 80);
            memcpy(s + 93, "\r\n\r\n", 4);
            s[13 + k] = bad[b];
            err_n(s, 97, MAXH, false, 13 + k + (bad[b] == '\r' ? 2 : 1));
        }
    }
}

static void test_find(void **state)
{
    ok("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nLOCATION: /x\r\nset-cookie: b=2\r\n"
       "Content-Length: 0\r\n\r\n");
    const struct http_header *h = http_resp_find(&g_r, "location", 8);
    assert_non_null(h);
    assert_str(h->value, "/x");
    h = http_resp_find(&g_r, "set-cookie", 10);
    assert_non_null(h);
    assert_str(h->value, "a=1");
    assert_null(http_resp_find(&g_r, "locatio", 7));
    assert_null(http_resp_find(&g_r, "etag", 4));
}

static void test_max_headers(void **state)
{
    char s[4096];
    size_t n = (size_t)snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
    for (int i = 1; i < HTTP_RESP_MAX_HEADERS; i++)
        n += (size_t)snprintf(s + n, sizeof(s) - n, "X-%d: v%d\r\n", i, i);
    memcpy(s + n, "\r\n", 3);
    ok_n(s, n + 2, MAXH, false, n + 2);
    assert_int_equal(g_r.num_headers, HTTP_RESP_MAX_HEADERS);
    const struct http_header *h = http_resp_find(&g_r, "x-99", 4);
    assert_non_null(h);
    assert_str(h->value, "v99");

    /* one more: refused at the first byte of the 101st field */
    memcpy(s + n, "Y: z\r\n\r\n", 9);
    err_n(s, n + 8, MAXH, false, n + 1);
    assert_reason("too many header fields");
    assert_int_equal(g_r.num_headers, HTTP_RESP_MAX_HEADERS);
    /* a bare CR there is still a bare CR */
    memcpy(s + n, "\rY", 3);
    err_n(s, n + 2, MAXH, false, n + 2);
    assert_reason("bare CR");
}

/* ---- framing ---- */

static void test_framing(void **state)
{
    static const struct {
        const char *s;
        bool head; /* the request was HEAD */
        enum http_body body;
        uint64_t cl;
        bool ka, up;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, HTTP_BODY_LENGTH, 5, true, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, HTTP_BODY_LENGTH, 0, true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, HTTP_BODY_CHUNKED, 0,
         true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: ChUnKeD\r\n\r\n", false, HTTP_BODY_CHUNKED, 0,
         true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked ,\r\n\r\n", false, HTTP_BODY_CHUNKED,
         0, true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n", false,
         HTTP_BODY_CHUNKED, 0, true, false},
        /* neither: until close, so the connection cannot be kept */
        {"HTTP/1.1 200 OK\r\n\r\n", false, HTTP_BODY_CLOSE, 0, false, false},
        {"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", false, HTTP_BODY_CLOSE, 0, false,
         false},
        /* HEAD: no body, whatever the fields say */
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, HTTP_BODY_NONE, 5, true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, HTTP_BODY_NONE, 0, true,
         false},
        {"HTTP/1.1 200 OK\r\n\r\n", true, HTTP_BODY_NONE, 0, true, false},
        {"HTTP/1.1 404 Not Found\r\n\r\n", true, HTTP_BODY_NONE, 0, true, false},
        /* 1xx, 204, 304: no body either */
        {"HTTP/1.1 100 Continue\r\n\r\n", false, HTTP_BODY_NONE, 0, true, false},
        {"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n", false,
         HTTP_BODY_NONE, 0, true, false},
        {"HTTP/1.1 204 No Content\r\n\r\n", false, HTTP_BODY_NONE, 0, true, false},
        {"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false, HTTP_BODY_NONE, 0, true,
         false},
        {"HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n\r\n", false, HTTP_BODY_NONE,
         1234, true, false},
        {"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", false,
         HTTP_BODY_NONE, 0, true, false},
        {"HTTP/1.1 304 Not Modified\r\n\r\n", false, HTTP_BODY_NONE, 0, true, false},
        /* other statuses are not special: 205 and 1xx neighbours */
        {"HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n", false, HTTP_BODY_LENGTH, 0,
         true, false},
        {"HTTP/1.1 200 OK\r\n\r\n", false, HTTP_BODY_CLOSE, 0, false, false},
        {"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n", false, HTTP_BODY_CHUNKED, 0,
         true, false},
        /* 101: the connection is handed over, not kept for another request */
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
         false, HTTP_BODY_NONE, 0, false, true},
        {"HTTP/1.1 101 Switching Protocols\r\nupgrade: , h2c\r\n\r\n", true, HTTP_BODY_NONE, 0,
         false, true},
        /* Upgrade with any other status is an offer, not a switch */
        {"HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.3\r\nContent-Length: 0\r\n\r\n",
         false, HTTP_BODY_LENGTH, 0, true, false},
        {"HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n", false,
         HTTP_BODY_LENGTH, 2, true, false},
        /* Content-Length: lists and repeats of one number */
        {"HTTP/1.1 200 OK\r\nContent-Length: 5, 5,5\r\n\r\n", false, HTTP_BODY_LENGTH, 5, true,
         false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", false,
         HTTP_BODY_LENGTH, 5, true, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 007\r\nContent-Length: 7\r\n\r\n", false,
         HTTP_BODY_LENGTH, 7, true, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387904\r\n\r\n", false,
         HTTP_BODY_LENGTH, UINT64_C(4611686018427387904), true, false},
        /* look-alike names are other fields: no framing from them */
        {"HTTP/1.1 200 OK\r\nTransfer_Encoding: chunked\r\nContent-Length: 3\r\n\r\n", false,
         HTTP_BODY_LENGTH, 3, true, false},
        {"HTTP/1.1 200 OK\r\nContent_Length: 3\r\nX-Connection: close\r\n\r\n", false,
         HTTP_BODY_CLOSE, 0, false, false},
        /* HTTP/1.0 */
        {"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", false, HTTP_BODY_LENGTH, 5, false,
         false},
        {"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n", false,
         HTTP_BODY_LENGTH, 5, true, false},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", false, HTTP_BODY_CLOSE, 0, false,
         false},
        {"HTTP/1.0 200 OK\r\n\r\n", false, HTTP_BODY_CLOSE, 0, false, false},
        {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", true, HTTP_BODY_NONE, 0, true,
         false},
        {"HTTP/1.0 304 Not Modified\r\n\r\n", false, HTTP_BODY_NONE, 0, false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok_n(cases[i].s, strlen(cases[i].s), MAXH, cases[i].head, strlen(cases[i].s));
        if (g_r.body != cases[i].body || g_r.content_length != cases[i].cl ||
            g_r.keep_alive != cases[i].ka || g_r.upgrade != cases[i].up)
            print_error("case %zu: \"%s\"\n", i, cases[i].s);
        assert_int_equal(g_r.body, cases[i].body);
        assert_int_equal(g_r.content_length, cases[i].cl);
        assert_int_equal(g_r.has_content_length, strstr(cases[i].s, "Content-Length") != NULL);
        assert_int_equal(g_r.keep_alive, cases[i].ka);
        assert_int_equal(g_r.upgrade, cases[i].up);
    }
}

/* The body after the head is not the head's: what follows is left alone. */
static void test_body_follows(void **state)
{
    ok_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "5\r\nhello");
    assert_int_equal(g_r.body, HTTP_BODY_CHUNKED);
    /* a HEAD response's Content-Length is not followed by a body */
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\n";
    ok_n(head, strlen(head), MAXH, true, at(head, "\r\n\r\n"));
    assert_int_equal(g_r.body, HTTP_BODY_NONE);
    assert_int_equal(g_r.content_length, 5);
    ok_body("HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200");
    assert_int_equal(g_r.body, HTTP_BODY_CLOSE);
    ok_body("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
            "\x81");
    assert_true(g_r.upgrade);
}

/* Interim responses come back one at a time; the caller loops. */
static void test_interim(void **state)
{
    const char *s = "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    size_t off = 0, n = strlen(s);
    static const int want[] = {100, 103, 200};
    for (size_t i = 0; i < 3; i++) {
        const char *b = place(s + off, n - off);
        long r = http_parse_response(b, n - off, MAXH, false, &g_r);
        assert_true(r > 0);
        assert_int_equal(g_r.status, want[i]);
        assert_int_equal(g_r.body, i < 2 ? HTTP_BODY_NONE : HTTP_BODY_LENGTH);
        off += (size_t)r;
    }
    assert_int_equal(n - off, 2);
    assert_str(g_r.headers[0].value, "2");
    /* and each on its own is split-invariant */
    ok_body(s, "HTTP/1.1 103");
    ok_body(s + at(s, "Continue\r\n\r\n"), "HTTP/1.1 200");
}

static void test_framing_errors(void **state)
{
    /* Transfer-Encoding with Content-Length, in any order, with any status */
    err_end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_reason("both Transfer-Encoding and Content-Length");
    assert_int_equal(g_r.status, 200);
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
    err_end("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
    err_end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nTransfer-Encoding: gzip\r\n\r\n");
    const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n";
    err_n(head, strlen(head), MAXH, true, strlen(head));
    /* two Content-Lengths that disagree: as soon as the second is complete */
    err_at("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\nX: y\r\n\r\n",
           "Length: 6\r\n");
    assert_reason("conflicting Content-Length");
    err_at("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "5, 6\r\n");
    err_at("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\n",
           "Length: 1\r\n");
    /* Content-Length that is not a number, or too large */
    static const char *bad[] = {
        "", "abc", "-1", "+5", "1 2", "0x10", "5,", ",5", "5;", "1.0", " , ",
        "4611686018427387905", "9223372036854775807", "18446744073709551616",
        "99999999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char s[256], sub[64];
        snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n", bad[i]);
        snprintf(sub, sizeof(sub), "Length: %s\r\n", bad[i]);
        err_at(s, sub);
        assert_reason("invalid Content-Length");
    }
    /* transfer codings other than one chunked */
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert_reason("unsupported transfer coding");
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n");
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n");
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedx\r\n\r\n");
    err_end("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n");
    assert_reason("empty Transfer-Encoding");
    err_end("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_reason("Transfer-Encoding in HTTP/1.0");
    /* 101 must say what it switches to */
    err_end("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n");
    assert_reason("101 without Upgrade");
    err_end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: ,\r\n\r\n");
}

static void test_keep_alive(void **state)
{
    static const struct {
        const char *s;
        bool ka;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: CLOSE\r\n\r\n", false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: te, Close\r\n\r\n", false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: x\r\nconnection: close\r\n\r\n",
         false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: closed\r\n\r\n", true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Connection: close\r\n\r\n", true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n\r\n", true},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", true},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: a ,Keep-Alive , b\r\n\r\n", true},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive, close\r\n\r\n", false},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alives\r\n\r\n", false},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n\r\n", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok(cases[i].s);
        if (g_r.keep_alive != cases[i].ka)
            print_error("case %zu\n", i);
        assert_int_equal(g_r.keep_alive, cases[i].ka);
    }
}

/* ---- limits ---- */

static void test_limit_head(void **state)
{
    const char *s = "HTTP/1.1 200 OK\r\nX-Long: 0123456789012345678901234567890\r\n"
                    "Content-Length: 10\r\n\r\n0123456789";
    size_t n = strlen(s), head = n - 10;
    /* head exactly max_head, body beyond it: fine */
    ok_n(s, n, head, false, head);
    ok_n(s, n, head + 1, false, head);
    /* one byte short: refused once max_head bytes are in, without waiting */
    err_n(s, n, head - 1, false, head - 1);
    assert_reason("response head too large");
    err_n(s, n, 30, false, 30);
    /* the status line alone is longer */
    err_n(s, n, 10, false, 10);
    assert_reason("status line too long");
    err_n(s, n, 16, false, 16); /* CR in, LF not */
    err_n(s, n, 17, false, 17);
    assert_reason("response head too large");
    err_n(s, n, 0, false, 0);
    /* an error seen before max_head wins */
    err_n("HTTP/1.1 20x OK\r\n\r\n", 19, 12, false, 12);
    assert_reason("invalid status code");
    /* a long header line */
    char big[9000];
    size_t k = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX: ");
    memset(big + k, 'a', 8000);
    memcpy(big + k + 8000, "\r\n\r\n", 5);
    ok_n(big, k + 8004, 8192, false, k + 8004);
    err_n(big, k + 8004, 4096, false, 4096);
}

/* A typical upstream response. */
static void test_realistic(void **state)
{
    const char *s = "HTTP/1.1 200 OK\r\n"
                    "Server: nginx/1.24.0\r\n"
                    "Date: Mon, 06 May 2024 10:00:00 GMT\r\n"
                    "Content-Type: application/json; charset=utf-8\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "Connection: keep-alive\r\n"
                    "Vary: Accept-Encoding\r\n"
                    "Set-Cookie: sid=abc; Path=/; HttpOnly\r\n"
                    "Cache-Control: no-store\r\n"
                    "\r\n"
                    "1a\r\n{\"ok\":true,\"items\":[1,2,3]}\r\n0\r\n\r\n";
    ok_body(s, "1a\r\n");
    assert_int_equal(g_r.num_headers, 8);
    assert_int_equal(g_r.body, HTTP_BODY_CHUNKED);
    assert_true(g_r.keep_alive);
    const struct http_header *h = http_resp_find(&g_r, "set-cookie", 10);
    assert_non_null(h);
    assert_str(h->value, "sid=abc; Path=/; HttpOnly");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_bad_status),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_header_syntax),
        cmocka_unit_test(test_nul_anywhere),
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_long_runs),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_max_headers),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_body_follows),
        cmocka_unit_test(test_interim),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_limit_head),
        cmocka_unit_test(test_realistic),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
