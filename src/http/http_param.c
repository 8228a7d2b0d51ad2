/* Header value parameters: see http_param.h. */
#include "http/http_param.h"

#include <string.h>

#include "lib/ascii.h"

static size_t skip_ows(const struct http_param_iter *it, size_t i)
{
    while (i < it->len && ascii_is_blank((unsigned char)it->s[i]))
        i++;
    return i;
}

/* Up to the first of the bytes in stop (or whitespace), from it->s[i]. */
static size_t skip_to(const struct http_param_iter *it, size_t i, const char *stop)
{
    for (; i < it->len; i++) {
        unsigned char c = (unsigned char)it->s[i];
        if (ascii_is_blank(c) || (c != '\0' && strchr(stop, c)))
            break;
    }
    return i;
}

struct str http_param_begin(struct http_param_iter *it, const char *value, size_t len)
{
    it->s = value;
    it->len = len;
    size_t type_at = skip_ows(it, 0);
    it->at = skip_to(it, type_at, ";");
    return str_make(value + type_at, it->at - type_at);
}

/* Reads a value at it->s[*i..) into o; -1 for an unterminated
 * quoted-string. */
static int read_value(const struct http_param_iter *it, size_t *i, struct cbuf *o)
{
    const char *s = it->s;
    size_t k = *i, n = it->len;
    if (k == n || s[k] != '"') {
        size_t end = skip_to(it, k, ";");
        for (; k < end; k++)
            cbuf_put(o, s[k]);
        *i = end;
        return 0;
    }
    for (k++; k < n; k++) {
        char c = s[k];
        if (c == '"') {
            *i = k + 1;
            return 0;
        }
        if (c == '\\' && k + 1 < n && (s[k + 1] == '"' || s[k + 1] == '\\'))
            c = s[++k];
        cbuf_put(o, c);
    }
    return -1;
}

enum http_param_result http_param_next(struct http_param_iter *it, struct http_param *p,
                                       char *buf, size_t cap)
{
    size_t i = skip_ows(it, it->at);
    if (i == it->len)
        return HTTP_PARAM_END;
    if (it->s[i] != ';')
        return HTTP_PARAM_ERROR;
    i = skip_ows(it, i + 1);
    it->at = i;
    if (i == it->len)
        return HTTP_PARAM_END; /* a trailing ';' */
    i = skip_to(it, i, "=;");
    p->name = str_make(it->s + it->at, i - it->at);
    i = skip_ows(it, i);
    if (p->name.len == 0 && (i == it->len || it->s[i] == ';')) {
        it->at = i;
        return HTTP_PARAM_EMPTY;
    }
    if (i == it->len || it->s[i] != '=')
        return HTTP_PARAM_ERROR;
    i = skip_ows(it, i + 1);
    cbuf_init(&p->value, buf, cap);
    if (read_value(it, &i, &p->value) < 0)
        return HTTP_PARAM_ERROR;
    it->at = i;
    return HTTP_PARAM_OK;
}
