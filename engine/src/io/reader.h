/* The record reader: the one interface the import pipeline reads any format
 * through (CSV today, XML next). A reader hands out records one at a time as
 * lists of byte fields, each with its record number, physical line and an
 * opaque resume token. The pipeline checkpoints the token of the last
 * committed record and, on resume, seeks a fresh reader to it; what the
 * token means is the reader's business (a byte offset for CSV). */
#ifndef IMPEX_IO_READER_H
#define IMPEX_IO_READER_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A byte source: returns bytes read (> 0), 0 at end, -1 on error (err filled). */
typedef ssize_t (*impex_read_fn)(void *ctx, void *buf, size_t len, impex_err *err);

/* Where to continue after a record. Opaque to everyone but the reader that
 * made it; stored in the job's checkpoint as three numbers. */
typedef struct impex_token {
    uint64_t pos[3];
} impex_token;

typedef struct impex_field {
    const char *ptr; /* NUL-terminated copy (may hold NULs itself), valid until the next read */
    size_t len;
} impex_field;

typedef struct impex_row {
    impex_field *fields;
    size_t nfields;
    uint64_t number;    /* 1-based record number; the header is record 1 */
    uint64_t line;      /* 1-based physical line the record starts on */
    uint64_t offset;    /* byte offset of the record's first byte */
    uint64_t end;       /* byte offset just past the record and its line end */
    uint64_t next_line; /* physical line at `end` (where the next record starts) */
    impex_token after;  /* resumes with the record after this one */
    const char *reject; /* NULL, or why the reader rejects this record (the pipeline reports it) */
    int reject_column;  /* the column that reason concerns, -1 = the record as a whole */
} impex_row;

typedef struct impex_reader_ops {
    const char *format; /* "csv", "xml" */
    /* IMPEX_OK with *row set, IMPEX_OK with *row NULL at the end, or an error. */
    int (*next)(void *impl, impex_row **row, impex_err *err);
    /* Positions the reader so that the next record is the one after the
     * record whose token this is (the header has been read already). */
    int (*seek)(void *impl, const impex_token *t, impex_err *err);
    uint64_t (*bytes_read)(const void *impl);
    void (*close)(void *impl);
} impex_reader_ops;

typedef struct impex_reader {
    const impex_reader_ops *ops;
    void *impl;
} impex_reader;

static inline int impex_reader_next(impex_reader *r, impex_row **row, impex_err *err)
{
    return r->ops->next(r->impl, row, err);
}

static inline int impex_reader_seek(impex_reader *r, const impex_token *t, impex_err *err)
{
    return r->ops->seek(r->impl, t, err);
}

static inline uint64_t impex_reader_bytes_read(const impex_reader *r)
{
    return r->ops->bytes_read(r->impl);
}

/* Closes and frees. Safe with NULL. */
void impex_reader_close(impex_reader *r);

#endif
