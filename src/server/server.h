/* The HTTP/1 server of one worker: the protocol its connections speak
 * (server_proto) and what it shares between them. main.c sets it up; the
 * rest of server/ drives each exchange (server/exchange.c). */
#ifndef PORTICO_SERVER_H
#define PORTICO_SERVER_H

#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "core/bufpool.h"
#include "core/conn.h"
#include "http/http_date.h"

struct server {
    const struct config *cfg;
    struct bufpool requests;          /* request blocks */
    struct bufpool bodies;            /* big buffers of bodies being read */
    struct bufpool heads;             /* response header buffers */
    char date[HTTP_DATE_LEN + 1];     /* the Date header's value ... */
    time_t date_at;                   /* ... made at this second */
};

/* The protocol object for the worker's connections; their conn_set's
 * proto_ctx is the struct server. */
extern const struct conn_proto server_proto;

void server_init(struct server *s, const struct config *cfg);
/* Frees the pool of request blocks and the cached root fds (server/fs.c);
 * the handlers' own caches go with handlers_destroy(). */
void server_free(struct server *s);

/* The read buffer a connection needs: the largest head plus room for
 * what follows it. */
size_t server_read_buffer_size(const struct config *cfg);

#endif
