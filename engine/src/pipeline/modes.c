#include "pipeline/modes.h"
#include "core/hash.h"
#include "pipeline/job_store.h"
#include "store/codec.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t impex_modes_first_step(const impex_job *job, size_t s)
{
    for (size_t i = 0; i < s; i++)
        if (!strcmp(job->steps[i].resource, job->steps[s].resource)) return i;
    return s;
}

int impex_modes_sweeps(const impex_job *job, impex_descriptor *const *descs, size_t s)
{
    const char *res = job->steps[s].resource;
    for (size_t i = 0; i < job->ndelete_omitted; i++)
        if (!strcmp(job->delete_omitted[i], "all") || !strcmp(job->delete_omitted[i], res))
            return 1;
    for (size_t i = 0; descs && i < job->nsteps; i++)
        if (descs[i] && descs[i]->delete_omitted && !strcmp(job->steps[i].resource, res)) return 1;
    return 0;
}

long impex_modes_next_sweep(const impex_job *job, impex_descriptor *const *descs, size_t from)
{
    for (size_t s = from; s < job->nsteps; s++)
        if (impex_modes_first_step(job, s) == s && impex_modes_sweeps(job, descs, s))
            return (long)s;
    return -1;
}

static int maps_context(const impex_descriptor *d)
{
    for (size_t k = 0; d && k < IMPEX_CONTEXT_PARTS; k++)
        if (d->context[k] >= 0) return 1;
    return 0;
}

int impex_modes_wants_context(const impex_job *job, impex_descriptor *const *descs, size_t s)
{
    size_t first = impex_modes_first_step(job, s);
    /* The sweep scopes by the first step's descriptor: that is the one that counts. */
    return descs[s]->op != IMPEX_OP_DELETE && maps_context(descs[first]) &&
           impex_modes_sweeps(job, descs, s);
}

int impex_modes_context_tuple(const impex_descriptor *d, const impex_slice *parts, impex_buf *out)
{
    size_t start = out->len;
    for (size_t k = 0; k < IMPEX_CONTEXT_PARTS; k++) {
        if (d->context[k] < 0) continue;
        size_t n = parts[k].len;
        unsigned char len[2] = {(unsigned char)(n >> 8), (unsigned char)n};
        if (n > 0xffff) len[0] = len[1] = 0xff;
        if (impex_buf_append(out, (const char *)len, 2) ||
            impex_buf_append(out, parts[k].ptr, n > 0xffff ? 0xffff : n))
            return IMPEX_ENOMEM;
    }
    if (out->len - start > 256) {
        /* Long values: their hash stands for them (seen keys are at most 511 bytes). */
        uint64_t h = impex_fnv1a64(out->ptr + start, out->len - start);
        out->len = start;
        char tag[9] = {'\xff'};
        for (int i = 0; i < 8; i++)
            tag[1 + i] = (char)(h >> (56 - 8 * i));
        if (impex_buf_append(out, tag, sizeof tag)) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}

/* --- at job creation -------------------------------------------------------------------- */

static int resource_listed(char **names, size_t n, const char *res)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], res)) return 1;
    return 0;
}

int impex_modes_setup(impex_engine *e, const impex_import_opts *o, impex_job *job, impex_err *err)
{
    int rc = o->context ? impex_context_parse(o->context, job->context, err) : IMPEX_OK;
    if (rc || !o->ndelete_omitted) return rc;
    if (!(job->delete_omitted = calloc(o->ndelete_omitted, sizeof *job->delete_omitted)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->ndelete_omitted; i++) {
        if (!(job->delete_omitted[i] = strdup(o->delete_omitted[i])))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        job->ndelete_omitted = i + 1;
    }
    /* Every resource named must be one the group imports. */
    impex_lua *lua = NULL;
    impex_group *g = NULL;
    char **res = NULL;
    size_t nres = 0;
    impex_buf have = {0};
    if ((rc = impex_lua_new(e->scripts_root, &e->lua_limits, &lua, err))) return rc;
    if ((rc = impex_group_load(lua, job->group, &g, err))) goto done;
    if (!(res = calloc(g->nsteps + 1, sizeof *res))) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < g->nsteps; i++) {
        impex_descriptor *d;
        impex_err e2;
        if (impex_descriptor_load(lua, g->steps[i], &d, &e2)) continue; /* the run reports it */
        if (!resource_listed(res, nres, d->resource)) {
            res[nres] = d->resource;
            d->resource = NULL;
            if (impex_buf_printf(&have, "%s%s", nres ? ", " : "", res[nres])) rc = IMPEX_ENOMEM;
            nres++;
        }
        impex_descriptor_free(d);
    }
    for (size_t i = 0; !rc && i < job->ndelete_omitted; i++) {
        const char *want = job->delete_omitted[i];
        if (strcmp(want, "all") && !resource_listed(res, nres, want))
            rc = impex_err_set(err, IMPEX_EUSAGE,
                               "--delete-omitted %s: group '%s' imports no %s (it imports: %s)",
                               want, job->group, want, have.len ? have.ptr : "nothing");
    }
    if (rc == IMPEX_ENOMEM) impex_err_set(err, rc, "out of memory");
done:
    for (size_t i = 0; i < nres; i++)
        free(res[i]);
    free(res);
    impex_buf_free(&have);
    impex_group_free(g);
    impex_lua_free(lua);
    return rc;
}

