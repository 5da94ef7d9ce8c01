#include "pipeline/engine.h"
#include "io/xml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int make_dir(const char *path, impex_err *err)
{
    if (mkdir(path, 0700) && errno != EEXIST)
        return impex_err_set(err, IMPEX_EIO, "cannot create %s: %s", path, strerror(errno));
    return IMPEX_OK;
}

int impex_engine_open(const impex_engine_opts *o, impex_engine **out, impex_err *err)
{
    char path[4096];
    impex_engine *e = calloc(1, sizeof *e);
    if (!e) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    e->data_dir = strdup(o->data_dir);
    e->scripts_root = strdup(o->scripts_root);
    if (!e->data_dir || !e->scripts_root) {
        impex_engine_close(e);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    if (o->limits)
        e->limits = *o->limits;
    else
        impex_limits_default(&e->limits);
    if (o->lua_limits)
        e->lua_limits = *o->lua_limits;
    else
        impex_lua_limits_default(&e->lua_limits);
    e->group_commit = o->group_commit ? o->group_commit : 8;
    /* libxml2's own first-use setup is not thread-safe: done once here. */
    impex_xml_init();
    int rc = 0;
    if (!o->read_only) {
        rc = make_dir(e->data_dir, err);
        const char *subs[] = {"files", "locks"};
        for (size_t i = 0; !rc && i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s", e->data_dir, subs[i]);
            rc = make_dir(path, err);
        }
    }
    if (!rc) {
        impex_store_opts so = {.map_size = o->map_size, .read_only = o->read_only};
        snprintf(path, sizeof path, "%s/store", e->data_dir);
        rc = impex_store_open(path, &so, &e->store, err);
        /* Reading a data folder nothing was imported into: no store, and
         * every query answers empty rather than creating one. */
        if (rc == IMPEX_ENOTFOUND && o->read_only) {
            impex_err_clear(err);
            rc = IMPEX_OK;
        }
    }
    if (rc) {
        impex_engine_close(e);
        return rc;
    }
    *out = e;
    return IMPEX_OK;
}

void impex_engine_close(impex_engine *e)
{
    if (!e) return;
    impex_store_close(e->store);
    free(e->data_dir);
    free(e->scripts_root);
    free(e);
}
