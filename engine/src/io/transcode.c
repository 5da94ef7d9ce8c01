/* Streaming transcoder (glibc iconv) and the CSV reader over it that counts
 * source bytes. See transcode.h for the rules.
 *
 * Offsets: every UTF-8 byte handed out weighs the source bytes of its code
 * point when it is a lead byte (unit = 1 or 2, 4 for a 4-byte sequence, which
 * only UTF-16 makes) and 0 when a continuation byte. A cursor (cur_out,
 * cur_src) walks the output behind the consumer, over a ring holding the
 * last RING bytes handed out; the CSV reader never asks about bytes older
 * than its own 64 KiB buffer, so the ring is enough and memory stays fixed. */
#include "io/transcode.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IN_SIZE (64 * 1024)
#define OUT_SIZE (64 * 1024)
#define RING (128 * 1024)

static const struct {
    const char *name;  /* as the descriptor and the CLI spell it */
    const char *iconv; /* as glibc's iconv does */
} encodings[] = {
    [IMPEX_ENC_UTF8] = {"utf-8", "UTF-8"},
    [IMPEX_ENC_UTF16LE] = {"utf-16le", "UTF-16LE"},
    [IMPEX_ENC_UTF16BE] = {"utf-16be", "UTF-16BE"},
    [IMPEX_ENC_UTF16] = {"utf-16", "UTF-16LE"},
    [IMPEX_ENC_CP1252] = {"windows-1252", "WINDOWS-1252"},
    [IMPEX_ENC_LATIN1] = {"iso-8859-1", "ISO-8859-1"},
};

int impex_encoding_parse(const char *name)
{
    for (size_t i = 0; i < sizeof encodings / sizeof *encodings; i++)
        if (!strcasecmp(name, encodings[i].name)) return (int)i;
    return -1;
}

const char *impex_encoding_name(impex_encoding e)
{
    return encodings[e].name;
}

struct impex_transcode {
    impex_read_fn rd;
    void *ctx;
    impex_encoding asked, enc;
    int started;
    iconv_t cd;
    unsigned unit;             /* source bytes per BMP code point */
    unsigned char weight[256]; /* source bytes a UTF-8 output byte stands for */
    char *in;                  /* source bytes not yet converted: in[ipos, ilen) */
    size_t ipos, ilen;
    int eof;
    char *out; /* converted, not yet handed out: out[opos, olen) */
    size_t opos, olen;
    uint64_t src_read;  /* source bytes read */
    uint64_t out_total; /* UTF-8 bytes handed out */
    uint64_t bom;       /* source bytes of the BOM skipped */
    char *ring;         /* the last RING bytes handed out, by offset % RING */
    uint64_t cur_out, cur_src;
};

