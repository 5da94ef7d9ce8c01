#include "pipeline/job.h"
#include "core/utf8.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *const status_names[] = {
    "IN_QUEUE",
    "IMPORTING",
    "EXPORTING",
    "COMPLETED",
    "COMPLETED_WITH_ERRORS",
    "INVALID_OPERATION_TYPE",
    "FAILED_HEADERS",
    "FAILED_WITH_VALIDATION_ERRORS",
    "FAILED_UNEXPECTEDLY",
};

const char *impex_job_status_name(impex_job_status s)
{
    return (unsigned)s < sizeof status_names / sizeof *status_names ? status_names[s] : "UNKNOWN";
}

int impex_job_status_final(impex_job_status s)
{
    return s != IMPEX_JOB_IN_QUEUE && s != IMPEX_JOB_IMPORTING && s != IMPEX_JOB_EXPORTING;
}

static int status_from_name(const char *name, impex_job_status *out)
{
    for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
        if (name && !strcmp(name, status_names[i])) {
            *out = (impex_job_status)i;
            return 0;
        }
    return -1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void impex_job_now(char dst[32])
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(dst, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(dst + n, 32 - n, ".%03dZ", (int)(tv.tv_usec / 1000) % 1000);
}

/* A copy of untrusted text that is valid UTF-8 without NULs (see impex_utf8_visible). */
static char *dup_visible(const char *s, size_t len)
{
    impex_buf b = {0};
    if (impex_utf8_visible(s, len, &b)) {
        impex_buf_free(&b);
        return NULL;
    }
    return b.ptr ? b.ptr : strdup("");
}

int impex_job_new(uint64_t id, const char *tenant, const char *group, const char *source,
                  impex_job **out)
{
    impex_job *j = calloc(1, sizeof *j);
    if (!j) return IMPEX_ENOMEM;
    j->id = id;
    j->tenant = strdup(tenant);
    j->group = strdup(group);
    j->source = dup_visible(source, strlen(source));
    if (!j->tenant || !j->group || !j->source) {
        impex_job_free(j);
        return IMPEX_ENOMEM;
    }
    j->cp.phase = 1;
    j->cp.line = 1;
    impex_job_now(j->created);
    memcpy(j->updated, j->created, sizeof j->updated);
    *out = j;
    return IMPEX_OK;
}

void impex_job_free(impex_job *j)
{
    if (!j) return;
    for (size_t i = 0; i < j->nsteps; i++) {
        free(j->steps[i].descriptor);
        free(j->steps[i].resource);
        free(j->steps[i].entry);
        free(j->steps[i].details);
        for (size_t c = 0; c < j->steps[i].ncolumns; c++)
            free(j->steps[i].columns[c]);
        free(j->steps[i].columns);
    }
    for (size_t i = 0; i < j->nmessages; i++)
        free(j->messages[i]);
    for (size_t i = 0; i < j->nscripts; i++) {
        free(j->scripts[i].path);
        free(j->scripts[i].hash);
    }
    free(j->scripts);
    free(j->steps);
    free(j->messages);
    free(j->tenant);
    free(j->group);
    free(j->source);
    free(j->file);
    free(j->strategy);
    free(j->operation);
    free(j->delimiter);
    free(j->quote);
    free(j->encoding);
    for (size_t i = 0; i < j->ndelete_omitted; i++)
        free(j->delete_omitted[i]);
    free(j->delete_omitted);
    for (size_t i = 0; i < IMPEX_CONTEXT_PARTS; i++)
        free(j->context[i]);
    free(j);
}

int impex_job_add_step(impex_job *j, const char *descriptor, const char *resource,
                       const char *entry, size_t index)
{
    impex_step *s = realloc(j->steps, (j->nsteps + 1) * sizeof *s);
    if (!s) return IMPEX_ENOMEM;
    j->steps = s;
    s = &j->steps[j->nsteps];
    memset(s, 0, sizeof *s);
    s->descriptor = strdup(descriptor);
    s->resource = strdup(resource);
    s->entry = dup_visible(entry, strlen(entry));
    s->index = index;
    j->nsteps++;
    if (!s->descriptor || !s->resource || !s->entry) return IMPEX_ENOMEM;
    return IMPEX_OK;
}

int impex_job_set_columns(impex_job *j, size_t i, char *const *names, const size_t *lens, size_t n)
{
    impex_step *s = &j->steps[i];
    if (s->ncolumns || !n) return IMPEX_OK;
    if (!(s->columns = calloc(n, sizeof *s->columns))) return IMPEX_ENOMEM;
    for (size_t c = 0; c < n; c++) {
        /* The job is rewritten with every commit: a huge name is kept cut
         * (the replay writes the header from the file's own bytes). */
        size_t len = lens ? lens[c] : strlen(names[c]);
        s->columns[c] =
            dup_visible(names[c], len > IMPEX_JOB_COLUMN_MAX ? IMPEX_JOB_COLUMN_MAX : len);
        if (!s->columns[c]) return IMPEX_ENOMEM;
        s->ncolumns = c + 1;
    }
    return IMPEX_OK;
}

int impex_job_add_script(impex_job *j, const char *path, const char *hash)
{
    impex_script_ref *r = realloc(j->scripts, (j->nscripts + 1) * sizeof *r);
    if (!r) return IMPEX_ENOMEM;
    j->scripts = r;
    r = &j->scripts[j->nscripts];
    r->path = strdup(path);
    r->hash = strdup(hash);
    if (!r->path || !r->hash) {
        free(r->path);
        free(r->hash);
        return IMPEX_ENOMEM;
    }
    j->nscripts++;
    return IMPEX_OK;
}

void impex_job_drop_messages(impex_job *j, const char *prefix)
{
    size_t k = 0, n = strlen(prefix);
    for (size_t i = 0; i < j->nmessages; i++) {
        if (!strncmp(j->messages[i], prefix, n))
            free(j->messages[i]);
        else
            j->messages[k++] = j->messages[i];
    }
    j->nmessages = k;
}

int impex_job_message(impex_job *j, const char *fmt, ...)
{
    if (j->nmessages >= IMPEX_JOB_MAX_MESSAGES) return IMPEX_OK;
    char **m = realloc(j->messages, (j->nmessages + 1) * sizeof *m);
    if (!m) return IMPEX_ENOMEM;
    j->messages = m;
    va_list ap;
    char *raw;
    va_start(ap, fmt);
    int n = vasprintf(&raw, fmt, ap);
    va_end(ap);
    if (n < 0) return IMPEX_ENOMEM;
    m[j->nmessages] = dup_visible(raw, (size_t)n);
    free(raw);
    if (!m[j->nmessages]) return IMPEX_ENOMEM;
    j->nmessages++;
    return IMPEX_OK;
}

/* Job text is kept visible (impex_utf8_visible) when it enters the job;
 * this is the last guard, so a record is never lost to one bad byte. */
static json_t *text(const char *s)
{
    json_t *v = json_string(s ? s : "");
    if (v || !s) return v;
    char *vis = dup_visible(s, strlen(s));
    v = vis ? json_string(vis) : NULL;
    free(vis);
    return v;
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? text(s) : json_null();
}

static uint64_t get_u64(json_t *obj, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(obj, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* The counters, as members of the job or step object. */
static json_t *counts_json(const impex_counts *c)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rows", (json_int_t)c->rows, "imported",
                     (json_int_t)c->imported, "created", (json_int_t)c->created, "updated",
                     (json_int_t)c->updated, "unchanged", (json_int_t)c->unchanged, "deleted",
                     (json_int_t)c->deleted, "rejected", (json_int_t)c->rejected);
}

static void counts_read(json_t *o, impex_counts *c)
{
    c->rows = get_u64(o, "rows");
    c->imported = get_u64(o, "imported");
    c->created = get_u64(o, "created"); /* before version 2 these were timestamps: 0 */
    c->updated = get_u64(o, "updated");
    c->unchanged = get_u64(o, "unchanged");
    c->deleted = get_u64(o, "deleted");
    c->rejected = get_u64(o, "rejected");
}

/* a with b's members after its own (both consumed); NULL if either is. */
static json_t *join(json_t *a, json_t *b)
{
    if (!a || !b || json_object_update(a, b)) {
        json_decref(a);
        a = NULL;
    }
    json_decref(b);
    return a;
}

static json_t *step_json(const impex_step *s)
{
    json_t *cols = json_array();
    for (size_t c = 0; cols && c < s->ncolumns; c++)
        json_array_append_new(cols, text(s->columns[c]));
    json_t *o = json_pack("{s:o, s:o, s:o, s:I, s:s, s:b}", "resource", text(s->resource),
                          "descriptor", text(s->descriptor), "entry", text(s->entry), "index",
                          (json_int_t)s->index, "status", impex_job_status_name(s->status),
                          "isComplete", impex_job_status_final(s->status));
    return join(join(o, counts_json(&s->counts)),
                json_pack("{s:o, s:o}", "stateDetails", str_or_null(s->details), "columns", cols));
}

/* The CSV dialect the import was asked to use (null: each descriptor's). */
static json_t *dialect_json(const impex_job *j)
{
    return json_pack("{s:o, s:o, s:o}", "delimiter", str_or_null(j->delimiter), "quote",
                     str_or_null(j->quote), "encoding", str_or_null(j->encoding));
}

static int dialect_read(json_t *root, impex_job *j)
{
    static const char *const keys[] = {"delimiter", "quote", "encoding"};
    char **dst[] = {&j->delimiter, &j->quote, &j->encoding};
    for (int i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(root, keys[i]));
        if (s && !(*dst[i] = strdup(s))) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}

static int dump(json_t *root, impex_buf *out)
{
    if (!root) return IMPEX_ENOMEM;
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text) return IMPEX_ENOMEM;
    /* jansson 2.14 can hand back a text that lost a separator when an
     * allocation failed half way (found by the allocation-failure test): a
     * record that does not read back is never stored. */
    json_t *back = json_loads(text, 0, NULL);
    json_decref(back);
    if (!back) {
        free(text);
        return IMPEX_ENOMEM;
    }
    int rc = impex_buf_puts(out, text);
    free(text);
    return rc;
}

