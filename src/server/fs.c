/* Opening files under a document root without ever leaving it, through
 * root directory fds kept per worker. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/beneath.h"
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

int fs_open_beneath(const char *root, const char *rel, int flags)
{
    int dir = fs_root_fd(root);
    return dir < 0 ? -1 : open_beneath(dir, root, rel, flags);
}
