#include "cli/cli.h"
#include "pipeline/query.h"
#include "pipeline/report.h"
#include "store/codec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_id(const char *s, uint64_t *out)
{
    uint64_t v;
    if (cli_parse_u64(s, &v) || v == 0) return -1;
    *out = v;
    return 0;
}

int cli_open_read(const cli *c, impex_engine **out)
{
    impex_err err;
    impex_err_clear(&err);
    impex_engine_opts o = {
        .data_dir = c->data_dir, .scripts_root = c->scripts_root, .read_only = 1};
    int rc = impex_engine_open(&o, out, &err);
    if (rc) fprintf(stderr, "impex: %s\n", err.msg);
    return rc;
}

/* The tenant's job id, or an exit status with the reason printed. */
static int load_job(cli *c, impex_engine *e, uint64_t id, impex_job **job)
{
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_engine_job(e, c->tenant, id, job, &err);
    if (!rc) return EXIT_OK;
    fprintf(stderr, "impex: %s\n", err.msg);
    return rc == IMPEX_ENOTFOUND ? EXIT_USAGE : EXIT_ENGINE;
}

typedef struct list_ctx {
    cli *c;
    int first;
} list_ctx;

static int print_job_row(void *ctx, const impex_job *job, impex_slice js)
{
    list_ctx *l = ctx;
    if (l->c->json) {
        printf("%s%.*s", l->first ? "" : ",\n", (int)js.len, js.ptr);
    } else {
        printf("%6llu  %-30s %-10s %-24s %9llu %9llu %9llu  %s\n", (unsigned long long)job->id,
               impex_job_status_name(job->status), job->group, job->source,
               (unsigned long long)job->counts.rows, (unsigned long long)job->counts.imported,
               (unsigned long long)job->counts.rejected, job->created);
    }
    l->first = 0;
    return 0;
}

int cmd_jobs(cli *c)
{
    impex_engine *e;
    if (c->argc) {
        fprintf(stderr, "usage: impex jobs [--json]\n");
        return EXIT_USAGE;
    }
    if (cli_open_read(c, &e)) return EXIT_ENGINE;
    impex_err err;
    impex_err_clear(&err);
    list_ctx l = {c, 1};
    if (c->json)
        printf("[");
    else
        printf("%6s  %-30s %-10s %-24s %9s %9s %9s  %s\n", "ID", "STATUS", "GROUP", "FILE", "ROWS",
               "IMPORTED", "REJECTED", "CREATED");
    int rc = impex_engine_jobs(e, c->tenant, print_job_row, &l, &err);
    if (c->json) printf("]\n");
    if (rc) fprintf(stderr, "impex: %s\n", err.msg);
    impex_engine_close(e);
    return rc ? EXIT_ENGINE : EXIT_OK;
}

int cmd_job(cli *c)
{
    uint64_t id;
    if (c->argc != 1 || cli_parse_id(c->argv[0], &id)) {
        fprintf(stderr, "usage: impex job ID [--json]\n");
        return EXIT_USAGE;
    }
    impex_engine *e;
    impex_job *job;
    if (cli_open_read(c, &e)) return EXIT_ENGINE;
    int status = load_job(c, e, id, &job);
    if (status) {
        impex_engine_close(e);
        return status;
    }
    cli_print_job(c, job, 1);
    impex_job_free(job);
    impex_engine_close(e);
    return EXIT_OK;
}