int impex_step_to_json(const impex_job *j, size_t i, impex_buf *out)
{
    return dump(step_json(&j->steps[i]), out);
}

static int job_json(const impex_job *j, int with_steps, impex_buf *out);

int impex_job_to_json(const impex_job *j, impex_buf *out)
{
    return job_json(j, 1, out);
}

int impex_job_header_to_json(const impex_job *j, impex_buf *out)
{
    return job_json(j, 0, out);
}

/* deleteOmitted, contextOverride and the sweep's position, on the job and
 * its checkpoint object cp (borrowed). Non-zero when out of memory. */
static int modes_json(const impex_job *j, json_t *root, json_t *cp)
{
    json_t *del = json_array(), *ctx = json_object();
    int bad = !del || !ctx;
    for (size_t i = 0; !bad && i < j->ndelete_omitted; i++)
        bad = json_array_append_new(del, text(j->delete_omitted[i]));
    for (size_t i = 0; !bad && i < IMPEX_CONTEXT_PARTS; i++)
        if (j->context[i])
            bad = json_object_set_new(ctx, impex_context_name(i), text(j->context[i]));
    if (bad) {
        json_decref(del);
        json_decref(ctx);
        return 1;
    }
    if (json_object_size(ctx) == 0) {
        json_decref(ctx);
        ctx = json_null();
    }
    /* set_new takes each value, also when it fails */
    bad = json_object_set_new(root, "deleteOmitted", del);
    bad = json_object_set_new(root, "contextOverride", ctx) || bad;
    if (!bad && j->cp.phase == IMPEX_PHASE_SWEEP) {
        char hex[2 * sizeof j->sweep_after + 1];
        for (size_t i = 0; i < j->sweep_after_len; i++)
            snprintf(hex + 2 * i, 3, "%02x", j->sweep_after[i]);
        hex[2 * j->sweep_after_len] = '\0';
        bad = json_object_set_new(cp, "sweepAfter", json_string(hex));
    }
    return bad;
}

