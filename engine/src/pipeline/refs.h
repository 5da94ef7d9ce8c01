/* Reference checks (descriptor key `refs`): a row whose referenced fields
 * are all non-empty must name a record of the target resource that is
 * stored or written earlier in the same job.
 *
 * The parser encodes each row's target keys beside its record
 * (impex_refs_encode); the writer checks them inside the batch's write
 * transaction, in row order, so a lookup sees exactly what is committed
 * plus every earlier row of the job. Lookups are kept off the store where
 * possible: one bounded key cache per target resource, filled by lookups
 * and by the job's own writes to that resource, a deleted key dropped from
 * it, and the whole cache forgotten at each commit (another process may
 * have deleted a record since). A miss is one seek through a cursor kept
 * open for the commit, which descends from the root only when the key is
 * off the page of the previous one. */
#ifndef IMPEX_PIPELINE_REFS_H
#define IMPEX_PIPELINE_REFS_H

#include "core/buf.h"
#include "core/error.h"
#include "lua/descriptor.h"
#include "pipeline/batch.h"
#include "store/codec.h"
#include "store/store.h"

#include <stddef.h>

typedef struct impex_refs impex_refs;

/* Appends the target keys of d's refs for one row (vals: the row's values,
 * one per field of d): per ref a u16 length (little-endian) and the encoded
 * key, length 0 when one of its fields is empty (the reference is optional
 * then). IMPEX_ENOMEM on failure. */
int impex_refs_encode(const impex_descriptor *d, const impex_value *vals, impex_buf *out);

/* The checker of one job run (the writer's). *out is NULL when no step
 * has refs. */
int impex_refs_new(impex_descriptor *const *descs, size_t nsteps, const char *tenant,
                   impex_refs **out, impex_err *err);
void impex_refs_free(impex_refs *r);
/* A commit starts in txn: caches are forgotten, cursors opened on demand. */
void impex_refs_begin(impex_refs *r, impex_txn *txn);
/* Closes the cursors; call before the txn ends. */
void impex_refs_end(impex_refs *r);

/* Checks the references of item i of batch b. 0 when every
 * reference holds; IMPEX_EREJECT with the reason in rerr ("reference:
 * ProductTypes Master/SHOES not found") and *bad = the failing ref's index;
 * anything else when the store failed (err). */
int impex_refs_check(impex_refs *r, const impex_batch *b, size_t i, size_t *bad, impex_err *rerr,
                     impex_err *err);
/* The job stored key (a record of step's resource) / deleted it. */
void impex_refs_wrote(impex_refs *r, size_t step, impex_slice key);
void impex_refs_deleted(impex_refs *r, size_t step, impex_slice key);

/* The k-th target key of item it of b (empty: not checked). */
impex_slice impex_refs_key(const impex_batch *b, const impex_item *it, size_t k);

#endif
