/* The error report of a job: its rejected rows as CSV, or (replay) only the
 * rejected rows of one step in the file's own layout, byte for byte, ready
 * to be fixed and imported again. The CLI and the service both call this. */
#ifndef IMPEX_PIPELINE_REPORT_H
#define IMPEX_PIPELINE_REPORT_H

#include "core/error.h"
#include "pipeline/engine.h"
#include "pipeline/job.h"

#include <stddef.h>
#include <stdint.h>

/* Where the report goes: returns 0, or non-zero to stop. */
typedef int (*impex_write_fn)(void *ctx, const char *p, size_t n);

typedef struct impex_report_opts {
    int replay;  /* only the original rows of one step, in the file's layout */
    size_t step; /* with replay: 1-based step; 0 = the first with rejected rows */
} impex_report_opts;

typedef struct impex_report_stats {
    uint64_t rows;    /* rejected rows written */
    uint64_t cut;     /* rows kept only in part (too big): listed, but left out of a replay */
    uint64_t damaged; /* records that could not be read */
    size_t step;      /* with replay: the 0-based step written */
} impex_report_stats;

/* Writes the report of job (already loaded). IMPEX_ENOTFOUND when a replay
 * has no step to write (no such step, or no rejected rows). */
int impex_report_errors(impex_engine *e, const impex_job *job, const impex_report_opts *o,
                        impex_write_fn write, void *ctx, impex_report_stats *stats, impex_err *err);

#endif
