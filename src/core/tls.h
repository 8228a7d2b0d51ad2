/* TLS contexts: one per certificate and key (a server's tls block), with
 * the protocol versions asked for, ALPN http/1.1, SNI through the
 * connection's protocol (conn_proto.tls_pick), and session tickets whose
 * keys every worker shares and that rotate every hour. Connections speak
 * TLS through core/conn_tls.c. Knows no config and no HTTP. */
#ifndef PORTICO_TLS_H
#define PORTICO_TLS_H

#include <stdbool.h>
#include <stddef.h>

#define TLS_V1_2 (1u << 0)
#define TLS_V1_3 (1u << 1)

struct tls_ctx;

/* Which of the two files a failure is about. */
enum tls_fault { TLS_FAULT_CERTIFICATE, TLS_FAULT_KEY };

/* Makes the secret the session ticket keys derive from. Once per process
 * tree, before the first context and before the workers start (they
 * inherit it, so a ticket made by one worker is taken by all). Returns 0
 * or -1. */
int tls_init(void);

/* Loads certificate (PEM: the leaf, then its chain) and key (PEM, RSA or
 * ECDSA) and checks that they match. versions: TLS_V1_2 | TLS_V1_3.
 * Returns the context, or NULL with a message in err ("cannot load
 * certificate x.pem: no start line") and *fault naming the file. */
struct tls_ctx *tls_ctx_new(const char *certificate, const char *key, unsigned versions,
                            char *err, size_t errlen, enum tls_fault *fault);
void tls_ctx_free(struct tls_ctx *t);

/* The certificate's subject ("CN=example.test") and the end of its
 * validity ("Nov 30 12:00:00 2027 GMT"), for -T. */
void tls_ctx_describe(const struct tls_ctx *t, char *subject, size_t subject_len,
                      char *expiry, size_t expiry_len);

/* The OpenSSL context (an SSL_CTX), for core/conn_tls.c. */
void *tls_ctx_ssl(const struct tls_ctx *t);

#endif
