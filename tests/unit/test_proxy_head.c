/* Tests for src/handlers/proxy_head.c: the request head the proxy sends
 * upstream (CONFIG.md, "What handlers answer", proxy).
 *
 * Each client request is parsed with the server's own parser, rewritten,
 * and the result parsed back: it must be a valid head (one Host, framing
 * that agrees with the body) with exactly the headers CONFIG.md promises:
 * no hop-by-hop ones (Connection and what it names, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade unless a
 * WebSocket is passed), X-Forwarded-For/-Proto/-Host, Host as `host:`
 * says, set_headers applied, and the target rewritten when `to` has a
 * path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handlers/proxy_head.h"

#define CLIENT_IP "192.0.2.7"
#define UPSTREAM "10.0.0.1:9001"

static struct proxy_settings g_ps;      /* the location's proxy settings */
static struct http_request_head g_req;  /* the client's request */
static struct proxy_head_in g_in;
static struct strbuf g_out;             /* the head sent upstream */
static struct http_request_head g_sent; /* ... parsed back */

static int setup(void **state)
{
    memset(&g_ps, 0, sizeof(g_ps));
    g_ps.host = PROXY_HOST_CLIENT;
    g_ps.websocket = true;
    memset(&g_in, 0, sizeof(g_in));
    g_in.head = &g_req;
    g_in.ps = &g_ps;
    g_in.prefix_len = 1;
    g_in.client_ip = CLIENT_IP;
    g_in.upstream_text = UPSTREAM;
    return 0;
}

static int teardown(void **state)
{
    strbuf_free(&g_out);
    return 0;
}

/* The client's request: raw (which must outlive the test) parsed whole.
 * The decoded path defaults to the raw one. */
static void request(const char *raw)
{
    long n = http_parse_request(raw, strlen(raw), 1 << 20, &g_req);
    if (n != (long)strlen(raw))
        fail_msg("request not parsed (%ld, %s): %s", n, g_req.error_reason, raw);
    g_in.path = g_req.path.p;
    g_in.path_len = g_req.path.len;
}

/* The head for the upstream, as text. */
static const char *rewrite(void)
{
    strbuf_free(&g_out);
    proxy_head_write(&g_out, &g_in);
    assert_false(g_out.failed);
    assert_non_null(g_out.p);
    return g_out.p;
}

/* The same, which must parse back whole as a valid request head. */
static const char *forward(void)
{
    rewrite();
    long n = http_parse_request(g_out.p, g_out.len, 1 << 20, &g_sent);
    if (n != (long)g_out.len)
        fail_msg("sent head does not parse (%ld, %s):\n%s", n, g_sent.error_reason, g_out.p);
    assert_int_equal(g_sent.minor_version, 1);
    return g_out.p;
}

/* How many headers named name (any case) were sent. */
static size_t n_sent(const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < g_sent.num_headers; i++)
        n += g_sent.headers[i].name.len == strlen(name) &&
             ascii_case_eq(g_sent.headers[i].name.p, name, strlen(name));
    return n;
}

/* Exactly one header named name was sent, with this value. */
static void assert_sent(const char *name, const char *value)
{
    if (n_sent(name) != 1)
        fail_msg("%zu headers %s sent, want 1:\n%s", n_sent(name), name, g_out.p);
    for (size_t i = 0; i < g_sent.num_headers; i++) {
        const struct http_header *h = &g_sent.headers[i];
        if (h->name.len == strlen(name) && ascii_case_eq(h->name.p, name, strlen(name)) &&
            !str_eq(h->value, value, strlen(value)))
            fail_msg("%s: want \"%s\", got \"%.*s\"", name, value, (int)h->value.len, h->value.p);
    }
}

static void assert_not_sent(const char *name)
{
    if (n_sent(name))
        fail_msg("%s was sent:\n%s", name, g_out.p);
}

static void assert_target(const char *want)
{
    if (!str_eq(g_sent.target, want, strlen(want)))
        fail_msg("target: want \"%s\", got \"%.*s\"", want, (int)g_sent.target.len,
                 g_sent.target.p);
}

