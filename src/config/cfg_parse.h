/* What a handler's settings parser (struct cfg_handler) may use: errors and
 * warnings at a node's file:line:col, the typed values of nodes, and the
 * configuration's arena. The load context itself stays opaque. */
#ifndef PORTICO_CFG_PARSE_H
#define PORTICO_CFG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg_arena.h"
#include "config/cfg_node.h"
#include "config/config.h"

struct cfg_ctx;

/* Writes "FILE:LINE:COL: message" at node n into the error buffer and
 * returns -1, so callers can `return cfg_error(...)`. */
int cfg_error(struct cfg_ctx *c, const struct cfg_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds "FILE:LINE:COL: warning: message" to cfg->warnings; -1 only when out
 * of memory (with the error set). */
int cfg_warn(struct cfg_ctx *c, const struct cfg_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks every key of mapping m against the NULL-terminated list known;
 * an unknown one is an error "unknown key 'x' WHERE (did you mean 'y'?)".
 * where is e.g. "in server". */
int cfg_check_keys(struct cfg_ctx *c, const struct cfg_node *m, const char *const *known,
                   const char *where);

/* Typed values of node n; what names the key in the error message. Each
 * returns 0 or -1 with the error set. */
int cfg_get_mapping(struct cfg_ctx *c, const struct cfg_node *n, const char *what);
int cfg_get_string(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                   const char **out);
int cfg_get_bool(struct cfg_ctx *c, const struct cfg_node *n, const char *what, bool *out);
int cfg_get_uint(struct cfg_ctx *c, const struct cfg_node *n, const char *what, uint64_t min,
                 uint64_t max, uint64_t *out);
int cfg_get_size(struct cfg_ctx *c, const struct cfg_node *n, const char *what, uint64_t *out);
int cfg_get_duration(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                     uint32_t *out_ms);
/* A scalar or a sequence of scalars as an array of strings in the arena. */
int cfg_get_string_list(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                        char ***out, size_t *n_out);

/* A boolean location key: when m sets key to true, *settings becomes a
 * non-NULL marker (the handler is on). Returns 0 or -1. */
int cfg_get_flag(struct cfg_ctx *c, const struct cfg_node *m, const char *key,
                 const void **settings);

/* Text that ends up in a response header: no spaces or control bytes. */
bool cfg_header_safe(const char *s);

/* dir + "/" + path unless path is absolute; in the arena. */
char *cfg_join_path(struct cfg_ctx *c, const char *path);

/* The named upstream group name[0..len), or NULL. */
const struct cfg_upstream *cfg_upstream_named(struct cfg_ctx *c, const char *name, size_t len);
/* The single-server group of "host[:port]" (port 80), resolved now and
 * shared by every target naming the same server. NULL with the error set
 * (at n) when it does not resolve. */
const struct cfg_upstream *cfg_upstream_single(struct cfg_ctx *c, const struct cfg_node *n,
                                               const char *hostport);

/* The configuration's arena: what settings are allocated in. */
struct cfg_arena *cfg_arena_of(struct cfg_ctx *c);

#endif
