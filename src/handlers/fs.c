/* Opening files under a document root without ever leaving it. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handlers/fs.h"

/* Root directory fds, opened once per worker: roots are few and fixed for
 * the life of a configuration. */
#define ROOT_CACHE 64
static struct {
    const char *root; /* the config's string: compared by address first */
    int fd;
} roots[ROOT_CACHE];
static size_t n_roots;

int fs_root_fd(const char *root)
{
    for (size_t i = 0; i < n_roots; i++)
        if (roots[i].root == root || strcmp(roots[i].root, root) == 0)
            return roots[i].fd;
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 && n_roots < ROOT_CACHE) {
        roots[n_roots].root = root;
        roots[n_roots].fd = fd;
        n_roots++;
    }
    return fd;
}

void fs_close_roots(void)
{
    for (size_t i = 0; i < n_roots; i++)
        close(roots[i].fd);
    n_roots = 0;
}

/* The slow path for a symlink with an absolute target: allowed when its
 * real path still lies inside the root. */
static int open_checked(const char *root, const char *rel, int flags)
{
    char full[PATH_MAX], real[PATH_MAX], real_root[PATH_MAX];
    if (snprintf(full, sizeof(full), "%s/%s", root, rel) >= (int)sizeof(full))
        return errno = ENAMETOOLONG, -1;
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
