/* The memory of proxied requests, reused: a finished request's struct
 * proxy is kept (up to PROXY_SPARE of them) with its small buffers, and
 * the response buffers (PROXY_BUF) come from a pool, so that a proxied
 * request in a steady stream allocates nothing. Per worker, as all else. */
#include <stdlib.h>
#include <string.h>

#include "core/bufpool.h"
#include "handlers/proxy_state.h"

#define PROXY_SPARE 32     /* finished requests' structs kept */
#define PROXY_BUFS_KEEP 32 /* free response buffers kept */
#define SMALL_KEEP 4096    /* a head or body buffer larger than this is freed */

static struct proxy *spare[PROXY_SPARE];
static size_t n_spare;
static struct bufpool bufs;

static void free_whole(struct proxy *p)
{
    strbuf_free(&p->head);
    strbuf_free(&p->out);
    strbuf_free(&p->replay);
    free(p->tried);
    free(p);
}

/* Empties b, keeping its memory when it is small. */
static void reset_small(struct strbuf *b)
{
    if (b->cap > SMALL_KEEP || b->failed) {
        strbuf_free(b);
        return;
    }
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

struct proxy *proxy_alloc(size_t n_servers)
{
    struct proxy *p = n_spare ? spare[--n_spare] : NULL;
    if (p && p->tried_cap < n_servers) {
        free_whole(p);
        p = NULL;
    }
    if (!p) {
        p = calloc(1, sizeof(*p));
        if (!p || !(p->tried = calloc(n_servers ? n_servers : 1, sizeof(*p->tried)))) {
            free(p);
            return NULL;
        }
        p->tried_cap = n_servers;
        return p;
    }
    struct strbuf head = p->head, out = p->out, replay = p->replay;
    bool *tried = p->tried;
    size_t cap = p->tried_cap;
    memset(p, 0, sizeof(*p));
    p->head = head;
    p->out = out;
    p->replay = replay;
    p->tried = tried;
    p->tried_cap = cap;
    memset(tried, 0, cap * sizeof(*tried));
    return p;
}

void proxy_release(struct proxy *p)
{
    if (p->buf)
        bufpool_put(&bufs, p->buf);
    p->buf = NULL;
    if (n_spare == PROXY_SPARE) {
        free_whole(p);
        return;
    }
    reset_small(&p->head);
    reset_small(&p->out);
    reset_small(&p->replay);
    spare[n_spare++] = p;
}

char *proxy_buf_get(void)
{
    if (!bufs.size)
        bufpool_init(&bufs, PROXY_BUF, PROXY_BUFS_KEEP);
    return bufpool_get(&bufs);
}

void proxy_alloc_free(void)
{
    while (n_spare)
        free_whole(spare[--n_spare]);
    if (bufs.size)
        bufpool_free(&bufs);
    memset(&bufs, 0, sizeof(bufs));
}
