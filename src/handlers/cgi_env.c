/* The environment of a CGI/1.1 script (RFC 3875 4.1): see cgi_env.h.
 *
 * The environment is produced twice by the same code: a first pass only
 * counts variables and bytes, a second one writes them into a single block
 * that holds the pointer vector followed by the strings. Both passes walk
 * the same input in the same order, so the sizes always agree. */
#include "handlers/cgi_env.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ascii.h"

#ifndef PORTICO_VERSION
#define PORTICO_VERSION "0"
#endif

/* Counts (vec == NULL) or writes (vec != NULL) "NAME=value" strings. */
struct env_writer {
    char **vec;   /* pointer vector, NULL while counting */
    char *pos;    /* next free byte of the string area */
    size_t nvars; /* variables so far */
    size_t bytes; /* string bytes so far, NULs included */
};

static void ew_bytes(struct env_writer *w, const char *s, size_t len)
{
    if (w->vec && len != 0) {
        memcpy(w->pos, s, len);
        w->pos += len;
    }
    w->bytes += len;
}

/* Starts a variable: records where it begins and writes "NAME=". */
static void ew_begin(struct env_writer *w, const char *name, size_t len)
{
    if (w->vec)
        w->vec[w->nvars] = w->pos;
    w->nvars++;
    ew_bytes(w, name, len);
    ew_bytes(w, "=", 1);
}

static void ew_end(struct env_writer *w)
{
    if (w->vec)
        *w->pos++ = '\0';
    w->bytes++;
}

static void ew_var(struct env_writer *w, const char *name, const char *value, size_t len)
{
    ew_begin(w, name, strlen(name));
    ew_bytes(w, value, len);
    ew_end(w);
}

static void ew_cstr(struct env_writer *w, const char *name, const char *value)
{
    if (value == NULL)
        value = "";
    ew_var(w, name, value, strlen(value));
}

static void ew_str(struct env_writer *w, const char *name, struct str value)
{
    ew_var(w, name, value.p, value.len);
}

static void ew_uint(struct env_writer *w, const char *name, uint64_t value)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRIu64, value);
    ew_var(w, name, num, (size_t)n);
}

/* A header that must not become an HTTP_ variable: Content-Type and
 * Content-Length have their own, Proxy would set HTTP_PROXY (httpoxy), and
 * a name with other bytes than letters, digits and '-' could collide with
 * another one once '-' becomes '_' (or smuggle a '=' into the name). */
static bool skip_header(struct str name)
{
    if (STR_CASE_EQ(name, "content-type") || STR_CASE_EQ(name, "content-length") ||
        STR_CASE_EQ(name, "proxy"))
        return true;
    for (size_t i = 0; i < name.len; i++) {
        unsigned char c = (unsigned char)name.p[i];
        if (!ascii_is_alnum(c) && c != '-')
            return true;
    }
    return name.len == 0;
}

static bool same_name(struct str a, struct str b)
{
    return a.len == b.len && ascii_case_eq(a.p, b.p, a.len);
}

/* HTTP_<NAME>: one variable per distinct header name (compared without
 * case), in the order of first appearance, values joined with ", ". */
static void ew_headers(struct env_writer *w, const struct http_request_head *h)
{
    for (size_t i = 0; i < h->num_headers; i++) {
        struct str name = h->headers[i].name;
        if (skip_header(name))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_name(h->headers[j].name, name);
        if (seen)
            continue;

        if (w->vec)
            w->vec[w->nvars] = w->pos;
        w->nvars++;
        ew_bytes(w, "HTTP_", 5);
        if (w->vec) {
            for (size_t k = 0; k < name.len; k++) {
                unsigned char c = (unsigned char)name.p[k];
                w->pos[k] = c == '-' ? '_' : (char)ascii_upper(c);
            }
            w->pos += name.len;
        }
        w->bytes += name.len;
        ew_bytes(w, "=", 1);

        ew_bytes(w, h->headers[i].value.p, h->headers[i].value.len);
        for (size_t k = i + 1; k < h->num_headers; k++) {
            if (!same_name(h->headers[k].name, name))
                continue;
            ew_bytes(w, ", ", 2);
            ew_bytes(w, h->headers[k].value.p, h->headers[k].value.len);
        }
        ew_end(w);
    }
}

/* PATH_TRANSLATED: the document root and PATH_INFO without a doubled '/'
 * where they meet. */
static void ew_path_translated(struct env_writer *w, const char *root, const char *info)
{
    size_t rlen = strlen(root);
    if (info[0] == '/')
        while (rlen > 0 && root[rlen - 1] == '/')
            rlen--;
    ew_begin(w, "PATH_TRANSLATED", 15);
    ew_bytes(w, root, rlen);
    ew_bytes(w, info, strlen(info));
    ew_end(w);
}

static void ew_all(struct env_writer *w, const struct cgi_env_input *in)
{
    const struct http_request_head *h = in->head;
    const char *path_info = in->path_info ? in->path_info : "";
    const char *root = in->document_root ? in->document_root : "";

    ew_cstr(w, "GATEWAY_INTERFACE", "CGI/1.1");
    ew_cstr(w, "SERVER_SOFTWARE", "portico/" PORTICO_VERSION);
    ew_cstr(w, "SERVER_NAME", in->server_name);
    ew_uint(w, "SERVER_PORT", in->server_port);
    ew_cstr(w, "SERVER_PROTOCOL", h->minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1");
    ew_cstr(w, "REQUEST_SCHEME", in->https ? "https" : "http");
    if (in->https)
        ew_cstr(w, "HTTPS", "on");
    ew_str(w, "REQUEST_METHOD", h->method_str);
    ew_str(w, "REQUEST_URI", h->target);
    ew_cstr(w, "SCRIPT_NAME", in->script_name);
    ew_cstr(w, "SCRIPT_FILENAME", in->script_filename);
    ew_cstr(w, "PATH_INFO", path_info);
    if (path_info[0] != '\0')
        ew_path_translated(w, root, path_info);
    ew_str(w, "QUERY_STRING", h->query);
    ew_cstr(w, "DOCUMENT_ROOT", root);
    ew_cstr(w, "REMOTE_ADDR", in->remote_addr);
    ew_uint(w, "REMOTE_PORT", in->remote_port);
    const struct http_header *ct = http_find_header(h, "content-type", 12);
    if (ct)
        ew_str(w, "CONTENT_TYPE", ct->value);
    if (in->content_length >= 0)
        ew_uint(w, "CONTENT_LENGTH", (uint64_t)in->content_length);
    ew_cstr(w, "REDIRECT_STATUS", "200");
    ew_cstr(w, "PATH", "/usr/local/bin:/usr/bin:/bin");
    ew_headers(w, h);
}

char **cgi_env_build(const struct cgi_env_input *in)
{
    struct env_writer w = {NULL, NULL, 0, 0};
    ew_all(&w, in);

    size_t nvars = w.nvars, bytes = w.bytes;
    size_t vec_size = (nvars + 1) * sizeof(char *);
    char **vec = malloc(vec_size + bytes);
    if (!vec)
        return NULL;

    w = (struct env_writer){vec, (char *)vec + vec_size, 0, 0};
    ew_all(&w, in);
    /* Same input, same walk: the second pass fills exactly what the first
     * measured, so w.nvars == nvars here. */
    vec[nvars] = NULL;
    return vec;
}
