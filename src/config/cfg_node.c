/* libyaml events -> cfg_node tree. Collections are built with an explicit
 * stack (bounded depth), so hostile input cannot exhaust the C stack. */
#include "config/cfg_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define NODE_MAX_DEPTH 64

struct cell {
    struct cfg_node *node;
    struct cell *next;
};

struct frame {
    struct cfg_node *node;
    struct cell *first, *last;
    size_t count; /* children so far (keys and values for a mapping) */
};

struct builder {
    struct cfg_arena *a;
    const char *file, *buf;
    size_t len;
    char *err;
    size_t errlen;
    struct frame stack[NODE_MAX_DEPTH];
    int depth;
    int docs;
    struct cfg_node *root;
};

static int build_error(struct builder *b, int line, int col, const char *msg)
{
    snprintf(b->err, b->errlen, "%s:%d:%d: %s", b->file, line, col, msg);
    for (char *s = b->err; *s; s++) /* one line, whatever the keys hold */
        if ((unsigned char)*s < ' ' || *s == 0x7f)
            *s = '?';
    return -1;
}

static int mark_error(struct builder *b, yaml_mark_t m, const char *msg)
{
    return build_error(b, (int)m.line + 1, (int)m.column + 1, msg);
}

bool cfg_node_is_null(const struct cfg_node *n)
{
    if (n->kind != CFG_NODE_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

const struct cfg_node *cfg_map_get(const struct cfg_node *m, const char *key,
                                   const struct cfg_node **key_out)
{
    for (size_t i = 0; m && m->kind == CFG_NODE_MAPPING && i < m->n; i++) {
        if (strcmp(cfg_map_key(m, i)->str, key) == 0) {
            if (key_out)
                *key_out = cfg_map_key(m, i);
            return cfg_map_value(m, i);
        }
    }
    return NULL;
}

static struct cfg_node *new_node(struct builder *b, enum cfg_node_kind kind, yaml_mark_t m)
{
    struct cfg_node *n = cfg_arena_alloc(b->a, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (int)m.line + 1;
    n->col = (int)m.column + 1;
    return n;
}

/* Hands a finished node to its parent collection, or makes it the root. */
static int attach(struct builder *b, struct cfg_node *n)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == CFG_NODE_MAPPING && f->count % 2 == 0 && n->kind != CFG_NODE_SCALAR)
        return build_error(b, n->line, n->col, "mapping keys must be strings");
    struct cell *c = cfg_arena_alloc(b->a, sizeof(*c));
    if (!c)
        return build_error(b, n->line, n->col, "out of memory");
    c->node = n;
    if (f->last)
        f->last->next = c;
    else
        f->first = c;
    f->last = c;
    f->count++;
    return 0;
}

static int key_cmp(const void *x, const void *y)
{
    const struct cfg_node *const *a = x, *const *b = y;
    int r = strcmp((*a)->str, (*b)->str);
    if (r)
        return r;
    /* Equal keys in file order, so the second one is reported. */
    if ((*a)->line != (*b)->line)
        return (*a)->line < (*b)->line ? -1 : 1;
    return ((*a)->col > (*b)->col) - ((*a)->col < (*b)->col);
}

static bool node_before(const struct cfg_node *a, const struct cfg_node *b)
{
    return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/* Rejects a mapping with a key written twice, naming the later one. */
static int check_duplicates(struct builder *b, const struct cfg_node *m)
{
    if (m->n < 2)
        return 0;
    const struct cfg_node **keys = cfg_arena_calloc(b->a, m->n, sizeof(*keys));
    if (!keys)
        return build_error(b, m->line, m->col, "out of memory");
    for (size_t i = 0; i < m->n; i++)
        keys[i] = cfg_map_key(m, i);
    qsort(keys, m->n, sizeof(*keys), key_cmp);
    const struct cfg_node *first = NULL, *second = NULL;
    for (size_t i = 1; i < m->n; i++) {
        if (strcmp(keys[i - 1]->str, keys[i]->str) != 0)
            continue;
        if (!second || node_before(keys[i], second)) {
            first = keys[i - 1];
            second = keys[i];
        }
        while (i + 1 < m->n && strcmp(keys[i]->str, keys[i + 1]->str) == 0)
            i++;
    }
    if (!second)
        return 0;
    char msg[512];
    snprintf(msg, sizeof(msg), "duplicate key '%.200s' (first at %s:%d:%d)", second->str,
             b->file, first->line, first->col);
    return build_error(b, second->line, second->col, msg);
}

static int push(struct builder *b, enum cfg_node_kind kind, const yaml_event_t *ev)
{
    if (b->depth == NODE_MAX_DEPTH)
        return mark_error(b, ev->start_mark, "nesting too deep");
    struct cfg_node *n = new_node(b, kind, ev->start_mark);
    if (!n)
        return mark_error(b, ev->start_mark, "out of memory");
    b->stack[b->depth++] = (struct frame){.node = n};
    return 0;
}

static int pop(struct builder *b)
{
    struct frame *f = &b->stack[--b->depth];
    struct cfg_node *n = f->node;
    n->items = cfg_arena_calloc(b->a, f->count, sizeof(*n->items));
    if (!n->items)
        return build_error(b, n->line, n->col, "out of memory");
    size_t i = 0;
    for (struct cell *c = f->first; c; c = c->next)
        n->items[i++] = c->node;
    n->n = n->kind == CFG_NODE_MAPPING ? f->count / 2 : f->count;
    if (n->kind == CFG_NODE_MAPPING && check_duplicates(b, n) < 0)
        return -1;
    return attach(b, n);
}

static int scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(v, '\0', len))
        return mark_error(b, ev->start_mark, "NUL character in a string");
    struct cfg_node *n = new_node(b, CFG_NODE_SCALAR, ev->start_mark);
    if (!n || !(n->str = cfg_arena_strndup(b->a, v, len)))
        return mark_error(b, ev->start_mark, "out of memory");
    n->len = len;
    n->plain = ev->data.scalar.plain_implicit && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n);
}

