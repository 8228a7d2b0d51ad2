/* The settings of a redirect location. */
#ifndef PORTICO_REDIRECT_H
#define PORTICO_REDIRECT_H

#include <stdbool.h>

struct redirect_settings {
    const char *to;
    int status; /* 301, 302, 303, 307, 308 */
    bool keep_path;
};

#endif
