/* Shared by the loader's files: the load context, error and warning
 * reporting with file:line:col, and the typed value parsers. Not for use
 * outside src/config. */
#ifndef PORTICO_CFG_INTERNAL_H
#define PORTICO_CFG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg_arena.h"
#include "config/cfg_node.h"
#include "config/config.h"

/* Load-time facts that struct config has no room for, per server. */
struct cfg_server_aux {
    const struct cfg_node *node;         /* the server's mapping */
    const struct cfg_node *default_key;  /* `default:` key when true, else NULL */
    const struct cfg_node **name_nodes;  /* one per cfg_server.names */
};

struct cfg_ctx {
    struct config *cfg;
    struct cfg_arena *a; /* the config's arena */
    const char *file;    /* cfg->path */
    char *err;
    size_t errlen;
    struct cfg_server_aux *aux; /* parallel to cfg->servers */
    size_t warn_cap;
};

/* Writes "FILE:LINE:COL: message" at node n into the error buffer and
 * returns -1, so callers can `return cfg_error(...)`. */
int cfg_error(struct cfg_ctx *c, const struct cfg_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds "FILE:LINE:COL: warning: message" to cfg->warnings; -1 only when out
 * of memory (with the error set). */
int cfg_warn(struct cfg_ctx *c, const struct cfg_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct cfg_pos cfg_pos_of(const struct cfg_ctx *c, const struct cfg_node *n);

/* Checks every key of mapping m against the NULL-terminated list known;
 * an unknown one is an error "unknown key 'x' WHERE (did you mean 'y'?)".
 * where is e.g. "in server". */
int cfg_check_keys(struct cfg_ctx *c, const struct cfg_node *m, const char *const *known,
                   const char *where);
/* The known word closest to word (edit distance <= 2), or NULL. */
const char *cfg_suggest(const char *word, const char *const *known);

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
/* A method list (a name or a list of names) as HTTP_METHOD_BIT()s. */
int cfg_get_methods(struct cfg_ctx *c, const struct cfg_node *n, unsigned *out);
/* Parses one listen value (a port or "host:port") into l. */
int cfg_get_listen(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_listen *l);
/* A scalar or a sequence of scalars as an array of strings in the arena. */
int cfg_get_string_list(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                        char ***out, size_t *n_out);

/* Method helpers for the dump and the warnings. */
const char *cfg_method_name(unsigned bit_index);

/* dir + "/" + path unless path is absolute; in the arena. */
char *cfg_join_path(struct cfg_ctx *c, const char *path);
/* path_join(dir, name) in the arena (lib/path.h); NULL when out of memory. */
char *cfg_path_join(struct cfg_ctx *c, const char *dir, const char *name);

/* The `servers:` list, in file order (cfg_server.c). */
int cfg_load_servers(struct cfg_ctx *c, const struct cfg_node *n);
/* Parse locations of server s from mapping m (cfg_location.c). */
int cfg_load_locations(struct cfg_ctx *c, struct cfg_server *s, const struct cfg_node *srv,
                       const struct cfg_node *m);
/* Shared pieces of servers and locations (cfg_location.c). */
int cfg_load_timeouts(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_timeouts *t);
int cfg_load_limits(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_limits *l);
int cfg_load_root(struct cfg_ctx *c, const struct cfg_node *n, char **out);
int cfg_load_index(struct cfg_ctx *c, const struct cfg_node *n, char ***out, size_t *n_out);
int cfg_load_error_pages(struct cfg_ctx *c, const struct cfg_node *n, const char *root,
                         struct cfg_error_page **out, size_t *n_out);

/* Pipelines and listeners (cfg_compile.c). */
void cfg_compile_pipeline(struct cfg_location *loc);
int cfg_build_listeners(struct cfg_ctx *c);

#endif
