/* Tests for src/lib/ascii.h: every helper against <ctype.h> in the "C"
 * locale, on all 256 byte values. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ascii.h"

static void test_lower_upper(void **state)
{
    for (int c = 0; c < 256; c++) {
        assert_int_equal(ascii_lower((unsigned char)c), c < 128 ? tolower(c) : c);
        assert_int_equal(ascii_upper((unsigned char)c), c < 128 ? toupper(c) : c);
    }
    assert_int_equal(ascii_lower('A'), 'a');
    assert_int_equal(ascii_lower('Z'), 'z');
    assert_int_equal(ascii_lower('@'), '@'); /* just before 'A' */
    assert_int_equal(ascii_lower('['), '['); /* just after 'Z' */
    assert_int_equal(ascii_lower(0xc0), 0xc0);
    assert_int_equal(ascii_upper('`'), '`');
    assert_int_equal(ascii_upper('{'), '{');
}

static void test_classes(void **state)
{
    for (int c = 0; c < 256; c++) {
        bool ascii = c < 128;
        assert_int_equal(ascii_is_digit((unsigned char)c), ascii && isdigit(c));
        assert_int_equal(ascii_is_alnum((unsigned char)c), ascii && isalnum(c));
        assert_int_equal(ascii_is_blank((unsigned char)c), ascii && isblank(c));
        /* tchar: visible ASCII except the delimiters of RFC 9110 5.6.2 */
        bool tchar = ascii && isgraph(c) && !strchr("\"(),/:;<=>?@[\\]{}", c);
        assert_int_equal(ascii_is_tchar((unsigned char)c), tchar);
    }
}

static void test_hex_value(void **state)
{
    for (int c = 0; c < 256; c++) {
        int want = -1;
        if (c < 128 && isxdigit(c)) {
            char s[2] = {(char)c, 0};
            want = (int)strtol(s, NULL, 16);
        }
        if (ascii_hex_value((unsigned char)c) != want)
            print_error("byte 0x%02x: want %d, got %d\n", c, want,
                        ascii_hex_value((unsigned char)c));
        assert_int_equal(ascii_hex_value((unsigned char)c), want);
    }
}

static void test_hex_digits(void **state)
{
    /* The low four bits count: every byte value gives its low nibble. */
    for (unsigned n = 0; n < 256; n++) {
        char up[4], low[4];
        snprintf(up, sizeof up, "%X", n & 15);
        snprintf(low, sizeof low, "%x", n & 15);
        assert_int_equal(ascii_hex_upper(n), up[0]);
        assert_int_equal(ascii_hex_lower(n), low[0]);
        assert_int_equal(ascii_hex_value((unsigned char)ascii_hex_upper(n)), (int)(n & 15));
        assert_int_equal(ascii_hex_value((unsigned char)ascii_hex_lower(n)), (int)(n & 15));
    }
    assert_int_equal(ascii_hex_upper(0x7ff), 'F');
}

static void test_case_eq(void **state)
{
    for (int a = 0; a < 256; a++) {
        for (int b = 0; b < 256; b++) {
            char x = (char)a, y = (char)b;
            bool want = (a < 128 ? tolower(a) : a) == (b < 128 ? tolower(b) : b);
            assert_int_equal(ascii_case_eq(&x, &y, 1), want);
        }
    }
    assert_true(ascii_case_eq("Content-Type", "content-TYPE", 12));
    assert_false(ascii_case_eq("Content-Type", "content-typf", 12));
    assert_true(ascii_case_eq("ab\0C", "AB\0c", 4)); /* a length, not a C string */
    assert_true(ascii_case_eq("x", "y", 0));
    assert_false(ascii_case_eq("\xc9", "\xe9", 1)); /* Latin-1 letters stay apart */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower_upper),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_hex_value),
        cmocka_unit_test(test_hex_digits),
        cmocka_unit_test(test_case_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
