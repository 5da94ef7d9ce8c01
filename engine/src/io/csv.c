/* Streaming CSV reader: libcsv does the tokenising, this file adds byte
 * offsets, line numbers, limits and precise errors.
 *
 * libcsv is fed one segment at a time, each ending just after the next CR or
 * LF byte (or at the end of the buffered data). Only a CR/LF can end a
 * record, so at most one record ends per segment and, when one does, it ends
 * exactly at the segment's end: that is how row.end is known without
 * re-scanning. */
#include "io/csv.h"
#include "core/buf.h"

#include <csv.h> /* libcsv (angle brackets: "csv.h" would find io/csv.h) */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)
#define DEFAULT_MAX_ROW ((size_t)16 * 1024 * 1024)
/* Each field costs an index entry: a 16 MiB record of commas would otherwise
 * need 256 MiB of them. No commerce layout comes near this many columns. */
#define MAX_FIELDS 10000
#define PARSER_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)
#define UNKNOWN SIZE_MAX

enum { RUNNING, DONE, FAILED };

struct impex_csv {
    impex_read_fn rd;
    void *ctx;
    size_t max_row;
    char delim;
    char quote;
    unsigned char special[256]; /* the bytes that end plain text: delimiter, quote, CR, LF */
    struct csv_parser parser;

    char *buf; /* CHUNK bytes; unread input is buf[pos, len) */
    size_t pos, len;
    uint64_t base;        /* stream offset of buf[0] */
    unsigned char before; /* the byte at base - 1 (when base > 0) */
    size_t next_lf;       /* cached index of the next LF at/after pos, len if none */
    size_t next_cr;       /* same for CR; UNKNOWN after the buffer changed */
    int eof;
    int bom_done;

    int state;
    int deferred; /* a read failed after a record was complete: fail on the next call */
    impex_err fail;

    uint64_t line; /* physical line of buf[pos] */
    int prev_cr;   /* the byte before buf[pos] is a CR (a following LF ends no line) */

    int in_row;
    int row_done; /* libcsv reported the end of the record */
    int oom;      /* a callback could not allocate */
    int too_wide; /* a record has more than MAX_FIELDS fields */
    uint64_t number;
    uint64_t row_off, row_line;
    uint64_t seg_line;   /* line the segment being parsed starts on */
    uint64_t field_line; /* line the field being parsed starts on */

    impex_buf arena;    /* the record's fields, each NUL-terminated */
    impex_buf unquoted; /* a quoted field's text with its doubled quotes made single */
    impex_field *fields;
    size_t nfields, fcap;
    impex_row row;
};

/* RFC 4180 keeps spaces: nothing is trimmed. */
static int no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static void on_field(void *s, size_t len, void *data)
{
    impex_csv *c = data;
    if (c->oom || c->too_wide) return;
    if (c->nfields == MAX_FIELDS) {
        c->too_wide = 1;
        return;
    }
    if (c->nfields == c->fcap) {
        size_t cap = c->fcap ? c->fcap * 2 : 32;
        impex_field *f = realloc(c->fields, cap * sizeof *f);
        if (!f) {
            c->oom = 1;
            return;
        }
        c->fields = f;
        c->fcap = cap;
    }
    if (impex_buf_reserve(&c->arena, len + 1)) {
        c->oom = 1;
        return;
    }
    char *dst = c->arena.ptr + c->arena.len;
    if (len) memcpy(dst, s, len);
    dst[len] = '\0';
    c->arena.len += len + 1;
    c->arena.ptr[c->arena.len] = '\0';
    /* Pointers are set when the record is complete: the arena may move. */
    c->fields[c->nfields].ptr = NULL;
    c->fields[c->nfields].len = len;
    c->nfields++;
    /* The next field starts after a delimiter inside this segment, and a
     * segment holds no line end before its last byte. */
    c->field_line = c->seg_line;
}

/* A quoted field's text, its doubled quotes made single, as a field. */
static void quoted_field(impex_csv *c, const char *p, size_t n, int doubled)
{
    if (!doubled) {
        on_field((void *)p, n, c);
        return;
    }
    impex_buf_reset(&c->unquoted);
    for (size_t i = 0; i < n; i++) {
        if (impex_buf_putc(&c->unquoted, p[i])) {
            c->oom = 1;
            return;
        }
        if (p[i] == c->quote) i++; /* the second of a doubled quote */
    }
    on_field(c->unquoted.ptr, c->unquoted.len, c);
}

