/* Length-delimited byte strings: request bytes are never NUL-terminated. */
#ifndef PORTICO_STR_H
#define PORTICO_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lib/ascii.h"

struct str {
    const char *p;
    size_t len;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})
#define STR_NULL ((struct str){NULL, 0})

/* A slice of p[0..len); nothing is copied. */
static inline struct str str_make(const char *p, size_t len)
{
    return (struct str){p, len};
}

/* True when a holds exactly lit[0..lit_len). */
static inline bool str_eq(struct str a, const char *lit, size_t lit_len)
{
    return a.len == lit_len && memcmp(a.p, lit, lit_len) == 0;
}

/* ASCII case-insensitive comparison against a lower-case literal. */
static inline bool str_case_eq(struct str a, const char *lower, size_t lower_len)
{
    if (a.len != lower_len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        if (ascii_lower((unsigned char)a.p[i]) != (unsigned char)lower[i])
            return false;
    }
    return true;
}

/* True when s contains the lower-case needle, ASCII case-insensitively. */
static inline bool str_case_contains(struct str s, const char *lower, size_t n)
{
    for (size_t i = 0; n <= s.len && i <= s.len - n; i++)
        if (str_case_eq(str_make(s.p + i, n), lower, n))
            return true;
    return false;
}

#define STR_EQ(s, lit) str_eq((s), (lit), sizeof(lit) - 1)
#define STR_CASE_EQ(s, lit) str_case_eq((s), (lit), sizeof(lit) - 1)

#endif
