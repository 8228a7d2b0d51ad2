/* The typed, immutable configuration compiled from one YAML file.
 *
 * cfg_load() reads the file with libyaml into a node tree that keeps
 * file:line:col, validates every key against the configuration contract
 * (docs/config.md) and compiles it into struct config: servers with
 * inherited settings, locations sorted for longest-prefix matching, each
 * with its handler pipeline (built from the handler descriptors it is
 * given, see cfg_handler.h), and the set of distinct listen addresses with
 * the servers that share each. Nothing here opens sockets; the only I/O is
 * reading the file and checking paths. */
#ifndef PORTICO_CONFIG_H
#define PORTICO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "config/cfg_handler.h"
#include "http/mime.h"

struct cfg_pos {
    const char *file; /* the config file path as given */
    int line, col;    /* 1-based */
};

struct cfg_timeouts {
    uint32_t header_ms, body_ms, keepalive_ms, send_ms, cgi_ms, upstream_ms, upstream_connect_ms;
    uint32_t drain_ms; /* after SIGHUP, old workers' time to finish; 0: until done */
};

struct cfg_limits {
    uint32_t connections;
    uint32_t keepalive_requests;
    uint64_t header_size;
    uint64_t body_size;
};

/* `compress:` (file, server or location; each inherits its parent's and
 * overrides the keys it sets): gzip on the fly and precompressed files. */
struct cfg_compress {
    bool on;            /* true, or a mapping; off when false or never set */
    bool gzip;          /* compress on the fly (when on) */
    bool precompressed; /* serve FILE.br / FILE.gz next to FILE (when on) */
    int level;          /* zlib level, 1-9 */
    uint64_t min_size;  /* smaller bodies (by their known length) go out as they are */
    char **types;       /* lower-case media types without parameters; "*" is any */
    size_t n_types;
};

struct cfg_error_page {
    int status;
    char *uri;  /* as written, e.g. "/errors/404.html" */
    const char *root; /* the root it lies below (opened beneath it) */
    char *path; /* root + uri, for messages */
};

struct cfg_location {
    char *prefix; /* "/files/" */
    size_t prefix_len;
    struct cfg_pos pos;

    unsigned methods; /* HTTP_METHOD_BIT(HTTP_GET) | ... */
    char *root;       /* absolute, no trailing slash (except "/") */
    bool own_root;    /* root set on the location: the prefix maps to root */
    char **index;
    size_t n_index;
    struct cfg_error_page *error_pages;
    size_t n_error_pages;
    struct cfg_timeouts timeouts;
    struct cfg_limits limits;
    const char *charset; /* appended to text types portico gives; NULL: off */
    struct cfg_compress compress;

    /* The handlers that may answer, in order (the fixed order of the
     * handler pipeline), each with its settings. */
    struct cfg_stage pipeline[CFG_MAX_STAGES];
    size_t n_pipeline;
};

struct cfg_listen {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[64]; /* "0.0.0.0:8080", "[::1]:8080" */
    struct cfg_pos pos; /* the listen item (the map of the {address, tls} form) */
    bool tls;           /* {address: ..., tls: true}: the address speaks only TLS */
};

/* TLS protocol versions, as bits of cfg_tls.protocols. */
#define CFG_TLS_1_2 (1u << 0)
#define CFG_TLS_1_3 (1u << 1)

/* A server's `tls:` block. config checks only that the files are readable
 * regular files; reading, parsing and matching them is left to the code
 * that sets up TLS, which reports its errors at certificate_pos / key_pos
 * ("file:line:col: ..."). */
struct cfg_tls {
    char *certificate; /* PEM, leaf then chain; absolute (relative ones joined to
                          the config's folder), symlinks kept for rotation */
    char *key;         /* PEM private key; absolute likewise */
    struct cfg_pos certificate_pos, key_pos; /* the values of `certificate:` and `key:` */
    unsigned protocols; /* CFG_TLS_1_2 | CFG_TLS_1_3 (the default: both) */
};

struct cfg_server {
    struct cfg_pos pos;
    struct cfg_listen *listens;
    size_t n_listens;
    struct cfg_tls *tls; /* NULL without a `tls:` block */
    char **names; /* lower-case, trailing dot removed; "*.example.test" kept as written */
    size_t n_names;
    bool is_default;
    char *root;
    char **index;
    size_t n_index;
    struct cfg_error_page *error_pages;
    size_t n_error_pages;
    struct cfg_timeouts timeouts;
    struct cfg_limits limits;
    const char *charset; /* NULL: off */
    struct cfg_compress compress;
    struct cfg_location *locations; /* sorted by prefix_len, longest first */
    size_t n_locations;
};

/* One distinct listen address and the servers that listen on it. */
struct cfg_listener {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[64];
    bool tls; /* every server lists it with tls: true (they must agree) */
    struct cfg_server **servers; /* in file order */
    size_t n_servers;
    struct cfg_server *default_server; /* `default: true`, else the first */
    uint64_t max_header_size; /* the largest limits.header_size of its servers */
    /* A specific address whose port also has a wildcard listener of its
     * family is not bound: its connections arrive on the wildcard's socket
     * and are told apart by their local address, as nginx does. */
    const struct cfg_listener *via;        /* that wildcard listener, else NULL */
    const struct cfg_listener **covered;   /* a wildcard's: the ones it carries */
    size_t n_covered;
};

