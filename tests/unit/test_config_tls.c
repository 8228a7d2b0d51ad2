/* Unit tests for the TLS side of src/config (issue 12): listen items as
 * {address, tls} maps, a server's tls block (paths, the places of their
 * values, protocols), the warning for an unused block, the agreement of
 * the servers of one socket on tls, and the -T dump. The errors are in
 * test_config_errors.c. Run from the repo root. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config_test.h"

#define BOTH (CFG_TLS_1_2 | CFG_TLS_1_3)

static void assert_listen(const struct cfg_listen *l, const char *text, bool tls, int line,
                          int col)
{
    assert_string_equal(l->text, text);
    assert_int_equal(l->tls, tls);
    assert_int_equal(l->pos.line, line);
    assert_int_equal(l->pos.col, col);
}

static void assert_pos(struct cfg_pos p, const char *file, int line, int col)
{
    assert_string_equal(p.file, file);
    assert_int_equal(p.line, line);
    assert_int_equal(p.col, col);
}

/* Scalars and maps, flow and block, mixed in one list; a lone map. */
static void test_listen_maps(void **state)
{
    struct config *cfg = load_ok(DATA "/tls.yaml");
    const struct cfg_server *s = &cfg->servers[0];
    assert_int_equal(s->n_listens, 4);
    /* A map item's place is the map's: its '{', or its first key. */
    assert_listen(&s->listens[0], "0.0.0.0:8080", false, 5, 9);
    assert_listen(&s->listens[1], "0.0.0.0:8443", true, 6, 9);
    assert_listen(&s->listens[2], "[::1]:8443", true, 7, 9);
    assert_listen(&s->listens[3], "127.0.0.1:9000", false, 9, 9);
    s = &cfg->servers[1];
    assert_int_equal(s->n_listens, 1);
    assert_listen(&s->listens[0], "0.0.0.0:8443", true, 17, 13);

    assert_int_equal(cfg->n_listeners, 4);
    static const char *const texts[] = {"0.0.0.0:8080", "0.0.0.0:8443", "[::1]:8443",
                                        "127.0.0.1:9000"};
    static const bool tls[] = {false, true, true, false};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(cfg->listeners[i].text, texts[i]);
        assert_int_equal(cfg->listeners[i].tls, tls[i]);
        assert_null(cfg->listeners[i].via);
    }
    /* Both servers on the TLS address, the first its default (SNI falls
     * back to it). */
    const struct cfg_listener *l = &cfg->listeners[1];
    assert_int_equal(l->n_servers, 2);
    assert_true(l->default_server == &cfg->servers[0]);
    assert_true(cfg_match_server(l, "other.test", 10) == &cfg->servers[1]);
    assert_int_equal(cfg->n_warnings, 0);
    cfg_free(cfg);
}

/* Paths joined to the file's folder as written (not resolved), the places
 * of the values, protocols by default both. */
static void test_tls_block(void **state)
{
    struct config *cfg = load_ok(DATA "/tls.yaml");
    char want[PATH_MAX + 32];
    const struct cfg_tls *t = cfg->servers[0].tls;
    assert_non_null(t);
    snprintf(want, sizeof(want), "%s/tls/site.pem", data_abs);
    assert_string_equal(t->certificate, want);
    snprintf(want, sizeof(want), "%s/./tls/site.key", data_abs);
    assert_string_equal(t->key, want);
    assert_pos(t->certificate_pos, DATA "/tls.yaml", 11, 20);
    assert_pos(t->key_pos, DATA "/tls.yaml", 12, 12);
    assert_int_equal(t->protocols, BOTH);

    t = cfg->servers[1].tls;
    assert_non_null(t);
    snprintf(want, sizeof(want), "%s/tls/site.key", data_abs);
    assert_string_equal(t->key, want);
    assert_pos(t->certificate_pos, DATA "/tls.yaml", 20, 20);
    assert_pos(t->key_pos, DATA "/tls.yaml", 21, 12);
    assert_int_equal(t->protocols, CFG_TLS_1_3);
    cfg_free(cfg);

    /* Absolute paths as they are; no tls block: NULL. */
    cfg = load_text("servers:\n"
                    "  - listen: {address: 443, tls: true}\n"
                    "    tls: {certificate: @DATA@/tls/site.pem, key: @DATA@/tls/site.key}\n"
                    "    root: /\n"
                    "    locations: {/: {}}\n"
                    "  - listen: 80\n"
                    "    root: /\n"
                    "    locations: {/: {}}\n");
    snprintf(want, sizeof(want), "%s/tls/site.pem", data_abs);
    assert_string_equal(cfg->servers[0].tls->certificate, want);
    assert_int_equal(cfg->servers[0].tls->certificate_pos.line, 3);
    assert_int_equal(cfg->servers[0].tls->certificate_pos.col, 24);
    assert_null(cfg->servers[1].tls);
    assert_false(cfg->servers[1].listens[0].tls);
    assert_false(cfg->listeners[1].tls);
    assert_int_equal(cfg->n_warnings, 0);
    cfg_free(cfg);
}

