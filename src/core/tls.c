#include "core/tls.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/conn_tls.h"

/* Ticket keys change every hour; a ticket of the hour before is still
 * taken (and replaced by a new one), so a ticket lives one to two hours. */
#define TICKET_PERIOD_S 3600
#define TICKET_LIFETIME_S (2 * TICKET_PERIOD_S)

struct tls_ctx {
    SSL_CTX *ssl;
};

static unsigned char ticket_secret[32];
static bool ticket_secret_set;

int tls_init(void)
{
    if (ticket_secret_set)
        return 0;
    if (RAND_bytes(ticket_secret, sizeof(ticket_secret)) != 1)
        return -1;
    ticket_secret_set = true;
    return 0;
}

/* ---- session tickets ---- */

/* One key of period p: HMAC-SHA256(secret, label || p). */
static void derive(const char *label, uint64_t period, unsigned char out[32])
{
    unsigned char msg[16] = {0};
    size_t n = strlen(label);
    memcpy(msg, label, n < 8 ? n : 8);
    for (int i = 0; i < 8; i++)
        msg[8 + i] = (unsigned char)(period >> (8 * i));
    unsigned int len = 32;
    HMAC(EVP_sha256(), ticket_secret, sizeof(ticket_secret), msg, sizeof(msg), out, &len);
}

/* The keys of one period, derived once per process and period (the two
 * periods in use take the two slots in turn). */
struct ticket_keys {
    uint64_t period;
    bool set;
    unsigned char name[32], aes[32], mac[32];
};

static const struct ticket_keys *keys_of(uint64_t period)
{
    static struct ticket_keys slots[2];
    struct ticket_keys *k = &slots[period % 2];
    if (!k->set || k->period != period) {
        derive("name", period, k->name);
        derive("aes", period, k->aes);
        derive("hmac", period, k->mac);
        k->period = period;
        k->set = true;
    }
    return k;
}

static int set_ticket_keys(uint64_t period, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx,
                           const unsigned char *iv, int enc)
{
    const struct ticket_keys *k = keys_of(period);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->mac, sizeof(k->mac)),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    return EVP_CipherInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv, enc) == 1 &&
           EVP_MAC_CTX_set_params(hctx, params) == 1;
}

/* OpenSSL's ticket key callback: enc 1 makes a ticket with this hour's
 * key; enc 0 finds the key of a ticket's name (this hour: 1; the hour
 * before: 2, a new ticket is issued; else 0, a full handshake). */
static int ticket_key_cb(SSL *s, unsigned char name[16], unsigned char *iv,
                         EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
    uint64_t now = (uint64_t)time(NULL) / TICKET_PERIOD_S;
    if (enc) {
        memcpy(name, keys_of(now)->name, 16);
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1)
            return -1;
        return set_ticket_keys(now, cctx, hctx, iv, 1) ? 1 : -1;
    }
    for (uint64_t age = 0; age < 2; age++)
        if (CRYPTO_memcmp(name, keys_of(now - age)->name, 16) == 0)
            return set_ticket_keys(now - age, cctx, hctx, iv, 0) ? (age ? 2 : 1) : -1;
    return 0;
}

/* ---- contexts ---- */

/* The first error OpenSSL queued, as text; the queue is emptied. */
static const char *ssl_reason(void)
{
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : "not a PEM file of that kind";
}

static int set_versions(SSL_CTX *ssl, unsigned versions)
{
    int min = versions & TLS_V1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
    int max = versions & TLS_V1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
    return SSL_CTX_set_min_proto_version(ssl, min) == 1 &&
                   SSL_CTX_set_max_proto_version(ssl, max) == 1
               ? 0
               : -1;
}

/* ALPN: http/1.1 when the client offers it; without it, no ALPN answer
 * (a client that offers only h2 then speaks HTTP/1.1 or leaves). */
static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* OpenSSL's passphrase callback: none is given (the default one would
 * prompt on the terminal, and block the master on a reload); *asked
 * records that the key is encrypted. */
static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(bool *)asked = true;
    return -1;
}

static bool key_mismatch(unsigned long e)
{
    return ERR_GET_LIB(e) == ERR_LIB_X509 && (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
                                              ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH);
}

/* Loads the certificate and its key into ssl. Returns 0, or -1 with err
 * and *fault set. */
