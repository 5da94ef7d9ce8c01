#include "core/utf8.h"
#include "store/reject.h"
#include "pipeline/dialect.h"
#include "pipeline/refs.h"
#include "pipeline/modes.h"
#include "pipeline/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STRICT_KEEP_REJECTS 1000 /* rejected rows kept for the report of a strict run */

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* --- rows ------------------------------------------------------------------------- */

static int ensure_scratch(run_ctx *r, size_t n)
{
    if (n <= r->nvals_cap) return IMPEX_OK;
    free(r->vals);
    free(r->present);
    impex_rule_scratch_free(r->scratch, r->nvals_cap);
    free(r->scratch);
    r->vals = calloc(n, sizeof *r->vals);
    r->present = calloc(n, sizeof *r->present);
    r->scratch = calloc(n, sizeof *r->scratch);
    r->nvals_cap = r->vals && r->present && r->scratch ? n : 0;
    return r->nvals_cap ? IMPEX_OK : IMPEX_ENOMEM;
}

/* The row's fields as slices (for the reject encoding). */
static impex_slice *row_slices(run_ctx *r, const impex_row *row)
{
    if (row->nfields + 1 > r->slices_cap) {
        impex_slice *s = realloc(r->slices, (row->nfields + 1) * sizeof *s);
        if (!s) return NULL;
        r->slices = s;
        r->slices_cap = row->nfields + 1;
    }
    for (size_t i = 0; i < row->nfields; i++)
        r->slices[i] = (impex_slice){row->fields[i].ptr, row->fields[i].len};
    return r->slices;
}

/* Records a rejected row in the batch (or, validating, in the strict report);
 * column < 0 = the row as a whole. */
static int reject_row(run_ctx *r, impex_batch *b, size_t s, const impex_row *row, int column,
                      const char *reason)
{
    step_ctx *sc = &r->steps[s];
    int has_col = column >= 0 && (size_t)column < sc->ncols;
    int has_val = column >= 0 && (size_t)column < row->nfields;
    impex_slice *fields = row->nfields ? row_slices(r, row) : NULL;
    if (row->nfields && !fields) return IMPEX_ENOMEM;
    const char *entry = r->job->steps[s].entry;
    impex_reject rj = {
        .step = s,
        .file = {entry, strlen(entry)},
        .row = row->number,
        .line = row->line,
        .column = has_col ? (impex_slice){sc->header[column], sc->header_len[column]}
                          : (impex_slice){NULL, 0},
        .value = has_val ? (impex_slice){row->fields[column].ptr, row->fields[column].len}
                         : (impex_slice){NULL, 0},
        .reason = {reason, strlen(reason)},
        .fields = fields,
        .nfields = row->nfields,
    };
    impex_buf_reset(&r->rec);
    if (impex_reject_encode(&rj, &r->rec)) return IMPEX_ENOMEM;
    if (r->strict) {
        /* Strict runs keep their report in memory until the verdict. */
        r->strict_total++;
        if (r->strict_rejects.n >= STRICT_KEEP_REJECTS) return IMPEX_OK;
        return impex_reject_list_add(&r->strict_rejects, impex_reject_seq(s, row->number),
                                     r->rec.ptr, r->rec.len);
    }
    return impex_batch_add_reject(b, row->number, r->rec.ptr, r->rec.len);
}

/* A cleared field: a NULL value the record keeps, which the writer's overlay
 * turns into "remove the stored field" (store/codec.h). */
/* Its own bytes (the value's length stays 0): a compiler may give equal
 * constants one address, and "" is every empty value's pointer. */
static const char clear_mark[] = "\x01clear";

/* The operation the row's operation column asks for: *op, or 0 with the
 * reason in reason when it is not one the descriptor allows. A blank cell
 * keeps the job's operation. */
