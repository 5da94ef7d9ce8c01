/* Unit tests for io/archive: the hostile zips of the corpus, zips built here
 * with libzip (round trip, limits, unsafe names, encryption, corruption) and
 * bare files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "io/archive.h"
#include "io/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* ---- helpers ---------------------------------------------------------- */

static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    return s;
}

static char *hostile(const char *name)
{
    const char *p = getenv("IMPEX_CORPORA");
    return strf("%s/hostile/%s", p && *p ? p : "../shared/corpora", name);
}

/* A fresh path under $IMPEX_TMP (created if missing) or /tmp. */
static char *tmp_path(const char *name)
{
    static unsigned seq;
    const char *dir = getenv("IMPEX_TMP");
    if (!dir || !*dir) dir = "/tmp";
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) fail_msg("cannot create %s", dir);
    return strf("%s/io-archive-%ld-%u-%s", dir, (long)getpid(), seq++, name);
}

typedef struct zent {
    const char *name; /* ending in '/' adds a directory */
    const char *data;
    size_t len;
    zip_int32_t method;
} zent;

/* Writes a zip with libzip from in-memory buffers (zip_source_buffer). */
static void make_zip(const char *path, const zent *e, size_t n)
{
    int ze = 0;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(e[i].name);
        if (e[i].name[l - 1] == '/') {
            assert_true(zip_dir_add(za, e[i].name, ZIP_FL_ENC_UTF_8) >= 0);
            continue;
        }
        zip_source_t *src = zip_source_buffer(za, e[i].data, e[i].len, 0);
        assert_non_null(src);
        zip_int64_t idx = zip_file_add(za, e[i].name, src, 0);
        if (idx < 0) fail_msg("zip_file_add %s: %s", e[i].name, zip_strerror(za));
        assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx, e[i].method, 0), 0);
    }
    if (zip_close(za) != 0) fail_msg("zip_close: %s", zip_strerror(za));
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *read_all_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    rewind(f);
    char *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Streams entry i with reads of `step` bytes; returns the last read's result
 * (0 at a clean end, -1 on error) and the bytes in *out. */
static ssize_t stream_entry(impex_archive *a, size_t i, size_t step, impex_buf *out, impex_err *err)
{
    impex_entry *e = NULL;
    assert_int_equal(impex_archive_open_entry(a, i, &e, err), 0);
    char *buf = malloc(step);
    ssize_t n;
    while ((n = impex_entry_read(e, buf, step, err)) > 0) {
        assert_int_equal(impex_buf_append(out, buf, (size_t)n), 0);
        assert_int_equal(impex_entry_tell(e), out->len);
    }
    free(buf);
    impex_entry_close(e);
    return n;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Rewrites the declared uncompressed size of a one-entry zip, in the local
 * header and the central directory, as a crafted archive would. */
static void lie_about_size(const char *path, uint32_t size)
{
    size_t len;
    unsigned char *z = (unsigned char *)read_all_file(path, &len);
    assert_memory_equal(z, "PK\3\4", 4);
    put32(z + 22, size);
    int found = 0;
    for (size_t i = 0; i + 46 <= len; i++) {
        if (memcmp(z + i, "PK\1\2", 4) == 0) {
            put32(z + i + 24, size);
            found++;
        }
    }
    assert_int_equal(found, 1);
    write_file(path, z, len);
    free(z);
}

/* Data that deflates about 2:1, like a real CSV. */
static char *csvish(size_t n)
{
    char *p = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = "abcdefghijklmnop,\n0123456789"[(x >> 16) % 29];
    }
    return p;
}

static void expect_open_error(const char *path, const impex_limits *lim, int code, const char *msg)
{
    impex_archive *a = (impex_archive *)1;
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_archive_open(path, lim, &a, &err);
    if (rc != code) fail_msg("%s: rc %d (%s), want %d", path, rc, err.msg, code);
    assert_null(a);
    assert_int_equal(err.code, code);
    if (strcmp(err.msg, msg) != 0) fail_msg("%s: message '%s', want '%s'", path, err.msg, msg);
}

