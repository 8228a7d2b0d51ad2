#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upstream/upstream.h"
#include "upstream/upstream_health.h"

int upstream_group_init(struct upstream_group *g, struct loop *loop,
                        const struct upstream_group_def *def, struct backend_stats *pub)
{
    memset(g, 0, sizeof(*g));
    g->def = *def;
    g->loop = loop;
    g->servers = calloc(def->n_servers ? def->n_servers : 1, sizeof(*g->servers));
    if (!g->servers)
        return -1;
    for (size_t i = 0; i < def->n_servers; i++) {
        g->servers[i].def = &def->servers[i];
        g->servers[i].pub = pub ? &pub[i] : &g->servers[i].own;
    }
    if (def->health_path && upstream_health_start(g) < 0)
        return -1;
    return 0;
}

void upstream_group_free(struct upstream_group *g)
{
    upstream_health_free(g);
    while (g->idle) {
        struct upstream_conn *uc = g->idle;
        g->idle = uc->next;
        close(uc->io.fd);
        free(uc);
    }
    free(g->servers);
    g->servers = NULL;
}
