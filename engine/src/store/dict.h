/* Field dictionary: the names of a resource's fields, numbered 1, 2, ... in
 * the order they were first seen, so that records (store/codec.h, version 2)
 * carry a small number instead of each name.
 *
 * Kept in the store's "meta" database under "dict:<Resource>" as
 *   byte 0 0x01 (dictionary format), then per name: varint length, bytes.
 * Append-only: a name keeps its number forever, new names are added at the
 * end, so the number of names is the dictionary's version and a dictionary
 * read later always covers every record read earlier. */
#ifndef IMPEX_STORE_DICT_H
#define IMPEX_STORE_DICT_H

#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct impex_dict impex_dict;

/* The dictionary of resource as txn sees it (empty when it has none yet). */
int impex_dict_load(impex_txn *txn, const char *resource, impex_dict **out, impex_err *err);
/* Adds the names it lacks, in the given order, inside write txn (the caller
 * commits), and gives the resulting dictionary. */
int impex_dict_extend(impex_txn *txn, const char *resource, const impex_slice *names, size_t n,
                      impex_dict **out, impex_err *err);
void impex_dict_free(impex_dict *d);

/* Number of names (the version). */
size_t impex_dict_size(const impex_dict *d);
/* The number of name, 0 when absent (or d is NULL). */
uint32_t impex_dict_id(const impex_dict *d, const char *name, size_t len);
/* The name numbered id; 0 when id is not in d. */
int impex_dict_name(const impex_dict *d, uint64_t id, impex_slice *name);

/* Parses a stored dictionary value (impex verify checks them). */
int impex_dict_parse(impex_slice val, impex_dict **out, impex_err *err);

#define IMPEX_DICT_KEY_PREFIX "dict:"

#endif
