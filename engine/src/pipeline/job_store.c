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

int impex_job_save(impex_engine *e, impex_job *job, const impex_reject_list *rejects,
                   impex_err *err)
{
    impex_buf js = {0};
    impex_txn *txn = NULL;
    impex_job_now(job->updated);
    int rc = impex_job_to_json(job, &js) ? impex_err_set(err, IMPEX_ENOMEM, "out of memory") : 0;
    if (!rc) rc = impex_txn_begin(e->store, 1, &txn, err);
    for (size_t i = 0; !rc && rejects && i < rejects->n; i++)
        rc = impex_reject_put(txn, job->id, rejects->seq[i],
                              (impex_slice){rejects->data.ptr + rejects->off[i], rejects->len[i]},
                              err);
    if (!rc) rc = impex_job_put(txn, job->id, (impex_slice){js.ptr, js.len}, err);
    if (!rc)
        rc = impex_txn_commit(txn, err);
    else
        impex_txn_abort(txn);
    impex_buf_free(&js);
    return rc;
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
    impex_txn_abort(txn);
    if (rc == IMPEX_ENOTFOUND || (!rc && tenant && strcmp((*out)->tenant, tenant))) {
        if (!rc) impex_job_free(*out);
        *out = NULL;
        return impex_err_set(err, IMPEX_ENOTFOUND, "no job %llu for tenant %s",
                             (unsigned long long)id, tenant ? tenant : "?");
    }
    return rc;
}