static unsigned protocols_of(const char *value)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "servers:\n"
             "  - listen: {address: 443, tls: true}\n"
             "    tls:\n"
             "      certificate: @DATA@/tls/site.pem\n"
             "      key: @DATA@/tls/site.key\n"
             "      protocols: %s\n"
             "    root: /\n"
             "    locations: {/: {}}\n",
             value);
    struct config *cfg = load_text(yaml);
    unsigned p = cfg->servers[0].tls->protocols;
    cfg_free(cfg);
    return p;
}

static void test_protocols(void **state)
{
    assert_int_equal(protocols_of("[TLSv1.2, TLSv1.3]"), BOTH);
    assert_int_equal(protocols_of("[TLSv1.3, TLSv1.2]"), BOTH);
    assert_int_equal(protocols_of("[TLSv1.2]"), CFG_TLS_1_2);
    assert_int_equal(protocols_of("TLSv1.3"), CFG_TLS_1_3);
    assert_int_equal(protocols_of("tlsv1.2"), CFG_TLS_1_2);
    assert_int_equal(protocols_of("[TLSv1.3, TLSv1.3]"), CFG_TLS_1_3);
}

/* A tls block that no listen item uses: loaded, checked, warned about. */
static void test_unused_block_warns(void **state)
{
    struct config *cfg = load_text("servers:\n"
                                   "  - listen: [8080, {address: 8081, tls: false}]\n"
                                   "    tls:\n"
                                   "      certificate: @DATA@/tls/site.pem\n"
                                   "      key: @DATA@/tls/site.key\n"
                                   "    root: /\n"
                                   "    locations: {/: {}}\n");
    assert_non_null(cfg->servers[0].tls);
    assert_int_equal(cfg->n_warnings, 1);
    const char *w = cfg->warnings[0];
    assert_string_equal(strstr(w, ":3:5: "), ":3:5: warning: 'tls' has no effect: no listen "
                                             "item of this server has tls: true");
    assert_true(strncmp(w, "/tmp/portico_cfg_", 17) == 0);
    cfg_free(cfg);
}

/* A specific address and the wildcard of its port, both TLS: one socket,
 * as for plain ones (the usual warning about it, nothing more). */
static void test_carried_tls(void **state)
{
    struct config *cfg = load_text(
        "servers:\n"
        "  - listen: {address: 8443, tls: true}\n"
        "    tls: {certificate: @DATA@/tls/site.pem, key: @DATA@/tls/site.key}\n"
        "    root: /\n"
        "    locations: {/: {}}\n"
        "  - listen: [{address: \"127.0.0.1:8443\", tls: true}, \"127.0.0.1:8080\"]\n"
        "    tls: {certificate: @DATA@/tls/site.pem, key: @DATA@/tls/site.key}\n"
        "    root: /\n"
        "    locations: {/: {}}\n");
    assert_int_equal(cfg->n_listeners, 3);
    const struct cfg_listener *w = &cfg->listeners[0], *x = &cfg->listeners[1];
    assert_true(w->tls && x->tls);
    assert_false(cfg->listeners[2].tls);
    assert_true(x->via == w);
    assert_int_equal(w->n_covered, 1);
    assert_int_equal(cfg->n_warnings, 1);
    assert_non_null(strstr(cfg->warnings[0], ":6:14: warning: connections to 127.0.0.1:8443 "
                                             "are served only by"));
    cfg_free(cfg);
}