static int job_json(const impex_job *j, int with_steps, impex_buf *out)
{
    json_t *steps = json_array(), *msgs = json_array(), *scripts = json_array();
    for (size_t i = 0; steps && with_steps && i < j->nsteps; i++)
        json_array_append_new(steps, step_json(&j->steps[i]));
    for (size_t i = 0; msgs && i < j->nmessages; i++)
        json_array_append_new(msgs, text(j->messages[i]));
    for (size_t i = 0; scripts && i < j->nscripts; i++)
        json_array_append_new(scripts, json_pack("{s:o, s:o}", "path", text(j->scripts[i].path),
                                                 "hash", text(j->scripts[i].hash)));
    json_t *cp = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:[I,I,I]}", "phase",
                           j->cp.phase == IMPEX_PHASE_SWEEP ? "sweeping"
                           : j->cp.phase                    ? "importing"
                                                            : "validating",
                           "step", (json_int_t)j->cp.step, "offset", (json_int_t)j->cp.token.pos[0],
                           "row", (json_int_t)j->cp.row, "line", (json_int_t)j->cp.line, "batch",
                           (json_int_t)j->cp.batch, "token", (json_int_t)j->cp.token.pos[0],
                           (json_int_t)j->cp.token.pos[1], (json_int_t)j->cp.token.pos[2]);
    json_t *root = json_pack(
        "{s:I, s:s, s:o, s:o, s:o, s:o, s:s, s:b, s:o, s:o, s:I, s:I}", "id", (json_int_t)j->id,
        "type", j->type == IMPEX_JOB_EXPORT ? "export" : "import", "tenant", text(j->tenant),
        "group", text(j->group), "source", text(j->source), "file", str_or_null(j->file), "status",
        impex_job_status_name(j->status), "isComplete", impex_job_status_final(j->status),
        "strategy", str_or_null(j->strategy), "operation", str_or_null(j->operation), "maxErrors",
        (json_int_t)j->max_errors, "batchSize", (json_int_t)j->batch_size);
    root = join(root, dialect_json(j));
    root = join(root, counts_json(&j->counts));
    root = join(root,
                json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "batches",
                          (json_int_t)j->batches, "checkpoint", cp, "resources", steps, "scripts",
                          scripts, "messages", msgs, "createdAt", str_or_null(j->created),
                          "startedAt", str_or_null(j->started), "updatedAt",
                          str_or_null(j->updated), "finishedAt", str_or_null(j->finished)));
    if (root && !with_steps)
        json_object_set_new(root, "steps", json_integer((json_int_t)j->nsteps));
    if (root && modes_json(j, root, cp)) {
        json_decref(root);
        root = NULL;
    }
    return dump(root, out);
}

