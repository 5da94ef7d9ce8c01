#include "pipeline/import.h"
#include "core/utf8.h"
#include "io/archive.h"
#include "io/csv.h"
#include "io/readahead.h"
#include "lua/descriptor.h"
#include "lua/script.h"
#include "pipeline/batch.h"
#include "pipeline/rules.h"
#include "pipeline/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STRICT_KEEP_REJECTS 1000 /* rejected rows kept for the report of a strict run */
#define QUEUE_DEPTH 16

/* One step as the parser sees it. */
typedef struct step_ctx {
    impex_descriptor *d;
    size_t archive_index;
    int *colmap;   /* column -> field index, -1 = ignored extra column */
    char **header; /* column names as written */
    size_t ncols;
    impex_script *script; /* bound when d->has_validate */
    size_t *name_len;     /* strlen of each field name, computed once */
} step_ctx;

typedef struct run_ctx run_ctx;
struct run_ctx {
    impex_engine *e;
    impex_job *job;
    const impex_run_opts *opts;
    impex_lua *lua;
    impex_archive *archive;
    step_ctx *steps;
    impex_descriptor **descs;
    int strict;
    struct timespec t0;
    double last_progress; /* seconds after t0 of the last progress report */
    uint64_t rows_this_run, bytes_done, bytes_total;
    /* per-row scratch */
    impex_value *vals, *present;
    impex_rule_scratch *scratch;
    size_t nvals_cap;
    impex_buf json, fields;
    /* strict validation report */
    impex_buf strict_rejects;
    size_t *strict_off;
    uint64_t *strict_row;
    size_t *strict_step;
    size_t strict_n;       /* kept */
    uint64_t strict_total; /* rejected in all */
};

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* --- job persistence outside the writer ---------------------------------- */

/* Writes the job in its own transaction, together with the rejected rows a
 * strict run kept (when r is given): the verdict and its report land at once. */
static int save_job_with(impex_engine *e, impex_job *job, const run_ctx *r, impex_err *err)
{
    impex_buf js = {0};
    impex_txn *txn = NULL;
    impex_job_now(job->updated);
    int rc = impex_job_to_json(job, &js) ? impex_err_set(err, IMPEX_ENOMEM, "out of memory") : 0;
    if (!rc) rc = impex_txn_begin(e->store, 1, &txn, err);
    for (size_t i = 0; !rc && r && i < r->strict_n; i++) {
        const char *rj = r->strict_rejects.ptr + r->strict_off[i];
        rc = impex_reject_put(txn, job->id, impex_reject_seq(r->strict_step[i], r->strict_row[i]),
                              (impex_slice){rj, strlen(rj)}, err);
    }
    if (!rc) rc = impex_job_put(txn, job->id, (impex_slice){js.ptr, js.len}, err);
    if (!rc)
        rc = impex_txn_commit(txn, err);
    else
        impex_txn_abort(txn);
    impex_buf_free(&js);
    return rc;
}

static int save_job(impex_engine *e, impex_job *job, impex_err *err)
{
    return save_job_with(e, job, NULL, err);
}

/* Ends a job that failed before (or instead of) writing any batch. */
static int finish_job(impex_engine *e, impex_job *job, impex_job_status status, const char *msg,
                      impex_err *err)
{
    job->status = status;
    if (msg) impex_job_message(job, "%s", msg);
    for (size_t i = 0; i < job->nsteps; i++)
        if (!impex_job_status_final(job->steps[i].status)) job->steps[i].status = status;
    impex_job_now(job->finished);
    return save_job(e, job, err);
}

