/* Import modes that look at a whole job rather than one row: the keys a job
 * has seen (duplicates within a file, accumulate), deleteOmitted (a sweep
 * after the import that deletes the records the job did not hold, batched
 * and checkpointed like the import) and the catalog context
 * (contextOverride, context_required).
 *
 * Seen keys live in the store's "seen" database, written in each batch's
 * own transaction: set 2*s+1 holds the keys of the resource whose first step
 * is s, set 2*s the context values its rows carried (deleteOmitted's scope).
 * They are cleared, in bounded commits, once the job is final. */
#ifndef IMPEX_PIPELINE_MODES_H
#define IMPEX_PIPELINE_MODES_H

#include "core/buf.h"
#include "core/error.h"
#include "lua/descriptor.h"
#include "pipeline/engine.h"
#include "pipeline/import.h"
#include "pipeline/job.h"
#include "store/dict.h"

#include <signal.h>

/* Deletes per sweep commit, and records visited at most per sweep commit. */
#define IMPEX_SWEEP_BATCH 500
#define IMPEX_SWEEP_VISIT 20000
/* Seen keys deleted per commit when a job's keys are cleared. */
#define IMPEX_SEEN_CLEAR_BATCH 100000

static inline uint32_t impex_seen_keys_set(size_t first_step)
{
    return (uint32_t)(2 * first_step + 1);
}
static inline uint32_t impex_seen_context_set(size_t first_step)
{
    return (uint32_t)(2 * first_step);
}

/* The first step of the job with step s's resource. */
size_t impex_modes_first_step(const impex_job *job, size_t s);
/* Whether deleteOmitted applies to step s's resource (the job's list, or a
 * descriptor of that resource). descs: one per step. */
int impex_modes_sweeps(const impex_job *job, impex_descriptor *const *descs, size_t s);
/* The first step >= from that starts a resource to sweep, or -1. */
long impex_modes_next_sweep(const impex_job *job, impex_descriptor *const *descs, size_t from);
/* Whether the rows of step s carry context values deleteOmitted needs. */
int impex_modes_wants_context(const impex_job *job, impex_descriptor *const *descs, size_t s);
/* The context values of a row (parts[k] for each part d maps; others
 * ignored), encoded for the seen set. */
int impex_modes_context_tuple(const impex_descriptor *d, const impex_slice *parts, impex_buf *out);

/* At job creation: the override parsed into job->context and the
 * deleteOmitted resources checked against the group (IMPEX_EUSAGE). */
int impex_modes_setup(impex_engine *e, const impex_import_opts *o, impex_job *job, impex_err *err);
/* When d requires a context the job's override does not give: writes why
 * into msg and returns 1 (-1 when out of memory). */
int impex_modes_context_missing(const impex_descriptor *d, const impex_job *job, impex_buf *msg);

/* Runs the sweep phase from the job's checkpoint to the end (the job is
 * then final) or until *cancel (the job stays resumable). */
int impex_modes_sweep(impex_engine *e, impex_job *job, impex_descriptor *const *descs,
                      impex_dict *const *dicts, volatile sig_atomic_t *cancel, impex_err *err);
/* Clears the seen keys of every final job (bounded commits). */
int impex_modes_clear_seen(impex_engine *e, impex_err *err);

#endif
