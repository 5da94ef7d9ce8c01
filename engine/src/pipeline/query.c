#include "pipeline/query.h"
#include "pipeline/job_store.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DUMP_PAGE 256
#define VERIFY_DETAILS 10 /* problems listed per database; the rest are counted */

int impex_engine_count(impex_engine *e, const char *resource, const char *tenant, uint64_t *n,
                       impex_err *err)
{
    *n = 0;
    if (!e->store) return IMPEX_OK;
    impex_txn *txn;
    int rc = impex_txn_begin(e->store, 0, &txn, err);
    if (rc) return rc;
    rc = impex_record_count(txn, resource, tenant, n, err);
    impex_txn_abort(txn);
    return rc;
}

int impex_engine_get_record(impex_engine *e, const char *resource, const char *tenant,
                            impex_slice key, impex_buf *rec, impex_dict **dict, impex_err *err)
{
    impex_buf_reset(rec);
    *dict = NULL;
    if (!e->store) return impex_err_set(err, IMPEX_ENOTFOUND, "no %s record", resource);
    impex_txn *txn;
    impex_slice val;
    int rc = impex_txn_begin(e->store, 0, &txn, err);
    if (rc) return rc;
    rc = impex_record_get(txn, resource, tenant, key, &val, err);
    if (!rc && impex_buf_append(rec, val.ptr, val.len))
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!rc) rc = impex_dict_load(txn, resource, dict, err);
    impex_txn_abort(txn);
    return rc;
}

int impex_engine_record_page(impex_engine *e, const char *resource, const char *tenant,
                             impex_slice after, size_t max, impex_record_cb cb, void *ctx,
                             impex_buf *last, int *done, impex_err *err)
{
    if (!e->store) {
        *done = 1;
        return IMPEX_OK;
    }
    return impex_record_page(e->store, resource, tenant, after, max, cb, ctx, last, done, err);
}

/* A page copied out of the transaction: (varint key length, key, varint
 * value length, value) per record. */
static int copy_record(void *ctx, impex_slice key, impex_slice val)
{
    impex_buf *b = ctx;
    if (impex_buf_put_varint(b, key.len) || impex_buf_append(b, key.ptr, key.len) ||
        impex_buf_put_varint(b, val.len) || impex_buf_append(b, val.ptr, val.len))
        return IMPEX_ENOMEM;
    return 0;
}

int impex_engine_dump(impex_engine *e, const char *resource, const char *tenant, size_t page,
                      impex_dump_cb cb, void *ctx, impex_err *err)
{
    impex_buf after = {0}, last = {0}, copy = {0};
    impex_dict *dict = NULL;
    impex_txn *txn = NULL;
    int done = 0, rc = IMPEX_OK;
    while (!done && !rc) {
        impex_buf_reset(&copy);
        rc = impex_engine_record_page(e, resource, tenant, (impex_slice){after.ptr, after.len},
                                      page ? page : DUMP_PAGE, copy_record, &copy, &last, &done,
                                      err);
        if (rc == IMPEX_ENOMEM) rc = impex_err_set(err, rc, "out of memory");
        /* Read after the page: a dictionary only grows, so it covers it. */
        if (!rc && copy.len) {
            impex_dict_free(dict);
            dict = NULL;
            rc = impex_txn_begin(e->store, 0, &txn, err);
            if (!rc) rc = impex_dict_load(txn, resource, &dict, err);
            impex_txn_abort(txn);
        }
        const char *p = copy.ptr, *end = copy.ptr + copy.len;
        while (!rc && p < end) {
            uint64_t klen, vlen;
            impex_get_varint(&p, end, &klen);
            impex_slice key = {p, (size_t)klen};
            p += klen;
            impex_get_varint(&p, end, &vlen);
            rc = cb(ctx, dict, key, (impex_slice){p, (size_t)vlen});
            p += vlen;
        }
        /* swap: the page's last key is the next page's start */
        impex_buf t = after;
        after = last;
        last = t;
    }
    impex_buf_free(&after);
    impex_buf_free(&last);
    impex_buf_free(&copy);
    impex_dict_free(dict);
    return rc;
}

typedef struct jobs_ctx {
    const char *tenant;
    impex_job_cb cb;
    void *ctx;
} jobs_ctx;

