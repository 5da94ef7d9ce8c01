#include "pipeline/writer.h"
#include "lua/script.h"
#include "pipeline/job_store.h"
#include "pipeline/refs.h"
#include "pipeline/modes.h"
#include "store/reject.h"
#include "schema/rules.h"
#include "store/codec.h"
#include "store/dict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The job's seen keys as the writer keeps them (see modes.h). */
typedef struct seen_state {
    size_t *first;             /* per step: the first step of its resource */
    unsigned char *remember;   /* per step: keys are remembered */
    unsigned char *contexts;   /* per step: context values are remembered */
    impex_seen_writer *keys;   /* cursors in the open txn */
    impex_seen_writer *tuples; /* (context values: apart, so keys keep appending) */
    impex_buf *last;           /* per step: the context values last remembered */
    impex_buf text;
} seen_state;

/* State private to the writer thread. */
typedef struct writer_state {
    impex_writer *w;
    impex_lua *lua;         /* created on first need: map runs here, in the write txn */
    impex_script **scripts; /* per step, bound lazily */
    impex_buf merged, mapped, checked, json, v2, base;
    unsigned char *dirty;     /* per step: changed since the last commit */
    impex_record_writer **rw; /* per step: its records' cursor in the open txn */
    impex_refs *refs;         /* reference checks; NULL when no step has refs */
    int refs_ready;
    const impex_ref *bad_ref; /* the reference the row being rejected broke, or NULL */
    seen_state seen;
} writer_state;

