/* Tests for src/http/escape.c: JSON strings (of our names, and of any
 * bytes a client sent), HTML text and URL paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdbool.h>

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

/* ---- escape_json_utf8: any bytes in, valid UTF-8 JSON out ---- */

/* escape_json_utf8 without a bound, as an escaper: all of s goes in. */
static void json_utf8(struct strbuf *b, const char *s, size_t len)
{
    assert_int_equal(escape_json_utf8(b, s, len, SIZE_MAX), len);
}

#define UTF8(in, want) CHECK(json_utf8, in, want)

/* Written out by hand, not by the code under test: what one byte alone
 * becomes. */
static void one_byte_want(unsigned c, char *want)
{
    if (c == '"')
        strcpy(want, "\\\"");
    else if (c == '\\')
        strcpy(want, "\\\\");
    else if (c < 0x20 || c >= 0x7f) /* controls, DEL; above: never whole alone */
        sprintf(want, "\\u%04x", c);
    else
        sprintf(want, "%c", c);
}

static void test_utf8_every_byte_alone(void **state)
{
    for (unsigned c = 0; c < 256; c++) {
        char in = (char)c, want[8];
        one_byte_want(c, want);
        check_len(json_utf8, &in, 1, want, strlen(want));
        /* and between two letters, so that runs are copied around it */
        char in3[3] = {'a', (char)c, 'z'}, want3[12];
        snprintf(want3, sizeof(want3), "a%sz", want);
        check_len(json_utf8, in3, 3, want3, strlen(want3));
    }
}

static void test_utf8_valid_passes(void **state)
{
    UTF8("caf\xc3\xa9", "caf\xc3\xa9");
    UTF8("\xc2\x80", "\xc2\x80");                 /* U+0080, the first of two bytes */
    UTF8("\xdf\xbf", "\xdf\xbf");                 /* U+07FF */
    UTF8("\xe0\xa0\x80", "\xe0\xa0\x80");         /* U+0800 */
    UTF8("\xe2\x82\xac", "\xe2\x82\xac");         /* U+20AC */
    UTF8("\xed\x9f\xbf", "\xed\x9f\xbf");         /* U+D7FF, just below the surrogates */
    UTF8("\xee\x80\x80", "\xee\x80\x80");         /* U+E000, just above */
    UTF8("\xef\xbf\xbf", "\xef\xbf\xbf");         /* U+FFFF */
    UTF8("\xf0\x90\x80\x80", "\xf0\x90\x80\x80"); /* U+10000 */
    UTF8("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600 */
    UTF8("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last */
    UTF8("\xc3\xa9\"\xe2\x82\xac\n", "\xc3\xa9\\\"\xe2\x82\xac\\u000a");
}

static void test_utf8_overlong(void **state)
{
    UTF8("\xc0\x80", "\\u00c0\\u0080");   /* NUL in two bytes */
    UTF8("\xc0\xaf", "\\u00c0\\u00af");   /* '/' in two bytes */
    UTF8("\xc1\xbf", "\\u00c1\\u00bf");
    UTF8("\xe0\x80\x80", "\\u00e0\\u0080\\u0080");
    UTF8("\xe0\x9f\xbf", "\\u00e0\\u009f\\u00bf"); /* U+07FF in three bytes */
    UTF8("\xf0\x80\x80\x80", "\\u00f0\\u0080\\u0080\\u0080");
    UTF8("\xf0\x8f\xbf\xbf", "\\u00f0\\u008f\\u00bf\\u00bf"); /* U+FFFF in four */
}

static void test_utf8_surrogates_and_beyond(void **state)
{
    UTF8("\xed\xa0\x80", "\\u00ed\\u00a0\\u0080"); /* U+D800 */
    UTF8("\xed\xbf\xbf", "\\u00ed\\u00bf\\u00bf"); /* U+DFFF */
    UTF8("\xed\xa0\xbd\xed\xb8\x80",               /* CESU-8 pair: not UTF-8 */
         "\\u00ed\\u00a0\\u00bd\\u00ed\\u00b8\\u0080");
    UTF8("\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080"); /* U+110000 */
    UTF8("\xf5\x80\x80\x80", "\\u00f5\\u0080\\u0080\\u0080");
    UTF8("\xf8\x88\x80\x80\x80", "\\u00f8\\u0088\\u0080\\u0080\\u0080"); /* old 5-byte form */
    UTF8("\xfe\xff", "\\u00fe\\u00ff");
}

static void test_utf8_truncated(void **state)
{
    UTF8("\xc3", "\\u00c3");
    UTF8("\xe2\x82", "\\u00e2\\u0082");
    UTF8("\xf0\x9f\x98", "\\u00f0\\u009f\\u0098");
    /* cut short by an ASCII byte or by another lead byte */
    UTF8("\xe2\x82" "A", "\\u00e2\\u0082A");
    UTF8("\xf0\x9f" "\xc3\xa9", "\\u00f0\\u009f\xc3\xa9");
    UTF8("\xc3\xc3\xa9", "\\u00c3\xc3\xa9");
    /* a stray continuation byte, before and after a whole sequence */
    UTF8("\x80\xc3\xa9\xbf", "\\u0080\xc3\xa9\\u00bf");
    UTF8("\xe2\x82\xac\xac", "\xe2\x82\xac\\u00ac");
}

/* An independent check of the output (decoding code points, not the
 * escaper's table): valid UTF-8 (RFC 3629) with no byte JSON forbids raw. */
static bool valid_json_utf8(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == '"')
                return false;
            if (c == '\\') {
                if (i + 1 >= len || !strchr("\"\\u", p[i + 1]))
                    return false;
                i += p[i + 1] == 'u' ? 6 : 2;
                if (i > len)
                    return false;
                continue;
            }
            i++;
            continue;
        }
        size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        if (n == 0 || i + n > len)
            return false;
        uint32_t cp = c & (0x7f >> n);
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

/* The input back from the escaped text: \u0080..\u00ff stand for the
 * bytes that were not UTF-8, so nothing is lost. */
static size_t unescape(const char *p, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (p[i] != '\\') {
            out[n++] = p[i++];
        } else if (p[i + 1] == 'u') {
            out[n++] = (char)strtoul((char[]){p[i + 4], p[i + 5], 0}, NULL, 16);
            i += 6;
        } else {
            out[n++] = p[i + 1];
            i += 2;
        }
    }
    return n;
}

