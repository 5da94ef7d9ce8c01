#include "core/utf8.h"
#include "io/transcode.h"
#include "io/xml.h"
#include "store/reject.h"
#include "pipeline/dialect.h"
#include "pipeline/modes.h"
#include "pipeline/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A header verdict names at most this many bytes of columns, then says how
 * many more there are (a line of 10,000 bad names stays readable); a name
 * longer than HEADER_NAME_SHOWN bytes is shown cut, with its length. */
#define HEADER_MESSAGE_MAX (16 * 1024)
#define HEADER_NAME_SHOWN 200

/* --- planning: which entry runs through which descriptor --------------------- */

static int is_nested_archive(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcasecmp(name + n - 4, ".zip");
}

static int cmp_name_index(const void *a, const void *b, void *arch)
{
    const char *na = impex_archive_name(arch, *(const size_t *)a);
    const char *nb = impex_archive_name(arch, *(const size_t *)b);
    int c = strcmp(na, nb);
    return c ? c
             : (*(const size_t *)a > *(const size_t *)b) -
                   (*(const size_t *)a < *(const size_t *)b);
}

/* Entries that share a name are each imported as their own step (by index),
 * and the job says so: the sender probably did not mean it. */
static int report_duplicates(run_ctx *r, size_t n)
{
    size_t *order = calloc(n + 1, sizeof *order);
    if (!order) return IMPEX_ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_name_index, r->archive);
    for (size_t i = 0; i < n;) {
        size_t k = i + 1;
        const char *name = impex_archive_name(r->archive, order[i]);
        while (k < n && !strcmp(name, impex_archive_name(r->archive, order[k])))
            k++;
        if (k - i > 1 &&
            impex_job_message(r->job,
                              "%s: the archive holds %zu entries of this name; each is read as "
                              "its own step, in archive order",
                              name, k - i)) {
            free(order);
            return IMPEX_ENOMEM;
        }
        i = k;
    }
    free(order);
    return IMPEX_OK;
}

/* Step s of g is required and no entry matched it: says so in msg, with
 * the entry names its descriptor accepts. */
static int note_required(const impex_group *g, size_t s, const impex_descriptor *d, impex_buf *msg)
{
    for (size_t k = 0; k < g->nrequires; k++) {
        if (strcmp(g->requires[k], g -> steps[s]) != 0) continue;
        return impex_buf_printf(msg, "%s%s: no entry for required step '%s' (expected %s)",
                                msg->len ? "; " : "", g->name, g->requires_names[k], d->entry_glob)
                   ? IMPEX_ENOMEM
                   : IMPEX_OK;
    }
    return IMPEX_OK;
}

/* Whether step j must run before step i: i refers to j's resource (a
 * reference to i's own resource does not count). */
static int depends(impex_descriptor *const *d, size_t i, size_t j)
{
    if (i == j) return 0;
    for (size_t k = 0; k < d[i]->nrefs; k++)
        if (!strcmp(d[i]->refs[k].resource, d[j]->resource) &&
            strcmp(d[i]->refs[k].resource, d[i]->resource))
            return 1;
    return 0;
}

/* Orders the group's steps so that each comes after the steps whose
 * resources it refers to; otherwise the group's order (a stable topological
 * sort). A cycle is an error naming it. */
