/* The reverse proxy: a location's settings, and the parts of the handler
 * (proxy.c: the exchange with the upstream; proxy_head.c: the request head
 * sent upstream; proxy_config.c: the settings). */
#ifndef PORTICO_PROXY_H
#define PORTICO_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

enum proxy_host { PROXY_HOST_CLIENT, PROXY_HOST_UPSTREAM, PROXY_HOST_LITERAL };

struct proxy_header {
    const char *name;  /* as written */
    const char *value; /* "" removes the header */
};

struct proxy_settings {
    const char *to;                  /* as written, for -T */
    const struct cfg_upstream *group;
    const char *path;                /* the path of `to`, which replaces the prefix; NULL: none */
    enum proxy_host host;
    const char *host_literal;        /* PROXY_HOST_LITERAL */
    struct proxy_header *set_headers;
    size_t n_set_headers;
    bool websocket;
    unsigned retries;                /* more servers tried after a failure */
};

struct cfg_ctx;
struct cfg_node;

/* The descriptor's parts (proxy_config.c). */
int proxy_config_parse(struct cfg_ctx *c, const struct cfg_node *m,
                       const struct cfg_location *loc, const void **settings);
void proxy_config_dump(const void *settings, FILE *out);

#endif