/* Appends the step described by v. */
static int parse_step(impex_job *j, json_t *v)
{
    const char *d = json_string_value(json_object_get(v, "descriptor"));
    const char *r = json_string_value(json_object_get(v, "resource"));
    const char *e = json_string_value(json_object_get(v, "entry"));
    if (!d || !r || !e || impex_job_add_step(j, d, r, e, (size_t)get_u64(v, "index")))
        return IMPEX_EFORMAT;
    impex_step *s = &j->steps[j->nsteps - 1];
    if (status_from_name(json_string_value(json_object_get(v, "status")), &s->status))
        return IMPEX_EFORMAT;
    counts_read(v, &s->counts);
    s->details = dup_or_null(json_string_value(json_object_get(v, "stateDetails")));
    size_t c;
    json_t *col;
    json_array_foreach(json_object_get(v, "columns"), c, col)
    {
        const char *name = json_string_value(col);
        char **grown = realloc(s->columns, (s->ncolumns + 1) * sizeof *grown);
        if (!grown || !(grown[s->ncolumns] = strdup(name ? name : ""))) {
            if (grown) s->columns = grown;
            return IMPEX_ENOMEM;
        }
        s->columns = grown;
        s->ncolumns++;
    }
    return IMPEX_OK;
}

int impex_job_add_step_json(impex_job *j, const char *text, size_t len, impex_err *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(text, len, 0, &jerr);
    int rc = v                                                    ? parse_step(j, v)
             : json_error_code(&jerr) == json_error_out_of_memory ? IMPEX_ENOMEM
                                                                  : IMPEX_EFORMAT;
    json_decref(v);
    if (rc)
        return impex_err_set(err, rc,
                             rc == IMPEX_ENOMEM ? "out of memory" : "job step record is damaged");
    return IMPEX_OK;
}

