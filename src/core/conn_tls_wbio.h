/* The write side of a TLS connection's socket: a BIO that gathers the
 * records OpenSSL writes (one BIO write per record, at most 16 KiB of
 * plaintext each) in a buffer of the worker's pool and sends them with one
 * send(2) when it is full or flushed. A 1 MiB response leaves in 16 sends
 * instead of 64. The buffer is held only while bytes wait in it. OpenSSL
 * flushes after each handshake flight; conn_tls_flush flushes when the
 * queue is written. */
#ifndef PORTICO_CONN_TLS_WBIO_H
#define PORTICO_CONN_TLS_WBIO_H

#include <openssl/bio.h>

struct conn;

/* The gathered records at most (four full records and their overhead). */
#define CONN_TLS_OBUF (4 * (16 * 1024 + 1024))

/* A new write BIO for c's socket, or NULL. */
BIO *conn_tls_wbio_new(struct conn *c);

#endif
