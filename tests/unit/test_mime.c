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

struct ext_type {
    const char *ext, *type;
};

/* Every extension of /etc/nginx/mime.types (nginx 1.22.1, Debian), in its
 * order, generated once from that file: portico must give each nginx's
 * type, but for the one deliberate change (js, see expected()). */
static const struct ext_type nginx_types[] = {
        {"html", "text/html"},
        {"htm", "text/html"},
        {"shtml", "text/html"},
        {"css", "text/css"},
        {"xml", "text/xml"},
        {"gif", "image/gif"},
        {"jpeg", "image/jpeg"},
        {"jpg", "image/jpeg"},
        {"js", "application/javascript"},
        {"atom", "application/atom+xml"},
        {"rss", "application/rss+xml"},
        {"mml", "text/mathml"},
        {"txt", "text/plain"},
        {"jad", "text/vnd.sun.j2me.app-descriptor"},
        {"wml", "text/vnd.wap.wml"},
        {"htc", "text/x-component"},
        {"avif", "image/avif"},
        {"png", "image/png"},
        {"svg", "image/svg+xml"},
        {"svgz", "image/svg+xml"},
        {"tif", "image/tiff"},
        {"tiff", "image/tiff"},
        {"wbmp", "image/vnd.wap.wbmp"},
        {"webp", "image/webp"},
        {"ico", "image/x-icon"},
        {"jng", "image/x-jng"},
        {"bmp", "image/x-ms-bmp"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"jar", "application/java-archive"},
        {"war", "application/java-archive"},
        {"ear", "application/java-archive"},
        {"json", "application/json"},
        {"hqx", "application/mac-binhex40"},
        {"doc", "application/msword"},
        {"pdf", "application/pdf"},
        {"ps", "application/postscript"},
        {"eps", "application/postscript"},
        {"ai", "application/postscript"},
        {"rtf", "application/rtf"},
        {"m3u8", "application/vnd.apple.mpegurl"},
        {"kml", "application/vnd.google-earth.kml+xml"},
        {"kmz", "application/vnd.google-earth.kmz"},
        {"xls", "application/vnd.ms-excel"},
        {"eot", "application/vnd.ms-fontobject"},
        {"ppt", "application/vnd.ms-powerpoint"},
        {"odg", "application/vnd.oasis.opendocument.graphics"},
        {"odp", "application/vnd.oasis.opendocument.presentation"},
        {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
        {"odt", "application/vnd.oasis.opendocument.text"},
        {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"wmlc", "application/vnd.wap.wmlc"},
        {"wasm", "application/wasm"},
        {"7z", "application/x-7z-compressed"},
        {"cco", "application/x-cocoa"},
        {"jardiff", "application/x-java-archive-diff"},
        {"jnlp", "application/x-java-jnlp-file"},
        {"run", "application/x-makeself"},
        {"pl", "application/x-perl"},
        {"pm", "application/x-perl"},
        {"prc", "application/x-pilot"},
        {"pdb", "application/x-pilot"},
        {"rar", "application/x-rar-compressed"},
        {"rpm", "application/x-redhat-package-manager"},
        {"sea", "application/x-sea"},
        {"swf", "application/x-shockwave-flash"},
        {"sit", "application/x-stuffit"},
        {"tcl", "application/x-tcl"},
        {"tk", "application/x-tcl"},
        {"der", "application/x-x509-ca-cert"},
        {"pem", "application/x-x509-ca-cert"},
        {"crt", "application/x-x509-ca-cert"},
        {"xpi", "application/x-xpinstall"},
        {"xhtml", "application/xhtml+xml"},
        {"xspf", "application/xspf+xml"},
        {"zip", "application/zip"},
        {"bin", "application/octet-stream"},
        {"exe", "application/octet-stream"},
        {"dll", "application/octet-stream"},
        {"deb", "application/octet-stream"},
        {"dmg", "application/octet-stream"},
        {"iso", "application/octet-stream"},
        {"img", "application/octet-stream"},
        {"msi", "application/octet-stream"},
        {"msp", "application/octet-stream"},
        {"msm", "application/octet-stream"},
        {"mid", "audio/midi"},
        {"midi", "audio/midi"},
        {"kar", "audio/midi"},
        {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},
        {"m4a", "audio/x-m4a"},
        {"ra", "audio/x-realaudio"},
        {"3gpp", "video/3gpp"},
        {"3gp", "video/3gpp"},
        {"ts", "video/mp2t"},
        {"mp4", "video/mp4"},
        {"mpeg", "video/mpeg"},
        {"mpg", "video/mpeg"},
        {"mov", "video/quicktime"},
        {"webm", "video/webm"},
        {"flv", "video/x-flv"},
        {"m4v", "video/x-m4v"},
        {"mng", "video/x-mng"},
        {"asx", "video/x-ms-asf"},
        {"asf", "video/x-ms-asf"},
        {"wmv", "video/x-ms-wmv"},
        {"avi", "video/x-msvideo"},
};

/* The rest of the built-in table: types nginx lacks. Together with the
 * list above, every entry of the table, so that a misplaced one (the table
 * is binary-searched) fails. */
static const struct ext_type extra_types[] = {
        {"aac", "audio/aac"},
        {"apng", "image/apng"},
        {"bz2", "application/x-bzip2"},
        {"cjs", "text/javascript"},
        {"csv", "text/csv"},
        {"epub", "application/epub+zip"},
        {"flac", "audio/flac"},
        {"glb", "model/gltf-binary"},
        {"gltf", "model/gltf+json"},
        {"gz", "application/gzip"},
        {"heic", "image/heic"},
        {"heif", "image/heif"},
        {"ics", "text/calendar"},
        {"jsonld", "application/ld+json"},
        {"jxl", "image/jxl"},
        {"map", "application/json"},
        {"markdown", "text/markdown"},
        {"md", "text/markdown"},
        {"mjs", "text/javascript"},
        {"mkv", "video/x-matroska"},
        {"mpd", "application/dash+xml"},
        {"oga", "audio/ogg"},
        {"ogv", "video/ogg"},
        {"opus", "audio/opus"},
        {"otf", "font/otf"},
        {"tar", "application/x-tar"},
        {"tgz", "application/gzip"},
        {"toml", "application/toml"},
        {"tsv", "text/tab-separated-values"},
        {"ttf", "font/ttf"},
        {"vtt", "text/vtt"},
        {"wav", "audio/wav"},
        {"weba", "audio/webm"},
        {"webmanifest", "application/manifest+json"},
        {"xz", "application/x-xz"},
        {"yaml", "application/yaml"},
        {"yml", "application/yaml"},
        {"zst", "application/zstd"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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

/* nginx's type, but .js is text/javascript (RFC 9239). */
static const char *expected(const struct ext_type *e)
{
    return strcmp(e->ext, "js") == 0 ? "text/javascript" : e->type;
}

static void expect_all(const struct ext_type *v, size_t n)
{
    char name[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "file.%s", v[i].ext);
        expect_type(name, expected(&v[i]));
        snprintf(name, sizeof name, "/a/b.c/x.y.%s", v[i].ext);
        expect_type(name, expected(&v[i]));
    }
}

static void test_every_nginx_type(void **state)
{
    assert_int_equal(COUNT(nginx_types), 110);
    expect_all(nginx_types, COUNT(nginx_types));
    expect_type("app.js", "text/javascript");
}

static void test_every_extra_type(void **state)
{
    expect_all(extra_types, COUNT(extra_types));
    expect_type("app.mjs", "text/javascript");
    expect_type("app.cjs", "text/javascript");
}

/* The built-in table gives bare types: a charset is the `charset`
 * setting's business, when the head is written. */
static void test_types_are_bare(void **state)
{
    char name[64];
    const struct ext_type *lists[] = {nginx_types, extra_types};
    size_t counts[] = {COUNT(nginx_types), COUNT(extra_types)};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < counts[l]; i++) {
            snprintf(name, sizeof name, "a.%s", lists[l][i].ext);
            assert_null(strchr(type_of(name), ';'));
        }
    }
    expect_type("index.html", "text/html");
    expect_type("data.json", "application/json");
}

