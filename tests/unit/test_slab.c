/* The slab of fixed-size objects: zeroed and aligned objects, reuse of
 * freed ones, many objects over many chunks, empty chunks given back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/slab.h"

static void test_alloc_zeroed_aligned_reused(void **state)
{
    (void)state;
    struct slab s;
    slab_init(&s, 100);
    assert_int_equal(s.size, 112); /* rounded up to 16 */
    unsigned char *a = slab_alloc(&s);
    unsigned char *b = slab_alloc(&s);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a != b);
    assert_int_equal((uintptr_t)a % 16, 0);
    assert_int_equal((uintptr_t)b % 16, 0);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(a[i], 0);
    memset(a, 0xab, 100);
    assert_int_equal(s.in_use, 2);
    slab_free(&s, a);
    assert_int_equal(s.in_use, 1);
    unsigned char *c = slab_alloc(&s); /* the freed one comes back, zeroed */
    assert_ptr_equal(c, a);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(c[i], 0);
    slab_free(&s, NULL); /* ignored */
    slab_free(&s, b);
    slab_free(&s, c);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.chunks, 1); /* the empty chunk stays as the spare */
    slab_destroy(&s);
    assert_int_equal(s.chunks, 0);
}

/* Each object holds its own index: an overlap would overwrite one. */
static void fill(size_t **objs, size_t from, size_t to, struct slab *s)
{
    for (size_t i = from; i < to; i++) {
        objs[i] = slab_alloc(s);
        assert_non_null(objs[i]);
        for (size_t w = 0; w < s->size / sizeof(size_t); w++)
            objs[i][w] = i;
    }
}

static void check(size_t **objs, size_t n, const struct slab *s)
{
    for (size_t i = 0; i < n; i++)
        if (objs[i])
            for (size_t w = 0; w < s->size / sizeof(size_t); w++)
                assert_int_equal(objs[i][w], i);
}

static void test_many_objects_many_chunks(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct slab s;
    slab_init(&s, 192);
    size_t **objs = calloc(N, sizeof(*objs));
    assert_non_null(objs);
    fill(objs, 0, N, &s);
    assert_int_equal(s.in_use, N);
    assert_true(s.chunks >= N / s.per_chunk);
    assert_true(s.chunks <= N / s.per_chunk + 1);
    check(objs, N, &s);

    /* Free every other one, in a scrambled order, then take as many again:
     * no new chunk is needed. */
    size_t chunks = s.chunks;
    srand(11);
    for (size_t k = 0; k < N; k++) {
        size_t i = (size_t)rand() % N & ~(size_t)1;
        slab_free(&s, objs[i]);
        objs[i] = NULL;
        objs[i] = slab_alloc(&s);
        for (size_t w = 0; w < s.size / sizeof(size_t); w++)
            objs[i][w] = i;
    }
    check(objs, N, &s);
    for (size_t i = 0; i < N; i += 2) {
        slab_free(&s, objs[i]);
        objs[i] = NULL;
    }
    assert_int_equal(s.in_use, N / 2);
    fill(objs, 0, 1, &s);
    for (size_t i = 2; i < N; i += 2)
        fill(objs, i, i + 1, &s);
    assert_int_equal(s.chunks, chunks);
    check(objs, N, &s);

    /* All of them back: only the spare chunk stays mapped. */
    for (size_t i = N; i-- > 0;)
        slab_free(&s, objs[i]);
    assert_int_equal(s.in_use, 0);
    assert_int_equal(s.chunks, 1);
    /* ... and serves the next burst. */
    fill(objs, 0, 10, &s);
    check(objs, 10, &s);
    assert_int_equal(s.chunks, 1);
    for (size_t i = 0; i < 10; i++)
        slab_free(&s, objs[i]);
    slab_destroy(&s);
    free(objs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_zeroed_aligned_reused),
        cmocka_unit_test(test_many_objects_many_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
