/* Record codec, version 1: how one record is laid out as bytes in the store.
 *
 *   byte 0        0x01 (version)
 *   varint        number of fields
 *   per field:    varint name length, name bytes,
 *                 1 byte type (impex_vtype),
 *                 varint value length, value bytes
 *
 * Values are text: a decimal keeps its digits ("0012.50" is normalised by the
 * rules to "12.50", never turned into a float), a LIST is its elements joined
 * by CR ('\r'), a BOOL is "true" or "false", NULL has no bytes.
 * Field order is the order given to impex_codec_encode (descriptor order). */
#ifndef IMPEX_STORE_CODEC_H
#define IMPEX_STORE_CODEC_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>

#define IMPEX_CODEC_VERSION 1

typedef enum impex_vtype {
    IMPEX_V_NULL = 0,
    IMPEX_V_STRING = 1,
    IMPEX_V_INT = 2,
    IMPEX_V_DECIMAL = 3,
    IMPEX_V_BOOL = 4,
    IMPEX_V_DATE = 5,     /* YYYY-MM-DD */
    IMPEX_V_DATETIME = 6, /* ISO 8601 */
    IMPEX_V_LIST = 7,     /* elements joined by '\r' */
} impex_vtype;

typedef struct impex_value {
    const char *name;
    size_t name_len;
    impex_vtype type;
    const char *ptr;
    size_t len;
} impex_value;

/* Appends the encoding of vals[0..n) to out. */
int impex_codec_encode(const impex_value *vals, size_t n, impex_buf *out);

/* Decodes rec into *vals (an array the caller frees with free(); names and
 * values point into rec). IMPEX_EFORMAT on a corrupt or unknown-version record. */
int impex_codec_decode(impex_slice rec, impex_value **vals, size_t *n, impex_err *err);

/* Appends the record as one JSON object: strings and dates as JSON strings,
 * INT/DECIMAL as JSON numbers written with their exact digits, BOOL as
 * true/false, NULL as null, LIST as an array of strings. */
int impex_codec_to_json(impex_slice rec, impex_buf *out, impex_err *err);

/* Composite keys: parts joined with NUL bytes (parts may not contain NUL). */
int impex_key_encode(const impex_slice *parts, size_t n, impex_buf *out);
/* Appends the key for display, parts joined with '/'. */
int impex_key_to_text(impex_slice key, impex_buf *out);
/* Parses "a/b/c" (as typed on the command line) into the encoded key. */
int impex_key_from_text(const char *text, impex_buf *out);

#endif
