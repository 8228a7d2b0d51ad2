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
#include "server/compress.h"

struct tls_ctx;

struct server {
    const struct config *cfg;
    struct tls_ctx *const *tls;       /* per server of cfg (by index): NULL without tls */
    struct bufpool requests;          /* request blocks */
    struct bufpool bodies;            /* big buffers of bodies being read */
    struct bufpool heads;             /* response header buffers */
    struct compress_pool compress;    /* idle deflate streams */
    char date[HTTP_DATE_LEN + 1];     /* the Date header's value ... */
    time_t date_at;                   /* ... made at this second */
};

/* The protocol object for the worker's connections; their conn_set's
 * proto_ctx is the struct server. */
extern const struct conn_proto server_proto;

void server_init(struct server *s, const struct config *cfg, struct tls_ctx *const *tls);
/* Frees the pool of request blocks and the cached root fds (server/fs.c);
 * the handlers' own caches go with handlers_destroy(). */
void server_free(struct server *s);

/* The read buffer a connection needs: the largest head plus room for
 * what follows it. */
size_t server_read_buffer_size(const struct config *cfg);

/* ---- TLS (server/server_tls.c) ---- */

/* Loads the certificate and key of every server with a tls block: an
 * array by server index (NULL where none), or NULL with err
 * ("x.yaml:5:18: key k.pem does not match certificate c.pem in 'tls'
 * (at 'key')"). In the master, before the workers start: they inherit
 * the contexts, and the private keys are read only at start and reload. */
struct tls_ctx **server_tls_load(const struct config *cfg, char *err, size_t errlen);
void server_tls_free(struct tls_ctx **v, size_t n);
/* -T: "subject CN=..., expires ..." per server (by index; NULL where no
 * tls); free each and the array. */
char **server_tls_notes(const struct config *cfg, struct tls_ctx *const *v);
/* The context of server s (NULL: s has no tls). */
struct tls_ctx *server_tls_of(const struct conn *c, const struct cfg_server *s);
/* conn_proto.tls_pick: the certificate of the server the SNI name picks. */
struct tls_ctx *server_tls_pick(struct conn *c, const char *name);

#endif