static int get_script(writer_state *st, size_t step, impex_script **out, impex_err *err)
{
    impex_writer *w = st->w;
    if (!st->scripts && !(st->scripts = calloc(w->job->nsteps, sizeof *st->scripts)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!st->lua && !(st->lua = w->lua_new(w->lua_ctx, err))) return err->code ? err->code : 1;
    if (!st->scripts[step]) {
        int rc = impex_script_bind(st->lua, w->descs[step], &st->scripts[step], err);
        if (rc) return rc;
    }
    *out = st->scripts[step];
    return IMPEX_OK;
}

/* What map returned must hold to the descriptor like a row does: each field
 * it names passes that field's rules (and is stored normalised), and the key
 * is the row's own. Fields the descriptor does not name are kept as map gave
 * them. Rewrites st->mapped; IMPEX_EREJECT with the reason in rerr. */
static int check_mapped(writer_state *st, const impex_descriptor *d, const impex_dict *dict,
                        impex_slice key, int have, impex_err *rerr, impex_err *err)
{
    impex_value *vals = NULL;
    size_t n = 0;
    int rc = impex_codec_decode(dict, (impex_slice){0},
                                (impex_slice){st->mapped.ptr, st->mapped.len}, &vals, &n, err);
    if (rc) return rc;
    impex_rule_scratch *scratch = calloc(n + 1, sizeof *scratch);
    char *seen_key = calloc(d->nkey + 1, 1);
    char *seen = calloc(d->nfields + 1, 1);
    if (!scratch || !seen_key || !seen) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        vals[i].id = impex_dict_id(dict, vals[i].name, vals[i].name_len);
        int f = impex_descriptor_field(d, vals[i].name, vals[i].name_len);
        if (f < 0) continue;
        const impex_field_rule *r = &d->fields[f];
        seen[f] = vals[i].type != IMPEX_V_NULL;
        impex_value out = vals[i];
        impex_err e2;
        impex_err_clear(&e2);
        if (vals[i].type == IMPEX_V_NULL) {
            if (r->required)
                rc = impex_err_set(rerr, IMPEX_EREJECT, "map result: required field %s is empty",
                                   r->name);
        } else if (impex_rule_check_value(r, &vals[i], &scratch[i], &out, &e2)) {
            rc = impex_err_set(rerr, IMPEX_EREJECT, "map result: field %s: %s", r->name, e2.msg);
        } else {
            out.name = vals[i].name;
            out.name_len = vals[i].name_len;
            vals[i] = out;
        }
        for (size_t k = 0; !rc && k < d->nkey; k++) {
            if (d->key[k] != (size_t)f) continue;
            impex_slice part = impex_key_part(key, k);
            if (vals[i].len != part.len || memcmp(vals[i].ptr, part.ptr, part.len))
                rc = impex_err_set(rerr, IMPEX_EREJECT,
                                   "map result: key field %s was changed (map may not change the "
                                   "key)",
                                   r->name);
            seen_key[k] = 1;
        }
    }
    /* A new record needs what the descriptor requires; a stored one keeps its own. */
    for (size_t f = 0; !rc && !have && f < d->nfields; f++)
        if (d->fields[f].required && !seen[f] && !impex_descriptor_is_key(d, f))
            rc = impex_err_set(rerr, IMPEX_EREJECT, "map result: required field %s is missing",
                               d->fields[f].name);
    for (size_t k = 0; !rc && k < d->nkey; k++)
        if (!seen_key[k])
            rc = impex_err_set(rerr, IMPEX_EREJECT, "map result: key field %s is missing",
                               d->fields[d->key[k]].name);
    if (!rc) {
        impex_buf_reset(&st->checked);
        if (impex_codec_encode(dict, vals, n, key, &st->checked))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
done:
    free(vals);
    free(scratch);
    free(seen_key);
    free(seen);
    return rc;
}

/* What applying a row did. */
enum { DID_CREATE, DID_UPDATE, DID_SAME, DID_DELETE };

static int record_writer(writer_state *st, impex_txn *txn, size_t step, impex_record_writer **out,
                         impex_err *err)
{
    if (!st->rw[step]) {
        int rc = impex_record_writer_open(txn, st->w->descs[step]->resource, st->w->job->tenant,
                                          &st->rw[step], err);
        if (rc) return rc;
    }
    *out = st->rw[step];
    return IMPEX_OK;
}

static int same_bytes(impex_slice a, impex_slice b)
{
    return a.len == b.len && !memcmp(a.ptr, b.ptr, a.len);
}

/* A stored record and what the row makes of it: nothing is written when the
 * result equals what is stored (the common case of a daily feed, found with
 * one memcmp when the row names every stored field, as an unchanged file
 * does). A record equal in values but not in bytes (version 1, or encoded
 * before its dictionaries grew) counts as unchanged and is written again.
 * The result is rec over base: base is existing, or existing with the row's
 * clears applied; a NULL rec.ptr means base is the result. */
static int store_over(writer_state *st, impex_record_writer *rw, const impex_dict *dict,
                      impex_slice key, impex_slice existing, impex_slice base, impex_slice rec,
                      int *did, impex_err *err)
{
    *did = DID_SAME;
    impex_slice merged = base; /* rec.ptr NULL: base is the result already */
    int rc;
    if (rec.ptr) {
        if (same_bytes(existing, rec)) return IMPEX_OK;
        if ((rc = impex_codec_overlay(dict, key, base, rec, &st->merged, err))) return rc;
        merged = (impex_slice){st->merged.ptr, st->merged.len};
    }
    if (same_bytes(existing, merged)) return IMPEX_OK;
    /* Equal values in another encoding (version 1, or written before a
     * dictionary gained a value) count as unchanged, and are rewritten. */
    if ((rc = impex_codec_overlay(dict, key, existing, (impex_slice){"\x02", 1}, &st->v2, err)))
        return rc;
    if (!same_bytes((impex_slice){st->v2.ptr, st->v2.len}, merged)) *did = DID_UPDATE;
    return impex_record_writer_replace(rw, key, merged, err);
}

/* Applies one row and says what it did in *did. Returns 0 when applied,
 * IMPEX_EREJECT with the reason in rerr when the row is rejected, anything
 * else when the txn is lost. */
static int apply_item(writer_state *st, impex_txn *txn, const impex_batch *b, const impex_item *it,
                      int *did, impex_err *rerr, impex_err *err)
{
    impex_writer *w = st->w;
    const impex_descriptor *d = w->descs[b->step];
    const impex_dict *dict = w->dicts[b->step];
    impex_slice key = {b->data.ptr + it->key_off, it->key_len};
    impex_slice rec = {b->data.ptr + it->rec_off, it->rec_len};
    impex_slice existing = {0};
    impex_record_writer *rw;
    int rc = record_writer(st, txn, b->step, &rw, err);
    if (rc) return rc;
    st->bad_ref = NULL;
    if (st->refs && it->op != IMPEX_OP_DELETE && it->refs_len) {
        size_t bad;
        rc = impex_refs_check(st->refs, b, (size_t)(it - b->items), &bad, rerr, err);
        if (rc == IMPEX_EREJECT) st->bad_ref = &d->refs[bad];
        if (rc) return rc;
    }

    impex_op op = (impex_op)it->op;
    if (op == IMPEX_OP_DELETE) {
        *did = DID_DELETE;
        rc = impex_record_writer_del(rw, key, err);
        if (rc == IMPEX_ENOTFOUND)
            return impex_err_set(rerr, IMPEX_EREJECT, "no such record to delete");
        return rc;
    }
    if (!d->has_map && op != IMPEX_OP_UPDATE && !it->clears) {
        /* insert/upsert without map: one lookup, none at all while keys append. */
        *did = DID_CREATE;
        rc = impex_record_writer_put_new(rw, key, rec, &existing, err);
        if (rc != IMPEX_EEXISTS) return rc;
        if (op == IMPEX_OP_INSERT)
            return impex_err_set(rerr, IMPEX_EREJECT, "record already exists (operation insert)");
        return store_over(st, rw, dict, key, existing, existing, rec, did, err);
    }
    rc = impex_record_writer_get(rw, key, &existing, err);
    if (rc && rc != IMPEX_ENOTFOUND) return rc;
    int have = rc == 0;
    if (have && op == IMPEX_OP_INSERT)
        return impex_err_set(rerr, IMPEX_EREJECT, "record already exists (operation insert)");
    if (!have && op == IMPEX_OP_UPDATE)
        return impex_err_set(rerr, IMPEX_EREJECT, "no such record to update (operation update)");
    /* Clears apply to the stored record; map's result then goes over it, so
     * a field map sets again is kept and one it leaves out stays cleared. */
    impex_slice base = existing;
    if (it->clears) {
        if ((rc = impex_codec_overlay(dict, key, have ? existing : (impex_slice){"\x02", 1}, rec,
                                      &st->base, err)))
            return rc;
        base = (impex_slice){st->base.ptr, st->base.len};
        if (!have && !d->has_map) rec = base; /* a new record: cleared fields are just absent */
    }
    if (d->has_map) {
        impex_script *s = NULL;
        impex_value *vals;
        size_t n;
        if ((rc = get_script(st, b->step, &s, err))) return rc;
        if ((rc = impex_codec_decode(dict, key, rec, &vals, &n, err))) return rc;
        impex_buf_reset(&st->mapped);
        rc = impex_script_map(s, vals, n, have ? &existing : NULL, dict, key, &st->mapped, rerr);
        free(vals);
        if (rc) return rc == IMPEX_EREJECT ? rc : impex_err_set(err, rc, "%s", rerr->msg);
        if ((rc = check_mapped(st, d, dict, key, have, rerr, err))) return rc;
        rec.ptr = st->checked.ptr;
        rec.len = st->checked.len;
    }
    if (have && it->clears && !d->has_map) /* base holds the row over the stored record */
        return store_over(st, rw, dict, key, existing, base, (impex_slice){0}, did, err);
    if (have) return store_over(st, rw, dict, key, existing, base, rec, did, err);
    *did = DID_CREATE;
    return impex_record_writer_replace(rw, key, rec, err);
}

/* A broken reference is located at its last field: the column as the
 * file's header wrote it, and that part of the target key as the value. */
static void ref_column(const writer_state *st, const impex_batch *b, const impex_item *it,
                       impex_reject *rj)
{
    const impex_descriptor *d = st->w->descs[b->step];
    const impex_step *step = &st->w->job->steps[b->step];
    const impex_ref *ref = st->bad_ref;
    const char *name = d->fields[ref->fields[ref->nfields - 1]].name;
    for (size_t c = 0; c < step->ncolumns; c++)
        if (step->columns[c] && !strcasecmp(step->columns[c], name)) name = step->columns[c];
    rj->column = (impex_slice){name, strlen(name)};
    for (size_t i = 0; i < d->nrefs; i++)
        if (&d->refs[i] == ref)
            rj->value = impex_key_part(impex_refs_key(b, it, i), ref->nfields - 1);
}

/* A row the writer rejected: its reject record, with the fields the parser kept. */
static int put_writer_reject(writer_state *st, impex_txn *txn, const impex_batch *b,
                             const impex_item *it, const char *reason, impex_err *err)
{
    const impex_step *step = &st->w->job->steps[b->step];
    impex_reject rj = {.step = b->step,
                       .file = {step->entry, strlen(step->entry)},
                       .row = it->row,
                       .line = it->line,
                       .reason = {reason, strlen(reason)}};
    if (st->bad_ref) ref_column(st, b, it, &rj);
    impex_buf_reset(&st->json);
    if (impex_reject_encode_with(&rj, (impex_slice){b->data.ptr + it->fields_off, it->fields_len},
                                 &st->json))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    return impex_reject_put(txn, st->w->job->id, impex_reject_seq(b->step, it->row),
                            (impex_slice){st->json.ptr, st->json.len}, err);
}

/* Ends the job from the writer: its own rejections passed max_errors. */
static void stop_for_errors(writer_state *st, impex_batch *b, uint64_t limit)
{
    impex_job *job = st->w->job;
    impex_step *step = &job->steps[b->step];
    char msg[1024];
    snprintf(msg, sizeof msg,
             "%s: stopped after %llu rejected rows (max_errors %llu); rows committed up to row "
             "%llu are kept",
             step->entry, (unsigned long long)step->counts.rejected, (unsigned long long)limit,
             (unsigned long long)b->cp.row);
    step->status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
    if (!step->details) step->details = strdup(msg);
    for (size_t s = 0; s < job->nsteps; s++) {
        if (!impex_job_status_final(job->steps[s].status))
            job->steps[s].status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
        st->dirty[s] = 1;
    }
    impex_job_message(job, "%s", msg); /* past the cap or out of memory: the status says it */
    job->status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
    impex_job_now(job->finished);
    st->w->stopped = 1;
}

static int seen_init(writer_state *st, impex_err *err)
{
    impex_writer *w = st->w;
    seen_state *ss = &st->seen;
    size_t n = w->job->nsteps;
    if (ss->first) return IMPEX_OK;
    ss->remember = calloc(n + 1, 1);
    ss->contexts = calloc(n + 1, 1);
    ss->last = calloc(n + 1, sizeof *ss->last);
    ss->first = calloc(n + 1, sizeof *ss->first);
    if (!ss->remember || !ss->contexts || !ss->last || !ss->first)
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t s = 0; s < n; s++) {
        ss->first[s] = impex_modes_first_step(w->job, s);
        /* accumulate without deleteOmitted needs no memory of keys at all */
        ss->remember[s] = !w->descs[s]->accumulate || impex_modes_sweeps(w->job, w->descs, s);
        ss->contexts[s] = impex_modes_wants_context(w->job, w->descs, s);
    }
    return IMPEX_OK;
}