static int load_pair(SSL_CTX *ssl, const char *certificate, const char *key, char *err,
                     size_t errlen, enum tls_fault *fault)
{
    bool asked = false;
    int rc = -1;
    SSL_CTX_set_default_passwd_cb(ssl, no_passphrase);
    SSL_CTX_set_default_passwd_cb_userdata(ssl, &asked);
    *fault = TLS_FAULT_CERTIFICATE;
    if (SSL_CTX_use_certificate_chain_file(ssl, certificate) != 1) {
        snprintf(err, errlen, "cannot load certificate %s: %s", certificate, ssl_reason());
        goto out;
    }
    *fault = TLS_FAULT_KEY;
    if (SSL_CTX_use_PrivateKey_file(ssl, key, SSL_FILETYPE_PEM) != 1) {
        /* A key of the certificate's type is checked against it as it is
         * loaded (X509_check_private_key): that failure is a mismatch, not
         * a file that cannot be read. */
        if (key_mismatch(ERR_peek_last_error())) {
            ERR_clear_error();
            snprintf(err, errlen, "key %s does not match certificate %s", key, certificate);
        } else if (asked) {
            ERR_clear_error();
            snprintf(err, errlen, "key %s is encrypted (portico takes no passphrase)", key);
        } else if (ERR_GET_LIB(ERR_peek_error()) == ERR_LIB_OSSL_DECODER) {
            /* OpenSSL 3 says "unsupported": no decoder took the bytes */
            ERR_clear_error();
            snprintf(err, errlen, "cannot load key %s: not a PEM private key", key);
        } else {
            snprintf(err, errlen, "cannot load key %s: %s", key, ssl_reason());
        }
        goto out;
    }
    if (SSL_CTX_check_private_key(ssl) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "key %s does not match certificate %s", key, certificate);
        goto out;
    }
    rc = 0;
out:
    SSL_CTX_set_default_passwd_cb(ssl, NULL);
    SSL_CTX_set_default_passwd_cb_userdata(ssl, NULL);
    return rc;
}

/* Versions, options, sessions and callbacks. Returns 0, or -1 with err. */
static int configure(SSL_CTX *ssl, unsigned versions, char *err, size_t errlen)
{
    if (set_versions(ssl, versions) < 0) {
        snprintf(err, errlen, "cannot set the TLS versions: %s", ssl_reason());
        return -1;
    }
    SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Buffers go back while a connection is idle; a write may be retried
     * from another address (the staging buffer) and may be partial. */
    SSL_CTX_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_ENABLE_PARTIAL_WRITE);
    /* Stateless resumption only: tickets, no per-worker session store. */
    SSL_CTX_set_session_cache_mode(ssl, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_set_timeout(ssl, TICKET_LIFETIME_S);
    /* A session resumes only under the certificate it was made with: one
     * made for a.test is not taken when SNI asks for b.test (RFC 6066 3). */
    unsigned char sid[EVP_MAX_MD_SIZE];
    unsigned int sid_len = 0;
    if (X509_digest(SSL_CTX_get0_certificate(ssl), EVP_sha256(), sid, &sid_len) != 1 ||
        SSL_CTX_set_session_id_context(ssl, sid, sid_len < SSL_MAX_SID_CTX_LENGTH
                                                     ? sid_len
                                                     : SSL_MAX_SID_CTX_LENGTH) != 1) {
        snprintf(err, errlen, "cannot set up TLS sessions: %s", ssl_reason());
        return -1;
    }
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl, ticket_key_cb);
    /* TLS 1.3: one ticket per handshake, not OpenSSL's two (a client
     * resumes one connection at a time; each ticket costs an encryption
     * and a record). */
    SSL_CTX_set_num_tickets(ssl, 1);
    SSL_CTX_set_alpn_select_cb(ssl, alpn_cb, NULL);
    SSL_CTX_set_client_hello_cb(ssl, conn_tls_client_hello, NULL);
    return 0;
}

struct tls_ctx *tls_ctx_new(const char *certificate, const char *key, unsigned versions,
                            char *err, size_t errlen, enum tls_fault *fault)
{
    ERR_clear_error();
    struct tls_ctx *t = calloc(1, sizeof(*t));
    SSL_CTX *ssl = t ? SSL_CTX_new(TLS_server_method()) : NULL;
    *fault = TLS_FAULT_CERTIFICATE;
    if (!ssl) {
        snprintf(err, errlen, "cannot set up TLS: out of memory");
        free(t);
        return NULL;
    }
    t->ssl = ssl;
    if (load_pair(ssl, certificate, key, err, errlen, fault) < 0 ||
        configure(ssl, versions, err, errlen) < 0) {
        SSL_CTX_free(ssl);
        free(t);
        return NULL;
    }
    return t;
}

void tls_ctx_free(struct tls_ctx *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ssl);
    free(t);
}

void *tls_ctx_ssl(const struct tls_ctx *t)
{
    return t->ssl;
}

void tls_ctx_describe(const struct tls_ctx *t, char *subject, size_t subject_len,
                      char *expiry, size_t expiry_len)
{
    X509 *x = SSL_CTX_get0_certificate(t->ssl);
    snprintf(subject, subject_len, "?");
    snprintf(expiry, expiry_len, "?");
    if (!x)
        return;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    char *p;
    if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        long n = BIO_get_mem_data(b, &p);
        snprintf(subject, subject_len, "%.*s", (int)n, p);
    }
    (void)BIO_reset(b);
    if (ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1) {
        long n = BIO_get_mem_data(b, &p);
        snprintf(expiry, expiry_len, "%.*s", (int)n, p);
    }
    BIO_free(b);
}