static int order_steps(const impex_group *g, impex_descriptor *const *d, size_t *order,
                       impex_err *err)
{
    size_t n = g->nsteps, placed = 0;
    char *done = calloc(n + 1, 1);
    if (!done) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    while (placed < n) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            if (done[i]) continue;
            int ready = 1;
            for (size_t j = 0; j < n && ready; j++)
                if (!done[j] && depends(d, i, j)) ready = 0;
            if (ready) pick = i;
        }
        if (pick == n) break;
        done[pick] = 1;
        order[placed++] = pick;
    }
    int rc = IMPEX_OK;
    if (placed < n) {
        /* Every step left waits for another left: walk back until one repeats. */
        size_t *path = calloc(n + 1, sizeof *path), len = 0, at = 0;
        impex_buf cycle = {0};
        if (!path) {
            free(done);
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        }
        while (done[at])
            at++;
        for (;;) {
            size_t seen = len;
            for (size_t k = 0; k < len; k++)
                if (path[k] == at) seen = k;
            if (seen < len) {
                for (size_t k = seen; k < len && !rc; k++)
                    rc = impex_buf_printf(&cycle, "%s -> ", d[path[k]]->name);
                if (!rc) rc = impex_buf_puts(&cycle, d[at]->name);
                break;
            }
            path[len++] = at;
            size_t next = 0;
            while (done[next] || !depends(d, at, next))
                next++;
            at = next;
        }
        rc = rc ? impex_err_set(err, IMPEX_ENOMEM, "out of memory")
                : impex_err_set(err, IMPEX_EDESC,
                                "%s: steps refer to each other in a cycle: %s (each refers to "
                                "the next); no order can satisfy their refs",
                                g->path, cycle.ptr);
        impex_buf_free(&cycle);
        free(path);
    }
    free(done);
    return rc;
}

