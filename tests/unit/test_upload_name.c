/* Tests for src/handlers/upload_name.c: upload file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handlers/upload_name.h"

/* Sanitises in[0..len) with an output of cap bytes; checks the result is
 * a safe segment and returns it (static). */
static const char *san_n(const char *in, size_t len, size_t cap)
{
    static char out[8192];
    assert_true(cap <= sizeof out);
    /* An exact-size input copy, and a canary after the output. */
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, in, len);
    memset(out, 'Z', sizeof out);
    size_t n = upload_name_sanitize(copy, len, out, cap);
    free(copy);
    if (cap > 0) {
        assert_true(n < cap);
        assert_int_equal(out[n], '\0');
        assert_int_equal(strlen(out), n);
    }
    if (cap < sizeof out)
        assert_int_equal(out[cap], 'Z');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        assert_true(c >= 0x20 && c != 0x7f && c != '/' && c != '\\');
    }
    if (n > 0) {
        assert_string_not_equal(out, ".");
        assert_string_not_equal(out, "..");
        assert_true(out[0] != ' ');
        assert_true(out[n - 1] != ' ' && out[n - 1] != '.');
    }
    return n ? out : NULL;
}

static const char *san(const char *in)
{
    return san_n(in, strlen(in), 256);
}

static void expect_name(const char *in, const char *want)
{
    const char *got = san(in);
    if (got == NULL || strcmp(got, want) != 0)
        print_error("\"%s\": got \"%s\", want \"%s\"\n", in, got ? got : "(none)", want);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void expect_none(const char *in)
{
    const char *got = san(in);
    if (got != NULL)
        print_error("\"%s\": got \"%s\", want no name\n", in, got);
    assert_null(got);
}

static void test_plain(void **state)
{
    expect_name("a.txt", "a.txt");
    expect_name("photo 2024.JPG", "photo 2024.JPG");
    expect_name(".env", ".env");
    expect_name("..env", "..env");
    expect_name("a..b", "a..b");
    expect_name("caf\xc3\xa9.txt", "caf\xc3\xa9.txt");
    expect_name("-rf", "-rf");
    expect_name("C:a.txt", "C:a.txt");
}

static void test_paths(void **state)
{
    expect_name("../../etc/passwd", "passwd");
    expect_name("/etc/passwd", "passwd");
    expect_name("C:\\Users\\x\\a.txt", "a.txt");
    expect_name("dir\\sub/mixed\\b.bin", "b.bin");
    expect_name("..\\..\\boot.ini", "boot.ini");
}

static void test_no_name(void **state)
{
    expect_none("");
    expect_none(".");
    expect_none("..");
    expect_none("...");
    expect_none("   ");
    expect_none(" . ");
    expect_none("dir/");
    expect_none("dir\\");
    expect_none("a/..");
    expect_none("a/.");
    expect_none("../");
    expect_none("/");
    expect_none("\x01\x02\x7f");
    expect_none("x/\x01 .. \x02");
    assert_int_equal(upload_name_sanitize(NULL, 0, (char[4]){0}, 4), 0);
    assert_null(san_n("", 0, 256));
}

static void test_controls_and_trim(void **state)
{
    expect_name("a\x01" "b.txt", "ab.txt");
    expect_name("a\tb\r\n.txt\x7f", "ab.txt");
    expect_name("  a.txt  ", "a.txt");
    expect_name("a.txt...", "a.txt");
    expect_name("a.txt. . .", "a.txt");
    expect_name(" \x01 .hidden", ".hidden");
    expect_name("name.\x01", "name");
    /* A NUL inside the length is dropped, not an end. */
    const char *got = san_n("a\0b.txt", 7, 256);
    assert_non_null(got);
    assert_string_equal(got, "ab.txt");
}

/* A name of `stem_chars` copies of s followed by ext. */
static size_t build(char *buf, const char *s, size_t stem_chars, const char *ext)
{
    size_t n = 0, sl = strlen(s);
    for (size_t i = 0; i < stem_chars; i++, n += sl)
        memcpy(buf + n, s, sl);
    memcpy(buf + n, ext, strlen(ext));
    return n + strlen(ext);
}

static void test_long_names(void **state)
{
    char in[4096];
    /* ASCII: cut to cap - 1 with the extension kept. */
    size_t n = build(in, "a", 300, ".txt");
    const char *got = san_n(in, n, 256);
    assert_non_null(got);
    assert_int_equal(strlen(got), 255);
    assert_memory_equal(got + 251, ".txt", 4);

    /* Exactly cap - 1 bytes: unchanged. */
    n = build(in, "b", 251, ".txt");
    got = san_n(in, n, 256);
    assert_int_equal(strlen(got), 255);
    assert_memory_equal(got, in, 255);
    /* One more: the stem loses one byte. */
    n = build(in, "b", 252, ".txt");
    got = san_n(in, n, 256);
    assert_int_equal(strlen(got), 255);
    assert_memory_equal(got, in, 251);
    assert_memory_equal(got + 251, ".txt", 4);

    /* Two-byte characters (é = c3 a9): never split. 251 bytes of stem
     * room would split one; 250 are kept. */
    n = build(in, "\xc3\xa9", 200, ".txt");
    got = san_n(in, n, 256);
    assert_int_equal(strlen(got), 254);
    for (size_t i = 0; i < 250; i += 2)
        assert_memory_equal(got + i, "\xc3\xa9", 2);
    assert_memory_equal(got + 250, ".txt", 4);

    /* Three- and four-byte characters at every cap. */
    const char *chars[] = {"\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3\xa9"};
    for (size_t c = 0; c < 3; c++) {
        size_t cl = strlen(chars[c]);
        n = build(in, chars[c], 100, ".pdf");
        for (size_t cap = 2; cap < n + 5; cap++) {
            got = san_n(in, n, cap);
            if (got == NULL)
                continue;
            size_t gl = strlen(got);
            assert_true(gl <= cap - 1);
            bool ext = gl >= 4 && memcmp(got + gl - 4, ".pdf", 4) == 0;
            size_t stem = ext ? gl - 4 : gl;
            assert_int_equal(stem % cl, 0); /* whole characters only */
            for (size_t i = 0; i < stem; i += cl)
                assert_memory_equal(got + i, chars[c], cl);
            if (cap - 1 >= 8) /* room for the extension and as much stem */
                assert_true(ext);
            /* As long as possible: adding one more char would not fit. */
            assert_true(gl + cl > cap - 1 || gl == n);
        }
    }

    /* A long "extension" is not kept whole: the name is cut. */
    n = build(in, "x", 10, ".");
    n += build(in + n, "y", 300, "");
    got = san_n(in, n, 64);
    assert_int_equal(strlen(got), 63);
    assert_memory_equal(got, "xxxxxxxxxx.yyy", 14);

    /* A cut that ends in spaces or dots trims them. */
    n = build(in, "a", 10, "");
    n += build(in + n, " ", 300, "z");
    got = san_n(in, n, 64);
    assert_string_equal(got, "aaaaaaaaaa");
    n = build(in, "a", 55, "");
    n += build(in + n, " ", 10, "");
    n += build(in + n, "b", 10, ".txt");
    got = san_n(in, n, 64); /* the stem cut at 59 bytes ends in spaces */
    assert_int_equal(strlen(got), 59);
    assert_memory_equal(got + 55, ".txt", 4);

    /* Very long input with controls and a path in front. */
    n = build(in, "../", 500, "");
    n += build(in + n, "\x01q", 1000, ".tar.gz");
    got = san_n(in, n, 256);
    assert_int_equal(strlen(got), 255);
    assert_memory_equal(got + 252, ".gz", 3);
    assert_int_equal(got[0], 'q');

    /* Tiny outputs. */
    assert_null(san_n("abc", 3, 1));
    assert_string_equal(san_n("abc", 3, 2), "a");
    assert_string_equal(san_n("abc.txt", 7, 4), "abc");
    assert_string_equal(san_n("abc.d", 5, 5), "ab.d");
    assert_string_equal(san_n("ab.c", 4, 4), "ab"); /* ".c" is too long to keep here */
    assert_null(san_n("...x", 4, 3)); /* would be ".." */
    char one = 'Z';
    assert_int_equal(upload_name_sanitize("abc", 3, &one, 0), 0);
    assert_int_equal(one, 'Z');
}

static void expect_variant(const char *name, unsigned n, const char *want)
{
    char out[256];
    memset(out, 'Z', sizeof out);
    size_t len = upload_name_variant(name, n, out, sizeof out);
    if (strcmp(out, want) != 0)
        print_error("(\"%s\", %u): got \"%s\", want \"%s\"\n", name, n, out, want);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
}

static void test_variants(void **state)
{
    expect_variant("a.txt", 1, "a-1.txt");
    expect_variant("a.txt", 2, "a-2.txt");
    expect_variant("a.txt", 123, "a-123.txt");
    expect_variant("archive.tar.gz", 2, "archive.tar-2.gz");
    expect_variant("README", 1, "README-1");
    expect_variant(".env", 1, ".env-1");
    expect_variant("..env", 1, "..env-1");
    expect_variant(".config.json", 3, ".config-3.json");
    expect_variant("a.", 1, "a-1.");
    expect_variant("x", 4294967295u, "x-4294967295");

    /* cap: the exact size fits, one less does not. */
    char out[16];
    assert_int_equal(upload_name_variant("a.txt", 1, out, 8), 7);
    assert_string_equal(out, "a-1.txt");
    assert_int_equal(upload_name_variant("a.txt", 1, out, 7), 0);
    assert_int_equal(upload_name_variant("a.txt", 10, out, 8), 0);
    assert_int_equal(upload_name_variant("a.txt", 1, out, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_no_name),
        cmocka_unit_test(test_controls_and_trim),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
