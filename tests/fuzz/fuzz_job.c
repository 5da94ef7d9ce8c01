/* The job JSON parser reads what the store holds, which a torn disk or an
 * older version may have damaged: any bytes must be refused with an error or
 * parsed into a job that writes back to JSON and parses again to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/job.h"

static void check(int ok)
{
    if (!ok) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    impex_job *job = NULL;
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_job_from_json((const char *)data, size, &job, &err);
    if (rc) {
        check(err.code == rc && err.msg[0] && job == NULL);
        return 0;
    }
    check(job != NULL);
    impex_buf a = {0}, b = {0};
    check(impex_job_to_json(job, &a) == 0);
    impex_job *again = NULL;
    check(impex_job_from_json(a.ptr, a.len, &again, &err) == 0);
    check(impex_job_to_json(again, &b) == 0);
    check(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
    impex_job_free(again);
    impex_job_free(job);
    free(a.ptr);
    free(b.ptr);
    return 0;
}
