/* Store tests against a real LMDB environment in a temp dir under $IMPEX_TMP. */
#include "store/store.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture {
    char tmp[PATH_MAX];        /* removed after the test */
    char store[PATH_MAX + 16]; /* tmp/data/store: not there yet, open creates it */
} fixture;

static impex_slice S(const char *s)
{
    return (impex_slice){s, strlen(s)};
}

static int slice_eq(impex_slice a, const char *s)
{
    return a.len == strlen(s) && memcmp(a.ptr, s, a.len) == 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *base = getenv("IMPEX_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0700); /* ctest points IMPEX_TMP at build/tmp, which may not exist yet */
    snprintf(f->tmp, sizeof f->tmp, "%s/impex-store-XXXXXX", base);
    assert_non_null(mkdtemp(f->tmp));
    snprintf(f->store, sizeof f->store, "%s/data/store", f->tmp);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static impex_store *open_store(const char *dir, int read_only)
{
    impex_store_opts opts = {0, read_only};
    impex_store *s = NULL;
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_store_open(dir, &opts, &s, &err);
    if (rc) fail_msg("open %s: %s", dir, err.msg);
    return s;
}

static impex_txn *begin(impex_store *s, int write)
{
    impex_txn *t = NULL;
    impex_err err;
    int rc = impex_txn_begin(s, write, &t, &err);
    if (rc) fail_msg("begin: %s", err.msg);
    return t;
}

static void commit(impex_txn *t)
{
    impex_err err;
    int rc = impex_txn_commit(t, &err);
    if (rc) fail_msg("commit: %s", err.msg);
}

static void ensure(impex_store *s, const char *resource)
{
    impex_err err;
    int rc = impex_store_ensure_resource(s, resource, &err);
    if (rc) fail_msg("ensure %s: %s", resource, err.msg);
}

static void put(impex_txn *t, const char *res, const char *tenant, const char *key, const char *val)
{
    impex_err err;
    int rc = impex_record_put(t, res, tenant, S(key), S(val), &err);
    if (rc) fail_msg("put %s/%s: %s", tenant, key, err.msg);
}

static void assert_get(impex_txn *t, const char *res, const char *tenant, const char *key,
                       const char *want)
{
    impex_err err;
    impex_slice v = {0};
    int rc = impex_record_get(t, res, tenant, S(key), &v, &err);
    if (rc) fail_msg("get %s/%s: %s", tenant, key, err.msg);
    assert_true(slice_eq(v, want));
}

static void assert_absent(impex_txn *t, const char *res, const char *tenant, const char *key)
{
    impex_err err;
    impex_err_clear(&err);
    impex_slice v = {0};
    assert_int_equal(impex_record_get(t, res, tenant, S(key), &v, &err), IMPEX_ENOTFOUND);
    assert_int_equal(err.code, IMPEX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "not found"));
}

static uint64_t count(impex_txn *t, const char *res, const char *tenant)
{
    uint64_t n = 99;
    impex_err err;
    int rc = impex_record_count(t, res, tenant, &n, &err);
    if (rc) fail_msg("count: %s", err.msg);
    return n;
}

/* Collects "key=value" strings of a scan (NUL in keys shown as '|'). */
typedef struct collected {
    char items[64][80];
    int n;
    int stop_after; /* 0: never */
} collected;

static int collect_record(void *ctx, impex_slice key, impex_slice val)
{
    collected *c = ctx;
    if (c->n == 64) return -1;
    char k[40];
    size_t kl = key.len < sizeof k - 1 ? key.len : sizeof k - 1;
    for (size_t i = 0; i < kl; i++)
        k[i] = key.ptr[i] ? key.ptr[i] : '|';
    k[kl] = '\0';
    snprintf(c->items[c->n++], sizeof c->items[0], "%s=%.*s", k, (int)val.len, val.ptr);
    if (c->stop_after && c->n == c->stop_after) return 42;
    return 0;
}

static int collect_blob(void *ctx, uint64_t id, impex_slice json)
{
    collected *c = ctx;
    if (c->n == 64) return -1;
    snprintf(c->items[c->n++], sizeof c->items[0], "%" PRIu64 "=%.*s", id, (int)json.len, json.ptr);
    return 0;
}

static collected *scan(impex_txn *t, const char *res, const char *tenant)
{
    static _Thread_local collected c;
    memset(&c, 0, sizeof c);
    impex_err err;
    int rc = impex_record_scan(t, res, tenant, collect_record, &c, &err);
    if (rc) fail_msg("scan: %s", err.msg);
    return &c;
}

static void assert_items(const collected *c, int n, const char *const *want)
{
    assert_int_equal(c->n, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(c->items[i], want[i]);
}

/* --- tests ----------------------------------------------------------------- */

static void test_records_per_tenant(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    ensure(s, "Product");
    ensure(s, "Product"); /* idempotent */

    impex_txn *t = begin(s, 1);
    put(t, "Product", "a", "k2", "a-k2");
    put(t, "Product", "a", "k1", "a-k1");
    put(t, "Product", "a", "k3", "a-k3");
    put(t, "Product", "a", "bc", "a-bc"); /* "a\0bc" must not look like tenant "ab" */
    put(t, "Product", "b", "k1", "b-k1");
    put(t, "Product", "ab", "c", "ab-c");
    put(t, "Product", "ab", "k1", "ab-k1");
    put(t, "Product", "", "k1", "empty-k1");
    impex_err err;
    assert_int_equal(
        impex_record_put(t, "Product", "a", (impex_slice){"P1\0en", 5}, S("a-P1-en"), &err), 0);
    commit(t);

    t = begin(s, 0);
    assert_get(t, "Product", "a", "k1", "a-k1");
    assert_get(t, "Product", "b", "k1", "b-k1");
    assert_get(t, "Product", "ab", "k1", "ab-k1");
    assert_get(t, "Product", "", "k1", "empty-k1");
    assert_absent(t, "Product", "b", "k2");
    assert_absent(t, "Product", "a", "c");   /* tenant ab's key */
    assert_absent(t, "Product", "ab", "bc"); /* tenant a's key */
    impex_err_clear(&err);
    impex_slice v;
    assert_int_equal(impex_record_get(t, "Product", "b", S("k2"), &v, &err), IMPEX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "b/k2"));
    assert_non_null(strstr(err.msg, "Product"));

    const char *want_a[] = {"P1|en=a-P1-en", "bc=a-bc", "k1=a-k1", "k2=a-k2", "k3=a-k3"};
    assert_items(scan(t, "Product", "a"), 5, want_a);
    const char *want_b[] = {"k1=b-k1"};
    assert_items(scan(t, "Product", "b"), 1, want_b);
    const char *want_ab[] = {"c=ab-c", "k1=ab-k1"};
    assert_items(scan(t, "Product", "ab"), 2, want_ab);
    const char *want_empty[] = {"k1=empty-k1"};
    assert_items(scan(t, "Product", ""), 1, want_empty);
    assert_int_equal(scan(t, "Product", "x")->n, 0);
    assert_int_equal(scan(t, "Product", "aa")->n, 0);

    assert_int_equal(count(t, "Product", "a"), 5);
    assert_int_equal(count(t, "Product", "b"), 1);
    assert_int_equal(count(t, "Product", "ab"), 2);
    assert_int_equal(count(t, "Product", ""), 1);
    assert_int_equal(count(t, "Product", "x"), 0);
    impex_txn_abort(t);

    /* overwrite and delete */
    t = begin(s, 1);
    put(t, "Product", "a", "k1", "a-k1-v2");
    assert_int_equal(impex_record_del(t, "Product", "a", S("k2"), &err), 0);
    impex_err_clear(&err);
    assert_int_equal(impex_record_del(t, "Product", "a", S("k2"), &err), IMPEX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "a/k2"));
    assert_int_equal(impex_record_del(t, "Product", "b", S("k3"), &err), IMPEX_ENOTFOUND);
    commit(t);

    t = begin(s, 0);
    assert_get(t, "Product", "a", "k1", "a-k1-v2");
    assert_absent(t, "Product", "a", "k2");
    assert_get(t, "Product", "b", "k1", "b-k1");
    assert_int_equal(count(t, "Product", "a"), 4);
    assert_int_equal(count(t, "Product", "b"), 1);
    impex_txn_abort(t);

    /* The record writer's put_new: stores only a new key (appended while keys
     * sort last, looked up once they do not), else hands back the stored value */
    t = begin(s, 1);
    impex_slice existing = {0};
    impex_record_writer *wa, *wb, *never;
    assert_int_equal(impex_record_writer_open(t, "Product", "a", &wa, &err), 0);
    assert_int_equal(impex_record_writer_open(t, "Product", "b", &wb, &err), 0);
    assert_int_equal(impex_record_writer_put_new(wb, S("new"), S("b-new"), &existing, &err), 0);
    impex_err_clear(&err);
    assert_int_equal(impex_record_writer_put_new(wb, S("new"), S("b-other"), &existing, &err),
                     IMPEX_EEXISTS);
    assert_int_equal(err.code, 0); /* not an error for the caller */
    assert_true(slice_eq(existing, "b-new"));
    assert_int_equal(impex_record_writer_put_new(wb, S("k1"), S("b-k1-x"), NULL, &err),
                     IMPEX_EEXISTS);
    /* the same key of another tenant is new */
    assert_int_equal(impex_record_writer_put_new(wa, S("new"), S("a-new"), NULL, &err), 0);
    assert_int_equal(impex_record_writer_open(t, "Never", "a", &never, &err), IMPEX_EUSAGE);
    impex_record_writer_close(wa);
    impex_record_writer_close(wb);
    commit(t);
    t = begin(s, 0);
    assert_get(t, "Product", "b", "new", "b-new");
    assert_get(t, "Product", "b", "k1", "b-k1");
    assert_get(t, "Product", "a", "new", "a-new");
    assert_int_equal(impex_record_writer_open(t, "Product", "b", &wb, &err),
                     IMPEX_EUSAGE); /* read txn */
    impex_txn_abort(t);

    /* A DB holding one tenant only (count takes the mdb_stat path) */
    ensure(s, "Solo");
    t = begin(s, 1);
    for (int i = 0; i < 5; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        put(t, "Solo", "t", k, "v");
    }
    commit(t);
    t = begin(s, 0);
    assert_int_equal(count(t, "Solo", "t"), 5);
    assert_int_equal(count(t, "Solo", "s"), 0);
    assert_int_equal(count(t, "Solo", "u"), 0);
    assert_int_equal(count(t, "Solo", "tt"), 0);
    assert_int_equal(count(t, "Solo", ""), 0);
    impex_txn_abort(t);
    impex_store_close(s);
}