static bool has_anchor(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return ev->data.scalar.anchor != NULL;
    case YAML_SEQUENCE_START_EVENT: return ev->data.sequence_start.anchor != NULL;
    case YAML_MAPPING_START_EVENT: return ev->data.mapping_start.anchor != NULL;
    default: return false;
    }
}

/* Handles one event: 1 at the end of the stream, 0 to go on, -1 on error. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
    if (ev->type == YAML_ALIAS_EVENT || has_anchor(ev))
        return mark_error(b, ev->start_mark, "YAML anchors and aliases are not supported");
    switch (ev->type) {
    case YAML_STREAM_END_EVENT: return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0)
            return mark_error(b, ev->start_mark, "only one YAML document is allowed");
        return 0;
    case YAML_SCALAR_EVENT: return scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT: return push(b, CFG_NODE_SEQUENCE, ev);
    case YAML_MAPPING_START_EVENT: return push(b, CFG_NODE_MAPPING, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return pop(b);
    default: return 0;
    }
}

/* Where the line at buf[0..len) has a tab in its indentation (spaces,
 * tabs and "- " indicators before its content): the tab's offset, or -1. */
static long indent_tab(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\t')
            return (long)i;
        bool dash = line[i] == '-' && i + 1 < len && (line[i + 1] == ' ' || line[i + 1] == '\t');
        if (line[i] != ' ' && !dash)
            break;
    }
    return -1;
}

/* Called on a libyaml error at line `upto` (1-based): the line of a tab in
 * the indentation of that line, or of the nearest line before it with
 * only blank or comment lines between (*col: the tab's column); else 0.
 * YAML indents with spaces only, and libyaml's messages for a tab ("found
 * character that cannot start any token") never say so. */
static int find_indent_tab(const struct builder *b, int upto, int *col)
{
    int line = 1, found = 0;
    const char *p = b->buf, *end = b->buf + b->len;
    while (p < end && line <= upto) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        long tab = indent_tab(p, n);
        size_t skip = strspn(p, " \t");
        bool filler = skip >= n || p[skip] == '#' || p[skip] == '\r';
        if (tab >= 0) {
            found = line;
            *col = (int)tab + 1;
        } else if (!filler && line < upto) {
            found = 0;
        }
        p += n + 1;
        line++;
    }
    return found;
}

/* Turns libyaml's error into "FILE:LINE:COL: YAML syntax error: ...". */
static int parser_error(struct builder *b, const yaml_parser_t *p)
{
    int line = 1, col = 1;
    if (p->error == YAML_MEMORY_ERROR)
        return build_error(b, 1, 1, "out of memory");
    if (p->error == YAML_READER_ERROR) {
        size_t end = p->problem_offset < b->len ? p->problem_offset : b->len;
        for (size_t i = 0; i < end; i++) {
            if (b->buf[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)b->buf[i] & 0xc0) != 0x80) {
                col++;
            }
        }
    } else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
        int tab_col = 1, tab_line = find_indent_tab(b, line, &tab_col);
        if (tab_line)
            return build_error(b, tab_line, tab_col,
                               "a tab in the indentation: YAML indents with spaces only "
                               "(replace the tab with spaces)");
    }
    char msg[512];
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->context)
        snprintf(msg, sizeof(msg), "YAML syntax error: %s (%s started at line %d, column %d)",
                 problem, p->context, (int)p->context_mark.line + 1,
                 (int)p->context_mark.column + 1);
    else
        snprintf(msg, sizeof(msg), "YAML syntax error: %s", problem);
    return build_error(b, line, col, msg);
}

int cfg_node_parse(struct cfg_arena *a, const char *file, const char *buf, size_t len,
                   struct cfg_node **root, char *err, size_t errlen)
{
    struct builder b = {.a = a, .file = file, .buf = buf, .len = len, .err = err,
                        .errlen = errlen};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return build_error(&b, 1, 1, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int r = 0;
    while (r == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            r = parser_error(&b, &p);
            break;
        }
        r = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (r < 0)
        return -1;
    *root = b.root;
    return 0;
}
