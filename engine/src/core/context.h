/* The catalog context a record lives in (master catalog, catalog, locale,
 * currency, site): the parts a descriptor maps to its fields and that a
 * request may fix for every row (contextOverride, `import --context`). */
#ifndef IMPEX_CORE_CONTEXT_H
#define IMPEX_CORE_CONTEXT_H

#include "core/error.h"

#include <stddef.h>

#define IMPEX_CONTEXT_PARTS 5

/* "masterCatalog", "catalog", "locale", "currency", "site" (i < IMPEX_CONTEXT_PARTS). */
const char *impex_context_name(size_t i);
/* Index of the part called name (exact), or -1. */
int impex_context_index(const char *name);
/* Parses "masterCatalog=Master,locale=en-US" into out (copies; unset parts
 * NULL; the caller frees each). IMPEX_EUSAGE names an unknown or repeated
 * part or an empty value. */
int impex_context_parse(const char *text, char *out[IMPEX_CONTEXT_PARTS], impex_err *err);

#endif
