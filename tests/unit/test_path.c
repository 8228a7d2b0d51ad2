/* Tests for src/lib/path.c: path_join's slashes, empty parts and
 * capacity. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/path.h"

static void check(const char *dir, const char *name, const char *want)
{
    char out[256];
    long n = path_join(out, sizeof out, dir, name);
    if (n < 0 || strcmp(out, want) != 0)
        print_error("\"%s\" + \"%s\": want \"%s\", got %ld \"%s\"\n", dir, name, want, n,
                    n < 0 ? "" : out);
    assert_int_equal(n, (long)strlen(want));
    assert_string_equal(out, want);
}

static void test_one_slash(void **state)
{
    check("/srv/www", "index.html", "/srv/www/index.html");
    check("/srv/www", "a/b.txt", "/srv/www/a/b.txt");
    check("docs", "index.html", "docs/index.html");
    check("docs/", "index.html", "docs/index.html"); /* a directory request's rel */
    check("/srv/www", "/errors/404.html", "/srv/www/errors/404.html");
    check("a//", "//b", "a/b");
    check("a", "b/", "a/b/"); /* name's own trailing slash is kept */
    check("/a/b/", "c", "/a/b/c");
}

static void test_root_dir(void **state)
{
    check("/", "x.cgi", "/x.cgi");
    check("/", "/errors/404.html", "/errors/404.html");
    check("//", "a", "/a");
    check("/", "", "/");
}

static void test_empty_parts(void **state)
{
    check("", "index.html", "index.html");
    check("", "/abs", "/abs"); /* an empty dir leaves name as it is */
    check("", "", "");
    check("/srv/www", "", "/srv/www");
    check("/srv/www", "/", "/srv/www");
    check("/srv/www/", "", "/srv/www/"); /* nothing joined: dir as it is */
    check("docs", ".", "docs/.");
}

/* The result fits in exactly strlen + 1 bytes; one byte less is refused
 * with ENAMETOOLONG. out is allocated to cap, so ASan sees a write past it. */
static void check_capacity(const char *dir, const char *name, const char *want)
{
    size_t len = strlen(want);
    for (size_t cap = 0; cap <= len + 1; cap++) {
        char *out = malloc(cap ? cap : 1);
        assert_non_null(out);
        errno = 0;
        long n = path_join(out, cap, dir, name);
        if (cap > len) {
            assert_int_equal(n, (long)len);
            assert_string_equal(out, want);
        } else {
            assert_int_equal(n, -1);
            assert_int_equal(errno, ENAMETOOLONG);
        }
        free(out);
    }
}

static void test_capacity(void **state)
{
    check_capacity("/srv/www", "index.html", "/srv/www/index.html");
    check_capacity("/", "x", "/x");
    check_capacity("", "name", "name");
    check_capacity("dir", "", "dir");
    check_capacity("", "", "");
    check_capacity("a///", "///b", "a/b");

    /* A PATH_MAX-sized buffer, as the callers use. */
    char dir[4096], out[4096];
    memset(dir, 'd', sizeof dir);
    dir[0] = '/';
    dir[4093] = '\0'; /* "/ddd...": 4093 bytes, + "/x" = 4095 */
    assert_int_equal(path_join(out, sizeof out, dir, "x"), 4095);
    assert_int_equal(out[4093], '/');
    assert_string_equal(out + 4094, "x");
    assert_int_equal(path_join(out, sizeof out, dir, "xy"), -1);
    assert_int_equal(errno, ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_slash),
        cmocka_unit_test(test_root_dir),
        cmocka_unit_test(test_empty_parts),
        cmocka_unit_test(test_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
