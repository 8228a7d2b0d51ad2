/* status: GET/HEAD -> the server's statistics as JSON (CONFIG.md):
 * {"version":"0.1.0","uptime_s":12,"workers":2,
 *  "connections":{"active":3,"reading":0,"writing":1,"idle":2},
 *  "requests":{"total":1234}}
 * requests.total counts finished requests, so not the one asking. */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include "core/stats_board.h"
#include "core/worker.h"
#include "handlers/handler.h"
#include "handlers/request.h"

#ifndef PORTICO_VERSION
#define PORTICO_VERSION "0"
#endif

struct status_counters {
    time_t started;
    uint64_t requests_total;
    uint64_t active, reading, writing, idle;
};

/* Reads the counters: summed over every worker process from the shared
 * board, or this worker's own when it runs alone. */
static void status_collect(const struct worker *w, struct status_counters *out)
{
    struct worker_stats sum;
    const struct worker_stats *s = w->stats;
    if (stats_board) {
        stats_board_sum(stats_board, &sum);
        s = &sum;
    }
    out->started = s->started;
    out->requests_total = s->requests_total;
    out->active = s->active;
    out->reading = s->reading;
    out->writing = s->writing;
    out->idle = s->idle;
}

/* The configured worker count, or for `auto` the CPUs this process may
 * run on (what the master starts). */
static long worker_count(const struct config *cfg)
{
    if (cfg->workers > 0)
        return cfg->workers;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return 1;
}

static enum handler_result status_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (m != HTTP_GET && m != HTTP_HEAD)
        return HANDLER_DECLINED;
    const struct worker *w = r->conn->worker;
    struct status_counters c;
    status_collect(w, &c);
    long long uptime = (long long)(w->loop.now_wall - c.started);
    if (uptime < 0)
        uptime = 0; /* the wall clock was set back */
    int n = snprintf(r->body_buf, sizeof(r->body_buf),
                     "{\"version\":\"%s\",\"uptime_s\":%lld,\"workers\":%ld,"
                     "\"connections\":{\"active\":%" PRIu64 ",\"reading\":%" PRIu64
                     ",\"writing\":%" PRIu64 ",\"idle\":%" PRIu64 "},"
                     "\"requests\":{\"total\":%" PRIu64 "}}\n",
                     PORTICO_VERSION, uptime, worker_count(r->cfg), c.active, c.reading,
                     c.writing, c.idle, c.requests_total);
    if (n < 0 || (size_t)n >= sizeof(r->body_buf))
        return request_error(r, 500);
    request_add_header(r, "Cache-Control: no-store");
    request_set_body(r, 200, r->body_buf, (size_t)n, "application/json");
    return HANDLER_DONE;
}

const struct handler handler_status = {
    .name = "status",
    .on_request = status_on_request,
};
