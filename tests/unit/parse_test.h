/* What the parser tests share (test_http_parse.c, test_http_resp.c,
 * test_cgi_parse.c): the guard page, placing input right before it, offsets
 * into a literal and slice checks. Include once per test program, after
 * <cmocka.h>. */
#ifndef PORTICO_TEST_PARSE_TEST_H
#define PORTICO_TEST_PARSE_TEST_H

#include <string.h>

#include "guard_page.h"
#include "lib/str.h"

/* Copies s[0..n) so that it ends at the guard page: a read past its end
 * crashes. */
static const char *place(const char *s, size_t n)
{
    assert_true(n <= g_cap);
    char *b = g_mem + g_cap - n;
    memcpy(b, s, n);
    return b;
}

/* Offset just past the first occurrence of sub in s. */
static size_t at(const char *s, const char *sub)
{
    const char *f = strstr(s, sub);
    assert_non_null(f);
    return (size_t)(f - s) + strlen(sub);
}

/* s holds exactly want. */
static void assert_str(struct str s, const char *want)
{
    if (s.len != strlen(want) || memcmp(s.p, want, s.len) != 0)
        print_error("got \"%.*s\", want \"%s\"\n", (int)s.len, s.p, want);
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.p, want, s.len);
}

#endif