int impex_job_load(impex_engine *e, const char *tenant, uint64_t id, impex_job **out,
                   impex_err *err)
{
    impex_txn *txn;
    impex_slice js;
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

/* --- create -------------------------------------------------------------- */

static int copy_file(const char *from, const char *to, impex_err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
    struct stat st;
    if (in < 0 || fstat(in, &st)) {
        rc = impex_err_set(err, IMPEX_EIO, "cannot read %s: %s", from, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = impex_err_set(err, IMPEX_EUSAGE, "%s is not a regular file", from);
        goto done;
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = impex_err_set(err, IMPEX_EIO, "cannot create %s: %s", to, strerror(errno));
        goto done;
    }
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        for (ssize_t w = 0; w < n;) {
            ssize_t k = write(out, buf + w, (size_t)(n - w));
            if (k < 0) {
                rc = impex_err_set(err, IMPEX_EIO, "cannot write %s: %s", to, strerror(errno));
                goto done;
            }
            w += k;
        }
    if (n < 0) rc = impex_err_set(err, IMPEX_EIO, "cannot read %s: %s", from, strerror(errno));
    if (!rc && fsync(out))
        rc = impex_err_set(err, IMPEX_EIO, "cannot sync %s: %s", to, strerror(errno));
done:
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    if (rc) unlink(to);
    return rc;
}

int impex_import_create(impex_engine *e, const impex_import_opts *o, const char *file,
                        uint64_t *job_id, impex_err *err)
{
    impex_txn *txn = NULL;
    impex_job *job = NULL;
    impex_buf js = {0};
    char path[4096];
    uint64_t id;
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    if (o->strategy && strcmp(o->strategy, "skip") && strcmp(o->strategy, "strict"))
        return impex_err_set(err, IMPEX_EUSAGE, "unknown strategy '%s' (skip or strict)",
                             o->strategy);
    if (access(file, R_OK))
        return impex_err_set(err, IMPEX_EIO, "cannot read %s: %s", file, strerror(errno));
    /* An unknown group is the caller's mistake: refuse it before a job exists. */
    impex_lua *lua;
    impex_group *g;
    int rc = impex_lua_new(e->scripts_root, &e->lua_limits, &lua, err);
    if (rc) return rc;
    rc = impex_group_load(lua, o->group, &g, err);
    impex_lua_free(lua);
    if (rc) return rc == IMPEX_ENOTFOUND ? IMPEX_EUSAGE : rc;
    impex_group_free(g);
    rc = impex_txn_begin(e->store, 1, &txn, err);
    if (!rc) rc = impex_job_alloc_id(txn, &id, err);
    if (!rc && impex_job_new(id, o->tenant, o->group, base, &job))
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (rc) goto fail;
    /* files/job-ID/<name>: a bare file keeps its name, which descriptors match on. */
    snprintf(path, sizeof path, "%s/files/job-%llu", e->data_dir, (unsigned long long)id);
    if (mkdir(path, 0700) && errno != EEXIST) {
        rc = impex_err_set(err, IMPEX_EIO, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/files/job-%llu/%s", e->data_dir, (unsigned long long)id, base);
    job->file = strdup(path);
    job->strategy = o->strategy ? strdup(o->strategy) : NULL;
    job->max_errors = o->max_errors;
    job->batch_size = o->batch_size;
    if ((rc = copy_file(file, path, err))) goto fail;
    if (impex_job_to_json(job, &js)) rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!rc) rc = impex_job_put(txn, id, (impex_slice){js.ptr, js.len}, err);
    if (!rc) {
        impex_buf_reset(&js);
        impex_buf_printf(&js, "{\"id\":\"job-%llu\",\"name\":", (unsigned long long)id);
        impex_buf_put_json_string(&js, base, strlen(base));
        impex_buf_puts(&js, ",\"path\":");
        impex_buf_put_json_string(&js, path, strlen(path));
        impex_buf_printf(&js, ",\"tenant\":");
        impex_buf_put_json_string(&js, o->tenant, strlen(o->tenant));
        impex_buf_printf(&js, ",\"created\":\"%s\"}", job->created);
        char fid[32];
        snprintf(fid, sizeof fid, "job-%llu", (unsigned long long)id);
        rc = impex_file_put(txn, fid, (impex_slice){js.ptr, js.len}, err);
    }
    if (rc) {
        unlink(path);
        goto fail;
    }
    rc = impex_txn_commit(txn, err);
    txn = NULL;
    if (rc) unlink(path);
    *job_id = id;
fail:
    impex_txn_abort(txn);
    impex_job_free(job);
    impex_buf_free(&js);
    return rc;
}

/* --- planning: which entry runs through which descriptor --------------------- */

static int is_nested_archive(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcasecmp(name + n - 4, ".zip");
}

static int plan_steps(run_ctx *r, impex_err *err)
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
            if (!d->allow_extra_columns) append_name(&unknown, sc->header[c]);
            continue;
        }
        if (seen[idx]) {
            append_name(&dup, sc->header[c]);
            sc->colmap[c] = -1;
        }
        seen[idx] = 1;
    }
    for (size_t i = 0; i < d->nfields; i++)
        if (d->fields[i].required && !seen[i]) append_name(&missing, d->fields[i].name);
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

static void free_step_header(step_ctx *sc)
{
    for (size_t c = 0; c < sc->ncols; c++)
        free(sc->header ? sc->header[c] : NULL);
    free(sc->header);
    free(sc->colmap);
    sc->header = NULL;
    sc->colmap = NULL;
    sc->ncols = 0;
}

/* A step's input: the archive entry, read ahead on its own thread (so
 * inflating overlaps parsing), and the CSV reader over it. */
typedef struct step_reader {
    impex_entry *entry;
    impex_readahead *ra;
    impex_csv *csv;
} step_reader;

static void close_reader(step_reader *sr)
{
    impex_csv_close(sr->csv);
    impex_readahead_close(sr->ra); /* before the entry: its thread reads the entry */
    impex_entry_close(sr->entry);
    memset(sr, 0, sizeof *sr);
}

/* Opens step s's entry and reads and maps its header. */
static int open_reader(run_ctx *r, size_t s, step_reader *sr, impex_err *err)
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
    free_step_header(sc);
    if ((rc = map_header(sc, r->job->steps[s].entry, hdr, err))) goto fail;
    return IMPEX_OK;
fail:
    close_reader(sr);
    return rc;
}