/* A key file this user may not read: said at its entry. root reads any
 * file, so the case only runs for other users (as CI's does). */
static void test_unreadable_key(void **state)
{
    if (geteuid() == 0)
        skip();
    char key[] = "/tmp/portico_tls_key_XXXXXX";
    int fd = mkstemp(key);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(key, 0), 0);
    char yaml[256], err[1024] = "", want[1024];
    snprintf(yaml, sizeof(yaml),
             "servers:\n  - listen: 80\n    tls:\n      certificate: @DATA@/tls/site.pem\n"
             "      key: %s\n",
             key);
    const char *path = write_temp(yaml);
    struct config *cfg = cfg_load(path, handler_table, err, sizeof(err));
    unlink(path);
    unlink(key);
    cfg_free(cfg);
    assert_null(cfg);
    snprintf(want, sizeof(want), "%s:5:12: cannot read 'key' %s: Permission denied", path, key);
    assert_string_equal(err, want);
}

static void test_dump(void **state)
{
    struct config *cfg = load_ok(DATA "/tls.yaml");
    char *text = dump_of(cfg);
    char want[4][2 * PATH_MAX + 512];
    snprintf(want[0], sizeof(want[0]),
             "\nserver " DATA "/tls.yaml:4:5\n"
             "  listen: 0.0.0.0:8080 {address: \"0.0.0.0:8443\", tls: true} "
             "{address: \"[::1]:8443\", tls: true} 127.0.0.1:9000\n"
             "  tls:\n"
             "    certificate: %s/tls/site.pem\n"
             "    key: %s/./tls/site.key\n"
             "    protocols: TLSv1.2 TLSv1.3\n"
             "  names: example.test\n",
             data_abs, data_abs);
    snprintf(want[1], sizeof(want[1]),
             "\nserver " DATA "/tls.yaml:17:5\n"
             "  listen: {address: \"0.0.0.0:8443\", tls: true}\n"
             "  tls:\n"
             "    certificate: %s/tls/site.pem\n"
             "    key: %s/tls/site.key\n"
             "    protocols: TLSv1.3\n",
             data_abs, data_abs);
    snprintf(want[2], sizeof(want[2]),
             "listener 0.0.0.0:8443 (tls): max header 16k, servers: " DATA
             "/tls.yaml:4:5 (default) " DATA "/tls.yaml:17:5\n");
    snprintf(want[3], sizeof(want[3]),
             "listener 127.0.0.1:9000: max header 16k, servers: " DATA "/tls.yaml:4:5 "
             "(default)\n");
    for (size_t i = 0; i < 4; i++)
        if (!strstr(text, want[i]))
            fail_msg("dump lacks:\n%s\n--- dump:\n%s", want[i], text);
    assert_non_null(strstr(text, "listener [::1]:8443 (tls): "));
    assert_non_null(strstr(text, "listener 0.0.0.0:8080: "));
    free(text);
    cfg_free(cfg);

    /* Without TLS, nothing of it. */
    cfg = load_ok(DATA "/vhosts.yaml");
    text = dump_of(cfg);
    assert_null(strstr(text, "  tls:"));
    assert_null(strstr(text, "tls: true"));
    assert_null(strstr(text, "(tls)"));
    assert_non_null(strstr(text, "listener 0.0.0.0:8080: "));
    free(text);
    cfg_free(cfg);
}

int main(void)
{
    if (config_test_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_maps),        cmocka_unit_test(test_tls_block),
        cmocka_unit_test(test_protocols),          cmocka_unit_test(test_unused_block_warns),
        cmocka_unit_test(test_carried_tls),        cmocka_unit_test(test_unreadable_key),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests_name("config_tls", tests, NULL, NULL);
}
