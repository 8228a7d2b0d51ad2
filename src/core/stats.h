/* The counters a worker publishes for /status: its connections by state
 * (kept by conn_set_state, the one place that changes a connection's
 * state), the bytes its connections carried (kept by core's read and
 * write paths), the requests and responses it finished (kept by the
 * protocol) and what its handlers did (CGI processes, uploads).
 *
 * The worker is the only writer of its slot: an increment is a plain add.
 * Counters only grow (a worker that exits leaves them to the board's
 * retired totals); gauges go up and down. */
#ifndef PORTICO_STATS_H
#define PORTICO_STATS_H

#include <stdint.h>
#include <time.h>

/* Response status classes: responses[STATS_CLASS(status)] (1xx .. 5xx). */
#define STATS_CLASSES 5
#define STATS_CLASS(status)                                                                   \
    ((status) < 200 ? 0 : (status) >= 500 ? 4 : (status) / 100 - 1)

struct worker_stats {
    time_t started; /* wall clock at start */
    /* Gauges. */
    uint32_t active, reading, writing, idle;
    uint32_t tunnels;     /* of the writing ones: byte tunnels (WebSockets) */
    uint32_t cgi_running; /* CGI processes started and not yet reaped */
    /* Counters. */
    uint64_t requests_total;
    uint64_t responses[STATS_CLASSES]; /* response heads sent, by status class */
    uint64_t bytes_received; /* read from clients (after TLS decryption) */
    uint64_t bytes_sent;     /* written to clients (before TLS encryption) */
    uint64_t cgi_started;    /* CGI processes spawned */
    uint64_t cgi_timeouts;   /* CGI requests that ran into timeouts.cgi */
    uint64_t upload_bytes;   /* bytes of uploaded files put in place */
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