static int each_job(void *ctx, uint64_t id, impex_slice js)
{
    jobs_ctx *j = ctx;
    impex_job *job;
    (void)id;
    if (impex_job_from_json(js.ptr, js.len, &job, NULL)) return 0; /* impex verify reports it */
    int rc = strcmp(job->tenant, j->tenant) ? 0 : j->cb(j->ctx, job, js);
    impex_job_free(job);
    return rc;
}

int impex_engine_jobs(impex_engine *e, const char *tenant, impex_job_cb cb, void *ctx,
                      impex_err *err)
{
    if (!e->store) return IMPEX_OK;
    impex_txn *txn;
    int rc = impex_txn_begin(e->store, 0, &txn, err);
    if (rc) return rc;
    jobs_ctx j = {tenant, cb, ctx};
    rc = impex_job_scan(txn, each_job, &j, err);
    impex_txn_abort(txn);
    return rc;
}

/* The tenant's job in txn; IMPEX_ENOTFOUND naming it otherwise. */
static int job_in(impex_txn *txn, const char *tenant, uint64_t id, impex_job **out, impex_err *err)
{
    impex_slice js;
    *out = NULL;
    int rc = txn ? impex_job_get(txn, id, &js, err) : IMPEX_ENOTFOUND;
    if (!rc) rc = impex_job_from_json(js.ptr, js.len, out, err);
    if (!rc && strcmp((*out)->tenant, tenant)) {
        impex_job_free(*out);
        *out = NULL;
        rc = IMPEX_ENOTFOUND;
    }
    if (rc == IMPEX_ENOTFOUND)
        impex_err_set(err, rc, "no job %" PRIu64 " for tenant %s", id, tenant);
    return rc;
}

int impex_engine_job(impex_engine *e, const char *tenant, uint64_t id, impex_job **out,
                     impex_err *err)
{
    if (!e->store) return job_in(NULL, tenant, id, out, err);
    return impex_job_load(e, tenant, id, out, err); /* with its steps */
}

/* A page of blobs copied out: (varint seq, varint length, bytes) per item. */
static int copy_blob(void *ctx, uint64_t id, impex_slice json)
{
    impex_buf *b = ctx;
    if (impex_buf_put_varint(b, id) || impex_buf_put_varint(b, json.len) ||
        impex_buf_append(b, json.ptr, json.len))
        return IMPEX_ENOMEM;
    return 0;
}

int impex_engine_rejects(impex_engine *e, const char *tenant, uint64_t job, impex_blob_cb cb,
                         void *ctx, impex_err *err)
{
    impex_job *j = NULL;
    int rc = impex_engine_job(e, tenant, job, &j, err);
    impex_job_free(j);
    if (rc) return rc;
    /* Page by page, handed over outside the transaction: a slow reader of
     * a long error report pins nothing. */
    impex_buf copy = {0};
    uint64_t after = 0, last = 0;
    int done = 0, first = 1;
    while (!done && !rc) {
        impex_buf_reset(&copy);
        rc = impex_reject_page(e->store, job, after, first, DUMP_PAGE, copy_blob, &copy, &last,
                               &done, err);
        if (rc == IMPEX_ENOMEM) rc = impex_err_set(err, rc, "out of memory");
        const char *p = copy.ptr, *end = copy.ptr + copy.len;
        while (!rc && p < end) {
            uint64_t seq, len;
            impex_get_varint(&p, end, &seq);
            impex_get_varint(&p, end, &len);
            rc = cb(ctx, seq, (impex_slice){p, (size_t)len});
            p += len;
        }
        first = 0;
        after = last;
    }
    impex_buf_free(&copy);
    return rc;
}

int impex_engine_backup(impex_engine *e, const char *dest, impex_err *err)
{
    char path[4096];
    if (!e->store)
        return impex_err_set(err, IMPEX_ENOTFOUND, "no store in %s: nothing to back up",
                             e->data_dir);
    if (snprintf(path, sizeof path, "%s/store", dest) >= (int)sizeof path)
        return impex_err_set(err, IMPEX_EUSAGE, "backup folder path too long");
    if (mkdir(dest, 0700) && errno != EEXIST)
        return impex_err_set(err, IMPEX_EIO, "cannot create %s: %s", dest, strerror(errno));
    /* Never mix a copy into something else: dest must be new or empty. */
    if (rmdir(dest) == 0 && mkdir(dest, 0700) == 0 && mkdir(path, 0700) == 0)
        return impex_store_backup(e->store, path, err);
    if (errno == ENOTEMPTY || errno == EEXIST)
        return impex_err_set(err, IMPEX_EUSAGE, "backup folder %s is not empty", dest);
    return impex_err_set(err, IMPEX_EIO, "cannot use %s as backup folder: %s", dest,
                         strerror(errno));
}

