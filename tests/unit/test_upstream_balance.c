/* Tests for src/upstream/upstream_balance.c: which server of a group takes
 * a request (CONFIG.md, "Upstreams").
 *
 * Smooth weighted round robin gives nginx's sequences and exact weight
 * shares; backups serve only while every primary is out; passive health
 * takes a server out for fail_timeout after max_fails failures within
 * fail_timeout (the clock is the now_ms every call takes); least_conn
 * picks the fewest requests in flight per unit of weight; ip_hash keeps a
 * client address on one server, spreads addresses, and moves only the
 * clients of a server that is out, until it is back. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "upstream/upstream.h"

#define MAX_SERVERS 8
#define T0 1000000u    /* a clock well past 0, as a worker's is */
#define FAIL_MS 10000u /* fail_timeout */
#define N_ADDRS 1000

static struct upstream_server_def g_defs[MAX_SERVERS];
static struct upstream_group g_group;

/* A group of n servers with these weights; backup[i] (NULL: none) marks
 * backups. max_fails and fail_timeout FAIL_MS for passive health. */
static struct upstream_group *group(enum upstream_balance bal, const unsigned *weights,
                                    const bool *backup, size_t n, unsigned max_fails)
{
    assert_true(n <= MAX_SERVERS);
    memset(g_defs, 0, sizeof(g_defs));
    for (size_t i = 0; i < n; i++) {
        g_defs[i].weight = weights[i];
        g_defs[i].backup = backup && backup[i];
        g_defs[i].text = "server";
    }
    struct upstream_group_def def = {.name = "app", .servers = g_defs, .n_servers = n,
                                     .balance = bal, .max_fails = max_fails,
                                     .fail_timeout_ms = FAIL_MS};
    assert_int_equal(upstream_group_init(&g_group, NULL, &def, NULL), 0);
    return &g_group;
}

static int teardown(void **state)
{
    upstream_group_free(&g_group);
    return 0;
}

/* Takes server i out: max_fails failures at now. */
static void take_out(struct upstream_group *g, int i, uint64_t now)
{
    for (unsigned k = 0; k < g->def.max_fails; k++)
        upstream_report(g, i, false, now);
    assert_false(upstream_server_up(g, i, now));
}

/* n picks at now (no client, nothing tried) match the letters of want
 * ("abac": servers 0, 1, 0, 2). */
static void assert_picks(struct upstream_group *g, const char *want, uint64_t now)
{
    for (size_t k = 0; want[k]; k++) {
        int got = upstream_pick(g, NULL, NULL, now);
        if (got != want[k] - 'a')
            fail_msg("pick %zu of \"%s\": want %c, got %d", k, want, want[k], got);
    }
}

static void test_wrr_nginx_sequence(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){5, 1, 1}, NULL, 3, 1);
    /* Every cycle of 7 picks is the same: the weights' current values
     * come back to 0 at its end. */
    for (int cycle = 0; cycle < 3; cycle++)
        assert_picks(g, "aabacaa", T0);
}

static void test_wrr_small_weights(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 2}, NULL, 2, 1);
    assert_picks(g, "babbabbab", T0);
    upstream_group_free(g);
    g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    assert_picks(g, "abcabcabc", T0);
}

/* Over any run of `total` consecutive picks from the start, each server
 * gets exactly its weight. */
static void test_wrr_exact_shares(void **state)
{
    static const unsigned w[] = {3, 2, 1, 4, 7};
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, w, NULL, 5, 1);
    unsigned total = 3 + 2 + 1 + 4 + 7;
    for (int cycle = 0; cycle < 10; cycle++) {
        unsigned count[5] = {0};
        for (unsigned k = 0; k < total; k++) {
            int i = upstream_pick(g, NULL, NULL, T0);
            assert_in_range(i, 0, 4);
            count[i]++;
        }
        for (int i = 0; i < 5; i++)
            assert_int_equal(count[i], w[i]);
    }
}

/* Servers marked tried are skipped; nothing left gives -1. */
static void test_tried_skipped(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    bool tried[3] = {true, false, true};
    for (int k = 0; k < 5; k++)
        assert_int_equal(upstream_pick(g, NULL, tried, T0), 1);
    tried[1] = true;
    assert_int_equal(upstream_pick(g, NULL, tried, T0), -1);
}

static void test_backup_unused_while_a_primary_is_up(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1, 1, 2},
                                     (bool[]){false, false, true, true}, 4, 1);
    for (int k = 0; k < 100; k++)
        assert_in_range(upstream_pick(g, NULL, NULL, T0), 0, 1);
    take_out(g, 0, T0);
    for (int k = 0; k < 100; k++)
        assert_int_equal(upstream_pick(g, NULL, NULL, T0 + 1), 1);
}

