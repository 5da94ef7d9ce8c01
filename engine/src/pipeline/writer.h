/* The writing side of an import: a thread that takes prepared batches off
 * the queue and applies them to the store, each commit holding the batches'
 * records, rejected rows, batch results and the job with its checkpoint.
 * Several queued batches may share one commit (group commit); the job
 * record in that commit carries the checkpoint of the last of them, which
 * covers every batch before it. */
#ifndef IMPEX_PIPELINE_WRITER_H
#define IMPEX_PIPELINE_WRITER_H

#include "core/error.h"
#include "lua/descriptor.h"
#include "pipeline/batch.h"
#include "pipeline/engine.h"
#include "pipeline/job.h"

#include <pthread.h>

typedef struct impex_writer {
    impex_engine *engine;
    impex_job *job;                 /* only the writer thread touches it while running */
    impex_descriptor *const *descs; /* one per job step */
    impex_queue *queue;
    int rc; /* outcome, read after join */
    impex_err err;
    pthread_t thread;
} impex_writer;

/* Starts the writer thread. */
int impex_writer_start(impex_writer *w, impex_err *err);
/* Waits for the thread (the producer closes the queue first); returns w->rc. */
int impex_writer_join(impex_writer *w);

/* Appends a reject record (JSON) to out: where, why and the original fields
 * (fields_json is a JSON array text, or NULL for none). column may be NULL. */
int impex_reject_json(impex_buf *out, size_t step, const char *file, uint64_t row, uint64_t line,
                      const char *column, const char *value, size_t value_len, const char *reason,
                      const char *fields_json, size_t fields_len);

/* The store key under which a rejected row is kept: step-major, then row. */
uint64_t impex_reject_seq(size_t step, uint64_t row);

#endif
