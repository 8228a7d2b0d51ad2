/* A server's `tls:` block: the certificate and key paths (checked to be
 * readable regular files, nothing more: config links no TLS library) and
 * the protocol versions. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_internal.h"

/* Why path cannot serve as a certificate or key file, or NULL when it can:
 * a regular file that opens for reading (as the user this runs as). The
 * type is looked at before opening, so that no device or FIFO is opened. */
static const char *unreadable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return strerror(errno);
    if (S_ISDIR(st.st_mode))
        return strerror(EISDIR);
    if (!S_ISREG(st.st_mode))
        return "not a regular file";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return strerror(errno);
    close(fd);
    return NULL;
}

/* The path under key in mapping m, joined to the config's folder, with the
 * place of its value. */
static int load_file(struct cfg_ctx *c, const struct cfg_node *m, const char *key, char **out,
                     struct cfg_pos *pos)
{
    const struct cfg_node *v = cfg_map_get(m, key, NULL);
    const char *s;
    if (!v)
        return cfg_error(c, m, "tls is missing '%s'", key);
    if (cfg_get_string(c, v, key, &s) < 0 || !*s)
        return cfg_error(c, v, "'%s' must be a path to a PEM file", key);
    *pos = cfg_pos_of(c, v);
    /* Joined, not resolved: a symlink (certbot's live/ folder) is followed
     * anew each time the files are read, so rotation works. */
    if (!(*out = cfg_join_path(c, s)))
        return cfg_error(c, v, "out of memory");
    const char *why = unreadable(*out);
    if (why)
        return cfg_error(c, v, "cannot read '%s' %s: %s", key, *out, why);
    return 0;
}

int cfg_load_tls(struct cfg_ctx *c, const struct cfg_node *n, struct cfg_tls **out)
{
    static const char *const keys[] = {"certificate", "key", "protocols", NULL};
    /* In the order of their bits (1u << index). */
    static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};
    _Static_assert(CFG_TLS_1_2 == 1u << 0 && CFG_TLS_1_3 == 1u << 1, "protocols[] order");
    if (n->kind != CFG_NODE_MAPPING)
        return cfg_error(c, n, "'tls' must be a mapping with 'certificate' and 'key'");
    if (cfg_check_keys(c, n, keys, "in tls") < 0)
        return -1;
    struct cfg_tls *t = cfg_arena_calloc(c->a, 1, sizeof(*t));
    if (!t)
        return cfg_error(c, n, "out of memory");
    t->protocols = CFG_TLS_1_2 | CFG_TLS_1_3;
    const struct cfg_node *v;
    if (load_file(c, n, "certificate", &t->certificate, &t->certificate_pos) < 0 ||
        load_file(c, n, "key", &t->key, &t->key_pos) < 0)
        return -1;
    if ((v = cfg_map_get(n, "protocols", NULL)) &&
        cfg_get_word_bits(c, v, "protocols", "TLS protocol", protocols, 2, &t->protocols) < 0)
        return -1;
    *out = t;
    return 0;
}