static void test_scan_order_and_stop(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    ensure(s, "Item");
    impex_txn *t = begin(s, 1);
    for (int i = 49; i >= 0; i--) { /* reverse insertion order */
        char k[16], v[16];
        snprintf(k, sizeof k, "k%03d", i * 7);
        snprintf(v, sizeof v, "v%d", i);
        put(t, "Item", "t", k, v);
    }
    commit(t);

    t = begin(s, 0);
    collected *c = scan(t, "Item", "t");
    assert_int_equal(c->n, 50);
    for (int i = 0; i < 50; i++) {
        char want[40];
        snprintf(want, sizeof want, "k%03d=v%d", i * 7, i);
        assert_string_equal(c->items[i], want);
    }
    /* a callback's non-zero return stops the scan and is returned */
    collected stop = {.stop_after = 10};
    impex_err err;
    assert_int_equal(impex_record_scan(t, "Item", "t", collect_record, &stop, &err), 42);
    assert_int_equal(stop.n, 10);
    assert_string_equal(stop.items[9], "k063=v9");
    impex_txn_abort(t);
    impex_store_close(s);
}

static void test_abort_and_reopen(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    ensure(s, "Product");
    impex_txn *t = begin(s, 1);
    put(t, "Product", "a", "gone", "x");
    impex_txn_abort(t);
    impex_txn_abort(NULL);

    t = begin(s, 0);
    assert_absent(t, "Product", "a", "gone");
    assert_int_equal(count(t, "Product", "a"), 0);
    impex_txn_abort(t);

    t = begin(s, 1);
    put(t, "Product", "a", "kept", "y");
    commit(t);
    impex_store_close(s);

    /* reopened: no ensure needed to read an existing resource */
    s = open_store(f->store, 0);
    t = begin(s, 0);
    assert_get(t, "Product", "a", "kept", "y");
    assert_absent(t, "Product", "a", "gone");
    assert_int_equal(count(t, "Product", "a"), 1);
    impex_txn_abort(t);
    /* and writing to it also works without ensure after a reopen */
    t = begin(s, 1);
    put(t, "Product", "a", "more", "z");
    commit(t);
    assert_true(impex_store_file_size(s) > 0);
    impex_store_close(s);
}

