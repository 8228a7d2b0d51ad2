/* Tests for src/handlers/cgi_env.c: the CGI/1.1 environment builder.
 *
 * Each request is real: literal text parsed with http_parse_request, so
 * header names, values and the target are exactly what a client sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handlers/cgi_env.h"

#ifndef PORTICO_VERSION
#define PORTICO_VERSION "0"
#endif

static struct http_request_head g_h;
static char **g_env;

/* A typical input; tests change what they look at. */
static struct cgi_env_input base_input(void)
{
    return (struct cgi_env_input){
        .head = &g_h,
        .script_name = "/cgi-bin/app.py",
        .script_filename = "/srv/www/cgi-bin/app.py",
        .path_info = "",
        .document_root = "/srv/www",
        .server_name = "example.test",
        .server_port = 8080,
        .remote_addr = "192.0.2.7",
        .remote_port = 54321,
        .content_length = -1,
    };
}

static void parse(const char *req)
{
    long r = http_parse_request(req, strlen(req), 16384, &g_h);
    if (r != (long)strlen(req))
        print_error("parse of \"%s\": %ld (%d %s)\n", req, r, g_h.error_status,
                    g_h.error_reason ? g_h.error_reason : "");
    assert_int_equal(r, (long)strlen(req));
}

/* Parses req and builds its environment into g_env (freed by teardown). */
static void build(const char *req, struct cgi_env_input in)
{
    parse(req);
    free(g_env);
    g_env = cgi_env_build(&in);
    assert_non_null(g_env);
}

static int teardown(void **state)
{
    free(g_env);
    g_env = NULL;
    return 0;
}

static size_t env_count(void)
{
    size_t n = 0;
    while (g_env[n])
        n++;
    return n;
}

/* The value of name, NULL when absent; a name may appear only once. */
static const char *env_get(const char *name)
{
    size_t len = strlen(name);
    const char *found = NULL;
    for (size_t i = 0; g_env[i]; i++) {
        if (strncmp(g_env[i], name, len) == 0 && g_env[i][len] == '=') {
            if (found)
                print_error("%s appears twice\n", name);
            assert_null(found);
            found = g_env[i] + len + 1;
        }
    }
    return found;
}

