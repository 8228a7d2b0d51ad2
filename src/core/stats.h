/* The counters a worker publishes for /status: its connections by state
 * (kept by conn_set_state, the one place that changes a connection's
 * state) and the requests it finished (kept by the protocol). */
#ifndef PORTICO_STATS_H
#define PORTICO_STATS_H

#include <stdint.h>
#include <time.h>

struct worker_stats {
    time_t started; /* wall clock at start */
    uint64_t requests_total;
    uint32_t active, reading, writing, idle;
    uint32_t tunnels; /* of the writing ones: byte tunnels (WebSockets) */
    uint64_t tls_handshakes; /* TLS handshakes finished */
    uint64_t tls_failures;   /* ... and not finished: failed, timed out, plain HTTP */
};

/* What a worker publishes about one backend server it proxies to. */
struct backend_stats {
    uint64_t requests, failures; /* attempts, and the failed ones */
    uint32_t active;             /* requests in flight */
    uint32_t check_down;         /* 1 while its health check fails in this worker */
    uint64_t down_until_ms;      /* out after failures until then (CLOCK_MONOTONIC_COARSE) */
};

#endif
