/* Record codec: how one record is laid out as bytes in the store.
 *
 * Version 2 (written): byte 0 is 0x02, then one entry per field, fields in
 * ascending number of the resource's field dictionary (store/dict.h), each
 * entry a varint head h = x << 3 | tag:
 *
 *   tag 0 META    x = 0: a NULL value (the next field);
 *                 x even: skip x/2 field numbers (the next entry is a field
 *                 further on); x odd: a field not in the dictionary, its
 *                 name of x >> 1 bytes follows, then that field's own entry
 *                 (not a skip or a name). Named fields come after the
 *                 numbered ones.
 *   tag 1 STRING  x = length, then the bytes
 *   tag 2 INT     x = the value, zigzag-encoded
 *   tag 3 DECIMAL x = scale, then a varint: the unscaled value, zigzag
 *                 ("12.50" = 1250 scale 2: the digits are kept exactly)
 *   tag 4 BOOL    x = 0 false, 1 true
 *   tag 5 TEXT    x = length, then 1 byte impex_vtype, then the bytes:
 *                 dates, datetimes, and a number or bool whose text has no
 *                 exact binary form above (a number of more than 18
 *                 digits, "-0", or what map stored unchecked)
 *   tag 6 REF     x = k << 4 | source << 3 | impex_vtype: the value is
 *                 stored elsewhere: source 0, the record's own key part k
 *                 (the key is not stored twice); source 1, value k of the
 *                 resource's value dictionary (an enumerated value)
 *   tag 7 LIST    x = length, then the elements joined by CR ('\r')
 *
 * Field k follows field k-1 unless a skip says otherwise; the first field
 * is number 1. Absent fields cost nothing. The encoding of given values is
 * canonical (one byte string per record), so equal records compare equal
 * with memcmp: change detection needs no decoding.
 *
 * Version 1 (read only; records written before version 2): byte 0x01,
 * varint number of fields, per field varint name length, name, 1 byte
 * impex_vtype, varint value length, value bytes. An import that writes a
 * version-1 record writes it as version 2.
 *
 * Values as text (what decoding gives): a decimal keeps its digits ("0012.50"
 * is normalised by the rules to "12.50", never turned into a float), a LIST is
 * its elements joined by CR, a BOOL is "true" or "false", NULL has no bytes. */
#ifndef IMPEX_STORE_CODEC_H
#define IMPEX_STORE_CODEC_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define IMPEX_CODEC_VERSION 2
#define IMPEX_CODEC_V1 1

typedef struct impex_dict impex_dict;

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
    uint32_t id; /* the name's number in the resource's dictionary; 0 = none */
} impex_value;

/* Appends the version-2 encoding of vals[0..n) to out. Values with an id
 * are written by number (in id order, whatever their order in vals), the
 * others by name. key is the record's encoded key (impex_key_encode): a value
 * equal to one of its parts is written as a reference to it, as is a string
 * or list equal to a value of dict (the resource's dictionaries; may be NULL).
 * key may lie inside out. */
int impex_codec_encode(const impex_dict *dict, const impex_value *vals, size_t n, impex_slice key,
                       impex_buf *out);

/* Walks a record (either version) field by field without allocating. */
typedef struct impex_codec_iter {
    const impex_dict *dict;
    impex_slice key;
    const char *p, *end;
    int version;
    uint64_t left; /* version 1: fields still to read */
    uint64_t id;   /* version 2: number of the last field read */
    int named;     /* version 2: a named field was read (no numbered one may follow) */
    char num[48];  /* text of the last binary number */
} impex_codec_iter;
/* dict: the resource's dictionary (needed by version 2; NULL reads version 1
 * only); key: the record's key (for key references). */
int impex_codec_iter_init(impex_codec_iter *it, const impex_dict *dict, impex_slice key,
                          impex_slice rec, impex_err *err);
/* 1 and *v filled (valid until the next call: a number's text lives in it),
 * 0 at the end, IMPEX_EFORMAT (< 0 never) with err set on a damaged record. */
int impex_codec_next(impex_codec_iter *it, impex_value *v, impex_err *err);

/* Decodes rec into *vals (an array the caller frees with free(); names and
 * values point into rec, dict, key or the array's own tail). IMPEX_EFORMAT on
 * a corrupt or unknown-version record, or a field number dict lacks. */
int impex_codec_decode(const impex_dict *dict, impex_slice key, impex_slice rec, impex_value **vals,
                       size_t *n, impex_err *err);

/* Appends the record as one JSON object: strings and dates as JSON strings,
 * INT/DECIMAL as JSON numbers written with their exact digits, BOOL as
 * true/false, NULL as null, LIST as an array of strings. */
int impex_codec_to_json(const impex_dict *dict, impex_slice key, impex_slice rec, impex_buf *out,
                        impex_err *err);

/* The stored record after an update: the fields of update over those of
 * existing (either version; a field update lacks keeps its stored value),
 * encoded as version 2 into out (reset first). Fields are matched by number,
 * or by name when one side has none. A NULL value in update is a clear
 * marker: the field is left out of the result (cleared if stored, still
 * absent if not). */
int impex_codec_overlay(const impex_dict *dict, impex_slice key, impex_slice existing,
                        impex_slice update, impex_buf *out, impex_err *err);

/* Composite keys: parts joined with NUL bytes (parts may not contain NUL). */
int impex_key_encode(const impex_slice *parts, size_t n, impex_buf *out);
/* The k-th part of an encoded key (empty past the last). */
impex_slice impex_key_part(impex_slice key, size_t k);
/* Appends the key for display, parts joined with '/'. */
int impex_key_to_text(impex_slice key, impex_buf *out);
/* Parses "a/b/c" (as typed on the command line) into the encoded key. */
int impex_key_from_text(const char *text, impex_buf *out);

#endif