int impex_steps_plan(run_ctx *r, impex_err *err)
{
    impex_job *job = r->job;
    impex_group *g = NULL;
    size_t n = impex_archive_count(r->archive);
    char *used = calloc(n + 1, 1);
    impex_descriptor **descs = NULL;
    size_t *order = NULL;
    int rc = used ? impex_group_load(r->lua, job->group, &g, err)
                  : impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!rc && (!(descs = calloc(g->nsteps, sizeof *descs)) ||
                !(order = calloc(g->nsteps, sizeof *order))))
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t s = 0; !rc && s < g->nsteps; s++)
        rc = impex_descriptor_load(r->lua, g->steps[s], &descs[s], err);
    if (!rc) rc = order_steps(g, descs, order, err);
    impex_buf missing = {0};
    for (size_t o = 0; !rc && o < g->nsteps; o++) {
        impex_descriptor *d = descs[order[o]];
        int xml = !strcmp(d->format, "xml");
        size_t matched = 0;
        for (size_t i = 0; !rc && i < n; i++) {
            /* An XML entry may feed several resources: every XML descriptor
             * that matches it reads it (one step each); CSV: the first only. */
            if ((used[i] && !(xml && used[i] == 2)) ||
                !impex_descriptor_matches(d, impex_archive_name(r->archive, i)))
                continue;
            used[i] = xml ? 2 : 1;
            matched++;
            if (impex_job_add_step(job, d->path, d->resource, impex_archive_name(r->archive, i), i))
                rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        }
        if (!rc && !matched && note_required(g, order[o], d, &missing))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    for (size_t s = 0; g && descs && s < g->nsteps; s++)
        impex_descriptor_free(descs[s]);
    free(descs);
    free(order);
    /* A file with no matching entry at all gets the plainer verdict (import.c). */
    if (!rc && missing.len && job->nsteps)
        rc = impex_err_set(err, IMPEX_EREJECT, "%s", missing.ptr);
    impex_buf_free(&missing);
    for (size_t i = 0; !rc && i < n; i++) {
        if (used[i]) continue;
        const char *name = impex_archive_name(r->archive, i);
        if (is_nested_archive(name))
            rc =
                impex_job_message(job, "%s: nested archives are not imported; entry ignored", name);
        else
            rc = impex_job_message(job, "%s: matches no descriptor of group '%s'; entry ignored",
                                   name, job->group);
        if (rc) rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    if (!rc && report_duplicates(r, n)) rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    free(used);
    impex_group_free(g);
    return rc;
}

/* Step s's entry: by the index the plan recorded, checked against its name. */
static int find_entry(run_ctx *r, size_t step, size_t *index, impex_err *err)
{
    const impex_step *st = &r->job->steps[step];
    size_t i = st->index;
    if (i < impex_archive_count(r->archive)) {
        const char *name = impex_archive_name(r->archive, i);
        impex_buf shown = {0};
        if (impex_utf8_visible(name, strlen(name), &shown)) {
            impex_buf_free(&shown);
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        }
        int same = shown.ptr && !strcmp(shown.ptr, st->entry);
        impex_buf_free(&shown);
        if (same) {
            *index = i;
            return IMPEX_OK;
        }
    }
    return impex_err_set(err, IMPEX_ENOTFOUND, "entry %s (#%zu) is missing from the job's file",
                         st->entry, i + 1);
}

/* --- headers ------------------------------------------------------------------ */

/* Appends a column name to a verdict list: quoted, with bytes that are not
 * UTF-8 (and NULs) shown as \xHH; counts what no longer fits. */
static int append_name(impex_buf *list, size_t *more, const char *name, size_t len)
{
    if (list->len > HEADER_MESSAGE_MAX) {
        (*more)++;
        return IMPEX_OK;
    }
    size_t shown = len > HEADER_NAME_SHOWN ? HEADER_NAME_SHOWN : len;
    int rc = list->len ? impex_buf_puts(list, ", ") : 0;
    rc = rc || impex_buf_putc(list, '"') || impex_utf8_visible(name, shown, list) ||
         (shown < len && impex_buf_printf(list, "...\" (%zu bytes)", len)) ||
         (shown == len && impex_buf_putc(list, '"'));
    return rc ? IMPEX_ENOMEM : IMPEX_OK;
}

static int put_list(impex_buf *out, const char *what, const impex_buf *list, size_t more)
{
    if (!list->len) return IMPEX_OK;
    int rc = impex_buf_printf(out, "%s%s: %s", out->len ? "; " : "", what, list->ptr);
    if (!rc && more) rc = impex_buf_printf(out, " and %zu more", more);
    return rc ? IMPEX_ENOMEM : IMPEX_OK;
}

/* The column named by the descriptor's operation_column, or -1 (it is optional). */
static int find_op_column(const impex_descriptor *d, const impex_row *row)
{
    size_t n = d->op_column ? strlen(d->op_column) : 0;
    for (size_t c = 0; n && c < row->nfields; c++)
        if (row->fields[c].len == n && !memchr(row->fields[c].ptr, '\0', n) &&
            !strncasecmp(row->fields[c].ptr, d->op_column, n))
            return (int)c;
    return -1;
}

/* Whether the job's contextOverride fills field i of d (its column may be absent). */
static int overridden(const impex_descriptor *d, char *const *context, size_t i)
{
    for (size_t k = 0; context && k < IMPEX_CONTEXT_PARTS; k++)
        if (context[k] && d->context[k] == (int)i) return 1;
    return 0;
}

/* Maps the header row onto the descriptor; names every problem at once. */
static int map_header(step_ctx *sc, const char *entry, const impex_row *row, char *const *context,
                      impex_err *err)
{
    const impex_descriptor *d = sc->d;
    impex_buf missing = {0}, unknown = {0}, dup = {0}, all = {0};
    size_t more[3] = {0, 0, 0};
    int rc = IMPEX_OK;
    char *seen = calloc(d->nfields + 1, 1);
    sc->ncols = row->nfields;
    sc->colmap = calloc(row->nfields + 1, sizeof *sc->colmap);
    sc->header = calloc(row->nfields + 1, sizeof *sc->header);
    sc->header_len = calloc(row->nfields + 1, sizeof *sc->header_len);
    if (!seen || !sc->colmap || !sc->header || !sc->header_len) goto nomem;
    sc->op_col = find_op_column(d, row);
    /* Rows that may ask for more than a delete need the columns of the others. */
    int delete_only = d->op == IMPEX_OP_DELETE &&
                      (sc->op_col < 0 || !(d->allowed_ops & ~(1u << IMPEX_OP_DELETE)));
    for (size_t c = 0; c < row->nfields; c++) {
        const impex_field *f = &row->fields[c];
        if (!(sc->header[c] = malloc(f->len + 1))) goto nomem;
        memcpy(sc->header[c], f->ptr, f->len + 1);
        sc->header_len[c] = f->len;
        int idx = impex_descriptor_field(d, f->ptr, f->len);
        sc->colmap[c] = idx;
        if (idx < 0) {
            /* A delete needs the key only; whatever else the file carries is ignored. */
            if (!d->allow_extra_columns && !delete_only && (int)c != sc->op_col &&
                append_name(&unknown, &more[1], f->ptr, f->len))
                goto nomem;
            continue;
        }
        if (seen[idx]) {
            if (append_name(&dup, &more[2], f->ptr, f->len)) goto nomem;
            sc->colmap[c] = -1;
        }
        seen[idx] = 1;
    }
    for (size_t i = 0; i < d->nfields; i++)
        if (d->fields[i].required && !seen[i] && !overridden(d, context, i) &&
            (!delete_only || impex_descriptor_is_key(d, i)) &&
            append_name(&missing, &more[0], d->fields[i].name, strlen(d->fields[i].name)))
            goto nomem;
    if (missing.len || unknown.len || dup.len) {
        if (put_list(&all, "missing required column(s)", &missing, more[0]) ||
            put_list(&all, "unknown column(s)", &unknown, more[1]) ||
            put_list(&all, "duplicated column(s)", &dup, more[2]) ||
            impex_dialect_header_hint(d, row, sc->delimiter, sc->encoding, &all))
            goto nomem;
        impex_buf prefixed = {0};
        if (impex_buf_printf(&prefixed, "%s: %s", entry, all.ptr)) {
            impex_buf_free(&prefixed);
            goto nomem;
        }
        free(sc->header_error);
        sc->header_error = prefixed.ptr;
        rc = impex_err_set(err, IMPEX_EHEADER, "%s", prefixed.ptr);
    }
    goto done;
nomem:
    rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
done:
    free(seen);
    impex_buf_free(&missing);
    impex_buf_free(&unknown);
    impex_buf_free(&dup);
    impex_buf_free(&all);
    return rc;
}

void impex_step_free_header(step_ctx *sc)
{
    for (size_t c = 0; c < sc->ncols; c++)
        free(sc->header ? sc->header[c] : NULL);
    free(sc->header);
    free(sc->header_len);
    free(sc->colmap);
    free(sc->header_error);
    sc->header = NULL;
    sc->header_len = NULL;
    sc->colmap = NULL;
    sc->header_error = NULL;
    sc->ncols = 0;
}

void impex_step_close(step_reader *sr)
{
    impex_reader_close(sr->reader);
    impex_readahead_close(sr->ra); /* before the entry: its thread reads the entry */
    impex_entry_close(sr->entry);
    memset(sr, 0, sizeof *sr);
}

/* The XML reader over the step's entry, from the descriptor's paths. Its
 * first row is the field names, so the header maps as for CSV. */
static int open_xml(const impex_descriptor *d, step_reader *sr, impex_err *err)
{
    const char **names = calloc(d->nfields + 1, sizeof *names);
    int *multi = calloc(d->nfields + 1, sizeof *multi);
    int rc = names && multi ? IMPEX_OK : impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t f = 0; !rc && f < d->nfields; f++) {
        names[f] = d->fields[f].name;
        multi[f] = d->fields[f].multi;
    }
    impex_xml_spec spec = {.record = d->record,
                           .names = names,
                           .paths = (const char *const *)d->paths,
                           .multi = multi,
                           .nfields = d->nfields,
                           .ns = d->ns,
                           .nns = d->nns};
    if (!rc) rc = impex_reader_open_xml(impex_readahead_read, sr->ra, &spec, &sr->reader, err);
    free(names);
    free(multi);
    return rc;
}

