/* Incremental multipart/form-data parser (RFC 7578, RFC 2046 5.1).
 *
 * The body is scanned for the delimiter "\r\n--boundary". Since the
 * boundary may hold no CR or LF (multipart_init checks), the only CR of the
 * delimiter is its first byte: when a partial match fails, none of the
 * matched bytes can start another match, so they are part data and are
 * replayed from m->boundary itself. Nothing is copied but the part headers,
 * which are collected in m->header until their empty line. */
#include "http/multipart.h"

#include <string.h>

#include "http/http_param.h"
#include "lib/ascii.h"
#include "lib/cbuf.h"
#include "lib/str.h"

enum {
    MP_PREAMBLE,    /* before the first delimiter: discarded */
    MP_AFTER_DELIM, /* a whole delimiter was just matched */
    MP_AFTER_DASH,  /* "--boundary-": a second '-' closes */
    MP_PADDING,     /* transport padding before the delimiter line's CRLF */
    MP_DELIM_CR,    /* CR of the delimiter line seen, LF expected */
    MP_HEADERS,     /* collecting a part's header lines */
    MP_DATA,        /* part data, looking for the next delimiter */
    MP_EPILOGUE,    /* after the close delimiter: ignored */
    MP_FAILED
};

static struct str trim(const char *p, size_t n)
{
    while (n > 0 && (ascii_is_blank((unsigned char)p[0]) || p[0] == '\r'))
        p++, n--;
    while (n > 0 && (ascii_is_blank((unsigned char)p[n - 1]) || p[n - 1] == '\r'))
        n--;
    return str_make(p, n);
}

/* ---- header parameters ------------------------------------------------ */

/* Decodes an RFC 5987 ext-value (charset'language'pct-encoded) into o as
 * UTF-8. Returns -1 for an unknown charset or a bad escape, so the caller
 * falls back to the plain filename parameter. */
