/* Unit tests for io/transcode: UTF-16 and single-byte files read as UTF-8
 * rows whose offsets and resume tokens count the ORIGINAL bytes, resume from
 * every row, the BOM rule, and the markers for invalid input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "io/transcode.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_src {
    const char *data;
    size_t len, pos, chunk;
} mem_src;

static ssize_t mem_read(void *ctx, void *buf, size_t len, impex_err *err)
{
    (void)err;
    mem_src *m = ctx;
    size_t n = m->len - m->pos;
    if (n > len) n = len;
    if (n > m->chunk) n = m->chunk;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

/* s (UTF-8) converted to `to` with iconv, appended to out. */
static void encode(const char *to, const char *s, impex_buf *out)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t il = strlen(s), ol = il * 4 + 8;
    assert_int_equal(impex_buf_reserve(out, ol), 0);
    char *ip = (char *)s, *op = out->ptr + out->len;
    assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    out->len = (size_t)(op - out->ptr);
    iconv_close(cd);
}

/* A file of `lines` (UTF-8 text, each with its line end) in `to`, after
 * `prefix`; ends[i] = the source offset just past line i. */
static void build(const char *to, const char *prefix, size_t plen, const char *const *lines,
                  size_t n, impex_buf *file, uint64_t *ends)
{
    impex_buf_reset(file);
    assert_int_equal(impex_buf_append(file, prefix, plen), 0);
    for (size_t i = 0; i < n; i++) {
        encode(to, lines[i], file);
        ends[i] = file->len;
    }
}

typedef struct got {
    char text[256]; /* fields joined by '|' */
    uint64_t offset, end;
    impex_token after;
} got;

static void put_row(const impex_row *row, got *g)
{
    size_t k = 0;
    for (size_t f = 0; f < row->nfields; f++)
        k += (size_t)snprintf(g->text + k, sizeof g->text - k, "%s%.*s", f ? "|" : "",
                              (int)row->fields[f].len, row->fields[f].ptr);
    g->offset = row->offset;
    g->end = row->end;
    g->after = row->after;
}

static impex_reader *open_reader(mem_src *m, impex_encoding enc, char delim)
{
    impex_transcode *tc;
    impex_reader *r;
    impex_csv_opts o = {.delimiter = delim};
    assert_int_equal(impex_transcode_open(mem_read, m, enc, &tc, NULL), 0);
    assert_int_equal(impex_reader_open_transcoded(tc, &o, &r, NULL), 0);
    return r;
}

/* Reads every record; returns how many. */
static size_t read_all(impex_reader *r, got *out, size_t max)
{
    size_t n = 0;
    impex_row *row;
    impex_err e;
    for (;;) {
        assert_int_equal(impex_reader_next(r, &row, &e), 0);
        if (!row) break;
        assert_true(n < max);
        put_row(row, &out[n++]);
    }
    return n;
}

static void test_utf16_offsets(void **state)
{
    (void)state;
    const char *lines[] = {"Code\tName\r\n", "1\tGrüße\r\n",      "2\t😀 face\r\n",
                           "\r\n",           "3\t\"a\ttab\"\r\n", "4\tend"};
    static const char *const encs[] = {"UTF-16LE", "UTF-16BE"};
    impex_buf file = {0};
    uint64_t ends[6];
    for (int e = 0; e < 2; e++) {
        const char *bom = e == 0 ? "\xFF\xFE" : "\xFE\xFF";
        build(encs[e], bom, 2, lines, 6, &file, ends);
        for (size_t chunk = 1; chunk <= 4096; chunk *= 8) {
            mem_src m = {file.ptr, file.len, 0, chunk};
            impex_reader *r = open_reader(&m, IMPEX_ENC_UTF16, '\t');
            got g[8];
            assert_int_equal(read_all(r, g, 8), 5);
            assert_string_equal(g[0].text, "Code|Name");
            assert_int_equal(g[0].offset, 2); /* after the BOM */
            assert_int_equal(g[0].end, ends[0]);
            assert_string_equal(g[1].text, "1|Grüße");
            assert_int_equal(g[1].offset, ends[0]);
            assert_int_equal(g[1].end, ends[1]);
            assert_string_equal(g[2].text, "2|😀 face");
            assert_int_equal(g[2].end, ends[2]);
            assert_string_equal(g[3].text, "3|a\ttab");
            assert_int_equal(g[3].offset, ends[3]); /* past the blank line */
            assert_int_equal(g[3].end, ends[4]);
            assert_int_equal(g[3].after.pos[0], ends[4]);
            assert_int_equal(g[4].end, ends[5]);
            assert_int_equal(impex_reader_bytes_read(r), file.len);
            impex_reader_close(r);
        }
    }
    impex_buf_free(&file);
}

