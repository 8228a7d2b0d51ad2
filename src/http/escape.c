#include "http/escape.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/ascii.h"

void escape_json(struct strbuf *b, const char *s, size_t len)
{
    size_t run = 0; /* bytes copied in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
            continue;
        strbuf_append(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            strbuf_append(b, esc, 2);
        } else {
            char esc[7] = {'\\', 'u', '0', '0', ascii_hex_lower(c >> 4), ascii_hex_lower(c), 0};
            strbuf_append(b, esc, 6);
        }
    }
    strbuf_append(b, s + run, len - run);
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
