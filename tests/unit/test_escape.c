/* Tests for src/http/escape.c: JSON strings, HTML text and URL paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/escape.h"
#include "lib/strbuf.h"

typedef void (*escaper)(struct strbuf *b, const char *s, size_t len);

/* Escapes in[0..len) into a fresh buffer and compares all of it, NULs
 * included, with want (a string literal; want_len its length). */
static void check_len(escaper f, const char *in, size_t len, const char *want, size_t want_len)
{
    struct strbuf b = STRBUF_INIT;
    f(&b, in, len);
    size_t got_len;
    char *got = strbuf_take(&b, &got_len);
    assert_non_null(got);
    if (got_len != want_len || memcmp(got, want, want_len) != 0)
        print_error("want \"%.*s\" (%zu), got \"%.*s\" (%zu)\n", (int)want_len, want, want_len,
                    (int)got_len, got, got_len);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
}

#define CHECK(f, in, want) check_len(f, in, sizeof(in) - 1, want, sizeof(want) - 1)

static void test_json_plain(void **state)
{
    CHECK(escape_json, "", "");
    CHECK(escape_json, "plain name.txt", "plain name.txt");
    CHECK(escape_json, "<b>&'/", "<b>&'/"); /* nothing HTML-ish is escaped */
}

static void test_json_quotes(void **state)
{
    CHECK(escape_json, "\"", "\\\"");
    CHECK(escape_json, "\\", "\\\\");
    CHECK(escape_json, "a\"b\\c\"", "a\\\"b\\\\c\\\"");
}

static void test_json_control_bytes(void **state)
{
    CHECK(escape_json, "\x01", "\\u0001");
    CHECK(escape_json, "\t\n\r", "\\u0009\\u000a\\u000d");
    CHECK(escape_json, "a\x1f" "b", "a\\u001fb");
    CHECK(escape_json, "\0", "\\u0000");
    CHECK(escape_json, "x\0y", "x\\u0000y");
    /* 0x20 up to '~' are not control bytes; DEL is escaped */
    CHECK(escape_json, " ~\x7f", " ~\\u007f");
}

static void test_json_utf8(void **state)
{
    CHECK(escape_json, "\xc3\xbcn\xc3\xaf", "\xc3\xbcn\xc3\xaf");
    CHECK(escape_json, "\xe2\x82\xac\"", "\xe2\x82\xac\\\"");
    CHECK(escape_json, "\xff\xfe", "\xff\xfe"); /* not UTF-8: bytes as they are */
}

static void test_html_five(void **state)
{
    CHECK(escape_html, "&", "&amp;");
    CHECK(escape_html, "<", "&lt;");
    CHECK(escape_html, ">", "&gt;");
    CHECK(escape_html, "\"", "&quot;");
    CHECK(escape_html, "'", "&#39;");
    CHECK(escape_html, "<a href=\"x\">'&'</a>",
          "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

static void test_html_others_kept(void **state)
{
    CHECK(escape_html, "", "");
    CHECK(escape_html, "plain", "plain");
    CHECK(escape_html, "&amp;", "&amp;amp;"); /* escaped again, not trusted */
    CHECK(escape_html, "\xc3\xa9 %20 /?#\\", "\xc3\xa9 %20 /?#\\");
    CHECK(escape_html, "a\0<", "a\0&lt;");
}

static void test_url_path_kept(void **state)
{
    CHECK(escape_url_path, "", "");
    CHECK(escape_url_path, "/a/b.html", "/a/b.html");
    CHECK(escape_url_path, "-._~AZaz09", "-._~AZaz09");
    CHECK(escape_url_path, "/", "/");
}

static void test_url_path_encoded(void **state)
{
    CHECK(escape_url_path, "a b", "a%20b");
    CHECK(escape_url_path, "100%", "100%25");
    CHECK(escape_url_path, "%20", "%2520"); /* '%' is always encoded */
    CHECK(escape_url_path, "?", "%3F");
    CHECK(escape_url_path, "#", "%23");
    CHECK(escape_url_path, "/a?b#c", "/a%3Fb%23c");
    CHECK(escape_url_path, "\xc3\xbcn\xc3\xaf.txt", "%C3%BCn%C3%AF.txt");
    CHECK(escape_url_path, "\xff\x80\x7f", "%FF%80%7F");
    CHECK(escape_url_path, "a\0b", "a%00b");
    CHECK(escape_url_path, "&<>\"'+;=", "%26%3C%3E%22%27%2B%3B%3D");
    CHECK(escape_url_path, "%?#&+", "%25%3F%23%26%2B");
    CHECK(escape_url_path, "/a b", "/a%20b");
}

/* A path sent on to a server keeps what RFC 3986 allows in a path. */
static void test_url_pchar(void **state)
{
    CHECK(escape_url_pchar, "/a/b.html", "/a/b.html");
    CHECK(escape_url_pchar, "/k=v;p@h:1/!$&'()*+,", "/k=v;p@h:1/!$&'()*+,");
    CHECK(escape_url_pchar, "a b", "a%20b");
    CHECK(escape_url_pchar, "%?#", "%25%3F%23");
    CHECK(escape_url_pchar, "<>\"[]{}|\\^`", "%3C%3E%22%5B%5D%7B%7D%7C%5C%5E%60");
    CHECK(escape_url_pchar, "a\0b\x7f\xc3\xbc", "a%00b%7F%C3%BC");
}

/* Escapers append: what is in the buffer stays, and a long input grows it. */
static void test_appends(void **state)
{
    struct strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "<p>");
    escape_html(&b, "a&b", 3);
    strbuf_puts(&b, "|");
    escape_json(&b, "\"", 1);
    strbuf_puts(&b, "|");
    escape_url_path(&b, "x y", 3);
    size_t len;
    char *got = strbuf_take(&b, &len);
    assert_non_null(got);
    assert_string_equal(got, "<p>a&amp;b|\\\"|x%20y");
    assert_int_equal(len, strlen(got));
    free(got);

    char in[3000];
    memset(in, ' ', sizeof in);
    escape_url_path(&b, in, sizeof in);
    got = strbuf_take(&b, &len);
    assert_non_null(got);
    assert_int_equal(len, 3 * sizeof in);
    for (size_t i = 0; i < len; i += 3)
        assert_memory_equal(got + i, "%20", 3);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_plain),
        cmocka_unit_test(test_json_quotes),
        cmocka_unit_test(test_json_control_bytes),
        cmocka_unit_test(test_json_utf8),
        cmocka_unit_test(test_html_five),
        cmocka_unit_test(test_html_others_kept),
        cmocka_unit_test(test_url_path_kept),
        cmocka_unit_test(test_url_path_encoded),
        cmocka_unit_test(test_url_pchar),
        cmocka_unit_test(test_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
