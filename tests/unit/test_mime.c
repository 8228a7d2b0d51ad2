/* Tests for src/http/mime.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/mime.h"

#define OCTET "application/octet-stream"

static const char *type_of(const char *name)
{
    return mime_type_for(name, strlen(name), NULL, 0);
}

static void expect_type(const char *name, const char *want)
{
    const char *got = type_of(name);
    if (strcmp(got, want) != 0)
        print_error("\"%s\": want \"%s\", got \"%s\"\n", name, want, got);
    assert_string_equal(got, want);
}

/* Every extension the table holds, looked up by name; an entry out of
 * order in the binary-searched table would fail here. */
static void test_every_known_type(void **state)
{
    static const struct { const char *ext, *type; } known[] = {
        {"7z", "application/x-7z-compressed"},
        {"aac", "audio/aac"},
        {"apng", "image/apng"},
        {"atom", "application/atom+xml; charset=utf-8"},
        {"avi", "video/x-msvideo"},
        {"avif", "image/avif"},
        {"bmp", "image/bmp"},
        {"bz2", "application/x-bzip2"},
        {"cjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"eot", "application/vnd.ms-fontobject"},
        {"epub", "application/epub+zip"},
        {"flac", "audio/flac"},
        {"gif", "image/gif"},
        {"gz", "application/gzip"},
        {"htm", "text/html; charset=utf-8"},
        {"html", "text/html; charset=utf-8"},
        {"ico", "image/x-icon"},
        {"ics", "text/calendar; charset=utf-8"},
        {"jpeg", "image/jpeg"},
        {"jpg", "image/jpeg"},
        {"js", "text/javascript; charset=utf-8"},
        {"json", "application/json; charset=utf-8"},
        {"jsonld", "application/ld+json; charset=utf-8"},
        {"m4a", "audio/mp4"},
        {"map", "application/json; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"mov", "video/quicktime"},
        {"mp3", "audio/mpeg"},
        {"mp4", "video/mp4"},
        {"mpeg", "video/mpeg"},
        {"oga", "audio/ogg"},
        {"ogg", "audio/ogg"},
        {"ogv", "video/ogg"},
        {"opus", "audio/opus"},
        {"otf", "font/otf"},
        {"pdf", "application/pdf"},
        {"png", "image/png"},
        {"rss", "application/rss+xml; charset=utf-8"},
        {"rtf", "application/rtf"},
        {"svg", "image/svg+xml; charset=utf-8"},
        {"tar", "application/x-tar"},
        {"tgz", "application/gzip"},
        {"tif", "image/tiff"},
        {"tiff", "image/tiff"},
        {"ttf", "font/ttf"},
        {"txt", "text/plain; charset=utf-8"},
        {"wasm", "application/wasm"},
        {"wav", "audio/wav"},
        {"webm", "video/webm"},
        {"webmanifest", "application/manifest+json; charset=utf-8"},
        {"webp", "image/webp"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"xhtml", "application/xhtml+xml; charset=utf-8"},
        {"xml", "application/xml; charset=utf-8"},
        {"xz", "application/x-xz"},
        {"yaml", "application/yaml; charset=utf-8"},
        {"yml", "application/yaml; charset=utf-8"},
        {"zip", "application/zip"},
    };
    char name[64];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        snprintf(name, sizeof name, "file.%s", known[i].ext);
        expect_type(name, known[i].type);
        snprintf(name, sizeof name, "/a/b.c/x.y.%s", known[i].ext);
        expect_type(name, known[i].type);
    }
}

static void test_required_set(void **state)
{
    static const char *exts[] = {
        "html", "htm", "css", "js", "mjs", "json", "map", "xml", "txt", "csv",
        "md", "svg", "png", "jpg", "jpeg", "gif", "webp", "avif", "ico", "bmp",
        "wasm", "pdf", "zip", "gz", "tar", "mp4", "webm", "mp3", "ogg", "wav",
        "woff", "woff2", "ttf", "otf", "eot",
    };
    char name[32];
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        snprintf(name, sizeof name, "x.%s", exts[i]);
        assert_string_not_equal(type_of(name), OCTET);
    }
}