/* A server of an upstream group. */
struct cfg_upstream_server {
    struct sockaddr_storage addr; /* resolved at load */
    socklen_t addrlen;
    char text[64]; /* "127.0.0.1:9001", as /status shows it */
    const char *written; /* the address as in the file: Host: upstream sends it */
    unsigned weight; /* 1 by default */
    bool backup;     /* used only while every other server is down */
};

enum cfg_balance { CFG_BALANCE_ROUND_ROBIN, CFG_BALANCE_LEAST_CONN, CFG_BALANCE_IP_HASH };

/* A backend group: a named one of `upstreams:`, or the single server a
 * `proxy` target names directly (implicit). */
struct cfg_upstream {
    const char *name;
    struct cfg_upstream_server *servers;
    size_t n_servers;
    enum cfg_balance balance;
    unsigned keepalive;        /* idle connections kept per worker */
    unsigned max_fails;        /* 0: never taken out */
    uint32_t fail_timeout_ms;
    const char *health_path;   /* NULL: no active check */
    uint32_t health_interval_ms;
    bool implicit;
    size_t index;              /* in cfg->upstreams: per-worker state is kept by it */
    struct cfg_pos pos;
};

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* access_log's format: nginx's combined, or one JSON object per line. */
enum cfg_log_format { CFG_LOG_COMBINED, CFG_LOG_JSON };

struct config {
    char *path; /* as given to cfg_load */
    char *dir;  /* absolute directory of the file */
    int workers; /* 0 means auto */
    char *error_log;  /* "-" = stderr, a path, or NULL = off */
    enum log_level log_level;
    char *access_log; /* "-" = stdout, a path, or NULL = off */
    enum cfg_log_format access_log_format;
    char *pid_file;   /* NULL = off */
    struct mime_override *mime_types;
    size_t n_mime_types;
    struct cfg_timeouts timeouts; /* global defaults */
    struct cfg_limits limits;
    /* `charset`: a token such as "utf-8", as written, for "; charset=..."
     * after the text, JavaScript and JSON types portico gives (files, its
     * own pages); NULL: off, the default. Servers and locations inherit it. */
    const char *charset;
    struct cfg_compress compress;
    struct cfg_server *servers;
    size_t n_servers;
    struct cfg_listener *listeners;
    size_t n_listeners;
    struct cfg_upstream *upstreams; /* the named ones first, then implicit */
    size_t n_upstreams;
    char **warnings; /* for -t, e.g. "x.yaml:3:5: upload without POST or PUT in methods" */
    size_t n_warnings;
    void *priv; /* allocation arena, owned */
};

/* Loads and compiles the file, with the handlers of the NULL-terminated
 * table `handlers` (NULL: none, so no handler key is known). On success
 * returns the config (free with cfg_free). On failure returns NULL and
 * writes one line into err: "configs/x.yaml:12:5: unknown key 'lisen' in
 * server (did you mean 'listen'?)" -- always starting with the file path
 * and a position. */
struct config *cfg_load(const char *path, const struct cfg_handler *const *handlers, char *err,
                        size_t errlen);
void cfg_free(struct config *cfg);

/* Parses "512", "64k", "10m", "1g" (1024-based, case-insensitive). */
int cfg_parse_size(const char *s, uint64_t *out);
/* Parses "30", "500ms", "10s", "2m", "1h" into milliseconds. */
int cfg_parse_duration(const char *s, uint32_t *out_ms);

/* The listener a connection accepted on bound listener l belongs to, by
 * the connection's local address: one l carries, else l itself. */
const struct cfg_listener *cfg_match_listener(const struct cfg_listener *l,
                                              const struct sockaddr_storage *local);

/* Host matching on one listen address: exact name (case-insensitive, port
 * and trailing dot ignored), then the longest "*.suffix" wildcard, then the
 * listener's default server. host may be empty. Never NULL. */
const struct cfg_server *cfg_match_server(const struct cfg_listener *l,
                                          const char *host, size_t len);

/* True when z lists the media type type[0..len) (which may carry
 * parameters: "text/html; charset=utf-8"; compared case-insensitively). */
bool cfg_compress_type(const struct cfg_compress *z, const char *type, size_t len);

/* Longest location prefix matching the normalised path on segment
 * boundaries ("/img" matches "/img" and "/img/a", not "/imgs"); a prefix
 * ending in '/' also matches the path without it ("/files/" matches
 * "/files", so that the static handler can redirect to the slash).
 * NULL when none matches. */
const struct cfg_location *cfg_match_location(const struct cfg_server *s,
                                              const char *path, size_t len);

/* The settings of handler h in loc's pipeline, or NULL when h is not in it. */
const void *cfg_location_settings(const struct cfg_location *loc, const struct cfg_handler *h);

/* Writes the -T dump: servers, their listen addresses and names, locations
 * with their settings and pipelines. tls_notes (or NULL): a line per
 * server (by index; NULL: none) shown under its certificate, such as the
 * subject and expiry its loader read. */
void cfg_dump(const struct config *cfg, FILE *out, const char *const *tls_notes);

#endif
