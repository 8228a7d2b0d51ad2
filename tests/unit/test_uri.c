/* Tests for src/http/uri.c: path decoding and normalisation (and that it
 * undoes escape_url_path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/escape.h"
#include "http/uri.h"
#include "lib/strbuf.h"

/* Normalises in[0..len) into a buffer of exactly len + 1 bytes (so ASan
 * sees any overrun) and compares with want; want NULL means -1. */
static void check_len(const char *in, size_t len, const char *want)
{
    char *dst = malloc(len + 1);
    assert_non_null(dst);
    long n = uri_normalize_path(in, len, dst);
    if (want == NULL) {
        if (n != -1)
            print_error("input \"%.*s\": want -1, got \"%s\"\n", (int)len, in, dst);
        assert_int_equal(n, -1);
    } else {
        if (n < 0)
            print_error("input \"%.*s\": want \"%s\", got -1\n", (int)len, in, want);
        assert_int_equal(n, (long)strlen(want));
        assert_string_equal(dst, want);
    }
    free(dst);
}

static void check(const char *in, const char *want)
{
    check_len(in, strlen(in), want);
}

static void test_plain(void **state)
{
    check("/", "/");
    check("/a", "/a");
    check("/a/b/c.html", "/a/b/c.html");
    check("/a/b/", "/a/b/");
    check("/index.html", "/index.html");
    check("/...", "/...");
    check("/a/.../b", "/a/.../b");
    check("/.hidden", "/.hidden");
    check("/a/..b/.c", "/a/..b/.c");
    check("/a/b..", "/a/b..");
}

static void test_dot_segments(void **state)
{
    check("/a/./b", "/a/b");
    check("/a/../b", "/b");
    check("/a/..", "/");
    check("/a/../", "/");
    check("/a/b/.", "/a/b/");
    check("/a/b/..", "/a/");
    check("/./", "/");
    check("/.", "/");
    check("/./.", "/");
    check("/././a", "/a");
    check("/a/b/c/../../d", "/a/d");
    check("/a/b/../../c/", "/c/");
    check("/a/./b/./c/.", "/a/b/c/");
    check("/a/b/c/../../..", "/");
    check("/a/b/c/../../../", "/");
}

static void test_slashes(void **state)
{
    check("//a//b", "/a/b");
    check("//", "/");
    check("///", "/");
    check("/a//", "/a/");
    check("/a///b///", "/a/b/");
    check("//..//a", NULL);
    check("/a//..", "/");
    check("/a//../b", "/b");
}

static void test_traversal(void **state)
{
    check("/..", NULL);
    check("/../", NULL);
    check("/../a", NULL);
    check("/a/../..", NULL);
    check("/a/b/../../..", NULL);
    check("/a/b/../../../c", NULL);
    check("/./..", NULL);
    check("/%2e%2e/x", NULL);
    check("/%2E%2E/", NULL);
    check("/%2e%2E", NULL);
    check("/.%2e/", NULL);
    check("/%2e./", NULL);
    check("/..%2f..%2fetc/passwd", NULL);
    check("/..%2F..%2Fetc/passwd", NULL);
    check("/a%2f..%2f..%2fetc", NULL);
    check("/%2f..", NULL);
    check("/a/%2e%2e%2f%2e%2e", NULL);
}

static void test_encoded_dots(void **state)
{
    check("/a/%2e/b", "/a/b");
    check("/a/%2E/b", "/a/b");
    check("/a/b/%2e%2e", "/a/");
    check("/a/b/%2e%2e/c", "/a/c");
    check("/a/%2e%2e%2fb", "/b");
    check("/%2e", "/");
    check("/%2e%2e%2e", "/...");
}

static void test_encoded_slash(void **state)
{
    /* %2F is a separator, so a name cannot smuggle a '/' past normalisation */
    check("/a%2fb", "/a/b");
    check("/a%2Fb", "/a/b");
    check("/a%2f%2fb", "/a/b");
    check("/a%2f", "/a/");
    check("/dir%2Ffile.txt", "/dir/file.txt");
    check("/a%2f.%2fb", "/a/b");
}

static void test_bad_escapes(void **state)
{
    check("/%00", NULL);
    check("/a%00b", NULL);
    check("/a/%00/../b", NULL);
    check("/%zz", NULL);
    check("/%4", NULL);
    check("/%", NULL);
    check("/a%", NULL);
    check("/%g1", NULL);
    check("/%1g", NULL);
    check("/% 1", NULL);
    check("/%-1", NULL);
    check("/%+1", NULL);
    /* the escape must not read past len */
    check_len("/%41", 3, NULL);
    check_len("/%41", 2, NULL);
    /* a raw NUL byte is refused too */
    check_len("/a\0b", 4, NULL);
}

