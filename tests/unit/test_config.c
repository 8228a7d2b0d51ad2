/* Unit tests for src/config: loading good files, values, inheritance,
 * listeners, pipelines, server and location matching, and the dump. The
 * error messages are tested in test_config_errors.c. Run from the repo
 * root: fixtures are under tests/unit/data/config/. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config_test.h"
#include "handlers/cgi_script.h"
#include "handlers/handlers.h"
#include "handlers/proxy.h"
#include "handlers/redirect.h"
#include "http/http_parse.h"

#define M(m) HTTP_METHOD_BIT(HTTP_##m)

static const struct cfg_location *find_loc(const struct cfg_server *s, const char *prefix)
{
    for (size_t i = 0; i < s->n_locations; i++)
        if (strcmp(s->locations[i].prefix, prefix) == 0)
            return &s->locations[i];
    fail_msg("no location %s", prefix);
    return NULL;
}

static void assert_pipeline(const struct cfg_location *loc, const char *expect)
{
    char got[256] = "";
    for (size_t i = 0; i < loc->n_pipeline; i++) {
        if (i)
            strcat(got, " -> ");
        strcat(got, loc->pipeline[i].handler->name);
    }
    assert_string_equal(got, expect);
}

static char *abs_path(const char *rel)
{
    static char buf[PATH_MAX + 64];
    snprintf(buf, sizeof(buf), "%s/%s", data_abs, rel);
    return buf;
}

/* ---- values ---------------------------------------------------------- */

static void test_parse_size(void **state)
{
    static const struct { const char *s; uint64_t v; } ok[] = {
        {"0", 0}, {"512", 512}, {"64k", 65536}, {"64K", 65536}, {"10m", 10485760},
        {"10M", 10485760}, {"1g", 1073741824}, {"2G", 2147483648u}, {"007", 7},
        {"18446744073709551615", UINT64_MAX}, {"17179869183g", 17179869183ull << 30},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t v = 1;
        assert_int_equal(cfg_parse_size(ok[i].s, &v), 0);
        assert_true(v == ok[i].v);
    }
    static const char *const bad[] = {"", "k", "-1", "+1", "1kb", "1 k", "1t", "1.5m", " 1",
                                      "18446744073709551616", "17179869184g", "1kk", "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 42;
        assert_int_equal(cfg_parse_size(bad[i], &v), -1);
        assert_true(v == 42);
    }
}

static void test_parse_duration(void **state)
{
    static const struct { const char *s; uint32_t ms; } ok[] = {
        {"30", 30000},  {"0", 0},         {"500ms", 500},     {"500MS", 500},
        {"10s", 10000}, {"10S", 10000},   {"2m", 120000},     {"2M", 120000},
        {"1h", 3600000}, {"1H", 3600000}, {"4294967295ms", UINT32_MAX},
        {"1193h", 1193u * 3600000},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint32_t v = 1;
        assert_int_equal(cfg_parse_duration(ok[i].s, &v), 0);
        assert_int_equal(v, ok[i].ms);
    }
    static const char *const bad[] = {"", "s", "-1s", "1.5s", "10 s", "1d", "1sec", "5min",
                                      "4294967296ms", "1194h", "4294968s", "1hs", "ms10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t v = 42;
        assert_int_equal(cfg_parse_duration(bad[i], &v), -1);
        assert_int_equal(v, 42);
    }
}

static void test_handler_table_names(void **state)
{
    /* The table names every handler once, in the pipeline's order. */
    static const char *const names[] = {"redirect", "proxy",  "status", "cgi",
                                        "upload",   "delete", "static", "autoindex"};
    size_t k = 0;
    for (; handler_table[k]; k++) {
        assert_true(k < sizeof(names) / sizeof(names[0]));
        assert_string_equal(handler_table[k]->name, names[k]);
        if (k)
            assert_true(handler_table[k - 1]->order < handler_table[k]->order);
    }
    assert_int_equal(k, sizeof(names) / sizeof(names[0]));
}

/* A handler's settings in a location, NULL when it is not in the pipeline. */
static const void *settings_of(const struct cfg_location *l, const struct handler *h)
{
    return cfg_location_settings(l, &h->desc);
}

#define AUTOINDEX(l) (settings_of((l), &handler_autoindex) != NULL)
#define REDIRECT(l) ((const struct redirect_settings *)settings_of((l), &handler_redirect))
#define CGI(l) ((const struct cgi_settings *)settings_of((l), &handler_cgi))

/* ---- good files ------------------------------------------------------ */