static void test_backup_when_every_primary_is_down(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1, 1, 2},
                                     (bool[]){false, false, true, true}, 4, 1);
    take_out(g, 0, T0);
    take_out(g, 1, T0);
    /* The backups by their own weights, 1:2 (servers c and d). */
    assert_picks(g, "dcddcddcd", T0 + 1);
    /* One primary back after fail_timeout: the backups rest again. */
    for (int k = 0; k < 50; k++)
        assert_in_range(upstream_pick(g, NULL, NULL, T0 + FAIL_MS), 0, 1);
}

/* Every server out for its failures: they are tried anyway, primaries
 * first (a certain 502 helps no one), each once per request (tried[]);
 * one that then answers is back at once. A failing health check keeps a
 * server out even then. */
static void test_all_out_tried_anyway(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1, 1},
                                     (bool[]){false, false, true}, 3, 1);
    bool tried[3] = {false, false, false};
    take_out(g, 0, T0);
    take_out(g, 1, T0);
    take_out(g, 2, T0);
    int first = upstream_pick(g, NULL, tried, T0 + 1);
    assert_in_range(first, 0, 1);
    tried[first] = true;
    int second = upstream_pick(g, NULL, tried, T0 + 1);
    assert_int_equal(second, 1 - first);
    tried[second] = true;
    assert_int_equal(upstream_pick(g, NULL, tried, T0 + 1), 2); /* then the backup */
    tried[2] = true;
    assert_int_equal(upstream_pick(g, NULL, tried, T0 + 1), -1);

    upstream_report(g, 1, true, T0 + 2); /* server 1 answered */
    assert_true(upstream_server_up(g, 1, T0 + 2));
    assert_false(upstream_server_up(g, 0, T0 + 2));
    for (int k = 0; k < 10; k++)
        assert_int_equal(upstream_pick(g, NULL, NULL, T0 + 2), 1);

    g->servers[1].check_down = true; /* its health check fails now */
    for (int k = 0; k < 10; k++)
        assert_int_equal(upstream_pick(g, NULL, NULL, T0 + 3), 0); /* 0 tried anyway */
    g->servers[0].check_down = g->servers[2].check_down = true;
    assert_int_equal(upstream_pick(g, NULL, NULL, T0 + 3), -1);
}

/* max_fails failures within fail_timeout: out for fail_timeout, skipped,
 * and back after it. */
static void test_passive_down_and_back(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1}, NULL, 2, 3);
    upstream_report(g, 0, false, T0);
    upstream_report(g, 0, false, T0 + 1);
    assert_true(upstream_server_up(g, 0, T0 + 2));
    upstream_report(g, 0, false, T0 + 2);
    assert_int_equal(g->servers[0].pub->failures, 3);
    assert_false(upstream_server_up(g, 0, T0 + 2));
    for (int k = 0; k < 20; k++)
        assert_int_equal(upstream_pick(g, NULL, NULL, T0 + 2 + FAIL_MS - 1), 1);
    assert_true(upstream_server_up(g, 0, T0 + 2 + FAIL_MS));
    assert_picks(g, "abab", T0 + 2 + FAIL_MS);
}

/* Failures further apart than fail_timeout, or broken by a success, do
 * not add up. */
static void test_passive_window(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1}, NULL, 2, 2);
    upstream_report(g, 0, false, T0);
    upstream_report(g, 0, false, T0 + FAIL_MS);
    assert_true(upstream_server_up(g, 0, T0 + FAIL_MS));
    upstream_report(g, 0, true, T0 + FAIL_MS + 1);
    upstream_report(g, 0, false, T0 + FAIL_MS + 2);
    assert_true(upstream_server_up(g, 0, T0 + FAIL_MS + 2));
    upstream_report(g, 0, false, T0 + FAIL_MS + 3);
    assert_false(upstream_server_up(g, 0, T0 + FAIL_MS + 3));
}

static void test_max_fails_zero_never_down(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1, 1}, NULL, 2, 0);
    for (int k = 0; k < 100; k++)
        upstream_report(g, 0, false, T0 + (uint64_t)k);
    assert_int_equal(g->servers[0].pub->failures, 100);
    assert_true(upstream_server_up(g, 0, T0 + 100));
    assert_picks(g, "abab", T0 + 100);
}

/* A lone server is never taken out by failures (nothing to fall back on). */
static void test_lone_server_stays(void **state)
{
    struct upstream_group *g = group(UPSTREAM_ROUND_ROBIN, (unsigned[]){1}, NULL, 1, 1);
    upstream_report(g, 0, false, T0);
    upstream_report(g, 0, false, T0);
    assert_true(upstream_server_up(g, 0, T0));
    assert_int_equal(upstream_pick(g, NULL, NULL, T0), 0);
}

