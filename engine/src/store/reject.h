/* A rejected row, as kept in the store's "rejects" database: where it was
 * (step, file, row, line, column), the offending value, the reason, and the
 * row's original fields, byte for byte (NULs and invalid UTF-8 included), so
 * that `impex errors --replay` gives back exactly what the file held.
 *
 * Memory and store size stay bounded whatever the rows hold: a reject keeps
 * at most IMPEX_REJECT_KEEP_VALUE bytes of the value and IMPEX_REJECT_KEEP_FIELDS
 * bytes of fields in all; each cut field keeps its full length, and a row
 * that was cut is marked (the report says so; the replay leaves it out).
 *
 * Encoding, version 1 (varints are unsigned LEB128; a "text" is varint
 * length + bytes; an "opt text" is varint (length + 1) + bytes, 0 = none):
 *   u8 0x01, varint step, varint row, varint line,
 *   text file, opt text column, opt text value, varint value's full length,
 *   text reason, varint nfields, per field: varint full length, text kept. */
#ifndef IMPEX_STORE_REJECT_H
#define IMPEX_STORE_REJECT_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define IMPEX_REJECT_KEEP_VALUE 4096
#define IMPEX_REJECT_KEEP_FIELDS (64 * 1024)

typedef struct impex_reject {
    size_t step;
    impex_slice file;
    uint64_t row, line;
    impex_slice column; /* ptr NULL = the row as a whole */
    impex_slice value;  /* ptr NULL = none; as kept (cut to IMPEX_REJECT_KEEP_VALUE) */
    uint64_t value_len; /* the value's full length */
    impex_slice reason;
    impex_slice *fields; /* as kept */
    uint64_t *field_len; /* each field's full length */
    size_t nfields;
    int cut; /* some field or the value was cut */
} impex_reject;

/* Appends the encoding of r to out, cutting fields and value to the limits
 * above (r->field_len and r->value_len may be 0: the slices' lengths are the
 * full lengths then). IMPEX_ENOMEM on failure. */
int impex_reject_encode(const impex_reject *r, impex_buf *out);

/* Appends the original fields of a row, encoded as in a reject (varint
 * nfields, per field: varint full length, text kept), for a row the writer
 * may still reject. */
int impex_reject_encode_fields(const impex_slice *fields, size_t n, impex_buf *out);

/* Decodes rec; slices point into rec, arrays are allocated (impex_reject_free).
 * IMPEX_EFORMAT for a damaged or unknown record. */
int impex_reject_decode(impex_slice rec, impex_reject *out, impex_err *err);
void impex_reject_free(impex_reject *r);

/* Encodes a reject whose fields are already encoded (impex_reject_encode_fields). */
int impex_reject_encode_with(const impex_reject *r, impex_slice encoded_fields, impex_buf *out);

/* The store key under which a rejected row is kept: step-major, then row. */
uint64_t impex_reject_seq(size_t step, uint64_t row);

#endif
