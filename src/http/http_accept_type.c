/* Media types named in an Accept header: see http_accept_type.h. */
#include "http/http_accept_type.h"

#include <string.h>

#include "http/http_param.h"

/* The end of the element that starts at s[i]: the next ',' outside a
 * quoted-string, or len. */
static size_t element_end(const char *s, size_t len, size_t i)
{
    bool quoted = false;
    for (; i < len; i++) {
        char c = s[i];
        if (quoted && c == '\\' && i + 1 < len)
            i++;
        else if (c == '"')
            quoted = !quoted;
        else if (c == ',' && !quoted)
            break;
    }
    return i;
}

/* A q-value of zero: "0", "0." or "0.000" (RFC 9110 12.4.2). */
static bool q_is_zero(const char *v)
{
    if (*v++ != '0')
        return false;
    if (*v == '.')
        for (v++; *v == '0'; v++)
            ;
    return *v == '\0';
}

/* One element, s[0..len): see http_accept_names. */
static bool element_names(const char *s, size_t len, const char *type, const char *param,
                          const char *value)
{
    struct http_param_iter it;
    if (!str_case_eq(http_param_begin(&it, s, len), type, strlen(type)))
        return false;
    bool has = !param;
    char buf[64];
    for (;;) {
        struct http_param p;
        switch (http_param_next(&it, &p, buf, sizeof(buf))) {
        case HTTP_PARAM_END: return has;
        case HTTP_PARAM_ERROR: return false;
        case HTTP_PARAM_EMPTY: continue;
        case HTTP_PARAM_OK: break;
        }
        if (STR_CASE_EQ(p.name, "q")) {
            if (q_is_zero(buf))
                return false;
        } else if (param && str_case_eq(p.name, param, strlen(param)) && !p.value.overflow &&
                   strcmp(buf, value) == 0) {
            has = true;
        }
    }
}

bool http_accept_names(struct str accept, const char *type, const char *param,
                       const char *value)
{
    for (size_t i = 0; i < accept.len;) {
        size_t end = element_end(accept.p, accept.len, i);
        if (element_names(accept.p + i, end - i, type, param, value))
            return true;
        i = end + 1;
    }
    return false;
}