static int write_stdout(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

int cmd_errors(cli *c)
{
    uint64_t id = 0, step = 0;
    int replay = 0;
    for (int i = 0; i < c->argc; i++) {
        if (!strcmp(c->argv[i], "--replay"))
            replay = 1;
        else if (!strcmp(c->argv[i], "--step") && i + 1 < c->argc &&
                 !cli_parse_id(c->argv[i + 1], &step))
            i++;
        else if (id || cli_parse_id(c->argv[i], &id))
            id = 0, i = c->argc;
    }
    if (!id) {
        fprintf(stderr, "usage: impex errors ID [--replay [--step N]]\n");
        return EXIT_USAGE;
    }
    impex_engine *e;
    impex_job *job;
    if (cli_open_read(c, &e)) return EXIT_ENGINE;
    int rc = load_job(c, e, id, &job);
    if (rc) {
        impex_engine_close(e);
        return rc;
    }
    impex_err err;
    impex_err_clear(&err);
    impex_report_opts ro = {.replay = replay, .step = (size_t)step};
    impex_report_stats st;
    rc = impex_report_errors(e, job, &ro, write_stdout, NULL, &st, &err);
    int status = EXIT_OK;
    if (rc == IMPEX_ENOTFOUND) {
        fprintf(stderr, "impex: %s\n", err.msg);
        status = step ? EXIT_USAGE : EXIT_OK;
    } else if (rc) {
        fprintf(stderr, "impex: %s\n", err.msg);
        status = EXIT_ENGINE;
    }
    if (!rc && replay && st.cut)
        fprintf(stderr,
                "impex: %llu rejected row(s) of step %zu were too long to keep whole and are "
                "left out of the replay (see `impex errors %llu`)\n",
                (unsigned long long)st.cut, st.step + 1, (unsigned long long)id);
    if (!rc && st.damaged)
        fprintf(stderr,
                "impex: %llu rejected-row record(s) could not be read (run `impex verify`)\n",
                (unsigned long long)st.damaged);
    impex_job_free(job);
    impex_engine_close(e);
    return status;
}

static void print_fields(const impex_dict *dict, impex_slice key, impex_slice rec)
{
    impex_value *v;
    size_t n;
    if (impex_codec_decode(dict, key, rec, &v, &n, NULL)) return;
    for (size_t i = 0; i < n; i++) {
        printf("%.*s: ", (int)v[i].name_len, v[i].name);
        for (size_t k = 0; k < v[i].len; k++)
            putchar(v[i].ptr[k] == '\r' ? '|' : v[i].ptr[k]);
        putchar('\n');
    }
    free(v);
}

int cmd_get(cli *c)
{
    if (c->argc != 2) {
        fprintf(stderr, "usage: impex get RESOURCE KEY [--json]\n");
        return EXIT_USAGE;
    }
    impex_engine *e;
    if (cli_open_read(c, &e)) return EXIT_ENGINE;
    impex_err err;
    impex_buf key = {0}, rec = {0}, out = {0};
    impex_dict *dict = NULL;
    impex_err_clear(&err);
    int rc = impex_key_from_text(c->argv[1], &key);
    impex_slice k = {key.ptr, key.len};
    if (!rc) rc = impex_engine_get_record(e, c->argv[0], c->tenant, k, &rec, &dict, &err);
    impex_slice val = {rec.ptr, rec.len};
    if (!rc && c->json) rc = impex_codec_to_json(dict, k, val, &out, &err);
    if (!rc && c->json)
        printf("%s\n", out.ptr);
    else if (!rc)
        print_fields(dict, k, val);
    impex_dict_free(dict);
    if (rc == IMPEX_ENOTFOUND)
        fprintf(stderr, "impex: no %s record with key %s for tenant %s\n", c->argv[0], c->argv[1],
                c->tenant);
    else if (rc)
        fprintf(stderr, "impex: %s\n", err.msg[0] ? err.msg : impex_strerror(rc));
    impex_buf_free(&key);
    impex_buf_free(&rec);
    impex_buf_free(&out);
    impex_engine_close(e);
    return rc == IMPEX_ENOTFOUND ? EXIT_USAGE : rc ? EXIT_ENGINE : EXIT_OK;
}

int cmd_count(cli *c)
{
    if (c->argc != 1) {
        fprintf(stderr, "usage: impex count RESOURCE\n");
        return EXIT_USAGE;
    }
    impex_engine *e;
    if (cli_open_read(c, &e)) return EXIT_ENGINE;
    impex_err err;
    impex_err_clear(&err);
    uint64_t n = 0;
    int rc = impex_engine_count(e, c->argv[0], c->tenant, &n, &err);
    if (rc)
        fprintf(stderr, "impex: %s\n", err.msg);
    else
        printf("%llu\n", (unsigned long long)n);
    impex_engine_close(e);
    return rc ? EXIT_ENGINE : EXIT_OK;
}

static int dump_one(void *ctx, const impex_dict *dict, impex_slice key, impex_slice val)
{
    impex_buf *out = ctx;
    impex_buf_reset(out);
    if (impex_codec_to_json(dict, key, val, out, NULL)) return IMPEX_EFORMAT;
    impex_buf_putc(out, '\n');
    return fwrite(out->ptr, 1, out->len, stdout) == out->len ? 0 : IMPEX_EIO;
}

int cmd_dump(cli *c)
{
    if (c->argc != 1) {
        fprintf(stderr, "usage: impex dump RESOURCE\n");
        return EXIT_USAGE;
    }
    impex_engine *e;
    if (cli_open_read(c, &e)) return EXIT_ENGINE;
    impex_err err;
    impex_buf out = {0};
    impex_err_clear(&err);
    /* Page by page: a long dump never pins store pages while imports write. */
    int rc = impex_engine_dump(e, c->argv[0], c->tenant, 0, dump_one, &out, &err);
    if (rc) fprintf(stderr, "impex: %s\n", err.msg[0] ? err.msg : impex_strerror(rc));
    impex_buf_free(&out);
    impex_engine_close(e);
    return rc ? EXIT_ENGINE : EXIT_OK;
}