static void check_any(const char *in, size_t len)
{
    struct strbuf b = STRBUF_INIT;
    escape_json_utf8(&b, in, len, SIZE_MAX);
    assert_false(b.failed);
    const char *out = b.p ? b.p : "";
    if (!valid_json_utf8((const unsigned char *)out, b.len)) {
        print_error("invalid output for %zu bytes:", len);
        for (size_t i = 0; i < len; i++)
            print_error(" %02x", (unsigned char)in[i]);
        print_error("\n");
        fail();
    }
    char back[64];
    assert_true(len <= sizeof(back));
    assert_int_equal(unescape(out, b.len, back), len);
    assert_memory_equal(back, in, len);
    strbuf_free(&b);
}

/* Every pair of bytes, and every three-byte string that starts with a
 * lead byte: valid JSON, valid UTF-8, and the bytes recoverable. */
static void test_utf8_all_pairs_and_leads(void **state)
{
    for (unsigned a = 0; a < 256; a++)
        for (unsigned c = 0; c < 256; c++)
            check_any((char[]){(char)a, (char)c}, 2);
    for (unsigned a = 0xc0; a < 256; a++)
        for (unsigned c = 0x70; c < 0xd0; c++)
            for (unsigned d = 0x70; d < 0xd0; d++)
                check_any((char[]){(char)a, (char)c, (char)d}, 3);
}

/* A text split anywhere (as a cut-off header would end): each part alone
 * is still valid, the cut sequence escaped byte by byte. */
static void test_utf8_split(void **state)
{
    static const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
    size_t len = sizeof(text) - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        check_any(text, cut);
        check_any(text + cut, len - cut);
    }
    UTF8("a\xc3\xa9\xe2\x82", "a\xc3\xa9\\u00e2\\u0082");  /* cut in the euro sign */
    UTF8("\xac\xf0\x9f\x98\x80z", "\\u00ac\xf0\x9f\x98\x80z"); /* its tail */
    /* random bytes, a fixed sequence of them */
    uint32_t x = 12345;
    for (int round = 0; round < 20000; round++) {
        char buf[48];
        size_t n = round % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (char)(x >> 16);
        }
        check_any(buf, n);
    }
}

/* in[0..strlen) escaped with the bound max: took bytes go in, want comes out. */
static void check_max(const char *in, size_t max, size_t took, const char *want)
{
    struct strbuf b = STRBUF_INIT;
    assert_int_equal(escape_json_utf8(&b, in, strlen(in), max), took);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.p ? b.p : "", want, b.len);
    strbuf_free(&b);
}

/* max bounds what is appended; the cut falls between characters. */
static void test_utf8_max(void **state)
{
    check_max("abcdef", 4, 4, "abcd");
    /* an escape is never cut: 5 bytes leave no room for \u0001 after "ab" */
    check_max("ab\x01z", 5, 2, "ab");
    check_max("ab\x01z", 8, 3, "ab\\u0001");
    /* nor a sequence: the euro sign needs 3 */
    check_max("a\xe2\x82\xac", 3, 1, "a");
    check_max("\"\"", 3, 1, "\\\"");
    check_max("abc", 0, 0, "");
    struct strbuf b = STRBUF_INIT;
    /* for every bound, the output is at most that long and still valid */
    static const char text[] = "\x01\xc3\xa9\"\xff\xe2\x82\xac\\z";
    for (size_t max = 0; max < 40; max++) {
        size_t took = escape_json_utf8(&b, text, sizeof(text) - 1, max);
        assert_true(b.len <= max);
        assert_true(valid_json_utf8((const unsigned char *)(b.p ? b.p : ""), b.len));
        struct strbuf whole = STRBUF_INIT;
        escape_json_utf8(&whole, text, took, SIZE_MAX);
        assert_int_equal(whole.len, b.len); /* the output of what it took, whole */
        strbuf_free(&whole);
        strbuf_free(&b);
    }
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
        cmocka_unit_test(test_utf8_every_byte_alone),
        cmocka_unit_test(test_utf8_valid_passes),
        cmocka_unit_test(test_utf8_overlong),
        cmocka_unit_test(test_utf8_surrogates_and_beyond),
        cmocka_unit_test(test_utf8_truncated),
        cmocka_unit_test(test_utf8_all_pairs_and_leads),
        cmocka_unit_test(test_utf8_split),
        cmocka_unit_test(test_utf8_max),
        cmocka_unit_test(test_html_five),
        cmocka_unit_test(test_html_others_kept),
        cmocka_unit_test(test_url_path_kept),
        cmocka_unit_test(test_url_path_encoded),
        cmocka_unit_test(test_url_pchar),
        cmocka_unit_test(test_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