static void seen_close(seen_state *ss)
{
    impex_seen_writer_close(ss->keys);
    impex_seen_writer_close(ss->tuples);
    ss->keys = ss->tuples = NULL;
}

static void seen_free(seen_state *ss, size_t nsteps)
{
    seen_close(ss);
    for (size_t s = 0; ss->last && s < nsteps; s++)
        impex_buf_free(&ss->last[s]);
    free(ss->last);
    free(ss->first);
    free(ss->remember);
    free(ss->contexts);
    impex_buf_free(&ss->text);
}

/* Remembers the row's key for the job before it applies; a key the job has
 * seen already rejects the row (unless the descriptor accumulates).
 * *added: the key was put now (undone if the row is rejected after all). */
#define SEEN_STEP_SHIFT 40 /* rows below 2^40, steps above */

static int seen_check(writer_state *st, impex_txn *txn, const impex_batch *b, const impex_item *it,
                      int *added, impex_err *rerr, impex_err *err)
{
    seen_state *ss = &st->seen;
    impex_writer *w = st->w;
    *added = 0;
    if (!ss->remember[b->step]) return IMPEX_OK;
    int rc = ss->keys ? IMPEX_OK : impex_seen_writer_open(txn, &ss->keys, err);
    if (rc) return rc;
    impex_slice key = {b->data.ptr + it->key_off, it->key_len};
    /* Duplicates count within one file: the step rides above the row. */
    uint64_t first = 0, mark = (uint64_t)b->step << SEEN_STEP_SHIFT | it->row;
    rc = impex_seen_add(ss->keys, w->job->id, impex_seen_keys_set(ss->first[b->step]), key, mark,
                        &first, err);
    if (rc == IMPEX_OK) *added = 1;
    if (rc != IMPEX_EEXISTS) return rc;
    /* Another file of the same resource (a delete file after a load): not a
     * duplicate; this file's later rows compare with this one. */
    if (first >> SEEN_STEP_SHIFT != b->step) return impex_seen_replace(ss->keys, mark, err);
    if (w->descs[b->step]->accumulate) return IMPEX_OK;
    impex_buf_reset(&ss->text);
    if (impex_key_to_text(key, &ss->text) || impex_buf_putc(&ss->text, '\0'))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    return impex_err_set(rerr, IMPEX_EREJECT, "duplicate key %s: already in row %llu", ss->text.ptr,
                         (unsigned long long)(first & ((1ull << SEEN_STEP_SHIFT) - 1)));
}

