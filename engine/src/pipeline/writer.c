#include "pipeline/writer.h"
#include "lua/script.h"
#include "store/codec.h"

#include <stdlib.h>
#include <string.h>

/* State private to the writer thread. */
typedef struct writer_state {
    impex_writer *w;
    impex_lua *lua;         /* created on first need: map runs here, in the write txn */
    impex_script **scripts; /* per step, bound lazily */
    impex_buf merged, mapped, json;
} writer_state;

uint64_t impex_reject_seq(size_t step, uint64_t row)
{
    return ((uint64_t)(step + 1) << 40) | (row & ((1ull << 40) - 1));
}

int impex_reject_json(impex_buf *out, size_t step, const char *file, uint64_t row, uint64_t line,
                      const char *column, const char *value, size_t value_len, const char *reason,
                      const char *fields_json, size_t fields_len)
{
    int rc = impex_buf_printf(out, "{\"step\":%zu,\"file\":", step);
    rc = rc || impex_buf_put_json_string(out, file, strlen(file));
    rc = rc ||
         impex_buf_printf(out, ",\"row\":%llu,\"line\":%llu,\"column\":", (unsigned long long)row,
                          (unsigned long long)line);
    rc = rc || (column ? impex_buf_put_json_string(out, column, strlen(column))
                       : impex_buf_puts(out, "null"));
    rc = rc || impex_buf_puts(out, ",\"value\":");
    rc = rc ||
         (value ? impex_buf_put_json_string(out, value, value_len) : impex_buf_puts(out, "null"));
    rc = rc || impex_buf_puts(out, ",\"reason\":");
    rc = rc || impex_buf_put_json_string(out, reason, strlen(reason));
    rc = rc || impex_buf_puts(out, ",\"fields\":");
    rc = rc ||
         (fields_len ? impex_buf_append(out, fields_json, fields_len) : impex_buf_puts(out, "[]"));
    rc = rc || impex_buf_putc(out, '}');
    return rc ? IMPEX_ENOMEM : IMPEX_OK;
}

/* Stored fields the update does not name keep their values. */
static int overlay(impex_slice existing, impex_slice update, impex_buf *out, impex_err *err)
{
    impex_value *old = NULL, *upd = NULL, *res = NULL;
    size_t nold, nupd, n = 0;
    int rc = impex_codec_decode(existing, &old, &nold, err);
    if (!rc) rc = impex_codec_decode(update, &upd, &nupd, err);
    if (!rc && !(res = malloc((nold + nupd + 1) * sizeof *res)))
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (rc) goto done;
    char *used = calloc(nupd + 1, 1);
    if (!used) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nold; i++) {
        res[n] = old[i];
        for (size_t k = 0; k < nupd; k++)
            if (!used[k] && upd[k].name_len == old[i].name_len &&
                !memcmp(upd[k].name, old[i].name, old[i].name_len)) {
                res[n] = upd[k];
                used[k] = 1;
                break;
            }
        n++;
    }
    for (size_t k = 0; k < nupd; k++)
        if (!used[k]) res[n++] = upd[k];
    free(used);
    impex_buf_reset(out);
    if (impex_codec_encode(res, n, out)) rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
done:
    free(old);
    free(upd);
    free(res);
    return rc;
}

