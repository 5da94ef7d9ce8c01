#include "pipeline/group_guard.h"
#include "core/hash.h"
#include "pipeline/job.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int impex_group_check_upload(const impex_group *g, const char *name, const char *file,
                             impex_err *err)
{
    struct stat st;
    if (!g->max_upload) return IMPEX_OK;
    if (stat(file, &st))
        return impex_err_set(err, IMPEX_EIO, "cannot read %s: %s", file, strerror(errno));
    if ((uint64_t)st.st_size <= g->max_upload) return IMPEX_OK;
    char size[48], limit[48];
    impex_size_format((uint64_t)st.st_size, g->max_upload_unit, size, sizeof size);
    impex_size_format(g->max_upload, g->max_upload_unit, limit, sizeof limit);
    return impex_err_set(err, IMPEX_EUSAGE, "upload of %s is over the %s limit of group %s", size,
                         limit, name);
}

struct impex_group_guard {
    int fd;
};

/* What the group is called in jobs: by its path below descriptors/
 * ("webshop/products-update") or by its base name ("products-update"). */
typedef struct busy_scan {
    const char *tenant;
    char full[512];
    const char *base;
    impex_job *found; /* the newest unfinished job of the group */
    int rc;
} busy_scan;

static int same_group(const busy_scan *b, const char *group)
{
    return !strcmp(group, b->full) || !strcmp(group, b->base);
}

static int each_job(void *ctx, uint64_t id, impex_slice json)
{
    busy_scan *b = ctx;
    impex_job *job;
    impex_err e2;
    (void)id;
    /* Most jobs are finished: skip those without parsing them. */
    if (!memmem(json.ptr, json.len, "IMPORTING", 9) && !memmem(json.ptr, json.len, "IN_QUEUE", 8))
        return 0;
    int rc = impex_job_from_json(json.ptr, json.len, &job, &e2);
    if (rc == IMPEX_ENOMEM) {
        b->rc = rc;
        return 1;
    }
    if (rc) return 0; /* a damaged record is verify's business, not a reason to refuse */
    if ((job->status == IMPEX_JOB_IN_QUEUE || job->status == IMPEX_JOB_IMPORTING) &&
        job->type == IMPEX_JOB_IMPORT && !strcmp(job->tenant, b->tenant) &&
        same_group(b, job->group)) {
        impex_job_free(b->found);
        b->found = job;
        return 0;
    }
    impex_job_free(job);
    return 0;
}

int impex_group_guard_take(impex_engine *e, const char *tenant, const impex_group *g,
                           const char *name, impex_group_guard **out, impex_err *err)
{
    busy_scan b = {.tenant = tenant};
    *out = NULL;
    /* g->path is "descriptors/<full>.group.lua". */
    const char *p = g->path, *pre = "descriptors/", *suf = ".group.lua";
    size_t n = strlen(p);
    if (!strncmp(p, pre, strlen(pre))) p += strlen(pre), n -= strlen(pre);
    if (n >= strlen(suf)) n -= strlen(suf);
    snprintf(b.full, sizeof b.full, "%.*s", (int)n, p);
    b.base = strrchr(b.full, '/') ? strrchr(b.full, '/') + 1 : b.full;

    /* One lock file per tenant and group; the name is a hash (tenants and
     * groups may hold any byte); a collision only serialises two creators. */
    char path[4200];
    impex_buf id = {0};
    if (impex_buf_append(&id, tenant, strlen(tenant) + 1) || impex_buf_puts(&id, b.full)) {
        impex_buf_free(&id);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    snprintf(path, sizeof path, "%s/locks/group-%016llx.lock", e->data_dir,
             (unsigned long long)impex_fnv1a64(id.ptr, id.len));
    impex_buf_free(&id);
    impex_group_guard *gg = malloc(sizeof *gg);
    if (!gg) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    gg->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (gg->fd < 0) {
        free(gg);
        return impex_err_set(err, IMPEX_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    int rc;
    while ((rc = flock(gg->fd, LOCK_EX)) && errno == EINTR)
        ;
    if (rc) {
        rc = impex_err_set(err, IMPEX_EIO, "cannot lock %s: %s", path, strerror(errno));
        goto fail;
    }
    impex_txn *txn;
    if ((rc = impex_txn_begin(e->store, 0, &txn, err))) goto fail;
    rc = impex_job_scan(txn, each_job, &b, err);
    impex_txn_abort(txn);
    if (!rc && b.rc) rc = impex_err_set(err, b.rc, "out of memory");
    if (rc) goto fail;
    if (b.found) {
        const impex_job *j = b.found;
        rc = impex_err_set(err, IMPEX_EUSAGE,
                           "group %s already has job %llu %s for tenant %s (%s %s); wait for it "
                           "or run impex resume %llu",
                           name, (unsigned long long)j->id, impex_job_status_name(j->status),
                           tenant, j->started[0] ? "started" : "created",
                           j->started[0] ? j->started : j->created, (unsigned long long)j->id);
        goto fail;
    }
    *out = gg;
    return IMPEX_OK;
fail:
    impex_job_free(b.found);
    close(gg->fd);
    free(gg);
    return rc;
}

void impex_group_guard_release(impex_group_guard *gg)
{
    if (!gg) return;
    close(gg->fd); /* releases the flock */
    free(gg);
}