static void test_full_example(void **state)
{
    struct config *cfg = load_fixture("full.yaml");
    assert_string_equal(cfg->path, DATA "/full.yaml");
    assert_string_equal(cfg->dir, data_abs);
    assert_int_equal(cfg->workers, 0);
    assert_string_equal(cfg->error_log, "-");
    assert_string_equal(cfg->access_log, "-");
    assert_null(cfg->pid_file);
    assert_int_equal(cfg->log_level, LOG_INFO);
    assert_int_equal(cfg->n_mime_types, 1);
    assert_string_equal(cfg->mime_types[0].ext, ".wasm");
    assert_string_equal(cfg->mime_types[0].type, "application/wasm");
    assert_int_equal(cfg->timeouts.body_ms, 60000);
    assert_true(cfg->limits.header_size == 16384);
    assert_int_equal(cfg->n_warnings, 0);

    assert_int_equal(cfg->n_servers, 1);
    const struct cfg_server *s = &cfg->servers[0];
    assert_string_equal(s->pos.file, DATA "/full.yaml");
    assert_int_equal(s->pos.line, 21);
    assert_int_equal(s->pos.col, 5);
    assert_int_equal(s->n_listens, 3);
    assert_string_equal(s->listens[0].text, "0.0.0.0:8080");
    assert_string_equal(s->listens[1].text, "127.0.0.1:8081");
    assert_string_equal(s->listens[2].text, "[::1]:8080");
    assert_int_equal(s->listens[2].pos.line, 21);
    assert_int_equal(s->listens[2].pos.col, 38);
    assert_int_equal(s->n_names, 3);
    assert_string_equal(s->names[2], "*.example.test");
    assert_true(s->is_default);
    assert_string_equal(s->root, abs_path("sites/default"));
    assert_int_equal(s->n_error_pages, 2);
    assert_int_equal(s->error_pages[1].status, 500);
    assert_string_equal(s->error_pages[1].uri, "/errors/50x.html");
    assert_string_equal(s->error_pages[1].path, abs_path("sites/default/errors/50x.html"));

    assert_int_equal(s->n_locations, 7);
    /* Sorted longest prefix first. */
    for (size_t i = 1; i < s->n_locations; i++)
        assert_true(s->locations[i - 1].prefix_len >= s->locations[i].prefix_len);
    const struct cfg_location *l = find_loc(s, "/");
    assert_int_equal(l->pos.line, 30);
    assert_int_equal(l->pos.col, 7);
    assert_int_equal(l->methods, M(GET) | M(HEAD));
    assert_true(AUTOINDEX(l));
    assert_false(l->own_root);
    assert_string_equal(l->root, s->root);
    assert_int_equal(l->n_error_pages, 2);
    assert_pipeline(l, "static -> autoindex");

    l = find_loc(s, "/files/");
    assert_true(l->own_root);
    assert_string_equal(l->root, abs_path("sites/files"));
    assert_int_equal(l->methods, M(GET) | M(HEAD) | M(POST) | M(PUT) | M(DELETE));
    assert_true(l->limits.body_size == 100u << 20);
    assert_true(l->limits.header_size == 16384);
    assert_pipeline(l, "upload -> delete -> static -> autoindex");

    l = find_loc(s, "/old/");
    assert_string_equal(REDIRECT(l)->to, "/new/");
    assert_int_equal(REDIRECT(l)->status, 301);
    assert_true(REDIRECT(l)->keep_path);
    assert_pipeline(l, "redirect");

    l = find_loc(s, "/go");
    assert_string_equal(REDIRECT(l)->to, "https://example.com/");
    assert_int_equal(REDIRECT(l)->status, 301);
    assert_false(REDIRECT(l)->keep_path);
    assert_pipeline(l, "redirect");

    l = find_loc(s, "/cgi-bin/");
    assert_int_equal(CGI(l)->n, 2);
    assert_string_equal(CGI(l)->v[0].ext, ".sh");
    assert_string_equal(CGI(l)->v[0].interpreter, "/bin/sh");
    assert_string_equal(CGI(l)->v[1].ext, ".cgi");
    assert_string_equal(CGI(l)->v[1].interpreter, "");
    assert_pipeline(l, "cgi -> static");

    assert_pipeline(find_loc(s, "/status"), "status -> static");
    l = find_loc(s, "/api/");
    const struct proxy_settings *ps = settings_of(l, &handler_proxy);
    assert_string_equal(ps->to, "http://127.0.0.1:9000");
    assert_true(ps->group->implicit);
    assert_string_equal(ps->group->servers[0].text, "127.0.0.1:9000");
    assert_pipeline(l, "proxy");

    assert_int_equal(cfg->n_listeners, 3);
    assert_string_equal(cfg->listeners[2].text, "[::1]:8080");
    assert_true(cfg->listeners[0].default_server == s);
    cfg_free(cfg);
}

