/* Unit tests for src/config: every kind of configuration error gives one
 * line "FILE:LINE:COL: message" naming the right place. Each case is a
 * YAML text written to a temporary file; @DATA@ stands for the absolute
 * fixture folder, @FILE@ for the temporary file's path. */
#include <limits.h>
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
#include "handlers/cgi_script.h"
#include "handlers/handlers.h"
#include "handlers/redirect.h"

#define DATA "tests/unit/data/config"

static char data_abs[PATH_MAX];

struct err_case {
    const char *name;
    const char *yaml;
    const char *expect; /* after "@FILE@:" */
};

/* A server head that is valid, for cases about what follows it. */
#define SRV "servers:\n  - listen: 8080\n    root: @DATA@/sites/default\n"
#define LOC SRV "    locations:\n      /:\n"

static const struct err_case cases[] = {
    /* Keys. */
    {"unknown_key_server", SRV "    locatons: {/: {}}\n",
     "4:5: unknown key 'locatons' in server (did you mean 'locations'?)"},
    {"unknown_key_listen", "servers:\n  - lisen: 8080\n",
     "2:5: unknown key 'lisen' in server (did you mean 'listen'?)"},
    {"unknown_key_top", "wokers: 2\nservers: []\n",
     "1:1: unknown key 'wokers' at top level (did you mean 'workers'?)"},
    {"unknown_key_no_hint", "frobnicate: 1\n", "1:1: unknown key 'frobnicate' at top level"},
    {"unknown_key_location", LOC "        autoindx: true\n",
     "6:9: unknown key 'autoindx' in location (did you mean 'autoindex'?)"},
    {"unknown_key_swap", LOC "        mehtods: [GET]\n",
     "6:9: unknown key 'mehtods' in location (did you mean 'methods'?)"},
    {"unknown_key_timeouts", "timeouts: {headr: 1s}\n",
     "1:12: unknown key 'headr' in timeouts (did you mean 'header'?)"},
    {"unknown_key_limits", SRV "    limits:\n      bodysize: 1m\n",
     "5:7: unknown key 'bodysize' in limits (did you mean 'body_size'?)"},
    {"unknown_key_redirect", LOC "        redirect: {to: /x, stauts: 302}\n",
     "6:28: unknown key 'stauts' in redirect (did you mean 'status'?)"},
    {"server_key_in_location", LOC "        listen: 80\n", "6:9: unknown key 'listen' in location"},
    {"drain_in_server", SRV "    timeouts: {drain: 5s}\n    locations: {/: {}}\n",
     "4:16: 'drain' belongs in the top-level timeouts: it is how long a retiring worker may "
     "take, for all its servers"},
    /* charset: off or a token, at every level. */
    {"charset_space", "charset: utf 8\n", "1:10: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_semicolon", SRV "    charset: \"utf-8; x=y\"\n", "4:14: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_on", LOC "        charset: on\n", "6:18: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_true_quoted", LOC "        charset: \"true\"\n", "6:18: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_empty", LOC "        charset: \"\"\n", "6:18: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_null", LOC "        charset:\n", "6:17: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_list", "charset: [utf-8]\n", "1:10: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_map", SRV "    charset: {name: utf-8}\n", "4:14: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_non_ascii", "charset: \"utf\xc3\xa9\"\n", "1:10: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_crlf", "charset: \"utf-8\\r\\nX: y\"\n", "1:10: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_too_long", "charset: 12345678901234567890123456789012345678901\n",
     "1:10: 'charset' must be off or a charset name like utf-8 (a token of at most 40 letters, digits and !#$%&'*+-.^_`|~)"},
    {"charset_misspelt", "servers:\n  - listen: 8080\n    charsett: utf-8\n",
     "3:5: unknown key 'charsett' in server (did you mean 'charset'?)"},
    /* Handlers that may not share a location: an uploaded script would run. */
    {"upload_and_cgi", LOC "        upload: true\n        cgi: {.sh: /bin/sh}\n",
     "5:7: location '/' has both 'upload' and 'cgi': a client could upload a script and run it"},
    {"duplicate_key", SRV "    root: /\n",
     "4:5: duplicate key 'root' (first at @FILE@:3:5)"},
    /* Required keys and shapes. */
    {"missing_servers", "workers: 2\n", "1:1: the configuration is missing 'servers'"},
    {"empty_servers", "servers: []\n", "1:10: 'servers' must not be empty"},
    {"servers_not_list", "servers:\n  listen: 80\n", "2:3: 'servers' must be a list of servers"},
    {"server_not_mapping", "servers: [8080]\n", "1:11: each server must be a mapping"},
    {"missing_listen", "servers:\n  - root: /\n    locations: {/: {}}\n",
     "2:5: server is missing 'listen'"},
    {"missing_locations", SRV, "2:5: server is missing 'locations'"},
    {"empty_locations", SRV "    locations: {}\n", "4:16: 'locations' must not be empty"},
    {"missing_root", "servers:\n  - listen: 80\n    locations:\n      /a/: {root: /}\n"
                     "      /b/: {}\n",
     "2:5: server is missing 'root' (needed by location '/b/')"},
    /* proxy and redirect read no file: their locations need no root, but
     * error pages do (they are URIs under it). */
    {"missing_root_beside_proxy",
     "servers:\n  - listen: 80\n    locations:\n      /a/: {proxy: http://127.0.0.1:9}\n"
     "      /b/: {}\n",
     "2:5: server is missing 'root' (needed by location '/b/')"},
    {"error_pages_no_root_location",
     "servers:\n  - listen: 80\n    locations:\n"
     "      /: {proxy: http://127.0.0.1:9, error_pages: {502: /502.html}}\n",
     "4:51: 'error_pages' needs a 'root'"},
    {"location_not_mapping", SRV "    locations:\n      /: 5\n",
     "5:10: location '/' must be a mapping"},
    {"prefix_no_slash", SRV "    locations:\n      files/: {}\n",
     "5:7: location prefix 'files/' must start with '/'"},
    {"prefix_dotdot", SRV "    locations:\n      /a/../b: {}\n",
     "5:7: location prefix '/a/../b' must be a normalised path (no '//', '.' or '..' "
     "segments)"},
    /* YAML itself. */
    {"non_mapping_root", "- a\n- b\n", "1:1: the top level must be a mapping with 'servers'"},
    {"scalar_root", "\n\nhello\n", "3:1: the top level must be a mapping with 'servers'"},
    {"empty_file", "", "1:1: the top level must be a mapping with 'servers'"},
    {"comment_only", "# nothing\n", "1:1: the top level must be a mapping with 'servers'"},
    {"yaml_bad_indent", "servers:\n  - listen: 8080\n   root: x\n",
     "3:4: YAML syntax error: did not find expected '-' indicator (while parsing a block "
     "collection started at line 2, column 3)"},
    {"yaml_unclosed_flow", "servers:\n  - listen: [8080\n",
     "3:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence "
     "started at line 2, column 13)"},
    {"yaml_mapping_value", "a: b: c\n",
     "1:5: YAML syntax error: mapping values are not allowed in this context"},
    /* Tabs in the indentation: said so, at the tab (issue 10). */
#define TAB_MSG "a tab in the indentation: YAML indents with spaces only (replace the tab with spaces)"
    {"yaml_tab", "servers:\n\tx: 1\n", "2:1: " TAB_MSG},
    {"yaml_tab_after_spaces", SRV "    locations:\n      /:\n      \tautoindex: true\n",
     "6:7: " TAB_MSG},
    {"yaml_tab_after_dash", "servers:\n  -\tlisten: 8080\n", "2:4: " TAB_MSG},
    {"yaml_tab_continuation", "workers: 1\n\tlog_level: info\nservers: []\n", "2:1: " TAB_MSG},
    {"yaml_tab_comment_line", "workers: 1\n\t# a comment\nservers: []\n", "2:1: " TAB_MSG},
    {"yaml_tab_blank_line", LOC "        autoindex: true\n\t\n", "7:1: " TAB_MSG},
    {"yaml_tab_sequence", SRV "    index:\n\t- a.html\n", "5:1: " TAB_MSG},
    /* A tab that is not indentation is left to libyaml's own message. */
    {"yaml_tab_inside", "a: b:\tc\n",
     "1:5: YAML syntax error: mapping values are not allowed in this context"},
    /* A tab in a flow collection is valid YAML; an error further on is not
     * blamed on it. */
    {"yaml_tab_flow_then_error", "workers: [1,\n\t2]\nlog_level: info\na: b: c\n",
     "4:5: YAML syntax error: mapping values are not allowed in this context"},
    {"yaml_bad_utf8", "workers: 1\nlog_level: \xff\n",
     "2:12: YAML syntax error: invalid leading UTF-8 octet"},
    {"yaml_two_documents", "workers: 1\n---\nworkers: 2\n",
     "2:1: only one YAML document is allowed"},
    {"yaml_anchor", "workers: &w 2\n", "1:10: YAML anchors and aliases are not supported"},
    {"yaml_nul", "workers: \"1\\0\"\n", "1:10: NUL character in a string"},
    {"yaml_alias", "workers: *w\n", "1:10: YAML anchors and aliases are not supported"},
    {"control_in_key", "\"a\\nb\\tc\": 1\n", "1:1: unknown key 'a?b?c' at top level"},
    {"yaml_complex_key", "? [a]\n: 1\n", "1:3: mapping keys must be strings"},
    /* Values. */
    {"bad_workers", "workers: many\n", "1:10: 'workers' must be a positive integer or auto"},
    {"zero_workers", "workers: 0\n", "1:10: 'workers' must be a positive integer or auto"},
    {"bad_log_level", "log_level: verbose\n",
     "1:12: 'log_level' must be debug, info, warn or error"},
    {"empty_error_log", "error_log: \"\"\n", "1:12: 'error_log' must be \"-\", a path or off"},
    {"access_log_format", "access_log: {path: \"-\", format: jsonl}\n",
     "1:33: 'access_log.format' must be combined or json"},
    {"access_log_format_list", "access_log:\n  format: [json]\n",
     "2:11: 'access_log.format' must be combined or json"},
    {"access_log_key", "access_log: {path: a.log, fromat: json}\n",
     "1:27: unknown key 'fromat' in access_log (did you mean 'format'?)"},
    {"access_log_path", "access_log: {path: \"\", format: json}\n",
     "1:20: 'access_log.path' must be \"-\", a path or off"},
    {"access_log_path_map", "access_log: {path: {a: b}}\n",
     "1:20: 'access_log.path' must be \"-\", a path or off"},
    {"list_pid_file", "pid_file: [a]\n", "1:11: 'pid_file' must be a path or off"},
    {"compress_scalar", "compress: 5\n", "1:11: 'compress' must be true, false or a mapping"},
    {"compress_key", LOC "        compress: {levl: 3}\n",
     "6:20: unknown key 'levl' in compress (did you mean 'level'?)"},
    {"compress_level", SRV "    compress: {level: 10}\n",
     "4:23: 'level' must be an integer from 1 to 9"},
    {"compress_gzip", LOC "        compress: {gzip: maybe}\n", "6:26: 'gzip' must be true or false"},
    {"compress_min_size", "compress: {min_size: 1kb}\n",
     "1:22: 'min_size' must be a size like 512, 64k, 10m or 1g"},
    {"compress_type", LOC "        compress: {types: [text/html, html]}\n",
     "6:39: compress type 'html' must look like text/html (or be \"*\")"},
    {"compress_type_param", LOC "        compress: {types: \"text/html; charset=utf-8\"}\n",
     "6:27: compress type 'text/html; charset=utf-8' must look like text/html (or be \"*\")"},
    {"bad_size", SRV "    limits: {body_size: 10x}\n",
     "4:25: 'body_size' must be a size like 512, 64k, 10m or 1g"},
    {"bad_size_unit", "limits:\n  header_size: 16kb\n",
     "2:16: 'header_size' must be a size like 512, 64k, 10m or 1g"},
    {"header_size_range", "limits: {header_size: 10}\n",
     "1:23: 'header_size' must be between 64 and 64m"},
    {"bad_connections", "limits: {connections: -5}\n",
     "1:23: 'connections' must be a positive integer"},
    {"bad_duration", "timeouts:\n  header: 5min\n",
     "2:11: 'header' must be a positive duration like 500ms, 10s, 2m or 1h"},
    {"zero_duration", LOC "        timeouts: {keepalive: 0}\n",
     "6:31: 'keepalive' must be a positive duration like 500ms, 10s, 2m or 1h"},
    {"timeouts_not_mapping", "timeouts: 5s\n", "1:11: 'timeouts' must be a mapping"},
    {"bad_bool", LOC "        autoindex: maybe\n", "6:20: 'autoindex' must be true or false"},
    {"bad_default", "servers:\n  - listen: 1\n    default: 1\n",
     "3:14: 'default' must be true or false"},
    {"bad_method", LOC "        methods: [GET, TRACE]\n",
     "6:24: unknown method 'TRACE' in 'methods' (use GET, HEAD, POST, PUT, DELETE, OPTIONS or "
     "PATCH)"},
    {"empty_methods", LOC "        methods: []\n", "6:18: 'methods' must not be empty"},
    {"listen_port_zero", "servers:\n  - listen: 0\n",
     "2:13: port must be between 1 and 65535 in 'listen'"},
    {"listen_port_big", "servers:\n  - listen: \"127.0.0.1:65536\"\n",
     "2:13: port must be between 1 and 65535 in 'listen'"},
    {"listen_hostname", "servers:\n  - listen: [80, \"example.com:80\"]\n",
     "2:18: 'listen' must be a port, \"host:port\" or \"[ipv6]:port\" (host: an IPv4 address, "
     "localhost or *)"},
    {"listen_v6_no_port", "servers:\n  - listen: \"[::1]\"\n",
     "2:13: 'listen' must be a port, \"host:port\" or \"[ipv6]:port\" (host: an IPv4 address, "
     "localhost or *)"},
    {"listen_empty", "servers:\n  - listen: []\n", "2:13: 'listen' must not be empty"},
    {"listen_duplicate", "servers:\n  - listen: [80, \"*:80\"]\n",
     "2:18: duplicate listen address 0.0.0.0:80 (first at @FILE@:2:14)"},
    {"bad_name", "servers:\n  - listen: 80\n    names: [ok.test, \"bad name\"]\n",
     "3:22: invalid server name 'bad name' (a host name, \"*.suffix\" or \"[ipv6]\")"},
    {"bad_wildcard", "servers:\n  - listen: 80\n    names: \"a.*.test\"\n",
     "3:12: invalid server name 'a.*.test' (a host name, \"*.suffix\" or \"[ipv6]\")"},
    {"bad_index", SRV "    index: [a/index.html]\n",
     "4:13: index entry 'a/index.html' must be a file name"},
    {"bad_mime_ext", "mime_types: {wasm: application/wasm}\n",
     "1:14: mime type extension 'wasm' must start with '.', like .wasm"},
    {"bad_mime_type", "mime_types: {.wasm: wasm}\n",
     "1:21: mime type for '.wasm' must look like type/subtype"},
    /* Paths. */
    {"missing_root_dir", "servers:\n  - listen: 80\n    root: @DATA@/sites/nope\n",
     "3:11: root '@DATA@/sites/nope' does not exist (@DATA@/sites/nope)"},
    {"relative_root_missing", "servers:\n  - listen: 80\n    root: portico-no-such-dir\n",
     "3:11: root 'portico-no-such-dir' does not exist (/tmp/portico-no-such-dir)"},
    {"root_is_file", "servers:\n  - listen: 80\n    root: @DATA@/sites/default/index.html\n",
     "3:11: root '@DATA@/sites/default/index.html' is not a directory "
     "(@DATA@/sites/default/index.html)"},
    {"location_root_missing", LOC "        root: @DATA@/sites/gone\n",
     "6:15: root '@DATA@/sites/gone' does not exist (@DATA@/sites/gone)"},
    {"missing_error_page", SRV "    error_pages:\n      404: /errors/missing.html\n",
     "5:12: error page file '@DATA@/sites/default/errors/missing.html' does not exist"},
    {"upload_dir_missing", SRV "    locations:\n      /nope/:\n        upload: true\n",
     "6:9: upload folder '@DATA@/sites/default/nope/' does not exist or is not a directory"},
    {"error_page_dir", SRV "    error_pages: {404: /errors}\n",
     "4:24: error page file '@DATA@/sites/default/errors' is not a regular file"},
    {"error_page_status", SRV "    error_pages: {200: /index.html}\n",
     "4:19: error page status '200' must be between 300 and 599"},
    {"error_page_escape", SRV "    error_pages: {404: /../x.html}\n",
     "4:24: error page '/../x.html' must be a file path starting with '/' (no '.' or '..' "
     "segments)"},
    {"error_page_no_root", "servers:\n  - listen: 80\n    error_pages: {404: /x.html}\n",
     "3:18: 'error_pages' needs a 'root'"},
    {"error_page_twice", SRV "    error_pages: {404: /errors/404.html, 0404: /errors/50x.html}\n",
     "4:42: duplicate error page for status 404"},
    /* Handlers. */
    {"bad_redirect_status", LOC "        redirect: {to: /new/, status: 305}\n",
     "6:39: 'status' must be 301, 302, 303, 307 or 308"},
    {"redirect_missing_to", LOC "        redirect: {status: 302}\n",
     "6:19: redirect is missing 'to'"},
    {"redirect_list", LOC "        redirect: [/a]\n",
     "6:19: 'redirect' must be a URL or a mapping with 'to'"},
    {"redirect_space", LOC "        redirect: \"/a b\"\n",
     "6:19: redirect target must be a non-empty URL without spaces or control characters"},
    {"redirect_and_proxy", LOC "        redirect: /a\n        proxy: http://h\n",
     "7:9: 'proxy' and 'redirect' cannot be combined in one location"},
    {"proxy_sets_host", LOC "        proxy: {to: http://127.0.0.1, set_headers: {host: x}}\n",
     "6:53: 'host' cannot be set: portico writes it for each request (use host: instead)"},
    {"proxy_sets_framing", LOC "        proxy: {to: http://127.0.0.1, set_headers: {X-A: 1, Content-Length: 5}}\n",
     "6:61: 'Content-Length' cannot be set: portico writes it for each request"},
    {"bad_proxy_scheme", LOC "        proxy: https://example.com\n",
     "6:16: 'proxy' must be an http:// URL with a host, like http://127.0.0.1:9000"},
    {"bad_proxy_host", LOC "        proxy: http://:80/\n",
     "6:16: 'proxy' must be an http:// URL with a host, like http://127.0.0.1:9000"},
    {"bad_proxy_port", LOC "        proxy: http://h:99999\n",
     "6:16: 'proxy' must be an http:// URL with a host, like http://127.0.0.1:9000"},
    {"cgi_ext", LOC "        cgi: {py: /bin/sh}\n",
     "6:15: cgi extension 'py' must start with '.', like .py"},
    {"cgi_missing_interp", LOC "        cgi: {.py: /usr/bin/portico-no-such-python}\n",
     "6:20: cgi interpreter '/usr/bin/portico-no-such-python' does not exist"},
    {"cgi_relative_interp", LOC "        cgi: {.sh: sh}\n",
     "6:20: cgi interpreter 'sh' must be an absolute path or \"\""},
    {"cgi_not_executable", LOC "        cgi: {.sh: @DATA@/sites/default/index.html}\n",
     "6:20: cgi interpreter '@DATA@/sites/default/index.html' is not an executable file"},
    {"cgi_not_mapping", LOC "        cgi: .py\n", "6:14: 'cgi' must be a mapping"},
    /* Listeners. */
    {"two_defaults",
     "servers:\n"
     "  - listen: 8080\n"
     "    default: true\n"
     "    root: /\n"
     "    locations: {/: {}}\n"
     "  - listen: [9090, \"0.0.0.0:8080\"]\n"
     "    default: on\n"
     "    root: /\n"
     "    locations: {/: {}}\n",
     "7:5: second default server for 0.0.0.0:8080 (first at @FILE@:3:5)"},
    {"duplicate_name",
     "servers:\n"
     "  - listen: 8080\n"
     "    names: [a.test, B.Test]\n"
     "    root: /\n"
     "    locations: {/: {}}\n"
     "  - listen: [\"*:8080\"]\n"
     "    names: [c.test, b.test.]\n"
     "    root: /\n"
     "    locations: {/: {}}\n",
     "7:21: duplicate server name 'b.test' on 0.0.0.0:8080 (first at @FILE@:3:21)"},
    {"duplicate_wildcard",
     "servers:\n"
     "  - listen: 80\n"
     "    names: [\"*.a.test\", \"*.A.test\"]\n"
     "    root: /\n"
     "    locations: {/: {}}\n",
     "3:25: duplicate server name '*.a.test' on 0.0.0.0:80 (first at @FILE@:3:13)"},
    /* TLS (issue 12): listen items as {address, tls}, the tls block. */
    {"listen_map_unknown_key", "servers:\n  - listen: [8080, {address: 8443, tsl: true}]\n",
     "2:36: unknown key 'tsl' in a listen item (did you mean 'tls'?)"},
    {"listen_map_no_address", "servers:\n  - listen: {tls: true}\n",
     "2:13: listen item is missing 'address'"},
    {"listen_map_block_no_address", "servers:\n  - listen:\n      - tls: true\n",
     "3:9: listen item is missing 'address'"},
    {"listen_map_bad_address", "servers:\n  - listen: [{address: \"example.com:443\", tls: true}]\n",
     "2:24: 'listen' must be a port, \"host:port\" or \"[ipv6]:port\" (host: an IPv4 address, "
     "localhost or *)"},
    {"listen_map_port_zero", "servers:\n  - listen: {address: 0}\n",
     "2:23: port must be between 1 and 65535 in 'listen'"},
    {"listen_map_bad_tls", "servers:\n  - listen: {address: 8443, tls: maybe}\n",
     "2:34: 'tls' must be true or false"},
    {"listen_map_duplicate", "servers:\n  - listen: [8443, {address: \"*:8443\", tls: true}]\n",
     "2:20: duplicate listen address 0.0.0.0:8443 (first at @FILE@:2:14)"},
    {"tls_listen_without_block",
     "servers:\n  - listen:\n      - 8080\n      - address: 8443\n        tls: true\n"
     "    root: /\n    locations: {/: {}}\n",
     "4:9: listen 0.0.0.0:8443 has tls: true, but the server has no 'tls' with its "
     "certificate and key"},
    {"tls_not_mapping", "servers:\n  - listen: {address: 8443, tls: true}\n    tls: true\n",
     "3:10: 'tls' must be a mapping with 'certificate' and 'key'"},
    {"tls_unknown_key", "servers:\n  - listen: 80\n    tls:\n      certifcate: a.pem\n",
     "4:7: unknown key 'certifcate' in tls (did you mean 'certificate'?)"},
    {"tls_no_certificate", "servers:\n  - listen: 80\n    tls:\n      key: @DATA@/tls/site.key\n",
     "4:7: tls is missing 'certificate'"},
    {"tls_no_key", "servers:\n  - listen: 80\n    tls: {certificate: @DATA@/tls/site.pem}\n",
     "3:10: tls is missing 'key'"},
    {"tls_certificate_missing",
     "servers:\n  - listen: 80\n    tls:\n      certificate: @DATA@/tls/nope.pem\n"
     "      key: @DATA@/tls/site.key\n",
     "4:20: cannot read 'certificate' @DATA@/tls/nope.pem: No such file or directory"},
    /* Relative to the file's folder (/tmp for these cases). */
    {"tls_key_relative_missing",
     "servers:\n  - listen: 80\n    tls:\n      certificate: @DATA@/tls/site.pem\n"
     "      key: portico-no-such.key\n",
     "5:12: cannot read 'key' /tmp/portico-no-such.key: No such file or directory"},
    {"tls_key_directory",
     "servers:\n  - listen: 80\n    tls: {key: @DATA@/tls, certificate: @DATA@/tls/site.pem}\n",
     "3:16: cannot read 'key' @DATA@/tls: Is a directory"},
    {"tls_certificate_device",
     "servers:\n  - listen: 80\n    tls: {certificate: /dev/null, key: @DATA@/tls/site.key}\n",
     "3:24: cannot read 'certificate' /dev/null: not a regular file"},
    {"tls_certificate_empty",
     "servers:\n  - listen: 80\n    tls: {certificate: \"\", key: @DATA@/tls/site.key}\n",
     "3:24: 'certificate' must be a path to a PEM file"},
    {"tls_key_list",
     "servers:\n  - listen: 80\n    tls: {key: [a], certificate: @DATA@/tls/site.pem}\n",
     "3:16: 'key' must be a path to a PEM file"},
    {"tls_protocol_old",
     "servers:\n  - listen: 80\n    tls:\n      certificate: @DATA@/tls/site.pem\n"
     "      key: @DATA@/tls/site.key\n      protocols: [TLSv1.3, TLSv1.1]\n",
     "6:28: unknown TLS protocol 'TLSv1.1' in 'protocols' (use TLSv1.2 or TLSv1.3)"},
    {"tls_protocol_scalar",
     "servers:\n  - listen: 80\n    tls:\n      certificate: @DATA@/tls/site.pem\n"
     "      key: @DATA@/tls/site.key\n      protocols: SSLv3\n",
     "6:18: unknown TLS protocol 'SSLv3' in 'protocols' (use TLSv1.2 or TLSv1.3)"},
    {"tls_protocols_empty",
     "servers:\n  - listen: 80\n    tls:\n      certificate: @DATA@/tls/site.pem\n"
     "      key: @DATA@/tls/site.key\n      protocols: []\n",
     "6:18: 'protocols' must not be empty"},
    {"tls_protocols_nested",
     "servers:\n  - listen: 80\n    tls:\n      certificate: @DATA@/tls/site.pem\n"
     "      key: @DATA@/tls/site.key\n      protocols: [[TLSv1.3]]\n",
     "6:19: 'protocols' must be a list of TLS protocol names"},
    /* One address, one socket: its servers agree on tls. */
    {"tls_then_plain",
     "servers:\n"
     "  - listen: [{address: 8443, tls: true}]\n"
     "    tls: {certificate: @DATA@/tls/site.pem, key: @DATA@/tls/site.key}\n"
     "    root: /\n"
     "    locations: {/: {}}\n"
     "  - listen: [8080, \"0.0.0.0:8443\"]\n"
     "    root: /\n"
     "    locations: {/: {}}\n",
     "6:20: listen 0.0.0.0:8443 is plain here but has tls: true at @FILE@:2:14: the servers "
     "of one address must agree on tls"},
    {"plain_then_tls",
     "servers:\n"
     "  - listen: \"[::1]:8443\"\n"
     "    root: /\n"
     "    locations: {/: {}}\n"
     "  - listen: {address: \"[::1]:8443\", tls: true}\n"
     "    tls: {certificate: @DATA@/tls/site.pem, key: @DATA@/tls/site.key}\n"
     "    root: /\n"
     "    locations: {/: {}}\n",
     "5:13: listen [::1]:8443 has tls: true here but is plain at @FILE@:2:13: the servers of "
     "one address must agree on tls"},
    /* A specific address rides on the wildcard's socket of its port. */
    {"tls_wildcard_plain_specific",
     "servers:\n"
     "  - listen: {address: 8443, tls: true}\n"
     "    tls: {certificate: @DATA@/tls/site.pem, key: @DATA@/tls/site.key}\n"
     "    root: /\n"
     "    locations: {/: {}}\n"
     "  - listen: \"127.0.0.1:8443\"\n"
     "    root: /\n"
     "    locations: {/: {}}\n",
     "6:13: listen 127.0.0.1:8443 is plain here but 0.0.0.0:8443 has tls: true at @FILE@:2:13: "
     "a specific address and the wildcard of its port share one socket and must agree on tls"},
    {"tls_specific_plain_wildcard",
     "servers:\n"
     "  - listen: {address: \"[::1]:8443\", tls: true}\n"
     "    tls: {certificate: @DATA@/tls/site.pem, key: @DATA@/tls/site.key}\n"
     "    root: /\n"
     "    locations: {/: {}}\n"
     "  - listen: [80, \"[::]:8443\"]\n"
     "    root: /\n"
     "    locations: {/: {}}\n",
     "6:18: listen [::]:8443 is plain here but [::1]:8443 has tls: true at @FILE@:2:13: "
     "a specific address and the wildcard of its port share one socket and must agree on tls"},
};

