/* Tests for src/lib/cbuf.h: a C string in a fixed buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/cbuf.h"

static void test_fits(void **state)
{
    char *p = malloc(4); /* exactly cap bytes: ASan sees an overrun */
    assert_non_null(p);
    struct cbuf b;
    cbuf_init(&b, p, 4);
    assert_string_equal(p, "");
    cbuf_put(&b, 'a');
    cbuf_put(&b, 'b');
    cbuf_put(&b, 'c');
    assert_string_equal(p, "abc");
    assert_int_equal(b.len, 3);
    assert_false(b.overflow);
    free(p);
}

static void test_overflow(void **state)
{
    char *p = malloc(3);
    assert_non_null(p);
    struct cbuf b;
    cbuf_init(&b, p, 3);
    for (const char *s = "abcdef"; *s; s++)
        cbuf_put(&b, *s);
    assert_string_equal(p, "ab"); /* the start is kept */
    assert_int_equal(b.len, 2);
    assert_true(b.overflow);
    cbuf_init(&b, p, 1); /* room for the NUL only */
    assert_false(b.overflow);
    cbuf_put(&b, 'x');
    assert_string_equal(p, "");
    assert_true(b.overflow);
    free(p);
}

static void test_nul_left_out(void **state)
{
    char p[8];
    struct cbuf b;
    cbuf_init(&b, p, 3);
    const char in[] = {'a', 0, 0, 'b', 0};
    for (size_t i = 0; i < sizeof in; i++)
        cbuf_put(&b, in[i]);
    assert_string_equal(p, "ab");
    assert_false(b.overflow); /* NULs take no room */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_nul_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
