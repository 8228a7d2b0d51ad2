/* Which server of a group takes a request: smooth weighted round robin
 * (as nginx does it), least connections, or a hash of the client address;
 * backups only while every primary is out; and the passive health that
 * takes a failing server out for fail_timeout. */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "upstream/upstream.h"

bool upstream_server_up(struct upstream_group *g, int i, uint64_t now_ms)
{
    struct upstream_server *s = &g->servers[i];
    /* A lone server is never taken out by failures: there is nothing to
     * fall back on, and refusing would only turn its hiccup into 502s. */
    return !s->check_down && (g->def.n_servers == 1 || s->down_until_ms <= now_ms);
}

void upstream_report(struct upstream_group *g, int i, bool ok, uint64_t now_ms)
{
    struct upstream_server *s = &g->servers[i];
    if (ok) { /* it answers: back in service (after a pick that ignored its time-out) */
        s->fails = 0;
        s->down_until_ms = s->pub->down_until_ms = 0;
        return;
    }
    s->pub->failures++;
    if (g->def.max_fails == 0)
        return;
    if (now_ms - s->window_ms >= g->def.fail_timeout_ms) {
        s->window_ms = now_ms;
        s->fails = 0;
    }
    if (++s->fails >= g->def.max_fails) {
        s->down_until_ms = now_ms + g->def.fail_timeout_ms;
        s->fails = 0;
        if (g->def.n_servers > 1) /* see upstream_server_up() */
            s->pub->down_until_ms = s->down_until_ms;
    }
}

/* Server i may take this request: not tried yet, in service, and of the
 * kind (primary or backup) asked for. */
static bool eligible(struct upstream_group *g, int i, const bool *tried, bool backup,
                     uint64_t now_ms)
{
    return (!tried || !tried[i]) && g->def.servers[i].backup == backup &&
           upstream_server_up(g, i, now_ms);
}

/* Server i carries fewer requests in flight per unit of weight than j. */
static bool fewer(const struct upstream_group *g, int i, int j)
{
    return (uint64_t)g->servers[i].pub->active * g->def.servers[j].weight <
           (uint64_t)g->servers[j].pub->active * g->def.servers[i].weight;
}

/* Smooth weighted round robin over the eligible servers (with least >= 0,
 * only those carrying no more than server least): each gains its weight,
 * the richest is picked and pays the total. Spreads a 5:1:1 group as
 * a a b a c a a, not a a a a a b c. */
static int pick_weighted(struct upstream_group *g, const bool *tried, bool backup, uint64_t now,
                         int least)
{
    int best = -1, total = 0;
    for (size_t i = 0; i < g->def.n_servers; i++) {
        if (!eligible(g, (int)i, tried, backup, now) || (least >= 0 && fewer(g, least, (int)i)))
            continue;
        struct upstream_server *s = &g->servers[i];
        s->current += (int)g->def.servers[i].weight;
        total += (int)g->def.servers[i].weight;
        if (best < 0 || s->current > g->servers[best].current)
            best = (int)i;
    }
    if (best >= 0)
        g->servers[best].current -= total;
    return best;
}

/* The fewest requests in flight per unit of weight; among the servers
 * tied for that, smooth weighted round robin. */
static int pick_least(struct upstream_group *g, const bool *tried, bool backup, uint64_t now)
{
    int least = -1;
    for (size_t i = 0; i < g->def.n_servers; i++)
        if (eligible(g, (int)i, tried, backup, now) && (least < 0 || fewer(g, (int)i, least)))
            least = (int)i;
    return least < 0 ? -1 : pick_weighted(g, tried, backup, now, least);
}

static uint32_t hash_bytes(uint32_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* The client's address decides (the first three octets of IPv4, as nginx:
 * a client behind a pool of addresses stays on one server; all of IPv6).
 * A server out of service or tried: the hash moves on, and after 20 tries
 * round robin decides. */
static int pick_hash(struct upstream_group *g, const struct sockaddr_storage *client,
                     const bool *tried, bool backup, uint64_t now)
{
    uint32_t h = 2166136261u;
    if (client && client->ss_family == AF_INET)
        h = hash_bytes(h, (const unsigned char *)&((const struct sockaddr_in *)client)->sin_addr, 3);
    else if (client && client->ss_family == AF_INET6)
        h = hash_bytes(h, (const unsigned char *)&((const struct sockaddr_in6 *)client)->sin6_addr,
                       16);
    unsigned total = 0;
    for (size_t i = 0; i < g->def.n_servers; i++)
        if (g->def.servers[i].backup == backup)
            total += g->def.servers[i].weight;
    for (int attempt = 0; attempt < 20 && total; attempt++, h = hash_bytes(h, (void *)&h, 4)) {
        unsigned w = h % total;
        size_t i = 0;
        for (;; i++) {
            if (g->def.servers[i].backup != backup)
                continue;
            if (w < g->def.servers[i].weight)
                break;
            w -= g->def.servers[i].weight;
        }
        if (eligible(g, (int)i, tried, backup, now))
            return (int)i;
    }
    return pick_weighted(g, tried, backup, now, -1);
}

static int pick_kind(struct upstream_group *g, const struct sockaddr_storage *client,
                     const bool *tried, bool backup, uint64_t now)
{
    switch (g->def.balance) {
    case UPSTREAM_LEAST_CONN: return pick_least(g, tried, backup, now);
    case UPSTREAM_IP_HASH: return pick_hash(g, client, tried, backup, now);
    case UPSTREAM_ROUND_ROBIN: break;
    }
    return pick_weighted(g, tried, backup, now, -1);
}

int upstream_pick(struct upstream_group *g, const struct sockaddr_storage *client,
                  const bool *tried, uint64_t now_ms)
{
    int i = pick_kind(g, client, tried, false, now_ms);
    if (i < 0)
        i = pick_kind(g, client, tried, true, now_ms);
    /* Every server left is out for its failures: rather than a certain
     * 502 until a fail_timeout ends, they are tried anyway (nginx forgets
     * the failures then, for the same reason); tried[] and the request's
     * retries bound it. A server whose health check fails stays out. */
    if (i < 0)
        i = pick_kind(g, client, tried, false, UINT64_MAX);
    if (i < 0)
        i = pick_kind(g, client, tried, true, UINT64_MAX);
    return i;
}
