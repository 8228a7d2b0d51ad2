#include "http/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/ascii.h"

/* The length of the well-formed UTF-8 sequence (RFC 3629, table 3-7 of
 * Unicode) that starts at s[0], a byte of 0x80 or more, within s[0..len);
 * 0 when there is none: a stray continuation byte, C0/C1/F5..FF, an
 * overlong form, a surrogate, past U+10FFFF, or a truncated sequence. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
    size_t n;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* escape_json and escape_json_utf8: utf8 says whether bytes of 0x80 and
 * more are checked (else passed through); at most max bytes are
 * appended. Returns how many bytes of s went in. */
static size_t escape_json_bounded(struct strbuf *b, const char *s, size_t len, bool utf8,
                                  size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0, out = 0, i = 0; /* s[run..i) is yet to be copied */
    while (i < len) {
        unsigned char c = u[i];
        size_t n = 1;
        bool esc = c < 0x20 || c == 0x7f || c == '"' || c == '\\';
        if (c >= 0x80 && utf8 && (n = utf8_seq_len(u + i, len - i)) == 0)
            esc = true, n = 1;
        size_t width = !esc ? n : c == '"' || c == '\\' ? 2 : 6;
        if (width > max - out)
            break;
        out += width;
        if (esc) {
            strbuf_append(b, s + run, i - run);
            run = i + 1;
            char e[6] = {'\\', 'u', '0', '0', ascii_hex_lower(c >> 4), ascii_hex_lower(c)};
            if (c == '"' || c == '\\')
                e[1] = (char)c;
            strbuf_append(b, e, width);
        }
        i += n;
    }
    strbuf_append(b, s + run, i - run);
    return i;
}

void escape_json(struct strbuf *b, const char *s, size_t len)
{
    escape_json_bounded(b, s, len, false, SIZE_MAX);
}

size_t escape_json_utf8(struct strbuf *b, const char *s, size_t len, size_t max)
{
    return escape_json_bounded(b, s, len, true, max);
}

void escape_html(struct strbuf *b, const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *ref;
        switch (s[i]) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        default: continue;
        }
        strbuf_append(b, s + run, i - run);
        strbuf_puts(b, ref);
        run = i + 1;
    }
    strbuf_append(b, s + run, len - run);
}

static bool keep_in_path(unsigned char c)
{
    return ascii_is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

/* RFC 3986 3.3: pchar (unreserved, sub-delims, ':' and '@') and '/'. */
static bool keep_in_pchar(unsigned char c)
{
    return keep_in_path(c) || (c && strchr("!$&'()*+,;=:@", c));
}

static void escape_path(struct strbuf *b, const char *s, size_t len, bool (*keep)(unsigned char))
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (keep(c))
            continue;
        strbuf_append(b, s + run, i - run);
        char esc[3] = {'%', ascii_hex_upper(c >> 4), ascii_hex_upper(c)};
        strbuf_append(b, esc, 3);
        run = i + 1;
    }
    strbuf_append(b, s + run, len - run);
}

void escape_url_path(struct strbuf *b, const char *s, size_t len)
{
    escape_path(b, s, len, keep_in_path);
}

void escape_url_pchar(struct strbuf *b, const char *s, size_t len)
{
    escape_path(b, s, len, keep_in_pchar);
}
