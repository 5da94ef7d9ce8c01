#include "pipeline/import.h"
#include "core/utf8.h"
#include "pipeline/group_guard.h"
#include "pipeline/dialect.h"
#include "pipeline/modes.h"
#include "pipeline/run.h"
#include "pipeline/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_DEPTH 16

/* --- job locks ------------------------------------------------------------ */

struct impex_job_lock {
    int fd;
};

int impex_job_lock_take(impex_engine *e, uint64_t id, impex_job_lock **out, impex_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/locks/job-%llu.lock", e->data_dir, (unsigned long long)id);
    impex_job_lock *l = malloc(sizeof *l);
    if (!l) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (l->fd < 0) {
        free(l);
        return impex_err_set(err, IMPEX_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    if (flock(l->fd, LOCK_EX | LOCK_NB)) {
        close(l->fd);
        free(l);
        return impex_err_set(err, IMPEX_EBUSY, "job %llu is being run by another process",
                             (unsigned long long)id);
    }
    *out = l;
    return IMPEX_OK;
}

void impex_job_lock_release(impex_job_lock *l)
{
    if (!l) return;
    close(l->fd); /* releases the flock */
    free(l);
}

/* --- create ----------------------------------------------------------------- */

static int sync_dir(const char *path, impex_err *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd)) {
        int e = errno;
        if (fd >= 0) close(fd);
        return impex_err_set(err, IMPEX_EIO, "cannot sync %s: %s", path, strerror(e));
    }
    close(fd);
    return IMPEX_OK;
}

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
                rc = impex_err_set(err, IMPEX_EIO, "cannot write %s: %s", to,
                                   errno == ENOSPC ? "disk full" : strerror(errno));
                goto done;
            }
            w += k;
        }
    if (n < 0) rc = impex_err_set(err, IMPEX_EIO, "cannot read %s: %s", from, strerror(errno));
    if (!rc && fsync(out))
        rc = impex_err_set(err, IMPEX_EIO, "cannot sync %s: %s", to, strerror(errno));
done:
    if (in >= 0) close(in);
    if (out >= 0 && close(out) && !rc)
        rc = impex_err_set(err, IMPEX_EIO, "cannot write %s: %s", to, strerror(errno));
    if (rc && out >= 0) unlink(to);
    return rc;
}

/* The name the job's copy gets: the caller's base name, with bytes that are
 * not UTF-8 (and backslashes, which zip conventions treat as folder
 * separators) as %HH, so the name survives the job's JSON record and still
 * matches entry globs such as "products*.csv". */
static char *copy_name(const char *base)
{
    impex_buf b = {0};
    size_t len = strlen(base);
    for (size_t i = 0; i < len;) {
        size_t n = (unsigned char)base[i] < 0x80 ? 1 : impex_utf8_seq_len(base + i, len - i);
        if (n && base[i] != '\\') {
            if (impex_buf_append(&b, base + i, n)) goto nomem;
            i += n;
        } else if (impex_buf_printf(&b, "%%%02X", (unsigned)(unsigned char)base[i++])) {
            goto nomem;
        }
    }
    if (!b.ptr && impex_buf_puts(&b, "input")) goto nomem;
    return b.ptr;
nomem:
    impex_buf_free(&b);
    return NULL;
}

static int check_opts(const impex_import_opts *o, impex_err *err)
{
    if (o->strategy && strcmp(o->strategy, "skip") && strcmp(o->strategy, "strict"))
        return impex_err_set(err, IMPEX_EUSAGE, "unknown strategy '%s' (skip or strict)",
                             o->strategy);
    if (o->operation && impex_op_parse(o->operation) < 0)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "unknown operation '%s' (upsert, insert, update or delete)",
                             o->operation);
    int rc = impex_import_check_dialect(o, NULL, err);
    if (rc) return rc;
    if (o->batch_size > IMPEX_BATCH_SIZE_MAX)
        return impex_err_set(err, IMPEX_EUSAGE, "batch size %llu is over the limit of %d",
                             (unsigned long long)o->batch_size, IMPEX_BATCH_SIZE_MAX);
    return IMPEX_OK;
}

