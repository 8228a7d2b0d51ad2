#include "lib/beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/path.h"

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

int open_beneath(int dirfd, const char *root, const char *rel, int flags)
{
    if (*rel == '\0')
        rel = ".";
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
    if (fd >= 0)
        return fd;
    if (errno == EXDEV || errno == ENOSYS)
        return open_checked(root, rel, flags);
    return -1;
}