static void test_defaults(void **state)
{
    struct config *cfg = load_text("servers:\n"
                                   "  - listen: 80\n"
                                   "    root: @DATA@/sites/default\n"
                                   "    locations: {/: {}}\n");
    assert_int_equal(cfg->workers, 0);
    assert_string_equal(cfg->error_log, "-");
    assert_string_equal(cfg->access_log, "-");
    assert_null(cfg->pid_file);
    assert_int_equal(cfg->log_level, LOG_INFO);
    assert_int_equal(cfg->n_mime_types, 0);
    assert_string_equal(cfg->dir, "/tmp");
    const struct cfg_timeouts t = cfg->timeouts;
    assert_int_equal(t.header_ms, 10000);
    assert_int_equal(t.body_ms, 60000);
    assert_int_equal(t.keepalive_ms, 75000);
    assert_int_equal(t.send_ms, 60000);
    assert_int_equal(t.cgi_ms, 30000);
    assert_int_equal(t.upstream_ms, 60000);
    assert_int_equal(cfg->limits.connections, 10000);
    assert_int_equal(cfg->limits.keepalive_requests, 10000);
    assert_true(cfg->limits.header_size == 16 * 1024);
    assert_true(cfg->limits.body_size == 1024 * 1024);
    const struct cfg_server *s = &cfg->servers[0];
    assert_int_equal(s->n_names, 0);
    assert_false(s->is_default);
    assert_int_equal(s->n_index, 1);
    assert_string_equal(s->index[0], "index.html");
    assert_int_equal(s->n_error_pages, 0);
    assert_memory_equal(&s->timeouts, &cfg->timeouts, sizeof(t));
    assert_memory_equal(&s->limits, &cfg->limits, sizeof(cfg->limits));
    const struct cfg_location *l = &s->locations[0];
    assert_null(cfg->charset); /* charset: off unless set */
    assert_null(s->charset);
    assert_null(l->charset);
    assert_int_equal(l->methods, M(GET) | M(HEAD));
    assert_false(AUTOINDEX(l) || settings_of(l, &handler_upload) ||
                 settings_of(l, &handler_status));
    assert_null(REDIRECT(l));
    assert_null(settings_of(l, &handler_proxy));
    assert_null(CGI(l));
    assert_pipeline(l, "static");
    assert_int_equal(cfg->n_listeners, 1);
    assert_string_equal(cfg->listeners[0].text, "0.0.0.0:80");
    assert_true(cfg->listeners[0].max_header_size == 16384);
    cfg_free(cfg);
}

static void test_inheritance(void **state)
{
    struct config *cfg = load_fixture("inherit.yaml");
    assert_int_equal(cfg->timeouts.header_ms, 5000);
    assert_int_equal(cfg->timeouts.upstream_ms, 120000);
    assert_int_equal(cfg->timeouts.body_ms, 60000);
    assert_true(cfg->limits.body_size == 2u << 20);
    assert_int_equal(cfg->limits.connections, 50);

    const struct cfg_server *s = &cfg->servers[0];
    /* Server: global values, its own keys replace only themselves. */
    assert_int_equal(s->timeouts.header_ms, 5000);
    assert_int_equal(s->timeouts.body_ms, 5000);
    assert_int_equal(s->timeouts.upstream_ms, 120000);
    assert_int_equal(s->timeouts.keepalive_ms, 75000);
    assert_true(s->limits.header_size == 8192);
    assert_true(s->limits.body_size == 2u << 20);
    assert_int_equal(s->limits.connections, 50);
    assert_int_equal(s->n_index, 2);
    assert_string_equal(s->index[0], "index.htm");

    const struct cfg_location *l = find_loc(s, "/");
    assert_int_equal(l->timeouts.send_ms, 1500);
    assert_int_equal(l->timeouts.body_ms, 5000);
    assert_int_equal(l->timeouts.header_ms, 5000);
    assert_true(l->limits.header_size == 8192);
    assert_string_equal(l->root, abs_path("sites/default"));
    assert_false(l->own_root);
    assert_int_equal(l->n_index, 2);
    assert_int_equal(l->n_error_pages, 1);
    assert_string_equal(l->error_pages[0].path, abs_path("sites/default/errors/404.html"));

    l = find_loc(s, "/blog/");
    assert_true(l->own_root);
    assert_string_equal(l->root, abs_path("sites/blog"));
    assert_int_equal(l->n_index, 1);
    assert_string_equal(l->index[0], "home.html");
    assert_string_equal(l->error_pages[0].path, abs_path("sites/blog/errors/404.html"));
    assert_true(l->limits.body_size == 10240);
    assert_true(l->limits.header_size == 8192);
    assert_int_equal(l->limits.connections, 50);
    assert_int_equal(l->timeouts.body_ms, 5000);

    l = find_loc(s, "/plain/");
    assert_string_equal(l->root, abs_path("sites/files"));
    /* Inherited error pages keep the server's files. */
    assert_string_equal(l->error_pages[0].path, abs_path("sites/default/errors/404.html"));

    /* A server without root whose locations all have one. */
    s = &cfg->servers[1];
    assert_null(s->root);
    assert_string_equal(find_loc(s, "/a/")->root, abs_path("sites/files"));
    assert_string_equal(find_loc(s, "/b/")->root, abs_path("sites/blog"));
    assert_null(cfg_match_location(s, "/c", 2));
    cfg_free(cfg);
}

/* compress: off by default with the defaults of CONFIG.md; file -> server
 * -> location, each overriding the keys it sets; true/false switch it. */
