/* What the configuration tests share (test_config.c, test_config_tls.c):
 * the fixture folder, loading a fixture or a YAML text that must load, and
 * the -T dump as a string. Include once per test program, after
 * <cmocka.h>; call config_test_init() first in main(). */
#ifndef PORTICO_TEST_CONFIG_TEST_H
#define PORTICO_TEST_CONFIG_TEST_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "handlers/handlers.h"

#define DATA "tests/unit/data/config"

/* The absolute fixture folder, for @DATA@ and for expected paths. */
static char data_abs[PATH_MAX];

/* Finds the fixtures (tests run from the repository root); 0 or -1. */
static inline int config_test_init(void)
{
    if (realpath(DATA, data_abs))
        return 0;
    fprintf(stderr, "run from the repository root: %s missing\n", DATA);
    return -1;
}

static inline struct config *load_ok(const char *path)
{
    char err[1024] = "";
    struct config *cfg = cfg_load(path, handler_table, err, sizeof(err));
    if (!cfg)
        fail_msg("cfg_load(%s): %s", path, err);
    return cfg;
}

static inline struct config *load_fixture(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), DATA "/%s", name);
    return load_ok(path);
}

/* Writes yaml (with @DATA@ replaced by the fixture folder) to a temporary
 * file under /tmp; the caller unlinks it. The path is in a static buffer. */
static inline char *write_temp(const char *yaml)
{
    static char path[64];
    strcpy(path, "/tmp/portico_cfg_XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (const char *p = yaml; *p;) {
        if (strncmp(p, "@DATA@", 6) == 0) {
            fputs(data_abs, f);
            p += 6;
        } else {
            fputc(*p++, f);
        }
    }
    fclose(f);
    return path;
}

static inline struct config *load_text(const char *yaml)
{
    char *path = write_temp(yaml);
    char err[1024] = "";
    struct config *cfg = cfg_load(path, handler_table, err, sizeof(err));
    unlink(path);
    if (!cfg)
        fail_msg("%s", err);
    return cfg;
}

/* cfg_dump()'s text; the caller frees it. */
static inline char *dump_of(const struct config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cfg_dump(cfg, f, NULL);
    fclose(f);
    return text;
}

#endif
