/* Which script a request names, and what it is started with. */
#ifndef PORTICO_CGI_SCRIPT_H
#define PORTICO_CGI_SCRIPT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cfg_ctx;
struct cfg_location;
struct cfg_node;
struct request;

/* A location's cgi settings: extension -> interpreter. */
struct cgi_ext {
    const char *ext;         /* ".py" */
    const char *interpreter; /* absolute path, or "" to exec the script itself */
};

struct cgi_settings {
    struct cgi_ext *v;
    size_t n;
};

/* The cgi handler's descriptor parts (cgi_config.c): reads the `cgi`
 * mapping into a struct cgi_settings, and prints it for -T. */
int cgi_config_parse(struct cfg_ctx *c, const struct cfg_node *m, const struct cfg_location *loc,
                     const void **settings);
void cgi_config_dump(const void *settings, FILE *out);

struct cgi_script {
    char filename[PATH_MAX]; /* absolute path of the script */
    char dir[PATH_MAX];      /* its folder: the working directory */
    char name[PATH_MAX];     /* SCRIPT_NAME: the URL path up to the script */
    const char *path_info;   /* the rest of the request path, "" if none */
    char *argv[3];           /* interpreter + script, or the script alone */
};

/* The length of the request path up to the end of the first segment that
 * ends in one of the location's CGI extensions (r->settings), or 0 when
 * none does. */
size_t cgi_script_match(const struct request *r);

/* Resolves the script named by the first `end` bytes of the path under the
 * location's root (the same containment rules as static files) and fills
 * s. Returns 200, or the status to answer: 404 missing, 403 not a regular
 * file, not executable when run by itself, or outside the root. */
int cgi_script_resolve(const struct request *r, size_t end, struct cgi_script *s);

/* The script's environment (free() it); NULL when out of memory. */
char **cgi_script_env(const struct cgi_script *s, const struct request *r,
                      int64_t content_length);

#endif
