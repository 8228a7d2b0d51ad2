/* Request-target path decoding and normalisation. */
#include "http/uri.h"

#include <stdbool.h>

#include "lib/ascii.h"

/* Decoding and normalising happen in one pass. Each segment is decoded
 * straight into dst after the last '/' written; when it ends, "." is
 * dropped, ".." drops itself and the segment before it, an empty segment
 * (from "//") is dropped. Every byte written matches at least one byte
 * read, so dst never needs more than len + 1 bytes. */
long uri_normalize_path(const char *src, size_t len, char *dst)
{
    if (len == 0 || src[0] != '/')
        return -1;

    size_t i = 1, o = 1;
    dst[0] = '/';
    while (i <= len) {
        size_t seg = o; /* dst[seg - 1] == '/' */
        bool sep = false;
        while (i < len) {
            unsigned char c = (unsigned char)src[i++];
            if (c == '%') {
                if (len - i < 2)
                    return -1;
                int hi = ascii_hex_value((unsigned char)src[i]);
                int lo = ascii_hex_value((unsigned char)src[i + 1]);
                if (hi < 0 || lo < 0)
                    return -1;
                i += 2;
                c = (unsigned char)(hi << 4 | lo);
            }
            if (c == '\0')
                return -1;
            if (c == '/') {
                sep = true;
                break;
            }
            dst[o++] = (char)c;
        }

        size_t n = o - seg;
        if (n == 1 && dst[seg] == '.') {
            o = seg;
        } else if (n == 2 && dst[seg] == '.' && dst[seg + 1] == '.') {
            if (seg == 1)
                return -1; /* would climb above "/" */
            o = seg - 1;   /* the '/' ending the previous segment */
            while (dst[o - 1] != '/')
                o--;
        } else if (n > 0 && sep) {
            dst[o++] = '/';
        }
        if (!sep)
            break;
    }
    dst[o] = '\0';
    return (long)o;
}
