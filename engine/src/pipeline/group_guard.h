/* Checks `impex import` makes for a group before a job exists: the upload
 * size limit (group key max_upload), and one import per tenant and group at
 * a time. The second is race-free: a lock file per tenant and group is held
 * from the check until the new job is recorded, so two processes creating
 * at the same moment see each other's job. */
#ifndef IMPEX_PIPELINE_GROUP_GUARD_H
#define IMPEX_PIPELINE_GROUP_GUARD_H

#include "core/error.h"
#include "lua/descriptor.h"
#include "pipeline/engine.h"

#include <stdint.h>

/* IMPEX_EUSAGE when file is larger than g's max_upload ("upload of 6.1 MB
 * is over the 5 MB limit of group webshop/products-update"). name: the
 * group as the caller named it. */
int impex_group_check_upload(const impex_group *g, const char *name, const char *file,
                             impex_err *err);

typedef struct impex_group_guard impex_group_guard;

/* Takes the tenant+group lock (waiting for another creator), then refuses
 * with IMPEX_EUSAGE when a job of the tenant for the same group is IN_QUEUE
 * or IMPORTING, naming it. On success the caller records its job, then
 * releases the guard. */
int impex_group_guard_take(impex_engine *e, const char *tenant, const impex_group *g,
                           const char *name, impex_group_guard **out, impex_err *err);
/* Safe with NULL. */
void impex_group_guard_release(impex_group_guard *gg);

#endif