int impex_transcode_open(impex_read_fn rd, void *ctx, impex_encoding enc, impex_transcode **out,
                         impex_err *err)
{
    *out = NULL;
    impex_transcode *tc = calloc(1, sizeof *tc);
    if (!tc || !(tc->in = malloc(IN_SIZE))) {
        free(tc);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    tc->rd = rd;
    tc->ctx = ctx;
    tc->asked = enc;
    tc->cd = (iconv_t)-1;
    *out = tc;
    return IMPEX_OK;
}

static ssize_t source(impex_transcode *tc, char *buf, size_t len, impex_err *err)
{
    ssize_t n = tc->rd(tc->ctx, buf, len, err);
    if (n < 0) {
        if (err && !err->code) impex_err_set(err, IMPEX_EIO, "read error");
        return -1;
    }
    if (n == 0) tc->eof = 1;
    tc->src_read += (uint64_t)n;
    return n;
}

/* Reads the first bytes, lets a BOM choose the encoding, sets up iconv. */
static int start(impex_transcode *tc, impex_err *err)
{
    while (tc->ilen < 4 && !tc->eof) {
        ssize_t n = source(tc, tc->in + tc->ilen, IN_SIZE - tc->ilen, err);
        if (n < 0) return -1;
        tc->ilen += (size_t)n;
    }
    const unsigned char *b = (const unsigned char *)tc->in;
    tc->enc = tc->asked == IMPEX_ENC_UTF16 ? IMPEX_ENC_UTF16LE : tc->asked;
    if (tc->ilen >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        tc->enc = IMPEX_ENC_UTF8; /* kept: the CSV reader skips it */
    } else if (tc->ilen >= 2 &&
               ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
        tc->enc = b[0] == 0xFF ? IMPEX_ENC_UTF16LE : IMPEX_ENC_UTF16BE;
        tc->ipos = tc->bom = 2;
    }
    tc->started = 1;
    tc->cur_src = tc->bom;
    if (tc->enc == IMPEX_ENC_UTF8) return 0;

    tc->out = malloc(OUT_SIZE);
    tc->ring = malloc(RING);
    if (!tc->out || !tc->ring) {
        impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        return -1;
    }
    tc->cd = iconv_open("UTF-8", encodings[tc->enc].iconv);
    if (tc->cd == (iconv_t)-1) {
        impex_err_set(err, IMPEX_EIO, "this system cannot convert from %s",
                      encodings[tc->enc].name);
        return -1;
    }
    int wide = tc->enc == IMPEX_ENC_UTF16LE || tc->enc == IMPEX_ENC_UTF16BE;
    tc->unit = wide ? 2 : 1;
    for (unsigned c = 0; c < 256; c++)
        tc->weight[c] = c < 0x80 || (c >= 0xC0 && c < 0xF0) ? (unsigned char)tc->unit
                        : c >= 0xF0 && c < 0xF8             ? 4
                                                            : 0;
    tc->weight[IMPEX_TRANSCODE_BAD_UNIT] = (unsigned char)tc->unit;
    tc->weight[IMPEX_TRANSCODE_BAD_BYTE] = 1;
    return 0;
}

/* Fills out[] with converted bytes; olen == 0 afterwards means the end. */
static int convert(impex_transcode *tc, impex_err *err)
{
    tc->opos = tc->olen = 0;
    for (;;) {
        while (tc->ipos < tc->ilen && tc->olen < OUT_SIZE - 8) {
            char *ip = tc->in + tc->ipos, *op = tc->out + tc->olen;
            size_t il = tc->ilen - tc->ipos, ol = OUT_SIZE - tc->olen;
            size_t r = iconv(tc->cd, &ip, &il, &op, &ol);
            int e = errno;
            tc->ipos = (size_t)(ip - tc->in);
            tc->olen = (size_t)(op - tc->out);
            if (r != (size_t)-1) continue;
            if (e == E2BIG) return 0;
            if (e == EINVAL) break; /* a code point cut by the end of what was read */
            if (e != EILSEQ) {
                impex_err_set(err, IMPEX_EIO, "conversion from %s failed: %s",
                              encodings[tc->enc].name, strerror(e));
                return -1;
            }
            /* Invalid in the source encoding: one marker per unit, never a guess. */
            tc->out[tc->olen++] = (char)IMPEX_TRANSCODE_BAD_UNIT;
            size_t skip = tc->ilen - tc->ipos < tc->unit ? tc->ilen - tc->ipos : tc->unit;
            tc->ipos += skip;
        }
        if (tc->olen > 0) return 0;
        if (tc->eof) {
            /* What is left cannot complete: a lone high surrogate, an odd byte. */
            while (tc->ilen - tc->ipos >= tc->unit) {
                tc->out[tc->olen++] = (char)IMPEX_TRANSCODE_BAD_UNIT;
                tc->ipos += tc->unit;
            }
            if (tc->ipos < tc->ilen) tc->out[tc->olen++] = (char)IMPEX_TRANSCODE_BAD_BYTE;
            tc->ipos = tc->ilen;
            return 0;
        }
        memmove(tc->in, tc->in + tc->ipos, tc->ilen - tc->ipos);
        tc->ilen -= tc->ipos;
        tc->ipos = 0;
        ssize_t n = source(tc, tc->in + tc->ilen, IN_SIZE - tc->ilen, err);
        if (n < 0) return -1;
        tc->ilen += (size_t)n;
    }
}

static int continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* Walks the cursor up to output offset `to` (within the ring). */
static void advance(impex_transcode *tc, uint64_t to)
{
    uint64_t src = tc->cur_src;
    for (uint64_t o = tc->cur_out; o < to; o++)
        src += tc->weight[(unsigned char)tc->ring[o % RING]];
    tc->cur_out = to;
    tc->cur_src = src;
}

ssize_t impex_transcode_read(void *vtc, void *buf, size_t len, impex_err *err)
{
    impex_transcode *tc = vtc;
    if (!tc->started && start(tc, err)) return -1;
    if (tc->enc == IMPEX_ENC_UTF8) {
        ssize_t n;
        if (tc->ipos < tc->ilen) { /* what start() read */
            n = (ssize_t)(len < tc->ilen - tc->ipos ? len : tc->ilen - tc->ipos);
            memcpy(buf, tc->in + tc->ipos, (size_t)n);
            tc->ipos += (size_t)n;
        } else {
            if (tc->eof) return 0;
            n = source(tc, buf, len, err);
        }
        if (n > 0) tc->out_total += (uint64_t)n;
        return n;
    }
    if (tc->opos == tc->olen && convert(tc, err)) return -1;
    size_t n = tc->olen - tc->opos;
    if (n > len) n = len;
    if (n == 0) return 0;
    /* Bytes about to leave the ring must be behind the cursor. */
    if (tc->out_total + n > RING && tc->cur_out < tc->out_total + n - RING)
        advance(tc, tc->out_total + n - RING);
    for (size_t i = 0; i < n; i++)
        tc->ring[(tc->out_total + i) % RING] = tc->out[tc->opos + i];
    memcpy(buf, tc->out + tc->opos, n);
    tc->opos += n;
    tc->out_total += n;
    return (ssize_t)n;
}

impex_encoding impex_transcode_encoding(const impex_transcode *tc)
{
    return tc->started ? tc->enc : tc->asked;
}

int impex_transcode_map(impex_transcode *tc, uint64_t out, uint64_t *src, impex_err *err)
{
    if (!tc->started || tc->enc == IMPEX_ENC_UTF8) {
        *src = out;
        return IMPEX_OK;
    }
    if (out < tc->cur_out || out > tc->out_total)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "offset %llu of the converted text is no longer known",
                             (unsigned long long)out);
    advance(tc, out);
    *src = tc->cur_src;
    return IMPEX_OK;
}