static void test_compress(void **state)
{
    struct config *cfg = load_text("servers:\n"
                                   "  - listen: 80\n"
                                   "    root: @DATA@/sites/default\n"
                                   "    locations: {/: {}}\n");
    const struct cfg_compress *z = &cfg->servers[0].locations[0].compress;
    assert_false(z->on);
    assert_true(z->gzip && z->precompressed);
    assert_int_equal(z->level, 5);
    assert_true(z->min_size == 1024);
    assert_int_equal(z->n_types, 7);
    assert_true(cfg_compress_type(z, "text/html", 9));
    assert_true(cfg_compress_type(z, "Text/HTML; charset=utf-8", 24));
    assert_true(cfg_compress_type(z, "image/svg+xml", 13));
    assert_false(cfg_compress_type(z, "text/htmlx", 10));
    assert_false(cfg_compress_type(z, "image/png", 9));
    assert_false(cfg_compress_type(z, "", 0));
    cfg_free(cfg);

    cfg = load_text("compress: {level: 7, types: [Text/CSS]}\n"
                    "servers:\n"
                    "  - listen: 80\n"
                    "    root: @DATA@/sites/default\n"
                    "    compress: {min_size: 2k}\n"
                    "    locations:\n"
                    "      /: {}\n"
                    "      /off/: {compress: false}\n"
                    "      /on/: {compress: true}\n"
                    "      /own/: {compress: {gzip: off, precompressed: yes, types: \"*\"}}\n"
                    "  - listen: 81\n"
                    "    root: @DATA@/sites/default\n"
                    "    compress: off\n"
                    "    locations: {/: {}, /a/: {compress: {level: 1}}}\n");
    assert_true(cfg->compress.on);
    const struct cfg_server *s = &cfg->servers[0];
    assert_true(s->compress.on);
    assert_int_equal(s->compress.level, 7);
    assert_true(s->compress.min_size == 2048);
    z = &find_loc(s, "/")->compress;
    assert_true(z->on && z->gzip);
    assert_int_equal(z->level, 7);
    assert_true(z->min_size == 2048);
    assert_int_equal(z->n_types, 1);
    assert_string_equal(z->types[0], "text/css");
    assert_false(cfg_compress_type(z, "text/html", 9));
    assert_false(find_loc(s, "/off/")->compress.on);
    z = &find_loc(s, "/on/")->compress;
    assert_true(z->on);
    assert_int_equal(z->level, 7);
    z = &find_loc(s, "/own/")->compress;
    assert_true(z->on && !z->gzip && z->precompressed);
    assert_true(cfg_compress_type(z, "application/octet-stream", 24));
    s = &cfg->servers[1];
    assert_false(find_loc(s, "/")->compress.on);
    z = &find_loc(s, "/a/")->compress;
    assert_true(z->on); /* a mapping turns it on */
    assert_int_equal(z->level, 1);
    char *text = dump_of(cfg);
    assert_non_null(strstr(text, "    compress: gzip level 7, min_size 2k; precompressed on; "
                                 "types: text/css\n"));
    assert_non_null(strstr(text, "    compress: off\n"));
    assert_non_null(strstr(text, "    compress: gzip off; precompressed on; types: *\n"));
    free(text);
    cfg_free(cfg);
}

/* charset: the file's, then the server's, then the location's, each level
 * replacing the one above it, off included. */