static int row_operation(const impex_descriptor *d, const impex_field *f, int *op, char *reason,
                         size_t size)
{
    const char *p = f->ptr;
    size_t len = f->len;
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (!len) return 1;
    for (int k = 0; k < 4; k++) {
        const char *name = impex_op_name((impex_op)k);
        if (strlen(name) == len && !strncasecmp(name, p, len) && (d->allowed_ops & (1u << k))) {
            *op = k;
            return 1;
        }
    }
    impex_buf shown = {0}, allowed = {0};
    int bad = impex_utf8_visible(p, len > 64 ? 64 : len, &shown);
    for (int k = 0; !bad && k < 4; k++)
        if (d->allowed_ops & (1u << k))
            bad = impex_buf_printf(&allowed, "%s%s", allowed.len ? ", " : "",
                                   impex_op_name((impex_op)k));
    snprintf(reason, size, "operation '%s%s' is not allowed (allowed: %s)",
             bad || !shown.ptr ? "" : shown.ptr, len > 64 ? "..." : "",
             bad || !allowed.ptr ? "" : allowed.ptr);
    impex_buf_free(&shown);
    impex_buf_free(&allowed);
    return 0;
}

/* Whether the cell clears its field: the sentinel, or a blank cell with empty = "clear". */
static int clears_field(const impex_descriptor *d, const impex_field *f)
{
    if (!f->len) return d->empty_clears;
    return f->len == d->sentinel_len && !memcmp(f->ptr, d->sentinel, f->len);
}

/* contextOverride: the job's value of each context part the descriptor maps
 * replaces the row's cell, checked by that field's rules. IMPEX_EREJECT
 * when the row was rejected (recorded), another code when the run stops. */
static int apply_context(run_ctx *r, impex_batch *b, size_t s, const impex_row *row, int op)
{
    const impex_descriptor *d = r->steps[s].d;
    for (size_t k = 0; k < IMPEX_CONTEXT_PARTS; k++) {
        const char *v = r->job->context[k];
        int f = d->context[k];
        if (!v || f < 0 || (op == IMPEX_OP_DELETE && !impex_descriptor_is_key(d, (size_t)f)))
            continue;
        impex_err rerr;
        impex_err_clear(&rerr);
        int rc = impex_rule_check(&d->fields[f], v, strlen(v), &r->scratch[f], &r->vals[f], &rerr);
        if (rc == IMPEX_EREJECT) {
            char reason[1024];
            snprintf(reason, sizeof reason, "contextOverride %s=%s: %s", impex_context_name(k), v,
                     rerr.msg);
            rc = reject_row(r, b, s, row, -1, reason);
            return rc ? rc : IMPEX_EREJECT;
        }
        if (rc) return rc;
    }
    return IMPEX_OK;
}

/* Checks one data row and adds it to the batch as an item or a reject.
 * Returns IMPEX_OK with *rejected set, or an error (the run stops). */