/* Opens step s's entry and reads and maps its header. */
int impex_step_open(run_ctx *r, size_t s, step_reader *sr, impex_err *err)
{
    step_ctx *sc = &r->steps[s];
    impex_row *hdr;
    memset(sr, 0, sizeof *sr);
    impex_csv_opts copts;
    impex_transcode *tc = NULL;
    impex_dialect_for_step(r->job, sc->d, &copts, &sc->encoding);
    sc->delimiter = copts.delimiter;
    int rc = impex_archive_open_entry(r->archive, sc->archive_index, &sr->entry, err);
    if (!rc) rc = impex_readahead_open(impex_entry_read, sr->entry, 0, &sr->ra, err);
    if (!rc && !strcmp(sc->d->format, "xml")) {
        rc = open_xml(sc->d, sr, err);
    } else if (!rc) {
        /* The reader owns tc (and closes it when it cannot open). */
        rc = impex_transcode_open(impex_readahead_read, sr->ra, sc->encoding, &tc, err);
        if (!rc) rc = impex_reader_open_transcoded(tc, &copts, &sr->reader, err);
    }
    if (!rc) rc = impex_reader_next(sr->reader, &hdr, err);
    if (tc && sr->reader) sc->encoding = (int)impex_transcode_encoding(tc);
    if (!rc && !hdr)
        rc = impex_err_set(err, IMPEX_EHEADER, "%s: the file is empty (no header row)",
                           r->job->steps[s].entry);
    if (rc) goto fail;
    impex_step_free_header(sc);
    if ((rc = map_header(sc, r->job->steps[s].entry, hdr, r->job->context, err))) goto fail;
    return IMPEX_OK;
fail:
    impex_step_close(sr);
    return rc;
}