static void test_job_ids(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    uint64_t id = 0;

    impex_txn *t = begin(s, 1);
    assert_int_equal(impex_job_alloc_id(t, &id, &err), 0);
    assert_int_equal(id, 1);
    commit(t);
    t = begin(s, 1);
    assert_int_equal(impex_job_alloc_id(t, &id, &err), 0);
    assert_int_equal(id, 2);
    assert_int_equal(impex_job_alloc_id(t, &id, &err), 0);
    assert_int_equal(id, 3);
    commit(t);
    impex_store_close(s);

    s = open_store(f->store, 0);
    t = begin(s, 1);
    assert_int_equal(impex_job_alloc_id(t, &id, &err), 0);
    assert_int_equal(id, 4);
    impex_txn_abort(t); /* the allocation is rolled back with the txn */
    t = begin(s, 1);
    assert_int_equal(impex_job_alloc_id(t, &id, &err), 0);
    assert_int_equal(id, 4);
    assert_int_equal(impex_job_put(t, 300, S("{\"id\":300}"), &err), 0);
    assert_int_equal(impex_job_put(t, 2, S("{\"id\":2}"), &err), 0);
    assert_int_equal(impex_job_put(t, 1, S("{\"id\":1}"), &err), 0);
    assert_int_equal(impex_job_put(t, 2, S("{\"id\":2,\"v\":2}"), &err), 0);
    commit(t);

    t = begin(s, 0);
    impex_err_clear(&err);
    assert_int_equal(impex_job_alloc_id(t, &id, &err), IMPEX_EUSAGE);
    impex_slice json;
    assert_int_equal(impex_job_get(t, 2, &json, &err), 0);
    assert_true(slice_eq(json, "{\"id\":2,\"v\":2}"));
    impex_err_clear(&err);
    assert_int_equal(impex_job_get(t, 99, &json, &err), IMPEX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "job 99"));
    collected c = {0};
    assert_int_equal(impex_job_scan(t, collect_blob, &c, &err), 0);
    const char *want[] = {"1={\"id\":1}", "2={\"id\":2,\"v\":2}", "300={\"id\":300}"};
    assert_items(&c, 3, want);
    impex_txn_abort(t);
    impex_store_close(s);
}

static void test_batches_and_rejects(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    const uint64_t jobs[] = {2, 1, 256, 3};
    const uint64_t seqs[] = {256, 1, 10, 2};
    impex_txn *t = begin(s, 1);
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++) {
            char v[32];
            snprintf(v, sizeof v, "j%" PRIu64 "s%" PRIu64, jobs[j], seqs[i]);
            assert_int_equal(impex_reject_put(t, jobs[j], seqs[i], S(v), &err), 0);
            if (jobs[j] != 3) /* job 3 has rejects but no batches */
                assert_int_equal(impex_batch_put(t, jobs[j], seqs[i], S(v), &err), 0);
        }
    commit(t);

    t = begin(s, 0);
    collected c = {0};
    assert_int_equal(impex_reject_scan(t, 1, collect_blob, &c, &err), 0);
    const char *want1[] = {"1=j1s1", "2=j1s2", "10=j1s10", "256=j1s256"};
    assert_items(&c, 4, want1);
    memset(&c, 0, sizeof c);
    assert_int_equal(impex_reject_scan(t, 3, collect_blob, &c, &err), 0);
    const char *want3[] = {"1=j3s1", "2=j3s2", "10=j3s10", "256=j3s256"};
    assert_items(&c, 4, want3);
    memset(&c, 0, sizeof c);
    assert_int_equal(impex_reject_scan(t, 2, collect_blob, &c, &err), 0);
    const char *want2[] = {"1=j2s1", "2=j2s2", "10=j2s10", "256=j2s256"};
    assert_items(&c, 4, want2);
    memset(&c, 0, sizeof c);
    assert_int_equal(impex_reject_scan(t, 4, collect_blob, &c, &err), 0);
    assert_int_equal(c.n, 0);

    memset(&c, 0, sizeof c);
    assert_int_equal(impex_batch_scan(t, 256, collect_blob, &c, &err), 0);
    const char *wantb[] = {"1=j256s1", "2=j256s2", "10=j256s10", "256=j256s256"};
    assert_items(&c, 4, wantb);
    memset(&c, 0, sizeof c);
    assert_int_equal(impex_batch_scan(t, 3, collect_blob, &c, &err), 0);
    assert_int_equal(c.n, 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(impex_batch_scan(t, 0, collect_blob, &c, &err), 0);
    assert_int_equal(c.n, 0);
    impex_txn_abort(t);
    impex_store_close(s);
}

