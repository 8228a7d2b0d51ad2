/* Shared by the loader's files: the load context, error and warning
 * reporting with file:line:col, and the typed value parsers. Not for use
 * outside src/config. */
#ifndef PORTICO_CFG_INTERNAL_H
#define PORTICO_CFG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg_arena.h"
#include "config/cfg_handler.h"
#include "config/cfg_node.h"
#include "config/cfg_parse.h"
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
    const struct cfg_handler *const *handlers; /* the table, in pipeline order */
    size_t n_handlers;
    const char **location_keys; /* the common keys and every handler's */
    size_t upstream_room;       /* upstream groups the file may define */
};

struct cfg_pos cfg_pos_of(const struct cfg_ctx *c, const struct cfg_node *n);
/* A node that stands only for place p, for an error or a warning there. */
static inline struct cfg_node cfg_node_at(struct cfg_pos p)
{
    return (struct cfg_node){.line = p.line, .col = p.col};
}
/* The known word closest to word (edit distance <= 2), or NULL. */
const char *cfg_suggest(const char *word, const char *const *known);
/* A name or a non-empty list of names, each one of words[0..count) (NULL
 * entries skipped; case-insensitive), as the OR of 1u << its index. noun
 * names one in messages: "unknown method 'X' in 'methods' (use GET, ...)". */
int cfg_get_word_bits(struct cfg_ctx *c, const struct cfg_node *n, const char *what,
                      const char *noun, const char *const *words, unsigned count, unsigned *out);
/* A method list (a name or a list of names) as HTTP_METHOD_BIT()s. */
int cfg_get_methods(struct cfg_ctx *c, const struct cfg_node *n, unsigned *out);
/* Parses one listen item into l: a port, "host:port", "[ipv6]:port", or a
 * mapping {address: one of those, tls: bool}. */
int cfg_get_listen(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_listen *l);

/* Method helpers for the dump and the warnings. */
const char *cfg_method_name(unsigned bit_index);

/* path_join(dir, name) in the arena (lib/path.h); NULL when out of memory. */
char *cfg_path_join(struct cfg_ctx *c, const char *dir, const char *name);

/* The `upstreams:` map (n may be NULL), with room for the single-server
 * groups of proxy targets (cfg_upstream.c). */
int cfg_load_upstreams(struct cfg_ctx *c, const struct cfg_node *n);

/* A server's `tls:` block (cfg_tls.c). */
int cfg_load_tls(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_tls **out);

/* The `servers:` list, in file order (cfg_server.c). */
int cfg_load_servers(struct cfg_ctx *c, const struct cfg_node *n);
/* Parse locations of server s from mapping m (cfg_location.c). */
int cfg_load_locations(struct cfg_ctx *c, struct cfg_server *s, const struct cfg_node *srv,
                       const struct cfg_node *m);
/* Shared pieces of servers and locations (cfg_common.c). */
/* top: the whole file's block, the only one that may set drain. */
int cfg_load_timeouts(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_timeouts *t,
                      bool top);
int cfg_load_limits(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_limits *l);
int cfg_load_compress(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_compress *z);
/* `charset`: off (NULL) or a token of at most 40 bytes, kept as written. */
int cfg_load_charset(struct cfg_ctx *c, const struct cfg_node *n, const char **out);
int cfg_load_root(struct cfg_ctx *c, const struct cfg_node *n, char **out);
int cfg_load_index(struct cfg_ctx *c, const struct cfg_node *n, char ***out, size_t *n_out);
int cfg_load_error_pages(struct cfg_ctx *c, const struct cfg_node *n, const char *root,
                         struct cfg_error_page **out, size_t *n_out);

/* Takes the handler table (NULL-terminated; NULL: none) in pipeline order
 * and the location keys it brings (cfg_compile.c). */
int cfg_use_handlers(struct cfg_ctx *c, const struct cfg_handler *const *table);
/* Pipelines and listeners (cfg_compile.c). k is the location's key, m its
 * mapping (NULL when empty). */
int cfg_compile_pipeline(struct cfg_ctx *c, const struct cfg_node *k, const struct cfg_node *m,
                         struct cfg_location *loc);
int cfg_build_listeners(struct cfg_ctx *c);

#endif