/* --- rows ------------------------------------------------------------------------- */

static int ensure_scratch(run_ctx *r, size_t n)
{
    if (n <= r->nvals_cap) return IMPEX_OK;
    free(r->vals);
    free(r->present);
    free(r->scratch);
    r->vals = calloc(n, sizeof *r->vals);
    r->present = calloc(n, sizeof *r->present);
    r->scratch = calloc(n, sizeof *r->scratch);
    r->nvals_cap = n;
    return r->vals && r->present && r->scratch ? IMPEX_OK : IMPEX_ENOMEM;
}

static int fields_json(const impex_row *row, impex_buf *out)
{
    int rc = impex_buf_putc(out, '[');
    for (size_t i = 0; !rc && i < row->nfields; i++) {
        if (i) rc = impex_buf_putc(out, ',');
        if (!rc) rc = impex_buf_put_json_string(out, row->fields[i].ptr, row->fields[i].len);
    }
    return rc || impex_buf_putc(out, ']') ? IMPEX_ENOMEM : IMPEX_OK;
}

/* Records a rejected row in the batch; column < 0 = the row as a whole. */
static int reject_row(run_ctx *r, impex_batch *b, size_t s, const impex_row *row, int column,
                      const char *reason)
{
    step_ctx *sc = &r->steps[s];
    const char *colname = column >= 0 && (size_t)column < sc->ncols ? sc->header[column] : NULL;
    const impex_field *f =
        column >= 0 && (size_t)column < row->nfields ? &row->fields[column] : NULL;
    impex_buf_reset(&r->fields);
    impex_buf_reset(&r->json);
    if (fields_json(row, &r->fields) ||
        impex_reject_json(&r->json, s, r->job->steps[s].entry, row->number, row->line, colname,
                          f ? f->ptr : NULL, f ? f->len : 0, reason, r->fields.ptr, r->fields.len))
        return IMPEX_ENOMEM;
    if (r->strict) {
        /* Strict runs keep their report in memory until the verdict. */
        r->strict_total++;
        if (r->strict_n >= STRICT_KEEP_REJECTS) return IMPEX_OK;
        size_t n = r->strict_n;
        size_t *off = realloc(r->strict_off, (n + 1) * sizeof *off);
        if (off) r->strict_off = off;
        uint64_t *rows = realloc(r->strict_row, (n + 1) * sizeof *rows);
        if (rows) r->strict_row = rows;
        size_t *steps = realloc(r->strict_step, (n + 1) * sizeof *steps);
        if (steps) r->strict_step = steps;
        if (!off || !rows || !steps) return IMPEX_ENOMEM;
        off[n] = r->strict_rejects.len;
        rows[n] = row->number;
        steps[n] = s;
        if (impex_buf_append(&r->strict_rejects, r->json.ptr, r->json.len + 1)) return IMPEX_ENOMEM;
        r->strict_n++;
        return IMPEX_OK;
    }
    return impex_batch_add_reject(b, row->number, r->json.ptr, r->json.len);
}