static void test_files(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    impex_txn *t = begin(s, 1);
    assert_int_equal(impex_file_put(t, "f-1", S("{\"name\":\"a.csv\"}"), &err), 0);
    commit(t);
    t = begin(s, 0);
    impex_slice json;
    assert_int_equal(impex_file_get(t, "f-1", &json, &err), 0);
    assert_true(slice_eq(json, "{\"name\":\"a.csv\"}"));
    impex_err_clear(&err);
    assert_int_equal(impex_file_get(t, "nope", &json, &err), IMPEX_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nope"));
    impex_txn_abort(t);
    impex_store_close(s);
}

static void test_read_only(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    ensure(s, "Product");
    impex_txn *t = begin(s, 1);
    put(t, "Product", "a", "k1", "v1");
    commit(t);
    impex_store_close(s);

    s = open_store(f->store, 1);
    t = begin(s, 0);
    assert_get(t, "Product", "a", "k1", "v1");
    assert_int_equal(count(t, "Product", "a"), 1);
    assert_absent(t, "Other", "a", "k1");
    impex_err err;
    impex_err_clear(&err);
    assert_int_equal(impex_record_put(t, "Product", "a", S("k2"), S("x"), &err), IMPEX_EUSAGE);
    impex_txn_abort(t);
    impex_txn *w = NULL;
    assert_int_equal(impex_txn_begin(s, 1, &w, &err), IMPEX_EUSAGE);
    assert_null(w);
    assert_int_equal(impex_store_ensure_resource(s, "Product", &err), 0);
    assert_int_equal(impex_store_ensure_resource(s, "Other", &err), IMPEX_EUSAGE);
    impex_store_close(s);

    /* missing dir: fails, creates nothing */
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/missing", f->tmp);
    impex_store_opts ro = {0, 1};
    impex_store *none = (impex_store *)1;
    impex_err_clear(&err);
    assert_int_equal(impex_store_open(missing, &ro, &none, &err), IMPEX_ENOTFOUND);
    assert_null(none);
    assert_int_equal(err.code, IMPEX_ENOTFOUND);
    assert_non_null(strstr(err.msg, missing));
    struct stat st;
    assert_int_not_equal(stat(missing, &st), 0);
    /* a dir without a store */
    assert_int_equal(impex_store_open(f->tmp, &ro, &none, &err), IMPEX_ENOTFOUND);
    assert_null(none);
}

static void test_never_created_resource(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    for (int write = 0; write <= 1; write++) {
        impex_txn *t = begin(s, write);
        assert_absent(t, "Never", "a", "k");
        assert_int_equal(scan(t, "Never", "a")->n, 0);
        assert_int_equal(count(t, "Never", "a"), 0);
        if (write) {
            impex_err_clear(&err);
            assert_int_equal(impex_record_put(t, "Never", "a", S("k"), S("v"), &err), IMPEX_EUSAGE);
            assert_non_null(strstr(err.msg, "r:Never"));
            assert_int_equal(impex_record_del(t, "Never", "a", S("k"), &err), IMPEX_ENOTFOUND);
        }
        impex_txn_abort(t);
    }
    impex_store_close(s);
}

static void test_usage_errors(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    ensure(s, "Product");
    assert_int_equal(impex_store_ensure_resource(s, "", &err), IMPEX_EUSAGE);
    assert_int_equal(impex_store_ensure_resource(s, NULL, &err), IMPEX_EUSAGE);

    impex_txn *t = begin(s, 1);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    impex_err_clear(&err);
    assert_int_equal(impex_record_put(t, "Product", "a", S(big), S("v"), &err), IMPEX_ELIMIT);
    assert_non_null(strstr(err.msg, "too long"));
    /* a second write txn in the same thread would deadlock inside LMDB */
    impex_txn *t2 = NULL;
    assert_int_equal(impex_txn_begin(s, 1, &t2, &err), IMPEX_EUSAGE);
    assert_null(t2);
    assert_int_equal(impex_store_ensure_resource(s, "New", &err), IMPEX_EUSAGE);
    assert_int_equal(impex_store_ensure_resource(s, "Product", &err), 0); /* known: fine */
    /* several read txns may be open in the same thread, also beside a write txn */
    impex_txn *r1 = begin(s, 0), *r2 = begin(s, 0);
    impex_txn_abort(r1);
    impex_txn_abort(r2);
    commit(t);

    t = begin(s, 0);
    impex_err_clear(&err);
    assert_int_equal(impex_record_put(t, "Product", "a", S("k"), S("v"), &err), IMPEX_EUSAGE);
    assert_int_equal(impex_job_put(t, 1, S("{}"), &err), IMPEX_EUSAGE);
    /* committing a read txn is fine */
    commit(t);
    impex_store_close(s);
}

static void test_map_full(void **state)
{
    fixture *f = *state;
    impex_store_opts opts = {1 << 20, 0}; /* 1 MiB */
    impex_store *s = NULL;
    impex_err err;
    assert_int_equal(impex_store_open(f->store, &opts, &s, &err), 0);
    ensure(s, "Big");
    impex_txn *t = begin(s, 1);
    char val[1000];
    memset(val, 'v', sizeof val);
    int rc = 0;
    for (int i = 0; i < 10000 && rc == 0; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%05d", i);
        impex_err_clear(&err);
        rc = impex_record_put(t, "Big", "t", S(k), (impex_slice){val, sizeof val}, &err);
    }
    assert_int_equal(rc, IMPEX_ESTORE);
    assert_non_null(strstr(err.msg, "IMPEX_MAP_SIZE"));
    assert_non_null(strstr(err.msg, "store: "));
    /* the txn is dead: commit fails, and frees it (ASan checks the leak) */
    impex_err_clear(&err);
    assert_int_equal(impex_txn_commit(t, &err), IMPEX_ESTORE);
    assert_non_null(strstr(err.msg, "commit failed"));
    /* the store stays usable */
    t = begin(s, 1);
    put(t, "Big", "t", "small", "ok");
    commit(t);
    t = begin(s, 0);
    assert_get(t, "Big", "t", "small", "ok");
    assert_int_equal(count(t, "Big", "t"), 1);
    impex_txn_abort(t);
    impex_store_close(s);
}

/* --- threads ---------------------------------------------------------------- */

enum { BASE_ROWS = 100, WRITER_TXNS = 20, ROWS_PER_TXN = 50 };

typedef struct writer_ctx {
    impex_store *s;
    atomic_int committed;
    atomic_int done;
    int failed;
    char msg[800];
} writer_ctx;

static void *writer_main(void *arg)
{
    writer_ctx *w = arg;
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_store_ensure_resource(w->s, "Late", &err);
    for (int i = 0; rc == 0 && i < WRITER_TXNS; i++) {
        impex_txn *t = NULL;
        rc = impex_txn_begin(w->s, 1, &t, &err);
        for (int j = 0; rc == 0 && j < ROWS_PER_TXN; j++) {
            char k[32];
            snprintf(k, sizeof k, "w%03d-%03d", i, j);
            rc = impex_record_put(t, "Product", "t", S(k), S("w"), &err);
            if (rc == 0) rc = impex_record_put(t, "Late", "t", S(k), S("w"), &err);
        }
        if (t) rc = rc ? (impex_txn_abort(t), rc) : impex_txn_commit(t, &err);
        if (rc == 0) atomic_fetch_add(&w->committed, 1);
    }
    if (rc) {
        w->failed = rc;
        snprintf(w->msg, sizeof w->msg, "%s", err.msg);
    }
    atomic_store(&w->done, 1);
    return NULL;
}

typedef struct reader_ctx {
    impex_txn *t;
    uint64_t n;
    int rc;
} reader_ctx;

static void *reader_main(void *arg)
{
    reader_ctx *r = arg;
    impex_err err;
    r->rc = impex_record_count(r->t, "Product", "t", &r->n, &err);
    return NULL;
}

static int count_record(void *ctx, impex_slice key, impex_slice val)
{
    (void)key;
    (void)val;
    (*(uint64_t *)ctx)++;
    return 0;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    ensure(s, "Product");
    impex_txn *t = begin(s, 1);
    for (int i = 0; i < BASE_ROWS; i++) {
        char k[16];
        snprintf(k, sizeof k, "base%03d", i);
        put(t, "Product", "t", k, "b");
    }
    commit(t);

    impex_txn *old = begin(s, 0); /* snapshot before the writer starts */
    writer_ctx w = {.s = s};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    int rounds = 0;
    uint64_t last = BASE_ROWS;
    while (!atomic_load(&w.done) || rounds == 0) {
        /* the old snapshot never changes, not even for a DB created since */
        uint64_t seen = 0;
        impex_err err;
        assert_int_equal(impex_record_scan(old, "Product", "t", count_record, &seen, &err), 0);
        assert_int_equal(seen, BASE_ROWS);
        assert_int_equal(count(old, "Product", "t"), BASE_ROWS);
        assert_int_equal(count(old, "Late", "t"), 0);
        assert_absent(old, "Late", "t", "w000-000");
        /* a fresh read txn sees whole commits only, in order */
        impex_txn *now = begin(s, 0);
        uint64_t n = count(now, "Product", "t");
        uint64_t late = count(now, "Late", "t");
        impex_txn_abort(now);
        assert_int_equal((n - BASE_ROWS) % ROWS_PER_TXN, 0);
        assert_true(n >= last);
        assert_true(late >= n - BASE_ROWS); /* Late was committed with Product */
        last = n;
        rounds++;
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    if (w.failed) fail_msg("writer: %s", w.msg);
    assert_int_equal(atomic_load(&w.committed), WRITER_TXNS);
    assert_int_equal(count(old, "Product", "t"), BASE_ROWS);
    impex_txn_abort(old);

    /* a read txn may be used by another thread */
    reader_ctx r = {.t = begin(s, 0)};
    assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, BASE_ROWS + WRITER_TXNS * ROWS_PER_TXN);
    assert_int_equal(count(r.t, "Late", "t"), WRITER_TXNS * ROWS_PER_TXN);
    impex_txn_abort(r.t);
    impex_store_close(s);
}

/* Resources created by a writer thread while the main thread keeps beginning
 * read txns and reading them: the DB handle table is shared by both. */
enum { NEW_RESOURCES = 40 };

static void *creator_main(void *arg)
{
    writer_ctx *w = arg;
    impex_err err;
    int rc = 0;
    for (int i = 0; rc == 0 && i < NEW_RESOURCES; i++) {
        char res[16];
        snprintf(res, sizeof res, "Res%02d", i);
        impex_txn *t = NULL;
        rc = impex_store_ensure_resource(w->s, res, &err);
        if (rc == 0) rc = impex_txn_begin(w->s, 1, &t, &err);
        if (rc == 0) rc = impex_record_put(t, res, "t", S("k"), S(res), &err);
        if (t) rc = rc ? (impex_txn_abort(t), rc) : impex_txn_commit(t, &err);
        if (rc == 0) atomic_fetch_add(&w->committed, 1);
    }
    if (rc) {
        w->failed = rc;
        snprintf(w->msg, sizeof w->msg, "%s", err.msg);
    }
    atomic_store(&w->done, 1);
    return NULL;
}

static void test_threads_new_resources(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    writer_ctx w = {.s = s};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, creator_main, &w), 0);
    int done = 0;
    while (!done) {
        done = atomic_load(&w.done);
        int before = atomic_load(&w.committed);
        impex_txn *t = begin(s, 0);
        int seen = 0;
        for (int i = 0; i < NEW_RESOURCES; i++) {
            char res[16];
            snprintf(res, sizeof res, "Res%02d", i);
            uint64_t n = count(t, res, "t");
            assert_true(n <= 1);
            if (n) assert_get(t, res, "t", "k", res);
            /* commits are in order: no gap */
            assert_true(n == 0 || seen == i);
            seen += (int)n;
        }
        impex_txn_abort(t);
        assert_true(seen >= before);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    if (w.failed) fail_msg("creator: %s", w.msg);
    impex_txn *t = begin(s, 0);
    for (int i = 0; i < NEW_RESOURCES; i++) {
        char res[16];
        snprintf(res, sizeof res, "Res%02d", i);
        assert_int_equal(count(t, res, "t"), 1);
    }
    impex_txn_abort(t);
    impex_store_close(s);
}

