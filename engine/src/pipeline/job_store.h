/* Jobs in the store: reading one, and writing one outside the writer thread
 * (at its start, for a verdict reached before any batch), optionally with
 * rejected rows that must land in the same transaction. */
#ifndef IMPEX_PIPELINE_JOB_STORE_H
#define IMPEX_PIPELINE_JOB_STORE_H

#include "core/buf.h"
#include "core/error.h"
#include "pipeline/engine.h"
#include "pipeline/job.h"
#include "store/store.h"

/* Encoded reject records (pipeline/reject.h) waiting to be stored. */
typedef struct impex_reject_list {
    impex_buf data;
    size_t *off, *len;
    uint64_t *seq;
    size_t n, cap;
} impex_reject_list;

int impex_reject_list_add(impex_reject_list *l, uint64_t seq, const char *rec, size_t len);
void impex_reject_list_free(impex_reject_list *l);

/* Puts the job's record and its steps (only those marked in dirty, unless
 * dirty is NULL) in txn; scratch is a buffer to format into. */
int impex_job_put_all(impex_txn *txn, const impex_job *job, const unsigned char *dirty,
                      impex_buf *scratch, impex_err *err);

/* Writes the job (and the records in rejects, if given) in one transaction. */
int impex_job_save(impex_engine *e, impex_job *job, const impex_reject_list *rejects,
                   impex_err *err);

/* Reads a job (tenant-checked unless tenant is NULL). The caller owns *out. */
int impex_job_load(impex_engine *e, const char *tenant, uint64_t id, impex_job **out,
                   impex_err *err);

#endif