static void test_charset(void **state)
{
    struct config *cfg = load_text("charset: utf-8\n"
                                   "servers:\n"
                                   "  - listen: 80\n"
                                   "    root: @DATA@/sites/default\n"
                                   "    locations:\n"
                                   "      /: {}\n"
                                   "      /off/: {charset: off}\n"
                                   "      /latin/: {charset: iso-8859-1}\n"
                                   "  - listen: 81\n"
                                   "    root: @DATA@/sites/default\n"
                                   "    charset: Windows-1251\n"
                                   "    locations:\n"
                                   "      /: {}\n"
                                   "      /u/: {charset: \"UTF-8\"}\n"
                                   "      /f/: {charset: false}\n"
                                   "  - listen: 82\n"
                                   "    root: @DATA@/sites/default\n"
                                   "    charset: OFF\n"
                                   "    locations: {/: {}, /k/: {charset: koi8-r}, /n/: {charset: no}}\n");
    assert_string_equal(cfg->charset, "utf-8");
    const struct cfg_server *s = &cfg->servers[0];
    assert_string_equal(s->charset, "utf-8");
    assert_string_equal(find_loc(s, "/")->charset, "utf-8");
    assert_null(find_loc(s, "/off/")->charset);
    assert_string_equal(find_loc(s, "/latin/")->charset, "iso-8859-1");
    s = &cfg->servers[1];
    assert_string_equal(s->charset, "Windows-1251"); /* kept as written */
    assert_string_equal(find_loc(s, "/")->charset, "Windows-1251");
    assert_string_equal(find_loc(s, "/u/")->charset, "UTF-8");
    assert_null(find_loc(s, "/f/")->charset);
    s = &cfg->servers[2];
    assert_null(s->charset);
    assert_null(find_loc(s, "/")->charset);
    assert_string_equal(find_loc(s, "/k/")->charset, "koi8-r");
    assert_null(find_loc(s, "/n/")->charset);

    char *text = dump_of(cfg);
    static const char *const want[] = {
        "\ncharset: utf-8\n",
        "  charset: Windows-1251\n  locations",
        "  location /off/ (",
        "    charset: off\n",
        "    charset: iso-8859-1\n",
        "    charset: koi8-r\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(text, want[i]))
            fail_msg("dump lacks:\n%s\n--- dump:\n%s", want[i], text);
    free(text);
    cfg_free(cfg);

    /* Every token byte is allowed, up to 40 of them. */
    cfg = load_text("charset: \"a0!#$%&'*+-.^_`|~Z\"\n"
                    "servers: [{listen: 80, root: @DATA@/sites/default, locations: {/: {}}}]\n");
    assert_string_equal(cfg->charset, "a0!#$%&'*+-.^_`|~Z");
    cfg_free(cfg);
    cfg = load_text("charset: 1234567890123456789012345678901234567890\n"
                    "servers: [{listen: 80, root: @DATA@/sites/default, locations: {/: {}}}]\n");
    assert_int_equal(strlen(cfg->charset), 40);
    cfg_free(cfg);
}

static void test_log_paths(void **state)
{
    struct config *cfg = load_fixture("logs.yaml");
    assert_int_equal(cfg->workers, 4);
    assert_null(cfg->error_log);
    assert_string_equal(cfg->access_log, abs_path("off"));
    assert_string_equal(cfg->pid_file, abs_path("run/portico.pid"));
    assert_int_equal(cfg->log_level, LOG_WARN);
    assert_string_equal(cfg->servers[0].root, "/");
    cfg_free(cfg);

    cfg = load_text("error_log: /var/log/e.log\naccess_log: logs/a.log\npid_file: \"off\"\n"
                    "log_level: debug\nworkers: 12\n"
                    "servers: [{listen: 1, root: /, locations: {/: {}}}]\n");
    assert_string_equal(cfg->error_log, "/var/log/e.log");
    assert_string_equal(cfg->access_log, "/tmp/logs/a.log");
    assert_string_equal(cfg->pid_file, "/tmp/off");
    assert_int_equal(cfg->log_level, LOG_DEBUG);
    assert_int_equal(cfg->workers, 12);
    assert_int_equal(cfg->access_log_format, CFG_LOG_COMBINED);
    cfg_free(cfg);
}

/* access_log as a mapping: {path, format}, each optional. */
static void test_access_log_format(void **state)
{
    static const struct {
        const char *yaml;
        const char *path; /* NULL: off */
        enum cfg_log_format format;
    } cases[] = {
        {"access_log: {path: logs/a.log, format: json}\n", "/tmp/logs/a.log", CFG_LOG_JSON},
        {"access_log: {path: \"-\", format: json}\n", "-", CFG_LOG_JSON},
        {"access_log: {format: json}\n", "-", CFG_LOG_JSON},
        {"access_log: {path: off, format: json}\n", NULL, CFG_LOG_JSON},
        {"access_log: {path: a.log, format: combined}\n", "/tmp/a.log", CFG_LOG_COMBINED},
        {"access_log: {path: a.log}\n", "/tmp/a.log", CFG_LOG_COMBINED},
        {"access_log: {}\n", "-", CFG_LOG_COMBINED},
        {"access_log: \"-\"\n", "-", CFG_LOG_COMBINED},
        {"access_log: off\n", NULL, CFG_LOG_COMBINED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "%sservers: [{listen: 1, root: /, locations: {/: {}}}]\n",
                 cases[i].yaml);
        struct config *cfg = load_text(text);
        if (cases[i].path)
            assert_string_equal(cfg->access_log, cases[i].path);
        else
            assert_null(cfg->access_log);
        assert_int_equal(cfg->access_log_format, cases[i].format);
        cfg_free(cfg);
    }
}

static void test_booleans(void **state)
{
    struct config *cfg = load_text("servers:\n"
                                   "  - listen: 80\n"
                                   "    root: @DATA@/sites/default\n"
                                   "    default: YES\n"
                                   "    locations:\n"
                                   "      /a: {autoindex: on}\n"
                                   "      /b: {autoindex: off}\n"
                                   "      /c: {autoindex: yes}\n"
                                   "      /d: {autoindex: no}\n"
                                   "      /e: {autoindex: True}\n"
                                   "      /f: {autoindex: FALSE}\n"
                                   "      /g: {autoindex: \"On\"}\n");
    const struct cfg_server *s = &cfg->servers[0];
    assert_true(s->is_default);
    assert_true(AUTOINDEX(find_loc(s, "/a")));
    assert_false(AUTOINDEX(find_loc(s, "/b")));
    assert_true(AUTOINDEX(find_loc(s, "/c")));
    assert_false(AUTOINDEX(find_loc(s, "/d")));
    assert_true(AUTOINDEX(find_loc(s, "/e")));
    assert_false(AUTOINDEX(find_loc(s, "/f")));
    assert_true(AUTOINDEX(find_loc(s, "/g")));
    cfg_free(cfg);
}

static void test_listen_forms(void **state)
{
    struct config *cfg = load_text("servers:\n"
                                   "  - listen: [8080, \"*:81\", \"localhost:82\", \"10.1.2.3:83\","
                                   " \"[::1]:84\", \"[::]:85\", \"[2001:DB8::1]:86\", \"65535\","
                                   " \"LocalHost:1\"]\n"
                                   "    root: /\n"
                                   "    locations: {/: {}}\n");
    static const char *const texts[] = {"0.0.0.0:8080", "0.0.0.0:81",       "127.0.0.1:82",
                                        "10.1.2.3:83",  "[::1]:84",         "[::]:85",
                                        "[2001:db8::1]:86", "0.0.0.0:65535", "127.0.0.1:1"};
    const struct cfg_server *s = &cfg->servers[0];
    assert_int_equal(s->n_listens, 9);
    for (size_t i = 0; i < 9; i++) {
        assert_string_equal(s->listens[i].text, texts[i]);
        assert_int_equal(s->listens[i].pos.line, 2);
    }
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)&s->listens[2].addr;
    assert_int_equal(a4->sin_family, AF_INET);
    assert_int_equal(ntohs(a4->sin_port), 82);
    assert_int_equal(ntohl(a4->sin_addr.s_addr), 0x7f000001);
    assert_int_equal(s->listens[2].addrlen, sizeof(struct sockaddr_in));
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&s->listens[4].addr;
    assert_int_equal(a6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(a6->sin6_port), 84);
    assert_int_equal(s->listens[4].addrlen, sizeof(struct sockaddr_in6));
    assert_int_equal(cfg->n_listeners, 9);
    cfg_free(cfg);
}

