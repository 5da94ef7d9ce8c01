#include "pipeline/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- planning: which entry runs through which descriptor --------------------- */

static int is_nested_archive(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcasecmp(name + n - 4, ".zip");
}

int impex_steps_plan(run_ctx *r, impex_err *err)
{
    impex_job *job = r->job;
    impex_group *g = NULL;
    size_t n = impex_archive_count(r->archive);
    char *used = calloc(n + 1, 1);
    int rc = used ? impex_group_load(r->lua, job->group, &g, err)
                  : impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t s = 0; !rc && s < g->nsteps; s++) {
        impex_descriptor *d;
        if ((rc = impex_descriptor_load(r->lua, g->steps[s], &d, err))) break;
        for (size_t i = 0; !rc && i < n; i++) {
            if (used[i] || !impex_descriptor_matches(d, impex_archive_name(r->archive, i)))
                continue;
            used[i] = 1;
            if (impex_job_add_step(job, d->path, d->resource, impex_archive_name(r->archive, i)))
                rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        }
        if (d->strategy == IMPEX_STRATEGY_STRICT && !job->strategy) r->strict = 1;
        impex_descriptor_free(d);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        if (used[i]) continue;
        const char *name = impex_archive_name(r->archive, i);
        if (is_nested_archive(name))
            impex_job_message(job, "%s: nested archives are not imported; entry ignored", name);
        else
            impex_job_message(job, "%s: matches no descriptor of group '%s'; entry ignored", name,
                              job->group);
    }
    free(used);
    impex_group_free(g);
    return rc;
}

/* Step i's archive index (entries are matched by name, which the job records). */
static int find_entry(run_ctx *r, size_t step, size_t *index, impex_err *err)
{
    const char *want = r->job->steps[step].entry;
    for (size_t i = 0; i < impex_archive_count(r->archive); i++)
        if (!strcmp(impex_archive_name(r->archive, i), want)) {
            *index = i;
            return IMPEX_OK;
        }
    return impex_err_set(err, IMPEX_ENOTFOUND, "entry %s is missing from the job's file", want);
}

/* --- headers ------------------------------------------------------------------ */

static void append_name(impex_buf *list, const char *name)
{
    if (list->len) impex_buf_puts(list, ", ");
    impex_buf_puts(list, *name ? name : "(empty)");
}

