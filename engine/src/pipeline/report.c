#include "pipeline/report.h"
#include "pipeline/query.h"
#include "store/reject.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct report {
    const impex_job *job;
    const impex_report_opts *o;
    impex_write_fn write;
    void *ctx;
    impex_report_stats *stats;
    impex_buf line, header;
    long header_step; /* step of the header record kept in `header`, -1 = none */
    long step;        /* step whose header block was written last, -1 = none */
    long only;        /* with replay: the step to write */
    int failed;
} report;

static int emit(report *rp)
{
    if (impex_buf_puts(&rp->line, "\r\n")) return IMPEX_ENOMEM;
    if (rp->write(rp->ctx, rp->line.ptr, rp->line.len)) {
        rp->failed = 1;
        return IMPEX_EIO;
    }
    impex_buf_reset(&rp->line);
    return IMPEX_OK;
}

/* A step's header block: the file's own header as it was read (from its
 * header record), else the names the job kept. */
static int put_header(report *rp, long step)
{
    const impex_step *s =
        step >= 0 && (size_t)step < rp->job->nsteps ? &rp->job->steps[step] : NULL;
    int rc = 0;
    impex_buf_reset(&rp->line);
    if (rp->step >= 0 && !rp->o->replay) rc = emit(rp); /* a blank line between blocks */
    if (!rp->o->replay) rc = rc || impex_buf_puts(&rp->line, "file,row,line,column,value,reason");
    if (rp->header_step == step && rp->header.len) {
        if (!rp->o->replay) rc = rc || impex_buf_putc(&rp->line, ',');
        rc = rc || impex_buf_append(&rp->line, rp->header.ptr, rp->header.len);
    } else {
        for (size_t c = 0; !rc && s && c < s->ncolumns; c++) {
            if (c || !rp->o->replay) rc = impex_buf_putc(&rp->line, ',');
            rc = rc || impex_buf_put_csv_field(&rp->line, s->columns[c], strlen(s->columns[c]));
        }
    }
    rp->step = step;
    return rc ? IMPEX_ENOMEM : emit(rp);
}

