/* File names for uploads: what a client sends is never trusted as a path. */
#include "handlers/upload_name.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Start of the extension in s[from..to) (its dot), or `to` when there is
 * none. Leading dots do not count: ".env" has no extension. Control bytes
 * are skipped as they will be dropped. */
static size_t ext_at(const char *s, size_t from, size_t to)
{
    size_t lead = from;
    while (lead < to && (s[lead] == '.' || is_ctl((unsigned char)s[lead])))
        lead++;
    for (size_t i = to; i > lead; i--)
        if (s[i - 1] == '.')
            return i - 1;
    return to;
}

/* The number of bytes of in[from..to) that are not control bytes. */
static size_t clean_len(const char *in, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += !is_ctl((unsigned char)in[i]);
    return n;
}

/* Copies the non-control bytes of in[from..to) to out, at most max of
 * them, and returns how many. When it has to stop inside a UTF-8
 * character, the partial character is left out. */
static size_t copy_clean(const char *in, size_t from, size_t to, char *out, size_t max)
{
    size_t k = 0, i = from;
    for (; i < to; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_ctl(c))
            continue;
        if (k == max)
            break;
        out[k++] = (char)c;
    }
    while (i < to && is_ctl((unsigned char)in[i]))
        i++;
    if (i < to && is_cont((unsigned char)in[i])) {
        /* The next byte continues the last character: drop its start. */
        while (k > 0 && is_cont((unsigned char)out[k - 1]))
            k--;
        if (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0xc0)
            k--;
    }
    return k;
}

size_t upload_name_sanitize(const char *in, size_t len, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (in == NULL || cap < 2)
        return 0;

    /* The last path segment, either separator. */
    size_t a = 0;
    for (size_t i = 0; i < len; i++)
        if (in[i] == '/' || in[i] == '\\')
            a = i + 1;
    /* Trim: leading spaces, trailing spaces and dots (controls are
     * dropped anyway, so they do not stop the trimming). */
    size_t b = len;
    while (a < b && (in[a] == ' ' || is_ctl((unsigned char)in[a])))
        a++;
    while (b > a && (in[b - 1] == ' ' || in[b - 1] == '.' || is_ctl((unsigned char)in[b - 1])))
        b--;

    size_t max = cap - 1, w;
    if (clean_len(in, a, b) <= max) {
        w = copy_clean(in, a, b, out, max);
    } else {
        /* Too long: keep the extension when it leaves room for a stem at
         * least as long, and cut the stem at a character boundary. */
        size_t e = ext_at(in, a, b);
        size_t ext_len = clean_len(in, e, b);
        if (ext_len > 0 && ext_len <= max / 2) {
            w = copy_clean(in, a, e, out, max - ext_len);
            while (w > 0 && out[w - 1] == ' ')
                w--;
            w += copy_clean(in, e, b, out + w, ext_len);
        } else {
            w = copy_clean(in, a, b, out, max);
            while (w > 0 && (out[w - 1] == ' ' || out[w - 1] == '.'))
                w--;
        }
    }
    out[w] = '\0';
    if ((w == 1 && out[0] == '.') || (w == 2 && out[0] == '.' && out[1] == '.')) {
        out[0] = '\0';
        return 0;
    }
    return w;
}

size_t upload_name_variant(const char *name, unsigned n, char *out, size_t cap)
{
    if (name == NULL || out == NULL || cap == 0)
        return 0;
    size_t len = strlen(name);
    size_t e = ext_at(name, 0, len);
    char suffix[16];
    int sn = snprintf(suffix, sizeof suffix, "-%u", n);
    if (sn < 0)
        return 0;
    size_t total = len + (size_t)sn;
    if (total + 1 > cap) {
        out[0] = '\0';
        return 0;
    }
    memcpy(out, name, e);
    memcpy(out + e, suffix, (size_t)sn);
    memcpy(out + e + (size_t)sn, name + e, len - e + 1);
    return total;
}