/* Checks one data row and adds it to the batch as an item or a reject.
 * Returns 1 if rejected, 0 if accepted, < 0 / IMPEX_E* on engine failure. */
static int process_row(run_ctx *r, impex_batch *b, size_t s, const impex_row *row, int validating)
{
    step_ctx *sc = &r->steps[s];
    const impex_descriptor *d = sc->d;
    impex_err rerr;
    char reason[1024];
    impex_err_clear(&rerr);

    if (row->nfields != sc->ncols) {
        snprintf(reason, sizeof reason, "expected %zu fields, found %zu", sc->ncols, row->nfields);
        return reject_row(r, b, s, row, -1, reason) ? IMPEX_ENOMEM : 1;
    }
    for (size_t f = 0; f < d->nfields; f++) {
        r->vals[f].name = d->fields[f].name;
        r->vals[f].name_len = sc->name_len[f];
        r->vals[f].type = IMPEX_V_NULL;
        r->vals[f].ptr = "";
        r->vals[f].len = 0;
    }
    for (size_t c = 0; c < sc->ncols; c++) {
        int fi = sc->colmap[c];
        if (fi < 0) continue;
        const impex_field *fld = &row->fields[c];
        size_t bad = impex_utf8_check(fld->ptr, fld->len);
        if (bad < fld->len) {
            snprintf(reason, sizeof reason, "invalid UTF-8 at byte %zu of the value", bad + 1);
            return reject_row(r, b, s, row, (int)c, reason) ? IMPEX_ENOMEM : 1;
        }
        if (impex_rule_check(&d->fields[fi], fld->ptr, fld->len, &r->scratch[fi], &r->vals[fi],
                             &rerr))
            return reject_row(r, b, s, row, (int)c, rerr.msg) ? IMPEX_ENOMEM : 1;
    }
    for (size_t k = 0; k < d->nkey; k++) {
        const impex_value *kv = &r->vals[d->key[k]];
        if (kv->type == IMPEX_V_NULL || memchr(kv->ptr, '\0', kv->len)) {
            snprintf(reason, sizeof reason, "key field %s is %s", d->fields[d->key[k]].name,
                     kv->type == IMPEX_V_NULL ? "empty" : "holding a NUL byte");
            return reject_row(r, b, s, row, -1, reason) ? IMPEX_ENOMEM : 1;
        }
    }
    /* LMDB keys are at most 511 bytes: tenant, NUL, parts, separators. */
    size_t klen = strlen(r->job->tenant) + d->nkey;
    for (size_t k = 0; k < d->nkey; k++)
        klen += r->vals[d->key[k]].len;
    if (klen > 500) {
        snprintf(reason, sizeof reason, "key is %zu bytes long; at most 500 are allowed", klen);
        return reject_row(r, b, s, row, -1, reason) ? IMPEX_ENOMEM : 1;
    }
    size_t n = 0;
    for (size_t f = 0; f < d->nfields; f++)
        if (r->vals[f].type != IMPEX_V_NULL) r->present[n++] = r->vals[f];
    if (sc->script && impex_script_validate(sc->script, r->present, n, &rerr))
        return reject_row(r, b, s, row, -1, rerr.msg) ? IMPEX_ENOMEM : 1;
    if (validating) return 0;

    impex_item it = {.row = row->number, .line = row->line};
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
    if (impex_codec_encode(r->present, n, &b->data)) return IMPEX_ENOMEM;
    it.rec_len = b->data.len - it.rec_off;
    if (d->has_map || d->op != IMPEX_OP_UPSERT) {
        /* The writer may still reject this row; keep its fields for the report. */
        it.fields_off = b->data.len;
        if (fields_json(row, &b->data)) return IMPEX_ENOMEM;
        it.fields_len = b->data.len - it.fields_off;
    }
    return impex_batch_add_item(b, &it) ? IMPEX_ENOMEM : 0;
}