static int get_script(writer_state *st, size_t step, impex_script **out, impex_err *err)
{
    impex_writer *w = st->w;
    if (!st->scripts && !(st->scripts = calloc(w->job->nsteps, sizeof *st->scripts)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!st->lua) {
        int rc = impex_lua_new(w->engine->scripts_root, &w->engine->lua_limits, &st->lua, err);
        if (rc) return rc;
    }
    if (!st->scripts[step]) {
        int rc = impex_script_bind(st->lua, w->descs[step], &st->scripts[step], err);
        if (rc) return rc;
    }
    *out = st->scripts[step];
    return IMPEX_OK;
}

/* Applies one row. Returns 0 when stored, IMPEX_EREJECT with the reason in
 * rerr when the row is rejected, anything else when the txn is lost. */
static int apply_item(writer_state *st, impex_txn *txn, const impex_batch *b, const impex_item *it,
                      impex_err *rerr, impex_err *err)
{
    impex_writer *w = st->w;
    const impex_descriptor *d = w->descs[b->step];
    const char *tenant = w->job->tenant;
    impex_slice key = {b->data.ptr + it->key_off, it->key_len};
    impex_slice rec = {b->data.ptr + it->rec_off, it->rec_len};
    impex_slice existing = {0};
    int rc, have = 0;

    if (d->op == IMPEX_OP_DELETE) {
        rc = impex_record_del(txn, d->resource, tenant, key, err);
        if (rc == IMPEX_ENOTFOUND)
            return impex_err_set(rerr, IMPEX_EREJECT, "no such record to delete");
        return rc;
    }
    if (!d->has_map && d->op != IMPEX_OP_UPDATE) {
        /* insert/upsert without map: one lookup, and none at all for a new key. */
        rc = impex_record_put_new(txn, d->resource, tenant, key, rec, &existing, err);
        if (rc != IMPEX_EEXISTS) return rc;
        if (d->op == IMPEX_OP_INSERT)
            return impex_err_set(rerr, IMPEX_EREJECT, "record already exists (operation insert)");
        if ((rc = overlay(existing, rec, &st->merged, err))) return rc;
        return impex_record_put(txn, d->resource, tenant, key,
                                (impex_slice){st->merged.ptr, st->merged.len}, err);
    }
    rc = impex_record_get(txn, d->resource, tenant, key, &existing, err);
    if (rc && rc != IMPEX_ENOTFOUND) return rc;
    have = rc == 0;
    if (have && d->op == IMPEX_OP_INSERT)
        return impex_err_set(rerr, IMPEX_EREJECT, "record already exists (operation insert)");
    if (!have && d->op == IMPEX_OP_UPDATE)
        return impex_err_set(rerr, IMPEX_EREJECT, "no such record to update (operation update)");
    if (d->has_map) {
        impex_script *s = NULL;
        impex_value *vals;
        size_t n;
        if ((rc = get_script(st, b->step, &s, err))) return rc;
        if ((rc = impex_codec_decode(rec, &vals, &n, err))) return rc;
        impex_buf_reset(&st->mapped);
        rc = impex_script_map(s, vals, n, have ? &existing : NULL, &st->mapped, rerr);
        free(vals);
        if (rc) return rc == IMPEX_EREJECT ? rc : impex_err_set(err, rc, "%s", rerr->msg);
        rec.ptr = st->mapped.ptr;
        rec.len = st->mapped.len;
    }
    if (have) {
        if ((rc = overlay(existing, rec, &st->merged, err))) return rc;
        rec.ptr = st->merged.ptr;
        rec.len = st->merged.len;
    }
    return impex_record_put(txn, d->resource, tenant, key, rec, err);
}

static int apply_batch(writer_state *st, impex_txn *txn, impex_batch *b, impex_err *err)
{
    impex_writer *w = st->w;
    impex_job *job = w->job;
    impex_step *step = &job->steps[b->step];
    uint64_t imported = 0, rejected = b->nrejects;
    int rc;

    for (size_t i = 0; i < b->nitems; i++) {
        const impex_item *it = &b->items[i];
        impex_err rerr;
        impex_err_clear(&rerr);
        rc = apply_item(st, txn, b, it, &rerr, err);
        if (rc == 0) {
            imported++;
            continue;
        }
        if (rc != IMPEX_EREJECT) return rc;
        rejected++;
        impex_buf_reset(&st->json);
        if (impex_reject_json(&st->json, b->step, step->entry, it->row, it->line, NULL, NULL, 0,
                              rerr.msg, b->data.ptr + it->fields_off, it->fields_len))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        impex_slice js = {st->json.ptr, st->json.len};
        if ((rc = impex_reject_put(txn, job->id, impex_reject_seq(b->step, it->row), js, err)))
            return rc;
    }
    for (size_t i = 0; i < b->nrejects; i++) {
        impex_slice js = {b->data.ptr + b->rejects[i].off, b->rejects[i].len};
        rc = impex_reject_put(txn, job->id, impex_reject_seq(b->step, b->rejects[i].row), js, err);
        if (rc) return rc;
    }

    step->counts.rows += b->rows;
    step->counts.imported += imported;
    step->counts.rejected += rejected;
    job->counts.rows += b->rows;
    job->counts.imported += imported;
    job->counts.rejected += rejected;
    job->cp = b->cp;
    if (b->rows || b->nrejects) {
        job->batches++;
        impex_buf_reset(&st->json);
        impex_buf_printf(&st->json,
                         "{\"step\":%zu,\"firstRow\":%llu,\"rows\":%llu,\"imported\":%llu,"
                         "\"rejected\":%llu,\"offset\":%llu}",
                         b->step, (unsigned long long)b->first_row, (unsigned long long)b->rows,
                         (unsigned long long)imported, (unsigned long long)rejected,
                         (unsigned long long)b->cp.offset);
        impex_slice js = {st->json.ptr, st->json.len};
        if ((rc = impex_batch_put(txn, job->id, job->batches, js, err))) return rc;
    }
    job->cp.batch = job->batches;
    if (b->message) impex_job_message(job, "%s", b->message);
    if (b->end_of_step) {
        step->status = b->forced_status >= 0   ? (impex_job_status)b->forced_status
                       : step->counts.rejected ? IMPEX_JOB_COMPLETED_WITH_ERRORS
                                               : IMPEX_JOB_COMPLETED;
        if (b->forced_status >= 0 && b->message && !step->details)
            step->details = strdup(b->message);
    }
    if (b->end_of_job) {
        job->status = b->forced_status >= 0  ? (impex_job_status)b->forced_status
                      : job->counts.rejected ? IMPEX_JOB_COMPLETED_WITH_ERRORS
                                             : IMPEX_JOB_COMPLETED;
        impex_job_now(job->finished);
    }
    return IMPEX_OK;
}

/* One commit: every batch in the chain, then the job with the last checkpoint. */
static int commit_chain(writer_state *st, impex_batch *chain, impex_err *err)
{
    impex_writer *w = st->w;
    impex_txn *txn = NULL;
    int rc = impex_txn_begin(w->engine->store, 1, &txn, err);
    for (impex_batch *b = chain; !rc && b; b = b->next)
        rc = apply_batch(st, txn, b, err);
    if (!rc) {
        impex_job_now(w->job->updated);
        impex_buf_reset(&st->json);
        if (impex_job_to_json(w->job, &st->json))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    if (!rc) rc = impex_job_put(txn, w->job->id, (impex_slice){st->json.ptr, st->json.len}, err);
    if (rc) {
        impex_txn_abort(txn);
        return rc;
    }
    return impex_txn_commit(txn, err);
}

static void *writer_main(void *arg)
{
    impex_writer *w = arg;
    writer_state st = {.w = w};
    impex_batch *chain;
    while ((chain = impex_queue_pop_many(w->queue, w->engine->group_commit))) {
        if (!w->rc) {
            w->rc = commit_chain(&st, chain, &w->err);
            if (w->rc) impex_queue_fail(w->queue);
        }
        while (chain) {
            impex_batch *next = chain->next;
            impex_batch_free(chain);
            chain = next;
        }
    }
    if (st.scripts)
        for (size_t i = 0; i < w->job->nsteps; i++)
            impex_script_free(st.scripts[i]);
    free(st.scripts);
    impex_lua_free(st.lua);
    impex_buf_free(&st.merged);
    impex_buf_free(&st.mapped);
    impex_buf_free(&st.json);
    return NULL;
}

int impex_writer_start(impex_writer *w, impex_err *err)
{
    w->rc = 0;
    impex_err_clear(&w->err);
    if (pthread_create(&w->thread, NULL, writer_main, w))
        return impex_err_set(err, IMPEX_ENOMEM, "cannot start the writer thread");
    return IMPEX_OK;
}

int impex_writer_join(impex_writer *w)
{
    pthread_join(w->thread, NULL);
    return w->rc;
}