/* The raw header of step s, kept as the replay's header (row 1 of the step). */
static int keep_header(run_ctx *r, size_t s)
{
    step_ctx *sc = &r->steps[s];
    impex_buf rec = {0};
    impex_slice *names = calloc(sc->ncols + 1, sizeof *names);
    int rc = names ? 0 : IMPEX_ENOMEM;
    for (size_t c = 0; !rc && c < sc->ncols; c++)
        names[c] = (impex_slice){sc->header[c], sc->header_len[c]};
    const char *entry = r->job->steps[s].entry;
    impex_reject h = {.step = s,
                      .file = {entry, strlen(entry)},
                      .row = 1,
                      .line = 1,
                      .reason = {"header", 6},
                      .fields = names,
                      .nfields = sc->ncols};
    if (!rc) rc = impex_reject_encode(&h, &rec);
    if (!rc) rc = impex_reject_list_add(&r->headers, impex_reject_seq(s, 1), rec.ptr, rec.len);
    free(names);
    impex_buf_free(&rec);
    return rc;
}

static int append_allowed_ops(impex_buf *out, unsigned allowed)
{
    for (int k = 0; k < 4; k++)
        if ((allowed & (1u << k)) &&
            impex_buf_printf(out, "%s%s", out->len ? ", " : "", impex_op_name((impex_op)k)))
            return IMPEX_ENOMEM;
    return out->len ? IMPEX_OK : (impex_buf_puts(out, "none") ? IMPEX_ENOMEM : IMPEX_OK);
}

/* Loads every step's descriptor and checks every remaining header before
 * anything is written. Returns the job status to fail with (msg says why), or -1. */