static int decode_ext_value(const char *s, size_t n, struct cbuf *o)
{
    const char *q1 = memchr(s, '\'', n);
    if (q1 == NULL)
        return -1;
    struct str cs = str_make(s, (size_t)(q1 - s));
    const char *rest = q1 + 1;
    const char *q2 = memchr(rest, '\'', n - (size_t)(rest - s));
    if (q2 == NULL)
        return -1;
    bool latin1;
    if (STR_CASE_EQ(cs, "utf-8"))
        latin1 = false;
    else if (STR_CASE_EQ(cs, "iso-8859-1"))
        latin1 = true;
    else
        return -1;
    for (const char *p = q2 + 1, *end = s + n; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%') {
            if (end - p < 3)
                return -1;
            int hi = ascii_hex_value((unsigned char)p[1]);
            int lo = ascii_hex_value((unsigned char)p[2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            p += 2;
        }
        if (latin1 && c >= 0x80) {
            cbuf_put(o, (char)(0xc0 | c >> 6));
            cbuf_put(o, (char)(0x80 | (c & 0x3f)));
        } else {
            cbuf_put(o, (char)c);
        }
    }
    return 0;
}

/* Parses a Content-Disposition value: "form-data" followed by parameters;
 * name, filename and filename* are kept (filename* wins over filename).
 * Returns NULL, or the reason it is refused. */
static const char *parse_disposition(struct str v, struct multipart_part *part)
{
    struct http_param_iter it;
    if (!STR_CASE_EQ(http_param_begin(&it, v.p, v.len), "form-data"))
        return "part is not form-data";

    char ext[MULTIPART_MAX_NAME], tmp[MULTIPART_MAX_NAME];
    bool has_ext = false;
    struct http_param p;
    enum http_param_result rc;
    while ((rc = http_param_next(&it, &p, tmp, sizeof tmp)) == HTTP_PARAM_OK) {
        if (p.name.len == 0)
            return "bad Content-Disposition";
        if (p.value.overflow)
            return "part name too long";
        if (STR_CASE_EQ(p.name, "name")) {
            memcpy(part->name, tmp, p.value.len + 1);
        } else if (STR_CASE_EQ(p.name, "filename")) {
            memcpy(part->filename, tmp, p.value.len + 1);
            part->has_filename = true;
        } else if (STR_CASE_EQ(p.name, "filename*")) {
            struct cbuf e;
            cbuf_init(&e, ext, sizeof ext);
            if (decode_ext_value(tmp, p.value.len, &e) == 0) {
                if (e.overflow)
                    return "part name too long";
                has_ext = true;
            }
        }
    }
    if (rc != HTTP_PARAM_END)
        return "bad Content-Disposition"; /* empty elements are refused too */
    if (has_ext) {
        memcpy(part->filename, ext, strlen(ext) + 1);
        part->has_filename = true;
    }
    return NULL;
}

/* Parses the collected header block m->header[0..header_len), whose last
 * line is empty, into m->part. Returns NULL or the reason it is refused. */
static const char *parse_part_headers(struct multipart *m)
{
    char *h = m->header;
    size_t n = m->header_len;
    /* Unfold obsolete line folding: a line starting with SP/HT continues
     * the one before. */
    for (size_t i = 1; i + 1 < n; i++) {
        if (h[i] == '\n' && ascii_is_blank((unsigned char)h[i + 1])) {
            h[i] = ' ';
            if (h[i - 1] == '\r')
                h[i - 1] = ' ';
        }
    }

    memset(&m->part, 0, sizeof m->part);
    bool has_disposition = false;
    size_t at = 0;
    while (at < n) {
        const char *nl = memchr(h + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - h) : n;
        struct str line = trim(h + at, end - at);
        at = end + 1;
        if (line.len == 0)
            break; /* the empty line ending the block */
        const char *colon = memchr(line.p, ':', line.len);
        if (colon == NULL || colon == line.p)
            return "bad part header";
        struct str name = str_make(line.p, (size_t)(colon - line.p));
        for (size_t k = 0; k < name.len; k++)
            if ((unsigned char)name.p[k] <= ' ' || name.p[k] == 0x7f)
                return "bad part header";
        struct str value = trim(colon + 1, line.len - name.len - 1);

        if (STR_CASE_EQ(name, "content-disposition")) {
            if (has_disposition)
                return "duplicate Content-Disposition";
            has_disposition = true;
            const char *err = parse_disposition(value, &m->part);
            if (err)
                return err;
        } else if (STR_CASE_EQ(name, "content-type")) {
            struct cbuf o;
            cbuf_init(&o, m->part.content_type, sizeof m->part.content_type);
            for (size_t k = 0; k < value.len; k++)
                cbuf_put(&o, value.p[k]); /* an overlong type is cut */
        }
    }
    if (!has_disposition)
        return "part without Content-Disposition";
    return NULL;
}

/* ---- the state machine ------------------------------------------------ */

int multipart_init(struct multipart *m, const char *content_type, size_t len)
{
    m->state = MP_FAILED;
    m->boundary_len = 0;
    m->match = 0;
    m->held_len = 0;
    m->header_len = 0;
    m->done = false;
    m->error = "bad multipart Content-Type";
    memset(&m->part, 0, sizeof m->part);
    if (content_type == NULL)
        return -1;

    struct http_param_iter it;
    if (!STR_CASE_EQ(http_param_begin(&it, content_type, len), "multipart/form-data")) {
        m->error = "not multipart/form-data";
        return -1;
    }

    char b[MULTIPART_MAX_BOUNDARY + 1], tmp[MULTIPART_MAX_BOUNDARY + 1];
    size_t blen = 0;
    bool found = false;
    struct http_param p;
    enum http_param_result rc;
    while ((rc = http_param_next(&it, &p, tmp, sizeof tmp)) != HTTP_PARAM_END) {
        if (rc == HTTP_PARAM_ERROR)
            return -1;
        if (rc == HTTP_PARAM_EMPTY || found || !STR_CASE_EQ(p.name, "boundary"))
            continue; /* the first boundary parameter counts */
        found = true;
        if (p.value.overflow || p.value.len == 0) {
            m->error = "missing or bad multipart boundary";
            return -1;
        }
        memcpy(b, tmp, p.value.len);
        blen = p.value.len;
    }
    if (!found) {
        m->error = "missing or bad multipart boundary";
        return -1;
    }
    /* No CR or LF (the scanner relies on it) nor other controls. */
    for (size_t k = 0; k < blen; k++) {
        unsigned char c = (unsigned char)b[k];
        if (c < 0x20 || c >= 0x7f) {
            m->error = "missing or bad multipart boundary";
            return -1;
        }
    }

    memcpy(m->boundary, "\r\n--", 4);
    memcpy(m->boundary + 4, b, blen);
    m->boundary_len = 4 + blen;
    /* The first delimiter may open the body without a CRLF before it. */
    m->match = 2;
    m->state = MP_PREAMBLE;
    m->error = NULL;
    return 0;
}

static int fail(struct multipart *m, const char *why)
{
    m->state = MP_FAILED;
    m->error = why;
    return -1;
}

static int emit(const struct multipart_callbacks *cb, void *ctx, const char *p, size_t n)
{
    if (n == 0 || cb == NULL || cb->on_part_data == NULL)
        return 0;
    return cb->on_part_data(ctx, p, n) == 0 ? 0 : -1;
}

/* Scans for the delimiter in the preamble (discard) or part data (emit).
 * Consumes from data[*i..len). Returns 1 when a whole delimiter was
 * matched, 0 when the input ran out, -1 when a callback stopped us. */
static int scan(struct multipart *m, const char *data, size_t len, size_t *i,
                const struct multipart_callbacks *cb, void *ctx)
{
    bool keep = m->state == MP_DATA;
    size_t k = *i;
    for (;;) {
        while (m->match > 0 && k < len) {
            if (m->match == m->boundary_len)
                break;
            char c = data[k];
            if (c == m->boundary[m->match]) {
                m->match++;
                k++;
                continue;
            }
            /* A failed match: its bytes were data (none can start another
             * match but by a CR). */
            size_t held = m->match;
            m->match = 0;
            if (keep && emit(cb, ctx, m->boundary, held) < 0)
                goto stopped;
            if (c == '\r') {
                m->match = 1;
                k++;
            } else if (!keep && c == '\n') {
                m->match = 2; /* be lenient with a bare LF in the preamble */
                k++;
            }
        }
        if (m->match == m->boundary_len) {
            m->match = 0;
            *i = k;
            return 1;
        }
        if (k == len)
            break;
        /* No partial match: pass everything before the next CR on. */
        const char *cr = memchr(data + k, '\r', len - k);
        size_t end = cr ? (size_t)(cr - data) : len;
        if (!keep) {
            const char *lf = memchr(data + k, '\n', end - k);
            if (lf != NULL) {
                m->match = 2;
                k = (size_t)(lf - data) + 1;
                continue;
            }
        }
        if (keep && emit(cb, ctx, data + k, end - k) < 0)
            goto stopped;
        k = end;
        if (cr == NULL)
            break;
        m->match = 1;
        k++;
    }
    *i = k;
    return 0;
stopped:
    *i = k;
    return -1;
}

/* Collects header bytes up to the empty line. Returns 1 when the block is
 * complete, 0 when the input ran out, -1 when it is too large. */
static int collect_headers(struct multipart *m, const char *data, size_t len, size_t *i)
{
    while (*i < len) {
        const char *p = data + *i;
        size_t avail = len - *i;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) + 1 : avail;
        if (take > MULTIPART_MAX_HEADER - m->header_len)
            return -1;
        memcpy(m->header + m->header_len, p, take);
        m->header_len += take;
        *i += take;
        if (nl == NULL)
            return 0;
        size_t j = m->header_len - 1; /* the LF */
        if (j > 0 && m->header[j - 1] == '\r')
            j--;
        if (j == 0 || m->header[j - 1] == '\n')
            return 1;
    }
    return 0;
}