/* --- verify ---------------------------------------------------------------- */

/* The child's side: streams one line per event to out, flushed before each
 * database so the parent knows where a crash happened. */
typedef struct walk_out {
    FILE *out;
    uint64_t count, shown, bad;
    impex_store *s;
    impex_dict *dict; /* of the records database being walked */
} walk_out;

static void child_bad(walk_out *w, const char *db, const char *what);

static int child_db(void *ctx, const char *db, uint64_t entries)
{
    walk_out *w = ctx;
    w->count = w->shown = w->bad = 0;
    fprintf(w->out, "db\t%s\t%" PRIu64 "\n", db, entries);
    fflush(w->out);
    impex_dict_free(w->dict);
    w->dict = NULL;
    if (!strncmp(db, "r:", 2)) {
        /* Read now, after the walk's snapshot: a dictionary only grows. */
        impex_txn *txn = NULL;
        impex_err e;
        impex_err_clear(&e);
        int rc = impex_txn_begin(w->s, 0, &txn, &e);
        if (!rc) rc = impex_dict_load(txn, db + 2, &w->dict, &e);
        impex_txn_abort(txn);
        if (rc) child_bad(w, db, e.msg);
    }
    return 0;
}

static void child_bad(walk_out *w, const char *db, const char *what)
{
    w->bad++;
    if (w->shown++ < VERIFY_DETAILS) fprintf(w->out, "bad\t%s\t%s\n", db, what);
    fflush(w->out);
}

static int child_damage(void *ctx, const char *db, const char *what)
{
    child_bad(ctx, db, what);
    return 0;
}

static int child_entry(void *ctx, const char *db, impex_slice key, impex_slice val)
{
    walk_out *w = ctx;
    char why[300];
    w->count++;
    int rc = impex_store_check_entry(db, w->dict, key, val, why, sizeof why);
    if (!rc && !strcmp(db, "jobs")) {
        impex_job *job = NULL;
        impex_err e;
        impex_err_clear(&e);
        rc = impex_job_from_json(val.ptr, val.len, &job, &e);
        uint64_t id = 0;
        for (size_t i = 0; i < 8; i++)
            id = id << 8 | (unsigned char)key.ptr[i];
        if (rc)
            snprintf(why, sizeof why, "job %" PRIu64 ": %.200s", id, e.msg);
        else if (job->id != id)
            rc = IMPEX_EFORMAT,
            snprintf(why, sizeof why, "job %" PRIu64 " holds job %" PRIu64, id, job->id);
        if (job) impex_job_free(job);
    }
    if (rc) {
        char line[400];
        snprintf(line, sizeof line, "entry %" PRIu64 ": %s", w->count, why);
        child_bad(w, db, line);
    }
    return 0;
}

static void verify_child(const char *data_dir, int fd)
{
    FILE *out = fdopen(fd, "w");
    if (!out) _exit(3);
    char path[4096];
    impex_err err;
    impex_err_clear(&err);
    impex_store *s = NULL;
    impex_store_opts so = {.read_only = 1};
    snprintf(path, sizeof path, "%s/store", data_dir);
    fprintf(out, "db\t(opening the store)\t0\n");
    fflush(out);
    int rc = impex_store_open(path, &so, &s, &err);
    walk_out w = {out, 0, 0, 0, s, NULL};
    impex_walk_ops ops = {child_db, child_entry, child_damage};
    if (!rc) rc = impex_store_walk(s, &ops, &w, &err);
    impex_dict_free(w.dict);
    if (rc)
        fprintf(out, "err\t%d\t%s\n", rc, err.msg);
    else
        fprintf(out, "ok\n");
    fflush(out);
    impex_store_close(s);
    _exit(0);
}

typedef struct verify_parent {
    impex_verify_cb cb;
    void *ctx;
    impex_verify_summary *sum;
    char db[300];
    uint64_t db_entries, db_bad;
    int in_db, finished, err_code;
    char err_msg[700];
} verify_parent;