uint64_t impex_transcode_src_read(const impex_transcode *tc)
{
    return tc->src_read;
}

/* Makes source offset `to` (beyond everything handed out) the next thing
 * converted: converted output and source bytes before it are dropped, the
 * rest of the source up to it is read and dropped unconverted. */
static int jump(impex_transcode *tc, uint64_t to, impex_err *err)
{
    advance(tc, tc->out_total);
    uint64_t at = tc->cur_src; /* source offset once out[opos - 1] is read */
    /* Up to `to`, and past the rest of a code point the consumer has begun. */
    while (tc->opos < tc->olen && (at < to || continuation(tc->out[tc->opos])))
        at += tc->weight[(unsigned char)tc->out[tc->opos++]];
    if (at < to) {
        tc->opos = tc->olen;
        at = tc->src_read - (tc->ilen - tc->ipos);
        uint64_t skip = to - at;
        if (skip <= tc->ilen - tc->ipos) {
            tc->ipos += (size_t)skip;
        } else {
            skip -= tc->ilen - tc->ipos;
            tc->ipos = tc->ilen = 0;
            while (skip > 0) {
                if (tc->eof)
                    return impex_err_set(err, IMPEX_EUSAGE,
                                         "cannot resume at byte %llu: the input ends at byte %llu",
                                         (unsigned long long)to, (unsigned long long)tc->src_read);
                ssize_t n = source(tc, tc->in, IN_SIZE, err);
                if (n < 0) return err && err->code ? err->code : IMPEX_EIO;
                if ((uint64_t)n > skip) {
                    tc->ipos = (size_t)skip;
                    tc->ilen = (size_t)n;
                    break;
                }
                skip -= (uint64_t)n;
            }
        }
        iconv(tc->cd, NULL, NULL, NULL, NULL); /* a clean state */
    } else if (at > to) {
        return impex_err_set(err, IMPEX_EUSAGE,
                             "cannot resume at byte %llu: not a character boundary",
                             (unsigned long long)to);
    }
    tc->cur_out = tc->out_total;
    tc->cur_src = to;
    return IMPEX_OK;
}

