/* Opening a file below a directory without ever leaving it, symlinks
 * included: the containment rule for document roots. */
#ifndef PORTICO_BENEATH_H
#define PORTICO_BENEATH_H

/* Opens rel (relative; "" for the directory itself) below dirfd, which is
 * the directory root (an absolute path) opened O_PATH: openat2 with
 * RESOLVE_BENEATH, and for a symlink with an absolute target, or a kernel
 * without openat2, a realpath check that the target lies inside root.
 * O_CLOEXEC is added. Returns an fd, or -1 with errno: ENOENT/ENOTDIR
 * missing, EACCES forbidden, EXDEV outside the root. */
int open_beneath(int dirfd, const char *root, const char *rel, int flags);

#endif
