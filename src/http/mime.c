/* MIME types by file extension. */
#include "http/mime.h"

#include <stdbool.h>
#include <string.h>

#include "lib/ascii.h"

#define OCTET_STREAM "application/octet-stream"
#define UTF8 "; charset=utf-8"
#define EXT_MAX 11 /* longest extension in the table ("webmanifest") */

struct mime_entry {
    const char *ext; /* lower case, no dot */
    const char *type;
};

/* Sorted by ext in strcmp order for the binary search below (the unit
 * test looks every entry up, so a misplaced one fails it). */
static const struct mime_entry mime_table[] = {
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apng", "image/apng"},
    {"atom", "application/atom+xml" UTF8},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"bz2", "application/x-bzip2"},
    {"cjs", "text/javascript" UTF8},
    {"css", "text/css" UTF8},
    {"csv", "text/csv" UTF8},
    {"eot", "application/vnd.ms-fontobject"},
    {"epub", "application/epub+zip"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html" UTF8},
    {"html", "text/html" UTF8},
    {"ico", "image/x-icon"},
    {"ics", "text/calendar" UTF8},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript" UTF8},
    {"json", "application/json" UTF8},
    {"jsonld", "application/ld+json" UTF8},
    {"m4a", "audio/mp4"},
    {"map", "application/json" UTF8},
    {"md", "text/markdown" UTF8},
    {"mjs", "text/javascript" UTF8},
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
    {"rss", "application/rss+xml" UTF8},
    {"rtf", "application/rtf"},
    {"svg", "image/svg+xml" UTF8},
    {"tar", "application/x-tar"},
    {"tgz", "application/gzip"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain" UTF8},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json" UTF8},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml" UTF8},
    {"xml", "application/xml" UTF8},
    {"xz", "application/x-xz"},
    {"yaml", "application/yaml" UTF8},
    {"yml", "application/yaml" UTF8},
    {"zip", "application/zip"},
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
