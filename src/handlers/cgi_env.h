/* The environment of a CGI/1.1 script (RFC 3875 4.1). Pure: no I/O. */
#ifndef PORTICO_CGI_ENV_H
#define PORTICO_CGI_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http_parse.h"

struct cgi_env_input {
    const struct http_request_head *head;
    const char *script_name;     /* URL path of the script: "/cgi-bin/app.py" */
    const char *script_filename; /* absolute file path of the script */
    const char *path_info;       /* "/a/b" after the script, "" when none */
    const char *document_root;   /* the location's root */
    const char *server_name;     /* Host without its port, else the listen address */
    unsigned server_port;
    const char *remote_addr;
    unsigned remote_port;
    int64_t content_length;      /* body length the script will read; -1: no body */
    bool https;                  /* the request came over TLS */
};

/* Builds a NULL-terminated envp in one allocation (free it with free()):
 * GATEWAY_INTERFACE=CGI/1.1, SERVER_SOFTWARE=portico/VERSION, SERVER_NAME,
 * SERVER_PORT, SERVER_PROTOCOL (HTTP/1.0 or HTTP/1.1), REQUEST_SCHEME (http
 * or https), HTTPS=on (only over TLS, as Apache and nginx set it), REQUEST_METHOD,
 * REQUEST_URI (the raw target), SCRIPT_NAME, SCRIPT_FILENAME, PATH_INFO,
 * PATH_TRANSLATED (document root + PATH_INFO, only when PATH_INFO is not
 * empty), QUERY_STRING (raw, "" when none), DOCUMENT_ROOT, REMOTE_ADDR,
 * REMOTE_PORT, CONTENT_TYPE (when the request has one), CONTENT_LENGTH
 * (when content_length >= 0), REDIRECT_STATUS=200, PATH=/usr/local/bin:
 * /usr/bin:/bin, and every request header as HTTP_<NAME> (upper case, '-'
 * -> '_'; repeated headers joined with ", "), except Content-Type,
 * Content-Length, Proxy (httpoxy) and any name with bytes other than
 * letters, digits and '-'. Returns NULL when out of memory. */
char **cgi_env_build(const struct cgi_env_input *in);

#endif
