#include "pipeline/import.h"
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

/* --- job persistence outside the writer ---------------------------------- */

/* Writes the job in its own transaction, together with the rejected rows a
 * strict run kept (when r is given): the verdict and its report land at once. */
int impex_run_save_job(impex_engine *e, impex_job *job, const run_ctx *r, impex_err *err)
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
    return impex_run_save_job(e, job, NULL, err);
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
    if (o->operation && impex_op_parse(o->operation) < 0)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "unknown operation '%s' (upsert, insert, update or delete)",
                             o->operation);
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
    job->operation = o->operation ? strdup(o->operation) : NULL;
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
            impex_step_free_header(&r->steps[s]);
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
    r.tenant_len = strlen(job->tenant);
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
        if (impex_steps_plan(&r, &e2)) {
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
    int status = impex_steps_prepare(&r, msg, sizeof msg);
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
        if ((rc = impex_rows_validate_all(&r, &failed, err)) || failed) goto done;
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
        prc = impex_rows_run_step(&r, s, &q, &out, err);
        if (out.stop) break;
    }
    impex_queue_close(&q);
    int wrc = impex_writer_join(&w);
    impex_rows_progress(&r, NULL);
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
