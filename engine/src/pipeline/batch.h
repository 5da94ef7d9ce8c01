/* A batch: the rows the parser prepared for one store commit, plus the
 * checkpoint that commit makes durable, and the bounded queue that hands
 * batches from the parsing thread to the writing thread. */
#ifndef IMPEX_PIPELINE_BATCH_H
#define IMPEX_PIPELINE_BATCH_H

#include "core/buf.h"
#include "pipeline/job.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* One accepted row: its key and encoded record live in batch->data. */
typedef struct impex_item {
    uint64_t row, line;
    size_t key_off, key_len;
    size_t rec_off, rec_len;
    size_t fields_off, fields_len; /* original fields (impex_reject_encode_fields), or 0 bytes */
    unsigned char op;              /* the row's impex_op (its operation column, else the job's) */
    unsigned char clears;          /* the record holds clear markers (NULL values) */
    size_t refs_off, refs_len;     /* target keys of the descriptor's refs (impex_refs_encode) */
    size_t ctx_off, ctx_len;       /* context values for deleteOmitted's scope, or 0 bytes */
} impex_item;

/* One rejected row, as an encoded reject (pipeline/reject.h) in batch->data. */
typedef struct impex_reject_ref {
    uint64_t row;
    size_t off, len;
} impex_reject_ref;

typedef struct impex_batch {
    size_t step;
    impex_buf data;
    impex_item *items;
    size_t nitems, items_cap;
    impex_reject_ref *rejects;
    size_t nrejects, rejects_cap;
    uint64_t rows;       /* records read in this batch, accepted or not */
    uint64_t first_row;  /* record number of the first row in the batch */
    impex_checkpoint cp; /* where to resume once this batch is committed */
    int end_of_step;     /* the step's last batch: settle the step status */
    int end_of_job;      /* the job's last batch: settle the job status */
    int forced_status;   /* -1, or the impex_job_status to end the job with */
    char *message;       /* job message to record with this batch, or NULL */
    size_t queued_bytes; /* what it counted for in the queue */
    struct impex_batch *next;
} impex_batch;

impex_batch *impex_batch_new(size_t step);
void impex_batch_free(impex_batch *b);
int impex_batch_add_item(impex_batch *b, const impex_item *it);
int impex_batch_add_reject(impex_batch *b, uint64_t row, const char *rec, size_t len);
/* Memory the batch holds, for the queue's byte bound. */
size_t impex_batch_bytes(const impex_batch *b);

/* Bounded FIFO between one producer and one consumer, bounded both by the
 * number of batches and by the bytes they hold, so memory does not depend on
 * what the rows hold. */
typedef struct impex_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    impex_batch *head, *tail;
    size_t len, cap;
    size_t bytes, max_bytes;
    int closed; /* producer is done */
    int failed; /* consumer gave up: producer should stop */
} impex_queue;

int impex_queue_init(impex_queue *q, size_t cap, size_t max_bytes);
void impex_queue_destroy(impex_queue *q);
/* Blocks while full. Returns IMPEX_ECANCEL (and frees b) if the consumer failed. */
int impex_queue_push(impex_queue *q, impex_batch *b);
/* Pops up to max batches (and at most max_bytes of them, but always one)
 * chained through ->next; blocks until at least one is there. Returns NULL
 * once the queue is closed and empty. */
impex_batch *impex_queue_pop_many(impex_queue *q, size_t max);
void impex_queue_close(impex_queue *q);
void impex_queue_fail(impex_queue *q);
int impex_queue_failed(impex_queue *q);

#endif