int impex_modes_context_missing(const impex_descriptor *d, const impex_job *job, impex_buf *msg)
{
    if (!d->context_required) return 0;
    size_t missing = 0;
    int bad = 0;
    for (size_t k = 0; k < IMPEX_CONTEXT_PARTS; k++) {
        if (d->context[k] < 0 || job->context[k]) continue;
        if (!missing++)
            bad |= impex_buf_printf(msg, "%s%s needs a contextOverride with ", msg->len ? "; " : "",
                                    d->resource);
        bad |= impex_buf_printf(msg, "%s%s", missing > 1 ? ", " : "", impex_context_name(k));
    }
    if (!missing) return 0;
    bad |= impex_buf_puts(msg, " (import --context ");
    for (size_t k = 0, n = 0; k < IMPEX_CONTEXT_PARTS; k++)
        if (d->context[k] >= 0 && !job->context[k])
            bad |= impex_buf_printf(msg, "%s%s=…", n++ ? "," : "", impex_context_name(k));
    bad |= impex_buf_puts(msg, ")");
    return bad ? -1 : 1;
}

/* --- the sweep --------------------------------------------------------------------------- */

typedef struct sweep_ctx {
    impex_txn *txn;
    const impex_job *job;
    const impex_descriptor *d;
    const impex_dict *dict;
    uint32_t keys, contexts;
    impex_buf tuple;
    impex_err *err;
} sweep_ctx;

/* Whether a stored record the job did not hold is in the job's scope: its
 * context values are ones the job's rows carried. */
static int in_scope(sweep_ctx *c, impex_slice key, impex_slice rec, int *yes)
{
    impex_value *vals = NULL;
    size_t n = 0;
    impex_slice parts[IMPEX_CONTEXT_PARTS] = {{0}};
    int rc = impex_codec_decode(c->dict, key, rec, &vals, &n, c->err);
    if (rc) return rc;
    for (size_t k = 0; k < IMPEX_CONTEXT_PARTS; k++) {
        if (c->d->context[k] < 0) continue;
        const char *name = c->d->fields[c->d->context[k]].name;
        for (size_t i = 0; i < n; i++)
            if (vals[i].type != IMPEX_V_NULL && vals[i].name_len == strlen(name) &&
                !memcmp(vals[i].name, name, vals[i].name_len))
                parts[k] = (impex_slice){vals[i].ptr, vals[i].len};
    }
    impex_buf_reset(&c->tuple);
    rc = impex_modes_context_tuple(c->d, parts, &c->tuple);
    free(vals);
    if (rc) return impex_err_set(c->err, rc, "out of memory");
    rc = impex_seen_get(c->txn, c->job->id, c->contexts, (impex_slice){c->tuple.ptr, c->tuple.len},
                        NULL, c->err);
    *yes = rc == IMPEX_OK;
    return rc == IMPEX_ENOTFOUND ? IMPEX_OK : rc;
}

static int sweep_one(void *ctx, impex_slice key, impex_slice val, int *del)
{
    sweep_ctx *c = ctx;
    int rc = impex_seen_get(c->txn, c->job->id, c->keys, key, NULL, c->err);
    *del = 0;
    if (rc != IMPEX_ENOTFOUND) return rc; /* held by the job (0), or an error */
    if (!maps_context(c->d)) {
        *del = 1;
        return IMPEX_OK;
    }
    return in_scope(c, key, val, del);
}

