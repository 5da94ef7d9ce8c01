/* Streaming XML reader (libxml2's xmlTextReader) behind the reader interface.
 *
 * A descriptor names a record element and, per field, a path relative to it;
 * the reader turns each record element into one row of byte fields in the
 * descriptor's field order. Its first row is a synthetic header holding the
 * field names (record 1), so the pipeline maps columns as for CSV; records
 * are rows 2..n.
 *
 * Paths (impex_xml_path_compile):
 *   NAME, A/B/C        child elements, nested
 *   @id, A/@unit       an attribute of the record element / of a child
 *   A[@t='net']/B      a step with a predicate on one of its attributes
 *                      ("..." quotes too)
 *   p:NAME             an element in the namespace the descriptor maps p to
 *                      (matched by URI, never by the file's prefix); an
 *                      unprefixed name is in no namespace, or in the one
 *                      mapped to "" when the descriptor gives one
 *   /A/B/C             absolute: a value outside the record (a header),
 *                      inherited by every record after it
 * The record path is A/B/C (an element whose last ancestors are these, at
 * any depth) or /A/B/C (exactly this chain from the root); no predicates.
 *
 * A value is the text of the element and its descendants (CDATA included,
 * entities and character references decoded, spaces kept as written); text
 * nodes that are only whitespace (indentation) are left out. An element
 * repeated inside one record is a list for a multi field (values joined
 * with CR) and rejects the record for any other field.
 *
 * Safety: no network, no DTD or external entity is ever loaded, entities
 * declared in the document are not expanded (a record using one is
 * rejected), nesting is limited to 256 levels and a record's values to
 * max_record_bytes. Errors say where (line, column). */
#ifndef IMPEX_IO_XML_H
#define IMPEX_IO_XML_H

#include "core/error.h"
#include "io/reader.h"

#include <stddef.h>

typedef struct impex_xml_ns {
    const char *prefix; /* "g", or "" for unprefixed element names */
    const char *uri;
} impex_xml_ns;

typedef struct impex_xml_spec {
    const char *record;       /* record path */
    const char *const *names; /* field names: the synthetic header */
    const char *const *paths; /* per field: its path, NULL = the name as a child element */
    const int *multi;         /* per field: repeats become a CR-joined list (NULL: none) */
    size_t nfields;
    const impex_xml_ns *ns;
    size_t nns;
    size_t max_record_bytes; /* 0 = 16 MiB */
} impex_xml_spec;

/* Initialises libxml2 once for the process (its first-use initialisation is
 * not thread-safe in 2.9). Call before any reader may be opened on another
 * thread; cheap after the first call. */
void impex_xml_init(void);

/* Checks a path (a record path when is_record) against the namespace map;
 * IMPEX_EDESC with the reason in err. Used when a descriptor loads. */
int impex_xml_path_check(const char *path, int is_record, const impex_xml_ns *ns, size_t nns,
                         impex_err *err);

/* Opens a reader over rd/ctx (not owned). The spec is copied.
 * Resume token: {bytes read when the record ended, its row number, the
 * parser's line then}; seek re-parses from the start and skips records up
 * to that row without building them (header values are still picked up). */
int impex_reader_open_xml(impex_read_fn rd, void *ctx, const impex_xml_spec *spec,
                          impex_reader **out, impex_err *err);

#endif
