#include "pipeline/batch.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

impex_batch *impex_batch_new(size_t step)
{
    impex_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->step = step;
    b->forced_status = -1;
    return b;
}

void impex_batch_free(impex_batch *b)
{
    if (!b) return;
    impex_buf_free(&b->data);
    free(b->items);
    free(b->rejects);
    free(b->message);
    free(b);
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return IMPEX_OK;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (!p) return IMPEX_ENOMEM;
    *arr = p;
    *cap = n;
    return IMPEX_OK;
}

int impex_batch_add_item(impex_batch *b, const impex_item *it)
{
    if (grow((void **)&b->items, &b->items_cap, b->nitems + 1, sizeof *it)) return IMPEX_ENOMEM;
    b->items[b->nitems++] = *it;
    return IMPEX_OK;
}

size_t impex_batch_bytes(const impex_batch *b)
{
    return sizeof *b + b->data.cap + b->items_cap * sizeof *b->items +
           b->rejects_cap * sizeof *b->rejects;
}

int impex_batch_add_reject(impex_batch *b, uint64_t row, const char *rec, size_t len)
{
    if (grow((void **)&b->rejects, &b->rejects_cap, b->nrejects + 1, sizeof *b->rejects))
        return IMPEX_ENOMEM;
    impex_reject_ref r = {row, b->data.len, len};
    if (impex_buf_append(&b->data, rec, len)) return IMPEX_ENOMEM;
    b->rejects[b->nrejects++] = r;
    return IMPEX_OK;
}

int impex_queue_init(impex_queue *q, size_t cap, size_t max_bytes)
{
    memset(q, 0, sizeof *q);
    q->max_bytes = max_bytes;
    q->cap = cap ? cap : 1;
    if (pthread_mutex_init(&q->mu, NULL)) return IMPEX_ENOMEM;
    if (pthread_cond_init(&q->not_empty, NULL) || pthread_cond_init(&q->not_full, NULL))
        return IMPEX_ENOMEM;
    return IMPEX_OK;
}

void impex_queue_destroy(impex_queue *q)
{
    impex_batch *b = q->head;
    while (b) {
        impex_batch *next = b->next;
        impex_batch_free(b);
        b = next;
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

int impex_queue_push(impex_queue *q, impex_batch *b)
{
    size_t bytes = impex_batch_bytes(b);
    pthread_mutex_lock(&q->mu);
    /* Full by count or by bytes; one batch always fits in an empty queue. */
    while ((q->len >= q->cap || (q->len && q->bytes + bytes > q->max_bytes)) && !q->failed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->failed) {
        pthread_mutex_unlock(&q->mu);
        impex_batch_free(b);
        return IMPEX_ECANCEL;
    }
    b->next = NULL;
    b->queued_bytes = bytes;
    q->bytes += bytes;
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->len++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return IMPEX_OK;
}

impex_batch *impex_queue_pop_many(impex_queue *q, size_t max)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    impex_batch *first = q->head, *last = NULL;
    size_t n = 0;
    size_t bytes = 0;
    for (impex_batch *b = q->head; b && n < max; b = b->next, n++) {
        if (n && bytes + b->queued_bytes > q->max_bytes) break; /* a commit stays bounded too */
        bytes += b->queued_bytes;
        last = b;
    }
    if (last) {
        q->bytes -= bytes;
        q->head = last->next;
        if (!q->head) q->tail = NULL;
        last->next = NULL;
        q->len -= n;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mu);
    return last ? first : NULL;
}

void impex_queue_close(impex_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

void impex_queue_fail(impex_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->failed = 1;
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

int impex_queue_failed(impex_queue *q)
{
    pthread_mutex_lock(&q->mu);
    int f = q->failed;
    pthread_mutex_unlock(&q->mu);
    return f;
}
