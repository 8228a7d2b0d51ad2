/* A handler as the configuration sees it: its name, the location keys it
 * owns, a parser from them to its settings, a dump for -T, and its place
 * in the pipeline. src/handlers declares one per handler; main.c hands the
 * table to cfg_load, so config/ includes no handler header, and a new
 * handler is its file plus one line in that table. */
#ifndef PORTICO_CFG_HANDLER_H
#define PORTICO_CFG_HANDLER_H

#include <stdbool.h>
#include <stdio.h>

struct cfg_ctx;
struct cfg_node;
struct cfg_location;

struct cfg_handler {
    const char *name;         /* "cgi": in -T and in messages */
    const char *const *keys;  /* location keys it owns, NULL-terminated; NULL: none */
    int order;                /* its place in the pipeline: lower runs first */
    bool exclusive;           /* answers every request: its pipeline is it alone */
    unsigned warn_methods;    /* enabled with none of these methods allowed: -t warns */
    const char *excludes;     /* a handler that may not share its location ... */
    const char *excludes_why; /* ... and why, for the error at the location */
    /* Reads the location's mapping m (NULL for an empty location) into
     * *settings, allocated in the configuration's arena; leaves it NULL
     * when the handler is off for this location. loc has its methods,
     * root and inherited settings already. Returns 0, or -1 with the
     * error set (cfg_error). */
    int (*parse)(struct cfg_ctx *c, const struct cfg_node *m, const struct cfg_location *loc,
                 const void **settings);
    /* Prints the settings for -T, one "    key: value" line each (NULL:
     * nothing to print). */
    void (*dump)(const void *settings, FILE *out);
};

/* One step of a location's pipeline. */
struct cfg_stage {
    const struct cfg_handler *handler;
    const void *settings;
};

#define CFG_MAX_STAGES 16

#endif
