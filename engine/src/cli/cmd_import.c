#include "cli/cli.h"
#include "pipeline/import.h"
#include "pipeline/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s) return -1;
    /* Digits only: no sign, no spaces, no overflow. */
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* A positive whole number from the environment, or 0 when unset; -1 when malformed. */
static int env_u64(const char *name, uint64_t *out)
{
    const char *v = getenv(name);
    *out = 0;
    if (!v || !*v) return 0;
    if (cli_parse_u64(v, out) || *out == 0) {
        fprintf(stderr, "impex: %s must be a positive whole number, not '%s'\n", name, v);
        return -1;
    }
    return 0;
}

int cli_open(const cli *c, impex_engine **out)
{
    impex_err err;
    impex_err_clear(&err);
    impex_limits lim;
    impex_lua_limits lua;
    impex_limits_default(&lim);
    impex_lua_limits_default(&lua);
    impex_engine_opts o = {.data_dir = c->data_dir,
                           .scripts_root = c->scripts_root,
                           .limits = &lim,
                           .lua_limits = &lua};
    uint64_t map, gc, total, ratio, instr, mem, wall;
    if (env_u64("IMPEX_MAP_SIZE", &map) || env_u64("IMPEX_GROUP_COMMIT", &gc) ||
        env_u64("IMPEX_MAX_UNCOMPRESSED", &total) || env_u64("IMPEX_MAX_RATIO", &ratio) ||
        env_u64("IMPEX_LUA_INSTRUCTIONS", &instr) || env_u64("IMPEX_LUA_MEMORY", &mem) ||
        env_u64("IMPEX_LUA_TIMEOUT_MS", &wall))
        return IMPEX_EUSAGE;
    if (gc > 1024 || ratio > UINT32_MAX || wall > 3600000) {
        fprintf(stderr,
                "impex: IMPEX_GROUP_COMMIT is at most 1024, IMPEX_MAX_RATIO at most %u, "
                "IMPEX_LUA_TIMEOUT_MS at most 3600000\n",
                UINT32_MAX);
        return IMPEX_EUSAGE;
    }
    if (wall) lua.wall_ms = (unsigned)wall;
    o.map_size = map;
    o.group_commit = (unsigned)gc;
    if (total) lim.max_uncompressed = total;
    if (ratio) lim.max_ratio = (uint32_t)ratio;
    if (instr) lua.instructions = instr;
    if (mem) lua.memory = (size_t)mem;
    int rc = impex_engine_open(&o, out, &err);
    if (rc) fprintf(stderr, "impex: %s\n", err.msg);
    return rc;
}

int cli_exit_for(const impex_job *job)
{
    switch (job->status) {
    case IMPEX_JOB_COMPLETED:
        return EXIT_OK;
    case IMPEX_JOB_COMPLETED_WITH_ERRORS:
        return EXIT_WITH_ERRORS;
    case IMPEX_JOB_IN_QUEUE:
    case IMPEX_JOB_IMPORTING:
        return EXIT_INTERRUPTED;
    default:
        return EXIT_FAILED;
    }
}

/* What the applied rows did to the store (imported = the sum). */
static void print_changes(const impex_counts *c, const char *indent)
{
    if (!c->imported) return;
    printf("%screated %llu, updated %llu, unchanged %llu, deleted %llu\n", indent,
           (unsigned long long)c->created, (unsigned long long)c->updated,
           (unsigned long long)c->unchanged, (unsigned long long)c->deleted);
}