static void test_listeners(void **state)
{
    struct config *cfg = load_fixture("vhosts.yaml");
    assert_int_equal(cfg->n_servers, 4);
    assert_int_equal(cfg->n_listeners, 3);
    const struct cfg_listener *l = &cfg->listeners[0];
    assert_string_equal(l->text, "0.0.0.0:8080");
    assert_int_equal(l->n_servers, 3);
    assert_true(l->servers[0] == &cfg->servers[0]);
    assert_true(l->servers[1] == &cfg->servers[1]);
    assert_true(l->servers[2] == &cfg->servers[2]);
    assert_true(l->default_server == &cfg->servers[1]);
    assert_true(l->max_header_size == 64 * 1024);

    l = &cfg->listeners[1];
    assert_string_equal(l->text, "127.0.0.1:9090");
    assert_int_equal(l->n_servers, 1);
    assert_true(l->default_server == &cfg->servers[1]);
    assert_true(l->max_header_size == 32 * 1024);

    l = &cfg->listeners[2];
    assert_string_equal(l->text, "[::]:8080");
    assert_true(l->default_server == &cfg->servers[3]);
    assert_true(l->max_header_size == 16 * 1024);

    assert_string_equal(cfg->servers[1].names[0], "example.test");
    assert_string_equal(cfg->servers[1].names[1], "*.example.test");
    cfg_free(cfg);
}

static void test_pipelines(void **state)
{
    struct config *cfg = load_text(
        "servers:\n"
        "  - listen: 80\n"
        "    root: @DATA@/sites/default\n"
        "    locations:\n"
        "      /all/:\n"
        "        methods: [GET, HEAD, POST, PUT, DELETE]\n"
        "        status: true\n"
        "        upload: true\n"
        "        autoindex: true\n"
        "      /cgi/: {status: true, cgi: {.sh: /bin/sh}, methods: [GET, DELETE]}\n"
        "      /del/: {methods: [GET, DELETE]}\n"
        "      /up/: {methods: [PUT], upload: true}\n"
        "      /r/: {redirect: {to: \"http://x.test/\", status: 308}, methods: [DELETE]}\n"
        "      /p/: {proxy: \"http://[::1]:9000/base\", methods: [GET, POST, DELETE]}\n"
        "      /s/: {status: on, autoindex: on}\n");
    const struct cfg_server *s = &cfg->servers[0];
    /* upload and cgi may not share a location (an uploaded script would
     * run): the order of the others, then cgi's place among them. */
    assert_pipeline(find_loc(s, "/all/"), "status -> upload -> delete -> static -> autoindex");
    assert_pipeline(find_loc(s, "/cgi/"), "status -> cgi -> delete -> static");
    assert_pipeline(find_loc(s, "/del/"), "delete -> static");
    assert_pipeline(find_loc(s, "/up/"), "upload -> static");
    assert_pipeline(find_loc(s, "/r/"), "redirect");
    assert_int_equal(REDIRECT(find_loc(s, "/r/"))->status, 308);
    assert_pipeline(find_loc(s, "/p/"), "proxy");
    assert_pipeline(find_loc(s, "/s/"), "status -> static -> autoindex");
    assert_int_equal(cfg->n_warnings, 0);
    cfg_free(cfg);
}

/* A server that only forwards and redirects needs no root, as in nginx; a
 * key of a file handler beside proxy is warned about and left out. */
static void test_rootless_server(void **state)
{
    (void)state;
    struct config *cfg = load_text("servers:\n"
                                   "  - listen: 8080\n"
                                   "    locations:\n"
                                   "      /: {proxy: http://127.0.0.1:9000, autoindex: true}\n"
                                   "      /old/: {redirect: /}\n");
    const struct cfg_server *s = &cfg->servers[0];
    assert_null(s->root);
    assert_null(find_loc(s, "/")->root);
    assert_pipeline(find_loc(s, "/"), "proxy");
    assert_pipeline(find_loc(s, "/old/"), "redirect");
    assert_int_equal(cfg->n_warnings, 1);
    assert_non_null(strstr(cfg->warnings[0], "'autoindex' has no effect with 'proxy'"));
    cfg_free(cfg);
}

