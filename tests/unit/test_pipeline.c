/* The pipeline's parts on their own: the batch queue, the record overlay,
 * the job record, the reject encoding, and the writer thread against a real
 * LMDB store in a temp dir under $IMPEX_TMP. */
#include "pipeline/batch.h"
#include "pipeline/engine.h"
#include "pipeline/job.h"
#include "pipeline/job_store.h"
#include "store/reject.h"
#include "pipeline/writer.h"
#include "store/codec.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- the queue ------------------------------------------------------------- */

typedef struct pusher {
    impex_queue *q;
    int n, pushed, rc;
    size_t bytes; /* data per batch */
} pusher;

static impex_batch *batch_of(size_t step, size_t bytes)
{
    impex_batch *b = impex_batch_new(step);
    assert_non_null(b);
    assert_int_equal(impex_buf_reserve(&b->data, bytes), 0);
    return b;
}

static void *push_main(void *arg)
{
    pusher *p = arg;
    for (int i = 0; i < p->n; i++) {
        if ((p->rc = impex_queue_push(p->q, batch_of((size_t)i, p->bytes)))) return NULL;
        __atomic_add_fetch(&p->pushed, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void free_chain(impex_batch *b)
{
    while (b) {
        impex_batch *next = b->next;
        impex_batch_free(b);
        b = next;
    }
}

static void wait_for(int *counter, int want)
{
    for (int i = 0; i < 2000 && __atomic_load_n(counter, __ATOMIC_SEQ_CST) < want; i++)
        usleep(1000);
    usleep(20000); /* and a moment more: a push that should block does not get through */
}

static void test_queue_bounded_by_count(void **state)
{
    (void)state;
    impex_queue q;
    assert_int_equal(impex_queue_init(&q, 3, SIZE_MAX), 0);
    pusher p = {.q = &q, .n = 5, .bytes = 16};
    pthread_t t;
    pthread_create(&t, NULL, push_main, &p);
    wait_for(&p.pushed, 3);
    assert_int_equal(__atomic_load_n(&p.pushed, __ATOMIC_SEQ_CST), 3); /* the 4th waits */
    impex_batch *chain = impex_queue_pop_many(&q, 2);
    assert_non_null(chain);
    assert_int_equal(chain->step, 0);
    assert_int_equal(chain->next->step, 1);
    assert_null(chain->next->next);
    free_chain(chain);
    pthread_join(t, NULL);
    assert_int_equal(p.rc, 0);
    impex_queue_close(&q);
    size_t seen = 2;
    while ((chain = impex_queue_pop_many(&q, 8))) {
        for (impex_batch *b = chain; b; b = b->next)
            assert_int_equal(b->step, seen++); /* FIFO */
        free_chain(chain);
    }
    assert_int_equal(seen, 5);
    impex_queue_destroy(&q);
}

static void test_queue_bounded_by_bytes(void **state)
{
    (void)state;
    impex_queue q;
    /* Room for two 1 MiB batches by bytes (as the queue counts them), 100 by count. */
    impex_batch *sample = batch_of(0, 1u << 20);
    size_t one = impex_batch_bytes(sample);
    impex_batch_free(sample);
    assert_int_equal(impex_queue_init(&q, 100, one * 5 / 2), 0);
    pusher p = {.q = &q, .n = 4, .bytes = 1u << 20};
    pthread_t t;
    pthread_create(&t, NULL, push_main, &p);
    wait_for(&p.pushed, 2);
    assert_int_equal(__atomic_load_n(&p.pushed, __ATOMIC_SEQ_CST), 2);
    assert_true(q.bytes <= q.max_bytes);
    /* A pop takes at most max_bytes too (but always one batch). */
    impex_batch *chain = impex_queue_pop_many(&q, 8);
    size_t n = 0;
    for (impex_batch *b = chain; b; b = b->next)
        n++;
    assert_true(n >= 1 && n <= 2);
    free_chain(chain);
    pthread_join(t, NULL);
    impex_queue_close(&q);
    while ((chain = impex_queue_pop_many(&q, 8)))
        free_chain(chain);
    assert_int_equal(q.bytes, 0);
    impex_queue_destroy(&q);

    /* One batch bigger than the bound still goes through an empty queue. */
    assert_int_equal(impex_queue_init(&q, 4, 1024), 0);
    assert_int_equal(impex_queue_push(&q, batch_of(0, 1u << 20)), 0);
    impex_queue_close(&q);
    chain = impex_queue_pop_many(&q, 4);
    assert_non_null(chain);
    free_chain(chain);
    impex_queue_destroy(&q);
}

static void test_queue_fail_stops_producer(void **state)
{
    (void)state;
    impex_queue q;
    assert_int_equal(impex_queue_init(&q, 1, SIZE_MAX), 0);
    pusher p = {.q = &q, .n = 3, .bytes = 8};
    pthread_t t;
    pthread_create(&t, NULL, push_main, &p);
    wait_for(&p.pushed, 1);
    impex_queue_fail(&q); /* the consumer gives up: the blocked push returns */
    pthread_join(t, NULL);
    assert_int_equal(p.rc, IMPEX_ECANCEL);
    assert_true(impex_queue_failed(&q));
    impex_queue_destroy(&q);
}

/* --- the record overlay ------------------------------------------------------ */

static void encode(impex_buf *out, const char *const *kv, size_t n)
{
    impex_value v[8];
    for (size_t i = 0; i < n; i++)
        v[i] = (impex_value){kv[2 * i],     strlen(kv[2 * i]),     IMPEX_V_STRING,
                             kv[2 * i + 1], strlen(kv[2 * i + 1]), 0};
    impex_buf_reset(out);
    assert_int_equal(impex_codec_encode(NULL, v, n, (impex_slice){0}, out), 0);
}

static void test_overlay(void **state)
{
    (void)state;
    impex_buf old = {0}, upd = {0}, out = {0}, js = {0};
    impex_err err;
    encode(&old, (const char *[]){"Code", "A", "Name", "old", "Price", "1"}, 3);
    encode(&upd, (const char *[]){"Price", "2", "Code", "A", "Extra", "new"}, 3);
    assert_int_equal(impex_codec_overlay(NULL, (impex_slice){0}, (impex_slice){old.ptr, old.len},
                                         (impex_slice){upd.ptr, upd.len}, &out, &err),
                     0);
    assert_int_equal(
        impex_codec_to_json(NULL, (impex_slice){0}, (impex_slice){out.ptr, out.len}, &js, &err), 0);
    /* Stored order first, the update's values win, new fields after. */
    assert_string_equal(js.ptr,
                        "{\"Code\":\"A\",\"Name\":\"old\",\"Price\":\"2\",\"Extra\":\"new\"}");
    /* A damaged stored record is an error, not a crash. */
    assert_int_equal(impex_codec_overlay(NULL, (impex_slice){0}, (impex_slice){"\x01\x05", 2},
                                         (impex_slice){upd.ptr, upd.len}, &out, &err),
                     IMPEX_EFORMAT);
    impex_buf_free(&old);
    impex_buf_free(&upd);
    impex_buf_free(&out);
    impex_buf_free(&js);
}

/* --- the job record -------------------------------------------------------------- */

static void test_job_record_round_trip(void **state)
{
    (void)state;
    impex_job *j, *back;
    assert_int_equal(impex_job_new(7, "t1", "catalog", "caf\xe9.zip", &j), 0);
    assert_string_equal(j->source, "caf\\xE9.zip"); /* visible, never dropped */
    j->type = IMPEX_JOB_EXPORT;
    j->status = IMPEX_JOB_EXPORTING;
    assert_int_equal(impex_job_add_step(j, "descriptors/a.lua", "Products", "p\xff.csv", 3), 0);
    char *cols[] = {"Code", "Gr\xf6\337e", "N\0x"}; /* \337 is 0xDF: an 'e' may follow */
    size_t lens[] = {4, 5, 3};
    assert_int_equal(impex_job_set_columns(j, 0, cols, lens, 3), 0);
    assert_int_equal(impex_job_add_script(j, "descriptors/a.lua", "0123456789abcdef"), 0);
    j->cp = (impex_checkpoint){.phase = 1, .step = 0, .token = {{100, 5, 6}}, .row = 4, .line = 6};
    assert_int_equal(impex_job_message(j, "%s", "store failure: disk full"), 0);
    assert_int_equal(impex_job_message(j, "%s", "kept"), 0);
    impex_job_drop_messages(j, IMPEX_STORE_FAILURE_PREFIX);
    assert_int_equal(j->nmessages, 1);
    impex_buf js = {0};
    assert_int_equal(impex_job_to_json(j, &js), 0);
    assert_int_equal(impex_job_from_json(js.ptr, js.len, &back, NULL), 0);
    assert_int_equal(back->type, IMPEX_JOB_EXPORT);
    assert_int_equal(back->status, IMPEX_JOB_EXPORTING);
    assert_false(impex_job_status_final(back->status));
    assert_string_equal(back->steps[0].entry, "p\\xFF.csv");
    assert_int_equal(back->steps[0].index, 3);
    assert_int_equal(back->steps[0].ncolumns, 3);
    assert_string_equal(back->steps[0].columns[1], "Gr\\xF6\\xDFe");
    assert_string_equal(back->steps[0].columns[2], "N\\x00x");
    assert_memory_equal(&back->cp.token, &j->cp.token, sizeof j->cp.token);
    assert_int_equal(back->cp.row, 4);
    assert_string_equal(back->scripts[0].hash, "0123456789abcdef");
    assert_string_equal(back->messages[0], "kept");
    impex_job *copy;
    assert_int_equal(impex_job_clone(back, &copy), 0);
    assert_string_equal(copy->source, back->source);
    impex_job_free(copy);
    impex_job_free(back);
    impex_job_free(j);
    /* A damaged record is an error. */
    assert_int_equal(impex_job_from_json("{\"id\":1", 7, &back, NULL), IMPEX_EFORMAT);
    impex_buf_free(&js);
}

/* --- the reject encoding -------------------------------------------------------- */

static void test_reject_round_trip(void **state)
{
    (void)state;
    char *big = malloc(IMPEX_REJECT_KEEP_FIELDS + 10);
    assert_non_null(big);
    memset(big, 'z', IMPEX_REJECT_KEEP_FIELDS + 10);
    impex_slice fields[] = {{"a\0b", 3}, {"Caf\xe9", 4}, {big, IMPEX_REJECT_KEEP_FIELDS + 10}};
    impex_reject r = {.step = 2,
                      .file = {"f.csv", 5},
                      .row = 9,
                      .line = 11,
                      .column = {"Name", 4},
                      .value = {"Caf\xe9", 4},
                      .reason = {"bad", 3},
                      .fields = fields,
                      .nfields = 2};
    impex_buf b = {0};
    assert_int_equal(impex_reject_encode(&r, &b), 0);
    impex_reject d;
    assert_int_equal(impex_reject_decode((impex_slice){b.ptr, b.len}, &d, NULL), 0);
    assert_int_equal(d.step, 2);
    assert_int_equal(d.row, 9);
    assert_int_equal(d.nfields, 2);
    assert_int_equal(d.fields[0].len, 3);
    assert_memory_equal(d.fields[0].ptr, "a\0b", 3);
    assert_memory_equal(d.value.ptr, "Caf\xe9", 4);
    assert_false(d.cut);
    impex_reject_free(&d);
    /* Too long: kept in part, with the full length. */
    r.nfields = 3;
    impex_buf_reset(&b);
    assert_int_equal(impex_reject_encode(&r, &b), 0);
    assert_int_equal(impex_reject_decode((impex_slice){b.ptr, b.len}, &d, NULL), 0);
    assert_true(d.cut);
    assert_int_equal(d.field_len[2], IMPEX_REJECT_KEEP_FIELDS + 10);
    assert_true(d.fields[2].len < d.field_len[2]);
    impex_reject_free(&d);
    /* Every truncation of a record is refused, never read past. */
    for (size_t n = 0; n < b.len; n += (n < 64 ? 1 : 997))
        assert_int_equal(impex_reject_decode((impex_slice){b.ptr, n}, &d, NULL), IMPEX_EFORMAT);
    assert_int_equal(impex_reject_seq(0, 5), (1ull << 40) | 5);
    impex_buf_free(&b);
    free(big);
}

/* --- the writer against a real store ------------------------------------------------ */

typedef struct fixture {
    char tmp[PATH_MAX];
    impex_engine *e;
} fixture;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *base = getenv("IMPEX_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0700);
    snprintf(f->tmp, sizeof f->tmp, "%s/impex-pipeline-XXXXXX", base);
    assert_non_null(mkdtemp(f->tmp));
    impex_engine_opts o = {.data_dir = f->tmp, .scripts_root = f->tmp};
    impex_err err;
    assert_int_equal(impex_engine_open(&o, &f->e, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    impex_engine_close(f->e);
    nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void add_row(impex_batch *b, uint64_t row, const char *code, const char *name)
{
    impex_item it = {.row = row, .line = row};
    impex_slice part = {code, strlen(code)};
    it.key_off = b->data.len;
    assert_int_equal(impex_key_encode(&part, 1, &b->data), 0);
    it.key_len = b->data.len - it.key_off;
    impex_value v[2] = {{"Code", 4, IMPEX_V_STRING, code, strlen(code), 0},
                        {"Name", 4, IMPEX_V_STRING, name, strlen(name), 0}};
    impex_buf rec = {0};
    assert_int_equal(impex_codec_encode(NULL, v, 2, part, &rec), 0);
    it.rec_off = b->data.len;
    assert_int_equal(impex_buf_append(&b->data, rec.ptr, rec.len), 0);
    impex_buf_free(&rec);
    it.rec_len = b->data.len - it.rec_off;
    assert_int_equal(impex_batch_add_item(b, &it), 0);
    b->rows++;
}

static void test_writer_commits_batches_and_checkpoint(void **state)
{
    fixture *f = *state;
    impex_err err;
    impex_field_rule fields[2] = {{.name = "Code", .required = 1}, {.name = "Name"}};
    size_t key = 0;
    impex_descriptor d = {.name = "t",
                          .resource = "Things",
                          .op = IMPEX_OP_UPSERT,
                          .fields = fields,
                          .nfields = 2,
                          .key = &key,
                          .nkey = 1,
                          .accumulate = 1}; /* A comes twice: the second overlays */
    impex_descriptor *descs[1] = {&d};
    impex_job *job;
    assert_int_equal(impex_job_new(1, "t1", "g", "f.csv", &job), 0);
    assert_int_equal(impex_job_add_step(job, "descriptors/t.lua", "Things", "f.csv", 0), 0);
    job->status = IMPEX_JOB_IMPORTING;
    assert_int_equal(impex_store_ensure_resource(f->e->store, "Things", &err), 0);

    impex_queue q;
    assert_int_equal(impex_queue_init(&q, 4, SIZE_MAX), 0);
    impex_dict *dicts[1] = {NULL}; /* every field by name */
    impex_writer w = {.engine = f->e, .job = job, .descs = descs, .dicts = dicts, .queue = &q};
    assert_int_equal(impex_writer_start(&w, &err), 0);
    impex_batch *b1 = impex_batch_new(0), *b2 = impex_batch_new(0);
    add_row(b1, 2, "A", "one");
    add_row(b1, 3, "B", "two");
    b1->first_row = 2;
    b1->cp = (impex_checkpoint){.phase = 1, .token = {{30, 4, 4}}, .row = 3, .line = 4};
    add_row(b2, 4, "A", "three"); /* overlays A */
    b2->first_row = 4;
    b2->cp = (impex_checkpoint){.phase = 1, .step = 1, .line = 1};
    b2->end_of_step = b2->end_of_job = 1;
    assert_int_equal(impex_queue_push(&q, b1), 0);
    assert_int_equal(impex_queue_push(&q, b2), 0);
    impex_queue_close(&q);
    assert_int_equal(impex_writer_join(&w), 0);
    impex_queue_destroy(&q);

    /* What a reader sees: the committed job and records. */
    impex_job *seen;
    assert_int_equal(impex_job_load(f->e, "t1", 1, &seen, &err), 0);
    assert_int_equal(seen->status, IMPEX_JOB_COMPLETED);
    assert_int_equal(seen->counts.rows, 3);
    assert_int_equal(seen->counts.imported, 3);
    assert_int_equal(seen->batches, 2);
    assert_int_equal(seen->cp.step, 1);
    assert_int_equal(seen->steps[0].status, IMPEX_JOB_COMPLETED);
    impex_job_free(seen);
    impex_txn *txn;
    impex_slice val;
    impex_buf js = {0};
    assert_int_equal(impex_txn_begin(f->e->store, 0, &txn, &err), 0);
    assert_int_equal(impex_record_get(txn, "Things", "t1", (impex_slice){"A", 1}, &val, &err), 0);
    assert_int_equal(impex_codec_to_json(NULL, (impex_slice){"A", 1}, val, &js, &err), 0);
    assert_string_equal(js.ptr, "{\"Code\":\"A\",\"Name\":\"three\"}");
    uint64_t n;
    assert_int_equal(impex_record_count(txn, "Things", "t1", &n, &err), 0);
    assert_int_equal(n, 2);
    impex_txn_abort(txn);
    impex_buf_free(&js);
    impex_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_bounded_by_count),
        cmocka_unit_test(test_queue_bounded_by_bytes),
        cmocka_unit_test(test_queue_fail_stops_producer),
        cmocka_unit_test(test_overlay),
        cmocka_unit_test(test_job_record_round_trip),
        cmocka_unit_test(test_reject_round_trip),
        cmocka_unit_test_setup_teardown(test_writer_commits_batches_and_checkpoint, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
