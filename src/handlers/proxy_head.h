/* The request head the proxy sends upstream (proxy_head.c). Pure: no I/O. */
#ifndef PORTICO_PROXY_HEAD_H
#define PORTICO_PROXY_HEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "handlers/proxy.h"
#include "http/http_parse.h"
#include "lib/strbuf.h"

struct proxy_head_in {
    const struct http_request_head *head;
    const struct proxy_settings *ps;
    const char *path;          /* the request's decoded, normalised path */
    size_t path_len;
    size_t prefix_len;         /* of the location: replaced by `to`'s path */
    const char *client_ip;     /* appended to X-Forwarded-For */
    const char *upstream_text; /* "host:port" of the server (Host: upstream) */
    bool https;                /* the client came over TLS */
    bool websocket;            /* an Upgrade: websocket passed on */
};

/* A WebSocket opening handshake (RFC 6455 4.1): a GET whose Upgrade is
 * websocket and whose Connection names upgrade. */
bool proxy_head_is_websocket(const struct http_request_head *h);

/* Appends the whole head, blank line included, to b. */
void proxy_head_write(struct strbuf *b, const struct proxy_head_in *in);

#endif
