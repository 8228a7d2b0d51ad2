#include "core/bufpool.h"

#include <stdlib.h>

void bufpool_init(struct bufpool *p, size_t size, size_t keep)
{
    p->size = size < sizeof(void *) ? sizeof(void *) : size;
    p->keep = keep;
    p->n_free = 0;
    p->free_list = NULL;
    p->in_use = 0;
}

void bufpool_free(struct bufpool *p)
{
    while (p->free_list) {
        void *next = *(void **)p->free_list;
        free(p->free_list);
        p->free_list = next;
    }
    p->n_free = 0;
}

void *bufpool_get(struct bufpool *p)
{
    void *buf = p->free_list;
    if (buf) {
        p->free_list = *(void **)buf;
        p->n_free--;
    } else {
        buf = malloc(p->size);
        if (!buf)
            return NULL;
    }
    p->in_use++;
    return buf;
}

void bufpool_put(struct bufpool *p, void *buf)
{
    if (!buf)
        return;
    p->in_use--;
    if (p->n_free >= p->keep) {
        free(buf);
        return;
    }
    *(void **)buf = p->free_list;
    p->free_list = buf;
    p->n_free++;
}