/* The fast path: a whole record in buf[c->pos, lim), its fields found by a
 * table-driven scan and memchr instead of libcsv's byte-by-byte state
 * machine. Fields are plain text (no quote, CR or LF) or quoted ("a, ""b""",
 * CR and LF allowed inside) and followed by a delimiter or the record's end
 * (CR or LF); exactly what libcsv makes of them. Sets *term to the index of
 * the terminator and *lines to the LFs inside quotes (the lines the record
 * spans before its last). Returns 0 when the record is anything else (a quote
 * inside plain text, text after a closing quote, no end before lim), with
 * nothing added: libcsv then reads it. */
static int split_record(impex_csv *c, size_t lim, size_t *term, uint64_t *lines)
{
    const char *p = c->buf + c->pos, *end = c->buf + lim;
    uint64_t nl = 0;
    for (;;) {
        if (p < end && *p == c->quote) {
            const char *q = p + 1;
            int doubled = 0;
            for (;;) {
                q = memchr(q, c->quote, (size_t)(end - q));
                if (!q || q + 1 == end) goto not_plain; /* open, or its end unseen */
                if (q[1] != c->quote) break;
                doubled = 1;
                q += 2;
            }
            for (const char *lf = p + 1; (lf = memchr(lf, '\n', (size_t)(q - lf))); lf++)
                nl++;
            quoted_field(c, p + 1, (size_t)(q - p - 1), doubled);
            p = q + 1;
            if (*p != c->delim && *p != '\r' && *p != '\n') goto not_plain;
        } else {
            const char *f = p;
            while (f < end && !c->special[(unsigned char)*f])
                f++;
            if (f == end || *f == c->quote) goto not_plain;
            on_field((void *)p, (size_t)(f - p), c);
            p = f;
        }
        if (*p != c->delim) break;
        p++;
    }
    *term = (size_t)(p - c->buf);
    *lines = nl;
    c->row_done = 1;
    return 1;
not_plain:
    c->nfields = 0;
    impex_buf_reset(&c->arena);
    return 0;
}

static void on_row(int ch, void *data)
{
    (void)ch;
    ((impex_csv *)data)->row_done = 1;
}

static int fail(impex_csv *c, impex_err *err)
{
    c->state = FAILED;
    if (err) *err = c->fail;
    return c->fail.code;
}

/* Moves the unread bytes to the front and reads more after them. */
static int refill(impex_csv *c)
{
    if (c->pos > 0) {
        c->before = (unsigned char)c->buf[c->pos - 1];
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->base += c->pos;
        c->len -= c->pos;
        c->pos = 0;
    }
    c->next_lf = c->next_cr = UNKNOWN;
    if (c->len == CHUNK) return 0;
    impex_err_clear(&c->fail);
    ssize_t n = c->rd(c->ctx, c->buf + c->len, CHUNK - c->len, &c->fail);
    if (n < 0) {
        if (!c->fail.code) c->fail.code = IMPEX_EIO;
        if (!c->fail.msg[0]) impex_err_set(&c->fail, c->fail.code, "read error");
        return c->fail.code;
    }
    if (n == 0) c->eof = 1;
    c->len += (size_t)n;
    return 0;
}

/* Index of the next CR or LF at or after `from`, or len. */
static size_t find_term(impex_csv *c, size_t from)
{
    if (c->next_lf == UNKNOWN || c->next_lf < from) {
        const char *q = memchr(c->buf + from, '\n', c->len - from);
        c->next_lf = q ? (size_t)(q - c->buf) : c->len;
    }
    if (c->next_cr == UNKNOWN || c->next_cr < from) {
        const char *q = memchr(c->buf + from, '\r', c->len - from);
        c->next_cr = q ? (size_t)(q - c->buf) : c->len;
    }
    return c->next_lf < c->next_cr ? c->next_lf : c->next_cr;
}