static void test_plain_get(void **state)
{
    request("GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
    assert_string_equal(forward(), "GET /a/b?x=1 HTTP/1.1\r\n"
                                   "Host: example.com\r\n"
                                   "Accept: */*\r\n"
                                   "X-Forwarded-For: " CLIENT_IP "\r\n"
                                   "X-Forwarded-Proto: http\r\n"
                                   "X-Forwarded-Host: example.com\r\n"
                                   "\r\n");
}

/* Method and the other headers as the client sent them, in order; an
 * HTTP/1.0 request goes out as HTTP/1.1. */
static void test_method_and_order(void **state)
{
    request("DELETE /item/3 HTTP/1.0\r\nHost: h\r\nX-B: 2\r\nx-a: 1\r\nX-B: 3\r\n\r\n");
    forward();
    assert_int_equal(g_sent.method, HTTP_DELETE);
    assert_int_equal(g_sent.num_headers, 3 + 4);
    static const char *const want[][2] = {{"X-B", "2"}, {"x-a", "1"}, {"X-B", "3"}};
    for (size_t i = 0; i < 3; i++) {
        const struct http_header *h = &g_sent.headers[1 + i];
        assert_true(str_eq(h->name, want[i][0], 3) && str_eq(h->value, want[i][1], 1));
    }
}

static void test_hop_by_hop_dropped(void **state)
{
    request("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
            "Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Sum\r\n"
            "Upgrade: h2c\r\nAccept: text/html\r\nX-Kept: yes\r\n\r\n");
    g_in.websocket = false; /* not a WebSocket: the handler says so */
    forward();
    assert_not_sent("Connection");
    assert_not_sent("Keep-Alive");
    assert_not_sent("Proxy-Connection");
    assert_not_sent("TE");
    assert_not_sent("Trailer");
    assert_not_sent("Upgrade");
    assert_sent("Accept", "text/html");
    assert_sent("X-Kept", "yes");
}

/* What Connection names goes, whatever the case, spaces and empty list
 * items, over several Connection lines; a longer or shorter name stays. */
static void test_connection_names(void **state)
{
    request("GET / HTTP/1.1\r\nHost: h\r\nConnection: x-a , X-B,, \t x-c\r\n"
            "connection: X-D\r\nX-A: 1\r\nx-b: 2\r\nX-C: 3\r\nX-d: 4\r\n"
            "X-AB: 5\r\nX-: 6\r\nX-E: 7\r\n\r\n");
    forward();
    assert_not_sent("X-A");
    assert_not_sent("X-B");
    assert_not_sent("X-C");
    assert_not_sent("X-D");
    assert_not_sent("Connection");
    assert_sent("X-AB", "5");
    assert_sent("X-", "6");
    assert_sent("X-E", "7");
}

/* Tokens naming no header, an empty Connection: nothing else goes. */
static void test_connection_odd_values(void **state)
{
    request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close, foo, ,bar-baz\r\nConnection:\r\n"
            "Connection: ,\r\nX-A: 1\r\nX-Foo: 2\r\n\r\n");
    forward();
    assert_not_sent("Connection");
    assert_sent("X-A", "1");
    assert_sent("X-Foo", "2");
    assert_int_equal(g_sent.num_headers, 1 + 2 + 3);
}

/* A WebSocket passed on: Upgrade and Connection: upgrade go upstream, and
 * what else the client's Connection named still does not. */