/* At most four reports a second, and always the last one (csv == NULL). */
static void report_progress(run_ctx *r, impex_csv *csv)
{
    if (!r->opts || !r->opts->progress) return;
    double now = elapsed(&r->t0);
    if (csv && now - r->last_progress < 0.25) return;
    r->last_progress = now;
    impex_progress p = {r->rows_this_run, r->bytes_done + (csv ? impex_csv_bytes_read(csv) : 0),
                        r->bytes_total, now};
    r->opts->progress(r->opts->progress_ctx, &p);
}

static int cancelled(const run_ctx *r)
{
    return r->opts && r->opts->cancel && *r->opts->cancel;
}

/* Formats "entry: row R (line L), column C: reason" for a file-level error. */
static void locate(char *dst, size_t size, const char *entry, const step_ctx *sc,
                   const impex_err *e)
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

typedef struct step_outcome {
    int stop;          /* the job ends with this step */
    int forced_status; /* -1 or the status to end with */
    char message[1024];
} step_outcome;

/* Reads step s from the checkpoint to its end (or until stopped), pushing
 * batches to q; with q == NULL only validates (strict mode's first pass). */
static int run_step(run_ctx *r, size_t s, impex_queue *q, step_outcome *out, impex_err *err)
{
    step_ctx *sc = &r->steps[s];
    impex_job *job = r->job;
    const impex_descriptor *d = sc->d;
    size_t batch_size = job->batch_size ? job->batch_size : d->batch_size;
    uint64_t max_errors = job->max_errors ? job->max_errors : d->max_errors;
    uint64_t step_rejected = q ? job->steps[s].counts.rejected : 0;
    step_reader sr;
    impex_batch *b = NULL;
    impex_row *row;
    impex_err ferr;
    int rc;

    memset(out, 0, sizeof *out);
    out->forced_status = -1;
    impex_err_clear(&ferr);
    if ((rc = open_reader(r, s, &sr, err))) return rc;
    impex_csv *csv = sr.csv;
    if ((rc = ensure_scratch(r, d->nfields + 1))) goto done;
    impex_checkpoint cp = {.phase = q ? 1 : 0, .step = s, .offset = 0, .row = 1, .line = 2};
    if (q && job->cp.step == s && job->cp.offset > 0) {
        cp = job->cp;
        if ((rc = impex_csv_skip_to(csv, cp.offset, cp.row + 1, cp.line, err))) goto done;
    }
    if (!(b = impex_batch_new(s))) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto done;
    }
    for (;;) {
        rc = impex_csv_next(csv, &row, &ferr);
        if (rc == 0) break;
        if (rc != 1) {
            /* The file cannot be read on: a malformed quote, a limit, a corrupt zip. */
            char msg[1024];
            locate(msg, sizeof msg, job->steps[s].entry, sc, &ferr);
            impex_row at = {.number = ferr.row ? ferr.row : cp.row + 1, .line = ferr.line};
            if (!b->rows) b->first_row = at.number;
            b->rows++; /* the record that could not be read counts as read and rejected */
            if (reject_row(r, b, s, &at, ferr.column, ferr.msg)) {
                rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
                goto done;
            }
            out->stop = 1;
            out->forced_status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
            snprintf(out->message, sizeof out->message, "%s", msg);
            rc = 0;
            break;
        }
        if (!b->rows) b->first_row = row->number;
        b->rows++;
        r->rows_this_run++;
        int res = process_row(r, b, s, row, q == NULL);
        if (res < 0 || res > 1) {
            rc = impex_err_set(err, res < 0 ? IMPEX_ENOMEM : res, "cannot prepare row %llu",
                               (unsigned long long)row->number);
            goto done;
        }
        step_rejected += (uint64_t)res;
        cp.offset = row->end;
        cp.row = row->number;
        cp.line = row->next_line;
        if (max_errors && step_rejected > max_errors) {
            out->stop = 1;
            out->forced_status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
            snprintf(out->message, sizeof out->message,
                     "%s: stopped after %llu rejected rows (max_errors %llu); rows committed "
                     "before row %llu are kept",
                     job->steps[s].entry, (unsigned long long)step_rejected,
                     (unsigned long long)max_errors, (unsigned long long)row->number);
            break;
        }
        if (b->rows >= batch_size || cancelled(r)) {
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
                b = impex_batch_new(s);
            }
            report_progress(r, csv);
            if (cancelled(r)) {
                rc = IMPEX_ECANCEL;
                goto done;
            }
        }
    }
    r->bytes_done += impex_csv_bytes_read(csv);
    if (q) {
        /* The step's last batch settles its status; the checkpoint moves to the next step. */
        b->cp = (impex_checkpoint){.phase = 1, .step = s + 1, .offset = 0, .row = 0, .line = 1};
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
    close_reader(&sr);
    return rc;
}