/* ---- the hostile corpus ----------------------------------------------- */

static void test_hostile_zips(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int code;
        const char *msg;
    } cases[] = {
        {"not-a-zip.zip", IMPEX_EFORMAT, "not a zip archive: end of central directory not found"},
        {"truncated.zip", IMPEX_EFORMAT,
         "zip archive is truncated or corrupt: the file is empty (0 bytes)"},
        {"zip-slip-relative.zip", IMPEX_EUNSAFE,
         "unsafe entry name '../../../products.csv' (zip-slip): refused"},
        {"zip-slip-absolute.zip", IMPEX_EUNSAFE,
         "unsafe entry name '/etc/products.csv' (zip-slip): refused"},
        {"zip-bomb-200MiB.zip", IMPEX_ELIMIT,
         "entry 'products.csv' would inflate to 209715400 bytes from 203979 (ratio 1028 > limit "
         "200): refused as a zip bomb"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = hostile(cases[i].file);
        expect_open_error(p, NULL, cases[i].code, cases[i].msg);
        free(p);
    }

    impex_archive *a;
    impex_err err;
    char *p = hostile("empty.zip");
    assert_int_equal(impex_archive_open(p, NULL, &a, &err), 0);
    assert_int_equal(impex_archive_count(a), 0);
    assert_int_equal(impex_archive_total_size(a), 0);
    assert_null(impex_archive_name(a, 0));
    impex_entry *e = (impex_entry *)1;
    assert_int_equal(impex_archive_open_entry(a, 0, &e, &err), IMPEX_ENOTFOUND);
    assert_null(e);
    impex_archive_close(a);
    free(p);

    /* A zip inside a zip is just an entry: it is not opened. */
    p = hostile("nested.zip");
    assert_int_equal(impex_archive_open(p, NULL, &a, &err), 0);
    assert_int_equal(impex_archive_count(a), 1);
    assert_string_equal(impex_archive_name(a, 0), "inner.zip");
    assert_int_equal(impex_archive_size(a, 0), 322);
    impex_buf out = {0};
    assert_int_equal(stream_entry(a, 0, 100, &out, &err), 0);
    assert_int_equal(out.len, 322);
    assert_memory_equal(out.ptr, "PK\3\4", 4);
    impex_buf_free(&out);
    impex_archive_close(a);
    free(p);

    /* With the ratio allowed, the bomb's real inflation still meets the
     * total limit while streaming... after the declared total is refused. */
    p = hostile("zip-bomb-200MiB.zip");
    impex_limits lim;
    impex_limits_default(&lim);
    lim.max_ratio = 2000;
    lim.max_uncompressed = 100u << 20;
    expect_open_error(p, &lim, IMPEX_ELIMIT,
                      "archive inflates to 209715400 bytes, over the limit of 104857600");
    free(p);
}

/* ---- round trip ------------------------------------------------------- */

