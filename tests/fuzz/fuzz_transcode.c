/* libFuzzer target for io/transcode. The first byte picks the encoding asked
 * for; the rest is the file. Checks that the streaming transcoder fed and
 * drained one byte at a time gives exactly what it gives with the whole file
 * in one read, that both equal an independent decoder (BOM rule, UTF-16
 * surrogates, the 0xFF/0xFE markers for invalid input), that every output
 * offset maps back to the source offset the decoder says, and that the CSV
 * reader over it resumes after a record with exactly the records that
 * follow (same fields, same source offsets). */
#include "io/transcode.h"

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

static const impex_encoding asked_of[] = {IMPEX_ENC_UTF8,  IMPEX_ENC_UTF16LE, IMPEX_ENC_UTF16BE,
                                          IMPEX_ENC_UTF16, IMPEX_ENC_CP1252,  IMPEX_ENC_LATIN1};

/* windows-1252 0x80-0x9F (0 = undefined). */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

typedef struct ref {
    uint8_t *out;
    uint64_t *src; /* src[k]: source offset once output byte k-1 is read */
    size_t n;
} ref;

static void put(ref *r, const uint8_t *b, size_t n, uint64_t src_end)
{
    for (size_t i = 0; i < n; i++) {
        r->out[r->n++] = b[i];
        r->src[r->n] = src_end;
    }
}

static void put_cp(ref *r, uint32_t c, uint64_t src_end)
{
    uint8_t b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (uint8_t)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xC0 | c >> 6);
        b[1] = (uint8_t)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (uint8_t)(0xE0 | c >> 12);
        b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | c >> 18);
        b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (uint8_t)(0x80 | (c & 0x3F));
        n = 4;
    }
    put(r, b, n, src_end);
}

/* The decoder the transcoder must agree with, written without iconv. */
static void decode(const uint8_t *d, size_t len, impex_encoding asked, ref *r)
{
    impex_encoding enc = asked == IMPEX_ENC_UTF16 ? IMPEX_ENC_UTF16LE : asked;
    size_t i = 0;
    r->n = 0;
    if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
        enc = IMPEX_ENC_UTF8;
    } else if (len >= 2 && ((d[0] == 0xFF && d[1] == 0xFE) || (d[0] == 0xFE && d[1] == 0xFF))) {
        enc = d[0] == 0xFF ? IMPEX_ENC_UTF16LE : IMPEX_ENC_UTF16BE;
        i = 2;
    }
    r->src[0] = i;
    if (enc == IMPEX_ENC_UTF8) {
        for (; i < len; i++)
            put(r, d + i, 1, i + 1);
        return;
    }
    static const uint8_t bad_unit = IMPEX_TRANSCODE_BAD_UNIT, bad_byte = IMPEX_TRANSCODE_BAD_BYTE;
    if (enc == IMPEX_ENC_CP1252 || enc == IMPEX_ENC_LATIN1) {
        for (; i < len; i++) {
            uint32_t c = d[i];
            if (enc == IMPEX_ENC_CP1252 && c >= 0x80 && c < 0xA0) c = cp1252_hi[c - 0x80];
            if (c == 0 && d[i] != 0)
                put(r, &bad_unit, 1, i + 1);
            else
                put_cp(r, c, i + 1);
        }
        return;
    }
    int be = enc == IMPEX_ENC_UTF16BE;
    while (i < len) {
        if (len - i < 2) {
            put(r, &bad_byte, 1, i + 1);
            break;
        }
        uint32_t u = be ? (uint32_t)(d[i] << 8 | d[i + 1]) : (uint32_t)(d[i + 1] << 8 | d[i]);
        if (u >= 0xD800 && u < 0xDC00 && len - i >= 4) {
            uint32_t v =
                be ? (uint32_t)(d[i + 2] << 8 | d[i + 3]) : (uint32_t)(d[i + 3] << 8 | d[i + 2]);
            if (v >= 0xDC00 && v < 0xE000) {
                put_cp(r, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00), i + 4);
                i += 4;
                continue;
            }
        }
        if (u >= 0xD800 && u < 0xE000)
            put(r, &bad_unit, 1, i + 2);
        else
            put_cp(r, u, i + 2);
        i += 2;
    }
}

