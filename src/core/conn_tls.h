/* A connection's TLS session: the handshake driven by the loop, reads
 * through SSL_read, and the output queue written through SSL_write from a
 * pooled staging buffer (file ranges are read into it with pread: this
 * kernel has no kTLS). conn.c calls these when c->tls is set; the
 * protocol calls conn_tls_start on a TLS address's new connection. */
#ifndef PORTICO_CONN_TLS_H
#define PORTICO_CONN_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/outq.h"

struct conn;
struct tls_ctx;
struct ssl_st; /* OpenSSL's SSL */

/* The staging buffer: four TLS records' worth of plaintext (one
 * SSL_write; the records leave in one send, see conn_tls_wbio.h). */
#define CONN_TLS_WBUF (64 * 1024)

/* Starts a server-side session on c with ctx (the address's default
 * certificate; SNI may pick another through conn_proto.tls_pick). The
 * handshake runs as bytes arrive. Returns 0, or -1 (out of memory). */
int conn_tls_start(struct conn *c, struct tls_ctx *ctx);

/* True once c speaks TLS (it may still be in its handshake). */
bool conn_is_tls(const struct conn *c);

/* conn_recv for TLS: the same results. Before the first byte is known to
 * start a TLS record, a byte that does not (a plain HTTP request) ends
 * the session: c->plain_on_tls is set and the bytes are read as they are. */
ssize_t conn_tls_recv(struct conn *c, char *buf, size_t len);

/* outq_flush for TLS: writes c->out through the session. */
enum outq_result conn_tls_flush(struct conn *c);

/* Bytes the session holds that the protocol has not read. */
bool conn_tls_pending(const struct conn *c);

/* An epoll edge came (in: readable, out: writable): a read that waits to
 * write, or a write that waits to read, may go on. */
void conn_tls_edges(struct conn *c, bool in, bool out);

/* Sends close_notify once (never waits for the answer). */
void conn_tls_shutdown(struct conn *c);

/* Ends the session and frees it (counts a handshake that never finished
 * as failed). */
void conn_tls_free(struct conn *c);

/* OpenSSL's client hello callback (installed by tls_ctx_new): SNI picks
 * the context, with its certificate and versions, before the version is
 * chosen. */
int conn_tls_client_hello(struct ssl_st *ssl, int *alert, void *arg);

#endif