static void test_roundtrip_two_csvs(void **state)
{
    (void)state;
    const char *small = "sku,name\nA-1,\"Widget, large\"\r\nA-2,caf\xC3\xA9\n";
    size_t big_len = 3u << 20;
    char *big = csvish(big_len);
    zent ents[] = {
        {"catalog/", NULL, 0, 0},
        {"catalog/products.csv", big, big_len, ZIP_CM_DEFLATE},
        {"catalog/prices.csv", small, strlen(small), ZIP_CM_STORE},
    };
    char *path = tmp_path("two.zip");
    make_zip(path, ents, 3);

    impex_archive *a;
    impex_err err;
    assert_int_equal(impex_archive_open(path, NULL, &a, &err), 0);
    assert_int_equal(impex_archive_count(a), 2); /* the directory is skipped */
    assert_string_equal(impex_archive_name(a, 0), "catalog/products.csv");
    assert_string_equal(impex_archive_name(a, 1), "catalog/prices.csv");
    assert_int_equal(impex_archive_size(a, 0), big_len);
    assert_int_equal(impex_archive_size(a, 1), strlen(small));
    assert_int_equal(impex_archive_total_size(a), big_len + strlen(small));

    static const size_t steps[] = {65536, 1000, 7};
    for (size_t s = 0; s < 3; s++) {
        impex_buf out = {0};
        assert_int_equal(stream_entry(a, 0, steps[s], &out, &err), 0);
        assert_int_equal(out.len, big_len);
        assert_memory_equal(out.ptr, big, big_len);
        impex_buf_reset(&out);
        assert_int_equal(stream_entry(a, 1, steps[s], &out, &err), 0);
        assert_int_equal(out.len, strlen(small));
        assert_memory_equal(out.ptr, small, out.len);
        impex_buf_free(&out);
    }

    /* An entry is a byte source for the CSV reader as it is. */
    impex_entry *ce;
    impex_csv *csv;
    impex_row *row;
    assert_int_equal(impex_archive_open_entry(a, 1, &ce, &err), 0);
    assert_int_equal(impex_csv_open(impex_entry_read, ce, NULL, &csv, &err), 0);
    assert_int_equal(impex_csv_next(csv, &row, &err), 0);
    assert_non_null(row);
    assert_int_equal(impex_csv_next(csv, &row, &err), 0);
    assert_string_equal(row->fields[1].ptr, "Widget, large");
    assert_int_equal(impex_csv_next(csv, &row, &err), 0);
    assert_string_equal(row->fields[1].ptr, "caf\xC3\xA9");
    assert_int_equal(row->end, strlen(small));
    assert_int_equal(impex_csv_next(csv, &row, &err), 0);
    assert_null(row);
    impex_csv_close(csv);
    impex_entry_close(ce);

    /* One entry at a time. */
    impex_entry *e1, *e2 = (impex_entry *)1;
    assert_int_equal(impex_archive_open_entry(a, 0, &e1, &err), 0);
    assert_int_equal(impex_archive_open_entry(a, 1, &e2, &err), IMPEX_EUSAGE);
    assert_null(e2);
    impex_entry_close(e1);
    assert_int_equal(impex_archive_open_entry(a, 1, &e2, &err), 0);
    impex_entry_close(e2);
    impex_archive_close(a);

    /* The zip magic decides, whatever the name. */
    char *renamed = tmp_path("two.dat");
    assert_int_equal(rename(path, renamed), 0);
    assert_int_equal(impex_archive_open(renamed, NULL, &a, &err), 0);
    assert_int_equal(impex_archive_count(a), 2);
    impex_archive_close(a);
    unlink(renamed);
    free(renamed);
    free(path);
    free(big);
}