void impex_counts_add(impex_counts *to, const impex_counts *c)
{
    to->rows += c->rows;
    to->imported += c->imported;
    to->rejected += c->rejected;
    to->created += c->created;
    to->updated += c->updated;
    to->unchanged += c->unchanged;
    to->deleted += c->deleted;
}

/* A timestamp by its name, or by its name before version 2 of the counters. */
static json_t *stamp(json_t *root, const char *name, const char *old)
{
    json_t *v = json_object_get(root, name);
    return v ? v : json_object_get(root, old);
}

static void copy_time(char dst[32], json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, 32, "%s", s ? s : "");
}

/* What modes_json wrote. */
static int modes_read(impex_job *j, json_t *root, json_t *cp)
{
    size_t i;
    json_t *v;
    json_t *del = json_object_get(root, "deleteOmitted");
    if (json_array_size(del)) {
        if (!(j->delete_omitted = calloc(json_array_size(del), sizeof *j->delete_omitted)))
            return IMPEX_ENOMEM;
        json_array_foreach(del, i, v)
        {
            const char *name = json_string_value(v);
            if (!name) return IMPEX_EFORMAT;
            if (!(j->delete_omitted[j->ndelete_omitted] = strdup(name))) return IMPEX_ENOMEM;
            j->ndelete_omitted++;
        }
    }
    const char *part;
    json_object_foreach(json_object_get(root, "contextOverride"), part, v)
    {
        int k = impex_context_index(part);
        if (k < 0 || !json_string_value(v) || j->context[k]) return IMPEX_EFORMAT;
        if (!(j->context[k] = strdup(json_string_value(v)))) return IMPEX_ENOMEM;
    }
    const char *hex = json_string_value(json_object_get(cp, "sweepAfter"));
    size_t n = hex ? strlen(hex) : 0;
    if (n % 2 || n / 2 > sizeof j->sweep_after) return IMPEX_EFORMAT;
    for (size_t k = 0; k < n / 2; k++) {
        unsigned b;
        if (sscanf(hex + 2 * k, "%2x", &b) != 1) return IMPEX_EFORMAT;
        j->sweep_after[k] = (unsigned char)b;
    }
    j->sweep_after_len = n / 2;
    return IMPEX_OK;
}

