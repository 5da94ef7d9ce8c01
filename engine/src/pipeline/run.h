/* The import runner's internals, shared by its three files: import.c (jobs,
 * create, run), steps.c (planning, descriptors, headers, entry readers) and
 * rows.c (checking rows, batching, the strict pass). Not a public API. */
#ifndef IMPEX_PIPELINE_RUN_H
#define IMPEX_PIPELINE_RUN_H

#include "io/archive.h"
#include "io/readahead.h"
#include "io/reader.h"
#include "lua/descriptor.h"
#include "lua/script.h"
#include "lua/scripts.h"
#include "pipeline/batch.h"
#include "pipeline/import.h"
#include "pipeline/job_store.h"
#include "schema/rules.h"
#include "store/dict.h"

#include <time.h>

/* One step as the parser sees it. */
typedef struct step_ctx {
    impex_descriptor *d;
    size_t archive_index;
    int *colmap;        /* column -> field index, -1 = ignored extra column */
    char **header;      /* column names as written (NUL-terminated copies) */
    size_t *header_len; /* their lengths in bytes (a name may hold a NUL) */
    size_t ncols;
    char *header_error;   /* the full header verdict, every offending column named */
    impex_script *script; /* bound when d->has_validate */
    size_t *name_len;     /* strlen of each field name, computed once */
    impex_dict *dict;     /* the resource's field dictionary (read-only while the run goes) */
    uint32_t *ids;        /* each field's number in dict */
    int op_col;           /* the descriptor's operation_column in this file, or -1 */
    char delimiter;       /* the CSV dialect the entry is read with */
    int encoding;         /* the encoding in effect (a BOM may have chosen it) */
    int want_context;     /* rows carry their context values (deleteOmitted's scope) */
} step_ctx;

/* One run of one job, as the parsing side holds it. */
typedef struct run_ctx run_ctx;
struct run_ctx {
    impex_engine *e;
    impex_job *job;
    size_t tenant_len; /* strlen(job->tenant), for the per-row key length check */
    const impex_run_opts *opts;
    impex_scriptset *scripts; /* the job's scripts, read once; shared with the writer */
    impex_lua *lua;
    impex_archive *archive;
    impex_checkpoint resume; /* the parser's own copy of where to start: the writer owns the job */
    uint64_t *rejected0;     /* per step: rows rejected before this run */
    step_ctx *steps;
    impex_descriptor **descs;
    impex_dict **dicts; /* per step (the writer reads them too) */
    int strict;
    struct timespec t0;
    double last_progress; /* seconds after t0 of the last progress report */
    uint64_t rows_this_run, bytes_done, bytes_total;
    /* per-row scratch */
    impex_value *vals, *present;
    impex_rule_scratch *scratch;
    size_t nvals_cap;
    impex_buf rec;
    impex_slice *slices;
    size_t slices_cap;
    /* the raw header of every step, kept for the replay (written at the start) */
    impex_reject_list headers;
    /* strict validation report: the first STRICT_KEEP_REJECTS rejected rows */
    impex_reject_list strict_rejects;
    uint64_t strict_total; /* rejected in all */
};

/* Rows bigger than this many bytes in all close the batch early, so a batch
 * (and the queue of them) is bounded by bytes as well as by rows. */
#define IMPEX_BATCH_MAX_BYTES ((size_t)4 << 20)
/* Bytes of batches queued for the writer at most (one batch always fits). */
#define IMPEX_QUEUE_MAX_BYTES ((size_t)32 << 20)
/* The largest batch size a descriptor or --batch-size may ask for. */
#define IMPEX_BATCH_SIZE_MAX 100000

/* A step's input: the archive entry, read ahead on its own thread (so
 * inflating overlaps parsing), and the CSV reader over it (through the
 * transcoder, io/transcode.h, which the reader owns). */
typedef struct step_reader {
    impex_entry *entry;
    impex_readahead *ra;
    impex_reader *reader;
} step_reader;

typedef struct step_outcome {
    int stop;          /* the job ends with this step */
    int forced_status; /* -1 or the status to end with */
    char message[1024];
} step_outcome;

/* steps.c */
/* Adds a job step per matching entry; IMPEX_EREJECT (the message names
 * them) when a step the group requires has no entry. */
int impex_steps_plan(run_ctx *r, impex_err *err);
/* Loads every step's descriptor and checks every remaining header before
 * anything is written. Returns the job status to fail with (msg says why), or -1. */
/* ... or IMPEX_PREPARE_ENGINE_ERROR when the engine itself failed (out of
 * memory): the job stays resumable. */
#define IMPEX_PREPARE_ENGINE_ERROR (-2)
int impex_steps_prepare(run_ctx *r, impex_buf *msg);
int impex_step_open(run_ctx *r, size_t s, step_reader *sr, impex_err *err);
void impex_step_close(step_reader *sr);
void impex_step_free_header(step_ctx *sc);
void impex_locate(char *dst, size_t size, const char *entry, const step_ctx *sc,
                  const impex_err *e);

/* rows.c */
/* Reads step s from the checkpoint to its end (or until stopped), pushing
 * batches to q; with q == NULL only validates (strict mode's first pass). */
int impex_rows_run_step(run_ctx *r, size_t s, impex_queue *q, step_outcome *out, impex_err *err);
/* Strict mode's first pass over every step; *failed when any row was rejected
 * (the job is then already ended with the report). */
int impex_rows_validate_all(run_ctx *r, int *failed, impex_err *err);
/* Progress to the caller's callback, at most four times a second; rd NULL = final. */
void impex_rows_progress(run_ctx *r, impex_reader *rd);

#endif