static void report(verify_parent *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(verify_parent *v, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (v->cb) v->cb(v->ctx, line);
}

static void end_db(verify_parent *v)
{
    if (!v->in_db) return;
    v->in_db = 0;
    if (v->db[0] == '(') return; /* the open step is not a database */
    v->sum->databases++;
    v->sum->entries += v->db_entries;
    if (v->db_bad)
        report(v, "%-24s %10" PRIu64 " entries  DAMAGED (%" PRIu64 " problems)", v->db,
               v->db_entries, v->db_bad);
    else
        report(v, "%-24s %10" PRIu64 " entries  ok", v->db, v->db_entries);
}

static void parent_line(verify_parent *v, char *line)
{
    char *f1 = strchr(line, '\t'), *f2 = f1 ? strchr(f1 + 1, '\t') : NULL;
    if (f1) *f1++ = '\0';
    if (f2) *f2++ = '\0';
    if (!strcmp(line, "db") && f2) {
        end_db(v);
        snprintf(v->db, sizeof v->db, "%s", f1);
        v->db_entries = strtoull(f2, NULL, 10);
        v->db_bad = 0;
        v->in_db = 1;
    } else if (!strcmp(line, "bad") && f2) {
        v->db_bad++;
        v->sum->damaged++;
        report(v, "  %s: %s", f1, f2);
    } else if (!strcmp(line, "err") && f2) {
        v->err_code = atoi(f1);
        snprintf(v->err_msg, sizeof v->err_msg, "%s", f2);
    } else if (!strcmp(line, "ok")) {
        v->finished = 1;
    }
}

int impex_engine_verify(const char *data_dir, const volatile sig_atomic_t *cancel,
                        impex_verify_cb cb, void *ctx, impex_verify_summary *sum, impex_err *err)
{
    memset(sum, 0, sizeof *sum);
    int fds[2];
    if (pipe(fds)) return impex_err_set(err, IMPEX_EIO, "verify: pipe: %s", strerror(errno));
    fflush(NULL); /* the child must not write the parent's buffered output */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return impex_err_set(err, IMPEX_EIO, "verify: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* A stop request ends the child at once; it holds nothing to save. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        close(fds[0]);
        verify_child(data_dir, fds[1]);
    }
    close(fds[1]);
    verify_parent v = {.cb = cb, .ctx = ctx, .sum = sum};
    FILE *in = fdopen(fds[0], "r");
    if (!in) close(fds[0]);
    char line[2048];
    int stopped = 0;
    while (in) {
        if (fgets(line, sizeof line, in)) {
            line[strcspn(line, "\n")] = '\0';
            parent_line(&v, line);
            continue;
        }
        if (!ferror(in) || errno != EINTR) break;
        clearerr(in);
        if (cancel && *cancel) { /* stop: the child would block on a full pipe */
            kill(pid, SIGTERM);
            stopped = 1;
            break;
        }
    }
    if (in) fclose(in);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (stopped || (cancel && *cancel) || sig == SIGINT || sig == SIGTERM || sig == SIGKILL ||
        sig == SIGHUP)
        return impex_err_set(err, IMPEX_ECANCEL, "verify stopped before the end (%s)",
                             sig ? strsignal(sig) : "on request");
    if (WIFSIGNALED(status)) {
        sum->signal = WTERMSIG(status);
        snprintf(sum->where, sizeof sum->where, "%s", v.db);
        sum->damaged++;
        return impex_err_set(err, IMPEX_ESTORE,
                             "the store is damaged (the reader crashed on signal %d (%s) while "
                             "reading database %s)",
                             sum->signal, strsignal(sum->signal), v.db[0] ? v.db : "?");
    }
    end_db(&v);
    if (!v.finished && !v.err_code) {
        sum->damaged++;
        snprintf(sum->where, sizeof sum->where, "%s", v.db);
        return impex_err_set(err, IMPEX_ESTORE,
                             "the store is damaged (the reader stopped with status %d while "
                             "reading database %s)",
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1, v.db[0] ? v.db : "?");
    }
    if (v.err_code == IMPEX_ENOTFOUND || v.err_code == IMPEX_EIO || v.err_code == IMPEX_ENOMEM)
        return impex_err_set(err, v.err_code, "%s", v.err_msg);
    if (v.err_code) {
        sum->damaged++;
        return impex_err_set(err, IMPEX_ESTORE, "the store is damaged: %s", v.err_msg);
    }
    if (sum->damaged)
        return impex_err_set(err, IMPEX_ESTORE,
                             "the store is damaged: %" PRIu64 " problems in %" PRIu64
                             " databases checked",
                             sum->damaged, sum->databases);
    return IMPEX_OK;
}