static void start_row(impex_csv *c)
{
    c->in_row = 1;
    c->row_done = 0;
    c->row_off = c->base + c->pos;
    c->row_line = c->field_line = c->line;
    c->nfields = 0;
    impex_buf_reset(&c->arena);
}

static int emit(impex_csv *c, impex_row **out, uint64_t end)
{
    const char *p = c->arena.ptr;
    for (size_t i = 0; i < c->nfields; i++) {
        c->fields[i].ptr = p;
        p += c->fields[i].len + 1;
    }
    c->row.fields = c->fields;
    c->row.nfields = c->nfields;
    c->row.number = c->number++;
    c->row.line = c->row_line;
    c->row.offset = c->row_off;
    c->row.end = end;
    c->row.next_line = c->line;
    c->row.after = (impex_token){{end, c->number, c->line}};
    c->in_row = 0;
    c->row_done = 0;
    *out = &c->row;
    return IMPEX_OK;
}

/* Fills c->fail with a parse error located at the current record. */
static int parse_error(impex_csv *c, impex_err *err, int at_end)
{
    if (c->too_wide) {
        impex_err_set(&c->fail, IMPEX_ELIMIT, "record has more than %d fields", MAX_FIELDS);
    } else if (csv_error(&c->parser) != CSV_EPARSE || c->oom) {
        impex_err_set(&c->fail, IMPEX_ENOMEM, "out of memory while parsing a CSV record");
    } else if (at_end) {
        impex_err_set(&c->fail, IMPEX_EFORMAT, "unterminated quoted field (opened on line %llu)",
                      (unsigned long long)c->field_line);
    } else {
        impex_err_set(&c->fail, IMPEX_EFORMAT,
                      "malformed quoting: text after a closing quote (a quote inside a quoted "
                      "field must be doubled)");
    }
    c->fail.row = c->number;
    c->fail.line = c->row_line;
    c->fail.column = c->too_wide || c->nfields > (size_t)INT_MAX ? -1 : (int)c->nfields;
    return fail(c, err);
}

static int finish(impex_csv *c, impex_row **out, impex_err *err)
{
    c->state = DONE;
    if (!c->in_row) return 0;
    /* The last record may lack a line end; libcsv completes it here. */
    if (csv_fini(&c->parser, on_field, on_row, c) != 0 || c->oom || c->too_wide)
        return parse_error(c, err, 1);
    if (!c->row_done) {
        c->in_row = 0;
        return 0;
    }
    return emit(c, out, c->base + c->len);
}

int impex_csv_open(impex_read_fn rd, void *ctx, const impex_csv_opts *opts, impex_csv **out,
                   impex_err *err)
{
    if (out) *out = NULL;
    if (!rd || !out) return impex_err_set(err, IMPEX_EUSAGE, "csv reader needs a byte source");
    char delim = opts && opts->delimiter ? opts->delimiter : ',';
    char quote = opts && opts->quote ? opts->quote : '"';
    if (delim == quote)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "the CSV delimiter and quote are the same character (0x%02x)",
                             (unsigned)(unsigned char)delim);
    if (delim == '\r' || delim == '\n')
        return impex_err_set(err, IMPEX_EUSAGE, "invalid CSV delimiter 0x%02x",
                             (unsigned)(unsigned char)delim);
    if (quote == '\r' || quote == '\n')
        return impex_err_set(err, IMPEX_EUSAGE, "invalid CSV quote 0x%02x",
                             (unsigned)(unsigned char)quote);

    impex_csv *c = calloc(1, sizeof *c);
    if (!c) goto nomem;
    c->buf = malloc(CHUNK);
    if (!c->buf) goto nomem;
    c->rd = rd;
    c->ctx = ctx;
    c->max_row = opts && opts->max_row_bytes ? opts->max_row_bytes : DEFAULT_MAX_ROW;
    csv_init(&c->parser, PARSER_OPTS);
    csv_set_space_func(&c->parser, no_space);
    csv_set_delim(&c->parser, (unsigned char)delim);
    csv_set_quote(&c->parser, (unsigned char)quote);
    c->delim = delim;
    c->quote = quote;
    c->special[(unsigned char)delim] = c->special[(unsigned char)quote] = c->special['\r'] =
        c->special['\n'] = 1;
    c->next_lf = c->next_cr = UNKNOWN;
    c->line = 1;
    c->number = 1;
    impex_err_clear(&c->fail);
    *out = c;
    return 0;

