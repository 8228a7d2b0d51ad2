#include "server/server.h"

#include "server/exchange.h"
#include "server/fs.h"

/* Idle request blocks and body buffers kept for reuse. */
#define REQUEST_KEEP 32
#define BODY_KEEP 8
/* Room in the read buffer past the largest head: the start of a body or
 * of the next pipelined request. */
#define RBUF_SLACK 4096

void server_init(struct server *s, const struct config *cfg, struct tls_ctx *const *tls)
{
    s->cfg = cfg;
    s->tls = tls;
    bufpool_init(&s->requests, sizeof(struct request), REQUEST_KEEP);
    bufpool_init(&s->bodies, REQUEST_BIG_BODY_BUF, BODY_KEEP);
    bufpool_init(&s->heads, REQUEST_EXTRA_BUF + REQUEST_HEAD_BUF, REQUEST_KEEP);
    compress_pool_init(&s->compress);
    s->date[0] = '\0';
    s->date_at = -1;
}

void server_free(struct server *s)
{
    bufpool_free(&s->requests);
    bufpool_free(&s->bodies);
    bufpool_free(&s->heads);
    compress_pool_free(&s->compress);
    fs_close_roots();
}

size_t server_read_buffer_size(const struct config *cfg)
{
    uint64_t max = 0;
    for (size_t i = 0; i < cfg->n_listeners; i++)
        if (cfg->listeners[i].max_header_size > max)
            max = cfg->listeners[i].max_header_size;
    return (size_t)max + RBUF_SLACK;
}
