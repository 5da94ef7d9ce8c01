#include "pipeline/job_store.h"

#include <stdlib.h>
#include <string.h>

int impex_reject_list_add(impex_reject_list *l, uint64_t seq, const char *rec, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        size_t *off = realloc(l->off, cap * sizeof *off);
        if (off) l->off = off;
        size_t *lens = realloc(l->len, cap * sizeof *lens);
        if (lens) l->len = lens;
        uint64_t *seqs = realloc(l->seq, cap * sizeof *seqs);
        if (seqs) l->seq = seqs;
        if (!off || !lens || !seqs) return IMPEX_ENOMEM;
        l->cap = cap;
    }
    l->off[l->n] = l->data.len;
    l->len[l->n] = len;
    l->seq[l->n] = seq;
    if (impex_buf_append(&l->data, rec, len)) return IMPEX_ENOMEM;
    l->n++;
    return IMPEX_OK;
}

void impex_reject_list_free(impex_reject_list *l)
{
    impex_buf_free(&l->data);
    free(l->off);
    free(l->len);
    free(l->seq);
    memset(l, 0, sizeof *l);
}

int impex_job_put_all(impex_txn *txn, const impex_job *job, const unsigned char *dirty,
                      impex_buf *scratch, impex_err *err)
{
    int rc = IMPEX_OK;
    for (size_t i = 0; !rc && i < job->nsteps; i++) {
        if (dirty && !dirty[i]) continue;
        impex_buf_reset(scratch);
        if (impex_step_to_json(job, i, scratch))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        rc = impex_step_put(txn, job->id, i, (impex_slice){scratch->ptr, scratch->len}, err);
    }
    impex_buf_reset(scratch);
    if (!rc && impex_job_header_to_json(job, scratch))
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!rc) rc = impex_job_put(txn, job->id, (impex_slice){scratch->ptr, scratch->len}, err);
    return rc;
}

int impex_job_save(impex_engine *e, impex_job *job, const impex_reject_list *rejects,
                   impex_err *err)
{
    impex_buf js = {0};
    impex_txn *txn = NULL;
    impex_job_now(job->updated);
    int rc = impex_txn_begin(e->store, 1, &txn, err);
    for (size_t i = 0; !rc && rejects && i < rejects->n; i++)
        rc = impex_reject_put(txn, job->id, rejects->seq[i],
                              (impex_slice){rejects->data.ptr + rejects->off[i], rejects->len[i]},
                              err);
    if (!rc) rc = impex_job_put_all(txn, job, NULL, &js, err);
    if (!rc)
        rc = impex_txn_commit(txn, err);
    else
        impex_txn_abort(txn);
    impex_buf_free(&js);
    return rc;
}

static int add_step(void *ctx, uint64_t i, impex_slice json)
{
    impex_job *job = ctx;
    (void)i;
    return impex_job_add_step_json(job, json.ptr, json.len, NULL);
}

int impex_job_load(impex_engine *e, const char *tenant, uint64_t id, impex_job **out,
                   impex_err *err)
{
    impex_txn *txn;
    impex_slice js;
    *out = NULL;
    int rc = impex_txn_begin(e->store, 0, &txn, err);
    if (rc) return rc;
    rc = impex_job_get(txn, id, &js, err);
    if (!rc) rc = impex_job_from_json(js.ptr, js.len, out, err);
    /* Records written before steps had their own carry them inline. */
    if (!rc && !(*out)->nsteps) {
        int src = impex_step_scan(txn, id, add_step, *out, err);
        if (src && src != IMPEX_ENOTFOUND)
            rc = impex_err_set(err, src, "job %llu: %s", (unsigned long long)id,
                               src == IMPEX_ENOMEM ? "out of memory" : "a step record is damaged");
    }
    impex_txn_abort(txn);
    if (rc && *out && rc != IMPEX_ENOTFOUND) {
        impex_job_free(*out);
        *out = NULL;
    }
    if (rc == IMPEX_ENOTFOUND || (!rc && tenant && strcmp((*out)->tenant, tenant))) {
        if (!rc) impex_job_free(*out);
        *out = NULL;
        return impex_err_set(err, IMPEX_ENOTFOUND, "no job %llu for tenant %s",
                             (unsigned long long)id, tenant ? tenant : "?");
    }
    return rc;
}
