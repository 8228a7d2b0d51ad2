/* Opening files under a document root without ever leaving it. */
#ifndef PORTICO_FS_H
#define PORTICO_FS_H

/* Opens rel (relative, "" for the root itself) under root so that nothing
 * outside the root is reached, symlinks included: openat2 with
 * RESOLVE_BENEATH on a cached root fd, and a realpath check for symlinks
 * with absolute targets that point back inside. Returns an fd (O_CLOEXEC
 * added), or -1 with errno: ENOENT/ENOTDIR missing, EACCES forbidden,
 * EXDEV outside the root. */
int fs_open_beneath(const char *root, const char *rel, int flags);

/* The O_PATH fd of a root directory, opened once per worker; -1 when the
 * root cannot be opened. */
int fs_root_fd(const char *root);

/* Closes the cached root fds (worker exit, through server_free). */
void fs_close_roots(void);

#endif
