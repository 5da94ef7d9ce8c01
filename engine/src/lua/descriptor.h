/* Descriptors and import groups, loaded from Lua files into plain C data.
 *
 * A descriptor file returns a table (see README "Descriptors"):
 *   name, resource, format ("csv"), entry (glob on the zip entry's base name,
 *   case-insensitive; default "<resource>.csv"), key (column name or list),
 *   operation ("upsert" | "insert" | "update" | "delete"), operations (the
 *   ones a request may choose instead; default: just `operation`), batch_size (500),
 *   on_error ("skip" | "strict"), max_errors (0 = no limit),
 *   allow_extra_columns (false), fields (ordered list of rules),
 *   validate(row) and map(row, existing) (optional functions),
 *   accumulate (false: a key seen again in the same job is rejected naming
 *   the first row; true: every row applies, in order), delete_omitted
 *   (false; true: after the job, records of the resource in the job's
 *   catalog context that it did not hold are deleted), context (table of
 *   part = field name, parts masterCatalog, catalog, locale, currency, site;
 *   the field `import --context` fills), context_required (refuse to run
 *   without an override of every mapped part).
 * A field rule: { "Name" or name = "Name", required, type ("string", "int",
 *   "decimal", "bool", "date", "datetime"), pattern (POSIX extended regex,
 *   whole value), min, max (numbers, for int/decimal), enum (list of
 *   strings), maxlen (characters), multi (values split on CR) }.
 * Unknown keys in either table are errors, so typos fail loudly.
 *
 * A group file "<name>.group.lua" anywhere below descriptors/ returns
 *   { description = "...", steps = { "categories", "products" } }
 * where each step names a descriptor file relative to the group's folder
 * ("products" -> products.lua) or to descriptors/ when it holds a '/'. */
#ifndef IMPEX_LUA_DESCRIPTOR_H
#define IMPEX_LUA_DESCRIPTOR_H

#include "core/context.h"
#include "core/error.h"
#include "lua/sandbox.h"
#include "schema/schema.h" /* impex_field_rule */

#include <stddef.h>
#include <stdint.h>

typedef enum impex_op {
    IMPEX_OP_UPSERT,
    IMPEX_OP_INSERT,
    IMPEX_OP_UPDATE,
    IMPEX_OP_DELETE
} impex_op;
typedef enum impex_strategy { IMPEX_STRATEGY_SKIP, IMPEX_STRATEGY_STRICT } impex_strategy;

typedef struct impex_descriptor {
    char *name;           /* "products" */
    char *path;           /* "descriptors/catalog/products.lua" (relative to the scripts root) */
    char *resource;       /* "Products" */
    char *format;         /* "csv" */
    char *entry_glob;     /* "Products.csv" */
    impex_op op;          /* the default operation */
    unsigned allowed_ops; /* bit (1 << impex_op) per operation a request may ask for */
    size_t batch_size;
    impex_strategy strategy;
    uint64_t max_errors; /* 0 = unlimited */
    int allow_extra_columns;
    impex_field_rule *fields;
    size_t nfields;
    size_t *key; /* indexes into fields */
    size_t nkey;
    int has_validate, has_map;
    int accumulate; /* rows with the same key in one job all apply (else: duplicates rejected) */
    int delete_omitted;   /* after the job, delete the resource's records it did not hold */
    int context_required; /* refuse to run without an override of the mapped parts */
    int context[IMPEX_CONTEXT_PARTS]; /* field index carrying each context part, or -1 */
} impex_descriptor;

/* Loads relpath (relative to the scripts root) with L. IMPEX_ESCRIPT for a
 * Lua error, IMPEX_EDESC for a table that is not a valid descriptor (the
 * message names the file and the key). The caller owns *out. */
int impex_descriptor_load(impex_lua *L, const char *relpath, impex_descriptor **out,
                          impex_err *err);
void impex_descriptor_free(impex_descriptor *d);

/* "upsert", "insert", "update", "delete"; parses back with impex_op_parse (-1 if unknown). */
const char *impex_op_name(impex_op op);
int impex_op_parse(const char *name);

/* Index of the field named name (len bytes, case-insensitive), or -1. A name
 * holding a NUL byte matches no field. */
int impex_descriptor_field(const impex_descriptor *d, const char *name, size_t len);

/* Whether field i is part of the key. */
int impex_descriptor_is_key(const impex_descriptor *d, size_t i);

/* Whether the zip entry name (its base name is used) matches d's glob. */
int impex_descriptor_matches(const impex_descriptor *d, const char *entry_name);

typedef struct impex_group {
    char *name;
    char *description;
    char *path;   /* "descriptors/catalog/catalog.group.lua" */
    char **steps; /* descriptor paths relative to the scripts root */
    size_t nsteps;
} impex_group;

/* Finds "<name>.group.lua" below <root>/descriptors and loads it.
 * IMPEX_ENOTFOUND names the groups that exist. The caller owns *out. */
int impex_group_load(impex_lua *L, const char *name, impex_group **out, impex_err *err);
void impex_group_free(impex_group *g);

#endif
