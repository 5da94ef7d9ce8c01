#include "cli/cli.h"
#include "pipeline/query.h"
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

typedef struct reject_out {
    impex_buf line;
    const impex_job *job;
    long step;  /* step whose header was printed last, -1 = none */
    int replay; /* only the original fields, in the file's own layout */
    long only;  /* with replay: the step to print */
} reject_out;

static void put_header(reject_out *o, long step)
{
    const impex_step *s = step >= 0 && (size_t)step < o->job->nsteps ? &o->job->steps[step] : NULL;
    impex_buf_reset(&o->line);
    if (!o->replay) impex_buf_puts(&o->line, "file,row,line,column,value,reason");
    for (size_t c = 0; s && c < s->ncolumns; c++) {
        if (c || !o->replay) impex_buf_putc(&o->line, ',');
        impex_buf_put_csv_field(&o->line, s->columns[c], strlen(s->columns[c]));
    }
    if (o->step >= 0) fputs("\r\n", stdout); /* a blank line between the steps' blocks */
    fwrite(o->line.ptr, 1, o->line.len, stdout);
    fputs("\r\n", stdout);
    o->step = step;
}

/* One rejected row as a CSV line: file,row,line,column,value,reason, then the
 * row's original fields under the step's own header; with replay, only them. */
static int print_reject(void *ctx, uint64_t seq, impex_slice js)
{
    reject_out *o = ctx;
    json_t *r = json_loadb(js.ptr, js.len, 0, NULL);
    (void)seq;
    if (!r) return 0;
    long step = (long)json_integer_value(json_object_get(r, "step"));
    json_t *fields = json_object_get(r, "fields");
    if (o->replay && (step != o->only || !json_array_size(fields))) {
        json_decref(r);
        return 0;
    }
    if (step != o->step) put_header(o, step);
    impex_buf_reset(&o->line);
    const char *keys[] = {"file", "row", "line", "column", "value", "reason"};
    for (size_t i = 0; i < 6 && !o->replay; i++) {
        json_t *v = json_object_get(r, keys[i]);
        if (i) impex_buf_putc(&o->line, ',');
        if (json_is_string(v))
            impex_buf_put_csv_field(&o->line, json_string_value(v), json_string_length(v));
        else if (json_is_integer(v))
            impex_buf_printf(&o->line, "%lld", (long long)json_integer_value(v));
    }
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        if (i || !o->replay) impex_buf_putc(&o->line, ',');
        impex_buf_put_csv_field(&o->line, json_string_value(f) ? json_string_value(f) : "",
                                json_string_length(f));
    }
    fwrite(o->line.ptr, 1, o->line.len, stdout);
    fputs("\r\n", stdout);
    json_decref(r);
    return 0;
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
    reject_out o = {.job = job, .step = -1, .replay = replay, .only = -1};
    if (replay) {
        /* The step asked for, else the first with rejected rows. */
        for (size_t s = 0; s < job->nsteps && o.only < 0; s++)
            if (step ? s + 1 == step : job->steps[s].counts.rejected > 0) o.only = (long)s;
        if (o.only < 0) {
            fprintf(stderr, "impex: job %llu has no %s\n", (unsigned long long)id,
                    step ? "such step" : "rejected rows");
            impex_job_free(job);
            impex_engine_close(e);
            return step ? EXIT_USAGE : EXIT_OK;
        }
        put_header(&o, o.only);
    }
    impex_err err;
    impex_err_clear(&err);
    rc = impex_engine_rejects(e, c->tenant, id, print_reject, &o, &err);
    if (!replay && o.step < 0) put_header(&o, job->nsteps ? 0 : -1); /* no rows: the header alone */
    impex_buf_free(&o.line);
    impex_job_free(job);
    if (rc) fprintf(stderr, "impex: %s\n", err.msg);
    impex_engine_close(e);
    return rc ? EXIT_ENGINE : EXIT_OK;
}

static void print_fields(impex_slice rec)
{
    impex_value *v;
    size_t n;
    if (impex_codec_decode(rec, &v, &n, NULL)) return;
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
    impex_err_clear(&err);
    int rc = impex_key_from_text(c->argv[1], &key);
    if (!rc)
        rc = impex_engine_get_record(e, c->argv[0], c->tenant, (impex_slice){key.ptr, key.len},
                                     &rec, &err);
    impex_slice val = {rec.ptr, rec.len};
    if (!rc && c->json) rc = impex_codec_to_json(val, &out, &err);
    if (!rc && c->json)
        printf("%s\n", out.ptr);
    else if (!rc)
        print_fields(val);
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

static int dump_one(void *ctx, impex_slice key, impex_slice val)
{
    impex_buf *out = ctx;
    (void)key;
    impex_buf_reset(out);
    if (impex_codec_to_json(val, out, NULL)) return IMPEX_EFORMAT;
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