/* The context values of an applied row, for deleteOmitted's scope. */
static int seen_context(writer_state *st, impex_txn *txn, const impex_batch *b,
                        const impex_item *it, impex_err *err)
{
    seen_state *ss = &st->seen;
    impex_buf *last = &ss->last[b->step];
    impex_slice tuple = {b->data.ptr + it->ctx_off, it->ctx_len};
    if (!ss->contexts[b->step]) return IMPEX_OK;
    if (last->ptr && last->len == tuple.len && !memcmp(last->ptr, tuple.ptr, tuple.len))
        return IMPEX_OK; /* as the previous row: remembered already */
    int rc = ss->tuples ? IMPEX_OK : impex_seen_writer_open(txn, &ss->tuples, err);
    if (!rc)
        rc = impex_seen_add(ss->tuples, st->w->job->id, impex_seen_context_set(ss->first[b->step]),
                            tuple, it->row, NULL, err);
    if (rc && rc != IMPEX_EEXISTS) return rc;
    impex_buf_reset(last);
    if (impex_buf_append(last, tuple.ptr, tuple.len) || impex_buf_putc(last, '\0'))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    last->len--;
    return IMPEX_OK;
}

static int apply_batch(writer_state *st, impex_txn *txn, impex_batch *b, impex_err *err)
{
    impex_writer *w = st->w;
    impex_job *job = w->job;
    impex_step *step = &job->steps[b->step];
    uint64_t rejected = b->nrejects, did_count[4] = {0};
    int rc;
    st->dirty[b->step] = 1;

    for (size_t i = 0; i < b->nitems; i++) {
        const impex_item *it = &b->items[i];
        impex_err rerr;
        int did = DID_SAME, added = 0;
        impex_err_clear(&rerr);
        rc = seen_check(st, txn, b, it, &added, &rerr, err);
        if (!rc) rc = apply_item(st, txn, b, it, &did, &rerr, err);
        if (rc == 0 && (rc = seen_context(st, txn, b, it, err))) return rc;
        if (rc == 0) {
            did_count[did]++;
            impex_slice key = {b->data.ptr + it->key_off, it->key_len};
            if (did == DID_DELETE)
                impex_refs_deleted(st->refs, b->step, key);
            else
                impex_refs_wrote(st->refs, b->step, key);
            continue;
        }
        if (rc == IMPEX_EREJECT && added && (rc = impex_seen_undo(st->seen.keys, err))) return rc;
        if (rc == 0) rc = IMPEX_EREJECT;
        if (rc != IMPEX_EREJECT) return rc;
        rejected++;
        if ((rc = put_writer_reject(st, txn, b, it, rerr.msg, err))) return rc;
    }
    for (size_t i = 0; i < b->nrejects; i++) {
        impex_slice js = {b->data.ptr + b->rejects[i].off, b->rejects[i].len};
        rc = impex_reject_put(txn, job->id, impex_reject_seq(b->step, b->rejects[i].row), js, err);
        if (rc) return rc;
    }

    impex_counts add = {.rows = b->rows,
                        .imported = did_count[DID_CREATE] + did_count[DID_UPDATE] +
                                    did_count[DID_SAME] + did_count[DID_DELETE],
                        .rejected = rejected,
                        .created = did_count[DID_CREATE],
                        .updated = did_count[DID_UPDATE],
                        .unchanged = did_count[DID_SAME],
                        .deleted = did_count[DID_DELETE]};
    impex_counts_add(&step->counts, &add);
    impex_counts_add(&job->counts, &add);
    job->cp = b->cp;
    if (b->rows || b->nrejects) {
        job->batches++;
        impex_buf_reset(&st->json);
        if (impex_buf_printf(&st->json,
                             "{\"step\":%zu,\"firstRow\":%llu,\"rows\":%llu,\"imported\":%llu,"
                             "\"created\":%llu,\"updated\":%llu,\"unchanged\":%llu,"
                             "\"deleted\":%llu,\"rejected\":%llu,\"offset\":%llu}",
                             b->step, (unsigned long long)b->first_row, (unsigned long long)b->rows,
                             (unsigned long long)add.imported, (unsigned long long)add.created,
                             (unsigned long long)add.updated, (unsigned long long)add.unchanged,
                             (unsigned long long)add.deleted, (unsigned long long)rejected,
                             (unsigned long long)b->cp.token.pos[0]))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        impex_slice js = {st->json.ptr, st->json.len};
        if ((rc = impex_batch_put(txn, job->id, job->batches, js, err))) return rc;
    }
    job->cp.batch = job->batches;
    if (b->message && impex_job_message(job, "%s", b->message))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    uint64_t limit = job->max_errors ? job->max_errors : w->descs[b->step]->max_errors;
    if (limit && step->counts.rejected > limit && b->forced_status < 0) {
        stop_for_errors(st, b, limit);
        return IMPEX_OK;
    }
    if (b->end_of_step) {
        step->status = b->forced_status >= 0   ? (impex_job_status)b->forced_status
                       : step->counts.rejected ? IMPEX_JOB_COMPLETED_WITH_ERRORS
                                               : IMPEX_JOB_COMPLETED;
        if (b->forced_status >= 0 && b->message && !step->details &&
            !(step->details = strdup(b->message)))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    long sweep = -1;
    if (b->end_of_job && b->forced_status < 0 &&
        (sweep = impex_modes_next_sweep(job, w->descs, 0)) >= 0) {
        /* deleteOmitted comes next: the job stays IMPORTING until the sweep ends. */
        job->cp = (impex_checkpoint){
            .phase = IMPEX_PHASE_SWEEP, .step = (size_t)sweep, .line = 1, .batch = job->batches};
        job->sweep_after_len = 0;
    } else if (b->end_of_job) {
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
    if (!st->dirty && !(st->dirty = calloc(w->job->nsteps + 1, 1)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!st->rw && !(st->rw = calloc(w->job->nsteps + 1, sizeof *st->rw)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!st->refs_ready) {
        int rc = impex_refs_new(w->descs, w->job->nsteps, w->job->tenant, &st->refs, err);
        if (rc) return rc;
        st->refs_ready = 1;
    }
    int rc = seen_init(st, err);
    if (!rc) rc = impex_txn_begin(w->engine->store, 1, &txn, err);
    if (!rc) impex_refs_begin(st->refs, txn);
    for (impex_batch *b = chain; !rc && b && !w->stopped; b = b->next)
        rc = apply_batch(st, txn, b, err);
    for (size_t s = 0; s < w->job->nsteps; s++) { /* cursors end before their txn */
        impex_record_writer_close(st->rw[s]);
        st->rw[s] = NULL;
    }
    impex_refs_end(st->refs);
    seen_close(&st->seen);
    if (!rc) {
        impex_job_now(w->job->updated);
        rc = impex_job_put_all(txn, w->job, st->dirty, &st->json, err);
    }
    if (rc) {
        impex_txn_abort(txn);
        return rc; /* the job in memory is ahead of the store now: the run ends here */
    }
    memset(st->dirty, 0, w->job->nsteps);
    return impex_txn_commit(txn, err);
}

static void *writer_main(void *arg)
{
    impex_writer *w = arg;
    writer_state st = {.w = w};
    impex_batch *chain;
    while ((chain = impex_queue_pop_many(w->queue, w->engine->group_commit))) {
        if (!w->rc && !w->stopped) {
            w->rc = commit_chain(&st, chain, &w->err);
            /* A failed commit, or a job the writer ended: the parser stops. */
            if (w->rc || w->stopped) impex_queue_fail(w->queue);
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
    impex_buf_free(&st.checked);
    impex_buf_free(&st.json);
    impex_buf_free(&st.v2);
    impex_buf_free(&st.base);
    free(st.dirty);
    free(st.rw);
    impex_refs_free(st.refs);
    seen_free(&st.seen, w->job->nsteps);
    return NULL;
}

int impex_writer_start(impex_writer *w, impex_err *err)
{
    w->rc = 0;
    w->stopped = 0;
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
