/* CGI response header block parser (RFC 3875 6.2-6.3): see cgi_parse.h.
 *
 * Same discipline as the request parser: one left-to-right scan whose every
 * decision depends only on the bytes consumed so far, so a prefix of a
 * valid block is INCOMPLETE and an error seen in a prefix stays an error
 * for every longer input. Only the first max bytes are ever looked at. */
#include "http/cgi_parse.h"

#include <stdbool.h>
#include <string.h>

#include "lib/ascii.h"

/* Content-Length values above this are refused, as in requests. */
#define CP_MAX_CONTENT_LENGTH ((uint64_t)1 << 62)

/* A control byte other than HTAB (NUL, ESC, DEL ...). */
static bool cp_is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* "Status: 3DIGIT [SP reason]", the value already trimmed of OWS. */
static long cp_status(struct str v, struct cgi_response *out)
{
    if (v.len < 3 || !ascii_is_digit((unsigned char)v.p[0]) ||
        !ascii_is_digit((unsigned char)v.p[1]) || !ascii_is_digit((unsigned char)v.p[2]))
        return CGI_PARSE_ERROR;
    int code = (v.p[0] - '0') * 100 + (v.p[1] - '0') * 10 + (v.p[2] - '0');
    /* 1xx is not a script's to send: its head is the final response. */
    if (code < 200 || code > 599)
        return CGI_PARSE_ERROR;
    const char *r = v.p + 3, *e = v.p + v.len;
    if (r < e) {
        if (*r != ' ')
            return CGI_PARSE_ERROR;
        while (r < e && (*r == ' ' || *r == '\t'))
            r++;
    }
    out->status = code;
    out->reason = str_make(r, (size_t)(e - r));
    return 0;
}

/* 1*DIGIT; a repeated Content-Length must say the same. */
static long cp_content_length(struct str v, struct cgi_response *out)
{
    uint64_t n = 0;
    if (v.len == 0)
        return CGI_PARSE_ERROR;
    for (size_t i = 0; i < v.len; i++) {
        unsigned d = (unsigned)(unsigned char)v.p[i] - '0';
        if (d > 9 || n > (CP_MAX_CONTENT_LENGTH - d) / 10)
            return CGI_PARSE_ERROR;
        n = n * 10 + d;
    }
    if (out->content_length >= 0 && (uint64_t)out->content_length != n)
        return CGI_PARSE_ERROR;
    out->content_length = (int64_t)n;
    return 0;
}

/* Headers the server owns: framing and connection management are decided
 * by portico, not by the script. */
static bool cp_is_dropped(struct str name)
{
    switch (name.len) {
    case 4:
        return STR_CASE_EQ(name, "date");
    case 6:
        return STR_CASE_EQ(name, "server");
    case 10:
        return STR_CASE_EQ(name, "connection") || STR_CASE_EQ(name, "keep-alive");
    case 17:
        return STR_CASE_EQ(name, "transfer-encoding");
    default:
        return false;
    }
}

/* One complete header line. Status, Content-Type and Location may repeat:
 * the last one wins. */
static long cp_field(struct str name, struct str value, struct cgi_response *out)
{
    if (STR_CASE_EQ(name, "status"))
        return cp_status(value, out);
    if (STR_CASE_EQ(name, "content-type")) {
        out->content_type = value;
        return 0;
    }
    if (STR_CASE_EQ(name, "location")) {
        out->location = value;
        return 0;
    }
    if (STR_CASE_EQ(name, "content-length"))
        return cp_content_length(value, out);
    if (cp_is_dropped(name))
        return 0;
    if (out->num_headers == CGI_MAX_HEADERS)
        return CGI_PARSE_ERROR;
    out->headers[out->num_headers].name = name;
    out->headers[out->num_headers].value = value;
    out->num_headers++;
    return 0;
}

/* Checks the line end at *pp (CR LF or LF) and steps over it. */
static long cp_eol(const char **pp, const char *end)
{
    const char *p = *pp;
    if (*p == '\r') {
        if (end - p < 2)
            return CGI_PARSE_INCOMPLETE;
        if (p[1] != '\n')
            return CGI_PARSE_ERROR; /* bare CR */
        p++;
    }
    *pp = p + 1;
    return 0;
}

/* The lines of the block, up to and including the empty line. */
static long cp_lines(const char *buf, const char *end, struct cgi_response *out)
{
    const char *p = buf;
    long r;
    for (;;) {
        if (p == end)
            return CGI_PARSE_INCOMPLETE;
        if (*p == '\r' || *p == '\n') {
            if ((r = cp_eol(&p, end)) < 0)
                return r;
            return (long)(p - buf);
        }

        /* Whitespace first is obs-fold (or a stray indent): refused. */
        const char *name = p;
        while (p < end && ascii_is_tchar((unsigned char)*p))
            p++;
        if (p == end)
            return CGI_PARSE_INCOMPLETE;
        if (*p != ':' || p == name)
            return CGI_PARSE_ERROR;
        struct str nm = str_make(name, (size_t)(p - name));
        p++;

        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *v = p;
        while (p < end && *p != '\n' && *p != '\r' && !cp_is_ctl((unsigned char)*p))
            p++;
        if (p == end)
            return CGI_PARSE_INCOMPLETE;
        if (*p != '\n' && *p != '\r')
            return CGI_PARSE_ERROR; /* a control byte would end up in our head */
        const char *ve = p;
        if ((r = cp_eol(&p, end)) < 0)
            return r;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;

        if ((r = cp_field(nm, str_make(v, (size_t)(ve - v)), out)) < 0)
            return r;
    }
}

long cgi_parse_headers(const char *buf, size_t len, size_t max, struct cgi_response *out)
{
    const char *end = buf + (len < max ? len : max);

    out->status = 0;
    out->reason = out->content_type = out->location = str_make(buf, 0);
    out->content_length = -1;
    out->num_headers = 0;

    long r = cp_lines(buf, end, out);
    if (r == CGI_PARSE_INCOMPLETE)
        return len >= max ? CGI_PARSE_ERROR : CGI_PARSE_INCOMPLETE;
    if (r < 0)
        return r;
    /* RFC 3875 6.2: a response says what it is; an empty value says nothing. */
    if (out->status == 0 && out->content_type.len == 0 && out->location.len == 0)
        return CGI_PARSE_ERROR;
    return r;
}
