/* Tests for src/http/http_status.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_status.h"

static const struct {
    int code;
    const char *reason;
} known[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {306, "(Unused)"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {511, "Network Authentication Required"},
};

static void test_every_known_code(void **state)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        assert_string_equal(http_status_reason(known[i].code), known[i].reason);
}

static void test_unknown_codes(void **state)
{
    static const int unknown[] = {0, -1, 1, 99, 102, 199, 207, 226, 299, 309, 399, 419,
                                  420, 423, 425, 430, 450, 499, 506, 510, 599, 600, 999, 1000,
                                  2000000000, -2000000000};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_string_equal(http_status_reason(unknown[i]), "Unknown");
}

static void test_exactly_the_known_codes(void **state)
{
    /* every code 100..599 not in the table is "Unknown", and the phrases
     * are safe to put on a status line: printable, no CR or LF */
    for (int code = 100; code < 600; code++) {
        const char *r = http_status_reason(code);
        int listed = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            listed |= known[i].code == code;
        if (!listed) {
            assert_string_equal(r, "Unknown");
            continue;
        }
        assert_true(strlen(r) > 0);
        for (const char *p = r; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_known_code),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_exactly_the_known_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