void impex_transcode_close(impex_transcode *tc)
{
    if (!tc) return;
    if (tc->cd != (iconv_t)-1) iconv_close(tc->cd);
    free(tc->in);
    free(tc->out);
    free(tc->ring);
    free(tc);
}

/* --- the CSV reader counting source bytes --------------------------------- */

typedef struct tc_reader {
    impex_transcode *tc;
    impex_csv *csv;
    uint64_t prev_out, prev_src; /* where the last record ended, both ways */
    int have_prev;
} tc_reader;

static int tr_next(void *impl, impex_row **row, impex_err *err)
{
    tc_reader *t = impl;
    int rc = impex_csv_next(t->csv, row, err);
    if (rc || !*row || impex_transcode_encoding(t->tc) == IMPEX_ENC_UTF8) return rc;
    impex_row *r = *row;
    if (!t->have_prev) {
        t->prev_out = 0;
        t->prev_src = t->tc->bom;
        t->have_prev = 1;
    }
    /* Only line ends (one code point each) lie between two records. */
    r->offset = t->prev_src + (r->offset - t->prev_out) * t->tc->unit;
    uint64_t src = 0;
    if ((rc = impex_transcode_map(t->tc, r->end, &src, err))) {
        *row = NULL;
        return rc;
    }
    t->prev_out = r->end;
    t->prev_src = src;
    r->end = src;
    r->after.pos[0] = src;
    return IMPEX_OK;
}

static int tr_seek(void *impl, const impex_token *tok, impex_err *err)
{
    tc_reader *t = impl;
    impex_transcode *tc = t->tc;
    uint64_t to = tok->pos[0];
    if (impex_transcode_encoding(tc) == IMPEX_ENC_UTF8)
        return impex_csv_skip_to(t->csv, to, tok->pos[1], tok->pos[2], err);
    if (to < tc->cur_src)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "cannot resume at byte %llu: the input was already read past it",
                             (unsigned long long)to);
    /* Within what the CSV reader holds already, or further on. A code
     * point's weight counts at its first byte: walk past the rest of it. */
    while (tc->cur_out < tc->out_total &&
           (tc->cur_src < to || continuation(tc->ring[tc->cur_out % RING])))
        advance(tc, tc->cur_out + 1);
    if (tc->cur_src > to)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "cannot resume at byte %llu: not a character boundary",
                             (unsigned long long)to);
    int rc = tc->cur_out == tc->out_total ? jump(tc, to, err) : IMPEX_OK;
    if (!rc) rc = impex_csv_skip_to(t->csv, tc->cur_out, tok->pos[1], tok->pos[2], err);
    if (rc) return rc;
    t->prev_out = tc->cur_out;
    t->prev_src = to;
    t->have_prev = 1;
    return IMPEX_OK;
}

static uint64_t tr_bytes(const void *impl)
{
    return impex_transcode_src_read(((const tc_reader *)impl)->tc);
}

static void tr_close(void *impl)
{
    tc_reader *t = impl;
    impex_csv_close(t->csv);
    impex_transcode_close(t->tc);
    free(t);
}

static const impex_reader_ops tr_ops = {"csv", tr_next, tr_seek, tr_bytes, tr_close};

int impex_reader_open_transcoded(impex_transcode *tc, const impex_csv_opts *opts,
                                 impex_reader **out, impex_err *err)
{
    *out = NULL;
    impex_reader *r = calloc(1, sizeof *r);
    tc_reader *t = calloc(1, sizeof *t);
    if (!r || !t) {
        free(r);
        free(t);
        impex_transcode_close(tc);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    int rc = impex_csv_open(impex_transcode_read, tc, opts, &t->csv, err);
    if (rc) {
        free(r);
        free(t);
        impex_transcode_close(tc);
        return rc;
    }
    t->tc = tc;
    r->ops = &tr_ops;
    r->impl = t;
    *out = r;
    return IMPEX_OK;
}