static int process_row(run_ctx *r, impex_batch *b, size_t s, const impex_row *row, int validating,
                       int *rejected)
{
    step_ctx *sc = &r->steps[s];
    const impex_descriptor *d = sc->d;
    impex_err rerr;
    char reason[1024];
    impex_err_clear(&rerr);
    *rejected = 1;

    if (row->nfields != sc->ncols) {
        snprintf(reason, sizeof reason, "expected %zu fields, found %zu", sc->ncols, row->nfields);
        return reject_row(r, b, s, row, -1, reason);
    }
    if (row->reject) return reject_row(r, b, s, row, row->reject_column, row->reject);
    int op = d->op, clears = 0;
    if (sc->op_col >= 0 && !row_operation(d, &row->fields[sc->op_col], &op, reason, sizeof reason))
        return reject_row(r, b, s, row, sc->op_col, reason);
    for (size_t f = 0; f < d->nfields; f++) {
        r->vals[f].name = d->fields[f].name;
        r->vals[f].name_len = sc->name_len[f];
        r->vals[f].id = sc->ids ? sc->ids[f] : 0;
        r->vals[f].type = IMPEX_V_NULL;
        r->vals[f].ptr = "";
        r->vals[f].len = 0;
    }
    for (size_t c = 0; c < sc->ncols; c++) {
        int fi = sc->colmap[c];
        if (fi < 0) continue;
        if (op == IMPEX_OP_DELETE && !impex_descriptor_is_key(d, (size_t)fi)) continue;
        const impex_field *fld = &row->fields[c];
        size_t bad = impex_utf8_check(fld->ptr, fld->len);
        if (bad < fld->len) {
            impex_dialect_bad_text(sc->encoding, fld->ptr, fld->len, bad, reason, sizeof reason);
            return reject_row(r, b, s, row, (int)c, reason);
        }
        if (clears_field(d, fld)) {
            if (d->fields[fi].required && fld->len) {
                snprintf(reason, sizeof reason, "field %s: cannot clear a required field",
                         d->fields[fi].name);
                return reject_row(r, b, s, row, (int)c, reason);
            }
            if (!d->fields[fi].required) {
                /* An insert has nothing to clear: the field is just absent. */
                if (op != IMPEX_OP_INSERT) r->vals[fi].ptr = clear_mark;
                clears |= op != IMPEX_OP_INSERT;
                continue;
            }
        }
        int rc = impex_rule_check(&d->fields[fi], fld->ptr, fld->len, &r->scratch[fi], &r->vals[fi],
                                  &rerr);
        if (rc == IMPEX_EREJECT) return reject_row(r, b, s, row, (int)c, rerr.msg);
        if (rc) return rc;
    }
    int rc = apply_context(r, b, s, row, op);
    if (rc == IMPEX_EREJECT) return IMPEX_OK;
    if (rc) return rc;
    for (size_t k = 0; k < d->nkey; k++) {
        const impex_value *kv = &r->vals[d->key[k]];
        if (kv->type == IMPEX_V_NULL || memchr(kv->ptr, '\0', kv->len)) {
            snprintf(reason, sizeof reason, "key field %s is %s", d->fields[d->key[k]].name,
                     kv->type == IMPEX_V_NULL ? "empty" : "holding a NUL byte");
            return reject_row(r, b, s, row, -1, reason);
        }
    }
    /* LMDB keys are at most 511 bytes: tenant, NUL, parts, separators. */
    size_t klen = r->tenant_len + d->nkey;
    for (size_t k = 0; k < d->nkey; k++)
        klen += r->vals[d->key[k]].len;
    if (klen > 500) {
        snprintf(reason, sizeof reason, "key is %zu bytes long; at most 500 are allowed", klen);
        return reject_row(r, b, s, row, -1, reason);
    }
    size_t n = 0;
    for (size_t f = 0; f < d->nfields; f++)
        if (r->vals[f].type != IMPEX_V_NULL || r->vals[f].ptr == clear_mark)
            r->present[n++] = r->vals[f];
    if (sc->script) {
        int rc = impex_script_validate(sc->script, r->present, n, &rerr);
        if (rc == IMPEX_EREJECT) return reject_row(r, b, s, row, -1, rerr.msg);
        if (rc) return rc;
    }
    *rejected = 0;
    if (validating) return IMPEX_OK;

    impex_item it = {.row = row->number,
                     .line = row->line,
                     .op = (unsigned char)op,
                     .clears = (unsigned char)clears};
    impex_slice parts[16];
    if (d->nkey > sizeof parts / sizeof *parts) return IMPEX_EDESC;
    for (size_t k = 0; k < d->nkey; k++) {
        parts[k].ptr = r->vals[d->key[k]].ptr;
        parts[k].len = r->vals[d->key[k]].len;
    }
    it.key_off = b->data.len;
    if (impex_key_encode(parts, d->nkey, &b->data)) return IMPEX_ENOMEM;
    it.key_len = b->data.len - it.key_off;
    it.rec_off = b->data.len;
    if (impex_codec_encode(sc->dict, r->present, n,
                           (impex_slice){b->data.ptr + it.key_off, it.key_len}, &b->data))
        return IMPEX_ENOMEM;
    it.rec_len = b->data.len - it.rec_off;
    if (d->nrefs) { /* checked by the writer, which sees what is stored */
        it.refs_off = b->data.len;
        if (impex_refs_encode(d, r->vals, &b->data)) return IMPEX_ENOMEM;
        it.refs_len = b->data.len - it.refs_off;
    }
    if (sc->want_context) {
        impex_slice parts[IMPEX_CONTEXT_PARTS] = {{0}};
        for (size_t k = 0; k < IMPEX_CONTEXT_PARTS; k++)
            if (d->context[k] >= 0)
                parts[k] = (impex_slice){r->vals[d->context[k]].ptr, r->vals[d->context[k]].len};
        it.ctx_off = b->data.len;
        if (impex_modes_context_tuple(d, parts, &b->data)) return IMPEX_ENOMEM;
        it.ctx_len = b->data.len - it.ctx_off;
    }
    if (d->has_map || op != IMPEX_OP_UPSERT || d->nrefs || !d->accumulate) {
        /* The writer may still reject this row (a duplicate key, among
         * others); keep its fields for the report. */
        impex_slice *fields = row_slices(r, row);
        it.fields_off = b->data.len;
        if (!fields || impex_reject_encode_fields(fields, row->nfields, &b->data))
            return IMPEX_ENOMEM;
        it.fields_len = b->data.len - it.fields_off;
    }
    return impex_batch_add_item(b, &it);
}

