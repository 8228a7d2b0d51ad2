/* The response head writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_response.h"

static const char date[] = "Wed, 25 Nov 2026 20:00:00 GMT";

static void test_full_head(void **state)
{
    (void)state;
    char buf[512];
    struct http_response_head h = {
        .status = 200, .date = date, .content_type = "text/html", .charset = "utf-8",
        .content_length = 1234, .keep_alive = true,
        .extra = "Last-Modified: x\r\n", .extra_len = 18,
    };
    size_t n = http_response_head_write(buf, sizeof(buf), &h);
    buf[n] = '\0';
    assert_string_equal(buf, "HTTP/1.1 200 OK\r\n"
                             "Server: portico/" PORTICO_VERSION "\r\n"
                             "Date: Wed, 25 Nov 2026 20:00:00 GMT\r\n"
                             "Content-Type: text/html; charset=utf-8\r\n"
                             "Content-Length: 1234\r\n"
                             "Connection: keep-alive\r\n"
                             "Last-Modified: x\r\n"
                             "\r\n");
}

static void test_no_type_no_length_close(void **state)
{
    (void)state;
    char buf[512];
    struct http_response_head h = {.status = 304, .date = date, .content_length = -1};
    size_t n = http_response_head_write(buf, sizeof(buf), &h);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "HTTP/1.1 304 Not Modified\r\n"));
    assert_null(strstr(buf, "Content-Length"));
    assert_null(strstr(buf, "Content-Type"));
    assert_non_null(strstr(buf, "Connection: close\r\n\r\n"));
}

static void test_charset(void **state)
{
    (void)state;
    char buf[512];
    struct http_response_head h = {.status = 200, .date = date, .content_type = "text/css",
                                   .content_length = 0};
    size_t n = http_response_head_write(buf, sizeof(buf), &h);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\r\nContent-Type: text/css\r\n"));
    h.charset = "koi8-r";
    n = http_response_head_write(buf, sizeof(buf), &h);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\r\nContent-Type: text/css; charset=koi8-r\r\n"));
    /* no type, no charset */
    h.content_type = NULL;
    n = http_response_head_write(buf, sizeof(buf), &h);
    buf[n] = '\0';
    assert_null(strstr(buf, "charset"));
    /* the charset counts towards the room */
    h.content_type = "text/css";
    size_t full = http_response_head_write(buf, sizeof(buf), &h);
    assert_int_equal(http_response_head_write(buf, full - 1, &h), 0);
}

static void test_overflow_returns_zero(void **state)
{
    (void)state;
    char buf[512];
    struct http_response_head h = {.status = 404, .date = date, .content_length = 0};
    size_t full = http_response_head_write(buf, sizeof(buf), &h);
    assert_true(full > 0);
    for (size_t cap = 0; cap < full; cap++)
        assert_int_equal(http_response_head_write(buf, cap, &h), 0);
    assert_int_equal(http_response_head_write(buf, full, &h), full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_head),
        cmocka_unit_test(test_no_type_no_length_close),
        cmocka_unit_test(test_charset),
        cmocka_unit_test(test_overflow_returns_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