static void test_text_types_have_charset(void **state)
{
    static const char *names[] = {"a.html", "a.css", "a.js", "a.json", "a.svg", "a.xml",
                                  "a.txt", "a.csv", "a.md", "a.mjs", "a.map"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_non_null(strstr(type_of(names[i]), "; charset=utf-8"));
    static const char *binary[] = {"a.png", "a.jpg", "a.wasm", "a.zip", "a.woff2", "a.mp4", "a.pdf"};
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++)
        assert_null(strstr(type_of(binary[i]), "charset"));
}

static void test_case_insensitive(void **state)
{
    expect_type("INDEX.HTML", "text/html; charset=utf-8");
    expect_type("photo.JpG", "image/jpeg");
    expect_type("Font.WOFF2", "font/woff2");
    expect_type("/A/B/App.Js", "text/javascript; charset=utf-8");
}

static void test_unknown_and_no_extension(void **state)
{
    expect_type("", OCTET);
    expect_type("README", OCTET);
    expect_type("Makefile", OCTET);
    expect_type("file.", OCTET);
    expect_type("file.unknownext", OCTET);
    expect_type("file.verylongextensionname", OCTET);
    expect_type("file.htmlx", OCTET);
    expect_type("file.ht", OCTET);
    expect_type("file.h tml", OCTET);
    expect_type("/", OCTET);
    expect_type(".", OCTET);
    expect_type("..", OCTET);
    expect_type("/dir.html/", OCTET);
    expect_type("/dir.html/README", OCTET); /* the dot is in a directory name */
    assert_string_equal(mime_type_for(NULL, 0, NULL, 0), OCTET);
}

static void test_dot_files(void **state)
{
    expect_type(".bashrc", OCTET);
    expect_type(".html", OCTET);
    expect_type("/home/u/.html", OCTET);
    expect_type("/a/.css", OCTET);
    expect_type(".config.json", "application/json; charset=utf-8");
    expect_type("/a/.b.txt", "text/plain; charset=utf-8");
}

static void test_length_delimited(void **state)
{
    /* only name[0..len) counts: no strlen on the name */
    const char *s = "index.html.gz";
    assert_string_equal(mime_type_for(s, 10, NULL, 0), "text/html; charset=utf-8");
    assert_string_equal(mime_type_for(s, 13, NULL, 0), "application/gzip");
    assert_string_equal(mime_type_for(s, 6, NULL, 0), OCTET);
    char buf[4] = {'a', '.', 'j', 's'}; /* not NUL-terminated */
    assert_string_equal(mime_type_for(buf, 4, NULL, 0), "text/javascript; charset=utf-8");
}

static void test_overrides(void **state)
{
    static const struct mime_override ov[] = {
        {".wasm", "application/x-custom-wasm"},
        {".foo", "text/x-foo; charset=latin1"},
        {"bar", "application/x-bar"}, /* without the dot works too */
        {".HTML", "text/html; charset=iso-8859-1"},
    };
    size_t n = sizeof ov / sizeof ov[0];
    assert_ptr_equal(mime_type_for("a.wasm", 6, ov, n), ov[0].type);
    assert_ptr_equal(mime_type_for("a.FOO", 5, ov, n), ov[1].type);
    assert_ptr_equal(mime_type_for("a.bar", 5, ov, n), ov[2].type);
    assert_ptr_equal(mime_type_for("a.html", 6, ov, n), ov[3].type);
    assert_string_equal(mime_type_for("a.css", 5, ov, n), "text/css; charset=utf-8");
    assert_string_equal(mime_type_for("a.fo", 4, ov, n), OCTET);
    assert_string_equal(mime_type_for("a.foox", 6, ov, n), OCTET);
    /* overrides do not apply to dot-files or names without an extension */
    assert_string_equal(mime_type_for(".foo", 4, ov, n), OCTET);
    /* an empty override list */
    assert_string_equal(mime_type_for("a.png", 5, ov, 0), "image/png");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_known_type),
        cmocka_unit_test(test_required_set),
        cmocka_unit_test(test_text_types_have_charset),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_unknown_and_no_extension),
        cmocka_unit_test(test_dot_files),
        cmocka_unit_test(test_length_delimited),
        cmocka_unit_test(test_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