nomem:
    free(c);
    return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
}

int impex_csv_next(impex_csv *c, impex_row **row, impex_err *err)
{
    *row = NULL;
    if (c->deferred) {
        c->deferred = 0;
        return fail(c, err);
    }
    if (c->state == FAILED) return fail(c, err);
    if (c->state == DONE) return 0;

    for (;;) {
        if (c->pos == c->len) {
            if (c->eof) return finish(c, row, err);
            if (refill(c)) return fail(c, err);
            continue;
        }
        if (!c->bom_done) {
            /* A BOM may arrive split over several reads. */
            if (c->len - c->pos < 3 && !c->eof) {
                if (refill(c)) return fail(c, err);
                continue;
            }
            c->bom_done = 1;
            if (c->base + c->pos == 0 && c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
                c->pos = 3;
            continue;
        }
        if (!c->in_row) {
            /* Blank lines: libcsv would ignore them; skipping here finds the
             * record's first byte and counts the lines on the way. */
            const char *b = c->buf;
            size_t i = c->pos;
            while (i < c->len && (b[i] == '\n' || b[i] == '\r')) {
                if (b[i] == '\r' || !c->prev_cr) c->line++;
                c->prev_cr = b[i] == '\r';
                i++;
            }
            c->pos = i;
            if (i == c->len) continue;
            start_row(c);
        }

        /* Never feed a record more than max_row bytes, so where it fails does
         * not depend on how the source happened to split its reads. */
        uint64_t limit =
            c->max_row > UINT64_MAX - c->row_off ? UINT64_MAX : c->row_off + c->max_row;
        size_t t, end, seg;
        uint64_t inner_lines;
        size_t lim = c->base + c->len > limit ? (size_t)(limit - c->base) : c->len;
        if (c->parser.pstate == 0 && c->nfields == 0 && lim > c->pos &&
            split_record(c, lim, &t, &inner_lines)) {
            /* libcsv between records, and the whole record in the buffer */
            if (c->oom || c->too_wide) return parse_error(c, err, 0);
            c->line += inner_lines;
            end = t + 1;
            seg = end - c->pos;
            goto terminated;
        }
        t = find_term(c, c->pos);
        end = t < c->len ? t + 1 : c->len;
        if (c->base + end > limit) {
            if (c->base + c->pos >= limit) {
                impex_err_set(&c->fail, IMPEX_ELIMIT,
                              "record starting on line %llu exceeds %zu bytes (unterminated "
                              "quote?)",
                              (unsigned long long)c->row_line, c->max_row);
                c->fail.row = c->number;
                c->fail.line = c->row_line;
                c->fail.column = -1;
                return fail(c, err);
            }
            end = (size_t)(limit - c->base);
        }

        /* libcsv grows its field buffer by a fixed block: make it geometric. */
        size_t bsz = csv_get_buffer_size(&c->parser);
        csv_set_blk_size(&c->parser, bsz < 4096 ? 4096 : bsz);
        c->seg_line = c->line;
        seg = end - c->pos;
        for (size_t done = 0;;) {
            done += csv_parse(&c->parser, c->buf + c->pos + done, seg - done, on_field, on_row, c);
            if (c->oom || c->too_wide) return parse_error(c, err, 0);
            if (done == seg) break;
            /* Strict mode also stops at a quote inside an unquoted field; RFC
             * 4180 forbids it, but `27" monitor` is common (and csv-spectrum
             * expects it kept): feed it again as plain text. Only text after
             * a closing quote stays an error. */
            if (csv_error(&c->parser) != CSV_EPARSE || c->buf[c->pos + done] != c->quote)
                return parse_error(c, err, 0);
            csv_set_quote(&c->parser, 0);
            size_t q = csv_parse(&c->parser, &c->quote, 1, on_field, on_row, c);
            csv_set_quote(&c->parser, (unsigned char)c->quote);
            if (q != 1) return parse_error(c, err, 0); /* out of memory */
            done++;
        }

    terminated:;
        int cr_end = 0;
        if (end == t + 1) {
            if (c->buf[t] == '\r' && !c->row_done && c->parser.quoted && c->parser.pstate == 2) {
                /* A lone CR inside quotes separates multi-values; it starts no
                 * line in an editor (a CRLF there still counts once, by its LF). */
            } else if (c->buf[t] == '\r') {
                c->line++;
                cr_end = 1;
            } else if (!(c->prev_cr && seg == 1)) {
                c->line++;
            }
        }
        c->prev_cr = cr_end;
        c->pos = end;
        if (!c->row_done) continue;

        /* A record ended by CR: the LF of a CRLF belongs to its line end. */
        if (cr_end) {
            if (c->pos == c->len && !c->eof && refill(c)) c->deferred = 1;
            if (c->pos < c->len && c->buf[c->pos] == '\n') {
                c->pos++;
                c->prev_cr = 0;
            }
        }
        return emit(c, row, c->base + c->pos);
    }
}

int impex_csv_skip_to(impex_csv *c, uint64_t offset, uint64_t next_number, uint64_t next_line,
                      impex_err *err)
{
    if (c->deferred) {
        c->deferred = 0;
        return fail(c, err);
    }
    if (c->state == FAILED) return fail(c, err);
    if (offset < c->base) {
        /* Not fatal: the reader is unchanged. */
        return impex_err_set(err, IMPEX_EUSAGE,
                             "cannot resume at byte %llu: the input was already read up to "
                             "byte %llu",
                             (unsigned long long)offset, (unsigned long long)c->base);
    }
    while (c->base + c->len < offset) {
        if (c->eof) {
            impex_err_set(&c->fail, IMPEX_EUSAGE,
                          "cannot resume at byte %llu: the input ends at byte %llu",
                          (unsigned long long)offset, (unsigned long long)(c->base + c->len));
            return fail(c, err);
        }
        c->pos = c->len; /* discarded unparsed */
        if (refill(c)) return fail(c, err);
    }
    c->pos = (size_t)(offset - c->base);
    c->next_lf = c->next_cr = UNKNOWN;
    if (c->pos > 0)
        c->prev_cr = c->buf[c->pos - 1] == '\r';
    else
        c->prev_cr = c->base > 0 && c->before == '\r';
    c->bom_done = offset > 0;

    /* Back to a fresh row: without STRICT_FINI, csv_fini just resets. */
    csv_set_opts(&c->parser, PARSER_OPTS & ~CSV_STRICT_FINI);
    csv_fini(&c->parser, NULL, NULL, NULL);
    csv_set_opts(&c->parser, PARSER_OPTS);
    c->in_row = 0;
    c->row_done = 0;
    c->nfields = 0;
    c->number = next_number;
    c->line = next_line;
    c->state = RUNNING;
    return 0;
}

uint64_t impex_csv_bytes_read(const impex_csv *c)
{
    return c->base + c->len;
}

void impex_csv_close(impex_csv *c)
{
    if (!c) return;
    csv_free(&c->parser);
    impex_buf_free(&c->arena);
    impex_buf_free(&c->unquoted);
    free(c->fields);
    free(c->buf);
    free(c);
}

/* --- the reader interface ----------------------------------------------- */

static int csv_next(void *impl, impex_row **row, impex_err *err)
{
    return impex_csv_next(impl, row, err);
}

static int csv_seek(void *impl, const impex_token *t, impex_err *err)
{
    return impex_csv_skip_to(impl, t->pos[0], t->pos[1], t->pos[2], err);
}

static uint64_t csv_bytes(const void *impl)
{
    return impex_csv_bytes_read(impl);
}

static void csv_close(void *impl)
{
    impex_csv_close(impl);
}

static const impex_reader_ops csv_ops = {"csv", csv_next, csv_seek, csv_bytes, csv_close};

int impex_reader_open_csv(impex_read_fn rd, void *ctx, const impex_csv_opts *opts,
                          impex_reader **out, impex_err *err)
{
    impex_reader *r = calloc(1, sizeof *r);
    if (!r) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    impex_csv *c;
    int rc = impex_csv_open(rd, ctx, opts, &c, err);
    if (rc) {
        free(r);
        return rc;
    }
    r->ops = &csv_ops;
    r->impl = c;
    *out = r;
    return IMPEX_OK;
}