static void set_active(struct upstream_group *g, const uint32_t *active)
{
    for (size_t i = 0; i < g->def.n_servers; i++)
        g->servers[i].pub->active = active[i];
}

static void test_least_conn_fewest(void **state)
{
    struct upstream_group *g = group(UPSTREAM_LEAST_CONN, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    set_active(g, (uint32_t[]){3, 1, 2});
    for (int k = 0; k < 5; k++)
        assert_int_equal(upstream_pick(g, NULL, NULL, T0), 1);
    set_active(g, (uint32_t[]){0, 4, 2});
    assert_int_equal(upstream_pick(g, NULL, NULL, T0), 0);
    /* The fewest but out of service: the next fewest. */
    take_out(g, 0, T0);
    assert_int_equal(upstream_pick(g, NULL, NULL, T0), 2);
}

/* Ties (per unit of weight): smooth weighted round robin among them. */
static void test_least_conn_ties(void **state)
{
    struct upstream_group *g = group(UPSTREAM_LEAST_CONN, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    set_active(g, (uint32_t[]){0, 0, 5});
    assert_picks(g, "ababab", T0);
    upstream_group_free(g);
    /* 2 in flight on weight 2 ties with 1 on weight 1: 2:1 among them. */
    g = group(UPSTREAM_LEAST_CONN, (unsigned[]){2, 1, 1}, NULL, 3, 1);
    set_active(g, (uint32_t[]){2, 1, 3});
    assert_picks(g, "abaaba", T0);
}

/* Each pick adds a request in flight: the load follows the weights. */
static void test_least_conn_load_by_weight(void **state)
{
    struct upstream_group *g = group(UPSTREAM_LEAST_CONN, (unsigned[]){2, 1, 3}, NULL, 3, 1);
    for (int k = 0; k < 60; k++) {
        int i = upstream_pick(g, NULL, NULL, T0);
        assert_in_range(i, 0, 2);
        g->servers[i].pub->active++;
    }
    assert_int_equal(g->servers[0].pub->active, 20);
    assert_int_equal(g->servers[1].pub->active, 10);
    assert_int_equal(g->servers[2].pub->active, 30);
}

static void test_least_conn_backup(void **state)
{
    struct upstream_group *g = group(UPSTREAM_LEAST_CONN, (unsigned[]){1, 1},
                                     (bool[]){false, true}, 2, 1);
    set_active(g, (uint32_t[]){50, 0});
    assert_int_equal(upstream_pick(g, NULL, NULL, T0), 0);
    take_out(g, 0, T0);
    assert_int_equal(upstream_pick(g, NULL, NULL, T0), 1);
}

/* ---- ip_hash ---- */

/* Address number k: IPv4 10.a.b.c with a.b from k (the hashed octets),
 * c = last; IPv6 2001:db8::k:last. */
static struct sockaddr_storage addr_of(bool v6, unsigned k, unsigned last)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    char text[64];
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        snprintf(text, sizeof(text), "2001:db8::%x:%x", k, last);
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        snprintf(text, sizeof(text), "10.%u.%u.%u", (k >> 8) & 255, k & 255, last);
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return ss;
}

static int pick_for(struct upstream_group *g, bool v6, unsigned k, uint64_t now)
{
    struct sockaddr_storage ss = addr_of(v6, k, 7);
    return upstream_pick(g, &ss, NULL, now);
}

/* Every address keeps its server, picked again in another order; every
 * server gets a fair part of N_ADDRS addresses. map[] gets the servers. */
static void assert_stable_spread(struct upstream_group *g, bool v6, int *map)
{
    unsigned count[MAX_SERVERS] = {0};
    for (unsigned k = 0; k < N_ADDRS; k++) {
        map[k] = pick_for(g, v6, k, T0);
        assert_in_range(map[k], 0, (int)g->def.n_servers - 1);
        count[map[k]]++;
    }
    for (unsigned k = N_ADDRS; k-- > 0;)
        assert_int_equal(pick_for(g, v6, k, T0), map[k]);
    for (size_t i = 0; i < g->def.n_servers; i++)
        if (count[i] < N_ADDRS / g->def.n_servers / 2)
            fail_msg("server %zu got %u of %u addresses", i, count[i], N_ADDRS);
}

static void test_ip_hash_stable_and_spread(void **state)
{
    int map[N_ADDRS];
    struct upstream_group *g = group(UPSTREAM_IP_HASH, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    assert_stable_spread(g, false, map);
    assert_stable_spread(g, true, map);
}

/* IPv4: the last octet does not count (a /24 stays on one server); IPv6:
 * every byte does. */
static void test_ip_hash_address_bytes(void **state)
{
    struct upstream_group *g = group(UPSTREAM_IP_HASH, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    for (unsigned k = 0; k < 50; k++) {
        struct sockaddr_storage a = addr_of(false, k, 1), b = addr_of(false, k, 254);
        assert_int_equal(upstream_pick(g, &a, NULL, T0), upstream_pick(g, &b, NULL, T0));
    }
    bool seen[3] = {false};
    for (unsigned last = 0; last < 256; last++) {
        struct sockaddr_storage a = addr_of(true, 1, last);
        seen[upstream_pick(g, &a, NULL, T0)] = true;
    }
    assert_true(seen[0] && seen[1] && seen[2]);
}

static void test_ip_hash_weights(void **state)
{
    struct upstream_group *g = group(UPSTREAM_IP_HASH, (unsigned[]){1, 3}, NULL, 2, 1);
    unsigned heavy = 0;
    for (unsigned k = 0; k < N_ADDRS; k++)
        heavy += pick_for(g, false, k, T0) == 1;
    /* 3/4 expected. */
    assert_in_range(heavy, N_ADDRS * 65 / 100, N_ADDRS * 85 / 100);
}

/* Server 1 goes out: its addresses move (each to one server, stably),
 * the others stay; back after fail_timeout, everyone is home again. */
static void check_ip_hash_failover(bool v6)
{
    int map[N_ADDRS];
    struct upstream_group *g = group(UPSTREAM_IP_HASH, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    assert_stable_spread(g, v6, map);
    take_out(g, 1, T0);
    for (unsigned k = 0; k < N_ADDRS; k++) {
        int now_at = pick_for(g, v6, k, T0 + 1);
        if (map[k] != 1)
            assert_int_equal(now_at, map[k]);
        else
            assert_true(now_at == 0 || now_at == 2);
        assert_int_equal(pick_for(g, v6, k, T0 + 2), now_at);
    }
    for (unsigned k = 0; k < N_ADDRS; k++)
        assert_int_equal(pick_for(g, v6, k, T0 + FAIL_MS), map[k]);
    upstream_group_free(g);
}

static void test_ip_hash_failover(void **state)
{
    check_ip_hash_failover(false);
    check_ip_hash_failover(true);
    /* Only one server left: everyone goes there. */
    struct upstream_group *g = group(UPSTREAM_IP_HASH, (unsigned[]){1, 1, 1}, NULL, 3, 1);
    take_out(g, 0, T0);
    take_out(g, 2, T0);
    for (unsigned k = 0; k < N_ADDRS; k++)
        assert_int_equal(pick_for(g, k & 1, k, T0 + 1), 1);
}

static void test_ip_hash_backup(void **state)
{
    struct upstream_group *g = group(UPSTREAM_IP_HASH, (unsigned[]){1, 1, 1},
                                     (bool[]){false, false, true}, 3, 1);
    for (unsigned k = 0; k < 200; k++)
        assert_in_range(pick_for(g, false, k, T0), 0, 1);
    take_out(g, 0, T0);
    take_out(g, 1, T0);
    for (unsigned k = 0; k < 200; k++)
        assert_int_equal(pick_for(g, true, k, T0 + 1), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_wrr_nginx_sequence, teardown),
        cmocka_unit_test_teardown(test_wrr_small_weights, teardown),
        cmocka_unit_test_teardown(test_wrr_exact_shares, teardown),
        cmocka_unit_test_teardown(test_tried_skipped, teardown),
        cmocka_unit_test_teardown(test_backup_unused_while_a_primary_is_up, teardown),
        cmocka_unit_test_teardown(test_backup_when_every_primary_is_down, teardown),
        cmocka_unit_test_teardown(test_all_out_tried_anyway, teardown),
        cmocka_unit_test_teardown(test_passive_down_and_back, teardown),
        cmocka_unit_test_teardown(test_passive_window, teardown),
        cmocka_unit_test_teardown(test_max_fails_zero_never_down, teardown),
        cmocka_unit_test_teardown(test_lone_server_stays, teardown),
        cmocka_unit_test_teardown(test_least_conn_fewest, teardown),
        cmocka_unit_test_teardown(test_least_conn_ties, teardown),
        cmocka_unit_test_teardown(test_least_conn_load_by_weight, teardown),
        cmocka_unit_test_teardown(test_least_conn_backup, teardown),
        cmocka_unit_test_teardown(test_ip_hash_stable_and_spread, teardown),
        cmocka_unit_test_teardown(test_ip_hash_address_bytes, teardown),
        cmocka_unit_test_teardown(test_ip_hash_weights, teardown),
        cmocka_unit_test_teardown(test_ip_hash_failover, teardown),
        cmocka_unit_test_teardown(test_ip_hash_backup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