/* An unknown group is the caller's mistake: refused before a job exists. */
static int check_group(impex_engine *e, const char *name, impex_group **g, impex_err *err)
{
    impex_lua *lua;
    int rc = impex_lua_new(e->scripts_root, &e->lua_limits, &lua, err);
    if (rc) return rc;
    rc = impex_group_load(lua, name, g, err);
    impex_lua_free(lua);
    if (rc) return rc == IMPEX_ENOTFOUND ? IMPEX_EUSAGE : rc;
    return IMPEX_OK;
}

static int alloc_job_id(impex_engine *e, uint64_t *id, impex_err *err)
{
    impex_txn *txn;
    int rc = impex_txn_begin(e->store, 1, &txn, err);
    if (rc) return rc;
    if ((rc = impex_job_alloc_id(txn, id, err))) {
        impex_txn_abort(txn);
        return rc;
    }
    return impex_txn_commit(txn, err);
}

/* The job record and its file store entry, in one transaction. */
static int record_job(impex_engine *e, const impex_job *job, const char *path, impex_err *err)
{
    impex_buf js = {0}, fs = {0};
    impex_txn *txn = NULL;
    char fid[32];
    snprintf(fid, sizeof fid, "job-%llu", (unsigned long long)job->id);
    int bad =
        impex_job_to_json(job, &js) || impex_buf_printf(&fs, "{\"id\":\"%s\",\"name\":", fid) ||
        impex_buf_put_json_string(&fs, job->source, strlen(job->source)) ||
        impex_buf_puts(&fs, ",\"path\":") || impex_buf_put_json_string(&fs, path, strlen(path)) ||
        impex_buf_puts(&fs, ",\"tenant\":") ||
        impex_buf_put_json_string(&fs, job->tenant, strlen(job->tenant)) ||
        impex_buf_printf(&fs, ",\"created\":\"%s\"}", job->created);
    int rc = bad ? impex_err_set(err, IMPEX_ENOMEM, "out of memory") : 0;
    if (!rc) rc = impex_txn_begin(e->store, 1, &txn, err);
    if (!rc) rc = impex_job_put(txn, job->id, (impex_slice){js.ptr, js.len}, err);
    if (!rc) rc = impex_file_put(txn, fid, (impex_slice){fs.ptr, fs.len}, err);
    if (!rc) {
        rc = impex_txn_commit(txn, err);
        txn = NULL;
    }
    impex_txn_abort(txn);
    impex_buf_free(&js);
    impex_buf_free(&fs);
    return rc;
}

int impex_import_create(impex_engine *e, const impex_import_opts *o, const char *file,
                        uint64_t *job_id, impex_job_lock **lock, impex_err *err)
{
    impex_job *job = NULL;
    impex_job_lock *held = NULL;
    impex_group *g = NULL;
    impex_group_guard *guard = NULL;
    char dir[4200] = "", path[4400] = "", files[4100];
    uint64_t id;
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    int rc = check_opts(o, err);
    if (rc) return rc;
    if (strlen(e->data_dir) > 4000)
        return impex_err_set(err, IMPEX_EUSAGE, "the data folder's path is too long");
    if (access(file, R_OK))
        return impex_err_set(err, IMPEX_EIO, "cannot read %s: %s", file, strerror(errno));
    if ((rc = check_group(e, o->group, &g, err))) return rc;
    rc = impex_group_check_upload(g, o->group, file, err);
    /* Held until the job is recorded: one import per tenant and group. */
    if (!rc) rc = impex_group_guard_take(e, o->tenant, g, o->group, &guard, err);
    impex_group_free(g);
    if (rc) return rc;
    /* The id first (a short commit), and its lock before the job is visible. */
    if ((rc = alloc_job_id(e, &id, err)) || (rc = impex_job_lock_take(e, id, &held, err))) {
        impex_group_guard_release(guard);
        return rc;
    }
    if (impex_job_new(id, o->tenant, o->group, base, &job)) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto fail;
    }
    /* files/job-ID/<name>: a bare file keeps its name, which descriptors
     * match on. The copy is made and synced outside any transaction: no
     * other writer waits for it. */
    snprintf(files, sizeof files, "%s/files", e->data_dir);
    snprintf(dir, sizeof dir, "%s/job-%llu", files, (unsigned long long)id);
    if (mkdir(dir, 0700) && errno != EEXIST) {
        rc = impex_err_set(err, IMPEX_EIO, "cannot create %s: %s", dir, strerror(errno));
        goto fail;
    }
    char *name = copy_name(base);
    if (!name || asprintf(&job->file, "files/job-%llu/%s", (unsigned long long)id, name) < 0) {
        job->file = NULL;
        free(name);
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    free(name);
    if ((o->strategy && !(job->strategy = strdup(o->strategy))) ||
        (o->operation && !(job->operation = strdup(o->operation)))) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto fail;
    }
    job->max_errors = o->max_errors;
    job->batch_size = o->batch_size;
    if ((rc = impex_import_check_dialect(o, job, err))) goto fail;
    if ((rc = impex_modes_setup(e, o, job, err))) goto fail;
    if ((rc = copy_file(file, path, err)) || (rc = sync_dir(dir, err)) ||
        (rc = sync_dir(files, err)))
        goto fail;
    if ((rc = record_job(e, job, path, err))) goto fail;
    impex_group_guard_release(guard);
    *job_id = id;
    impex_job_free(job);
    if (lock)
        *lock = held;
    else
        impex_job_lock_release(held);
    return IMPEX_OK;
