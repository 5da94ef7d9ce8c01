/* Import jobs: create one for a file and a group, run it, resume it.
 *
 * impex_import_create copies the file into the file store (fsynced, file and
 * folder), then records the job (IN_QUEUE), so a committed job never points
 * at a file a power cut could lose and a resume never depends on the
 * caller's copy. It can hand the caller the job's lock, taken before the job
 * is visible, so that nobody (e.g. `impex resume` run in a loop) can take
 * the job between its creation and its run.
 * impex_import_run runs a job from its checkpoint to a final status (or to
 * the next batch boundary once *cancel is set), holding the job's lock file
 * so two processes never run the same job. Rows are parsed and checked on
 * the calling thread and written by a writer thread; see writer.h. */
#ifndef IMPEX_PIPELINE_IMPORT_H
#define IMPEX_PIPELINE_IMPORT_H

#include "core/error.h"
#include "pipeline/engine.h"
#include "pipeline/job.h"
#include "pipeline/job_store.h"

#include <signal.h>
#include <stdint.h>

typedef struct impex_import_opts {
    const char *tenant;
    const char *group;
    const char *strategy;  /* "skip" | "strict" | NULL = the descriptors' */
    const char *operation; /* "upsert" | "insert" | "update" | "delete" | NULL = the descriptors' */
    uint64_t max_errors;   /* 0 = the descriptors' */
    uint64_t batch_size;   /* 0 = the descriptors'; at most 100,000 */
    const char
        *delimiter; /* "," ";" "\t" "|" or comma, semicolon, tab, pipe; NULL = the descriptors' */
    const char *quote;                 /* one character; NULL = the descriptors' */
    const char *encoding;              /* see io/transcode.h; NULL = the descriptors' */
    const char *const *delete_omitted; /* resources to sweep after the import, or "all" */
    size_t ndelete_omitted;
    const char *context; /* contextOverride: "masterCatalog=Master,locale=en-US" or NULL */
} impex_import_opts;

/* The lock that gives one process the right to run a job. */
typedef struct impex_job_lock impex_job_lock;

/* Takes job id's lock without waiting: IMPEX_EBUSY when another holds it. */
int impex_job_lock_take(impex_engine *e, uint64_t id, impex_job_lock **out, impex_err *err);
/* Releases and frees. Safe with NULL. */
void impex_job_lock_release(impex_job_lock *l);

/* Creates the job. With lock != NULL the caller gets the job's lock, held
 * (pass it to impex_import_run through impex_run_opts.lock). */
int impex_import_create(impex_engine *e, const impex_import_opts *o, const char *file,
                        uint64_t *job_id, impex_job_lock **lock, impex_err *err);

typedef struct impex_progress {
    uint64_t rows;         /* rows read in this run */
    uint64_t bytes, total; /* bytes parsed / to parse, all steps of this run */
    double seconds;        /* since this run started */
} impex_progress;

typedef struct impex_run_opts {
    volatile sig_atomic_t *cancel; /* stop at the next batch boundary when set */
    void (*progress)(void *ctx, const impex_progress *p);
    void *progress_ctx;
    impex_job_lock *lock; /* the job's lock if the caller holds it already (not released) */
} impex_run_opts;

/* Runs or resumes job_id. Returns 0 when the job reached a final status (which
 * may be a failure: read the job) or was cancelled at a checkpoint;
 * IMPEX_EBUSY when another process runs it; another code when the engine
 * itself failed or the job's file cannot be opened (the job is then left
 * resumable with a message, or marked FAILED_UNEXPECTEDLY). */
int impex_import_run(impex_engine *e, uint64_t job_id, const impex_run_opts *o, impex_err *err);

#endif