/* Another process creates a resource while this one has the store open. */
static void test_other_process(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_txn *old = begin(s, 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        impex_store *c = NULL;
        impex_txn *t = NULL;
        impex_err err;
        int rc = impex_store_open(f->store, NULL, &c, &err);
        if (!rc) rc = impex_store_ensure_resource(c, "Other", &err);
        if (!rc) rc = impex_txn_begin(c, 1, &t, &err);
        for (int i = 0; !rc && i < 3; i++) {
            char k[16];
            snprintf(k, sizeof k, "o%d", i);
            rc = impex_record_put(t, "Other", "t", S(k), S("child"), &err);
        }
        if (!rc) rc = impex_txn_commit(t, &err);
        if (rc) fprintf(stderr, "child: %s\n", err.msg);
        impex_store_close(c);
        _exit(rc ? 1 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    assert_int_equal(count(old, "Other", "t"), 0); /* older snapshot */
    impex_txn_abort(old);
    /* a write txn picks up the new DB */
    impex_txn *t = begin(s, 1);
    assert_int_equal(count(t, "Other", "t"), 3);
    put(t, "Other", "t", "parent", "p");
    commit(t);
    t = begin(s, 0);
    assert_int_equal(count(t, "Other", "t"), 4);
    assert_get(t, "Other", "t", "o1", "child");
    impex_txn_abort(t);
    impex_store_close(s);
}

/* --- paging, walk, backup ---------------------------------------------------- */

/* Keys seen by the pages: every key must come once, in increasing order. */
typedef struct paged {
    int seen[4000]; /* times each key number was visited */
    int last;       /* last key number, -1 before the first */
    int n;
    int disorder;
} paged;

static int page_record(void *ctx, impex_slice key, impex_slice val)
{
    paged *p = ctx;
    (void)val;
    char k[16];
    assert_true(key.len == 5);
    memcpy(k, key.ptr, 5);
    k[5] = '\0';
    int i = atoi(k + 1);
    if (i <= p->last) p->disorder++;
    p->last = i;
    p->seen[i]++;
    p->n++;
    return 0;
}

static void put_n(impex_store *s, const char *tenant, int from, int to, int step)
{
    impex_txn *t = begin(s, 1);
    for (int i = from; i < to; i += step) {
        char k[16];
        snprintf(k, sizeof k, "k%04d", i);
        put(t, "Paged", tenant, k, "value");
    }
    commit(t);
}

static void test_record_page(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    impex_buf last = {0}, after = {0};
    int done = 0;
    paged *p = calloc(1, sizeof *p);
    assert_non_null(p);

    /* never created: empty and done */
    p->last = -1;
    assert_int_equal(
        impex_record_page(s, "Paged", "t", S(""), 10, page_record, p, &last, &done, &err), 0);
    assert_true(done);
    assert_int_equal(p->n, 0);

    ensure(s, "Paged");
    put_n(s, "s", 0, 50, 1); /* neighbours on both sides of tenant t */
    put_n(s, "u", 0, 50, 1);
    put_n(s, "t", 0, 2000, 2); /* even keys */

    /* every record once, in key order, 7 at a time */
    int pages = 0;
    for (done = 0; !done; pages++) {
        assert_int_equal(impex_record_page(s, "Paged", "t", (impex_slice){after.ptr, after.len}, 7,
                                           page_record, p, &last, &done, &err),
                         0);
        impex_buf_reset(&after);
        impex_buf_append(&after, last.ptr, last.len);
    }
    assert_int_equal(p->n, 1000);
    assert_int_equal(p->disorder, 0);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(p->seen[i], i % 2 == 0);
    assert_int_equal(pages, 143); /* ceil(1000 / 7), done on the last page */

    /* writers between pages: keys inserted ahead are visited, keys behind
     * are not, nothing twice, order kept */
    memset(p, 0, sizeof *p);
    p->last = -1;
    impex_buf_reset(&after);
    int round = 0;
    for (done = 0; !done; round++) {
        assert_int_equal(impex_record_page(s, "Paged", "t", (impex_slice){after.ptr, after.len}, 50,
                                           page_record, p, &last, &done, &err),
                         0);
        impex_buf_reset(&after);
        impex_buf_append(&after, last.ptr, last.len);
        if (round == 3) put_n(s, "t", 1, 2000, 2); /* odd keys, behind and ahead */
    }
    assert_int_equal(p->disorder, 0);
    int behind = p->seen[1] + p->seen[199], ahead = p->seen[1999];
    assert_int_equal(behind, 0);
    assert_int_equal(ahead, 1);
    for (int i = 0; i < 2000; i++)
        assert_true(p->seen[i] <= 1);
    for (int i = 0; i < 2000; i += 2)
        assert_int_equal(p->seen[i], 1);

    /* a page after the last key is empty and done; a stop is returned */
    assert_int_equal(
        impex_record_page(s, "Paged", "t", S("k9999"), 5, page_record, p, &last, &done, &err), 0);
    assert_true(done);
    collected c = {.stop_after = 2};
    assert_int_equal(
        impex_record_page(s, "Paged", "t", S(""), 5, collect_record, &c, &last, &done, &err), 42);
    assert_true(slice_eq((impex_slice){last.ptr, last.len}, "k0001"));
    assert_int_equal(
        impex_record_page(s, "Paged", "t", S(""), 0, page_record, p, &last, &done, &err),
        IMPEX_EUSAGE);
    impex_buf_free(&last);
    impex_buf_free(&after);
    free(p);
    impex_store_close(s);
}

/* A child process that holds a write transaction until told to stop.
 * Returns its pid; write a byte to *stop to release it. */
static pid_t hold_writer(const char *dir, int *stop)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        impex_store *c = NULL;
        impex_txn *t = NULL;
        impex_err err;
        char b = 0;
        close(ready[0]);
        close(go[1]); /* so that a parent that dies releases the writer too */
        int rc = impex_store_open(dir, NULL, &c, &err);
        if (!rc) rc = impex_txn_begin(c, 1, &t, &err);
        if (!rc) rc = impex_record_put(t, "Paged", "t", S("k0000"), S("held"), &err);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1) rc = 1;
        impex_txn_abort(t);
        impex_store_close(c);
        _exit(rc ? 1 : 0);
    }
    close(ready[1]);
    close(go[0]);
    char b;
    assert_int_equal(read(ready[0], &b, 1), 1);
    close(ready[0]);
    *stop = go[1];
    return pid;
}

