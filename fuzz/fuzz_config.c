// link: src/config/*.c src/lib/*.c -lyaml
/* libFuzzer driver for cfg_load and cfg_free.
 *
 * The handlers are not linked: cfg_load gets no handler table, so only
 * the keys config/ itself knows are accepted.
 *
 * Each input is written to one YAML file, made once per run in a fresh
 * directory under $TMPDIR (default /tmp) and removed at exit, then loaded.
 * The directory holds a symlink `sites` to tests/unit/data/config/sites
 * ($PORTICO_FUZZ_SITES, else that path from the current directory), so the
 * `root: sites/default` of the seeds exists and inputs get past the root
 * checks into the rest of the compiler.
 *
 * Invariants:
 *   - on failure, err is one line "PATH:LINE:COL: message" with the path as
 *     given, 1 <= LINE, COL <= the input's length + 1, and a message;
 *   - on success, every warning starts the same way, the config has servers
 *     and listeners, and cfg_dump, cfg_match_server and cfg_match_location
 *     run on it; cfg_free releases everything (LeakSanitizer checks). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz.h"

static char g_dir[PATH_MAX];
static char g_path[PATH_MAX];
static char g_link[PATH_MAX];
static FILE *g_null;

static void cleanup(void)
{
    unlink(g_path);
    unlink(g_link);
    rmdir(g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof(g_dir), "%s/portico-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(g_dir) != NULL);
    snprintf(g_path, sizeof(g_path), "%s/portico.yaml", g_dir);
    snprintf(g_link, sizeof(g_link), "%s/sites", g_dir);

    const char *sites = getenv("PORTICO_FUZZ_SITES");
    char *real = realpath(sites && *sites ? sites : "tests/unit/data/config/sites", NULL);
    if (real) {
        CHECK(symlink(real, g_link) == 0);
        free(real);
    } else {
        fprintf(stderr, "fuzz_config: no sites folder (run from the repo root or set "
                        "PORTICO_FUZZ_SITES): seeds will stop at their root\n");
    }
    g_null = fopen("/dev/null", "w");
    CHECK(g_null != NULL);
    atexit(cleanup);
    return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
    int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w < 0 && errno == EINTR)
            continue;
        CHECK(w > 0);
        done += (size_t)w;
    }
    CHECK(close(fd) == 0);
}

/* msg is "g_path:LINE:COL: something", on one line. */
static void check_positioned(const char *msg, size_t size)
{
    size_t pl = strlen(g_path);
    CHECK(strncmp(msg, g_path, pl) == 0);
    const char *p = msg + pl;
    CHECK(*p == ':');
    char *e;
    errno = 0;
    long line = strtol(p + 1, &e, 10);
    CHECK(errno == 0 && e > p + 1 && *e == ':');
    long col = strtol(e + 1, &e, 10);
    CHECK(errno == 0 && *e == ':' && e[1] == ' ' && e[2] != '\0');
    CHECK(line >= 1 && col >= 1);
    /* Every line break and column takes at least one byte of the file. */
    CHECK((size_t)line <= size + 1 && (size_t)col <= size + 1);
    for (const char *s = msg; *s; s++)
        CHECK((unsigned char)*s >= ' ' && *s != 0x7f);
}

static void exercise(const struct config *cfg)
{
    CHECK(strcmp(cfg->path, g_path) == 0);
    CHECK(cfg->n_servers >= 1 && cfg->n_listeners >= 1);
    for (size_t i = 0; i < cfg->n_warnings; i++)
        check_positioned(cfg->warnings[i], SIZE_MAX - 1);
    cfg_dump(cfg, g_null, NULL);

    static const char *const hosts[] = {"", "localhost", "a.example.test", "EXAMPLE.test."};
    static const char *const paths[] = {"/", "/files", "/files/a", "/cgi-bin/x.sh"};
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        const struct cfg_listener *l = &cfg->listeners[i];
        CHECK(l->n_servers >= 1 && l->default_server != NULL);
        for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
            const struct cfg_server *s = cfg_match_server(l, hosts[h], strlen(hosts[h]));
            CHECK(s != NULL);
            for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
                const struct cfg_location *loc =
                    cfg_match_location(s, paths[p], strlen(paths[p]));
                if (loc)
                    CHECK(loc->prefix_len <= strlen(paths[p]) + 1 &&
                          loc->n_pipeline <= CFG_MAX_STAGES);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);
    char err[1024];
    memset(err, 'X', sizeof(err));
    struct config *cfg = cfg_load(g_path, NULL, err, sizeof(err));
    if (!cfg) {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        check_positioned(err, size);
        return 0;
    }
    CHECK(err[0] == '\0');
    exercise(cfg);
    cfg_free(cfg);
    return 0;
}