static void test_warnings(void **state)
{
    struct config *cfg = load_fixture("warnings.yaml");
    assert_int_equal(cfg->n_warnings, 3);
    assert_string_equal(cfg->warnings[0], DATA "/warnings.yaml:6:9: warning: upload without "
                                          "POST or PUT in methods");
    assert_string_equal(cfg->warnings[1], DATA "/warnings.yaml:9:9: warning: cgi without GET "
                                          "or POST in methods");
    assert_string_equal(cfg->warnings[2], DATA "/warnings.yaml:12:9: warning: 'autoindex' has "
                                          "no effect with 'redirect'");
    assert_pipeline(find_loc(&cfg->servers[0], "/up/"), "upload -> static");
    cfg_free(cfg);
}

/* A root of "/" or one holding the config's folder that takes PUT or DELETE. */
static void test_root_warning(void **state)
{
    struct config *cfg = load_text("servers:\n"
                                   "  - listen: 80\n"
                                   "    root: @DATA@/sites/default\n"
                                   "    locations:\n"
                                   "      /a/: {root: /, methods: [GET, DELETE]}\n"
                                   "      /b/: {root: /tmp, methods: [GET, PUT]}\n"
                                   "      /c/: {root: /, methods: [GET, POST]}\n"
                                   "      /d/: {methods: [DELETE]}\n");
    /* The file is written under /tmp: /tmp holds it, and "/" holds all. */
    assert_int_equal(cfg->n_warnings, 2);
    assert_non_null(strstr(cfg->warnings[0], ":5:7: warning: location '/a/' allows PUT or DELETE "
                                             "under root '/', which holds the configuration's "
                                             "own folder"));
    assert_non_null(strstr(cfg->warnings[1], ":6:7: warning: location '/b/' allows PUT or DELETE "
                                             "under root '/tmp'"));
    cfg_free(cfg);
}

/* ---- matching -------------------------------------------------------- */

static void expect_server(const struct config *cfg, size_t listener, const char *host,
                          size_t server)
{
    const struct cfg_server *got =
        cfg_match_server(&cfg->listeners[listener], host, host ? strlen(host) : 0);
    if (got != &cfg->servers[server])
        fail_msg("host '%s': got server %d, want %zu", host ? host : "(null)",
                 (int)(got - cfg->servers), server);
}

static void test_match_server(void **state)
{
    struct config *cfg = load_fixture("vhosts.yaml");
    expect_server(cfg, 0, "first.test", 0);
    expect_server(cfg, 0, "FIRST.Test", 0);
    expect_server(cfg, 0, "first.test.", 0);
    expect_server(cfg, 0, "first.test:8080", 0);
    expect_server(cfg, 0, "First.Test.:8080", 0);
    expect_server(cfg, 0, "example.test", 1);
    expect_server(cfg, 0, "EXAMPLE.TEST.", 1);
    /* Exact beats every wildcard. */
    expect_server(cfg, 0, "www.example.test", 1);
    /* Longest wildcard wins. */
    expect_server(cfg, 0, "a.example.test", 1);
    expect_server(cfg, 0, "a.b.c.example.test", 1);
    expect_server(cfg, 0, "x.b.example.test", 2);
    expect_server(cfg, 0, "x.y.b.example.test:1", 2);
    expect_server(cfg, 0, "b.example.test", 1);
    expect_server(cfg, 0, "other.test", 2);
    expect_server(cfg, 0, "x.TEST", 2);
    /* No label before the suffix: not a wildcard match. */
    expect_server(cfg, 0, "test", 1);
    expect_server(cfg, 0, ".test", 1);
    expect_server(cfg, 0, "first.test.x", 1);
    expect_server(cfg, 0, "xfirst.test", 2);
    expect_server(cfg, 0, "unknown.org", 1);
    expect_server(cfg, 0, "", 1);
    expect_server(cfg, 0, NULL, 1);
    expect_server(cfg, 0, ":8080", 1);
    expect_server(cfg, 0, "[::1]:8080", 1);
    expect_server(cfg, 1, "first.test", 1);
    expect_server(cfg, 2, "[::1]:8080", 3);
    expect_server(cfg, 2, "[::1]", 3);
    expect_server(cfg, 2, "V6.test", 3);
    expect_server(cfg, 2, "example.test", 3);
    /* Length-delimited: bytes after len are not part of the host. */
    const struct cfg_server *s = cfg_match_server(&cfg->listeners[0], "first.testXYZ", 10);
    assert_true(s == &cfg->servers[0]);
    cfg_free(cfg);
}

static void expect_loc(const struct cfg_server *s, const char *path, const char *prefix)
{
    const struct cfg_location *l = cfg_match_location(s, path, strlen(path));
    const char *got = l ? l->prefix : "(none)";
    if (strcmp(got, prefix) != 0)
        fail_msg("path '%s': got %s, want %s", path, got, prefix);
}

