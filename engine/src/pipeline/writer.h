/* The writing side of an import: a thread that takes prepared batches off
 * the queue and applies them to the store, each commit holding the batches'
 * records, rejected rows, batch results and the job with its checkpoint.
 * Several queued batches may share one commit (group commit); the job
 * record in that commit carries the checkpoint of the last of them, which
 * covers every batch before it.
 *
 * The writer owns the job while it runs: nobody else reads or writes
 * w->job between impex_writer_start and impex_writer_join. */
#ifndef IMPEX_PIPELINE_WRITER_H
#define IMPEX_PIPELINE_WRITER_H

#include "core/error.h"
#include "lua/descriptor.h"
#include "pipeline/batch.h"
#include "pipeline/engine.h"
#include "pipeline/job.h"
#include "store/dict.h"

#include <pthread.h>

typedef struct impex_writer {
    impex_engine *engine;
    impex_job *job;                                   /* owned by the writer thread while it runs */
    impex_descriptor *const *descs;                   /* one per job step */
    impex_dict *const *dicts;                         /* per step: its resource's field numbers */
    impex_lua *(*lua_new)(void *ctx, impex_err *err); /* makes the writer's Lua state */
    void *lua_ctx;
    impex_queue *queue;
    int rc;      /* outcome, read after join: non-zero = the store refused a commit */
    int stopped; /* the writer ended the job itself (max_errors counted its own rejects) */
    impex_err err;
    pthread_t thread;
} impex_writer;

/* Starts the writer thread. */
int impex_writer_start(impex_writer *w, impex_err *err);
/* Waits for the thread (the producer closes the queue first); returns w->rc. */
int impex_writer_join(impex_writer *w);

#endif
