/* Opening files under a document root without ever leaving it. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/path.h"
#include "server/fs.h"

/* Root directory fds, opened once per worker: roots are few and fixed for
 * the life of a configuration. */
struct root_fd {
    const char *root; /* the config's string: compared by address first */
    int fd;
};
static struct root_fd *roots;
static size_t n_roots, cap_roots;

int fs_root_fd(const char *root)
{
    for (size_t i = 0; i < n_roots; i++)
        if (roots[i].root == root || strcmp(roots[i].root, root) == 0)
            return roots[i].fd;
    if (n_roots == cap_roots) {
        size_t cap = cap_roots ? cap_roots * 2 : 16;
        struct root_fd *grown = realloc(roots, cap * sizeof(*grown));
        if (!grown)
            return -1;
        roots = grown;
        cap_roots = cap;
    }
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        roots[n_roots++] = (struct root_fd){root, fd};
    return fd;
}

void fs_close_roots(void)
{
    for (size_t i = 0; i < n_roots; i++)
        close(roots[i].fd);
    free(roots);
    roots = NULL;
    n_roots = cap_roots = 0;
}

/* The slow path for a symlink with an absolute target: allowed when its
 * real path still lies inside the root. */
static int open_checked(const char *root, const char *rel, int flags)
{
    char full[PATH_MAX], real[PATH_MAX], real_root[PATH_MAX];
    if (path_join(full, sizeof(full), root, rel) < 0)
        return -1;
    if (!realpath(full, real) || !realpath(root, real_root))
        return -1;
    size_t n = strlen(real_root);
    bool inside = strncmp(real, real_root, n) == 0 &&
                  (real[n] == '/' || real[n] == '\0' || (n == 1 && real_root[0] == '/'));
    if (!inside)
        return errno = EXDEV, -1;
    return open(real, flags | O_CLOEXEC);
}

int fs_open_beneath(const char *root, const char *rel, int flags)
{
    int dir = fs_root_fd(root);
    if (dir < 0)
        return -1;
    if (*rel == '\0')
        rel = ".";
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
    if (fd >= 0)
        return fd;
    if (errno == EXDEV || errno == ENOSYS)
        return open_checked(root, rel, flags);
    return -1;
}