static void release_writer(pid_t pid, int stop)
{
    int status = 0;
    assert_int_equal(write(stop, "g", 1), 1);
    close(stop);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_reads_and_backup_beside_a_writer(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    ensure(s, "Paged");
    put_n(s, "t", 0, 300, 1);
    impex_store_close(s);

    int stop;
    pid_t pid = hold_writer(f->store, &stop);
    alarm(20); /* a read that waits for the writer would hang here */
    s = open_store(f->store, 1);
    impex_txn *t = begin(s, 0);
    assert_int_equal(count(t, "Paged", "t"), 300);
    impex_txn_abort(t);
    paged *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->last = -1;
    impex_buf last = {0};
    int done = 0;
    impex_err err;
    assert_int_equal(
        impex_record_page(s, "Paged", "t", S(""), 1000, page_record, p, &last, &done, &err), 0);
    assert_int_equal(p->n, 300);

    char dest[PATH_MAX + 16];
    snprintf(dest, sizeof dest, "%s/backup", f->tmp);
    assert_int_equal(mkdir(dest, 0700), 0);
    int rc = impex_store_backup(s, dest, &err);
    if (rc) fail_msg("backup: %s", err.msg);
    alarm(0);
    impex_store_close(s);
    release_writer(pid, stop);

    s = open_store(dest, 1);
    t = begin(s, 0);
    assert_int_equal(count(t, "Paged", "t"), 300);
    assert_get(t, "Paged", "t", "k0000", "value"); /* the writer's uncommitted put is not there */
    impex_txn_abort(t);
    impex_store_close(s);
    impex_buf_free(&last);
    free(p);
}

typedef struct walked {
    char dbs[16][64];
    uint64_t entries[16], header[16];
    int ndbs, damage;
} walked;

static int walk_db_cb(void *ctx, const char *db, uint64_t entries)
{
    walked *w = ctx;
    assert_true(w->ndbs < 16);
    snprintf(w->dbs[w->ndbs], sizeof w->dbs[0], "%s", db);
    w->header[w->ndbs++] = entries;
    return 0;
}

static int walk_entry_cb(void *ctx, const char *db, impex_slice key, impex_slice val)
{
    walked *w = ctx;
    char why[200];
    (void)db;
    w->entries[w->ndbs - 1]++;
    if (impex_store_check_entry(db, NULL, key, val, why, sizeof why)) w->damage++;
    return 0;
}

static int walk_damage_cb(void *ctx, const char *db, const char *what)
{
    (void)db;
    (void)what;
    ((walked *)ctx)->damage++;
    return 0;
}

static void test_walk_and_check(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    ensure(s, "Product");
    impex_txn *t = begin(s, 1);
    impex_err err;
    uint64_t id;
    /* a record in the codec's encoding: one string field A = "x" */
    static const char rec[] = {1, 1, 1, 'A', 1, 1, 'x'};
    assert_int_equal(
        impex_record_put(t, "Product", "t", S("k"), (impex_slice){rec, sizeof rec}, &err), 0);
    assert_int_equal(impex_job_alloc_id(t, &id, &err), 0);
    assert_int_equal(impex_batch_put(t, id, 1, S("{\"rows\":1}"), &err), 0);
    commit(t);
    walked w = {0};
    impex_walk_ops ops = {walk_db_cb, walk_entry_cb, walk_damage_cb};
    assert_int_equal(impex_store_walk(s, &ops, &w, &err), 0);
    assert_int_equal(w.damage, 0);
    int seen_records = 0;
    for (int i = 0; i < w.ndbs; i++) {
        assert_int_equal(w.entries[i], w.header[i]);
        if (!strcmp(w.dbs[i], "r:Product")) seen_records = (int)w.entries[i];
    }
    assert_int_equal(seen_records, 1);
    impex_store_close(s);

    char why[200];
    impex_slice k8 = {"\0\0\0\0\0\0\0\1", 8}, k16 = {"\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\1", 16};
    assert_int_equal(impex_store_check_entry("r:P", NULL, (impex_slice){"t\0k", 3},
                                             (impex_slice){rec, sizeof rec}, why, sizeof why),
                     0);
    assert_int_equal(impex_store_check_entry("r:P", NULL, S("tk"), (impex_slice){rec, sizeof rec},
                                             why, sizeof why),
                     IMPEX_EFORMAT);
    assert_int_equal(impex_store_check_entry("r:P", NULL, (impex_slice){"\0k", 2},
                                             (impex_slice){rec, sizeof rec}, why, sizeof why),
                     IMPEX_EFORMAT);
    assert_int_equal(impex_store_check_entry("r:P", NULL, (impex_slice){"t\0", 2},
                                             (impex_slice){rec, sizeof rec}, why, sizeof why),
                     IMPEX_EFORMAT);
    assert_int_equal(impex_store_check_entry("r:P", NULL, (impex_slice){"t\0k", 3},
                                             (impex_slice){rec, sizeof rec - 1}, why, sizeof why),
                     IMPEX_EFORMAT);
    assert_int_equal(impex_store_check_entry("jobs", NULL, k8, S("{}"), why, sizeof why), 0);
    assert_int_equal(impex_store_check_entry("jobs", NULL, k16, S("{}"), why, sizeof why),
                     IMPEX_EFORMAT);
    assert_int_equal(impex_store_check_entry("rejects", NULL, k16, S("{\"a\":"), why, sizeof why),
                     IMPEX_EFORMAT);
    assert_int_equal(
        impex_store_check_entry("batches", NULL, k16, S("{\"rows\":1}"), why, sizeof why), 0);
    assert_int_equal(
        impex_store_check_entry("meta", NULL, S("next_job_id"), S("1234"), why, sizeof why),
        IMPEX_EFORMAT);
}

/* A full disk is named as such (not "Input/output error"). Needs a small
 * file system: mounts a tmpfs when allowed (root), else skips. */
static void test_disk_full(void **state)
{
    fixture *f = *state;
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/small", f->tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    if (mount("tmpfs", dir, "tmpfs", 0, "size=512k") != 0) {
        skip();
        return;
    }
    impex_store_opts opts = {64 << 20, 0};
    impex_store *s = NULL;
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_store_open(dir, &opts, &s, &err);
    if (!rc) rc = impex_store_ensure_resource(s, "Big", &err);
    char val[1000];
    memset(val, 'v', sizeof val);
    for (int round = 0; round < 1000 && rc == 0; round++) {
        impex_txn *t = NULL;
        rc = impex_txn_begin(s, 1, &t, &err);
        for (int i = 0; i < 20 && rc == 0; i++) {
            char k[32];
            snprintf(k, sizeof k, "k%06d", round * 20 + i);
            rc = impex_record_put(t, "Big", "t", S(k), (impex_slice){val, sizeof val}, &err);
        }
        if (rc == 0)
            rc = impex_txn_commit(t, &err);
        else
            impex_txn_abort(t);
    }
    impex_store_close(s);
    umount2(dir, MNT_DETACH);
    assert_int_equal(rc, IMPEX_ESTORE);
    if (!strstr(err.msg, "disk full")) fail_msg("not named a full disk: %s", err.msg);
}

