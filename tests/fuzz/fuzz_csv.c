/* libFuzzer target for io/csv. Beyond "no crash, no leak, no hang" it checks
 * the reader's promises: the same records (fields, numbers, lines, offsets)
 * and the same error whatever the read sizes, offsets that tile the input,
 * and that resuming with skip_to at any record end yields the rest unchanged. */
#include "io/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct src {
    const uint8_t *data;
    size_t len, pos, chunk;
} src;

static ssize_t src_read(void *ctx, void *buf, size_t len, impex_err *err)
{
    (void)err;
    src *s = ctx;
    size_t n = s->len - s->pos;
    if (n > len) n = len;
    if (n > s->chunk) n = s->chunk;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (ssize_t)n;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#define MAX_ROWS 4096

typedef struct run {
    uint64_t hash[MAX_ROWS]; /* per record */
    uint64_t end[MAX_ROWS];
    uint64_t next_line[MAX_ROWS];
    size_t n;
    int rc;
    impex_err err;
} run;

static void check(int ok)
{
    if (!ok) __builtin_trap();
}

/* Reads everything; checks per-record invariants on the way. */
static void drain(impex_csv *c, const src *s, run *r, uint64_t prev_end, uint64_t number)
{
    r->n = 0;
    impex_err_clear(&r->err);
    for (;;) {
        impex_row *row;
        int rc = impex_csv_next(c, &row, &r->err);
        if (rc || !row) {
            r->rc = rc;
            check(rc == 0 || (rc == r->err.code && !row));
            /* Finished readers stay finished. */
            impex_err again;
            check(impex_csv_next(c, &row, &again) == rc && !row);
            return;
        }
        check(row->number == number++);
        check(row->offset >= prev_end && row->offset < row->end);
        check(row->end <= impex_csv_bytes_read(c) && row->end <= s->len);
        check(row->nfields >= 1);
        prev_end = row->end;
        uint64_t h = fnv(14695981039346656037ull, &row->number, sizeof row->number);
        h = fnv(h, &row->line, sizeof row->line);
        h = fnv(h, &row->offset, sizeof row->offset);
        h = fnv(h, &row->end, sizeof row->end);
        h = fnv(h, &row->next_line, sizeof row->next_line);
        for (size_t i = 0; i < row->nfields; i++) {
            check(row->fields[i].ptr[row->fields[i].len] == '\0');
            h = fnv(h, &row->fields[i].len, sizeof row->fields[i].len);
            h = fnv(h, row->fields[i].ptr, row->fields[i].len);
        }
        if (r->n < MAX_ROWS) {
            r->hash[r->n] = h;
            r->end[r->n] = row->end;
            r->next_line[r->n] = row->next_line;
            r->n++;
        }
    }
}

static void same_end(const run *a, const run *b)
{
    check(a->rc == b->rc);
    if (a->rc > 1) {
        check(a->err.row == b->err.row && a->err.line == b->err.line);
        check(a->err.column == b->err.column);
        check(strcmp(a->err.msg, b->err.msg) == 0);
    }
}

static run runs[3];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t b0 = data[0], b1 = data[1];
    data += 2;
    size -= 2;
    static const char delims[] = {',', ';', '\t', '|'};
    impex_csv_opts o = {.max_row_bytes = (b0 & 0x40) ? 16 + (size_t)b1 * 4 : 0,
                        .delimiter = delims[(b0 >> 4) & 3]};
    size_t small = 1 + (b0 & 15);

    /* Pass 0: small reads; pass 1: 64 KiB reads. */
    for (int p = 0; p < 2; p++) {
        src s = {data, size, 0, p == 0 ? small : 65536};
        impex_csv *c;
        impex_err err;
        check(impex_csv_open(src_read, &s, &o, &c, &err) == 0);
        drain(c, &s, &runs[p], 0, 1);
        impex_csv_close(c);
    }
    check(runs[0].n == runs[1].n);
    check(memcmp(runs[0].hash, runs[1].hash, runs[0].n * sizeof runs[0].hash[0]) == 0);
    same_end(&runs[0], &runs[1]);

    /* Resume after record k: the rest must be identical. */
    if (runs[0].n > 0 && runs[0].n < MAX_ROWS) {
        size_t k = b1 % runs[0].n;
        uint64_t off = runs[0].end[k];
        src s = {data, size, 0, small};
        impex_csv *c;
        impex_err err;
        check(impex_csv_open(src_read, &s, &o, &c, &err) == 0);
        check(impex_csv_skip_to(c, off, k + 2, runs[0].next_line[k], &err) == 0);
        drain(c, &s, &runs[2], off, k + 2);
        impex_csv_close(c);
        check(runs[2].n == runs[0].n - k - 1);
        check(memcmp(runs[2].hash, runs[0].hash + k + 1, runs[2].n * sizeof runs[0].hash[0]) == 0);
        same_end(&runs[0], &runs[2]);
    }
    return 0;
}
