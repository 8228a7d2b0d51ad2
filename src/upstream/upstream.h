/* Upstream groups, per worker: which server a request goes to (balancing,
 * passive and active health), and the connections to them (non-blocking
 * connect, a keep-alive pool per group).
 *
 * This module knows no configuration file: the proxy handler describes
 * each group with the plain structs below when a worker starts. */
#ifndef PORTICO_UPSTREAM_H
#define PORTICO_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"
#include "core/stats.h"

struct upstream_server_def {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    const char *text; /* "127.0.0.1:9001": logs and /status */
    const char *host; /* the address as written: the Host header sent to it */
    unsigned weight;
    bool backup;
};

enum upstream_balance { UPSTREAM_ROUND_ROBIN, UPSTREAM_LEAST_CONN, UPSTREAM_IP_HASH };

struct upstream_group_def {
    const char *name;
    const struct upstream_server_def *servers;
    size_t n_servers;
    enum upstream_balance balance;
    unsigned keepalive;       /* idle connections kept */
    unsigned max_fails;       /* 0: never taken out */
    uint32_t fail_timeout_ms;
    const char *health_path;  /* NULL: no active check */
    uint32_t health_interval_ms;
    uint32_t connect_timeout_ms; /* for the active check's connections */
    uint32_t health_timeout_ms;
};

/* What this worker knows of one server. */
struct upstream_server {
    const struct upstream_server_def *def;
    unsigned fails;            /* failures in the current window */
    uint64_t window_ms;        /* when the window began */
    uint64_t down_until_ms;    /* passive health: out until then (0: in) */
    bool check_down;           /* active health: the last check failed */
    int current;               /* smooth weighted round robin */
    struct backend_stats *pub; /* requests, failures, active, down: where
                                  /status reads them (the shared board, or own) */
    struct backend_stats own;
};

struct upstream_conn;
struct upstream_health;

struct upstream_group {
    struct upstream_group_def def;
    struct upstream_server *servers;
    struct loop *loop;
    struct upstream_conn *idle; /* the pool, most recent first */
    unsigned n_idle;
    struct upstream_health *health; /* NULL without health_check */
};

/* Sets up g from def (copied; the strings def points at must outlive g)
 * and starts its active health check. pub: where the servers' counters
 * are published (n_servers of them, e.g. in the shared board), or NULL.
 * Returns 0 or -1. */
int upstream_group_init(struct upstream_group *g, struct loop *loop,
                        const struct upstream_group_def *def, struct backend_stats *pub);
/* Frees what g holds and closes its connections, without the loop (it may
 * be gone already: worker exit). */
void upstream_group_free(struct upstream_group *g);

/* ---- balancing and health (upstream_balance.c) ---- */

/* The server for a request from client (ip_hash), skipping those marked
 * in tried[] (n_servers flags; NULL: none) and those out of service;
 * backups only while every primary is out. When every server left is out
 * for its failures, those are tried anyway: only failing health checks
 * keep a server out then. -1 when none is left. */
int upstream_pick(struct upstream_group *g, const struct sockaddr_storage *client,
                  const bool *tried, uint64_t now_ms);

/* The outcome of one attempt on server i: a failure (refused, reset,
 * timeout, invalid head) counts toward max_fails within fail_timeout. */
void upstream_report(struct upstream_group *g, int i, bool ok, uint64_t now_ms);

/* Whether server i is in service now: its health check passes, and
 * failures have not taken it out (a lone server never is). */
bool upstream_server_up(struct upstream_group *g, int i, uint64_t now_ms);

/* ---- connections (upstream_conn.c) ---- */

/* What the owner of a connection hears: it is ready to write or read, or
 * it failed (connect refused or timed out, reset, closed). */
struct upstream_conn_ops {
    void (*on_ready)(struct upstream_conn *uc, uint32_t events);
    void (*on_timeout)(struct upstream_conn *uc);
};

struct upstream_conn {
    struct io_watcher io; /* first: the loop hands back this pointer */
    struct timer timer;
    struct upstream_group *group;
    int server;
    bool connecting;    /* connect() in progress */
    bool reused;        /* taken from the pool */
    bool readable, writable, peer_closed;
    bool rdhup; /* the server's FIN was seen: read until the end */
    const struct upstream_conn_ops *ops;
    void *owner;
    struct upstream_conn *next; /* the pool */
    uint64_t idle_since_ms;
};

/* A connection to server i of g for owner: an idle one from the pool (most
 * recent first; uc->reused set) or a new non-blocking connect bounded by
 * connect_ms. checked: a pooled one is first asked (one recv) whether the
 * server closed it meanwhile, for a request that could not be sent twice.
 * NULL with errno when even the socket cannot be made. */
struct upstream_conn *upstream_conn_get(struct upstream_group *g, int i, uint32_t connect_ms,
                                        bool checked, const struct upstream_conn_ops *ops,
                                        void *owner);

/* The owner is done and the connection is clean (a whole response read,
 * keep-alive): back to the pool, or closed when the pool is full. */
void upstream_conn_release(struct upstream_conn *uc);

/* Closes it (the memory goes after the current batch of events). */
void upstream_conn_close(struct upstream_conn *uc);

/* Arms or cancels the connection's timer (its owner's business once it
 * is out of the pool). */
void upstream_conn_timer(struct upstream_conn *uc, uint32_t ms);

/* 0 once the connect has completed, else the socket's error (errno). */
int upstream_conn_error(struct upstream_conn *uc);

#endif