static void test_reject_page(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    uint64_t last = 0;
    int done = 0;
    collected c = {0};
    assert_int_equal(impex_reject_page(s, 1, 0, 1, 3, collect_blob, &c, &last, &done, &err), 0);
    assert_true(done);
    impex_txn *t = begin(s, 1);
    for (uint64_t job = 0; job < 3; job++)
        for (uint64_t seq = 0; seq < 10; seq++) {
            char js[32];
            snprintf(js, sizeof js, "{\"j\":%" PRIu64 "}", job);
            assert_int_equal(impex_reject_put(t, job, seq * 7, S(js), &err), 0);
        }
    commit(t);
    int pages = 0;
    uint64_t after = 0;
    for (done = 0; !done; pages++) {
        assert_int_equal(
            impex_reject_page(s, 1, after, pages == 0, 3, collect_blob, &c, &last, &done, &err), 0);
        after = last;
    }
    assert_int_equal(c.n, 10);
    for (int i = 0; i < 10; i++) {
        char want[32];
        snprintf(want, sizeof want, "%d={\"j\":1}", i * 7);
        assert_string_equal(c.items[i], want);
    }
    assert_int_equal(pages, 4);
    impex_store_close(s);
}

static int drop_odd(void *ctx, impex_slice key, impex_slice val, int *del)
{
    (void)ctx;
    (void)val;
    *del = (key.ptr[key.len - 1] - '0') % 2;
    return 0;
}

