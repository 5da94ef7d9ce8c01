/* A resource's dictionaries, so that records (store/codec.h, version 2)
 * carry small numbers instead of repeated text:
 *   - field names, numbered 1, 2, ... in the order they were first seen;
 *   - values: the enumerated values descriptors declare (enum = {...}),
 *     numbered the same way; a field's value equal to one is stored as its
 *     number.
 *
 * Kept in the store's "meta" database under "dict:<Resource>" (names) and
 * "vals:<Resource>" (values), each as
 *   byte 0 0x01 (format), then per entry: varint length, bytes.
 * Append-only: an entry keeps its number forever, new ones are added at the
 * end, so the number of entries is a list's version, and dictionaries read
 * later always cover every record read earlier. */
#ifndef IMPEX_STORE_DICT_H
#define IMPEX_STORE_DICT_H

#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct impex_dict impex_dict;

/* The dictionaries of resource as txn sees them (empty when none yet). */
int impex_dict_load(impex_txn *txn, const char *resource, impex_dict **out, impex_err *err);
/* Adds the names and values it lacks, in the given order, inside write txn
 * (the caller commits), and gives the resulting dictionaries. */
int impex_dict_extend(impex_txn *txn, const char *resource, const impex_slice *names, size_t n,
                      const impex_slice *values, size_t nvalues, impex_dict **out, impex_err *err);
void impex_dict_free(impex_dict *d);

/* Number of names (the version of the name list). */
size_t impex_dict_size(const impex_dict *d);
/* The number of name, 0 when absent (or d is NULL). */
uint32_t impex_dict_id(const impex_dict *d, const char *name, size_t len);
/* The name numbered id; 0 when id is not in d. */
int impex_dict_name(const impex_dict *d, uint64_t id, impex_slice *name);
/* The same for values. value_id is on the hot path of encoding: it rejects
 * most text by its length and first byte before hashing. */
uint32_t impex_dict_value_id(const impex_dict *d, const char *s, size_t len);
int impex_dict_value(const impex_dict *d, uint64_t id, impex_slice *value);

/* Parses stored dictionary values (names, values; either may be empty). */
int impex_dict_parse(impex_slice names, impex_slice values, impex_dict **out, impex_err *err);

#define IMPEX_DICT_KEY_PREFIX "dict:"
#define IMPEX_VALS_KEY_PREFIX "vals:"

#endif
