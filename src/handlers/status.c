/* status: GET/HEAD -> the server's statistics as JSON (docs/config.md,
 * "status"):
 * {"version":"0.1.0","uptime_s":12,"workers":2,
 *  "connections":{"active":3,"reading":0,"writing":1,"idle":2},
 *  "requests":{"total":1234}}
 * requests.total counts finished requests, so not the one asking. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/cfg_parse.h"
#include "handlers/handlers.h"
#include "server/request.h"

#ifndef PORTICO_VERSION
#define PORTICO_VERSION "0"
#endif

static enum handler_result status_on_request(struct request *r)
{
    enum http_method m = r->head.method;
    if (m != HTTP_GET && m != HTTP_HEAD)
        return HANDLER_DECLINED;
    struct worker_stats c;
    unsigned workers = request_stats(r, &c);
    long long uptime = (long long)(request_loop(r)->now_wall - c.started);
    if (uptime < 0)
        uptime = 0; /* the wall clock was set back */
    char body[512];
    int n = snprintf(body, sizeof(body),
                     "{\"version\":\"%s\",\"uptime_s\":%lld,\"workers\":%u,"
                     "\"connections\":{\"active\":%" PRIu32 ",\"reading\":%" PRIu32
                     ",\"writing\":%" PRIu32 ",\"idle\":%" PRIu32 "},"
                     "\"requests\":{\"total\":%" PRIu64 "}}\n",
                     PORTICO_VERSION, uptime, workers, c.active, c.reading,
                     c.writing, c.idle, c.requests_total);
    char *copy = n < 0 || (size_t)n >= sizeof(body) ? NULL : malloc((size_t)n);
    if (!copy)
        return request_error(r, 500);
    memcpy(copy, body, (size_t)n);
    response_add_header(r, "Cache-Control: no-store");
    response_adopt_body(r, 200, copy, (size_t)n, "application/json");
    return HANDLER_DONE;
}

static const char *const status_keys[] = {"status", NULL};

static int status_parse(struct cfg_ctx *c, const struct cfg_node *m,
                        const struct cfg_location *loc, const void **settings)
{
    return cfg_get_flag(c, m, "status", settings);
}

static void status_dump(const void *settings, FILE *out)
{
    fputs("    status: on\n", out);
}

const struct handler handler_status = {
    .desc = {.name = "status", .keys = status_keys, .order = 3, .parse = status_parse,
             .dump = status_dump},
    .on_request = status_on_request,
};