/* src with @DATA@ and @FILE@ replaced. */
static void expand(char *out, size_t n, const char *src, const char *file)
{
    size_t o = 0;
    while (*src && o + 1 < n) {
        const char *rep = NULL;
        if (strncmp(src, "@DATA@", 6) == 0)
            rep = data_abs;
        else if (strncmp(src, "@FILE@", 6) == 0)
            rep = file;
        if (rep) {
            o += (size_t)snprintf(out + o, n - o, "%s", rep);
            src += 6;
        } else {
            out[o++] = *src++;
        }
    }
    out[o < n ? o : n - 1] = '\0';
}

static void run_case(void **state)
{
    const struct err_case *c = *state;
    char path[] = "/tmp/portico_cfg_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    char yaml[4096], expect[4200], tail[4096], err[1024] = "";
    expand(yaml, sizeof(yaml), c->yaml, path);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    struct config *cfg = cfg_load(path, handler_table, err, sizeof(err));
    unlink(path);
    cfg_free(cfg);
    assert_null(cfg);
    expand(tail, sizeof(tail), c->expect, path);
    snprintf(expect, sizeof(expect), "%s:%s", path, tail);
    assert_string_equal(err, expect);
    assert_null(strchr(err, '\n'));
}

/* Errors in files named by the fixture's relative path keep that path. */
static void test_fixture_path(void **state)
{
    char err[512];
    assert_null(cfg_load(DATA "/bad_key.yaml", handler_table, err, sizeof(err)));
    assert_string_equal(err, DATA "/bad_key.yaml:2:5: unknown key 'lisen' in server (did you "
                                  "mean 'listen'?)");
    assert_null(cfg_load(DATA "/no-such.yaml", handler_table, err, sizeof(err)));
    assert_string_equal(err, DATA "/no-such.yaml:1:1: cannot open: No such file or directory");
    assert_null(cfg_load(DATA "/sites", handler_table, err, sizeof(err)));
    assert_string_equal(err, DATA "/sites:1:1: cannot read: is a directory");
}

int main(void)
{
    if (!realpath(DATA, data_abs)) {
        fprintf(stderr, "run from the repository root: %s missing\n", DATA);
        return 1;
    }
    size_t n = sizeof(cases) / sizeof(cases[0]);
    struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
    if (!tests)
        return 1;
    for (size_t i = 0; i < n; i++)
        tests[i] = (struct CMUnitTest){.name = cases[i].name, .test_func = run_case,
                                       .initial_state = (void *)&cases[i]};
    tests[n] = (struct CMUnitTest){.name = "fixture_path", .test_func = test_fixture_path};
    int r = _cmocka_run_group_tests("config_errors", tests, n + 1, NULL, NULL);
    free(tests);
    return r;
}
