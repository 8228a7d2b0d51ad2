/* A writable area followed by a PROT_NONE page, for parser tests: input
 * copied so that it ends right at the guard page makes any read past its
 * end crash (with or without ASan). Include once per test program; use
 * guard_setup/guard_teardown as the cmocka group fixtures. */
#ifndef PORTICO_TEST_GUARD_PAGE_H
#define PORTICO_TEST_GUARD_PAGE_H

#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef GUARD_PAGES
#define GUARD_PAGES 16 /* writable pages before the guard */
#endif

static char *g_mem;  /* writable area, followed by a PROT_NONE page */
static size_t g_cap; /* its size */

static int guard_setup(void **state)
{
    (void)state;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    g_cap = GUARD_PAGES * pg;
    g_mem = mmap(NULL, g_cap + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g_mem == MAP_FAILED)
        return -1;
    return mprotect(g_mem + g_cap, pg, PROT_NONE);
}

static int guard_teardown(void **state)
{
    (void)state;
    munmap(g_mem, g_cap + (size_t)sysconf(_SC_PAGESIZE));
    return 0;
}

#endif