void cli_print_job(const cli *c, const impex_job *job, int verbose)
{
    if (c->json) {
        impex_buf js = {0};
        if (!impex_job_to_json(job, &js)) printf("%s\n", js.ptr);
        impex_buf_free(&js);
        return;
    }
    printf("job %llu: %s  rows %llu, imported %llu, rejected %llu, batches %llu\n",
           (unsigned long long)job->id, impex_job_status_name(job->status),
           (unsigned long long)job->counts.rows, (unsigned long long)job->counts.imported,
           (unsigned long long)job->counts.rejected, (unsigned long long)job->batches);
    print_changes(&job->counts, "  ");
    if (verbose) {
        printf("  group %s, file %s, tenant %s\n", job->group, job->source, job->tenant);
        printf("  created %s  started %s  finished %s\n", job->created,
               job->started[0] ? job->started : "-", job->finished[0] ? job->finished : "-");
        printf("  checkpoint: step %zu, byte %llu, row %llu, batch %llu%s\n", job->cp.step,
               (unsigned long long)job->cp.token.pos[0], (unsigned long long)job->cp.row,
               (unsigned long long)job->cp.batch, job->cp.phase ? "" : " (validating)");
    }
    for (size_t i = 0; i < job->nsteps; i++) {
        const impex_step *s = &job->steps[i];
        printf("  step %zu %-12s %-24s %-30s rows %llu, imported %llu, rejected %llu\n", i + 1,
               s->resource, s->entry, impex_job_status_name(s->status),
               (unsigned long long)s->counts.rows, (unsigned long long)s->counts.imported,
               (unsigned long long)s->counts.rejected);
        print_changes(&s->counts, "    ");
        if (s->details) printf("    %s\n", s->details);
    }
    for (size_t i = 0; i < job->nmessages; i++) {
        int shown = 0; /* already printed as a step's details */
        for (size_t k = 0; k < job->nsteps && !shown; k++)
            shown = job->steps[k].details && !strcmp(job->steps[k].details, job->messages[i]);
        if (!shown) printf("  ! %s\n", job->messages[i]);
    }
    if (job->counts.rejected)
        printf("  rejected rows: impex errors %llu\n", (unsigned long long)job->id);
}

/* Progress on a terminal only: rows, rows/s and how far through the bytes. */
static void progress_line(void *ctx, const impex_progress *p)
{
    (void)ctx;
    double pct = p->total ? 100.0 * (double)p->bytes / (double)p->total : 0;
    fprintf(stderr, "\r  %llu rows  %.0f rows/s  %.0f%%   ", (unsigned long long)p->rows,
            p->seconds > 0 ? (double)p->rows / p->seconds : 0, pct > 100 ? 100 : pct);
    fflush(stderr);
}

/* Runs one job and reports it; returns the exit status. lock: the job's
 * lock if held already (released here). quiet_busy: a job another process
 * runs is skipped without a word (resume-all). */