int impex_steps_prepare(run_ctx *r, impex_buf *msg)
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
        if (rc == IMPEX_ENOMEM || rc == IMPEX_EIO) goto nomem; /* not the descriptor's fault */
        if (rc) {
            if (impex_buf_puts(msg, e2.msg)) goto nomem;
            return IMPEX_JOB_FAILED_UNEXPECTEDLY;
        }
        r->descs[s] = sc->d;
        int missing = impex_modes_context_missing(sc->d, job, msg);
        if (missing < 0) goto nomem;
        if (missing) return IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
        if (job->operation) {
            /* A request may choose another operation only among those the
             * descriptor allows; refused before anything is written. */
            int op = impex_op_parse(job->operation);
            if (op < 0 || !(sc->d->allowed_ops & (1u << op))) {
                impex_buf allowed = {0};
                int bad = append_allowed_ops(&allowed, sc->d->allowed_ops) ||
                          impex_buf_printf(msg, "%s: operation %s is not allowed (allowed: %s)",
                                           sc->d->path, job->operation, allowed.ptr);
                impex_buf_free(&allowed);
                if (bad) goto nomem;
                return IMPEX_JOB_INVALID_OPERATION_TYPE;
            }
            sc->d->op = (impex_op)op;
        }
        if (!(sc->name_len = calloc(sc->d->nfields + 1, sizeof *sc->name_len))) goto nomem;
        for (size_t f = 0; f < sc->d->nfields; f++)
            sc->name_len[f] = strlen(sc->d->fields[f].name);
        if (sc->d->strategy == IMPEX_STRATEGY_STRICT && !job->strategy) r->strict = 1;
        if ((rc = find_entry(r, s, &sc->archive_index, &e2))) {
            if (rc == IMPEX_ENOMEM || impex_buf_puts(msg, e2.msg)) goto nomem;
            return IMPEX_JOB_FAILED_UNEXPECTEDLY;
        }
        r->bytes_total +=
            s >= r->resume.step ? impex_archive_size(r->archive, sc->archive_index) : 0;
    }
    if (job->strategy) r->strict = !strcmp(job->strategy, "strict");
    int status = -1;
    for (size_t s = r->resume.step; s < job->nsteps; s++) {
        step_reader sr;
        impex_err e2;
        impex_err_clear(&e2);
        int rc = impex_step_open(r, s, &sr, &e2);
        if (!rc) {
            impex_step_close(&sr);
            /* Kept in the job so the error report can name the columns. */
            if (impex_job_set_columns(job, s, r->steps[s].header, r->steps[s].header_len,
                                      r->steps[s].ncols) ||
                keep_header(r, s))
                goto nomem;
            continue;
        }
        if (rc == IMPEX_ENOMEM) goto nomem;
        impex_buf where = {0};
        if (rc == IMPEX_EHEADER) {
            if (impex_buf_puts(&where,
                               r->steps[s].header_error ? r->steps[s].header_error : e2.msg))
                goto nomem;
            status = IMPEX_JOB_FAILED_HEADERS;
        } else {
            char loc[1024];
            impex_locate(loc, sizeof loc, job->steps[s].entry, NULL, &e2);
            if (impex_buf_puts(&where, loc)) goto nomem;
            if (status < 0) status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
        }
        job->steps[s].status = rc == IMPEX_EHEADER ? IMPEX_JOB_FAILED_HEADERS
                                                   : IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
        free(job->steps[s].details);
        job->steps[s].details = where.ptr;
        if ((msg->len && impex_buf_puts(msg, "; ")) ||
            impex_buf_puts(msg, where.ptr ? where.ptr : ""))
            goto nomem;
    }
    return status;
nomem:
    impex_buf_reset(msg);
    impex_buf_puts(msg, "out of memory");
    return IMPEX_PREPARE_ENGINE_ERROR;
}

/* Formats "entry: row R (line L), column C: reason" for a file-level error. */
void impex_locate(char *dst, size_t size, const char *entry, const step_ctx *sc, const impex_err *e)
{
    char where[256] = "";
    /* XML: "record N" counts record elements (row N+1, after the names row). */
    int xml = sc && sc->d && !strcmp(sc->d->format, "xml");
    if (e->row && e->line)
        snprintf(where, sizeof where, " %s %llu (line %llu)", xml ? "record" : "row",
                 (unsigned long long)(e->row - (uint64_t)(xml && e->row > 1)),
                 (unsigned long long)e->line);
    else if (e->line)
        snprintf(where, sizeof where, " line %llu", (unsigned long long)e->line);
    char col[200] = "";
    if (e->column >= 0)
        snprintf(col, sizeof col, ", column %s",
                 sc && (size_t)e->column < sc->ncols ? sc->header[e->column] : "?");
    snprintf(dst, size, "%s:%s%s: %s", entry, where, col, e->msg);
}