static void test_bare_file(void **state)
{
    (void)state;
    const char *csv = "PK,name\n1,one\n2,two\n"; /* starts with "PK" but is text */
    char *path = tmp_path("products.csv");
    write_file(path, csv, strlen(csv));

    impex_archive *a;
    impex_err err;
    assert_int_equal(impex_archive_open(path, NULL, &a, &err), 0);
    assert_int_equal(impex_archive_count(a), 1);
    const char *base = strrchr(path, '/') + 1;
    assert_string_equal(impex_archive_name(a, 0), base);
    assert_int_equal(impex_archive_size(a, 0), strlen(csv));
    assert_int_equal(impex_archive_total_size(a), strlen(csv));
    for (int round = 0; round < 2; round++) { /* may be read again */
        impex_buf out = {0};
        assert_int_equal(stream_entry(a, 0, 5, &out, &err), 0);
        assert_int_equal(out.len, strlen(csv));
        assert_memory_equal(out.ptr, csv, out.len);
        impex_buf_free(&out);
    }
    impex_archive_close(a);

    /* Over the limit by its size. */
    impex_limits lim = {.max_uncompressed = 10, .max_ratio = 200, .max_entries = 10};
    char *msg = strf("file '%s' is %zu bytes, over the limit of 10", base, strlen(csv));
    expect_open_error(path, &lim, IMPEX_ELIMIT, msg);
    free(msg);

    /* A file that grows after open is stopped while streaming. */
    lim.max_uncompressed = 30;
    assert_int_equal(impex_archive_open(path, &lim, &a, &err), 0);
    FILE *f = fopen(path, "ab");
    fputs("3,three\n4,four\n", f);
    fclose(f);
    impex_buf out = {0};
    assert_int_equal(stream_entry(a, 0, 4, &out, &err), -1);
    assert_int_equal(err.code, IMPEX_ELIMIT);
    assert_true(out.len <= 30);
    assert_non_null(strstr(err.msg, "over the limit of 30"));
    assert_non_null(strstr(err.msg, base));
    impex_buf_free(&out);
    impex_archive_close(a);
    unlink(path);
    free(path);

    /* Missing file and directory. */
    char *missing = tmp_path("missing.csv");
    impex_archive *x = (impex_archive *)1;
    assert_int_equal(impex_archive_open(missing, NULL, &x, &err), IMPEX_EIO);
    assert_null(x);
    assert_non_null(strstr(err.msg, "No such file or directory"));
    assert_non_null(strstr(err.msg, "missing.csv"));
    free(missing);
    assert_int_equal(impex_archive_open("/", NULL, &x, &err), IMPEX_EIO);
    assert_non_null(strstr(err.msg, "is a directory"));
}

/* ---- limits ----------------------------------------------------------- */

static void test_streaming_limits(void **state)
{
    (void)state;
    size_t real = 3u << 20;
    char *data = csvish(real);
    zent ent = {"products.csv", data, real, ZIP_CM_DEFLATE};
    char *path = tmp_path("lying.zip");
    make_zip(path, &ent, 1);

    /* Honest sizes: the declared total is refused at open. */
    impex_limits lim;
    impex_limits_default(&lim);
    lim.max_uncompressed = 2u << 20;
    expect_open_error(path, &lim, IMPEX_ELIMIT,
                      "archive inflates to 3145728 bytes, over the limit of 2097152");

    /* The archive claims 1000 bytes: open passes, streaming stops at 2 MiB. */
    lie_about_size(path, 1000);
    impex_archive *a;
    impex_err err;
    assert_int_equal(impex_archive_open(path, &lim, &a, &err), 0);
    assert_int_equal(impex_archive_size(a, 0), 1000);
    impex_buf out = {0};
    assert_int_equal(stream_entry(a, 0, 65536, &out, &err), -1);
    assert_int_equal(err.code, IMPEX_ELIMIT);
    assert_true(out.len <= lim.max_uncompressed);
    assert_true(out.len > 1000);
    assert_memory_equal(out.ptr, data, out.len);
    assert_non_null(strstr(err.msg, "over the limit of 2097152 (reading entry 'products.csv')"));
    impex_buf_free(&out);

    /* The failure is sticky for the entry. */
    impex_entry *e;
    assert_int_equal(impex_archive_open_entry(a, 0, &e, &err), 0);
    char buf[512];
    ssize_t n;
    while ((n = impex_entry_read(e, buf, sizeof buf, &err)) > 0) {
    }
    assert_int_equal(n, -1);
    assert_int_equal(impex_entry_read(e, buf, sizeof buf, &err), -1);
    assert_int_equal(err.code, IMPEX_ELIMIT);
    impex_entry_close(e);
    impex_archive_close(a);

    /* Within the limits, the lie is caught at the end of the entry. */
    assert_int_equal(impex_archive_open(path, NULL, &a, &err), 0);
    out = (impex_buf){0};
    assert_int_equal(stream_entry(a, 0, 65536, &out, &err), -1);
    assert_int_equal(err.code, IMPEX_EFORMAT);
    assert_int_equal(out.len, real);
    assert_string_equal(err.msg,
                        "zip archive is truncated or corrupt: entry 'products.csv' inflated to "
                        "3145728 bytes, but its declared size is 1000");
    impex_buf_free(&out);
    impex_archive_close(a);
    unlink(path);

    /* A bomb that hides its size is stopped by the real ratio. */
    memset(data, 'a', real);
    make_zip(path, &ent, 1);
    int ze = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY, &ze);
    zip_stat_t st;
    assert_int_equal(zip_stat_index(za, 0, 0, &st), 0);
    zip_discard(za);
    char *msg = strf("entry 'products.csv' would inflate to 3145728 bytes from %llu (ratio %llu > "
                     "limit 200): refused as a zip bomb",
                     (unsigned long long)st.comp_size, 3145728ull / st.comp_size);
    expect_open_error(path, NULL, IMPEX_ELIMIT, msg);
    free(msg);
    lie_about_size(path, 1000);
    assert_int_equal(impex_archive_open(path, NULL, &a, &err), 0);
    out = (impex_buf){0};
    assert_int_equal(stream_entry(a, 0, 65536, &out, &err), -1);
    assert_int_equal(err.code, IMPEX_ELIMIT);
    assert_true(out.len <= (1u << 20) + 65536);
    assert_non_null(strstr(err.msg, "entry 'products.csv' inflated to "));
    assert_non_null(strstr(err.msg, "refused as a zip bomb"));
    impex_buf_free(&out);
    impex_archive_close(a);
    unlink(path);
    free(path);
    free(data);
}