static void test_websocket_passed(void **state)
{
    request("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade, X-Hop\r\n"
            "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nX-Hop: 1\r\n\r\n");
    g_in.websocket = true;
    forward();
    assert_sent("Upgrade", "websocket");
    assert_sent("Connection", "upgrade");
    assert_sent("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    assert_sent("Sec-WebSocket-Version", "13");
    assert_not_sent("X-Hop");
}

static void test_websocket_off(void **state)
{
    request("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n");
    g_ps.websocket = false;
    g_in.websocket = false;
    forward();
    assert_not_sent("Upgrade");
    assert_not_sent("Connection");
    assert_sent("Sec-WebSocket-Version", "13");
}

static void test_x_forwarded_for(void **state)
{
    request("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
    forward();
    assert_sent("X-Forwarded-For", "203.0.113.9, " CLIENT_IP);

    request("GET / HTTP/1.1\r\nHost: h\r\nx-forwarded-for: 203.0.113.9, 198.51.100.2\r\n\r\n");
    forward();
    assert_sent("X-Forwarded-For", "203.0.113.9, 198.51.100.2, " CLIENT_IP);

    request("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For:\r\n\r\n");
    forward();
    assert_sent("X-Forwarded-For", CLIENT_IP);

    g_in.client_ip = "2001:db8::1";
    request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    forward();
    assert_sent("X-Forwarded-For", "2001:db8::1");
}

/* Several X-Forwarded-For lines are one list (RFC 9110 5.3): all of it,
 * in order, before the client. */
static void test_x_forwarded_for_lines(void **state)
{
    request("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\nX-A: 1\r\n"
            "X-Forwarded-For: 198.51.100.2, 198.51.100.3\r\n\r\n");
    forward();
    assert_sent("X-Forwarded-For", "203.0.113.9, 198.51.100.2, 198.51.100.3, " CLIENT_IP);
}

/* The client's own X-Forwarded-Proto/-Host are replaced, not passed on. */
static void test_x_forwarded_proto_host(void **state)
{
    request("GET / HTTP/1.1\r\nHost: Example.COM:8080\r\nX-Forwarded-Proto: https\r\n"
            "X-Forwarded-Host: evil.example\r\n\r\n");
    forward();
    assert_sent("X-Forwarded-Proto", "http");
    assert_sent("X-Forwarded-Host", "Example.COM:8080");
    g_in.https = true;
    forward();
    assert_sent("X-Forwarded-Proto", "https");
}

static void test_host_modes(void **state)
{
    request("GET / HTTP/1.1\r\nHost: Example.com:8080\r\n\r\n");
    forward();
    assert_sent("Host", "Example.com:8080");
    g_ps.host = PROXY_HOST_UPSTREAM;
    forward();
    assert_sent("Host", UPSTREAM);
    assert_sent("X-Forwarded-Host", "Example.com:8080");
    g_ps.host = PROXY_HOST_LITERAL;
    g_ps.host_literal = "api.internal";
    forward();
    assert_sent("Host", "api.internal");
}

/* An absolute-form target: its authority is the Host, and the target
 * goes out in origin-form. */
static void test_absolute_form(void **state)
{
    request("GET http://abs.example:81/p?q HTTP/1.1\r\nHost: other\r\n\r\n");
    forward();
    assert_sent("Host", "abs.example:81");
    assert_sent("X-Forwarded-Host", "abs.example:81");
    assert_target("/p?q");
}

/* An HTTP/1.0 request without Host: the upstream's host:port, and no
 * X-Forwarded-Host. */
static void test_no_client_host(void **state)
{
    request("GET /x HTTP/1.0\r\nAccept: */*\r\n\r\n");
    forward();
    assert_sent("Host", UPSTREAM);
    assert_not_sent("X-Forwarded-Host");
}

/* Whatever the parsed headers hold (the parser refuses a second Host, a
 * head built otherwise might not), exactly one Host goes out. */
static void test_duplicate_host(void **state)
{
    static const char twice[] = "GET / HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\n\r\n";
    assert_int_equal(http_parse_request(twice, sizeof(twice) - 1, 4096, &g_req), HTTP_PARSE_ERROR);
    request("GET / HTTP/1.1\r\nHost: a.example\r\nX-A: 1\r\n\r\n");
    g_req.headers[g_req.num_headers++] =
        (struct http_header){STR_LIT("HOST"), STR_LIT("b.example")};
    forward();
    assert_sent("Host", "a.example");
    assert_sent("X-A", "1");
}

static void test_set_headers(void **state)
{
    struct proxy_header set[] = {{"X-Env", "prod"}, {"x-debug", ""}, {"User-Agent", "portico"},
                                 {"X-Absent", ""}, {"X-New", "1"}};
    g_ps.set_headers = set;
    g_ps.n_set_headers = 5;
    request("GET / HTTP/1.1\r\nHost: h\r\nX-ENV: dev\r\nX-Debug: 1\r\nuser-agent: curl\r\n"
            "X-Other: o\r\n\r\n");
    forward();
    assert_sent("X-Env", "prod");
    assert_not_sent("X-Debug");
    assert_sent("User-Agent", "portico");
    assert_not_sent("X-Absent");
    assert_sent("X-New", "1");
    assert_sent("X-Other", "o");
}

/* set_headers takes the place of a generated X-Forwarded-* header (Proto
 * https behind a TLS terminator), and "" sends none. */
static void test_set_headers_forwarded(void **state)
{
    struct proxy_header set[] = {{"X-Forwarded-Proto", "https"}, {"x-forwarded-for", ""},
                                 {"X-Forwarded-Host", "www.example"}};
    g_ps.set_headers = set;
    g_ps.n_set_headers = 3;
    request("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
    forward();
    assert_sent("X-Forwarded-Proto", "https");
    assert_not_sent("X-Forwarded-For");
    assert_sent("X-Forwarded-Host", "www.example");
}

/* Only a GET whose Upgrade is websocket and whose Connection names upgrade
 * opens a WebSocket (RFC 6455 4.1). */
static void test_is_websocket(void **state)
{
    static const struct {
        const char *raw;
        bool want;
    } cases[] = {
        {"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", true},
        {"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, upgrade\r\nUpgrade: WebSocket\r\n\r\n",
         true},
        {"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", false},
        {"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n\r\n", false},
        {"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", false},
        {"POST /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
         "Content-Length: 0\r\n\r\n", false},
        {"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgraded\r\nUpgrade: websocket\r\n\r\n", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        request(cases[i].raw);
        if (proxy_head_is_websocket(&g_req) != cases[i].want)
            fail_msg("want %s for:\n%s", cases[i].want ? "a WebSocket" : "none", cases[i].raw);
    }
}

/* `to` with a path: it replaces the location prefix in the decoded,
 * normalised path (re-encoded), the query kept as sent. */
static void check_rewrite(const char *raw, const char *path, const char *prefix, const char *to,
                          const char *want)
{
    request(raw);
    g_in.path = path;
    g_in.path_len = strlen(path);
    g_in.prefix_len = strlen(prefix);
    g_ps.path = to;
    forward();
    assert_target(want);
}

static void test_target_rewrite(void **state)
{
    check_rewrite("GET /v2/a?q HTTP/1.1\r\nHost: h\r\n\r\n", "/v2/a", "/v2/", "/internal/",
                  "/internal/a?q");
    check_rewrite("GET /v2/ HTTP/1.1\r\nHost: h\r\n\r\n", "/v2/", "/v2/", "/internal/",
                  "/internal/");
    check_rewrite("GET /v2/x/y?a=1&b=%20 HTTP/1.1\r\nHost: h\r\n\r\n", "/v2/x/y", "/v2",
                  "/internal", "/internal/x/y?a=1&b=%20");
    check_rewrite("GET /v2/a%20b HTTP/1.1\r\nHost: h\r\n\r\n", "/v2/a b", "/v2/", "/internal/",
                  "/internal/a%20b");
    check_rewrite("GET /v2/a? HTTP/1.1\r\nHost: h\r\n\r\n", "/v2/a", "/v2/", "/", "/a?");
    /* A location without its slash, a path with one: one slash where they meet. */
    check_rewrite("GET /v2/a HTTP/1.1\r\nHost: h\r\n\r\n", "/v2/a", "/v2", "/internal/",
                  "/internal/a");
    check_rewrite("GET /v2/a/b HTTP/1.1\r\nHost: h\r\n\r\n", "/v2/a/b", "/v2", "/", "/a/b");
}

/* No path in `to`: the original target, byte for byte. */
static void test_target_unchanged(void **state)
{
    request("GET /v2/a%2Fb//c/../d?x=%41&y HTTP/1.1\r\nHost: h\r\n\r\n");
    g_in.path = "/v2/a/b/d";
    g_in.path_len = strlen(g_in.path);
    g_in.prefix_len = 4;
    forward();
    assert_target("/v2/a%2Fb//c/../d?x=%41&y");
}

/* Content-Length kept; a chunked body goes on chunked (and never with a
 * Content-Length); no body, no framing header. */
static void test_body_framing(void **state)
{
    request("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
    forward();
    assert_sent("Content-Length", "5");
    assert_not_sent("Transfer-Encoding");
    assert_int_equal(g_sent.content_length, 5);

    request("POST /f HTTP/1.1\r\nHost: h\r\ncontent-length: 0\r\n\r\n");
    forward();
    assert_sent("Content-Length", "0");

    request("POST /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    forward();
    assert_sent("Transfer-Encoding", "chunked");
    assert_not_sent("Content-Length");
    assert_true(g_sent.chunked);

    request("GET /f HTTP/1.1\r\nHost: h\r\n\r\n");
    forward();
    assert_not_sent("Content-Length");
    assert_not_sent("Transfer-Encoding");
}

/* An empty header value passes on as an empty value. */
static void test_empty_values(void **state)
{
    request("GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Blank:   \r\nX-A: 1\r\n\r\n");
    forward();
    assert_sent("X-Empty", "");
    assert_sent("X-Blank", "");
    assert_sent("X-A", "1");
}

/* As many headers as the parser takes: every one passed on, in order. */
static void test_many_headers(void **state)
{
    static char raw[8192];
    size_t n = (size_t)snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS - 1; i++)
        n += (size_t)snprintf(raw + n, sizeof(raw) - n, "X-H%d: v%d\r\n", i, i);
    snprintf(raw + n, sizeof(raw) - n, "\r\n");
    request(raw);
    assert_int_equal(g_req.num_headers, HTTP_MAX_HEADERS);
    const char *out = rewrite();
    const char *at = out;
    for (int i = 0; i < HTTP_MAX_HEADERS - 1; i++) {
        char line[64];
        snprintf(line, sizeof(line), "\r\nX-H%d: v%d\r\n", i, i);
        const char *next = strstr(at, line);
        if (!next)
            fail_msg("X-H%d missing or out of order", i);
        at = next + 1;
    }
    assert_non_null(strstr(out, "\r\nX-Forwarded-For: " CLIENT_IP "\r\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hop_by_hop_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_odd_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_websocket_passed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_websocket_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x_forwarded_for, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x_forwarded_for_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x_forwarded_proto_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absolute_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_client_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_headers_forwarded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_is_websocket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_rewrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_headers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
