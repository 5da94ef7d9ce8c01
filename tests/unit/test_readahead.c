/* Read-ahead: same bytes in the same order, the source's end and error
 * delivered where they happened, and closing early never hangs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "io/readahead.h"

typedef struct src {
    const char *data;
    size_t len, pos, chunk;
    size_t fail_at; /* report an error once pos reaches this (0 = never) */
} src;

static ssize_t src_read(void *ctx, void *buf, size_t len, impex_err *err)
{
    src *s = ctx;
    if (s->fail_at && s->pos >= s->fail_at) {
        impex_err_set(err, IMPEX_EFORMAT, "corrupt at byte %zu", s->pos);
        return -1;
    }
    size_t n = s->len - s->pos;
    if (n > len) n = len;
    if (n > s->chunk) n = s->chunk;
    if (s->fail_at && s->pos + n > s->fail_at) n = s->fail_at - s->pos;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (ssize_t)n;
}

static char *make_data(size_t n)
{
    char *d = malloc(n);
    for (size_t i = 0; i < n; i++)
        d[i] = (char)(i * 2654435761u >> 13);
    return d;
}

static void same_bytes_any_read_size(void **state)
{
    (void)state;
    size_t n = 3 * 1000 * 1000 + 17;
    char *data = make_data(n), *got = malloc(n);
    size_t reads[] = {1, 4095, 65536, 1 << 20};
    for (size_t r = 0; r < 4; r++) {
        src s = {data, n, 0, 7777, 0};
        impex_readahead *ra;
        impex_err err;
        assert_int_equal(impex_readahead_open(src_read, &s, 100000, &ra, &err), 0);
        size_t total = 0;
        ssize_t k;
        while ((k = impex_readahead_read(
                    ra, got + total, reads[r] < n - total ? reads[r] : n - total + 1, &err)) > 0)
            total += (size_t)k;
        assert_int_equal(k, 0);
        assert_int_equal(impex_readahead_read(ra, got, 10, &err), 0); /* the end stays */
        assert_int_equal(total, n);
        assert_memory_equal(got, data, n);
        impex_readahead_close(ra);
    }
    free(data);
    free(got);
}

static void error_arrives_in_place(void **state)
{
    (void)state;
    size_t n = 1000000;
    char *data = make_data(n), *got = malloc(n);
    src s = {data, n, 0, 50000, 654321};
    impex_readahead *ra;
    impex_err err;
    assert_int_equal(impex_readahead_open(src_read, &s, 0, &ra, &err), 0);
    size_t total = 0;
    ssize_t k;
    while ((k = impex_readahead_read(ra, got + total, 4096, &err)) > 0)
        total += (size_t)k;
    assert_int_equal(k, -1);
    assert_int_equal(total, 654321);
    assert_memory_equal(got, data, total);
    assert_int_equal(err.code, IMPEX_EFORMAT);
    assert_string_equal(err.msg, "corrupt at byte 654321");
    impex_readahead_close(ra);
    free(data);
    free(got);
}

static void close_early_does_not_hang(void **state)
{
    (void)state;
    size_t n = 10 * 1000 * 1000;
    char *data = make_data(n), buf[16];
    for (int i = 0; i < 20; i++) {
        src s = {data, n, 0, 1 << 16, 0};
        impex_readahead *ra;
        impex_err err;
        assert_int_equal(impex_readahead_open(src_read, &s, 4096, &ra, &err), 0);
        if (i % 2) assert_true(impex_readahead_read(ra, buf, sizeof buf, &err) > 0);
        impex_readahead_close(ra); /* the producer may be blocked on a full ring */
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bytes_any_read_size),
        cmocka_unit_test(error_arrives_in_place),
        cmocka_unit_test(close_early_does_not_hang),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
