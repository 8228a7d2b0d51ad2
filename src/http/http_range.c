/* Range requests (RFC 9110 14) and conditional requests (RFC 9110 13). */
#include "http/http_range.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http/http_date.h"
#include "lib/ascii.h"

/* Reads decimal digits at s[*i..n) into *out. Returns -1 when there are
 * none or the number does not fit in 64 bits. */
static int read_u64(const char *s, size_t n, size_t *i, uint64_t *out)
{
    size_t k = *i;
    uint64_t v = 0;
    if (k >= n || !ascii_is_digit((unsigned char)s[k]))
        return -1;
    for (; k < n && ascii_is_digit((unsigned char)s[k]); k++) {
        unsigned d = (unsigned)(s[k] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *i = k;
    *out = v;
    return 0;
}

/* One range-spec s[0..n) (no surrounding OWS) against size bytes. */
static enum http_range_result range_spec(const char *s, size_t n, uint64_t size,
                                         uint64_t *first, uint64_t *last)
{
    size_t i = 0;
    uint64_t a, b = 0;
    if (n > 0 && s[0] == '-') {
        /* suffix-range: the last b bytes */
        i = 1;
        if (read_u64(s, n, &i, &b) < 0 || i != n)
            return HTTP_RANGE_NONE;
        if (b == 0 || size == 0)
            return HTTP_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return HTTP_RANGE_OK;
    }
    if (read_u64(s, n, &i, &a) < 0 || i == n || s[i] != '-')
        return HTTP_RANGE_NONE;
    i++;
    bool open_end = i == n;
    if (!open_end) {
        if (read_u64(s, n, &i, &b) < 0 || i != n || b < a)
            return HTTP_RANGE_NONE;
    }
    if (a >= size)
        return HTTP_RANGE_UNSATISFIABLE;
    *first = a;
    *last = open_end || b >= size ? size - 1 : b;
    return HTTP_RANGE_OK;
}

enum http_range_result http_range_parse(const char *value, size_t len, uint64_t size,
                                        uint64_t *first, uint64_t *last)
{
    const char *s = value;
    size_t n = len, i = 0;
    if (s == NULL)
        return HTTP_RANGE_NONE;
    while (i < n && ascii_is_blank((unsigned char)s[i]))
        i++;
    static const char unit[] = "bytes";
    for (size_t k = 0; k < sizeof unit - 1; k++, i++) {
        if (i >= n || ascii_lower((unsigned char)s[i]) != unit[k])
            return HTTP_RANGE_NONE;
    }
    while (i < n && ascii_is_blank((unsigned char)s[i]))
        i++;
    if (i >= n || s[i] != '=')
        return HTTP_RANGE_NONE;
    i++;

    /* range-set = 1#range-spec: empty list elements are allowed and
     * skipped; more than one real element is not served as a range. */
    const char *spec = NULL;
    size_t spec_len = 0;
    while (i < n) {
        while (i < n && ascii_is_blank((unsigned char)s[i]))
            i++;
        size_t at = i;
        while (i < n && s[i] != ',')
            i++;
        size_t end = i;
        while (end > at && ascii_is_blank((unsigned char)s[end - 1]))
            end--;
        if (end > at) {
            if (spec != NULL)
                return HTTP_RANGE_NONE;
            spec = s + at;
            spec_len = end - at;
        }
        if (i < n)
            i++; /* the comma */
    }
    if (spec == NULL)
        return HTTP_RANGE_NONE;
    return range_spec(spec, spec_len, size, first, last);
}

size_t http_etag_make(char *out, time_t mtime_sec, long mtime_nsec, uint64_t size)
{
    int n = snprintf(out, HTTP_ETAG_MAX, "\"%llx-%lx-%llx\"", (unsigned long long)mtime_sec,
                     (unsigned long)mtime_nsec, (unsigned long long)size);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- entity tags -------------------------------------------------------- */

struct etag {
    bool weak;
    const char *opaque; /* including its quotes */
    size_t len;
};

/* Reads one entity-tag at s[*i..n): [W/] DQUOTE etagc* DQUOTE. */
static int read_etag(const char *s, size_t n, size_t *i, struct etag *t)
{
    size_t k = *i;
    t->weak = false;
    if (n - k >= 2 && s[k] == 'W' && s[k + 1] == '/') {
        t->weak = true;
        k += 2;
    }
    if (k >= n || s[k] != '"')
        return -1;
    size_t open = k++;
    while (k < n && s[k] != '"') {
        unsigned char c = (unsigned char)s[k];
        if (c < 0x21 || c == 0x7f)
            return -1;
        k++;
    }
    if (k >= n)
        return -1;
    t->opaque = s + open;
    t->len = k + 1 - open;
    *i = k + 1;
    return 0;
}

static bool etag_match(const struct etag *a, const struct etag *b, bool strong)
{
    if (strong && (a->weak || b->weak))
        return false;
    return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

/* Does the list value s[0..n) ("*" or 1#entity-tag) match ours? An
 * element that does not parse is skipped to the next comma. */
static bool list_matches(const char *s, size_t n, const struct etag *ours, bool strong)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (ascii_is_blank((unsigned char)s[i]) || s[i] == ','))
            i++;
        if (i == n)
            break;
        if (s[i] == '*') {
            size_t k = i + 1;
            while (k < n && ascii_is_blank((unsigned char)s[k]))
                k++;
            if (k == n || s[k] == ',')
                return true;
        }
        struct etag t;
        if (read_etag(s, n, &i, &t) == 0) {
            if (ours != NULL && etag_match(&t, ours, strong))
                return true;
        }
        while (i < n && s[i] != ',')
            i++;
    }
    return false;
}

/* Does any header line named `name` (lower case) match? A list header may
 * be sent as several lines. Sets *present when there is one. */
static bool header_list_matches(const struct http_request_head *h, const char *name,
                                size_t name_len, const struct etag *ours, bool strong,
                                bool *present)
{
    *present = false;
    for (size_t i = 0; i < h->num_headers; i++) {
        const struct http_header *hd = &h->headers[i];
        if (!str_case_eq(hd->name, name, name_len))
            continue;
        *present = true;
        if (list_matches(hd->value.p, hd->value.len, ours, strong))
            return true;
    }
    return false;
}

/* Our own ETag as a struct etag; false when it does not parse. */
static bool own_etag(const char *etag, size_t etag_len, struct etag *t)
{
    size_t i = 0;
    return etag != NULL && read_etag(etag, etag_len, &i, t) == 0 && i == etag_len;
}

static time_t header_date(const struct http_request_head *h, const char *name, size_t name_len)
{
    const struct http_header *hd = http_find_header(h, name, name_len);
    if (hd == NULL)
        return (time_t)-1;
    return http_date_parse(hd->value.p, hd->value.len);
}

#define LIT(s) s, sizeof(s) - 1

enum http_cond_result http_conditional(const struct http_request_head *h, const char *etag,
                                       size_t etag_len, time_t mtime)
{
    struct etag ours;
    const struct etag *op = own_etag(etag, etag_len, &ours) ? &ours : NULL;
    bool present;

    /* Step 1 and 2: If-Match, else If-Unmodified-Since. */
    bool matched = header_list_matches(h, LIT("if-match"), op, true, &present);
    if (present) {
        if (!matched)
            return HTTP_COND_PRECONDITION_FAILED;
    } else {
        time_t t = header_date(h, LIT("if-unmodified-since"));
        if (t != (time_t)-1 && mtime > t)
            return HTTP_COND_PRECONDITION_FAILED;
    }

    /* Step 3 and 4: If-None-Match, else If-Modified-Since (GET/HEAD). */
    bool get_or_head = h->method == HTTP_GET || h->method == HTTP_HEAD;
    matched = header_list_matches(h, LIT("if-none-match"), op, false, &present);
    if (present) {
        if (matched)
            return get_or_head ? HTTP_COND_NOT_MODIFIED : HTTP_COND_PRECONDITION_FAILED;
    } else if (get_or_head) {
        time_t t = header_date(h, LIT("if-modified-since"));
        if (t != (time_t)-1 && mtime <= t)
            return HTTP_COND_NOT_MODIFIED;
    }
    return HTTP_COND_PROCEED;
}

int http_if_range_applies(const struct http_request_head *h, const char *etag, size_t etag_len,
                          time_t mtime)
{
    const struct http_header *hd = http_find_header(h, LIT("if-range"));
    if (hd == NULL)
        return 1;
    const char *v = hd->value.p;
    size_t n = hd->value.len;
    if ((n > 0 && v[0] == '"') || (n > 1 && v[0] == 'W' && v[1] == '/')) {
        struct etag theirs, ours;
        size_t i = 0;
        if (read_etag(v, n, &i, &theirs) < 0 || i != n || !own_etag(etag, etag_len, &ours))
            return 0;
        return etag_match(&theirs, &ours, true) ? 1 : 0;
    }
    time_t t = http_date_parse(v, n);
    return t != (time_t)-1 && t == mtime ? 1 : 0;
}
