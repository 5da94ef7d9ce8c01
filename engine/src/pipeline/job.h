/* The job: one import or export run, its status, counters, checkpoint and
 * per-step status. Stored as JSON text in the store's "jobs" database and
 * rewritten in the same write transaction as every batch it commits.
 *
 * One owner: while a job runs, only the thread that commits its batches (the
 * writer) changes its impex_job; the parsing side works from its own copy of
 * the resume point, and everyone else (the CLI, the service's pollers) reads
 * the committed record, a consistent snapshot. */
#ifndef IMPEX_PIPELINE_JOB_H
#define IMPEX_PIPELINE_JOB_H

#include "core/buf.h"
#include "core/context.h"
#include "core/error.h"
#include "io/reader.h"

#include <stddef.h>
#include <stdint.h>

typedef enum impex_job_status {
    IMPEX_JOB_IN_QUEUE,
    IMPEX_JOB_IMPORTING,
    IMPEX_JOB_EXPORTING,
    IMPEX_JOB_COMPLETED,
    IMPEX_JOB_COMPLETED_WITH_ERRORS,
    IMPEX_JOB_INVALID_OPERATION_TYPE,
    IMPEX_JOB_FAILED_HEADERS,
    IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS,
    IMPEX_JOB_FAILED_UNEXPECTEDLY,
} impex_job_status;

typedef enum impex_job_type { IMPEX_JOB_IMPORT, IMPEX_JOB_EXPORT } impex_job_type;

/* "IN_QUEUE", "IMPORTING", ... */
const char *impex_job_status_name(impex_job_status s);
/* Whether s is final (isComplete for pollers). */
int impex_job_status_final(impex_job_status s);

/* imported = created + updated + unchanged + deleted: the rows applied. */
typedef struct impex_counts {
    uint64_t rows, imported, rejected;
    uint64_t created, updated, unchanged, deleted;
} impex_counts;

void impex_counts_add(impex_counts *to, const impex_counts *c);

/* One step: one zip entry run through one descriptor. */
typedef struct impex_step {
    char *descriptor; /* path relative to the scripts root */
    char *resource;
    char *entry;  /* entry name inside the archive (invalid UTF-8 shown as \xHH) */
    size_t index; /* the entry's index in the archive: names may repeat */
    impex_job_status status;
    impex_counts counts;
    char *details;  /* stateDetails: why it failed, or NULL */
    char **columns; /* the entry's header as written, once read */
    size_t ncolumns;
} impex_step;

/* Where to continue: everything of step `step` up to record `row` is
 * committed, and the reader resumes after it from `token`. */
typedef struct impex_checkpoint {
    int phase;   /* 0 = validating (strict only), 1 = importing, 2 = sweeping (deleteOmitted) */
    size_t step; /* index into steps */
    impex_token token; /* the reader's resume token after record `row` (CSV: byte offset first) */
    uint64_t row;      /* record number of the last committed row (header = 1); 0 = none */
    uint64_t line;     /* physical line the next row starts on */
    uint64_t batch;    /* batches committed so far, all steps */
} impex_checkpoint;

/* A script the job runs with, pinned by its hash. */
typedef struct impex_script_ref {
    char *path; /* relative to the scripts root */
    char *hash; /* 16 hex digits */
} impex_script_ref;

typedef struct impex_job {
    uint64_t id;
    impex_job_type type;
    char *tenant;
    char *group;
    char *source;        /* the file name as given by the user */
    char *file;          /* the job's copy in the file store, relative to the data folder */
    char *strategy;      /* "skip" or "strict", NULL = each descriptor's own */
    char *operation;     /* "upsert", "insert", "update", "delete"; NULL = each descriptor's own */
    uint64_t max_errors; /* 0 = each descriptor's own */
    uint64_t batch_size; /* 0 = each descriptor's own */
    char *
        delimiter; /* CSV dialect override for every step ("," ";" "\t" "|"); NULL = descriptor's */
    char *quote;   /* one character; NULL = descriptor's */
    char *encoding; /* "utf-8", "utf-16le", ...; NULL = descriptor's */
    impex_job_status status;
    impex_counts counts;
    uint64_t batches;
    impex_checkpoint cp;
    impex_step *steps;
    size_t nsteps;
    char **messages; /* job-level errors and warnings, at most IMPEX_JOB_MAX_MESSAGES */
    size_t nmessages;
    impex_script_ref *scripts; /* every script the job runs with, pinned at its start */
    size_t nscripts;
    char created[32], started[32], updated[32], finished[32]; /* ISO 8601 UTC, "" if not yet */
    char **delete_omitted; /* resources to sweep (`--delete-omitted`; "all" = every one) */
    size_t ndelete_omitted;
    char *context[IMPEX_CONTEXT_PARTS]; /* contextOverride: each part's value, or NULL */
    /* phase 2: the sweep of step cp.step's resource goes on after this key */
    unsigned char sweep_after[512];
    size_t sweep_after_len;
} impex_job;

/* Phase of the checkpoint while deleteOmitted sweeps (cp.step: the step
 * whose resource is swept, the first step of that resource). */
#define IMPEX_PHASE_SWEEP 2

#define IMPEX_JOB_MAX_MESSAGES 50
#define IMPEX_JOB_COLUMN_MAX 256 /* bytes of a column name the job keeps */

int impex_job_new(uint64_t id, const char *tenant, const char *group, const char *source,
                  impex_job **out);
void impex_job_free(impex_job *j);

/* Appends a step (strings copied; entry shown visibly if not UTF-8). */
int impex_job_add_step(impex_job *j, const char *descriptor, const char *resource,
                       const char *entry, size_t index);
/* Records a script the job runs with (copied). */
int impex_job_add_script(impex_job *j, const char *path, const char *hash);
/* Records step i's header names (copied; invalid UTF-8 and NULs shown as
 * \xHH so no column is ever lost), unless already known. */
int impex_job_set_columns(impex_job *j, size_t i, char *const *names, const size_t *lens, size_t n);

/* Appends a printf-style message (ignored past the cap). */
int impex_job_message(impex_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes the messages that start with prefix (a condition that no longer holds). */
void impex_job_drop_messages(impex_job *j, const char *prefix);

/* Text that a store-failure message starts with; a successful run drops it. */
#define IMPEX_STORE_FAILURE_PREFIX "store failure: "
/* Text that a message about a run stopped by an engine error starts with. */
#define IMPEX_PAUSED_PREFIX "paused: "

/* Deep copy (a snapshot another thread may read while the owner goes on). */
int impex_job_clone(const impex_job *j, impex_job **out);

/* Stamps dst with the current UTC time. */
void impex_job_now(char dst[32]);

/* JSON: the shape pollers expect (id, type, status, isComplete, rows,
 * imported, created, updated, unchanged, deleted, rejected, batches,
 * checkpoint, resources[{resource, status, isComplete, the same counts,
 * stateDetails}], scripts, messages, createdAt/startedAt/updatedAt/finishedAt). Text that is not
 * UTF-8 is written visibly (\xHH). */
int impex_job_to_json(const impex_job *j, impex_buf *out);
/* The job as stored: everything but its steps (stored one record each, so a
 * commit rewrites only the steps it changed), with "steps": their number. */
int impex_job_header_to_json(const impex_job *j, impex_buf *out);
/* Step i as stored, and back (appended to j's steps). */
int impex_step_to_json(const impex_job *j, size_t i, impex_buf *out);
int impex_job_add_step_json(impex_job *j, const char *text, size_t len, impex_err *err);
int impex_job_from_json(const char *json, size_t len, impex_job **out, impex_err *err);

#endif
