/* Streaming CSV reader over libcsv (RFC 4180: quoted fields, doubled quotes,
 * quoted CR/LF, CRLF or LF or CR line ends, blank lines skipped).
 *
 * Pull interface: impex_csv_next() hands out one record at a time, with its
 * record number, physical line and exact byte offsets in the stream, so a
 * caller can checkpoint "everything up to byte N is done" and later resume
 * with impex_csv_skip_to() without parsing the skipped part again.
 *
 * Fields are kept exactly as written: no trimming of spaces, a UTF-8 BOM at
 * offset 0 is dropped (the offsets still count it). UTF-8 is NOT validated
 * here (the pipeline does it per field so it can name the column). */
#ifndef IMPEX_IO_CSV_H
#define IMPEX_IO_CSV_H

#include "core/error.h"
#include "io/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* impex_field and impex_row are the reader interface's (io/reader.h). */

typedef struct impex_csv_opts {
    size_t max_row_bytes; /* a record longer than this fails with IMPEX_ELIMIT; default 16 MiB */
    char delimiter;       /* default ',' */
    char quote;           /* default '"' */
} impex_csv_opts;

typedef struct impex_csv impex_csv;

/* Creates a reader over rd/ctx (not owned). opts may be NULL for defaults. */
int impex_csv_open(impex_read_fn rd, void *ctx, const impex_csv_opts *opts, impex_csv **out,
                   impex_err *err);

/* Next record: returns IMPEX_OK with *row set (owned by the reader, valid
 * until the next call), IMPEX_OK with *row == NULL at the end of input, or an
 * IMPEX_E* code with err filled (and *row == NULL):
 *  IMPEX_EFORMAT  "unterminated quoted field" / "malformed quoting"
 *                 (err->row, err->line and err->column say where),
 *  IMPEX_ELIMIT   record longer than max_row_bytes,
 *  or whatever the byte source reported (IMPEX_ENOMEM, IMPEX_EIO, ...).
 * A result is never an error code: the row travels through the out-parameter.
 * After an error the reader is finished: further calls return the same error. */
int impex_csv_next(impex_csv *c, impex_row **row, impex_err *err);

/* Discards input up to byte `offset` (which must be a record boundary
 * previously reported as row->end) without parsing it, and numbers the next
 * record `next_number`, starting on physical line `next_line`. Used on resume,
 * after the header has been read again. */
int impex_csv_skip_to(impex_csv *c, uint64_t offset, uint64_t next_number, uint64_t next_line,
                      impex_err *err);

/* Bytes consumed from the source so far. */
uint64_t impex_csv_bytes_read(const impex_csv *c);

void impex_csv_close(impex_csv *c);

/* The CSV reader behind the reader interface: its resume token is
 * {byte offset, next record number, next line}. */
int impex_reader_open_csv(impex_read_fn rd, void *ctx, const impex_csv_opts *opts,
                          impex_reader **out, impex_err *err);

#endif
