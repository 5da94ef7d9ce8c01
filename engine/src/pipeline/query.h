/* The engine's read API: what the CLI (and later the HTTP service) calls to
 * look at records, jobs and rejected rows, to check the store and to copy
 * it. Every call here takes read transactions only, so none waits for a
 * running import, and all of them work on an engine opened read-only
 * (answering empty when that engine has no store yet). */
#ifndef IMPEX_PIPELINE_QUERY_H
#define IMPEX_PIPELINE_QUERY_H

#include "pipeline/engine.h"
#include "pipeline/job.h"
#include "store/dict.h"

#include <signal.h>

/* Number of records of tenant in resource. */
int impex_engine_count(impex_engine *e, const char *resource, const char *tenant, uint64_t *n,
                       impex_err *err);
/* Copies the encoded record into *rec (reset first) and gives the resource's
 * field dictionary to read it with (impex_dict_free); IMPEX_ENOTFOUND if absent. */
int impex_engine_get_record(impex_engine *e, const char *resource, const char *tenant,
                            impex_slice key, impex_buf *rec, impex_dict **dict, impex_err *err);
/* One page of records after `after` (see impex_record_page). */
int impex_engine_record_page(impex_engine *e, const char *resource, const char *tenant,
                             impex_slice after, size_t max, impex_record_cb cb, void *ctx,
                             impex_buf *last, int *done, impex_err *err);
/* Every record of tenant in key order, page by page (page records per read
 * transaction; 0 = 256). cb runs outside any transaction on a copy, so a
 * slow consumer pins nothing; records committed meanwhile after the current
 * position are included, each key is visited once. */
typedef int (*impex_dump_cb)(void *ctx, const impex_dict *dict, impex_slice key, impex_slice rec);
/* cb gets the resource's field dictionary with each record. */
int impex_engine_dump(impex_engine *e, const char *resource, const char *tenant, size_t page,
                      impex_dump_cb cb, void *ctx, impex_err *err);

/* The tenant's jobs in id order; json is the stored text. A non-zero return
 * of cb stops and is returned. */
typedef int (*impex_job_cb)(void *ctx, const impex_job *job, impex_slice json);
int impex_engine_jobs(impex_engine *e, const char *tenant, impex_job_cb cb, void *ctx,
                      impex_err *err);
/* One job of the tenant; IMPEX_ENOTFOUND when absent or another tenant's. */
int impex_engine_job(impex_engine *e, const char *tenant, uint64_t id, impex_job **out,
                     impex_err *err);
/* Rejected rows (JSON) of one job of the tenant in order. */
int impex_engine_rejects(impex_engine *e, const char *tenant, uint64_t job, impex_blob_cb cb,
                         void *ctx, impex_err *err);

/* A consistent compacted copy of the store into dest/store/data.mdb; dest must
 * not exist or be an empty folder. Usable while an import runs. */
int impex_engine_backup(impex_engine *e, const char *dest, impex_err *err);

typedef struct impex_verify_summary {
    uint64_t databases;
    uint64_t entries;
    uint64_t damaged; /* problems found */
    int signal;       /* the reader died on this signal (0: it did not) */
    char where[300];  /* the database being read when it died */
} impex_verify_summary;
/* One line of the report (no newline), as the walk goes. */
typedef void (*impex_verify_cb)(void *ctx, const char *line);
/* Reads every entry of every database of the store in <data_dir> and checks
 * it (key shape, record encoding, JSON, jobs parse). The walk runs in a child
 * process, so a damaged page that crashes the reader is reported, not fatal.
 * IMPEX_OK when the store is sound, IMPEX_ESTORE when damaged (err says how),
 * IMPEX_ECANCEL when stopped (*cancel set, or the child killed by a stop
 * signal), another code when it could not be checked. */
int impex_engine_verify(const char *data_dir, const volatile sig_atomic_t *cancel,
                        impex_verify_cb cb, void *ctx, impex_verify_summary *sum, impex_err *err);

#endif