/* One sweep commit of step s's resource; *finished when that resource is done. */
static int sweep_batch(impex_engine *e, impex_job *job, impex_descriptor *const *descs,
                       impex_dict *const *dicts, unsigned char *dirty, impex_buf *scratch,
                       int *finished, impex_err *err)
{
    size_t s = job->cp.step, last = s;
    uint64_t rejected = 0, deleted = 0, rows = 0;
    for (size_t i = s; i < job->nsteps; i++)
        if (!strcmp(job->steps[i].resource, job->steps[s].resource)) {
            rejected += job->steps[i].counts.rejected;
            rows += job->steps[i].counts.rows;
            last = i;
        }
    impex_txn *txn = NULL;
    impex_buf lastkey = {0};
    sweep_ctx c = {.job = job,
                   .d = descs[s],
                   .dict = dicts[s],
                   .keys = impex_seen_keys_set(s),
                   .contexts = impex_seen_context_set(s),
                   .err = err};
    int done = 1, rc = impex_txn_begin(e->store, 1, &txn, err);
    if (rc) return rc;
    c.txn = txn;
    if (rejected) {
        /* A half-valid file must not delete the other half. */
        if (impex_job_message(job,
                              "deleteOmitted for %s skipped: %llu rows of %s were rejected; a "
                              "half-valid file must not delete the other half",
                              job->steps[s].resource, (unsigned long long)rejected,
                              job->steps[s].resource))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    } else if (!rows) {
        /* A header alone is more likely a broken export than "delete everything". */
        if (impex_job_message(job, "deleteOmitted for %s skipped: the job held no rows of %s",
                              job->steps[s].resource, job->steps[s].resource))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    } else {
        rc = impex_record_sweep(txn, job->steps[s].resource, job->tenant,
                                (impex_slice){(const char *)job->sweep_after, job->sweep_after_len},
                                IMPEX_SWEEP_VISIT, IMPEX_SWEEP_BATCH, sweep_one, &c, &lastkey,
                                &done, &deleted, err);
    }
    if (!rc && !done) {
        if (lastkey.len > sizeof job->sweep_after) /* cannot be: keys are at most 511 bytes */
            rc = impex_err_set(err, IMPEX_ESTORE, "sweep key too long");
        else {
            memcpy(job->sweep_after, lastkey.ptr, lastkey.len);
            job->sweep_after_len = lastkey.len;
        }
    }
    if (!rc) {
        job->steps[last].counts.deleted += deleted;
        job->counts.deleted += deleted;
        dirty[last] = 1;
        if (done) {
            long next = impex_modes_next_sweep(job, descs, s + 1);
            job->sweep_after_len = 0;
            if (next >= 0) {
                job->cp.step = (size_t)next;
            } else {
                job->cp = (impex_checkpoint){
                    .phase = 1, .step = job->nsteps, .line = 1, .batch = job->batches};
                job->status =
                    job->counts.rejected ? IMPEX_JOB_COMPLETED_WITH_ERRORS : IMPEX_JOB_COMPLETED;
                impex_job_now(job->finished);
            }
        }
        impex_job_now(job->updated);
        impex_buf_reset(scratch);
        rc = impex_job_put_all(txn, job, dirty, scratch, err);
    }
    impex_buf_free(&lastkey);
    impex_buf_free(&c.tuple);
    if (rc) {
        impex_txn_abort(txn);
        return rc;
    }
    memset(dirty, 0, job->nsteps);
    *finished = done;
    return impex_txn_commit(txn, err);
}

int impex_modes_sweep(impex_engine *e, impex_job *job, impex_descriptor *const *descs,
                      impex_dict *const *dicts, volatile sig_atomic_t *cancel, impex_err *err)
{
    unsigned char *dirty = calloc(job->nsteps + 1, 1);
    impex_buf scratch = {0};
    int rc = dirty ? IMPEX_OK : impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    while (!rc && job->cp.phase == IMPEX_PHASE_SWEEP && !(cancel && *cancel)) {
        int finished;
        rc = sweep_batch(e, job, descs, dicts, dirty, &scratch, &finished, err);
    }
    free(dirty);
    impex_buf_free(&scratch);
    return rc;
}

/* --- clearing seen keys ---------------------------------------------------------------- */

static int clear_job(impex_engine *e, uint64_t id, impex_err *err)
{
    for (int done = 0; !done;) {
        impex_txn *txn;
        int rc = impex_txn_begin(e->store, 1, &txn, err);
        if (rc) return rc;
        if ((rc = impex_seen_clear(txn, id, IMPEX_SEEN_CLEAR_BATCH, &done, err))) {
            impex_txn_abort(txn);
            return rc;
        }
        if ((rc = impex_txn_commit(txn, err))) return rc;
    }
    return IMPEX_OK;
}

int impex_modes_clear_seen(impex_engine *e, impex_err *err)
{
    uint64_t from = 0;
    for (;;) {
        impex_txn *txn;
        uint64_t id = 0;
        int rc = impex_txn_begin(e->store, 0, &txn, err);
        if (rc) return rc;
        rc = impex_seen_next_job(txn, from, &id, err);
        impex_txn_abort(txn);
        if (rc == IMPEX_ENOTFOUND) return IMPEX_OK;
        if (rc) return rc;
        impex_job *job = NULL;
        impex_err e2;
        rc = impex_job_load(e, NULL, id, &job, &e2);
        int final = rc == IMPEX_ENOTFOUND || (!rc && impex_job_status_final(job->status));
        impex_job_free(job);
        if (rc && rc != IMPEX_ENOTFOUND) return impex_err_set(err, rc, "%s", e2.msg);
        if (final && (rc = clear_job(e, id, err))) return rc;
        if (id == UINT64_MAX) return IMPEX_OK;
        from = id + 1;
    }
}