static void test_decoding(void **state)
{
    check("/%41", "/A");
    check("/%61%62%63", "/abc");
    check("/a%20b", "/a b");
    check("/%7e", "/~");
    check("/%7E", "/~");
    check("/%25", "/%");
    check("/%2541", "/%41");      /* decoded once only */
    check("/%252e%252e/", "/%2e%2e/");
    check("/%c3%a9t%C3%A9", "/\xc3\xa9t\xc3\xa9");
    check("/\xc3\xa9t\xc3\xa9/\xe2\x82\xac", "/\xc3\xa9t\xc3\xa9/\xe2\x82\xac");
    check("/%ff%fe", "/\xff\xfe");
    check("/a+b", "/a+b");
    check("/%01%1f%7f", "/\x01\x1f\x7f");
}

static void test_must_start_with_slash(void **state)
{
    check("", NULL);
    check("a", NULL);
    check("a/b", NULL);
    check(".", NULL);
    check("..", NULL);
    check("%2f", NULL);
    check("%2fa", NULL);
    check("*", NULL);
    check("http://host/a", NULL);
    check_len("/abc", 0, NULL);
}

static void test_long_paths(void **state)
{
    enum { N = 10000 };
    char *in = malloc(N * 3 + 16);
    char *want = malloc(N * 2 + 16);
    assert_non_null(in);
    assert_non_null(want);

    /* many segments: "/a/a/a..." */
    size_t k = 0;
    for (int i = 0; i < N; i++) {
        in[k++] = '/';
        in[k++] = 'a';
    }
    in[k] = '\0';
    check(in, in);

    /* then climb back out exactly: "/.." N times -> "/" */
    char *up = malloc(k + N * 3 + 16);
    assert_non_null(up);
    memcpy(up, in, k);
    size_t u = k;
    for (int i = 0; i < N; i++) {
        memcpy(up + u, "/..", 3);
        u += 3;
    }
    up[u] = '\0';
    check(up, "/");
    /* one more climbs out */
    memcpy(up + u, "/..", 4);
    check(up, NULL);
    free(up);

    /* one long name, all escaped */
    k = 0;
    in[k++] = '/';
    for (int i = 0; i < N; i++) {
        memcpy(in + k, "%41", 3);
        k += 3;
    }
    in[k] = '\0';
    want[0] = '/';
    memset(want + 1, 'A', N);
    want[N + 1] = '\0';
    check(in, want);

    /* lots of slashes */
    memset(in, '/', N);
    in[N] = 'x';
    in[N + 1] = '\0';
    check(in, "/x");

    free(in);
    free(want);
}

static void test_exact_capacity(void **state)
{
    /* a path that is already normal needs len + 1 bytes exactly */
    const char *in = "/a/b/c/";
    char dst[8];
    memset(dst, 'X', sizeof dst);
    assert_int_equal(uri_normalize_path(in, 7, dst), 7);
    assert_memory_equal(dst, "/a/b/c/\0", 8);
}

static void test_idempotent(void **state)
{
    static const char *in[] = {"/a/./b/../c//d/", "/x/%2e/y", "/%41%42/..", "//a/b/./"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char a[64], b[64];
        long n = uri_normalize_path(in[i], strlen(in[i]), a);
        assert_true(n > 0);
        long m = uri_normalize_path(a, (size_t)n, b);
        assert_int_equal(m, n);
        assert_string_equal(a, b);
    }
}

static void test_encode_then_normalize(void **state)
{
    /* encoding a decoded name and normalising it gives the name back */
    const char *name = "/dir/a b&c%d\xc3\xa9#?.txt";
    char dec[128];
    struct strbuf enc = STRBUF_INIT;
    escape_url_path(&enc, name, strlen(name));
    assert_false(enc.failed);
    assert_int_equal(uri_normalize_path(enc.p, enc.len, dec), (long)strlen(name));
    assert_string_equal(dec, name);
    strbuf_free(&enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_dot_segments),
        cmocka_unit_test(test_slashes),
        cmocka_unit_test(test_traversal),
        cmocka_unit_test(test_encoded_dots),
        cmocka_unit_test(test_encoded_slash),
        cmocka_unit_test(test_bad_escapes),
        cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_must_start_with_slash),
        cmocka_unit_test(test_long_paths),
        cmocka_unit_test(test_exact_capacity),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_encode_then_normalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
