/* File system path strings. */
#ifndef PORTICO_PATH_H
#define PORTICO_PATH_H

#include <stddef.h>

/* Writes "dir/name" into out[0..cap), NUL-terminated, with exactly one '/'
 * between the two: trailing slashes of dir and leading ones of name are
 * not doubled ("/" and "a" give "/a"). An empty dir gives name as it is;
 * a name that is empty (or only slashes) gives dir as it is. out must not
 * overlap dir or name. Returns the length written, or -1 with errno set
 * to ENAMETOOLONG when the result and its NUL do not fit in cap bytes. */
long path_join(char *out, size_t cap, const char *dir, const char *name);

#endif
