/* The request head sent upstream (CONFIG.md, "What handlers answer",
 * proxy): the client's method and target (rewritten when `to` has a path),
 * its headers minus the hop-by-hop ones, Host as configured, set_headers,
 * X-Forwarded-For/-Proto/-Host, and the body's framing. */
#include <stdint.h>
#include <string.h>

#include "handlers/proxy_head.h"
#include "http/escape.h"
#include "lib/ascii.h"
#include "lib/str.h"

/* Connection, and what it names, are the client's hop with us. */
static bool named_by_connection(const struct http_request_head *h, struct str name)
{
    return http_headers_connection_names(h->headers, h->num_headers, name);
}

bool proxy_head_is_websocket(const struct http_request_head *h)
{
    const struct http_header *up = http_find_header(h, "upgrade", 7);
    return h->method == HTTP_GET && up && str_case_eq(up->value, "websocket", 9) &&
           named_by_connection(h, (struct str){"upgrade", 7});
}

/* A set_headers entry names this header (and so replaces or removes it). */
static bool configured(const struct proxy_head_in *in, const char *name, size_t len)
{
    for (size_t i = 0; i < in->ps->n_set_headers; i++)
        if (strlen(in->ps->set_headers[i].name) == len &&
            ascii_case_eq(in->ps->set_headers[i].name, name, len))
            return true;
    return false;
}

/* Headers that are not passed on: hop-by-hop ones (RFC 9110 7.6.1), the
 * framing (set anew), Host and the X-Forwarded-* (rewritten), and those a
 * set_headers entry replaces. */
static bool dropped(const struct proxy_head_in *in, struct str name)
{
    static const char *const hop[] = {"connection",       "keep-alive",        "proxy-connection",
                                      "te",               "trailer",           "transfer-encoding",
                                      "content-length",   "host",              "x-forwarded-for",
                                      "x-forwarded-proto", "x-forwarded-host", NULL};
    for (size_t i = 0; hop[i]; i++)
        if (str_case_eq(name, hop[i], strlen(hop[i])))
            return true;
    if (configured(in, name.p, name.len))
        return true;
    /* Passed on for a WebSocket, although its Connection names it. */
    if (STR_CASE_EQ(name, "upgrade"))
        return !in->websocket;
    return named_by_connection(in->head, name);
}

/* The target: the original one (origin-form), or with `to`'s path in
 * place of the location prefix. */
static void put_target(struct strbuf *b, const struct proxy_head_in *in)
{
    const struct http_request_head *h = in->head;
    if (!in->ps->path) {
        strbuf_append(b, h->path.p, h->path.len); /* as sent: never re-encoded */
    } else {
        size_t skip = in->prefix_len < in->path_len ? in->prefix_len : in->path_len;
        const char *rest = in->path + skip;
        size_t rest_len = in->path_len - skip;
        size_t pl = strlen(in->ps->path);
        strbuf_append(b, in->ps->path, pl);
        /* One slash where the two meet. */
        if (rest_len && rest[0] == '/' && pl && in->ps->path[pl - 1] == '/') {
            rest++;
            rest_len--;
        }
        escape_url_pchar(b, rest, rest_len);
    }
    if (h->has_query) {
        strbuf_puts(b, "?");
        strbuf_append(b, h->query.p, h->query.len);
    }
}

static void put_host(struct strbuf *b, const struct proxy_head_in *in)
{
    const struct http_request_head *h = in->head;
    strbuf_puts(b, "Host: ");
    if (in->ps->host == PROXY_HOST_LITERAL)
        strbuf_puts(b, in->ps->host_literal);
    else if (in->ps->host == PROXY_HOST_CLIENT && h->host.len)
        strbuf_append(b, h->host.p, h->host.len);
    else
        strbuf_puts(b, in->upstream_text);
    strbuf_puts(b, "\r\n");
}

/* X-Forwarded-For: the client's list (all its lines, in order: one list,
 * RFC 9110 5.3), with this client appended; -Proto and -Host. A
 * set_headers entry for one of them takes its place (X-Forwarded-Proto:
 * https behind a TLS terminator; "" sends none). */
static void put_forwarded(struct strbuf *b, const struct proxy_head_in *in)
{
    const struct http_request_head *h = in->head;
    if (!configured(in, "x-forwarded-for", 15)) {
        strbuf_puts(b, "X-Forwarded-For: ");
        for (size_t i = 0; i < h->num_headers; i++) {
            const struct http_header *xff = &h->headers[i];
            if (STR_CASE_EQ(xff->name, "x-forwarded-for") && xff->value.len) {
                strbuf_append(b, xff->value.p, xff->value.len);
                strbuf_puts(b, ", ");
            }
        }
        strbuf_puts(b, in->client_ip);
        strbuf_puts(b, "\r\n");
    }
    if (!configured(in, "x-forwarded-proto", 17))
        strbuf_puts(b, in->https ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n");
    if (h->host.len && !configured(in, "x-forwarded-host", 16)) {
        strbuf_puts(b, "X-Forwarded-Host: ");
        strbuf_append(b, h->host.p, h->host.len);
        strbuf_puts(b, "\r\n");
    }
}

static void put_line(struct strbuf *b, const char *name, const char *value)
{
    strbuf_puts(b, name);
    strbuf_puts(b, ": ");
    strbuf_puts(b, value);
    strbuf_puts(b, "\r\n");
}

static void put_length(struct strbuf *b, uint64_t n)
{
    char digits[24], *d = digits + sizeof(digits);
    do
        *--d = (char)('0' + n % 10);
    while (n /= 10);
    strbuf_puts(b, "Content-Length: ");
    strbuf_append(b, d, (size_t)(digits + sizeof(digits) - d));
    strbuf_puts(b, "\r\n");
}

void proxy_head_write(struct strbuf *b, const struct proxy_head_in *in)
{
    const struct http_request_head *h = in->head;
    strbuf_append(b, h->method_str.p, h->method_str.len);
    strbuf_puts(b, " ");
    put_target(b, in);
    strbuf_puts(b, " HTTP/1.1\r\n");
    put_host(b, in);
    for (size_t i = 0; i < h->num_headers; i++) {
        const struct http_header *x = &h->headers[i];
        if (dropped(in, x->name))
            continue;
        strbuf_append(b, x->name.p, x->name.len);
        strbuf_puts(b, ": ");
        strbuf_append(b, x->value.p, x->value.len);
        strbuf_puts(b, "\r\n");
    }
    for (size_t i = 0; i < in->ps->n_set_headers; i++)
        if (*in->ps->set_headers[i].value)
            put_line(b, in->ps->set_headers[i].name, in->ps->set_headers[i].value);
    put_forwarded(b, in);
    if (h->chunked)
        strbuf_puts(b, "Transfer-Encoding: chunked\r\n");
    else if (h->content_length >= 0)
        put_length(b, (uint64_t)h->content_length);
    if (in->websocket)
        strbuf_puts(b, "Connection: upgrade\r\n");
    strbuf_puts(b, "\r\n");
}
