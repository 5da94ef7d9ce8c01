/* Descriptors and import groups, loaded from Lua files into plain C data.
 *
 * A descriptor file returns a table (see README "Descriptors"):
 *   name, resource, format ("csv" or "xml"), entry (glob on the zip entry's base name,
 *   case-insensitive; default "<resource>.csv"), key (column name or list),
 *   operation ("upsert" | "insert" | "update" | "delete"), operations (the
 *   ones a request may choose instead; default: just `operation`), batch_size (500),
 *   on_error ("skip" | "strict"), max_errors (0 = no limit),
 *   allow_extra_columns (false), fields (ordered list of rules),
 *   validate(row) and map(row, existing) (optional functions),
 *   operation_column (a column, optional in the file, whose cell chooses the
 *   row's operation among `operations`; blank = the job's; not stored),
 *   empty ("keep": a blank cell leaves the stored field; "clear": it clears
 *   it), sentinel (the cell value that clears a field on update/upsert;
 *   default "~delete~"; refused in a required or key field),
 *   delimiter ("," ";" "\t" "|"; default ","), quote (one character; '"'),
 *   encoding ("utf-8" default, "utf-16le", "utf-16be", "utf-16" (BOM decides,
 *   LE without), "windows-1252", "iso-8859-1"; a BOM in the file wins),
 *   refs (references to records of other resources, checked by the writer:
 *   { { resource = "ProductTypes", fields = { "MasterCatalogName",
 *   "ProductType" }, name = "type" }, ... }: fields are this descriptor's
 *   own fields giving the target's key parts in the target's key order;
 *   name (default: the resource) is what rejections call it),
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
 *   strings), maxlen (characters), multi (true: values split on CR; a
 *   string: split on that separator), escape (one character, with a
 *   separator string: escape+separator or escape+escape stand for themselves) }.
 * Format "xml" (io/xml.h has the path forms): record (the record element's
 *   path, required), namespaces ({ g = "http://base.google.com/ns/1.0" };
 *   [""] = uri for unprefixed element names), and the field rule key path
 *   (default: the field's name as a child element; refused for csv); entry
 *   defaults to "<resource>.xml".
 * Unknown keys in either table are errors, so typos fail loudly.
 *
 * A group file "<name>.group.lua" anywhere below descriptors/ returns
 *   { description = "...", steps = { "categories", "products" },
 *     requires = { "products" } }
 * where each step names a descriptor file relative to the group's folder
 * ("products" -> products.lua) or to descriptors/ when it holds a '/'.
 * requires (optional) lists steps of the group whose entry the file must
 * hold; a job without one fails before anything is written.
 * Optional max_upload: the largest file `impex import` accepts for the
 * group, bytes (an integer) or a string with a unit ("5 MB", "5MiB": B, KB,
 * MB, GB are powers of 1000, KiB, MiB, GiB of 1024).
 * A group is named by its file's base name ("products-update") or by its
 * path below descriptors/ ("webshop/products-update"). */
#ifndef IMPEX_LUA_DESCRIPTOR_H
#define IMPEX_LUA_DESCRIPTOR_H

#include "core/context.h"
#include "core/error.h"
#include "io/xml.h" /* impex_xml_ns */
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

/* A reference to records of another resource (or of its own). */
typedef struct impex_ref {
    char *name;     /* for messages; default: the resource */
    char *resource; /* the target resource */
    size_t *fields; /* indexes into the descriptor's fields, in the target's key order */
    size_t nfields;
} impex_ref;

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
    char delimiter, quote; /* the CSV dialect: ',' and '"' unless the descriptor says */
    int encoding; /* an impex_encoding (io/transcode.h); UTF-8 unless the descriptor says */
    impex_field_rule *fields;
    size_t nfields;
    size_t *key; /* indexes into fields */
    size_t nkey;
    int has_validate, has_map;
    char *op_column;     /* operation_column: the column choosing each row's operation, or NULL */
    int empty_clears;    /* empty = "clear": a blank cell clears its field (default "keep") */
    char *sentinel;      /* the cell value that clears a field (IMPEX_DEFAULT_SENTINEL) */
    size_t sentinel_len; /* strlen(sentinel) */
    impex_ref *refs;
    size_t nrefs;
    /* format "xml" only (NULL / 0 otherwise) */
    char *record;     /* record path */
    char **paths;     /* per field: its path, NULL = the name as a child element */
    impex_xml_ns *ns; /* the namespaces table */
    size_t nns;
    int accumulate; /* rows with the same key in one job all apply (else: duplicates rejected) */
    int delete_omitted;   /* after the job, delete the resource's records it did not hold */
    int context_required; /* refuse to run without an override of the mapped parts */
    int context[IMPEX_CONTEXT_PARTS]; /* field index carrying each context part, or -1 */
} impex_descriptor;

#define IMPEX_DEFAULT_SENTINEL "~delete~"

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
    char **requires;       /* steps (descriptor paths) whose entry must be in the file */
    char **requires_names; /* the same steps as the group names them */
    size_t nrequires;
    uint64_t max_upload;     /* bytes; 0 = no limit */
    char max_upload_unit[4]; /* the unit it was given in ("MB", "MiB"; "" for bytes) */
} impex_group;

/* The size in the unit a group's limit uses ("6.1 MB"); unit "" picks a decimal one. */
void impex_size_format(uint64_t bytes, const char *unit, char *out, size_t size);

/* Finds "<name>.group.lua" below <root>/descriptors and loads it.
 * IMPEX_ENOTFOUND names the groups that exist. The caller owns *out. */
int impex_group_load(impex_lua *L, const char *name, impex_group **out, impex_err *err);
void impex_group_free(impex_group *g);

#endif
