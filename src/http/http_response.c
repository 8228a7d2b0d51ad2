#include "http/http_response.h"

#include <string.h>

#include "http/http_status.h"

#ifndef PORTICO_VERSION
#define PORTICO_VERSION "0"
#endif

struct out {
    char *p;
    char *end;
    bool overflow;
};

static void put(struct out *o, const char *s, size_t len)
{
    if (len == 0)
        return; /* s may be NULL then (no extra headers) */
    if (o->overflow || (size_t)(o->end - o->p) < len) {
        o->overflow = true;
        return;
    }
    memcpy(o->p, s, len);
    o->p += len;
}

static void put_str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_uint(struct out *o, uint64_t v)
{
    char digits[24];
    size_t n = sizeof(digits);
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, digits + n, sizeof(digits) - n);
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

size_t http_response_head_write(char *buf, size_t cap, const struct http_response_head *h)
{
    struct out o = {buf, buf + cap, false};
    PUT_LIT(&o, "HTTP/1.1 ");
    put_uint(&o, (uint64_t)h->status);
    PUT_LIT(&o, " ");
    put_str(&o, http_status_reason(h->status));
    PUT_LIT(&o, "\r\nServer: portico/" PORTICO_VERSION "\r\nDate: ");
    put_str(&o, h->date);
    if (h->content_type) {
        PUT_LIT(&o, "\r\nContent-Type: ");
        put_str(&o, h->content_type);
        if (h->charset) {
            PUT_LIT(&o, "; charset=");
            put_str(&o, h->charset);
        }
    }
    if (h->content_length >= 0) {
        PUT_LIT(&o, "\r\nContent-Length: ");
        put_uint(&o, (uint64_t)h->content_length);
    }
    if (h->upgrade)
        PUT_LIT(&o, "\r\nConnection: upgrade\r\n");
    else if (h->keep_alive)
        PUT_LIT(&o, "\r\nConnection: keep-alive\r\n");
    else
        PUT_LIT(&o, "\r\nConnection: close\r\n");
    put(&o, h->extra, h->extra_len);
    PUT_LIT(&o, "\r\n");
    return o.overflow ? 0 : (size_t)(o.p - buf);
}