fail:
    unlink(path);
    rmdir(dir);
    impex_job_free(job);
    impex_job_lock_release(held);
    impex_group_guard_release(guard);
    return rc;
}

/* --- run ---------------------------------------------------------------------------- */

/* Ends a job that failed before (or instead of) writing any batch. */
static int finish_job(impex_engine *e, impex_job *job, impex_job_status status, const char *msg,
                      impex_err *err)
{
    job->status = status;
    if (msg && impex_job_message(job, "%s", msg))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t i = 0; i < job->nsteps; i++)
        if (!impex_job_status_final(job->steps[i].status)) job->steps[i].status = status;
    impex_job_now(job->finished);
    return impex_job_save(e, job, NULL, err);
}

/* Errors that say nothing about the job itself: it stays resumable. */
static int transient(int rc)
{
    return rc == IMPEX_ENOMEM || rc == IMPEX_EIO || rc == IMPEX_ESTORE || rc == IMPEX_ECANCEL;
}

/* The run stopped on an engine error the job is not to blame for: the job
 * keeps its checkpoint and says how to go on (when the store still takes a
 * write; if not, the job as committed is still resumable). */
static void pause_job(impex_engine *e, uint64_t id, const char *prefix, const char *why)
{
    impex_err e2;
    impex_job *fresh;
    impex_err_clear(&e2);
    if (impex_job_load(e, NULL, id, &fresh, &e2)) return;
    if (!impex_job_message(fresh, "%s%s; fix the cause, then run `impex resume %llu`", prefix, why,
                           (unsigned long long)id))
        impex_job_save(e, fresh, NULL, &e2); /* best effort: the job is resumable either way */
    impex_job_free(fresh);
}

static void free_run(run_ctx *r)
{
    if (r->steps)
        for (size_t s = 0; s < r->job->nsteps; s++) {
            impex_step_free_header(&r->steps[s]);
            impex_script_free(r->steps[s].script);
            free(r->steps[s].name_len);
            free(r->steps[s].ids);
            impex_dict_free(r->steps[s].dict);
            impex_descriptor_free(r->steps[s].d);
        }
    free(r->steps);
    free(r->descs);
    free(r->dicts);
    free(r->rejected0);
    free(r->vals);
    free(r->present);
    impex_rule_scratch_free(r->scratch, r->nvals_cap);
    free(r->scratch);
    free(r->slices);
    impex_reject_list_free(&r->headers);
    impex_reject_list_free(&r->strict_rejects);
    impex_buf_free(&r->rec);
    impex_archive_close(r->archive);
    impex_lua_free(r->lua);
    impex_scriptset_free(r->scripts); /* after every state made from it */
}

/* Numbers every step's fields in its resource's dictionary, adding the
 * names a descriptor brings (one short commit before any row). */
