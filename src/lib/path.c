#include "lib/path.h"

#include <errno.h>
#include <string.h>

long path_join(char *out, size_t cap, const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    size_t sep = 0;
    if (dl > 0) {
        while (*name == '/')
            name++;
        if (*name != '\0') {
            while (dl > 0 && dir[dl - 1] == '/')
                dl--;
            sep = 1;
        }
    }
    size_t nl = strlen(name);
    size_t len = dl + sep + nl;
    if (len >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(out, dir, dl);
    if (sep)
        out[dl] = '/';
    memcpy(out + dl + sep, name, nl);
    out[len] = '\0';
    return (long)len;
}
