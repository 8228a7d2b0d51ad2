/* The TLS contexts of a configuration (one per server with a tls block)
 * and the SNI choice among them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conn_tls.h"
#include "core/tls.h"
#include "server/server.h"

static unsigned versions_of(const struct cfg_tls *t)
{
    return (t->protocols & CFG_TLS_1_2 ? TLS_V1_2 : 0) | (t->protocols & CFG_TLS_1_3 ? TLS_V1_3 : 0);
}

struct tls_ctx **server_tls_load(const struct config *cfg, char *err, size_t errlen)
{
    struct tls_ctx **v = calloc(cfg->n_servers ? cfg->n_servers : 1, sizeof(*v));
    if (!v || tls_init() < 0) {
        snprintf(err, errlen, "cannot set up TLS: out of memory");
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_servers; i++) {
        const struct cfg_tls *t = cfg->servers[i].tls;
        if (!t)
            continue;
        char why[768];
        enum tls_fault fault;
        v[i] = tls_ctx_new(t->certificate, t->key, versions_of(t), why, sizeof(why), &fault);
        if (!v[i]) {
            const struct cfg_pos *at = fault == TLS_FAULT_KEY ? &t->key_pos : &t->certificate_pos;
            snprintf(err, errlen, "%s:%d:%d: %s in 'tls' (at '%s')", at->file, at->line, at->col,
                     why, fault == TLS_FAULT_KEY ? "key" : "certificate");
            server_tls_free(v, cfg->n_servers);
            return NULL;
        }
    }
    return v;
}

void server_tls_free(struct tls_ctx **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        tls_ctx_free(v[i]);
    free(v);
}

char **server_tls_notes(const struct config *cfg, struct tls_ctx *const *v)
{
    char **notes = calloc(cfg->n_servers ? cfg->n_servers : 1, sizeof(*notes));
    for (size_t i = 0; notes && i < cfg->n_servers; i++) {
        if (!v[i])
            continue;
        char subject[256], expiry[64];
        tls_ctx_describe(v[i], subject, sizeof(subject), expiry, sizeof(expiry));
        size_t len = strlen(subject) + strlen(expiry) + 32;
        if ((notes[i] = malloc(len)))
            snprintf(notes[i], len, "subject %s, expires %s", subject, expiry);
    }
    return notes;
}

struct tls_ctx *server_tls_of(const struct conn *c, const struct cfg_server *s)
{
    const struct server *srv = c->set->proto_ctx;
    if (!srv->tls || !s->tls)
        return NULL;
    return srv->tls[s - srv->cfg->servers];
}

/* SNI: the server the name would pick as a Host (exact, wildcard, then
 * the address's default), and that server's certificate. */
struct tls_ctx *server_tls_pick(struct conn *c, const char *name)
{
    return server_tls_of(c, cfg_match_server(c->listener, name, strlen(name)));
}
