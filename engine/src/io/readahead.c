#include "io/readahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4

typedef struct slot {
    char *data;
    ssize_t len; /* bytes, 0 = end of source, -1 = error (in ra->err) */
} slot;

struct impex_readahead {
    impex_read_fn rd;
    void *ctx;
    size_t block;
    slot slots[SLOTS];
    size_t head, count; /* ring: slots[head] is the oldest filled one */
    size_t pos;         /* consumer's position inside slots[head] */
    int stop;           /* consumer is closing */
    impex_err err;
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    pthread_t thread;
};

static void *produce(void *arg)
{
    impex_readahead *ra = arg;
    size_t next = 0;
    for (;;) {
        pthread_mutex_lock(&ra->mu);
        while (ra->count == SLOTS && !ra->stop)
            pthread_cond_wait(&ra->freed, &ra->mu);
        int stop = ra->stop;
        pthread_mutex_unlock(&ra->mu);
        if (stop) return NULL;

        /* The slot is ours until it is published: read without the lock. */
        slot *s = &ra->slots[next];
        impex_err e;
        impex_err_clear(&e);
        s->len = ra->rd(ra->ctx, s->data, ra->block, &e);

        pthread_mutex_lock(&ra->mu);
        if (s->len < 0) ra->err = e;
        ra->count++;
        pthread_cond_signal(&ra->filled);
        pthread_mutex_unlock(&ra->mu);
        if (s->len <= 0) return NULL;
        next = (next + 1) % SLOTS;
    }
}

int impex_readahead_open(impex_read_fn rd, void *ctx, size_t block_size, impex_readahead **out,
                         impex_err *err)
{
    impex_readahead *ra = calloc(1, sizeof *ra);
    if (!ra) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    ra->rd = rd;
    ra->ctx = ctx;
    ra->block = block_size ? block_size : 256 * 1024;
    for (size_t i = 0; i < SLOTS; i++)
        if (!(ra->slots[i].data = malloc(ra->block))) goto nomem;
    if (pthread_mutex_init(&ra->mu, NULL)) goto nomem;
    if (pthread_cond_init(&ra->filled, NULL) || pthread_cond_init(&ra->freed, NULL)) goto nomem;
    if (pthread_create(&ra->thread, NULL, produce, ra)) goto nomem;
    *out = ra;
    return IMPEX_OK;
nomem:
    for (size_t i = 0; i < SLOTS; i++)
        free(ra->slots[i].data);
    free(ra);
    return impex_err_set(err, IMPEX_ENOMEM, "cannot start reading ahead");
}

ssize_t impex_readahead_read(void *arg, void *buf, size_t len, impex_err *err)
{
    impex_readahead *ra = arg;
    pthread_mutex_lock(&ra->mu);
    while (ra->count == 0)
        pthread_cond_wait(&ra->filled, &ra->mu);
    slot *s = &ra->slots[ra->head];
    pthread_mutex_unlock(&ra->mu);
    if (s->len <= 0) {
        /* The end and an error stay in place: later reads see them again. */
        if (s->len < 0 && err) *err = ra->err;
        return s->len;
    }
    size_t n = (size_t)s->len - ra->pos;
    if (n > len) n = len;
    memcpy(buf, s->data + ra->pos, n);
    ra->pos += n;
    if (ra->pos == (size_t)s->len) {
        ra->pos = 0;
        pthread_mutex_lock(&ra->mu);
        ra->head = (ra->head + 1) % SLOTS;
        ra->count--;
        pthread_cond_signal(&ra->freed);
        pthread_mutex_unlock(&ra->mu);
    }
    return (ssize_t)n;
}

void impex_readahead_close(impex_readahead *ra)
{
    if (!ra) return;
    pthread_mutex_lock(&ra->mu);
    ra->stop = 1;
    pthread_cond_signal(&ra->freed);
    pthread_mutex_unlock(&ra->mu);
    pthread_join(ra->thread, NULL);
    pthread_mutex_destroy(&ra->mu);
    pthread_cond_destroy(&ra->filled);
    pthread_cond_destroy(&ra->freed);
    for (size_t i = 0; i < SLOTS; i++)
        free(ra->slots[i].data);
    free(ra);
}