static int run_and_report(cli *c, impex_engine *e, uint64_t id, impex_job_lock *lock,
                          int quiet_busy)
{
    impex_err err;
    impex_err_clear(&err);
    int tty = isatty(STDERR_FILENO);
    impex_run_opts ro = {.cancel = c->stop, .progress = tty ? progress_line : NULL, .lock = lock};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = impex_import_run(e, id, &ro, &err);
    impex_job_lock_release(lock);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (tty) fprintf(stderr, "\r%60s\r", "");
    if (rc == IMPEX_EBUSY) {
        if (quiet_busy) return EXIT_OK;
        fprintf(stderr, "impex: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (rc) fprintf(stderr, "impex: job %llu: %s\n", (unsigned long long)id, err.msg);
    impex_job *job;
    impex_err_clear(&err);
    if (impex_job_load(e, NULL, id, &job, &err)) {
        fprintf(stderr, "impex: %s\n", err.msg);
        return EXIT_ENGINE;
    }
    cli_print_job(c, job, 0);
    int status = rc ? EXIT_ENGINE : cli_exit_for(job);
    if (!c->json) {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("  %.2f s\n", secs);
    }
    if (status == EXIT_INTERRUPTED)
        fprintf(stderr, "impex: job %llu interrupted at a checkpoint; run `impex resume %llu`\n",
                (unsigned long long)id, (unsigned long long)id);
    impex_job_free(job);
    return status;
}

int cmd_import(cli *c)
{
    impex_import_opts o = {.tenant = c->tenant};
    const char *file = NULL;
    const char **del = calloc((size_t)c->argc + 1, sizeof *del);
    if (!del) {
        fprintf(stderr, "impex: out of memory\n");
        return EXIT_ENGINE;
    }
    o.delete_omitted = del;
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        int has_value = i + 1 < c->argc;
        if (!strcmp(a, "--group") && has_value)
            o.group = c->argv[++i];
        else if (!strcmp(a, "--strategy") && has_value)
            o.strategy = c->argv[++i];
        else if (!strcmp(a, "--operation") && has_value)
            o.operation = c->argv[++i];
        else if (!strcmp(a, "--delimiter") && has_value)
            o.delimiter = c->argv[++i];
        else if (!strcmp(a, "--quote") && has_value)
            o.quote = c->argv[++i];
        else if (!strcmp(a, "--encoding") && has_value)
            o.encoding = c->argv[++i];
        else if (!strcmp(a, "--max-errors") && has_value) {
            if (cli_parse_u64(c->argv[++i], &o.max_errors)) goto usage;
        } else if (!strcmp(a, "--batch-size") && has_value) {
            if (cli_parse_u64(c->argv[++i], &o.batch_size) || o.batch_size == 0) goto usage;
        } else if (!strcmp(a, "--delete-omitted") && has_value) {
            del[o.ndelete_omitted++] = c->argv[++i];
        } else if (!strcmp(a, "--context") && has_value && !o.context) {
            o.context = c->argv[++i];
        } else if (a[0] == '-' || file)
            goto usage;
        else
            file = a;
    }
    if (!o.group || !file) goto usage;
    impex_engine *e;
    if (cli_open(c, &e)) {
        free(del);
        return EXIT_ENGINE;
    }
    impex_err err;
    impex_err_clear(&err);
    uint64_t id;
    impex_job_lock *lock = NULL;
    int rc = impex_import_create(e, &o, file, &id, &lock, &err);
    free(del);
    if (rc) {
        fprintf(stderr, "impex: %s\n", err.msg);
        impex_engine_close(e);
        return rc == IMPEX_EUSAGE ? EXIT_USAGE : EXIT_ENGINE;
    }
    if (!c->json) printf("job %llu created\n", (unsigned long long)id);
    int status = run_and_report(c, e, id, lock, 0);
    impex_engine_close(e);
    return status;
usage:
    free(del);
    fprintf(stderr, "usage: impex import --group NAME FILE [--strategy skip|strict] "
                    "[--operation upsert|insert|update|delete] [--max-errors N] [--batch-size N] "
                    "[--delimiter C|comma|semicolon|tab|pipe] [--quote C] [--encoding E] "
                    "[--delete-omitted RESOURCE|all]... [--context part=value,...] [--json]\n");
    return EXIT_USAGE;
}

typedef struct pending {
    uint64_t *ids;
    size_t n;
    const char *tenant;
} pending;

static int collect_pending(void *ctx, const impex_job *job, impex_slice js)
{
    pending *p = ctx;
    uint64_t id = job->id;
    (void)js;
    if (impex_job_status_final(job->status) || strcmp(job->tenant, p->tenant)) return 0;
    uint64_t *ids = realloc(p->ids, (p->n + 1) * sizeof *ids);
    if (!ids) return IMPEX_ENOMEM;
    p->ids = ids;
    p->ids[p->n++] = id;
    return 0;
}

int cmd_resume(cli *c)
{
    uint64_t one = 0;
    if (c->argc > 1 || (c->argc == 1 && (cli_parse_u64(c->argv[0], &one) || one == 0))) {
        fprintf(stderr, "usage: impex resume [ID] [--json]\n");
        return EXIT_USAGE;
    }
    impex_engine *e;
    if (cli_open(c, &e)) return EXIT_ENGINE;
    impex_err err;
    impex_err_clear(&err);
    pending p = {.tenant = c->tenant};
    int status = EXIT_OK;
    if (one) {
        impex_job *job;
        if (impex_job_load(e, c->tenant, one, &job, &err)) {
            fprintf(stderr, "impex: %s\n", err.msg);
            impex_engine_close(e);
            return EXIT_USAGE;
        }
        impex_job_free(job);
        status = run_and_report(c, e, one, NULL, 0);
    } else {
        int rc = impex_engine_jobs(e, c->tenant, collect_pending, &p, &err);
        if (rc) {
            fprintf(stderr, "impex: %s\n", err.msg);
            impex_engine_close(e);
            return EXIT_ENGINE;
        }
        if (!p.n && !c->json) printf("no interrupted jobs\n");
        for (size_t i = 0; i < p.n && !*c->stop; i++) {
            /* Jobs another process runs (or is creating) are theirs: skipped. */
            int s = run_and_report(c, e, p.ids[i], NULL, 1);
            if (s > status) status = s;
        }
        free(p.ids);
    }
    impex_engine_close(e);
    return status;
}
