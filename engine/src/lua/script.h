/* Calling a descriptor's Lua functions for one row.
 *
 * A row reaches Lua as a table keyed by field name: strings stay strings,
 * INT and DECIMAL become Lua numbers (integer / float), BOOL a boolean, LIST
 * an array of strings, empty values are absent (nil). The row table is
 * reused for the next row (scripts may change it; keep values, not the table).
 *
 * validate(row) returns true (or nothing) to accept; false or nil plus an
 * optional reason string to reject; raising an error rejects with the error.
 * map(row, existing) gets the row and the stored record (nil if none, same
 * shape) and returns the record to store (a table), or nil plus a reason to
 * reject. Numbers returned become INT or DECIMAL, booleans BOOL, arrays LIST.
 * Fields named by the descriptor come first in descriptor order, other keys
 * after them in name order. */
#ifndef IMPEX_LUA_SCRIPT_H
#define IMPEX_LUA_SCRIPT_H

#include "core/buf.h"
#include "core/error.h"
#include "lua/descriptor.h"
#include "lua/sandbox.h"
#include "store/codec.h"

typedef struct impex_script impex_script;

/* Loads d->path into L again and keeps references to its validate/map
 * functions (a descriptor bound to one state; one per thread). */
int impex_script_bind(impex_lua *L, const impex_descriptor *d, impex_script **out, impex_err *err);
void impex_script_free(impex_script *s);

/* 0 = accepted; IMPEX_EREJECT with the reason in err; IMPEX_ESCRIPT is never
 * returned for a row-level failure (a script error becomes a rejection whose
 * reason is "script:line: message"). Does nothing when d has no validate. */
int impex_script_validate(impex_script *s, const impex_value *vals, size_t n, impex_err *err);

/* Runs map; appends the encoded record (store/codec.h, every field by name)
 * to out. existing (may be NULL) is the stored record, read with the
 * resource's dictionary dict and its key. 0, or IMPEX_EREJECT with the reason. */
int impex_script_map(impex_script *s, const impex_value *vals, size_t n,
                     const impex_slice *existing, const impex_dict *dict, impex_slice key,
                     impex_buf *out, impex_err *err);

#endif
