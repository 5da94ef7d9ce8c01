/* Transcoding while streaming: a byte source in UTF-16 or a single-byte
 * encoding turned into UTF-8 for the CSV reader, with exact offsets.
 *
 * The encodings supported map every code point to a fixed number of source
 * bytes (1 for windows-1252 and iso-8859-1; 2 for UTF-16 below U+10000, 4
 * above), so the source offset of any UTF-8 output offset is known from the
 * output alone. The CSV reader behind impex_reader_open_transcoded counts
 * UTF-8 bytes; the reader translates every offset and resume token it hands
 * out to ORIGINAL bytes, and a resume skips the source straight to the token
 * (read and dropped, never converted) and restarts the converter clean.
 *
 * BOM rule: a UTF-16LE/BE or UTF-8 BOM at offset 0 wins over the encoding
 * asked for (a windows-1252 file cannot sensibly start with "ÿþ" or "ï»¿").
 * "utf-16" without a BOM is read as UTF-16LE. UTF-8 (the default) is passed
 * through untouched: the CSV reader skips its BOM and the pipeline checks
 * UTF-8 per field.
 *
 * Bytes invalid in the source encoding are never replaced silently: each
 * invalid unit becomes the byte 0xFF (0xFE for an odd trailing byte of a
 * UTF-16 file), which is not UTF-8, so the row holding it is rejected naming
 * its row and column (IMPEX_TRANSCODE_BAD_UNIT, IMPEX_TRANSCODE_BAD_BYTE). */
#ifndef IMPEX_IO_TRANSCODE_H
#define IMPEX_IO_TRANSCODE_H

#include "core/error.h"
#include "io/csv.h"
#include "io/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum impex_encoding {
    IMPEX_ENC_UTF8,
    IMPEX_ENC_UTF16LE,
    IMPEX_ENC_UTF16BE,
    IMPEX_ENC_UTF16, /* BOM decides, LE without */
    IMPEX_ENC_CP1252,
    IMPEX_ENC_LATIN1,
} impex_encoding;

/* Marker bytes standing for input invalid in the source encoding. */
#define IMPEX_TRANSCODE_BAD_UNIT 0xFF /* one invalid unit (byte, or UTF-16 code unit) */
#define IMPEX_TRANSCODE_BAD_BYTE 0xFE /* the odd last byte of a UTF-16 file */

/* "utf-8", "utf-16le", "utf-16be", "utf-16", "windows-1252", "iso-8859-1"
 * (case-insensitive); -1 if unknown. */
int impex_encoding_parse(const char *name);
const char *impex_encoding_name(impex_encoding e);

typedef struct impex_transcode impex_transcode;

/* Wraps rd/ctx (not owned). */
int impex_transcode_open(impex_read_fn rd, void *ctx, impex_encoding enc, impex_transcode **out,
                         impex_err *err);

/* impex_read_fn: UTF-8 bytes (> 0), 0 at the end, -1 with the source's error. */
ssize_t impex_transcode_read(void *tc, void *buf, size_t len, impex_err *err);

/* The encoding in effect once the first bytes were read (the BOM may have
 * chosen it); IMPEX_ENC_UTF8 means bytes pass through unchanged. */
impex_encoding impex_transcode_encoding(const impex_transcode *tc);

/* Source offset of UTF-8 output offset out. Offsets asked for must not
 * decrease and must lie within the last 128 KiB of output. */
int impex_transcode_map(impex_transcode *tc, uint64_t out, uint64_t *src, impex_err *err);

/* Source bytes consumed so far. */
uint64_t impex_transcode_src_read(const impex_transcode *tc);

void impex_transcode_close(impex_transcode *tc);

/* A CSV reader over tc (owned by the reader, closed with it) whose rows'
 * offsets and resume tokens count source bytes. */
int impex_reader_open_transcoded(impex_transcode *tc, const impex_csv_opts *opts,
                                 impex_reader **out, impex_err *err);

#endif