static void assert_env(const char *name, const char *want)
{
    const char *got = env_get(name);
    if (!got || strcmp(got, want) != 0)
        print_error("%s: got %s%s%s, want \"%s\"\n", name, got ? "\"" : "", got ? got : "(absent)",
                    got ? "\"" : "", want);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void assert_no_env(const char *name)
{
    const char *got = env_get(name);
    if (got)
        print_error("%s should be absent, is \"%s\"\n", name, got);
    assert_null(got);
}

/* Every entry is NAME=value with a non-empty name of upper case letters,
 * digits and '_'. */
static void assert_well_formed(void)
{
    for (size_t i = 0; g_env[i]; i++) {
        const char *eq = strchr(g_env[i], '=');
        assert_non_null(eq);
        assert_true(eq > g_env[i]);
        for (const char *c = g_env[i]; c < eq; c++)
            assert_true((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_');
    }
}

static void test_every_variable(void **state)
{
    struct cgi_env_input in = base_input();
    in.path_info = "/a/b";
    build("GET /cgi-bin/app.py/a/b?x=1&y=%20 HTTP/1.1\r\n"
          "Host: example.test:8080\r\n"
          "User-Agent: curl/8\r\n"
          "Accept: */*\r\n"
          "\r\n",
          in);
    assert_well_formed();
    assert_env("GATEWAY_INTERFACE", "CGI/1.1");
    assert_env("SERVER_SOFTWARE", "portico/" PORTICO_VERSION);
    assert_env("SERVER_NAME", "example.test");
    assert_env("SERVER_PORT", "8080");
    assert_env("SERVER_PROTOCOL", "HTTP/1.1");
    assert_env("REQUEST_METHOD", "GET");
    assert_env("REQUEST_URI", "/cgi-bin/app.py/a/b?x=1&y=%20");
    assert_env("SCRIPT_NAME", "/cgi-bin/app.py");
    assert_env("SCRIPT_FILENAME", "/srv/www/cgi-bin/app.py");
    assert_env("PATH_INFO", "/a/b");
    assert_env("PATH_TRANSLATED", "/srv/www/a/b");
    assert_env("QUERY_STRING", "x=1&y=%20");
    assert_env("DOCUMENT_ROOT", "/srv/www");
    assert_env("REMOTE_ADDR", "192.0.2.7");
    assert_env("REMOTE_PORT", "54321");
    assert_no_env("CONTENT_TYPE");
    assert_no_env("CONTENT_LENGTH");
    assert_env("REDIRECT_STATUS", "200");
    assert_env("PATH", "/usr/local/bin:/usr/bin:/bin");
    assert_env("HTTP_HOST", "example.test:8080");
    assert_env("HTTP_USER_AGENT", "curl/8");
    assert_env("HTTP_ACCEPT", "*/*");
    assert_env("REQUEST_SCHEME", "http");
    assert_no_env("HTTPS");
    /* nothing else: 17 always there, PATH_TRANSLATED, 3 headers */
    assert_int_equal(env_count(), 21);
    assert_null(g_env[21]);
}

static void test_path_info(void **state)
{
    struct cgi_env_input in = base_input();
    /* none: PATH_INFO empty, no PATH_TRANSLATED */
    build("GET /cgi-bin/app.py HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("PATH_INFO", "");
    assert_no_env("PATH_TRANSLATED");
    /* NULL is taken as none */
    in.path_info = NULL;
    build("GET /cgi-bin/app.py HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("PATH_INFO", "");
    assert_no_env("PATH_TRANSLATED");
    /* a root ending in '/' does not double the slash */
    in.path_info = "/x/y.txt";
    in.document_root = "/srv/www/";
    build("GET /cgi-bin/app.py/x/y.txt HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("PATH_INFO", "/x/y.txt");
    assert_env("PATH_TRANSLATED", "/srv/www/x/y.txt");
    assert_env("DOCUMENT_ROOT", "/srv/www/");
    /* a lone slash */
    in.path_info = "/";
    in.document_root = "/srv/www";
    build("GET /cgi-bin/app.py/ HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("PATH_INFO", "/");
    assert_env("PATH_TRANSLATED", "/srv/www/");
}

static void test_query_string(void **state)
{
    struct cgi_env_input in = base_input();
    build("GET /cgi-bin/app.py HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("QUERY_STRING", "");
    assert_env("REQUEST_URI", "/cgi-bin/app.py");
    build("GET /cgi-bin/app.py? HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("QUERY_STRING", "");
    assert_env("REQUEST_URI", "/cgi-bin/app.py?");
    /* raw: not decoded, '+' kept, '?' inside kept */
    build("GET /cgi-bin/app.py?a=%41+b&c=?d HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("QUERY_STRING", "a=%41+b&c=?d");
    /* absolute-form: the raw target, query after '?' */
    build("GET http://example.test/cgi-bin/app.py?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", in);
    assert_env("REQUEST_URI", "http://example.test/cgi-bin/app.py?q=1");
    assert_env("QUERY_STRING", "q=1");
}

static void test_protocol_and_method(void **state)
{
    struct cgi_env_input in = base_input();
    build("HEAD /cgi-bin/app.py HTTP/1.0\r\n\r\n", in);
    assert_env("SERVER_PROTOCOL", "HTTP/1.0");
    assert_env("REQUEST_METHOD", "HEAD");
    assert_no_env("HTTP_HOST");
    in.content_length = 3;
    build("POST /cgi-bin/app.py HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", in);
    assert_env("SERVER_PROTOCOL", "HTTP/1.1");
    assert_env("REQUEST_METHOD", "POST");
}

static void test_ports(void **state)
{
    struct cgi_env_input in = base_input();
    in.server_port = 65535;
    in.remote_port = 0;
    build("GET / HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("SERVER_PORT", "65535");
    assert_env("REMOTE_PORT", "0");
    in.server_port = 80;
    in.remote_addr = "::1";
    build("GET / HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("SERVER_PORT", "80");
    assert_env("REMOTE_ADDR", "::1");
}

static void test_http_mapping(void **state)
{
    struct cgi_env_input in = base_input();
    build("GET / HTTP/1.1\r\n"
          "Host: a\r\n"
          "x-custom-HEADER: one\r\n"
          "Accept-Language: en\r\n"
          "X-1: digits ok\r\n"
          "X-Empty:\r\n"
          "X-Spaces:   inner  space   \r\n"
          "DNT: 1\r\n"
          "\r\n",
          in);
    assert_env("HTTP_X_CUSTOM_HEADER", "one");
    assert_env("HTTP_ACCEPT_LANGUAGE", "en");
    assert_env("HTTP_X_1", "digits ok");
    assert_env("HTTP_X_EMPTY", "");
    assert_env("HTTP_X_SPACES", "inner  space");
    assert_env("HTTP_DNT", "1");
    assert_env("HTTP_HOST", "a");
    assert_well_formed();
}

static void test_repeated_headers(void **state)
{
    struct cgi_env_input in = base_input();
    build("GET / HTTP/1.1\r\n"
          "Accept: text/html\r\n"
          "Host: a\r\n"
          "X-Forwarded-For: 10.0.0.1\r\n"
          "accept: text/plain\r\n"
          "Cookie: a=1\r\n"
          "ACCEPT: */*\r\n"
          "x-forwarded-for: 10.0.0.2\r\n"
          "Cookie: b=2\r\n"
          "\r\n",
          in);
    assert_env("HTTP_ACCEPT", "text/html, text/plain, */*");
    assert_env("HTTP_X_FORWARDED_FOR", "10.0.0.1, 10.0.0.2");
    assert_env("HTTP_COOKIE", "a=1, b=2");
    assert_env("HTTP_HOST", "a");
    /* 17 always there (no PATH_TRANSLATED, CONTENT_*), 4 distinct headers */
    assert_int_equal(env_count(), 17 + 4);
    /* an empty value still takes its place in the list */
    build("GET / HTTP/1.1\r\nHost: a\r\nX-L: 1\r\nX-L:\r\nX-L: 3\r\n\r\n", in);
    assert_env("HTTP_X_L", "1, , 3");
}

static void test_excluded_headers(void **state)
{
    struct cgi_env_input in = base_input();
    in.content_length = 5;
    build("POST /cgi-bin/app.py HTTP/1.1\r\n"
          "Host: a\r\n"
          "Content-Type: application/x-www-form-urlencoded\r\n"
          "Content-Length: 5\r\n"
          "Proxy: http://evil.test:3128\r\n"
          "X_Under: dropped\r\n"
          "X.Dot: dropped\r\n"
          "X+Plus: dropped\r\n"
          "Proxy-Authorization: Basic eA==\r\n"
          "\r\n",
          in);
    assert_env("CONTENT_TYPE", "application/x-www-form-urlencoded");
    assert_env("CONTENT_LENGTH", "5");
    assert_no_env("HTTP_CONTENT_TYPE");
    assert_no_env("HTTP_CONTENT_LENGTH");
    assert_no_env("HTTP_PROXY");
    assert_no_env("HTTP_X_UNDER");
    assert_no_env("HTTP_X_DOT");
    assert_no_env("HTTP_X_PLUS");
    /* only the exact name Proxy is refused */
    assert_env("HTTP_PROXY_AUTHORIZATION", "Basic eA==");
    assert_well_formed();
    for (size_t i = 0; g_env[i]; i++)
        assert_null(strstr(g_env[i], "dropped"));
    /* Proxy in any case */
    build("GET / HTTP/1.1\r\nHost: a\r\nPROXY: x\r\nproxy: y\r\n\r\n", in);
    assert_no_env("HTTP_PROXY");
    /* an underscore header cannot shadow the dashed one */
    build("GET / HTTP/1.1\r\nHost: a\r\nX-Real-IP: 1.2.3.4\r\nX_Real_IP: 6.6.6.6\r\n\r\n", in);
    assert_env("HTTP_X_REAL_IP", "1.2.3.4");
}

static void test_content_length(void **state)
{
    struct cgi_env_input in = base_input();
    const char *req = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    /* -1: no body, no variable */
    build(req, in);
    assert_no_env("CONTENT_LENGTH");
    assert_no_env("CONTENT_TYPE");
    /* 0 is a length */
    in.content_length = 0;
    build(req, in);
    assert_env("CONTENT_LENGTH", "0");
    /* what the server says, not the header (a decoded chunked body) */
    in.content_length = 1048576;
    build(req, in);
    assert_env("CONTENT_LENGTH", "1048576");
    assert_env("HTTP_TRANSFER_ENCODING", "chunked");
    in.content_length = INT64_MAX;
    build(req, in);
    assert_env("CONTENT_LENGTH", "9223372036854775807");
    /* an empty Content-Type is still given */
    in.content_length = 0;
    build("POST / HTTP/1.1\r\nHost: a\r\nContent-Type:\r\nContent-Length: 0\r\n\r\n", in);
    assert_env("CONTENT_TYPE", "");
    assert_env("CONTENT_LENGTH", "0");
}

static void test_terminator_and_block(void **state)
{
    struct cgi_env_input in = base_input();
    in.path_info = "/p";
    in.content_length = 2;
    build("POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Type: t/t\r\nContent-Length: 2\r\n\r\n", in);
    size_t n = env_count();
    assert_int_equal(n, 17 + 3 + 1); /* PATH_TRANSLATED, CONTENT_*, HTTP_HOST */
    assert_null(g_env[n]);
    /* one block: the strings follow the vector, in order, back to back */
    char *first = (char *)&g_env[n + 1];
    assert_ptr_equal(g_env[0], first);
    for (size_t i = 1; i < n; i++)
        assert_ptr_equal(g_env[i], g_env[i - 1] + strlen(g_env[i - 1]) + 1);
}

static void test_many_headers(void **state)
{
    /* HTTP_MAX_HEADERS headers: Host and 99 others, 49 of them repeats */
    static char req[16384];
    size_t len = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS - 1; i++)
        len += (size_t)snprintf(req + len, sizeof(req) - len, "X-H%d: v%d\r\n", i % 50, i);
    len += (size_t)snprintf(req + len, sizeof(req) - len, "\r\n");
    assert_true(len < sizeof(req));
    struct cgi_env_input in = base_input();
    build(req, in);
    assert_int_equal(env_count(), 17 + 1 + 50);
    assert_env("HTTP_X_H0", "v0, v50");
    assert_env("HTTP_X_H48", "v48, v98");
    assert_env("HTTP_X_H49", "v49");
}

/* REQUEST_SCHEME always; HTTPS=on only over TLS (as Apache and nginx). */
static void test_scheme(void **state)
{
    struct cgi_env_input in = base_input();
    build("GET /cgi-bin/app.py HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("REQUEST_SCHEME", "http");
    assert_no_env("HTTPS");
    size_t plain = env_count();
    assert_well_formed();

    in.https = true;
    build("GET /cgi-bin/app.py HTTP/1.1\r\nHost: a\r\n\r\n", in);
    assert_env("REQUEST_SCHEME", "https");
    assert_env("HTTPS", "on");
    assert_int_equal(env_count(), plain + 1);
    assert_well_formed();
    /* a client header cannot pose as either */
    in.https = false;
    build("GET / HTTP/1.1\r\nHost: a\r\nHTTPS: on\r\nRequest-Scheme: https\r\n\r\n", in);
    assert_no_env("HTTPS");
    assert_env("REQUEST_SCHEME", "http");
    assert_env("HTTP_HTTPS", "on");
    assert_env("HTTP_REQUEST_SCHEME", "https");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_every_variable, teardown),
        cmocka_unit_test_teardown(test_path_info, teardown),
        cmocka_unit_test_teardown(test_query_string, teardown),
        cmocka_unit_test_teardown(test_protocol_and_method, teardown),
        cmocka_unit_test_teardown(test_ports, teardown),
        cmocka_unit_test_teardown(test_http_mapping, teardown),
        cmocka_unit_test_teardown(test_repeated_headers, teardown),
        cmocka_unit_test_teardown(test_excluded_headers, teardown),
        cmocka_unit_test_teardown(test_content_length, teardown),
        cmocka_unit_test_teardown(test_terminator_and_block, teardown),
        cmocka_unit_test_teardown(test_many_headers, teardown),
        cmocka_unit_test_teardown(test_scheme, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
