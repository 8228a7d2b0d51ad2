/* The YAML document as a small tree of scalars, sequences and mappings,
 * every node with its 1-based line and column, built from libyaml events.
 * Anchors, aliases and multi-document streams are rejected. */
#ifndef PORTICO_CFG_NODE_H
#define PORTICO_CFG_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg_arena.h"

enum cfg_node_kind { CFG_NODE_SCALAR, CFG_NODE_SEQUENCE, CFG_NODE_MAPPING };

struct cfg_node {
    enum cfg_node_kind kind;
    int line, col; /* 1-based */
    /* Scalars: the text, NUL-terminated (a NUL inside is rejected). */
    const char *str;
    size_t len;
    bool plain; /* written unquoted and untagged: `off`, not "off" */
    /* Sequences: n items in items[]. Mappings: n pairs, items[2i] the key
     * (always a scalar) and items[2i + 1] its value; keys are unique. */
    struct cfg_node **items;
    size_t n;
};

/* Parses the YAML text buf[0..len) into nodes allocated from a. On success
 * returns 0 and sets *root (NULL for a stream with no document). On failure
 * returns -1 and writes "FILE:LINE:COL: message" into err. */
int cfg_node_parse(struct cfg_arena *a, const char *file, const char *buf, size_t len,
                   struct cfg_node **root, char *err, size_t errlen);

/* A plain scalar that YAML reads as null: empty, `~`, `null`. */
bool cfg_node_is_null(const struct cfg_node *n);

static inline const struct cfg_node *cfg_map_key(const struct cfg_node *m, size_t i)
{
    return m->items[2 * i];
}

static inline const struct cfg_node *cfg_map_value(const struct cfg_node *m, size_t i)
{
    return m->items[2 * i + 1];
}

/* The value under key in mapping m (and its key node in *key_out when not
 * NULL), or NULL when absent. */
const struct cfg_node *cfg_map_get(const struct cfg_node *m, const char *key,
                                   const struct cfg_node **key_out);

#endif