static void test_small_entries_skip_ratio(void **state)
{
    (void)state;
    /* 1 MiB of zeros deflates ~1000:1 but is not judged: too small. */
    size_t n = 1u << 20;
    char *zeros = calloc(1, n);
    zent ent = {"zeros.csv", zeros, n, ZIP_CM_DEFLATE};
    char *path = tmp_path("zeros.zip");
    make_zip(path, &ent, 1);
    impex_archive *a;
    impex_err err;
    assert_int_equal(impex_archive_open(path, NULL, &a, &err), 0);
    impex_buf out = {0};
    assert_int_equal(stream_entry(a, 0, 65536, &out, &err), 0);
    assert_int_equal(out.len, n);
    impex_buf_free(&out);
    impex_archive_close(a);
    unlink(path);
    free(path);
    free(zeros);
}

static void test_entry_count_limit(void **state)
{
    (void)state;
    zent ents[5];
    char names[5][32];
    for (int i = 0; i < 5; i++) {
        snprintf(names[i], sizeof names[i], "f%d.csv", i);
        ents[i] = (zent){names[i], "a\n", 2, ZIP_CM_STORE};
    }
    char *path = tmp_path("many.zip");
    make_zip(path, ents, 5);
    impex_limits lim;
    impex_limits_default(&lim);
    lim.max_entries = 3;
    expect_open_error(path, &lim, IMPEX_ELIMIT, "archive has 5 entries, over the limit of 3");
    lim.max_entries = 5;
    impex_archive *a;
    impex_err err;
    assert_int_equal(impex_archive_open(path, &lim, &a, &err), 0);
    assert_int_equal(impex_archive_count(a), 5);
    impex_archive_close(a);
    unlink(path);
    free(path);
}

/* ---- unsafe, encrypted, corrupt ----------------------------------------- */