/* At most four reports a second, and always the last one (rd == NULL). */
void impex_rows_progress(run_ctx *r, impex_reader *rd)
{
    if (!r->opts || !r->opts->progress) return;
    double now = elapsed(&r->t0);
    if (rd && now - r->last_progress < 0.25) return;
    r->last_progress = now;
    impex_progress p = {r->rows_this_run, r->bytes_done + (rd ? impex_reader_bytes_read(rd) : 0),
                        r->bytes_total, now};
    r->opts->progress(r->opts->progress_ctx, &p);
}

static int cancelled(const run_ctx *r)
{
    return r->opts && r->opts->cancel && *r->opts->cancel;
}

/* Reads step s from the checkpoint to its end (or until stopped), pushing
 * batches to q; with q == NULL only validates (strict mode's first pass).
 * Reads only the parts of the job that never change while it runs (the
 * writer owns the rest): the resume point and counts are r's own copies. */
int impex_rows_run_step(run_ctx *r, size_t s, impex_queue *q, step_outcome *out, impex_err *err)
{
    step_ctx *sc = &r->steps[s];
    const impex_job *job = r->job;
    const impex_descriptor *d = sc->d;
    const char *entry = job->steps[s].entry;
    size_t batch_size = job->batch_size ? job->batch_size : d->batch_size;
    uint64_t max_errors = job->max_errors ? job->max_errors : d->max_errors;
    uint64_t step_rejected = q ? r->rejected0[s] : 0;
    step_reader sr;
    impex_batch *b = NULL;
    impex_row *row;
    impex_err ferr;
    int rc;

    if (batch_size > IMPEX_BATCH_SIZE_MAX) batch_size = IMPEX_BATCH_SIZE_MAX;
    memset(out, 0, sizeof *out);
    out->forced_status = -1;
    impex_err_clear(&ferr);
    if ((rc = impex_step_open(r, s, &sr, err))) return rc;
    impex_reader *rd = sr.reader;
    if ((rc = ensure_scratch(r, d->nfields + 1))) {
        impex_err_set(err, rc, "out of memory");
        goto done;
    }
    sc->want_context = q && impex_modes_wants_context(job, r->descs, s);
    impex_checkpoint cp = {.phase = q ? 1 : 0, .step = s, .row = 1, .line = 2};
    if (q && r->resume.step == s && r->resume.row > 1) {
        cp = r->resume;
        if ((rc = impex_reader_seek(rd, &cp.token, err))) goto done;
    }
    if (!(b = impex_batch_new(s))) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto done;
    }
    for (;;) {
        rc = impex_reader_next(rd, &row, &ferr);
        if (rc == IMPEX_ENOMEM) {
            rc = impex_err_set(err, rc, "%s: %s", entry, ferr.msg);
            goto done;
        }
        if (!rc && !row) break;
        if (rc) {
            /* The file cannot be read on: a malformed quote, a limit, a corrupt zip. */
            char msg[1024];
            impex_locate(msg, sizeof msg, entry, sc, &ferr);
            impex_row at = {.number = ferr.row ? ferr.row : cp.row + 1, .line = ferr.line};
            if (!b->rows) b->first_row = at.number;
            b->rows++; /* the record that could not be read counts as read and rejected */
            if ((rc = reject_row(r, b, s, &at, ferr.column, ferr.msg))) {
                impex_err_set(err, rc, "out of memory");
                goto done;
            }
            out->stop = 1;
            out->forced_status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
            snprintf(out->message, sizeof out->message, "%s", msg);
            break;
        }
        if (!b->rows) b->first_row = row->number;
        b->rows++;
        r->rows_this_run++;
        int rejected;
        if ((rc = process_row(r, b, s, row, q == NULL, &rejected))) {
            impex_err_set(err, rc, "cannot prepare row %llu: %s", (unsigned long long)row->number,
                          impex_strerror(rc));
            goto done;
        }
        step_rejected += (uint64_t)rejected;
        cp.token = row->after;
        cp.row = row->number;
        cp.line = row->next_line;
        if (max_errors && step_rejected > max_errors) {
            out->stop = 1;
            out->forced_status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
            snprintf(out->message, sizeof out->message,
                     "%s: stopped after %llu rejected rows (max_errors %llu); rows committed "
                     "before row %llu are kept",
                     entry, (unsigned long long)step_rejected, (unsigned long long)max_errors,
                     (unsigned long long)row->number);
            break;
        }
        if (b->rows >= batch_size || b->data.len >= IMPEX_BATCH_MAX_BYTES || cancelled(r)) {
            if (q) {
                b->cp = cp;
                if ((rc = impex_queue_push(q, b))) {
                    b = NULL;
                    impex_err_set(err, rc, "the writer stopped");
                    goto done;
                }
                if (!(b = impex_batch_new(s))) {
                    rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
                    goto done;
                }
            } else {
                impex_batch_free(b);
                if (!(b = impex_batch_new(s))) {
                    rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
                    goto done;
                }
            }
            impex_rows_progress(r, rd);
            if (cancelled(r)) {
                rc = impex_err_set(err, IMPEX_ECANCEL, "stopped on request");
                goto done;
            }
        }
    }
    rc = IMPEX_OK;
    r->bytes_done += impex_reader_bytes_read(rd);
    if (q) {
        /* The step's last batch settles its status; the checkpoint moves to the next step. */
        b->cp = (impex_checkpoint){.phase = 1, .step = s + 1, .row = 0, .line = 1};
        if (out->stop) b->cp = cp;
        b->end_of_step = 1;
        b->forced_status = out->forced_status;
        if (out->message[0] && !(b->message = strdup(out->message))) {
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
            goto done;
        }
        if (out->stop || s + 1 == job->nsteps) b->end_of_job = 1;
        rc = impex_queue_push(q, b);
        b = NULL;
        if (rc) impex_err_set(err, rc, "the writer stopped");
    }
