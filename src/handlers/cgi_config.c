/* The cgi handler's settings: `cgi: {.py: /usr/bin/python3, .cgi: ""}`,
 * each interpreter checked to be an executable file. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_parse.h"
#include "handlers/cgi_script.h"

static int parse_entry(struct cfg_ctx *c, const struct cfg_node *k, const struct cfg_node *v,
                       struct cgi_ext *e)
{
    if (k->str[0] != '.' || k->len < 2 || strchr(k->str, '/'))
        return cfg_error(c, k, "cgi extension '%s' must start with '.', like .py", k->str);
    const char *interp;
    if (cfg_get_string(c, v, "cgi", &interp) < 0)
        return cfg_error(c, v, "cgi interpreter for '%s' must be an absolute path or \"\"",
                         k->str);
    e->ext = k->str;
    e->interpreter = interp;
    if (!*interp)
        return 0;
    if (interp[0] != '/')
        return cfg_error(c, v, "cgi interpreter '%s' must be an absolute path or \"\"", interp);
    struct stat st;
    if (stat(interp, &st) < 0)
        return cfg_error(c, v, "cgi interpreter '%s' does not exist", interp);
    if (!S_ISREG(st.st_mode) || access(interp, X_OK) < 0)
        return cfg_error(c, v, "cgi interpreter '%s' is not an executable file", interp);
    return 0;
}

int cgi_config_parse(struct cfg_ctx *c, const struct cfg_node *m, const struct cfg_location *loc,
                     const void **settings)
{
    const struct cfg_node *n = cfg_map_get(m, "cgi", NULL);
    if (!n)
        return 0;
    if (cfg_get_mapping(c, n, "cgi") < 0)
        return -1;
    struct cgi_settings *cs = cfg_arena_alloc(cfg_arena_of(c), sizeof(*cs));
    if (cs)
        cs->v = cfg_arena_calloc(cfg_arena_of(c), n->n, sizeof(*cs->v));
    if (!cs || !cs->v)
        return cfg_error(c, n, "out of memory");
    for (size_t i = 0; i < n->n; i++)
        if (parse_entry(c, cfg_map_key(n, i), cfg_map_value(n, i), &cs->v[i]) < 0)
            return -1;
    cs->n = n->n;
    /* An empty mapping runs nothing: the handler stays off. */
    *settings = cs->n ? cs : NULL;
    return 0;
}

void cgi_config_dump(const void *settings, FILE *out)
{
    const struct cgi_settings *cs = settings;
    for (size_t i = 0; i < cs->n; i++)
        fprintf(out, "    cgi: %s %s\n", cs->v[i].ext,
                cs->v[i].interpreter[0] ? cs->v[i].interpreter : "(the script itself)");
}