/* Strict mode, first pass: every row of every step is checked, nothing is
 * written. Any rejected row ends the job with the report and no records. */
static int validate_all(run_ctx *r, int *failed, impex_err *err)
{
    impex_job *job = r->job;
    uint64_t total_rejected = 0;
    char message[1024] = "";
    *failed = 0;
    for (size_t s = 0; s < job->nsteps; s++) {
        step_outcome out;
        uint64_t before_rows = r->rows_this_run, before_n = r->strict_total;
        int rc = run_step(r, s, NULL, &out, err);
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
    if (message[0]) impex_job_message(job, "%s", message);
    impex_job_message(job, "strict validation: %llu row(s) rejected; nothing was imported",
                      (unsigned long long)total_rejected);
    job->status = IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS;
    impex_job_now(job->finished);
    return save_job_with(r->e, job, r, err);
}

/* --- run ---------------------------------------------------------------------------- */

static int lock_job(impex_engine *e, uint64_t id, int *fd, impex_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/locks/job-%llu.lock", e->data_dir, (unsigned long long)id);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) return impex_err_set(err, IMPEX_EIO, "cannot open %s: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB)) {
        close(*fd);
        *fd = -1;
        return impex_err_set(err, IMPEX_EBUSY, "job %llu is being run by another process",
                             (unsigned long long)id);
    }
    return IMPEX_OK;
}

static void free_run(run_ctx *r)
{
    if (r->steps)
        for (size_t s = 0; s < r->job->nsteps; s++) {
            free_step_header(&r->steps[s]);
            impex_script_free(r->steps[s].script);
            free(r->steps[s].name_len);
            impex_descriptor_free(r->steps[s].d);
        }
    free(r->steps);
    free(r->descs);
    free(r->vals);
    free(r->present);
    free(r->scratch);
    free(r->strict_off);
    free(r->strict_row);
    free(r->strict_step);
    impex_buf_free(&r->strict_rejects);
    impex_buf_free(&r->json);
    impex_buf_free(&r->fields);
    impex_archive_close(r->archive);
    impex_lua_free(r->lua);
}

/* Loads every step's descriptor and checks every remaining header before
 * anything is written. Returns the job status to fail with, or -1. */