done:
    impex_batch_free(b);
    impex_step_close(&sr);
    return rc;
}

/* Strict mode, first pass: every row of every step is checked, nothing is
 * written. Any rejected row ends the job with the report and no records.
 * IMPEX_ECANCEL when stopped on request: the job stays resumable and the
 * pass starts again on resume. */
int impex_rows_validate_all(run_ctx *r, int *failed, impex_err *err)
{
    impex_job *job = r->job;
    uint64_t total_rejected = 0;
    char message[1024] = "";
    *failed = 0;
    for (size_t s = 0; s < job->nsteps; s++) {
        step_outcome out;
        uint64_t before_rows = r->rows_this_run, before_n = r->strict_total;
        int rc = impex_rows_run_step(r, s, NULL, &out, err);
        if (rc) return rc;
        job->steps[s].counts.rows = r->rows_this_run - before_rows;
        uint64_t rej = r->strict_total - before_n;
        job->steps[s].counts.rejected = rej;
        total_rejected += rej;
        if (out.message[0]) snprintf(message, sizeof message, "%s", out.message);
        if (out.stop) break;
    }
    if (!total_rejected) return IMPEX_OK;
    *failed = 1;
    for (size_t s = 0; s < job->nsteps; s++) {
        job->counts.rows += job->steps[s].counts.rows;
        job->counts.rejected += job->steps[s].counts.rejected;
        job->steps[s].status = job->steps[s].counts.rejected
                                   ? IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS
                                   : IMPEX_JOB_COMPLETED;
    }
    if ((message[0] && impex_job_message(job, "%s", message)) ||
        impex_job_message(job, "strict validation: %llu row(s) rejected; nothing was imported",
                          (unsigned long long)total_rejected))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    job->status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
    impex_job_now(job->finished);
    return impex_job_save(r->e, job, &r->strict_rejects, err);
}