static void test_unsafe_names(void **state)
{
    (void)state;
    static const char *bad[] = {"a/../../b.csv", "..\\evil.csv", "C:evil.csv",
                                "c:/x.csv",      "..",           "dir/../.."};
    static const char *good[] = {"a/b..c/..d.csv", "./x.csv", "x..csv"};
    char *path = tmp_path("names.zip");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        zent ents[] = {{"ok.csv", "a\n", 2, ZIP_CM_STORE}, {bad[i], "b\n", 2, ZIP_CM_STORE}};
        make_zip(path, ents, 2);
        char *msg = strf("unsafe entry name '%s' (zip-slip): refused", bad[i]);
        expect_open_error(path, NULL, IMPEX_EUNSAFE, msg);
        free(msg);
    }
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        zent ent = {good[i], "a\n", 2, ZIP_CM_STORE};
        make_zip(path, &ent, 1);
        impex_archive *a;
        impex_err err;
        assert_int_equal(impex_archive_open(path, NULL, &a, &err), 0);
        assert_string_equal(impex_archive_name(a, 0), good[i]);
        impex_archive_close(a);
    }
    /* Control bytes are not echoed into the message (libzip may already
     * have mapped them to CP437 glyphs). */
    zent ent = {"x\n\x1b[31m/../../y", "a\n", 2, ZIP_CM_STORE};
    make_zip(path, &ent, 1);
    impex_archive *a = (impex_archive *)1;
    impex_err err;
    assert_int_equal(impex_archive_open(path, NULL, &a, &err), IMPEX_EUNSAFE);
    assert_null(a);
    assert_non_null(strstr(err.msg, "[31m/../../y' (zip-slip): refused"));
    for (const char *m = err.msg; *m; m++)
        assert_true((unsigned char)*m >= 0x20);
    unlink(path);
    free(path);
}

static void test_encrypted_entry(void **state)
{
    (void)state;
    if (!zip_encryption_method_supported(ZIP_EM_TRAD_PKWARE, 1)) {
        skip();
        return;
    }
    char *path = tmp_path("secret.zip");
    int ze = 0;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_t *src = zip_source_buffer(za, "a,b\n", 4, 0);
    zip_int64_t idx = zip_file_add(za, "secret.csv", src, 0);
    assert_true(idx >= 0);
    assert_int_equal(zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_TRAD_PKWARE, "pw"), 0);
    assert_int_equal(zip_close(za), 0);
    expect_open_error(path, NULL, IMPEX_EFORMAT,
                      "entry 'secret.csv' is encrypted: encrypted archives are not supported");
    unlink(path);
    free(path);
}

static void test_corrupt_data(void **state)
{
    (void)state;
    size_t n = 200000;
    char *data = csvish(n);
    zent ent = {"products.csv", data, n, ZIP_CM_DEFLATE};
    char *path = tmp_path("corrupt.zip");
    make_zip(path, &ent, 1);
    size_t len;
    char *z = read_all_file(path, &len);
    for (size_t i = 2000; i < 2100; i++)
        z[i] ^= 0x55; /* inside the deflate stream */
    write_file(path, z, len);

    impex_archive *a;
    impex_err err;
    assert_int_equal(impex_archive_open(path, NULL, &a, &err), 0);
    impex_buf out = {0};
    assert_int_equal(stream_entry(a, 0, 4096, &out, &err), -1);
    assert_int_equal(err.code, IMPEX_EFORMAT);
    assert_non_null(strstr(err.msg, "zip archive is truncated or corrupt: entry 'products.csv': "));
    impex_buf_free(&out);
    impex_archive_close(a);

    /* Cut off in the middle: the central directory is gone. */
    write_file(path, z, len / 2);
    expect_open_error(path, NULL, IMPEX_EFORMAT,
                      "not a zip archive: end of central directory not found");

    /* Cut off inside the central directory. */
    make_zip(path, &ent, 1);
    free(z);
    z = read_all_file(path, &len);
    write_file(path, z, len - 30);
    impex_archive *x = (impex_archive *)1;
    int rc = impex_archive_open(path, NULL, &x, &err);
    assert_int_equal(rc, IMPEX_EFORMAT);
    assert_null(x);
    unlink(path);
    free(path);
    free(z);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_zips),
        cmocka_unit_test(test_roundtrip_two_csvs),
        cmocka_unit_test(test_bare_file),
        cmocka_unit_test(test_streaming_limits),
        cmocka_unit_test(test_small_entries_skip_ratio),
        cmocka_unit_test(test_entry_count_limit),
        cmocka_unit_test(test_unsafe_names),
        cmocka_unit_test(test_encrypted_entry),
        cmocka_unit_test(test_corrupt_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
