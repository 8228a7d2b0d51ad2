/* MIME types by file extension. */
#include "http/mime.h"

#include <stdbool.h>
#include <string.h>

#include "http/http_param.h"
#include "lib/ascii.h"
#include "lib/str.h"

#define OCTET_STREAM "application/octet-stream"
#define EXT_MAX 11 /* longest extension in the table ("webmanifest") */

struct mime_entry {
    const char *ext; /* lower case, no dot */
    const char *type;
};

/* Every extension of nginx's mime.types (1.22) with nginx's type, except
 * .js: text/javascript, as RFC 9239 made it; then types nginx lacks that
 * sites serve today (.mjs, .map, .webmanifest, .vtt, .heic, .jxl, .zst ...).
 * Sorted by ext in strcmp order for the binary search below (the unit
 * test looks every entry up, so a misplaced one fails it). */
static const struct mime_entry mime_table[] = {
    {"3gp", "video/3gpp"},
    {"3gpp", "video/3gpp"},
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"ai", "application/postscript"},
    {"apng", "image/apng"},
    {"asf", "video/x-ms-asf"},
    {"asx", "video/x-ms-asf"},
    {"atom", "application/atom+xml"},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/x-ms-bmp"},
    {"bz2", "application/x-bzip2"},
    {"cco", "application/x-cocoa"},
    {"cjs", "text/javascript"},
    {"crt", "application/x-x509-ca-cert"},
    {"css", "text/css"},
    {"csv", "text/csv"},
    {"deb", "application/octet-stream"},
    {"der", "application/x-x509-ca-cert"},
    {"dll", "application/octet-stream"},
    {"dmg", "application/octet-stream"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"ear", "application/java-archive"},
    {"eot", "application/vnd.ms-fontobject"},
    {"eps", "application/postscript"},
    {"epub", "application/epub+zip"},
    {"exe", "application/octet-stream"},
    {"flac", "audio/flac"},
    {"flv", "video/x-flv"},
    {"gif", "image/gif"},
    {"glb", "model/gltf-binary"},
    {"gltf", "model/gltf+json"},
    {"gz", "application/gzip"},
    {"heic", "image/heic"},
    {"heif", "image/heif"},
    {"hqx", "application/mac-binhex40"},
    {"htc", "text/x-component"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ico", "image/x-icon"},
    {"ics", "text/calendar"},
    {"img", "application/octet-stream"},
    {"iso", "application/octet-stream"},
    {"jad", "text/vnd.sun.j2me.app-descriptor"},
    {"jar", "application/java-archive"},
    {"jardiff", "application/x-java-archive-diff"},
    {"jng", "image/x-jng"},
    {"jnlp", "application/x-java-jnlp-file"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"jxl", "image/jxl"},
    {"kar", "audio/midi"},
    {"kml", "application/vnd.google-earth.kml+xml"},
    {"kmz", "application/vnd.google-earth.kmz"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"m4a", "audio/x-m4a"},
    {"m4v", "video/x-m4v"},
    {"map", "application/json"},
    {"markdown", "text/markdown"},
    {"md", "text/markdown"},
    {"mid", "audio/midi"},
    {"midi", "audio/midi"},
    {"mjs", "text/javascript"},
    {"mkv", "video/x-matroska"},
    {"mml", "text/mathml"},
    {"mng", "video/x-mng"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpd", "application/dash+xml"},
    {"mpeg", "video/mpeg"},
    {"mpg", "video/mpeg"},
    {"msi", "application/octet-stream"},
    {"msm", "application/octet-stream"},
    {"msp", "application/octet-stream"},
    {"odg", "application/vnd.oasis.opendocument.graphics"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"opus", "audio/opus"},
    {"otf", "font/otf"},
    {"pdb", "application/x-pilot"},
    {"pdf", "application/pdf"},
    {"pem", "application/x-x509-ca-cert"},
    {"pl", "application/x-perl"},
    {"pm", "application/x-perl"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"prc", "application/x-pilot"},
    {"ps", "application/postscript"},
    {"ra", "audio/x-realaudio"},
    {"rar", "application/x-rar-compressed"},
    {"rpm", "application/x-redhat-package-manager"},
    {"rss", "application/rss+xml"},
    {"rtf", "application/rtf"},
    {"run", "application/x-makeself"},
    {"sea", "application/x-sea"},
    {"shtml", "text/html"},
    {"sit", "application/x-stuffit"},
    {"svg", "image/svg+xml"},
    {"svgz", "image/svg+xml"},
    {"swf", "application/x-shockwave-flash"},
    {"tar", "application/x-tar"},
    {"tcl", "application/x-tcl"},
    {"tgz", "application/gzip"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"tk", "application/x-tcl"},
    {"toml", "application/toml"},
    {"ts", "video/mp2t"},
    {"tsv", "text/tab-separated-values"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain"},
    {"vtt", "text/vtt"},
    {"war", "application/java-archive"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"wbmp", "image/vnd.wap.wbmp"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"wml", "text/vnd.wap.wml"},
    {"wmlc", "application/vnd.wap.wmlc"},
    {"wmv", "video/x-ms-wmv"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xml", "text/xml"},
    {"xpi", "application/x-xpinstall"},
    {"xspf", "application/xspf+xml"},
    {"xz", "application/x-xz"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
};

static bool ext_case_eq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && ascii_case_eq(a, b, alen);
}

/* Finds the extension of name[0..len): the bytes after the last '.' of the
 * last path segment, when that '.' is neither the segment's first byte
 * (".bashrc") nor its last ("file."). Returns false when there is none. */
static bool find_ext(const char *name, size_t len, const char **ext, size_t *ext_len)
{
    size_t i = len;
    while (i > 0 && name[i - 1] != '.' && name[i - 1] != '/')
        i--;
    if (i == 0 || name[i - 1] != '.' || i == len)
        return false;
    size_t dot = i - 1;
    if (dot == 0 || name[dot - 1] == '/')
        return false; /* dot-file */
    *ext = name + i;
    *ext_len = len - i;
    return true;
}

const char *mime_type_for(const char *name, size_t len,
                          const struct mime_override *overrides, size_t n_overrides)
{
    const char *ext;
    size_t ext_len;

    if (name == NULL || !find_ext(name, len, &ext, &ext_len))
        return OCTET_STREAM;

    for (size_t i = 0; i < n_overrides; i++) {
        const char *oext = overrides[i].ext;
        if (oext == NULL || overrides[i].type == NULL)
            continue;
        if (oext[0] == '.')
            oext++;
        if (ext_case_eq(ext, ext_len, oext))
            return overrides[i].type;
    }

    if (ext_len > EXT_MAX)
        return OCTET_STREAM;
    char key[EXT_MAX + 1];
    for (size_t i = 0; i < ext_len; i++)
        key[i] = (char)ascii_lower((unsigned char)ext[i]);
    key[ext_len] = '\0';

    size_t lo = 0, hi = sizeof mime_table / sizeof mime_table[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(key, mime_table[mid].ext);
        if (cmp == 0)
            return mime_table[mid].type;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return OCTET_STREAM;
}

bool mime_type_takes_charset(const char *type)
{
    if (type == NULL)
        return false;
    struct http_param_iter it;
    struct str t = http_param_begin(&it, type, strlen(type));
    bool text = t.len > 5 && str_case_eq(str_make(t.p, 5), "text/", 5);
    if (!text && !STR_CASE_EQ(t, "application/javascript") && !STR_CASE_EQ(t, "application/json"))
        return false;
    struct http_param p;
    char value[2]; /* only the names matter */
    for (;;) {
        switch (http_param_next(&it, &p, value, sizeof value)) {
        case HTTP_PARAM_END:
            return true;
        case HTTP_PARAM_OK:
            if (STR_CASE_EQ(p.name, "charset"))
                return false;
            break;
        case HTTP_PARAM_EMPTY:
            break;
        case HTTP_PARAM_ERROR:
            return false; /* not ours to extend */
        }
    }
}
