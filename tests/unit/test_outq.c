/* Tests for src/core/outq.c's outq_take: what a TLS writer takes from the
 * front of a queue of memory, small copies, file ranges and a stream, in
 * pieces of every size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/outq.h"

static const char file_bytes[] = "0123456789abcdefghijklmnopqrstuvwxyz";

/* A temporary file holding file_bytes, already unlinked. */
static int temp_file(void)
{
    char path[] = "/tmp/portico-outq-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, file_bytes, sizeof(file_bytes) - 1), (ssize_t)sizeof(file_bytes) - 1);
    return fd;
}

/* head (borrowed) + "xy" (small copy) + file[10..20) + tail (heap copy),
 * taken cap bytes at a time, gives the same bytes for every cap. */
static void test_take_in_pieces(void **state)
{
    static const char head[] = "HTTP/1.1 200 OK\r\n\r\n";
    char tail[100];
    memset(tail, 't', sizeof(tail));
    const char *want_file = file_bytes + 10;
    char want[256];
    size_t wn = 0;
    memcpy(want + wn, head, sizeof(head) - 1), wn += sizeof(head) - 1;
    memcpy(want + wn, "xy", 2), wn += 2;
    memcpy(want + wn, want_file, 10), wn += 10;
    memcpy(want + wn, tail, sizeof(tail)), wn += sizeof(tail);

    for (size_t cap = 1; cap <= wn + 1; cap++) {
        struct outq q;
        outq_init(&q);
        int fd = temp_file();
        assert_int_equal(outq_mem(&q, head, sizeof(head) - 1), 0);
        assert_int_equal(outq_copy(&q, "xy", 2), 0);
        assert_int_equal(outq_file(&q, fd, 10, 10, true), 0);
        assert_int_equal(outq_copy(&q, tail, sizeof(tail)), 0);
        char got[256];
        size_t gn = 0;
        long n;
        char buf[256];
        while ((n = outq_take(&q, buf, cap)) > 0) {
            assert_true((size_t)n <= cap);
            memcpy(got + gn, buf, (size_t)n);
            gn += (size_t)n;
        }
        assert_int_equal(n, 0);
        assert_int_equal(gn, wn);
        assert_memory_equal(got, want, wn);
        assert_true(outq_empty(&q));
        outq_clear(&q); /* the owned file was closed when taken whole */
    }
}

/* Taking stops at an open stream; what the source queues before it is
 * taken next; a closed stream lets the queue empty. */
static void test_take_stops_at_stream(void **state)
{
    struct outq q;
    outq_init(&q);
    assert_int_equal(outq_mem(&q, "head", 4), 0);
    assert_int_equal(outq_stream_open(&q), 0);
    char buf[64];
    assert_int_equal(outq_take(&q, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "head", 4);
    assert_int_equal(outq_take(&q, buf, sizeof(buf)), 0);
    assert_false(outq_empty(&q));
    assert_int_equal(outq_mem(&q, "piece", 5), 0);
    assert_int_equal(outq_take(&q, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "piece", 5);
    outq_stream_close(&q);
    assert_int_equal(outq_take(&q, buf, sizeof(buf)), 0);
    assert_true(outq_empty(&q));
    outq_clear(&q);
}

/* A file shorter than its range: -1 (the framing would be lost). */
static void test_take_short_file(void **state)
{
    struct outq q;
    outq_init(&q);
    int fd = temp_file();
    assert_int_equal(outq_file(&q, fd, 30, 20, true), 0); /* 6 bytes there, 20 asked */
    char buf[64];
    assert_int_equal(outq_take(&q, buf, sizeof(buf)), -1);
    outq_clear(&q);
}

/* An empty queue holds no array: not before the first append, not once
 * everything was taken (through growth past the first array, and a stream
 * at the tail that chunks are queued in front of), not after a clear. */
static void test_empty_queue_holds_nothing(void **state)
{
    struct outq q;
    outq_init(&q);
    assert_null(q.v);
    char want[200], buf[256];
    assert_int_equal(outq_stream_open(&q), 0);
    for (int i = 0; i < 100; i++) {
        want[i] = (char)('a' + i % 26);
        assert_int_equal(i % 2 ? outq_copy(&q, &want[i], 1) : outq_mem(&q, &want[i], 1), 0);
    }
    assert_true(q.cap >= 101);
    assert_int_equal(outq_take(&q, buf, sizeof(buf)), 100);
    assert_memory_equal(buf, want, 100);
    assert_non_null(q.v); /* the open stream is still queued */
    outq_stream_close(&q);
    assert_true(outq_empty(&q));
    assert_null(q.v);

    assert_int_equal(outq_mem(&q, "x", 1), 0);
    assert_non_null(q.v);
    assert_int_equal(outq_take(&q, buf, sizeof(buf)), 1);
    assert_null(q.v);
    assert_int_equal(outq_copy(&q, want, sizeof(want)), 0);
    outq_clear(&q);
    assert_null(q.v);
    assert_int_equal(q.copied, 0);
    outq_cache_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_in_pieces),
        cmocka_unit_test(test_take_stops_at_stream),
        cmocka_unit_test(test_take_short_file),
        cmocka_unit_test(test_empty_queue_holds_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