static void test_seen_and_sweep(void **state)
{
    fixture *f = *state;
    impex_store *s = open_store(f->store, 0);
    impex_err err;
    impex_seen_writer *w;
    uint64_t row = 0, job = 0;
    impex_txn *t = begin(s, 1);
    assert_int_equal(impex_seen_writer_open(t, &w, &err), 0);
    /* in order (appending), then out of order, then a key seen before */
    assert_int_equal(impex_seen_add(w, 7, 1, S("a"), 2, &row, &err), 0);
    assert_int_equal(impex_seen_add(w, 7, 1, S("c"), 3, &row, &err), 0);
    assert_int_equal(impex_seen_add(w, 7, 1, S("b"), 4, &row, &err), 0);
    assert_int_equal(impex_seen_add(w, 7, 1, S("a"), 9, &row, &err), IMPEX_EEXISTS);
    assert_int_equal(row, 2);
    /* another set and another job keep their own keys */
    assert_int_equal(impex_seen_add(w, 7, 3, S("a"), 5, &row, &err), 0);
    assert_int_equal(impex_seen_add(w, 9, 1, S("a"), 6, &row, &err), 0);
    assert_int_equal(impex_seen_add(w, 7, 1, S("d"), 8, &row, &err), 0);
    assert_int_equal(impex_seen_undo(w, &err), 0); /* d's row was rejected after all */
    impex_seen_writer_close(w);
    commit(t);

    t = begin(s, 0);
    assert_int_equal(impex_seen_get(t, 7, 1, S("b"), &row, &err), 0);
    assert_int_equal(row, 4);
    assert_int_equal(impex_seen_get(t, 7, 3, S("a"), &row, &err), 0);
    assert_int_equal(row, 5);
    assert_int_equal(impex_seen_get(t, 7, 1, S("d"), &row, &err), IMPEX_ENOTFOUND);
    assert_int_equal(impex_seen_get(t, 8, 1, S("a"), &row, &err), IMPEX_ENOTFOUND);
    assert_int_equal(impex_seen_next_job(t, 0, &job, &err), 0);
    assert_int_equal(job, 7);
    assert_int_equal(impex_seen_next_job(t, 8, &job, &err), 0);
    assert_int_equal(job, 9);
    assert_int_equal(impex_seen_next_job(t, 10, &job, &err), IMPEX_ENOTFOUND);
    impex_txn_abort(t);

    /* cleared in bounded steps, other jobs untouched */
    int done = 0, rounds = 0;
    while (!done) {
        t = begin(s, 1);
        assert_int_equal(impex_seen_clear(t, 7, 2, &done, &err), 0);
        commit(t);
        rounds++;
    }
    assert_int_equal(rounds, 2);
    t = begin(s, 0);
    assert_int_equal(impex_seen_next_job(t, 0, &job, &err), 0);
    assert_int_equal(job, 9);
    impex_txn_abort(t);

    /* the sweep: deletes what cb marks, at most max_del a call, resumable by key */
    assert_int_equal(impex_store_ensure_resource(s, "Res", &err), 0);
    t = begin(s, 1);
    for (int i = 0; i < 10; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(impex_record_put(t, "Res", "t1", S(k), S("v"), &err), 0);
    }
    assert_int_equal(impex_record_put(t, "Res", "t2", S("k1"), S("v"), &err), 0);
    commit(t);
    impex_buf last = {0}, after = {0};
    uint64_t deleted = 0, total = 0;
    done = 0;
    for (rounds = 0; !done; rounds++) {
        t = begin(s, 1);
        assert_int_equal(impex_record_sweep(t, "Res", "t1", (impex_slice){after.ptr, after.len},
                                            100, 2, drop_odd, NULL, &last, &done, &deleted, &err),
                         0);
        commit(t);
        total += deleted;
        impex_buf_reset(&after);
        impex_buf_append(&after, last.ptr, last.len);
    }
    assert_int_equal(total, 5);
    assert_int_equal(rounds, 3);
    t = begin(s, 0);
    const char *want[] = {"k0=v", "k2=v", "k4=v", "k6=v", "k8=v"};
    assert_items(scan(t, "Res", "t1"), 5, want);
    const char *other[] = {"k1=v"};
    assert_items(scan(t, "Res", "t2"), 1, other);
    impex_txn_abort(t);
    impex_buf_free(&last);
    impex_buf_free(&after);
    impex_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_per_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_order_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_and_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_created_resource, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_new_resources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_and_backup_beside_a_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_and_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seen_and_sweep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