static int prepare_steps(run_ctx *r, char *msg, size_t msglen)
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
        int rc = open_reader(r, s, &sr, &e2);
        if (!rc) {
            close_reader(&sr);
            /* Kept in the job so the error report can name the columns. */
            if (impex_job_set_columns(job, s, r->steps[s].header, r->steps[s].ncols)) goto nomem;
            continue;
        }
        char where[1024];
        if (rc == IMPEX_EHEADER) {
            snprintf(where, sizeof where, "%s", e2.msg);
            status = IMPEX_JOB_FAILED_HEADERS;
        } else {
            locate(where, sizeof where, job->steps[s].entry, NULL, &e2);
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

int impex_import_run(impex_engine *e, uint64_t job_id, const impex_run_opts *o, impex_err *err)
{
    run_ctx r = {.e = e, .opts = o};
    impex_queue q;
    int lockfd = -1, queue_ready = 0;
    char msg[4096] = "";
    clock_gettime(CLOCK_MONOTONIC, &r.t0);

    int rc = lock_job(e, job_id, &lockfd, err);
    if (rc) return rc;
    if ((rc = impex_job_load(e, NULL, job_id, &r.job, err))) goto done;
    impex_job *job = r.job;
    if (impex_job_status_final(job->status)) goto done;
    if ((rc = impex_lua_new(e->scripts_root, &e->lua_limits, &r.lua, err))) goto done;

    impex_err e2;
    impex_err_clear(&e2);
    if (impex_archive_open(job->file, &e->limits, &r.archive, &e2)) {
        snprintf(msg, sizeof msg, "%s: %s", job->source, e2.msg);
        rc = finish_job(e, job, IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS, msg, err);
        goto done;
    }
    if (job->status == IMPEX_JOB_IN_QUEUE && job->nsteps == 0) {
        if (plan_steps(&r, &e2)) {
            rc = finish_job(e, job, IMPEX_JOB_FAILED_UNEXPECTEDLY, e2.msg, err);
            goto done;
        }
        if (!job->nsteps) {
            snprintf(msg, sizeof msg, "%s: no entry matches a descriptor of group '%s'",
                     job->source, job->group);
            rc = finish_job(e, job, IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS, msg, err);
            goto done;
        }
    }
    int status = prepare_steps(&r, msg, sizeof msg);
    if (status >= 0) {
        rc = finish_job(e, job, (impex_job_status)status, msg, err);
        goto done;
    }
    if (job->status == IMPEX_JOB_IN_QUEUE && r.strict) job->cp.phase = 0;
    job->status = IMPEX_JOB_IMPORTING;
    if (!job->started[0]) impex_job_now(job->started);
    for (size_t s = 0; !rc && s < job->nsteps; s++) {
        if (!impex_job_status_final(job->steps[s].status))
            job->steps[s].status = s < job->cp.step ? job->steps[s].status : IMPEX_JOB_IMPORTING;
        rc = impex_store_ensure_resource(e->store, job->steps[s].resource, err);
    }
    if (!rc) rc = save_job(e, job, err);
    if (rc) goto done;

    if (job->cp.phase == 0) {
        int failed;
        if ((rc = validate_all(&r, &failed, err)) || failed) goto done;
        for (size_t s = 0; s < job->nsteps; s++)
            job->steps[s].counts = (impex_counts){0};
        job->cp = (impex_checkpoint){.phase = 1, .line = 1};
        r.rows_this_run = 0;
        r.bytes_done = 0;
        if ((rc = save_job(e, job, err))) goto done;
    }
    r.strict = 0; /* this pass imports: rejected rows travel with their batches */

    if ((rc = impex_queue_init(&q, QUEUE_DEPTH))) {
        impex_err_set(err, rc, "cannot create the batch queue");
        goto done;
    }
    queue_ready = 1;
    impex_writer w = {.engine = e, .job = job, .descs = r.descs, .queue = &q};
    if ((rc = impex_writer_start(&w, err))) goto done;
    int prc = 0;
    for (size_t s = job->cp.step; s < job->nsteps && !prc; s++) {
        step_outcome out;
        prc = run_step(&r, s, &q, &out, err);
        if (out.stop) break;
    }
    impex_queue_close(&q);
    int wrc = impex_writer_join(&w);
    report_progress(&r, NULL);
    if (wrc) {
        /* The store refused a commit (disk or map full, I/O): the job stays
         * resumable from its last checkpoint; say so in it if the store still
         * takes a write. */
        *err = w.err;
        impex_err e3;
        impex_job *fresh;
        if (!impex_job_load(e, NULL, job_id, &fresh, &e3)) {
            impex_job_message(fresh,
                              "store failure: %s; fix the cause, then run `impex resume %llu`",
                              w.err.msg, (unsigned long long)job_id);
            save_job(e, fresh, &e3);
            impex_job_free(fresh);
        }
        rc = wrc;
    } else if (prc == IMPEX_ECANCEL) {
        rc = IMPEX_OK; /* stopped at a checkpoint; the job stays IMPORTING for resume */
    } else if (prc) {
        rc = prc;
        snprintf(msg, sizeof msg, "%s", err->msg);
        finish_job(e, job, IMPEX_JOB_FAILED_UNEXPECTEDLY, msg, &e2);
    }
done:
    if (queue_ready) impex_queue_destroy(&q);
    free_run(&r);
    impex_job_free(r.job);
    if (lockfd >= 0) close(lockfd);
    return rc;
}