static int load_dicts(impex_engine *e, run_ctx *r, impex_err *err)
{
    size_t n = r->job->nsteps;
    impex_txn *txn = NULL;
    impex_slice *names = NULL, *values = NULL; /* values: every field's enumerated values */
    int rc = IMPEX_OK;
    if (!(r->dicts = calloc(n + 1, sizeof *r->dicts)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if ((rc = impex_txn_begin(e->store, 1, &txn, err))) return rc;
    for (size_t s = 0; !rc && s < n; s++) {
        step_ctx *sc = &r->steps[s];
        if (!sc->d) continue;
        size_t nvalues = 0;
        for (size_t f = 0; f < sc->d->nfields; f++)
            nvalues += sc->d->fields[f].nenums;
        free(names);
        free(values);
        names = calloc(sc->d->nfields + 1, sizeof *names);
        values = calloc(nvalues + 1, sizeof *values);
        sc->ids = calloc(sc->d->nfields + 1, sizeof *sc->ids);
        if (!names || !values || !sc->ids) {
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
            break;
        }
        nvalues = 0;
        for (size_t f = 0; f < sc->d->nfields; f++) {
            const impex_field_rule *fr = &sc->d->fields[f];
            names[f] = (impex_slice){fr->name, sc->name_len[f]};
            for (size_t k = 0; k < fr->nenums; k++)
                values[nvalues++] = (impex_slice){fr->enums[k], strlen(fr->enums[k])};
        }
        rc = impex_dict_extend(txn, sc->d->resource, names, sc->d->nfields, values, nvalues,
                               &sc->dict, err);
        for (size_t f = 0; !rc && f < sc->d->nfields; f++)
            sc->ids[f] = impex_dict_id(sc->dict, names[f].ptr, names[f].len);
        r->dicts[s] = sc->dict;
    }
    free(names);
    free(values);
    if (rc) {
        impex_txn_abort(txn);
        return rc;
    }
    return impex_txn_commit(txn, err);
}

/* The writer's own Lua state (map runs on the writer thread), over the
 * job's script set: the same bytes the parser runs. */
static impex_lua *writer_lua(void *ctx, impex_err *err)
{
    run_ctx *r = ctx;
    impex_lua *L = NULL;
    return impex_lua_new_set(r->scripts, &r->e->lua_limits, &L, err) ? NULL : L;
}

/* A resumed job runs with the scripts it started with: each one recorded
 * is read now and must have the same hash. A script edited since leaves the
 * job resumable with a message naming it (restore it, or start a new job). */
static int pin_scripts(impex_engine *e, run_ctx *r, impex_err *err)
{
    impex_job *job = r->job;
    char since[48];
    snprintf(since, sizeof since, "job %llu", (unsigned long long)job->id);
    for (size_t i = 0; i < job->nscripts; i++) {
        uint64_t want;
        int rc = impex_script_hash_parse(job->scripts[i].hash, &want, err);
        if (!rc) rc = impex_scriptset_pin(r->scripts, job->scripts[i].path, want, since, err);
        if (rc == IMPEX_EDESC || rc == IMPEX_ENOTFOUND) {
            char why[sizeof err->msg + 64];
            snprintf(why, sizeof why, "%s; the job runs only with the scripts it started with",
                     err->msg);
            impex_err_set(err, IMPEX_EDESC, "%s", why);
            pause_job(e, job->id, IMPEX_PAUSED_PREFIX, why);
        }
        if (rc) return rc;
    }
    return IMPEX_OK;
}

static int record_script(void *ctx, const char *relpath, uint64_t hash)
{
    impex_job *job = ctx;
    char hex[17];
    for (size_t i = 0; i < job->nscripts; i++)
        if (!strcmp(job->scripts[i].path, relpath)) return IMPEX_OK;
    impex_script_hash_format(hash, hex);
    return impex_job_add_script(job, relpath, hex);
}

/* The job's file: relative to the data folder (so the folder can be reached
 * by any path), or absolute in records made before that. */
static void job_file_path(const impex_engine *e, const impex_job *job, char *out, size_t size)
{
    if (job->file && job->file[0] == '/')
        snprintf(out, size, "%s", job->file);
    else
        snprintf(out, size, "%s/%s", e->data_dir, job->file ? job->file : "");
}

/* Opens the job's file. A file that is not there (moved data folder, lost
 * copy) leaves the job resumable; a file that is not a valid archive ends it. */
static int open_input(impex_engine *e, run_ctx *r, int *finished, impex_err *err)
{
    impex_job *job = r->job;
    char path[4096];
    impex_err e2;
    impex_err_clear(&e2);
    *finished = 0;
    job_file_path(e, job, path, sizeof path);
    int rc = impex_archive_open(path, &e->limits, &r->archive, &e2);
    if (!rc) return IMPEX_OK;
    if (rc == IMPEX_EIO || rc == IMPEX_ENOMEM) {
        impex_err_set(err, rc, "cannot open the job's file: %s", e2.msg);
        pause_job(e, job->id, IMPEX_PAUSED_PREFIX, err->msg);
        return rc;
    }
    *finished = 1;
    impex_buf msg = {0};
    if (impex_buf_printf(&msg, "%s: %s", job->source, e2.msg))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    rc = finish_job(e, job, IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS, msg.ptr, err);
    impex_buf_free(&msg);
    return rc;
}

/* Plans the steps (first run) and checks descriptors and headers. Returns
 * IMPEX_OK with *finished set when the job ended here. */
static int plan_and_prepare(impex_engine *e, run_ctx *r, int *finished, impex_err *err)
{
    impex_job *job = r->job;
    impex_err e2;
    impex_err_clear(&e2);
    *finished = 1;
    if (job->status == IMPEX_JOB_IN_QUEUE && job->nsteps == 0) {
        int rc = impex_steps_plan(r, &e2);
        if (rc) {
            if (transient(rc)) return impex_err_set(err, rc, "%s", e2.msg);
            /* EREJECT: the file lacks an entry the group requires. */
            return finish_job(e, job,
                              rc == IMPEX_EREJECT ? IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS
                                                  : IMPEX_JOB_FAILED_UNEXPECTEDLY,
                              e2.msg, err);
        }
        if (!job->nsteps) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s: no entry matches a descriptor of group '%s'",
                     job->source, job->group);
            return finish_job(e, job, IMPEX_JOB_FAILED_WITH_VALIDATION_ERRORS, msg, err);
        }
    }
    if (!(r->rejected0 = calloc(job->nsteps + 1, sizeof *r->rejected0)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t s = 0; s < job->nsteps; s++)
        r->rejected0[s] = job->steps[s].counts.rejected;
    impex_buf msg = {0};
    int status = impex_steps_prepare(r, &msg);
    int rc = IMPEX_OK;
    if (status == IMPEX_PREPARE_ENGINE_ERROR)
        rc = impex_err_set(err, IMPEX_ENOMEM, "%s", msg.ptr ? msg.ptr : "out of memory");
    else if (status >= 0)
        rc = finish_job(e, job, (impex_job_status)status, msg.ptr, err);
    else
        *finished = 0;
    impex_buf_free(&msg);
    return rc;
}

/* Runs the import pass: the parser here, the writer on its thread. */
static int import_pass(impex_engine *e, run_ctx *r, impex_err *err)
{
    impex_job *job = r->job;
    impex_queue q;
    int rc = impex_queue_init(&q, QUEUE_DEPTH, IMPEX_QUEUE_MAX_BYTES);
    if (rc) return impex_err_set(err, rc, "cannot create the batch queue");
    impex_writer w = {.engine = e,
                      .job = job,
                      .descs = r->descs,
                      .dicts = r->dicts,
                      .lua_new = writer_lua,
                      .lua_ctx = r,
                      .queue = &q};
    if ((rc = impex_writer_start(&w, err))) {
        impex_queue_destroy(&q);
        return rc;
    }
    /* From here until the join the writer owns the job. */
    size_t nsteps = job->nsteps;
    int prc = 0;
    for (size_t s = r->resume.step; s < nsteps && !prc; s++) {
        step_outcome out;
        prc = impex_rows_run_step(r, s, &q, &out, err);
        if (out.stop) break;
    }
    impex_queue_close(&q);
    int wrc = impex_writer_join(&w);
    impex_queue_destroy(&q);
    impex_rows_progress(r, NULL);
    if (wrc) {
        /* The store refused a commit (disk or map full, I/O): the job stays
         * resumable from its last checkpoint. */
        *err = w.err;
        pause_job(e, job->id, IMPEX_STORE_FAILURE_PREFIX, w.err.msg);
        return wrc;
    }
    if (prc == IMPEX_ECANCEL || !prc || w.stopped) return IMPEX_OK; /* a checkpoint, or the end */
    if (transient(prc)) {
        pause_job(e, job->id, IMPEX_PAUSED_PREFIX, err->msg);
        return prc;
    }
    impex_err e2;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", err->msg);
    impex_job *fresh;
    if (!impex_job_load(e, NULL, job->id, &fresh, &e2)) {
        finish_job(e, fresh, IMPEX_JOB_FAILED_UNEXPECTEDLY, msg, &e2);
        impex_job_free(fresh);
    }
    return prc;
}

int impex_import_run(impex_engine *e, uint64_t job_id, const impex_run_opts *o, impex_err *err)
{
    run_ctx r = {.e = e, .opts = o};
    impex_job_lock *lock = o ? o->lock : NULL;
    int finished = 0;
    clock_gettime(CLOCK_MONOTONIC, &r.t0);

    int rc = lock ? IMPEX_OK : impex_job_lock_take(e, job_id, &lock, err);
    if (rc) return rc;
    if ((rc = impex_job_load(e, NULL, job_id, &r.job, err))) goto done;
    impex_job *job = r.job;
    r.tenant_len = strlen(job->tenant);
    if (impex_job_status_final(job->status)) goto done;
    /* A condition that stopped an earlier run no longer holds once it runs. */
    impex_job_drop_messages(job, IMPEX_STORE_FAILURE_PREFIX);
    impex_job_drop_messages(job, IMPEX_PAUSED_PREFIX);
    if ((rc = impex_scriptset_new(e->scripts_root, &r.scripts, err))) goto done;
    if ((rc = pin_scripts(e, &r, err))) goto done;
    if ((rc = impex_lua_new_set(r.scripts, &e->lua_limits, &r.lua, err))) goto done;
    if ((rc = open_input(e, &r, &finished, err)) || finished) goto done;
    if ((rc = plan_and_prepare(e, &r, &finished, err)) || finished) goto done;
    /* Every script loaded so far (groups, descriptors, what they require),
     * recorded with its hash the first time the job runs. */
    if (impex_scriptset_list(r.scripts, record_script, job)) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto done;
    }

    if (job->status == IMPEX_JOB_IN_QUEUE && r.strict) job->cp.phase = 0;
    job->status = IMPEX_JOB_IMPORTING;
    if (!job->started[0]) impex_job_now(job->started);
    for (size_t s = 0; !rc && s < job->nsteps; s++) {
        if (!impex_job_status_final(job->steps[s].status) && s >= job->cp.step)
            job->steps[s].status = IMPEX_JOB_IMPORTING;
        rc = impex_store_ensure_resource(e->store, job->steps[s].resource, err);
        /* Reference targets too: the writer looks them up in its txn. */
        for (size_t i = 0; !rc && i < r.descs[s]->nrefs; i++)
            rc = impex_store_ensure_resource(e->store, r.descs[s]->refs[i].resource, err);
    }
    if (!rc) rc = load_dicts(e, &r, err);
    if (!rc) rc = impex_job_save(e, job, &r.headers, err);
    if (rc) goto done;
    r.resume = job->cp;

    if (job->cp.phase == 0) {
        int failed;
        rc = impex_rows_validate_all(&r, &failed, err);
        if (rc == IMPEX_ECANCEL) rc = IMPEX_OK; /* the pass starts again on resume */
        if (rc || failed || (o && o->cancel && *o->cancel)) goto done;
        for (size_t s = 0; s < job->nsteps; s++)
            job->steps[s].counts = (impex_counts){0};
        job->cp = (impex_checkpoint){.phase = 1, .line = 1};
        r.resume = job->cp;
        r.rows_this_run = 0;
        r.bytes_done = 0;
        if ((rc = impex_job_save(e, job, NULL, err))) goto done;
    }
    r.strict = 0; /* this pass imports: rejected rows travel with their batches */
    if (job->cp.phase != IMPEX_PHASE_SWEEP) rc = import_pass(e, &r, err);
    /* deleteOmitted: the sweep after the import, checkpointed like it. */
    if (!rc && job->cp.phase == IMPEX_PHASE_SWEEP && !impex_job_status_final(job->status))
        rc = impex_modes_sweep(e, job, r.descs, r.dicts, o ? o->cancel : NULL, err);
    if (!rc && impex_job_status_final(job->status)) rc = impex_modes_clear_seen(e, err);
done:
    free_run(&r);
    impex_job_free(r.job);
    if (!o || lock != o->lock) impex_job_lock_release(lock);
    return rc;
}