int impex_job_from_json(const char *text, size_t len, impex_job **out, impex_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    impex_job *j = NULL;
    int rc = IMPEX_EFORMAT; /* until an allocation fails */
    if (!root && json_error_code(&jerr) == json_error_out_of_memory)
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (!root) return impex_err_set(err, IMPEX_EFORMAT, "job record: %s", jerr.text);
    const char *tenant = json_string_value(json_object_get(root, "tenant"));
    const char *group = json_string_value(json_object_get(root, "group"));
    const char *source = json_string_value(json_object_get(root, "source"));
    if (!tenant || !group || !source) goto bad;
    if (impex_job_new(get_u64(root, "id"), tenant, group, source, &j)) {
        rc = IMPEX_ENOMEM;
        goto bad;
    }
    const char *type = json_string_value(json_object_get(root, "type"));
    j->type = type && !strcmp(type, "export") ? IMPEX_JOB_EXPORT : IMPEX_JOB_IMPORT;
    j->file = dup_or_null(json_string_value(json_object_get(root, "file")));
    j->strategy = dup_or_null(json_string_value(json_object_get(root, "strategy")));
    j->operation = dup_or_null(json_string_value(json_object_get(root, "operation")));
    if ((json_is_string(json_object_get(root, "file")) && !j->file) ||
        (json_is_string(json_object_get(root, "strategy")) && !j->strategy) ||
        (json_is_string(json_object_get(root, "operation")) && !j->operation)) {
        rc = IMPEX_ENOMEM;
        goto bad;
    }
    if (dialect_read(root, j)) {
        rc = IMPEX_ENOMEM;
        goto bad;
    }
    j->max_errors = get_u64(root, "maxErrors");
    j->batch_size = get_u64(root, "batchSize");
    if (status_from_name(json_string_value(json_object_get(root, "status")), &j->status)) goto bad;
    counts_read(root, &j->counts);
    j->batches = get_u64(root, "batches");
    json_t *cp = json_object_get(root, "checkpoint");
    const char *phase = json_string_value(json_object_get(cp, "phase"));
    j->cp.phase = !(phase && !strcmp(phase, "validating"));
    if (phase && !strcmp(phase, "sweeping")) j->cp.phase = IMPEX_PHASE_SWEEP;
    if ((rc = modes_read(j, root, cp)) != IMPEX_OK) goto bad;
    rc = IMPEX_EFORMAT;
    j->cp.step = get_u64(cp, "step");
    j->cp.row = get_u64(cp, "row");
    j->cp.line = get_u64(cp, "line");
    j->cp.batch = get_u64(cp, "batch");
    json_t *token = json_object_get(cp, "token");
    if (json_is_array(token) && json_array_size(token) == 3) {
        for (size_t k = 0; k < 3; k++) {
            json_int_t v = json_integer_value(json_array_get(token, k));
            j->cp.token.pos[k] = v > 0 ? (uint64_t)v : 0;
        }
    } else if (j->cp.row) {
        /* A record from before tokens: a CSV byte offset. */
        j->cp.token = (impex_token){{get_u64(cp, "offset"), j->cp.row + 1, j->cp.line}};
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(root, "resources"), i, v)
    {
        if ((rc = parse_step(j, v))) goto bad;
        rc = IMPEX_EFORMAT;
    }
    json_array_foreach(json_object_get(root, "messages"), i, v)
    {
        if (impex_job_message(j, "%s", json_string_value(v) ? json_string_value(v) : "")) {
            rc = IMPEX_ENOMEM;
            goto bad;
        }
    }
    json_array_foreach(json_object_get(root, "scripts"), i, v)
    {
        const char *path = json_string_value(json_object_get(v, "path"));
        const char *hash = json_string_value(json_object_get(v, "hash"));
        if (!path || !hash) goto bad;
        if (impex_job_add_script(j, path, hash)) {
            rc = IMPEX_ENOMEM;
            goto bad;
        }
    }
    copy_time(j->created, stamp(root, "createdAt", "created"));
    copy_time(j->started, stamp(root, "startedAt", "started"));
    copy_time(j->updated, stamp(root, "updatedAt", "updated"));
    copy_time(j->finished, stamp(root, "finishedAt", "finished"));
    json_decref(root);
    *out = j;
    return IMPEX_OK;
bad:
    json_decref(root);
    impex_job_free(j);
    if (rc == IMPEX_ENOMEM) return impex_err_set(err, rc, "out of memory");
    return impex_err_set(err, IMPEX_EFORMAT, "job record is incomplete or corrupt");
}

int impex_job_clone(const impex_job *j, impex_job **out)
{
    impex_buf b = {0};
    int rc = impex_job_to_json(j, &b) ? IMPEX_ENOMEM : impex_job_from_json(b.ptr, b.len, out, NULL);
    impex_buf_free(&b);
    return rc;
}