static void test_required_set(void **state)
{
    static const char *exts[] = {
        "html", "htm", "css", "js", "mjs", "json", "map", "xml", "txt", "csv",
        "md", "svg", "png", "jpg", "jpeg", "gif", "webp", "avif", "ico", "bmp",
        "wasm", "pdf", "zip", "gz", "tar", "mp4", "webm", "mp3", "ogg", "wav",
        "woff", "woff2", "ttf", "otf", "eot", "swf", "vtt", "webmanifest",
    };
    char name[32];
    for (size_t i = 0; i < COUNT(exts); i++) {
        snprintf(name, sizeof name, "x.%s", exts[i]);
        assert_string_not_equal(type_of(name), OCTET);
    }
    /* nginx maps these to octet-stream itself */
    expect_type("setup.exe", OCTET);
    expect_type("disk.iso", OCTET);
}

static void test_case_insensitive(void **state)
{
    expect_type("INDEX.HTML", "text/html");
    expect_type("photo.JpG", "image/jpeg");
    expect_type("Font.WOFF2", "font/woff2");
    expect_type("/A/B/App.Js", "text/javascript");
    expect_type("Movie.Mp4", "video/mp4");
    expect_type("APP.WASM", "application/wasm");
    expect_type("x.WebManifest", "application/manifest+json");
    char name[64];
    for (size_t i = 0; i < COUNT(nginx_types); i++) {
        snprintf(name, sizeof name, "F.%s", nginx_types[i].ext);
        for (char *p = name; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        expect_type(name, expected(&nginx_types[i]));
    }
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
    expect_type("file.aaa", OCTET);    /* before the first entry */
    expect_type("file.zzzz", OCTET);   /* after the last */
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
    expect_type(".config.json", "application/json");
    expect_type("/a/.b.txt", "text/plain");
}

static void test_length_delimited(void **state)
{
    /* only name[0..len) counts: no strlen on the name */
    const char *s = "index.html.gz";
    assert_string_equal(mime_type_for(s, 10, NULL, 0), "text/html");
    assert_string_equal(mime_type_for(s, 13, NULL, 0), "application/gzip");
    assert_string_equal(mime_type_for(s, 6, NULL, 0), OCTET);
    char buf[4] = {'a', '.', 'j', 's'}; /* not NUL-terminated */
    assert_string_equal(mime_type_for(buf, 4, NULL, 0), "text/javascript");
}

static void test_overrides(void **state)
{
    static const struct mime_override ov[] = {
        {".wasm", "application/x-custom-wasm"},
        {".foo", "text/x-foo; charset=latin1"},
        {"bar", "application/x-bar"}, /* without the dot works too */
        {".HTML", "text/html; charset=iso-8859-1"},
        {".js", "application/javascript"},
        {".newext", "application/x-new"}, /* not in the table */
    };
    size_t n = COUNT(ov);
    assert_ptr_equal(mime_type_for("a.wasm", 6, ov, n), ov[0].type);
    assert_ptr_equal(mime_type_for("a.FOO", 5, ov, n), ov[1].type);
    assert_ptr_equal(mime_type_for("a.bar", 5, ov, n), ov[2].type);
    assert_ptr_equal(mime_type_for("a.html", 6, ov, n), ov[3].type);
    assert_ptr_equal(mime_type_for("a.HtMl", 6, ov, n), ov[3].type);
    assert_ptr_equal(mime_type_for("/x/app.JS", 9, ov, n), ov[4].type);
    assert_ptr_equal(mime_type_for("a.newext", 8, ov, n), ov[5].type);
    assert_string_equal(mime_type_for("a.css", 5, ov, n), "text/css");
    assert_string_equal(mime_type_for("a.mjs", 5, ov, n), "text/javascript");
    assert_string_equal(mime_type_for("a.fo", 4, ov, n), OCTET);
    assert_string_equal(mime_type_for("a.foox", 6, ov, n), OCTET);
    /* overrides do not apply to dot-files or names without an extension */
    assert_string_equal(mime_type_for(".foo", 4, ov, n), OCTET);
    /* an empty override list */
    assert_string_equal(mime_type_for("a.png", 5, ov, 0), "image/png");
}

static void test_takes_charset(void **state)
{
    static const char *yes[] = {
        "text/html", "text/css", "text/plain", "text/javascript", "text/xml", "text/csv",
        "text/vnd.wap.wml", "TEXT/HTML", "Text/Plain", "application/javascript",
        "application/json", "Application/JSON", "text/html; q=1", "text/plain; version=0.0.4",
        " text/html",
    };
    for (size_t i = 0; i < COUNT(yes); i++) {
        if (!mime_type_takes_charset(yes[i]))
            print_error("\"%s\" should take a charset\n", yes[i]);
        assert_true(mime_type_takes_charset(yes[i]));
    }
    static const char *no[] = {
        NULL, "", "text/", "text", "image/svg+xml", "application/xml", "application/xhtml+xml",
        "application/ld+json", "application/manifest+json", "application/javascriptx",
        "application/jsonx", "application/octet-stream", "image/png", "font/woff2",
        "application/wasm", "texts/html", "text/html; charset=utf-8",
        "text/html;charset=iso-8859-1", "text/plain; version=0.0.4; charset=utf-8",
        "application/json; CHARSET=utf-8", "text/html; charset=\"utf-8\"",
        "text/html; x", /* a parameter that does not parse: left alone */
    };
    for (size_t i = 0; i < COUNT(no); i++) {
        if (mime_type_takes_charset(no[i]))
            print_error("\"%s\" should not take a charset\n", no[i] ? no[i] : "(null)");
        assert_false(mime_type_takes_charset(no[i]));
    }
    /* what the table gives for the contract's types */
    assert_true(mime_type_takes_charset(type_of("a.html")));
    assert_true(mime_type_takes_charset(type_of("a.js")));
    assert_true(mime_type_takes_charset(type_of("a.mjs")));
    assert_true(mime_type_takes_charset(type_of("a.json")));
    assert_true(mime_type_takes_charset(type_of("a.xml"))); /* nginx: text/xml */
    assert_false(mime_type_takes_charset(type_of("a.svg")));
    assert_false(mime_type_takes_charset(type_of("a.png")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_nginx_type),
        cmocka_unit_test(test_every_extra_type),
        cmocka_unit_test(test_types_are_bare),
        cmocka_unit_test(test_required_set),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_unknown_and_no_extension),
        cmocka_unit_test(test_dot_files),
        cmocka_unit_test(test_length_delimited),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_takes_charset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