int multipart_feed(struct multipart *m, const char *data, size_t len,
                   const struct multipart_callbacks *cb, void *ctx)
{
    size_t i = 0;
    while (i < len || m->state == MP_FAILED) {
        switch (m->state) {
        case MP_FAILED:
            return -1;
        case MP_EPILOGUE:
            return 0;
        case MP_PREAMBLE:
        case MP_DATA: {
            bool in_part = m->state == MP_DATA;
            int r = scan(m, data, len, &i, cb, ctx);
            if (r < 0)
                return fail(m, "stopped by callback");
            if (r == 0)
                return 0;
            if (in_part && cb && cb->on_part_end && cb->on_part_end(ctx) != 0)
                return fail(m, "stopped by callback");
            m->state = MP_AFTER_DELIM;
            break;
        }
        case MP_AFTER_DELIM:
        case MP_AFTER_DASH:
        case MP_PADDING:
        case MP_DELIM_CR: {
            char c = data[i++];
            if (m->state == MP_AFTER_DASH) {
                if (c != '-')
                    return fail(m, "garbage after multipart delimiter");
                m->done = true;
                m->state = MP_EPILOGUE;
            } else if (c == '\n') {
                m->state = MP_HEADERS;
                m->header_len = 0;
            } else if (m->state == MP_DELIM_CR) {
                return fail(m, "garbage after multipart delimiter");
            } else if (c == '\r') {
                m->state = MP_DELIM_CR;
            } else if (ascii_is_blank((unsigned char)c)) {
                m->state = MP_PADDING;
            } else if (c == '-' && m->state == MP_AFTER_DELIM) {
                m->state = MP_AFTER_DASH;
            } else {
                return fail(m, "garbage after multipart delimiter");
            }
            break;
        }
        case MP_HEADERS: {
            int r = collect_headers(m, data, len, &i);
            if (r < 0)
                return fail(m, "part header too large");
            if (r == 0)
                return 0;
            const char *err = parse_part_headers(m);
            if (err)
                return fail(m, err);
            if (cb && cb->on_part_begin && cb->on_part_begin(ctx, &m->part) != 0)
                return fail(m, "stopped by callback");
            m->state = MP_DATA;
            m->match = 0;
            break;
        }
        default:
            return fail(m, "bad multipart state");
        }
    }
    return 0;
}