static void test_match_location(void **state)
{
    struct config *cfg = load_fixture("vhosts.yaml");
    const struct cfg_server *s = &cfg->servers[2];
    expect_loc(s, "/", "/");
    expect_loc(s, "/index.html", "/");
    expect_loc(s, "/img", "/img");
    expect_loc(s, "/img/", "/img");
    expect_loc(s, "/img/a.png", "/img");
    expect_loc(s, "/imgs", "/");
    expect_loc(s, "/imgs/a.png", "/");
    expect_loc(s, "/img.png", "/");
    expect_loc(s, "/img/icons", "/img/icons/");
    expect_loc(s, "/img/icons/", "/img/icons/");
    expect_loc(s, "/img/icons/x.svg", "/img/icons/");
    expect_loc(s, "/img/iconsx", "/img");
    /* "/files" exists too: it beats "/files/" for the bare path. */
    expect_loc(s, "/files", "/files");
    expect_loc(s, "/files/", "/files/");
    expect_loc(s, "/files/a/b.txt", "/files/");
    expect_loc(s, "/filesx", "/");
    /* "/docs/" alone also takes "/docs". */
    expect_loc(s, "/docs", "/docs/");
    expect_loc(s, "/docs/x", "/docs/");
    expect_loc(s, "/docsx", "/");
    expect_loc(s, "/doc", "/");
    const struct cfg_location *l = cfg_match_location(s, "/img/icons/zzz", 4);
    assert_string_equal(l->prefix, "/img");
    cfg_free(cfg);

    cfg = load_text("servers:\n"
                    "  - listen: 80\n"
                    "    root: /\n"
                    "    locations: {/a/b/: {}, /a: {}, /a/b/c: {}}\n");
    s = &cfg->servers[0];
    expect_loc(s, "/", "(none)");
    expect_loc(s, "/a", "/a");
    expect_loc(s, "/a/b", "/a/b/");
    expect_loc(s, "/a/b/c", "/a/b/c");
    expect_loc(s, "/a/b/cd", "/a/b/");
    expect_loc(s, "/a/b/c/d", "/a/b/c");
    expect_loc(s, "/ab", "(none)");
    expect_loc(s, "", "(none)");
    cfg_free(cfg);
}

/* ---- dump and misc ---------------------------------------------------- */

static void test_dump(void **state)
{
    struct config *cfg = load_fixture("full.yaml");
    char *text = dump_of(cfg);
    static const char *const want[] = {
        "workers: auto\n",
        "timeouts: header 10s, body 60s, keepalive 75s, send 60s, cgi 30s, upstream 60s, "
        "upstream_connect 5s\n",
        "limits: connections 10000, keepalive_requests 10000, header_size 16k, body_size 1m\n",
        "mime_types: .wasm=application/wasm\n",
        "\ncharset: off\n",
        "  charset: off\n  locations",
        "\nserver " DATA "/full.yaml:21:5 (default)\n",
        "  listen: 0.0.0.0:8080 127.0.0.1:8081 [::1]:8080\n",
        "  names: localhost example.test *.example.test\n",
        "  error_pages: 404 /errors/404.html, 500 /errors/50x.html\n",
        "  location /files/ (" DATA "/full.yaml:33:7)\n"
        "    methods: GET HEAD POST PUT DELETE\n",
        "    limits: body_size 100m\n",
        "    pipeline: upload -> delete -> static -> autoindex\n",
        "    redirect: 301 /new/ (keep_path)\n    pipeline: redirect\n",
        "    cgi: .sh /bin/sh\n    cgi: .cgi (the script itself)\n    pipeline: cgi -> static\n",
        "    proxy: http://127.0.0.1:9000\n    pipeline: proxy\n",
        "listener [::1]:8080: max header 16k, servers: " DATA "/full.yaml:21:5 (default)\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(text, want[i]))
            fail_msg("dump lacks:\n%s\n--- dump:\n%s", want[i], text);
    free(text);
    cfg_free(cfg);
}

static void test_misc(void **state)
{
    cfg_free(NULL);
    /* No error buffer: still no crash. */
    assert_null(cfg_load(DATA "/bad_key.yaml", handler_table, NULL, 0));
    struct config *cfg = cfg_load(DATA "/full.yaml", handler_table, NULL, 0);
    assert_non_null(cfg);
    cfg_free(cfg);
    /* A short buffer is truncated, still NUL-terminated. */
    char err[16];
    assert_null(cfg_load(DATA "/bad_key.yaml", handler_table, err, sizeof(err)));
    assert_string_equal(err, "tests/unit/data");
    /* Loading twice gives two independent configs. */
    struct config *a = load_fixture("vhosts.yaml"), *b = load_fixture("vhosts.yaml");
    assert_true(a->servers != b->servers);
    cfg_free(a);
    cfg_free(b);
}

int main(void)
{
    if (config_test_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),     cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_handler_table_names), cmocka_unit_test(test_full_example),
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_inheritance),
        cmocka_unit_test(test_charset),
        cmocka_unit_test(test_log_paths),      cmocka_unit_test(test_access_log_format),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_listen_forms),   cmocka_unit_test(test_listeners),
        cmocka_unit_test(test_pipelines),      cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_rootless_server),
        cmocka_unit_test(test_root_warning),
        cmocka_unit_test(test_match_server),   cmocka_unit_test(test_match_location),
        cmocka_unit_test(test_dump),           cmocka_unit_test(test_misc),
        cmocka_unit_test(test_compress),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
