/* Errors and warnings with file:line:col, unknown-key checks with a
 * "did you mean" suggestion, and path joining. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"
#include "lib/path.h"

struct cfg_pos cfg_pos_of(const struct cfg_ctx *c, const struct cfg_node *n)
{
    return (struct cfg_pos){.file = c->file, .line = n ? n->line : 1, .col = n ? n->col : 1};
}

/* Keeps a message on one line whatever bytes the file's keys hold. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || *s == 0x7f)
            *s = '?';
}

int cfg_error(struct cfg_ctx *c, const struct cfg_node *n, const char *fmt, ...)
{
    struct cfg_pos p = cfg_pos_of(c, n);
    int k = snprintf(c->err, c->errlen, "%s:%d:%d: ", p.file, p.line, p.col);
    if (k >= 0 && (size_t)k < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    one_line(c->err);
    return -1;
}

int cfg_warn(struct cfg_ctx *c, const struct cfg_node *n, const char *fmt, ...)
{
    struct config *cfg = c->cfg;
    if (cfg->n_warnings == c->warn_cap) {
        size_t cap = c->warn_cap ? 2 * c->warn_cap : 8;
        char **w = cfg_arena_calloc(c->a, cap, sizeof(*w));
        if (!w)
            return cfg_error(c, n, "out of memory");
        if (cfg->n_warnings)
            memcpy(w, cfg->warnings, cfg->n_warnings * sizeof(*w));
        cfg->warnings = w;
        c->warn_cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = cfg_arena_vprintf(c->a, fmt, ap);
    va_end(ap);
    struct cfg_pos p = cfg_pos_of(c, n);
    char *line = msg ? cfg_arena_printf(c->a, "%s:%d:%d: warning: %s", p.file, p.line, p.col,
                                        msg)
                     : NULL;
    if (!line)
        return cfg_error(c, n, "out of memory");
    one_line(line);
    cfg->warnings[cfg->n_warnings++] = line;
    return 0;
}

#define SUGGEST_MAX 32

/* Optimal string alignment distance (edits, with adjacent swaps). */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *cfg_suggest(const char *word, const char *const *known)
{
    size_t lw = strlen(word);
    if (lw > SUGGEST_MAX)
        return NULL;
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; known[i]; i++) {
        size_t lk = strlen(known[i]);
        if (lk > SUGGEST_MAX)
            continue;
        size_t dist = edit_distance(word, lw, known[i], lk);
        /* A short key is not "close" to everything two edits away. */
        if (dist < best_d && dist < lk && dist < lw) {
            best = known[i];
            best_d = dist;
        }
    }
    return best;
}

int cfg_check_keys(struct cfg_ctx *c, const struct cfg_node *m, const char *const *known,
                   const char *where)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct cfg_node *k = cfg_map_key(m, i);
        size_t j = 0;
        while (known[j] && strcmp(known[j], k->str) != 0)
            j++;
        if (known[j])
            continue;
        const char *s = cfg_suggest(k->str, known);
        if (s)
            return cfg_error(c, k, "unknown key '%.100s' %s (did you mean '%s'?)", k->str, where,
                             s);
        return cfg_error(c, k, "unknown key '%.100s' %s", k->str, where);
    }
    return 0;
}

char *cfg_path_join(struct cfg_ctx *c, const char *dir, const char *name)
{
    size_t cap = strlen(dir) + strlen(name) + 2; /* room for the '/' and the NUL */
    char *p = cfg_arena_alloc(c->a, cap);
    if (p)
        path_join(p, cap, dir, name);
    return p;
}

char *cfg_join_path(struct cfg_ctx *c, const char *path)
{
    if (path[0] == '/')
        return cfg_arena_strdup(c->a, path);
    return cfg_path_join(c, c->cfg->dir, path);
}