static int put_fields(impex_buf *line, const impex_reject *rj, int leading_comma)
{
    for (size_t i = 0; i < rj->nfields; i++) {
        if ((i || leading_comma) && impex_buf_putc(line, ',')) return IMPEX_ENOMEM;
        if (impex_buf_put_csv_field(line, rj->fields[i].ptr, rj->fields[i].len))
            return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}

/* Reject records written before the binary encoding were JSON. */
static int decode_legacy(impex_slice rec, impex_reject *rj, json_t **keep)
{
    json_t *r = json_loadb(rec.ptr, rec.len, JSON_ALLOW_NUL, NULL);
    if (!r) return IMPEX_EFORMAT;
    memset(rj, 0, sizeof *rj);
    json_t *fields = json_object_get(r, "fields");
    rj->step = (size_t)json_integer_value(json_object_get(r, "step"));
    rj->row = (uint64_t)json_integer_value(json_object_get(r, "row"));
    rj->line = (uint64_t)json_integer_value(json_object_get(r, "line"));
    json_t *v;
#define SLICE(key, dst)                                                                            \
    if ((v = json_object_get(r, key)) && json_is_string(v))                                        \
    dst = (impex_slice){json_string_value(v), json_string_length(v)}
    SLICE("file", rj->file);
    SLICE("column", rj->column);
    SLICE("value", rj->value);
    SLICE("reason", rj->reason);
#undef SLICE
    rj->value_len = rj->value.len;
    size_t n = json_array_size(fields);
    rj->fields = calloc(n + 1, sizeof *rj->fields);
    rj->field_len = calloc(n + 1, sizeof *rj->field_len);
    if (!rj->fields || !rj->field_len) {
        impex_reject_free(rj);
        json_decref(r);
        return IMPEX_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(fields, i);
        rj->fields[i] =
            (impex_slice){json_string_value(f) ? json_string_value(f) : "", json_string_length(f)};
        rj->field_len[i] = rj->fields[i].len;
    }
    rj->nfields = n;
    *keep = r;
    return IMPEX_OK;
}

static int on_reject(void *ctx, uint64_t seq, impex_slice rec)
{
    report *rp = ctx;
    impex_reject rj;
    json_t *legacy = NULL;
    (void)seq;
    int rc = rec.len && rec.ptr[0] == '{' ? decode_legacy(rec, &rj, &legacy)
                                          : impex_reject_decode(rec, &rj, NULL);
    if (rc == IMPEX_ENOMEM) return rc;
    if (rc) {
        rp->stats->damaged++;
        return IMPEX_OK;
    }
    long step = (long)rj.step;
    if (rj.row == 1) {
        /* The step's header as the file held it. */
        impex_buf_reset(&rp->header);
        rc = put_fields(&rp->header, &rj, 0);
        rp->header_step = step;
        if (!rc && rp->o->replay && step == rp->only) rc = put_header(rp, step);
        goto done;
    }
    if (rp->o->replay && step != rp->only) goto done;
    if (rp->o->replay && rj.cut) {
        rp->stats->cut++;
        goto done;
    }
    if (step != rp->step && (rc = put_header(rp, step))) goto done;
    impex_buf *l = &rp->line;
    impex_buf_reset(l);
    if (!rp->o->replay) {
        char reason_note[96] = "";
        if (rj.cut) snprintf(reason_note, sizeof reason_note, " [row kept in part: too long]");
        rc = impex_buf_put_csv_field(l, rj.file.ptr, rj.file.len) ||
             impex_buf_printf(l, ",%llu,%llu,", (unsigned long long)rj.row,
                              (unsigned long long)rj.line) ||
             (rj.column.ptr && impex_buf_put_csv_field(l, rj.column.ptr, rj.column.len)) ||
             impex_buf_putc(l, ',') ||
             (rj.value.ptr && impex_buf_put_csv_field(l, rj.value.ptr, rj.value.len)) ||
             impex_buf_putc(l, ',');
        if (!rc) {
            impex_buf reason = {0};
            rc = impex_buf_append(&reason, rj.reason.ptr, rj.reason.len) ||
                 impex_buf_puts(&reason, reason_note) ||
                 impex_buf_put_csv_field(l, reason.ptr, reason.len);
            impex_buf_free(&reason);
        }
        if (rc) rc = IMPEX_ENOMEM;
    }
    if (!rc) rc = put_fields(l, &rj, !rp->o->replay);
    if (!rc) rc = emit(rp);
    if (!rc) rp->stats->rows++;
    if (rj.cut && !rp->o->replay) rp->stats->cut++;
done:
    impex_reject_free(&rj);
    json_decref(legacy);
    return rc;
}

int impex_report_errors(impex_engine *e, const impex_job *job, const impex_report_opts *o,
                        impex_write_fn write, void *ctx, impex_report_stats *stats, impex_err *err)
{
    report rp = {.job = job,
                 .o = o,
                 .write = write,
                 .ctx = ctx,
                 .stats = stats,
                 .header_step = -1,
                 .step = -1,
                 .only = -1};
    memset(stats, 0, sizeof *stats);
    if (o->replay) {
        /* The step asked for, else the first with rejected rows. */
        for (size_t s = 0; s < job->nsteps && rp.only < 0; s++)
            if (o->step ? s + 1 == o->step : job->steps[s].counts.rejected > 0) rp.only = (long)s;
        if (rp.only < 0)
            return impex_err_set(err, IMPEX_ENOTFOUND, "job %llu has no %s",
                                 (unsigned long long)job->id,
                                 o->step ? "such step" : "rejected rows");
        stats->step = (size_t)rp.only;
    }
    /* Page by page in short read transactions (an export-sized report pins nothing). */
    int rc = impex_engine_rejects(e, job->tenant, job->id, on_reject, &rp, err);
    if (rc == IMPEX_ENOMEM) impex_err_set(err, rc, "out of memory");
    if (rc == IMPEX_EIO && rp.failed) impex_err_set(err, rc, "cannot write the report");
    /* A replay with no rows, or a report with none: the header alone. */
    if (!rc && rp.step < 0) {
        long step = o->replay ? rp.only : (job->nsteps ? 0 : -1);
        if ((rc = put_header(&rp, step))) impex_err_set(err, rc, "cannot write the report");
    }
    impex_buf_free(&rp.line);
    impex_buf_free(&rp.header);
    return rc;
}