/* Resuming after any record gives exactly the records an uninterrupted
 * read gives after it: near the start (inside what was read ahead) and far
 * beyond it (the source is skipped unconverted). */
static void test_resume_everywhere(void **state)
{
    (void)state;
    enum { N = 6000 };
    impex_buf text = {0}, file = {0};
    static const struct {
        const char *iconv;
        impex_encoding enc;
    } cases[] = {{"UTF-16LE", IMPEX_ENC_UTF16LE},
                 {"UTF-16BE", IMPEX_ENC_UTF16BE},
                 {"WINDOWS-1252", IMPEX_ENC_CP1252}};
    got *all = calloc(N + 2, sizeof *all), *rest = calloc(N + 2, sizeof *rest);
    assert_non_null(all);
    assert_non_null(rest);
    for (size_t c = 0; c < 3; c++) {
        impex_buf_reset(&file);
        impex_buf_reset(&text);
        assert_int_equal(impex_buf_puts(&text, "Code,Name\r\n"), 0);
        for (int i = 0; i < N; i++) /* windows-1252 has no emoji */
            assert_int_equal(impex_buf_printf(&text, "%d,%s%d\r\n", i,
                                              i % 3 == 0   ? "Größe "
                                              : i % 3 == 1 ? (c == 2 ? "€ " : "€ 😀 ")
                                                           : "plain ",
                                              i),
                             0);
        encode(cases[c].iconv, text.ptr, &file);
        size_t rows = N + 1;
        mem_src m = {file.ptr, file.len, 0, 1 << 20};
        impex_reader *r = open_reader(&m, cases[c].enc, ',');
        assert_int_equal(read_all(r, all, N + 2), rows);
        impex_reader_close(r);
        assert_int_equal(all[rows - 1].end, file.len);
        for (size_t k = 0; k < rows; k += (k < 50 ? 1 : 97)) {
            mem_src m2 = {file.ptr, file.len, 0, 3000};
            r = open_reader(&m2, cases[c].enc, ',');
            impex_row *hdr;
            assert_int_equal(impex_reader_next(r, &hdr, NULL), 0);
            impex_err e;
            assert_int_equal(impex_reader_seek(r, &all[k].after, &e), 0);
            size_t n = read_all(r, rest, N + 2);
            assert_int_equal(n, rows - 1 - k);
            for (size_t i = 0; i < n; i++) {
                assert_string_equal(rest[i].text, all[k + 1 + i].text);
                assert_int_equal(rest[i].offset, all[k + 1 + i].offset);
                assert_int_equal(rest[i].end, all[k + 1 + i].end);
            }
            impex_reader_close(r);
        }
    }
    free(all);
    free(rest);
    impex_buf_free(&text);
    impex_buf_free(&file);
}

/* The last record ends the file without a line end, on a character of
 * several UTF-8 bytes: resuming after it finds nothing more. */
static void test_resume_at_the_end(void **state)
{
    (void)state;
    static const char *const encs[] = {"UTF-16LE", "WINDOWS-1252"};
    static const impex_encoding enc[] = {IMPEX_ENC_UTF16LE, IMPEX_ENC_CP1252};
    impex_buf file = {0};
    for (int e = 0; e < 2; e++) {
        impex_buf_reset(&file);
        encode(encs[e], "Code\nGrüße\nü", &file);
        mem_src m = {file.ptr, file.len, 0, 4096};
        impex_reader *r = open_reader(&m, enc[e], ',');
        got g[4];
        assert_int_equal(read_all(r, g, 4), 3);
        assert_int_equal(g[2].end, file.len);
        impex_reader_close(r);
        for (int k = 1; k < 3; k++) {
            mem_src m2 = {file.ptr, file.len, 0, 4096};
            r = open_reader(&m2, enc[e], ',');
            impex_row *hdr;
            assert_int_equal(impex_reader_next(r, &hdr, NULL), 0);
            assert_int_equal(impex_reader_seek(r, &g[k].after, NULL), 0);
            got rest[4];
            assert_int_equal(read_all(r, rest, 4), 2 - (size_t)k);
            if (k == 1) assert_string_equal(rest[0].text, "ü");
            impex_reader_close(r);
        }
    }
    impex_buf_free(&file);
}

