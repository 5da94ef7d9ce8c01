#include "pipeline/dialect.h"
#include "core/utf8.h"
#include "io/transcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    char ch;
    const char *name; /* also accepted on the command line */
    const char *lua;  /* as a descriptor writes it */
} delimiters[] = {
    {',', "comma", "','"},
    {';', "semicolon", "';'"},
    {'\t', "tab", "'\\t'"},
    {'|', "pipe", "'|'"},
};
#define NDELIM (sizeof delimiters / sizeof *delimiters)

static int delimiter_parse(const char *s)
{
    for (size_t i = 0; i < NDELIM; i++)
        if ((s[0] == delimiters[i].ch && !s[1]) || !strcasecmp(s, delimiters[i].name) ||
            (delimiters[i].ch == '\t' && !strcmp(s, "\\t")))
            return delimiters[i].ch;
    return -1;
}

int impex_import_check_dialect(const impex_import_opts *o, impex_job *job, impex_err *err)
{
    int delim = o->delimiter ? delimiter_parse(o->delimiter) : 0;
    if (delim < 0)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "unknown delimiter '%s' (',', ';', '|', tab; or comma, semicolon, "
                             "tab, pipe)",
                             o->delimiter);
    if (o->quote && (strlen(o->quote) != 1 || o->quote[0] == '\r' || o->quote[0] == '\n' ||
                     o->quote[0] == (delim ? delim : ',')))
        return impex_err_set(err, IMPEX_EUSAGE,
                             "quote must be one character, not a line end nor the delimiter");
    if (o->encoding && impex_encoding_parse(o->encoding) < 0)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "unknown encoding '%s' (utf-8, utf-16le, utf-16be, utf-16, "
                             "windows-1252, iso-8859-1)",
                             o->encoding);
    if (!job) return IMPEX_OK;
    char d[2] = {(char)delim, 0};
    if ((delim && !(job->delimiter = strdup(d))) ||
        (o->quote && !(job->quote = strdup(o->quote))) ||
        (o->encoding &&
         !(job->encoding = strdup(impex_encoding_name(impex_encoding_parse(o->encoding))))))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    return IMPEX_OK;
}

void impex_dialect_for_step(const impex_job *job, const impex_descriptor *d, impex_csv_opts *opts,
                            int *encoding)
{
    memset(opts, 0, sizeof *opts);
    opts->delimiter = job->delimiter ? job->delimiter[0] : d->delimiter;
    opts->quote = job->quote ? job->quote[0] : d->quote;
    int e = job->encoding ? impex_encoding_parse(job->encoding) : -1;
    *encoding = e >= 0 ? e : d->encoding;
}

/* Whether every part of s split on delim (quotes around a part dropped) is
 * one of d's columns, and there are at least two. */
static int splits_into_columns(const impex_descriptor *d, const char *s, size_t len, char delim,
                               char quote)
{
    size_t parts = 0;
    for (size_t i = 0; i <= len;) {
        const char *e = memchr(s + i, delim, len - i);
        size_t seg = e ? (size_t)(e - (s + i)) : len - i, n = seg;
        const char *p = s + i;
        if (n >= 2 && p[0] == quote && p[n - 1] == quote) {
            p++;
            n -= 2;
        }
        if (impex_descriptor_field(d, p, n) < 0) return 0;
        parts++;
        i += seg + 1;
    }
    return parts >= 2;
}

/* 1 = UTF-16LE (a NUL after every byte), 2 = UTF-16BE (before), 0 = neither. */
static int looks_utf16(const char *s, size_t len)
{
    if (len < 2) return 0;
    int le = 1, be = 1;
    for (size_t i = 0; i < len; i++) {
        int nul = s[i] == '\0';
        if (nul != (i % 2 == 1)) le = 0;
        if (nul != (i % 2 == 0)) be = 0;
    }
    return le ? 1 : be ? 2 : 0;
}

/* Bytes that windows-1252 leaves undefined. */
static int cp1252_undefined(unsigned char c)
{
    return c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D;
}

int impex_dialect_header_hint(const impex_descriptor *d, const impex_row *hdr, char delim,
                              int encoding, impex_buf *out)
{
    if (!hdr->nfields) return IMPEX_OK;
    const impex_field *f0 = &hdr->fields[0];
    if (encoding == IMPEX_ENC_UTF8) {
        int w = looks_utf16(f0->ptr, f0->len);
        if (w)
            return impex_buf_printf(out,
                                    "; the file looks UTF-16%s encoded: set encoding = "
                                    "\"utf-16%s\" (or --encoding utf-16%s)",
                                    w == 1 ? "LE" : "BE", w == 1 ? "le" : "be",
                                    w == 1 ? "le" : "be")
                       ? IMPEX_ENOMEM
                       : IMPEX_OK;
        int utf8 = 1, cp1252 = 1;
        for (size_t c = 0; c < hdr->nfields; c++) {
            const impex_field *f = &hdr->fields[c];
            if (impex_utf8_check(f->ptr, f->len) < f->len) utf8 = 0;
            for (size_t i = 0; i < f->len; i++)
                if (!f->ptr[i] || cp1252_undefined((unsigned char)f->ptr[i])) cp1252 = 0;
        }
        if (!utf8 && cp1252)
            return impex_buf_puts(out, "; the header is not UTF-8; it looks Windows-1252: set "
                                       "encoding = \"windows-1252\" (or --encoding windows-1252)")
                       ? IMPEX_ENOMEM
                       : IMPEX_OK;
    }
    if (hdr->nfields != 1) return IMPEX_OK;
    for (size_t i = 0; i < NDELIM; i++) {
        char ch = delimiters[i].ch;
        if (ch == delim || !memchr(f0->ptr, ch, f0->len)) continue;
        if (!splits_into_columns(d, f0->ptr, f0->len, ch, d->quote)) continue;
        return impex_buf_printf(out,
                                "; the header looks %s-separated: set delimiter = %s (or "
                                "--delimiter %s)",
                                delimiters[i].name, delimiters[i].lua,
                                ch == '\t' ? "tab" : delimiters[i].lua)
                   ? IMPEX_ENOMEM
                   : IMPEX_OK;
    }
    return IMPEX_OK;
}

void impex_dialect_bad_text(int encoding, const char *val, size_t len, size_t bad, char *reason,
                            size_t size)
{
    unsigned char b = bad < len ? (unsigned char)val[bad] : 0;
    if (encoding != IMPEX_ENC_UTF8 &&
        (b == IMPEX_TRANSCODE_BAD_UNIT || b == IMPEX_TRANSCODE_BAD_BYTE))
        snprintf(reason, size, "%s at character %zu of the value",
                 b == IMPEX_TRANSCODE_BAD_BYTE
                     ? "the file ends with an odd byte, which is not UTF-16"
                 : encoding == IMPEX_ENC_CP1252 ? "a byte that windows-1252 leaves undefined"
                                                : "a lone UTF-16 surrogate",
                 impex_utf8_count(val, bad) + 1);
    else
        snprintf(reason, size, "invalid UTF-8 at byte %zu of the value", bad + 1);
}