/* Maps the header row onto the descriptor; names every problem at once. */
static int map_header(step_ctx *sc, const char *entry, const impex_row *row, impex_err *err)
{
    const impex_descriptor *d = sc->d;
    impex_buf missing = {0}, unknown = {0}, dup = {0};
    char *seen = calloc(d->nfields + 1, 1);
    sc->ncols = row->nfields;
    sc->colmap = calloc(row->nfields + 1, sizeof *sc->colmap);
    sc->header = calloc(row->nfields + 1, sizeof *sc->header);
    if (!seen || !sc->colmap || !sc->header) {
        free(seen);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    for (size_t c = 0; c < row->nfields; c++) {
        const impex_field *f = &row->fields[c];
        sc->header[c] = strndup(f->ptr, f->len);
        if (!sc->header[c]) {
            free(seen);
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        }
        int idx = impex_descriptor_field(d, f->ptr, f->len);
        sc->colmap[c] = idx;
        if (idx < 0) {
            /* A delete needs the key only; whatever else the file carries is ignored. */
            if (!d->allow_extra_columns && d->op != IMPEX_OP_DELETE)
                append_name(&unknown, sc->header[c]);
            continue;
        }
        if (seen[idx]) {
            append_name(&dup, sc->header[c]);
            sc->colmap[c] = -1;
        }
        seen[idx] = 1;
    }
    for (size_t i = 0; i < d->nfields; i++)
        if (d->fields[i].required && !seen[i] &&
            (d->op != IMPEX_OP_DELETE || impex_descriptor_is_key(d, i)))
            append_name(&missing, d->fields[i].name);
    free(seen);
    int rc = 0;
    if (missing.len || unknown.len || dup.len) {
        impex_err_set(err, IMPEX_EHEADER, "%s: %s%s%s%s%s%s%s%s", entry,
                      missing.len ? "missing required column(s): " : "",
                      missing.len ? missing.ptr : "",
                      missing.len && (unknown.len || dup.len) ? "; " : "",
                      unknown.len ? "unknown column(s): " : "", unknown.len ? unknown.ptr : "",
                      unknown.len && dup.len ? "; " : "", dup.len ? "duplicated column(s): " : "",
                      dup.len ? dup.ptr : "");
        rc = IMPEX_EHEADER;
    }
    impex_buf_free(&missing);
    impex_buf_free(&unknown);
    impex_buf_free(&dup);
    return rc;
}

void impex_step_free_header(step_ctx *sc)
{
    for (size_t c = 0; c < sc->ncols; c++)
        free(sc->header ? sc->header[c] : NULL);
    free(sc->header);
    free(sc->colmap);
    sc->header = NULL;
    sc->colmap = NULL;
    sc->ncols = 0;
}

void impex_step_close(step_reader *sr)
{
    impex_csv_close(sr->csv);
    impex_readahead_close(sr->ra); /* before the entry: its thread reads the entry */
    impex_entry_close(sr->entry);
    memset(sr, 0, sizeof *sr);
}

/* Opens step s's entry and reads and maps its header. */
int impex_step_open(run_ctx *r, size_t s, step_reader *sr, impex_err *err)
{
    step_ctx *sc = &r->steps[s];
    impex_row *hdr;
    memset(sr, 0, sizeof *sr);
    int rc = impex_archive_open_entry(r->archive, sc->archive_index, &sr->entry, err);
    if (!rc) rc = impex_readahead_open(impex_entry_read, sr->entry, 0, &sr->ra, err);
    if (!rc) rc = impex_csv_open(impex_readahead_read, sr->ra, NULL, &sr->csv, err);
    if (rc) goto fail;
    rc = impex_csv_next(sr->csv, &hdr, err);
    if (rc == 0) {
        rc = impex_err_set(err, IMPEX_EHEADER, "%s: the file is empty (no header row)",
                           r->job->steps[s].entry);
        goto fail;
    }
    if (rc != 1) goto fail;
    impex_step_free_header(sc);
    if ((rc = map_header(sc, r->job->steps[s].entry, hdr, err))) goto fail;
    return IMPEX_OK;
fail:
    impex_step_close(sr);
    return rc;
}

/* Loads every step's descriptor and checks every remaining header before
 * anything is written. Returns the job status to fail with, or -1. */
int impex_steps_prepare(run_ctx *r, char *msg, size_t msglen)
{
    impex_job *job = r->job;
    r->steps = calloc(job->nsteps + 1, sizeof *r->steps);
    r->descs = calloc(job->nsteps + 1, sizeof *r->descs);
    if (!r->steps || !r->descs) goto nomem;
    for (size_t s = 0; s < job->nsteps; s++) {
        step_ctx *sc = &r->steps[s];
        impex_err e2;
        impex_err_clear(&e2);
        int rc = impex_descriptor_load(r->lua, job->steps[s].descriptor, &sc->d, &e2);
        if (!rc && sc->d->has_validate) rc = impex_script_bind(r->lua, sc->d, &sc->script, &e2);
        if (rc) {
            snprintf(msg, msglen, "%s", e2.msg);
            return IMPEX_JOB_FAILED_UNEXPECTEDLY;
        }
        r->descs[s] = sc->d;
        if (job->operation) {
            /* A request may choose another operation only among those the
             * descriptor allows; refused before anything is written. */
            int op = impex_op_parse(job->operation);
            if (op < 0 || !(sc->d->allowed_ops & (1u << op))) {
                impex_buf allowed = {0};
                for (int k = 0; k < 4; k++)
                    if (sc->d->allowed_ops & (1u << k))
                        append_name(&allowed, impex_op_name((impex_op)k));
                snprintf(msg, msglen, "%s: operation %s is not allowed (allowed: %s)", sc->d->path,
                         job->operation, allowed.ptr ? allowed.ptr : "none");
                impex_buf_free(&allowed);
                return IMPEX_JOB_INVALID_OPERATION_TYPE;
            }
            sc->d->op = (impex_op)op;
        }
        if (!(sc->name_len = calloc(sc->d->nfields + 1, sizeof *sc->name_len))) goto nomem;
        for (size_t f = 0; f < sc->d->nfields; f++)
            sc->name_len[f] = strlen(sc->d->fields[f].name);
        if (sc->d->strategy == IMPEX_STRATEGY_STRICT && !job->strategy) r->strict = 1;
        if ((rc = find_entry(r, s, &sc->archive_index, &e2))) {
            snprintf(msg, msglen, "%s", e2.msg);
            return IMPEX_JOB_FAILED_UNEXPECTEDLY;
        }
        r->bytes_total += s >= job->cp.step ? impex_archive_size(r->archive, sc->archive_index) : 0;
    }
    if (job->strategy) r->strict = !strcmp(job->strategy, "strict");
    impex_buf all = {0};
    int status = -1;
    for (size_t s = job->cp.step; s < job->nsteps; s++) {
        step_reader sr;
        impex_err e2;
        impex_err_clear(&e2);
        int rc = impex_step_open(r, s, &sr, &e2);
        if (!rc) {
            impex_step_close(&sr);
            /* Kept in the job so the error report can name the columns. */
            if (impex_job_set_columns(job, s, r->steps[s].header, r->steps[s].ncols)) goto nomem;
            continue;
        }
        char where[1024];
        if (rc == IMPEX_EHEADER) {
            snprintf(where, sizeof where, "%s", e2.msg);
            status = IMPEX_JOB_FAILED_HEADERS;
        } else {
            impex_locate(where, sizeof where, job->steps[s].entry, NULL, &e2);
            if (status < 0) status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
        }
        job->steps[s].status = rc == IMPEX_EHEADER ? IMPEX_JOB_FAILED_HEADERS
                                                   : IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
        free(job->steps[s].details);
        job->steps[s].details = strdup(where);
        if (all.len) impex_buf_puts(&all, "; ");
        impex_buf_puts(&all, where);
    }
    if (status >= 0) snprintf(msg, msglen, "%s", all.ptr);
    impex_buf_free(&all);
    return status;
nomem:
    snprintf(msg, msglen, "out of memory");
    return IMPEX_JOB_FAILED_UNEXPECTEDLY;
}

/* Formats "entry: row R (line L), column C: reason" for a file-level error. */
void impex_locate(char *dst, size_t size, const char *entry, const step_ctx *sc, const impex_err *e)
{
    char where[256] = "";
    if (e->row && e->line)
        snprintf(where, sizeof where, " row %llu (line %llu)", (unsigned long long)e->row,
                 (unsigned long long)e->line);
    else if (e->line)
        snprintf(where, sizeof where, " line %llu", (unsigned long long)e->line);
    char col[200] = "";
    if (e->column >= 0)
        snprintf(col, sizeof col, ", column %s",
                 sc && (size_t)e->column < sc->ncols ? sc->header[e->column] : "?");
    snprintf(dst, size, "%s:%s%s: %s", entry, where, col, e->msg);
}