static void test_invalid_bytes_marked(void **state)
{
    (void)state;
    /* 0x81 is undefined in windows-1252 */
    const char cp[] = "a,b\nx\x81y,\xe9\n";
    mem_src m = {cp, sizeof cp - 1, 0, 1};
    impex_reader *r = open_reader(&m, IMPEX_ENC_CP1252, ',');
    got g[4];
    assert_int_equal(read_all(r, g, 4), 2);
    assert_string_equal(g[1].text, "x\xFFy|é");
    assert_int_equal(g[1].end, sizeof cp - 1);
    impex_reader_close(r);

    /* a lone high surrogate before 'A', and an odd last byte */
    const char u16[] = "a\0,\0b\0\n\0\x00\xD8"
                       "A\0,\0z\0\n\0q";
    mem_src m2 = {u16, sizeof u16 - 1, 0, 3};
    r = open_reader(&m2, IMPEX_ENC_UTF16LE, ',');
    assert_int_equal(read_all(r, g, 4), 3);
    assert_string_equal(g[1].text, "\xFF"
                                   "A|z");
    assert_int_equal(g[1].end, 18);
    assert_string_equal(g[2].text, "\xFE");
    assert_int_equal(g[2].offset, 18);
    assert_int_equal(g[2].end, 19);
    impex_reader_close(r);
}

static void test_bom_wins(void **state)
{
    (void)state;
    const char u16[] = "\xFF\xFE"
                       "a\0\n\0\xFC\0\n\0";
    mem_src m = {u16, sizeof u16 - 1, 0, 64};
    impex_transcode *tc;
    impex_reader *r;
    assert_int_equal(impex_transcode_open(mem_read, &m, IMPEX_ENC_CP1252, &tc, NULL), 0);
    assert_int_equal(impex_reader_open_transcoded(tc, NULL, &r, NULL), 0);
    got g[4];
    assert_int_equal(read_all(r, g, 4), 2);
    assert_int_equal(impex_transcode_encoding(tc), IMPEX_ENC_UTF16LE);
    assert_string_equal(g[1].text, "ü");
    impex_reader_close(r);

    /* A UTF-8 BOM: the bytes pass through, the CSV reader drops the BOM. */
    const char u8[] = "\xEF\xBB\xBF"
                      "a\n\xC3\xBC\n";
    mem_src m2 = {u8, sizeof u8 - 1, 0, 1};
    assert_int_equal(impex_transcode_open(mem_read, &m2, IMPEX_ENC_LATIN1, &tc, NULL), 0);
    assert_int_equal(impex_reader_open_transcoded(tc, NULL, &r, NULL), 0);
    assert_int_equal(read_all(r, g, 4), 2);
    assert_int_equal(impex_transcode_encoding(tc), IMPEX_ENC_UTF8);
    assert_string_equal(g[0].text, "a");
    assert_int_equal(g[0].offset, 3);
    assert_string_equal(g[1].text, "ü");
    assert_int_equal(g[1].end, sizeof u8 - 1);
    impex_reader_close(r);
}

/* The quote option in both CSV paths: the scan (large reads) and libcsv
 * (1-byte reads), including a quote inside plain text kept as text. */
static void test_other_quote(void **state)
{
    (void)state;
    const char text[] = "a;b\n'x;''y''';27' monitor\n\"q\";'multi\nline'\n";
    for (size_t chunk = 1; chunk <= 4096; chunk *= 4096) {
        mem_src m = {text, sizeof text - 1, 0, chunk};
        impex_transcode *tc;
        impex_reader *r;
        impex_csv_opts o = {.delimiter = ';', .quote = '\''};
        assert_int_equal(impex_transcode_open(mem_read, &m, IMPEX_ENC_UTF8, &tc, NULL), 0);
        assert_int_equal(impex_reader_open_transcoded(tc, &o, &r, NULL), 0);
        got g[4];
        assert_int_equal(read_all(r, g, 4), 3);
        assert_string_equal(g[1].text, "x;'y'|27' monitor");
        assert_string_equal(g[2].text, "\"q\"|multi\nline");
        assert_int_equal(g[2].end, sizeof text - 1);
        impex_reader_close(r);
    }
}

static void test_encoding_names(void **state)
{
    (void)state;
    assert_int_equal(impex_encoding_parse("UTF-16LE"), IMPEX_ENC_UTF16LE);
    assert_int_equal(impex_encoding_parse("windows-1252"), IMPEX_ENC_CP1252);
    assert_int_equal(impex_encoding_parse("latin1"), -1);
    assert_string_equal(impex_encoding_name(IMPEX_ENC_LATIN1), "iso-8859-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf16_offsets),     cmocka_unit_test(test_resume_everywhere),
        cmocka_unit_test(test_resume_at_the_end), cmocka_unit_test(test_invalid_bytes_marked),
        cmocka_unit_test(test_bom_wins),          cmocka_unit_test(test_other_quote),
        cmocka_unit_test(test_encoding_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
