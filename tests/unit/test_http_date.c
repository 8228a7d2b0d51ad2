/* Tests for src/http/http_date.c. */
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

static time_t parse(const char *s)
{
    return http_date_parse(s, strlen(s));
}

static void expect_format(time_t t, const char *want)
{
    char out[HTTP_DATE_LEN + 1];
    memset(out, 'X', sizeof out);
    http_date_format(t, out);
    assert_int_equal(strlen(out), HTTP_DATE_LEN);
    assert_string_equal(out, want);
}

static void expect_invalid(const char *s)
{
    time_t t = parse(s);
    if (t != (time_t)-1)
        print_error("\"%s\": want -1, got %lld\n", s, (long long)t);
    assert_int_equal(t, (time_t)-1);
}

static void test_format_known(void **state)
{
    expect_format(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
    expect_format(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    expect_format(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
    expect_format(1700000000, "Tue, 14 Nov 2023 22:13:20 GMT");
    expect_format(2147483647, "Tue, 19 Jan 2038 03:14:07 GMT");
    expect_format(2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT");
    expect_format(4102444800LL, "Fri, 01 Jan 2100 00:00:00 GMT");
    expect_format(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
    expect_format(-2208988800LL, "Mon, 01 Jan 1900 00:00:00 GMT");
    expect_format(1234567890, "Fri, 13 Feb 2009 23:31:30 GMT");
}

static void test_format_every_day_and_month(void **state)
{
    static const char *days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char out[HTTP_DATE_LEN + 1];
    for (int d = 0; d < 7; d++) {
        http_date_format((time_t)d * 86400, out);
        assert_memory_equal(out, days[d], 3);
    }
    /* the 15th of every month of 2021 */
    for (int m = 0; m < 12; m++) {
        struct tm tm = {.tm_year = 121, .tm_mon = m, .tm_mday = 15};
        http_date_format(timegm(&tm), out);
        assert_memory_equal(out + 5, "15 ", 3);
        assert_memory_equal(out + 8, months[m], 3);
        assert_memory_equal(out + 11, " 2021 00:00:00 GMT", 18);
    }
}

static void test_format_clamps(void **state)
{
    /* the year always has four digits */
    expect_format(253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT");
    expect_format(253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT");
    expect_format((time_t)INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
    char out[HTTP_DATE_LEN + 1];
    http_date_format((time_t)INT64_MIN, out);
    assert_int_equal(strlen(out), HTTP_DATE_LEN);
    assert_memory_equal(out + 4, " 01 Jan 0000 00:00:00 GMT", 25);
}

static void test_parse_known(void **state)
{
    assert_int_equal(parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    assert_int_equal(parse("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    assert_int_equal(parse("Sun Nov  6 08:49:37 1994"), 784111777);
    assert_int_equal(parse("Sun Nov 06 08:49:37 1994"), 784111777);
    assert_int_equal(parse("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    assert_int_equal(parse("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
    assert_int_equal(parse("Tue, 19 Jan 2038 03:14:08 GMT"), 2147483648LL);
    assert_int_equal(parse("Fri, 13 Feb 2009 23:31:30 GMT"), 1234567890);
    assert_int_equal(parse("Friday, 13-Feb-09 23:31:30 GMT"), 1234567890);
    assert_int_equal(parse("Fri Feb 13 23:31:30 2009"), 1234567890);
    assert_int_equal(parse("Mon, 01 Jan 1900 00:00:00 GMT"), -2208988800LL);
    assert_int_equal(parse("Fri, 31 Dec 9999 23:59:59 GMT"), 253402300799LL);
}

static void test_parse_every_name(void **state)
{
    static const char *longs[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                  "Friday", "Saturday", "Sunday"};
    static const char *shorts[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    for (int m = 0; m < 12; m++) {
        struct tm tm = {.tm_year = 99, .tm_mon = m, .tm_mday = 9, .tm_hour = 1};
        time_t want = timegm(&tm);
        snprintf(buf, sizeof buf, "Mon, 09 %s 1999 01:00:00 GMT", months[m]);
        assert_int_equal(parse(buf), want);
        snprintf(buf, sizeof buf, "Monday, 09-%s-99 01:00:00 GMT", months[m]);
        assert_int_equal(parse(buf), want);
        snprintf(buf, sizeof buf, "Mon %s  9 01:00:00 1999", months[m]);
        assert_int_equal(parse(buf), want);
    }
    for (int d = 0; d < 7; d++) {
        snprintf(buf, sizeof buf, "%s, 06 Nov 1994 08:49:37 GMT", shorts[d]);
        assert_int_equal(parse(buf), 784111777); /* any day name is taken */
        snprintf(buf, sizeof buf, "%s, 06-Nov-94 08:49:37 GMT", longs[d]);
        assert_int_equal(parse(buf), 784111777);
        snprintf(buf, sizeof buf, "%s Nov  6 08:49:37 1994", shorts[d]);
        assert_int_equal(parse(buf), 784111777);
    }
}

static void test_parse_rfc850_two_digit_year(void **state)
{
    /* more than 50 years ahead means the past century */
    struct tm now;
    time_t t = time(NULL);
    gmtime_r(&t, &now);
    int cur = now.tm_year + 1900;
    char buf[64];
    for (int yy = 0; yy < 100; yy++) {
        snprintf(buf, sizeof buf, "Sunday, 01-Jan-%02d 00:00:00 GMT", yy);
        time_t got = parse(buf);
        assert_int_not_equal(got, (time_t)-1);
        struct tm tm;
        gmtime_r(&got, &tm);
        int year = tm.tm_year + 1900;
        assert_int_equal(year % 100, yy);
        assert_true(year <= cur + 50);
        assert_true(year > cur + 50 - 100);
    }
}

static void test_round_trip(void **state)
{
    char out[HTTP_DATE_LEN + 1];
    static const time_t ts[] = {0, 1, 59, 60, 86399, 86400, 784111777, 951782400, 951868800,
                                1700000000, 2147483647, 2147483648LL, 4102444800LL,
                                -1, -86400, -2208988800LL, 253402300799LL};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        http_date_format(ts[i], out);
        assert_int_equal(http_date_parse(out, HTTP_DATE_LEN), ts[i]);
    }
    /* a walk over 2^31 seconds in odd steps */
    for (time_t t = 0; t < 4102444800LL; t += 7777777) {
        http_date_format(t, out);
        assert_int_equal(http_date_parse(out, HTTP_DATE_LEN), t);
    }
}

static void test_leap_days_and_second(void **state)
{
    assert_int_equal(parse("Thu, 29 Feb 2024 12:00:00 GMT"), 1709208000);
    assert_int_equal(parse("Sat, 29 Feb 2000 00:00:00 GMT"), 951782400);
    expect_invalid("Wed, 29 Feb 2023 12:00:00 GMT");
    expect_invalid("Thu, 29 Feb 1900 12:00:00 GMT");
    expect_invalid("Thu, 30 Feb 2024 12:00:00 GMT");
    expect_invalid("Thu, 31 Apr 2024 12:00:00 GMT");
    assert_int_not_equal(parse("Wed, 31 Dec 2025 00:00:00 GMT"), (time_t)-1);
    /* a leap second is carried into the next minute */
    assert_int_equal(parse("Sat, 31 Dec 2016 23:59:60 GMT"), 1483228800);
    /* but not past the four-digit years the format can write */
    expect_invalid("Fri, 31 Dec 9999 23:59:60 GMT");
}

static void test_parse_invalid(void **state)
{
    expect_invalid("");
    expect_invalid("garbage");
    expect_invalid("Sun, 06 Nov 1994 08:49:37 UTC");
    expect_invalid("Sun, 06 Nov 1994 08:49:37 gmt");
    expect_invalid("Sun, 06 Nov 1994 08:49:37 GMT ");
    expect_invalid(" Sun, 06 Nov 1994 08:49:37 GMT");
    expect_invalid("Sun, 06 Nov 1994 08:49:37");
    expect_invalid("Sun, 6 Nov 1994 08:49:37 GMT");
    expect_invalid("Sun, 06 nov 1994 08:49:37 GMT");
    expect_invalid("sun, 06 Nov 1994 08:49:37 GMT");
    expect_invalid("Sux, 06 Nov 1994 08:49:37 GMT");
    expect_invalid("Sun, 06 Nox 1994 08:49:37 GMT");
    expect_invalid("Sun, 06 Nov 94 08:49:37 GMT");
    expect_invalid("Sun, 06 Nov 1994 8:49:37 GMT");
    expect_invalid("Sun, 06 Nov 1994 08-49-37 GMT");
    expect_invalid("Sun, 00 Nov 1994 08:49:37 GMT");
    expect_invalid("Sun, 32 Jan 1994 08:49:37 GMT");
    expect_invalid("Sun, 06 Nov 1994 24:00:00 GMT");
    expect_invalid("Sun, 06 Nov 1994 08:60:00 GMT");
    expect_invalid("Sun, 06 Nov 1994 08:49:61 GMT");
    expect_invalid("Sun, 0x Nov 1994 08:49:37 GMT");
    expect_invalid("Sun, 06 Nov 19x4 08:49:37 GMT");
    expect_invalid("Sun, -6 Nov 1994 08:49:37 GMT");
    expect_invalid("Sun, 06 Nov -994 08:49:37 GMT");
    expect_invalid("Sun,06 Nov 1994 08:49:37 GMT ");
    /* RFC 850 */
    expect_invalid("Sun, 06-Nov-94 08:49:37 GMT");
    expect_invalid("Sundae, 06-Nov-94 08:49:37 GMT");
    expect_invalid("sunday, 06-Nov-94 08:49:37 GMT");
    expect_invalid("Sunday, 06-Nov-1994 08:49:37 GMT");
    expect_invalid("Sunday, 06 Nov 94 08:49:37 GMT");
    expect_invalid("Sunday, 06-Nov-94 08:49:37 UTC");
    expect_invalid("Sunday, 31-Nov-94 08:49:37 GMT");
    expect_invalid("Sunday,06-Nov-94 08:49:37 GMT ");
    expect_invalid("Sunday, 06-Nov-9x 08:49:37 GMT");
    /* asctime */
    expect_invalid("Sun Nov 6 08:49:37 1994");
    expect_invalid("Sun Nov  6 08:49:37 94");
    expect_invalid("Sun Nov  6 08:49:37 1994 ");
    expect_invalid("Sun Nov 31 08:49:37 1994");
    expect_invalid("Sun Nov   08:49:37 1994");
    expect_invalid("Sun Nov  x 08:49:37 1994");
    expect_invalid("Sun Nov  6 08:49:37 GMT ");
    expect_invalid("Sun Nov  6 08:49 37 1994");
    /* not read past len */
    assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 28), (time_t)-1);
    assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 0), (time_t)-1);
    assert_int_equal(http_date_parse(NULL, 0), (time_t)-1);
}

static void test_parse_not_nul_terminated(void **state)
{
    /* the date in a buffer with no NUL after it, surrounded by other bytes */
    const char *d = "Sun, 06 Nov 1994 08:49:37 GMT";
    char *buf = malloc(HTTP_DATE_LEN);
    assert_non_null(buf);
    memcpy(buf, d, HTTP_DATE_LEN);
    assert_int_equal(http_date_parse(buf, HTTP_DATE_LEN), 784111777);
    free(buf);
    buf = malloc(24);
    assert_non_null(buf);
    memcpy(buf, "Sun Nov  6 08:49:37 1994", 24);
    assert_int_equal(http_date_parse(buf, 24), 784111777);
    free(buf);
    /* every truncated prefix of each form is rejected */
    const char *forms[] = {d, "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"};
    for (size_t f = 0; f < 3; f++) {
        size_t n = strlen(forms[f]);
        for (size_t k = 0; k < n; k++) {
            char *p = malloc(k ? k : 1);
            assert_non_null(p);
            memcpy(p, forms[f], k);
            assert_int_equal(http_date_parse(p, k), (time_t)-1);
            free(p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_format_every_day_and_month),
        cmocka_unit_test(test_format_clamps),
        cmocka_unit_test(test_parse_known),
        cmocka_unit_test(test_parse_every_name),
        cmocka_unit_test(test_parse_rfc850_two_digit_year),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_leap_days_and_second),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_not_nul_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