/* Transcodes through `chunk`-byte source reads and `drain`-byte output
 * reads; checks every mapped offset against the reference. Returns bytes. */
static size_t run(const uint8_t *d, size_t len, impex_encoding asked, size_t chunk, size_t drain,
                  uint8_t *out, const ref *r)
{
    src s = {d, len, 0, chunk};
    impex_transcode *tc;
    if (impex_transcode_open(src_read, &s, asked, &tc, NULL)) abort();
    size_t n = 0;
    for (;;) {
        ssize_t k = impex_transcode_read(tc, out + n, drain, NULL);
        if (k < 0) abort();
        if (k == 0) break;
        n += (size_t)k;
        if (n > r->n) abort();
        uint64_t at;
        if (impex_transcode_map(tc, n, &at, NULL)) abort();
        if (at != r->src[n]) abort();
    }
    impex_transcode_close(tc);
    return n;
}

#define MAX_ROWS 256

typedef struct rows {
    uint64_t hash[MAX_ROWS], offset[MAX_ROWS], end[MAX_ROWS];
    impex_token after[MAX_ROWS];
    size_t n;
} rows;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Reads records through the CSV reader over the transcoder (after seeking
 * to `from` when not NULL); 0 when every record was read without error. */
static int read_rows(const uint8_t *d, size_t len, impex_encoding asked, size_t chunk,
                     const impex_token *from, rows *out)
{
    src s = {d, len, 0, chunk};
    impex_transcode *tc;
    impex_reader *r;
    impex_row *row;
    if (impex_transcode_open(src_read, &s, asked, &tc, NULL)) abort();
    if (impex_reader_open_transcoded(tc, NULL, &r, NULL)) abort();
    int rc = 0;
    out->n = 0;
    if (from) {
        if (impex_reader_next(r, &row, NULL) || !row) abort(); /* the header, again */
        if (impex_reader_seek(r, from, NULL)) abort();
    }
    while (!(rc = impex_reader_next(r, &row, NULL)) && row && out->n < MAX_ROWS) {
        uint64_t h = 14695981039346656037ull;
        for (size_t f = 0; f < row->nfields; f++)
            h = fnv(fnv(h, row->fields[f].ptr, row->fields[f].len), "|", 1);
        out->hash[out->n] = h;
        out->offset[out->n] = row->offset;
        out->end[out->n] = row->end;
        out->after[out->n++] = row->after;
    }
    impex_reader_close(r);
    return rc || out->n == MAX_ROWS;
}

/* Resuming after record k gives the records an uninterrupted read gives. */
static void check_resume(const uint8_t *d, size_t len, impex_encoding asked)
{
    static rows all, rest;
    if (read_rows(d, len, asked, 4096, NULL, &all) || all.n < 2) return;
    size_t ks[] = {0, all.n / 2, all.n - 1};
    for (size_t i = 0; i < 3; i++) {
        size_t k = ks[i];
        if (read_rows(d, len, asked, 7, &all.after[k], &rest)) abort();
        if (rest.n != all.n - k - 1) abort();
        for (size_t j = 0; j < rest.n; j++)
            if (rest.hash[j] != all.hash[k + 1 + j] || rest.offset[j] != all.offset[k + 1 + j] ||
                rest.end[j] != all.end[k + 1 + j])
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    impex_encoding asked = asked_of[data[0] % (sizeof asked_of / sizeof *asked_of)];
    const uint8_t *d = data + 1;
    size_t len = size - 1;
    ref r = {malloc(len * 4 + 1), malloc((len * 4 + 2) * sizeof(uint64_t)), 0};
    uint8_t *a = malloc(len * 4 + 1), *b = malloc(len * 4 + 1);
    if (!r.out || !r.src || !a || !b) abort();
    decode(d, len, asked, &r);
    size_t na = run(d, len, asked, 1, 1, a, &r);
    size_t nb = run(d, len, asked, len ? len : 1, len * 4 + 1, b, &r);
    if (na != r.n || nb != r.n || memcmp(a, r.out, na) || memcmp(b, r.out, nb)) abort();
    check_resume(d, len, asked);
    free(r.out);
    free(r.src);
    free(a);
    free(b);
    return 0;
}
