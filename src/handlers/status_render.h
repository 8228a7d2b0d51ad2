/* The figures /status answers, and the two forms it writes them in: JSON
 * (the default) and the Prometheus text format 0.0.4. Pure: the handler
 * gathers the figures (status.c), these functions only write text. */
#ifndef PORTICO_STATUS_RENDER_H
#define PORTICO_STATUS_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stats.h"
#include "lib/strbuf.h"

/* One server of a named upstream group, summed over the workers. */
struct status_server {
    const char *upstream; /* the group's name */
    const char *server;   /* its address as resolved at load time */
    bool up;
    uint64_t requests, fails;
    uint32_t active;
};

struct status_figures {
    const char *version;
    long long uptime_s;
    unsigned workers;
    struct worker_stats w; /* summed over the workers */
    bool tls;              /* a listener speaks TLS: JSON has a "tls" member */
    bool upstreams;        /* named groups exist: JSON has an "upstreams" member */
    /* Their servers, group after group in the order of the file. */
    const struct status_server *servers;
    size_t n_servers;
};

/* The Content-Type of the Prometheus form. */
#define STATUS_PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Appends the JSON document (one line and a newline). */
void status_render_json(struct strbuf *b, const struct status_figures *f);

/* Appends the Prometheus text exposition: for each metric family its
 * "# HELP" and "# TYPE" lines, then its samples; names prefixed portico_,
 * label values escaped (\\, \", \n). */
void status_render_prometheus(struct strbuf *b, const struct status_figures *f);

#endif
