/* The LMDB store (see store.h for the databases and key layouts).
 *
 * DBI handles. LMDB keeps named-database handles in a per-process table that
 * transactions snapshot when they begin, and mdb_dbi_open must never run in
 * two transactions at once (the second would reuse the first's slot). So:
 *   - handles are opened only in short internal transactions that end while
 *     s->mu is held (store open, refresh, ensure_resource), never in a
 *     caller's transaction, and are cached in s->dbs;
 *   - read transactions begin under s->mu, so none starts between a commit
 *     that creates a DB and the export of its handle;
 *   - every begin checks that the main DB (one entry per named DB) holds no
 *     name missing from s->dbs; if it does (another process created a DB),
 *     the handles are opened in a side transaction and the begin is retried.
 * Hence every DB in a transaction's snapshot has a handle that transaction
 * can use, and a cached handle it cannot use (mdb_dbi_flags fails) belongs
 * to a DB created after its snapshot: it reads as empty. */
#include "store/store.h"
#include "store/reject.h"
#include "store/codec.h"
#include "store/dict.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#define STORE_DEFAULT_MAP_SIZE (64ULL << 30)
#define STORE_MAX_DBS 256
#define STORE_MAX_READERS 126
#define STORE_KEY_BUF 512      /* LMDB's default maximum key size is 511 */
#define STORE_MAX_RESOURCE 256 /* "r:<Resource>" must fit a main-DB key */
#define STORE_NEXT_JOB_KEY "next_job_id"
#define STORE_LOW_SPACE (4u << 20) /* bytes free below which an EIO means a full disk */

static const char *const fixed_dbs[] = {"jobs",  "steps", "batches", "rejects",
                                        "files", "meta",  "seen"};

typedef struct store_db {
    char *name;
    MDB_dbi dbi;
    int is_db; /* 0: a main-DB key that is not a named DB (never written by impex) */
} store_db;

struct impex_store {
    MDB_env *env;
    MDB_dbi main_dbi;
    char *data_path;
    int read_only;
    size_t max_key;
    pthread_mutex_t mu; /* guards the fields below */
    store_db dbs[STORE_MAX_DBS];
    size_t ndbs;
    size_t nodd;       /* main-DB keys that cannot be DB names (not from impex) */
    uint64_t gen;      /* bumped whenever handles are exported */
    int writer_active; /* a caller's write txn is open, begun by `writer` */
    pthread_t writer;
};

struct impex_txn {
    impex_store *s;
    MDB_txn *txn;
    int write;
};

typedef int (*scan_fn)(void *ctx, const MDB_val *k, const MDB_val *v, size_t plen, impex_err *err);

__attribute__((format(printf, 3, 4))) static int mdb_fail(impex_err *err, int rc, const char *fmt,
                                                          ...)
{
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* Name the causes a user can act on instead of a bare strerror. */
    const char *why =
        rc == MDB_MAP_FULL             ? "store map full (the store is full; raise IMPEX_MAP_SIZE)"
        : rc == ENOSPC || rc == EDQUOT ? "disk full (no space left on the device holding the store)"
        : rc == EIO                    ? "I/O error (the disk failed or is full)"
        : rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ? "the store is damaged (run impex verify)"
                                                         : mdb_strerror(rc);
    return impex_err_set(err, IMPEX_ESTORE, "store: %s failed: %s", what, why);
}

/* LMDB reports a short write (the disk filled up midway) as EIO: when the
 * device holding the store has next to no room left, say so. */
static int write_errno(const impex_store *s, int rc)
{
    struct statvfs fs;
    if (rc == EIO && statvfs(s->data_path, &fs) == 0 &&
        (uint64_t)fs.f_bavail * fs.f_frsize < STORE_LOW_SPACE)
        return ENOSPC;
    return rc;
}

/* Renders key bytes for a message: NUL (the part separator) as '/', other
 * control bytes as '?', cut with "..." when long. */
static void printable(char *dst, size_t cap, const char *p, size_t n)
{
    size_t i = 0;
    for (; i < n && i + 4 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        dst[i] = c == 0 ? '/' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (i < n) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

static void put_u64be(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64be(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* --- handle table (s->mu held) ------------------------------------------ */

static store_db *table_find(impex_store *s, const char *name)
{
    for (size_t i = 0; i < s->ndbs; i++)
        if (strcmp(s->dbs[i].name, name) == 0) return &s->dbs[i];
    return NULL;
}

static int table_add(impex_store *s, const char *name, MDB_dbi dbi, int is_db, impex_err *err)
{
    if (s->ndbs == STORE_MAX_DBS)
        return impex_err_set(err, IMPEX_ESTORE, "store: too many databases (max %d)",
                             STORE_MAX_DBS);
    char *copy = strdup(name);
    if (!copy) return impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
    s->dbs[s->ndbs++] = (store_db){copy, dbi, is_db};
    return IMPEX_OK;
}

/* Drops entries added by a transaction that did not commit (LMDB closed
 * their handles). */
static void table_truncate(impex_store *s, size_t n)
{
    while (s->ndbs > n)
        free(s->dbs[--s->ndbs].name);
}

static int main_entries(impex_store *s, MDB_txn *txn, size_t *n, impex_err *err)
{
    MDB_stat st;
    int rc = mdb_stat(txn, s->main_dbi, &st);
    if (rc) return mdb_fail(err, rc, "reading the database list");
    *n = st.ms_entries;
    return IMPEX_OK;
}

/* Opens (without creating) every named DB of txn's snapshot that has no
 * handle yet. txn must end, under s->mu, before any other handle is opened. */
static int load_handles(impex_store *s, MDB_txn *txn, impex_err *err)
{
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, s->main_dbi, &cur);
    if (rc) return mdb_fail(err, rc, "listing databases");
    MDB_val k, v;
    int op = MDB_FIRST;
    size_t nodd = 0;
    for (;;) {
        rc = mdb_cursor_get(cur, &k, &v, op);
        op = MDB_NEXT;
        if (rc == MDB_NOTFOUND) {
            rc = IMPEX_OK;
            s->nodd = nodd;
            break;
        }
        if (rc) {
            rc = mdb_fail(err, rc, "listing databases");
            break;
        }
        char name[STORE_KEY_BUF];
        if (k.mv_size >= sizeof name || memchr(k.mv_data, 0, k.mv_size)) {
            nodd++; /* cannot be a DB name; counted so that the entry count matches */
            continue;
        }
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = '\0';
        if (table_find(s, name)) continue;
        MDB_dbi dbi = 0;
        rc = mdb_dbi_open(txn, name, 0, &dbi);
        if (rc && rc != MDB_INCOMPATIBLE) {
            rc = mdb_fail(err, rc, "opening database %s", name);
            break;
        }
        /* Foreign keys are remembered too so that the entry count matches. */
        rc = table_add(s, name, dbi, rc == MDB_SUCCESS, err);
        if (rc) break;
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Opens handles for DBs created by another process, in a side read txn whose
 * commit exports them. s->mu held. */
static int refresh(impex_store *s, impex_err *err)
{
    size_t n0 = s->ndbs;
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc) return mdb_fail(err, rc, "beginning a read transaction");
    rc = load_handles(s, txn, err);
    if (rc) {
        mdb_txn_abort(txn);
        goto cleanup;
    }
    rc = mdb_txn_commit(txn);
    if (rc) rc = mdb_fail(err, rc, "opening databases");
cleanup:
    if (rc) table_truncate(s, n0);
    if (s->ndbs != n0) s->gen++;
    return rc;
}

/* --- open / close --------------------------------------------------------- */

static int mkdir_p(const char *dir, impex_err *err)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len >= sizeof path)
        return impex_err_set(err, IMPEX_EUSAGE, "store: directory path too long");
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return impex_err_set(err, IMPEX_EIO, "store: cannot create directory %s: %s", path,
                                 strerror(errno));
        path[i] = saved;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return impex_err_set(err, IMPEX_EIO, "store: %s is not a directory", dir);
    return IMPEX_OK;
}

static void store_free(impex_store *s)
{
    if (s->env) mdb_env_close(s->env);
    table_truncate(s, 0);
    pthread_mutex_destroy(&s->mu);
    free(s->data_path);
    free(s);
}

/* Creates the fixed DBs (unless read-only) and opens every existing one. */
static int open_handles(impex_store *s, impex_err *err)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
    if (rc) return mdb_fail(err, rc, "beginning the open transaction");
    rc = mdb_dbi_open(txn, NULL, 0, &s->main_dbi);
    if (rc) {
        rc = mdb_fail(err, rc, "opening the main database");
        goto cleanup;
    }
    for (size_t i = 0; !s->read_only && i < sizeof fixed_dbs / sizeof *fixed_dbs; i++) {
        MDB_dbi dbi;
        rc = mdb_dbi_open(txn, fixed_dbs[i], MDB_CREATE, &dbi);
        if (rc) {
            rc = mdb_fail(err, rc, "creating database %s", fixed_dbs[i]);
            goto cleanup;
        }
        rc = table_add(s, fixed_dbs[i], dbi, 1, err);
        if (rc) goto cleanup;
    }
    rc = load_handles(s, txn, err);
    if (rc) goto cleanup;
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) rc = mdb_fail(err, write_errno(s, rc), "committing the open transaction");
cleanup:
    if (txn) mdb_txn_abort(txn);
    return rc;
}

int impex_store_open(const char *dir, const impex_store_opts *opts, impex_store **out,
                     impex_err *err)
{
    if (!out || !dir || !*dir)
        return impex_err_set(err, IMPEX_EUSAGE, "store: no store directory given");
    *out = NULL;
    int read_only = opts && opts->read_only;
    uint64_t map_size = opts && opts->map_size ? opts->map_size : STORE_DEFAULT_MAP_SIZE;

    size_t dlen = strlen(dir);
    char *data_path = malloc(dlen + sizeof "/data.mdb");
    if (!data_path) return impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
    memcpy(data_path, dir, dlen);
    memcpy(data_path + dlen, "/data.mdb", sizeof "/data.mdb");

    int rc = IMPEX_OK;
    struct stat st;
    if (read_only) {
        /* Never create anything when only reading. */
        /* An empty data file: a first open that failed before LMDB wrote
         * its meta pages (e.g. out of memory). Nothing is in it. */
        int missing = stat(data_path, &st) != 0;
        if (missing || st.st_size == 0) {
            rc = impex_err_set(err, IMPEX_ENOTFOUND, "store: no store in %s (%s: %s)", dir,
                               data_path, missing ? strerror(errno) : "empty");
            free(data_path);
            return rc;
        }
    } else if ((rc = mkdir_p(dir, err)) != IMPEX_OK) {
        free(data_path);
        return rc;
    }

    impex_store *s = calloc(1, sizeof *s);
    if (!s) {
        free(data_path);
        return impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
    }
    s->data_path = data_path;
    s->read_only = read_only;
    pthread_mutex_init(&s->mu, NULL);

    rc = mdb_env_create(&s->env);
    if (rc) {
        s->env = NULL;
        rc = mdb_fail(err, rc, "mdb_env_create");
        goto cleanup;
    }
    if ((rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS)) ||
        (rc = mdb_env_set_maxreaders(s->env, STORE_MAX_READERS)) ||
        (rc = mdb_env_set_mapsize(s->env, (size_t)map_size))) {
        rc = mdb_fail(err, rc, "configuring the environment");
        goto cleanup;
    }
    /* MDB_NOTLS: read txns are tied to the txn, not the thread. No NOSYNC:
     * every commit must be durable. */
    rc = mdb_env_open(s->env, dir, MDB_NOTLS | (read_only ? MDB_RDONLY : 0), 0600);
    if (rc == EACCES && read_only) {
        /* Readers register in lock.mdb, so even a read needs it writable. */
        rc = impex_err_set(err, IMPEX_EIO,
                           "store: cannot read the store in %s: its lock file %s/lock.mdb cannot "
                           "be opened for writing (%s); readers record themselves there, so it "
                           "must be writable by this user (or read a copy made with impex backup)",
                           dir, dir, strerror(EACCES));
        goto cleanup;
    }
    if (rc) {
        rc = mdb_fail(err, rc, "opening the store in %s", dir);
        goto cleanup;
    }
    /* Frees reader slots left by crashed processes; they would pin old pages. */
    int dead = 0;
    rc = mdb_reader_check(s->env, &dead);
    if (rc) {
        rc = mdb_fail(err, rc, "clearing stale readers in %s", dir);
        goto cleanup;
    }
    s->max_key = (size_t)mdb_env_get_maxkeysize(s->env);
    if (s->max_key >= STORE_KEY_BUF) s->max_key = STORE_KEY_BUF - 1;
    rc = open_handles(s, err);

cleanup:
    if (rc) {
        store_free(s);
        return rc;
    }
    *out = s;
    return IMPEX_OK;
}

void impex_store_close(impex_store *s)
{
    if (s) store_free(s);
}

uint64_t impex_store_file_size(const impex_store *s)
{
    struct stat st;
    if (!s || stat(s->data_path, &st) != 0) return 0;
    return (uint64_t)st.st_size;
}

/* --- names and keys ------------------------------------------------------- */

static int resource_db_name(const char *resource, char *name, size_t cap, impex_err *err)
{
    size_t len = resource ? strlen(resource) : 0;
    if (len == 0) return impex_err_set(err, IMPEX_EUSAGE, "store: empty resource name");
    if (len + 3 > cap)
        return impex_err_set(err, IMPEX_EUSAGE, "store: resource name too long (%zu bytes)", len);
    memcpy(name, "r:", 2);
    memcpy(name + 2, resource, len + 1);
    return IMPEX_OK;
}

/* tenant NUL key */
static int record_key(const impex_store *s, const char *tenant, impex_slice key, char *buf,
                      size_t *len, impex_err *err)
{
    if (!tenant) return impex_err_set(err, IMPEX_EUSAGE, "store: no tenant given");
    if (key.len && !key.ptr) return impex_err_set(err, IMPEX_EUSAGE, "store: key without bytes");
    size_t tlen = strlen(tenant);
    if (tlen + 1 + key.len > s->max_key)
        return impex_err_set(err, IMPEX_ELIMIT, "store: key too long (%zu bytes; max %zu)",
                             tlen + 1 + key.len, s->max_key);
    memcpy(buf, tenant, tlen + 1);
    if (key.len) memcpy(buf + tlen + 1, key.ptr, key.len);
    *len = tlen + 1 + key.len;
    return IMPEX_OK;
}

/* Finds the handle of DB `name` usable in t; 0 when that DB is not in t's
 * snapshot (see the top of this file). */
static int resolve(impex_txn *t, const char *name, MDB_dbi *dbi)
{
    impex_store *s = t->s;
    pthread_mutex_lock(&s->mu);
    store_db *d = table_find(s, name);
    int found = d && d->is_db;
    MDB_dbi h = found ? d->dbi : 0;
    pthread_mutex_unlock(&s->mu);
    unsigned flags;
    if (!found || mdb_dbi_flags(t->txn, h, &flags) != MDB_SUCCESS) return 0;
    *dbi = h;
    return 1;
}

static int need_write(const impex_txn *t, impex_err *err)
{
    if (!t->write)
        return impex_err_set(err, IMPEX_EUSAGE, "store: write in a read-only transaction");
    return IMPEX_OK;
}

/* --- transactions --------------------------------------------------------- */

static int begin_read(impex_store *s, MDB_txn **out, impex_err *err)
{
    int rc;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        MDB_txn *txn = NULL;
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
        if (rc) {
            rc = mdb_fail(err, rc, "beginning a read transaction");
            break;
        }
        size_t n = 0;
        rc = main_entries(s, txn, &n, err);
        if (rc == IMPEX_OK && n <= s->ndbs + s->nodd) {
            *out = txn;
            break;
        }
        mdb_txn_abort(txn);
        if (rc == IMPEX_OK) rc = refresh(s, err);
        if (rc) break;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int begin_write(impex_store *s, MDB_txn **out, impex_err *err)
{
    if (s->read_only) return impex_err_set(err, IMPEX_EUSAGE, "store: the store is read-only");
    pthread_mutex_lock(&s->mu);
    int nested = s->writer_active && pthread_equal(s->writer, pthread_self());
    uint64_t gen = s->gen;
    pthread_mutex_unlock(&s->mu);
    if (nested) /* LMDB would deadlock on its own writer lock */
        return impex_err_set(err, IMPEX_EUSAGE,
                             "store: this thread already has a write transaction open");
    for (;;) {
        /* Not under s->mu: this waits for other writers, which need s->mu. */
        MDB_txn *txn = NULL;
        int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
        if (rc) return mdb_fail(err, rc, "beginning a write transaction");
        pthread_mutex_lock(&s->mu);
        size_t n = 0;
        /* gen unchanged: no handle was exported after txn took its snapshot
         * of the handle table, so it can use every cached handle. */
        if (s->gen == gen) {
            rc = main_entries(s, txn, &n, err);
            if (rc == IMPEX_OK && n <= s->ndbs + s->nodd) {
                s->writer_active = 1;
                s->writer = pthread_self();
                pthread_mutex_unlock(&s->mu);
                *out = txn;
                return IMPEX_OK;
            }
        }
        mdb_txn_abort(txn);
        if (rc == IMPEX_OK && n > s->ndbs + s->nodd) rc = refresh(s, err);
        gen = s->gen;
        pthread_mutex_unlock(&s->mu);
        if (rc) return rc;
    }
}

int impex_txn_begin(impex_store *s, int write, impex_txn **out, impex_err *err)
{
    if (!s || !out) return impex_err_set(err, IMPEX_EUSAGE, "store: no store given");
    *out = NULL;
    impex_txn *t = calloc(1, sizeof *t);
    if (!t) return impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
    t->s = s;
    t->write = write != 0;
    int rc = t->write ? begin_write(s, &t->txn, err) : begin_read(s, &t->txn, err);
    if (rc) {
        free(t);
        return rc;
    }
    *out = t;
    return IMPEX_OK;
}

static void txn_release(impex_txn *t)
{
    if (t->write) {
        pthread_mutex_lock(&t->s->mu);
        t->s->writer_active = 0;
        pthread_mutex_unlock(&t->s->mu);
    }
    free(t);
}

int impex_txn_commit(impex_txn *t, impex_err *err)
{
    if (!t) return impex_err_set(err, IMPEX_EUSAGE, "store: no transaction given");
    int rc = mdb_txn_commit(t->txn); /* frees t->txn also on failure */
    if (rc) rc = mdb_fail(err, write_errno(t->s, rc), "commit");
    txn_release(t);
    return rc;
}

void impex_txn_abort(impex_txn *t)
{
    if (!t) return;
    mdb_txn_abort(t->txn);
    txn_release(t);
}

int impex_store_ensure_resource(impex_store *s, const char *resource, impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3];
    int rc = resource_db_name(resource, name, sizeof name, err);
    if (rc) return rc;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        store_db *d = table_find(s, name);
        int found = d != NULL, is_db = d && d->is_db;
        int nested = s->writer_active && pthread_equal(s->writer, pthread_self());
        uint64_t gen = s->gen;
        pthread_mutex_unlock(&s->mu);
        if (found)
            return is_db ? IMPEX_OK
                         : impex_err_set(err, IMPEX_ESTORE, "store: %s is not a database", name);
        if (s->read_only)
            return impex_err_set(err, IMPEX_EUSAGE,
                                 "store: cannot create %s: the store is read-only", name);
        if (nested) /* LMDB would deadlock on its own writer lock */
            return impex_err_set(err, IMPEX_EUSAGE,
                                 "store: cannot create %s inside a write transaction", name);

        MDB_txn *txn = NULL;
        rc = mdb_txn_begin(s->env, NULL, 0, &txn); /* not under s->mu: may wait for a writer */
        if (rc) return mdb_fail(err, rc, "beginning a write transaction");
        pthread_mutex_lock(&s->mu);
        if (s->gen != gen) {
            /* Handles were exported meanwhile (maybe this one): txn's view of
             * the handle table is stale, so opening in it could clash. */
            mdb_txn_abort(txn);
            pthread_mutex_unlock(&s->mu);
            continue;
        }
        size_t n0 = s->ndbs;
        MDB_dbi dbi;
        rc = mdb_dbi_open(txn, name, MDB_CREATE, &dbi);
        if (rc) {
            mdb_txn_abort(txn);
            rc = mdb_fail(err, rc, "creating database %s", name);
        } else if ((rc = table_add(s, name, dbi, 1, err)) != IMPEX_OK) {
            mdb_txn_abort(txn);
        } else if ((rc = mdb_txn_commit(txn)) != MDB_SUCCESS) {
            table_truncate(s, n0);
            rc = mdb_fail(err, write_errno(s, rc), "committing database %s", name);
        } else {
            /* Committed and exported under s->mu: no read txn began between
             * the two, so none sees the DB without seeing its handle. */
            s->gen++;
        }
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
}

/* --- generic helpers over one DB ------------------------------------------ */

static int has_prefix(const MDB_val *k, const void *prefix, size_t plen)
{
    return k->mv_size >= plen && (plen == 0 || memcmp(k->mv_data, prefix, plen) == 0);
}

/* Calls fn for every entry whose key starts with prefix (all when plen == 0). */
static int scan_prefix(impex_txn *t, MDB_dbi dbi, const char *dbname, const void *prefix,
                       size_t plen, scan_fn fn, void *ctx, impex_err *err)
{
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(t->txn, dbi, &cur);
    if (rc) return mdb_fail(err, rc, "opening a cursor on %s", dbname);
    MDB_val k = {plen, (void *)prefix}, v;
    MDB_cursor_op op = plen ? MDB_SET_RANGE : MDB_FIRST;
    for (;;) {
        rc = mdb_cursor_get(cur, &k, &v, op);
        op = MDB_NEXT;
        if (rc == MDB_NOTFOUND) {
            rc = IMPEX_OK;
            break;
        }
        if (rc) {
            rc = mdb_fail(err, rc, "scanning %s", dbname);
            break;
        }
        if (!has_prefix(&k, prefix, plen)) break;
        rc = fn(ctx, &k, &v, plen, err);
        if (rc) break;
    }
    mdb_cursor_close(cur);
    return rc;
}

/* mdb_get, with MDB_NOTFOUND also when the DB is not in t's snapshot. */
static int db_lookup(impex_txn *t, const char *dbname, const void *key, size_t klen, MDB_val *v)
{
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key};
    if (!resolve(t, dbname, &dbi)) return MDB_NOTFOUND;
    return mdb_get(t->txn, dbi, &k, v);
}

/* Absent key: IMPEX_ENOTFOUND naming `what`. */
static int db_get(impex_txn *t, const char *dbname, const void *key, size_t klen, impex_slice *val,
                  const char *what, impex_err *err)
{
    MDB_val v;
    int rc = db_lookup(t, dbname, key, klen, &v);
    if (rc == MDB_NOTFOUND) return impex_err_set(err, IMPEX_ENOTFOUND, "store: %s not found", what);
    if (rc) return mdb_fail(err, rc, "reading %s", what);
    val->ptr = v.mv_data;
    val->len = v.mv_size;
    return IMPEX_OK;
}

/* The handle of DB dbname for writing in t: a write txn, and the DB made. */
static int resolve_for_write(impex_txn *t, const char *dbname, MDB_dbi *dbi, impex_err *err)
{
    int rc = need_write(t, err);
    if (rc) return rc;
    if (!resolve(t, dbname, dbi))
        return impex_err_set(err, IMPEX_EUSAGE,
                             "store: database %s does not exist (impex_store_ensure_resource "
                             "not called?)",
                             dbname);
    return IMPEX_OK;
}

static int db_put(impex_txn *t, const char *dbname, const void *key, size_t klen, impex_slice val,
                  const char *what, impex_err *err)
{
    MDB_dbi dbi = 0;
    int rc = resolve_for_write(t, dbname, &dbi, err);
    if (rc) return rc;
    if (val.len && !val.ptr)
        return impex_err_set(err, IMPEX_EUSAGE, "store: value without bytes for %s", what);
    MDB_val k = {klen, (void *)key}, v = {val.len, (void *)val.ptr};
    rc = mdb_put(t->txn, dbi, &k, &v, 0);
    if (rc) return mdb_fail(err, rc, "writing %s", what);
    return IMPEX_OK;
}

/* --- records -------------------------------------------------------------- */

typedef struct record_scan_ctx {
    impex_record_cb cb;
    void *ctx;
    uint64_t count;
} record_scan_ctx;

static int record_scan_entry(void *ctx, const MDB_val *k, const MDB_val *v, size_t plen,
                             impex_err *err)
{
    (void)err;
    record_scan_ctx *c = ctx;
    impex_slice key = {(const char *)k->mv_data + plen, k->mv_size - plen};
    impex_slice val = {v->mv_data, v->mv_size};
    return c->cb(c->ctx, key, val);
}

static int record_count_entry(void *ctx, const MDB_val *k, const MDB_val *v, size_t plen,
                              impex_err *err)
{
    (void)k;
    (void)v;
    (void)plen;
    (void)err;
    ((record_scan_ctx *)ctx)->count++;
    return 0;
}

/* Describes a record for messages: "<tenant>/<key> in r:<Resource>". */
static void record_what(char *buf, size_t cap, const char *name, const char *k, size_t klen)
{
    char shown[200];
    printable(shown, sizeof shown, k, klen);
    snprintf(buf, cap, "record %s in %s", shown, name);
}

int impex_record_get(impex_txn *t, const char *resource, const char *tenant, impex_slice key,
                     impex_slice *val, impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3], k[STORE_KEY_BUF], what[512];
    size_t klen = 0;
    int rc = resource_db_name(resource, name, sizeof name, err);
    if (!rc) rc = record_key(t->s, tenant, key, k, &klen, err);
    if (rc) return rc;
    MDB_val v;
    rc = db_lookup(t, name, k, klen, &v);
    if (rc == MDB_SUCCESS) {
        val->ptr = v.mv_data;
        val->len = v.mv_size;
        return IMPEX_OK;
    }
    record_what(what, sizeof what, name, k, klen); /* only on failure: gets are hot */
    if (rc == MDB_NOTFOUND) return impex_err_set(err, IMPEX_ENOTFOUND, "store: %s not found", what);
    return mdb_fail(err, rc, "reading %s", what);
}

int impex_record_put(impex_txn *t, const char *resource, const char *tenant, impex_slice key,
                     impex_slice val, impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3], k[STORE_KEY_BUF];
    size_t klen = 0;
    int rc = resource_db_name(resource, name, sizeof name, err);
    if (!rc) rc = record_key(t->s, tenant, key, k, &klen, err);
    if (rc) return rc;
    /* Errors name the DB only: formatting the key on every put costs. */
    return db_put(t, name, k, klen, val, name, err);
}

int impex_record_del(impex_txn *t, const char *resource, const char *tenant, impex_slice key,
                     impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3], k[STORE_KEY_BUF], what[512];
    size_t klen = 0;
    int rc = resource_db_name(resource, name, sizeof name, err);
    if (!rc) rc = record_key(t->s, tenant, key, k, &klen, err);
    if (!rc) rc = need_write(t, err);
    if (rc) return rc;
    MDB_dbi dbi;
    rc = MDB_NOTFOUND;
    MDB_val mk = {klen, k};
    if (resolve(t, name, &dbi)) rc = mdb_del(t->txn, dbi, &mk, NULL);
    if (rc == MDB_SUCCESS) return IMPEX_OK;
    record_what(what, sizeof what, name, k, klen);
    if (rc == MDB_NOTFOUND) return impex_err_set(err, IMPEX_ENOTFOUND, "store: %s not found", what);
    return mdb_fail(err, rc, "deleting %s", what);
}

/* --- record writer -------------------------------------------------------- */

struct impex_record_writer {
    impex_txn *t;
    MDB_cursor *cur;
    char name[STORE_MAX_RESOURCE + 3];
    char key[STORE_KEY_BUF];
    size_t tlen;    /* tenant NUL, at the start of key */
    int append;     /* keys have sorted after every stored key so far */
    int positioned; /* the cursor rests on key (put_new or get found it) */
};

int impex_record_writer_open(impex_txn *t, const char *resource, const char *tenant,
                             impex_record_writer **out, impex_err *err)
{
    *out = NULL;
    impex_record_writer *w = calloc(1, sizeof *w);
    if (!w) return impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
    size_t klen = 0;
    MDB_dbi dbi = 0;
    int rc = resource_db_name(resource, w->name, sizeof w->name, err);
    if (!rc) rc = record_key(t->s, tenant, (impex_slice){0}, w->key, &klen, err);
    if (!rc) rc = resolve_for_write(t, w->name, &dbi, err);
    if (!rc && (rc = mdb_cursor_open(t->txn, dbi, &w->cur)))
        rc = mdb_fail(err, rc, "opening a cursor on %s", w->name);
    if (rc) {
        free(w);
        return rc;
    }
    w->t = t;
    w->tlen = klen;
    w->append = 1;
    *out = w;
    return IMPEX_OK;
}

void impex_record_writer_close(impex_record_writer *w)
{
    if (!w) return;
    mdb_cursor_close(w->cur);
    free(w);
}

static int writer_key(impex_record_writer *w, impex_slice key, MDB_val *k, impex_err *err)
{
    if (w->tlen + key.len > w->t->s->max_key)
        return impex_err_set(err, IMPEX_ELIMIT, "store: key too long (%zu bytes; max %zu)",
                             w->tlen + key.len, w->t->s->max_key);
    if (key.len) memcpy(w->key + w->tlen, key.ptr, key.len);
    k->mv_size = w->tlen + key.len;
    k->mv_data = w->key;
    return IMPEX_OK;
}

int impex_record_writer_put_new(impex_record_writer *w, impex_slice key, impex_slice val,
                                impex_slice *existing, impex_err *err)
{
    MDB_val k, v = {val.len, (void *)val.ptr};
    int rc = writer_key(w, key, &k, err);
    if (rc) return rc;
    w->positioned = 0;
    if (w->append) {
        /* A first import of a file in key order: each page is filled, not split in half. */
        rc = mdb_cursor_put(w->cur, &k, &v, MDB_APPEND);
        if (rc == MDB_SUCCESS) return IMPEX_OK;
        if (rc != MDB_KEYEXIST)
            return mdb_fail(err, write_errno(w->t->s, rc), "writing %s", w->name);
        w->append = 0; /* out of order or present: look it up from now on */
        v = (MDB_val){val.len, (void *)val.ptr};
    }
    rc = mdb_cursor_put(w->cur, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) {
        if (existing) *existing = (impex_slice){v.mv_data, v.mv_size};
        w->positioned = 1;
        return IMPEX_EEXISTS;
    }
    if (rc) return mdb_fail(err, write_errno(w->t->s, rc), "writing %s", w->name);
    return IMPEX_OK;
}

int impex_record_writer_replace(impex_record_writer *w, impex_slice key, impex_slice val,
                                impex_err *err)
{
    MDB_val k, v = {val.len, (void *)val.ptr};
    int rc = writer_key(w, key, &k, err);
    if (rc) return rc;
    rc = mdb_cursor_put(w->cur, &k, &v, w->positioned ? MDB_CURRENT : 0);
    w->positioned = 0;
    if (rc) return mdb_fail(err, write_errno(w->t->s, rc), "writing %s", w->name);
    return IMPEX_OK;
}

int impex_record_writer_get(impex_record_writer *w, impex_slice key, impex_slice *val,
                            impex_err *err)
{
    MDB_val k, v;
    int rc = writer_key(w, key, &k, err);
    if (rc) return rc;
    rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_KEY);
    w->positioned = rc == MDB_SUCCESS;
    if (rc == MDB_NOTFOUND) return IMPEX_ENOTFOUND;
    if (rc) return mdb_fail(err, rc, "reading %s", w->name);
    *val = (impex_slice){v.mv_data, v.mv_size};
    return IMPEX_OK;
}

int impex_record_writer_del(impex_record_writer *w, impex_slice key, impex_err *err)
{
    MDB_val k, v;
    int rc = writer_key(w, key, &k, err);
    if (rc) return rc;
    w->positioned = 0;
    rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET);
    if (rc == MDB_NOTFOUND) return IMPEX_ENOTFOUND;
    if (!rc) rc = mdb_cursor_del(w->cur, 0);
    if (rc) return mdb_fail(err, write_errno(w->t->s, rc), "deleting from %s", w->name);
    return IMPEX_OK;
}

int impex_record_scan(impex_txn *t, const char *resource, const char *tenant, impex_record_cb cb,
                      void *ctx, impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3], prefix[STORE_KEY_BUF];
    size_t plen = 0;
    int rc = resource_db_name(resource, name, sizeof name, err);
    if (!rc) rc = record_key(t->s, tenant, (impex_slice){NULL, 0}, prefix, &plen, err);
    if (rc) return rc;
    MDB_dbi dbi;
    if (!resolve(t, name, &dbi)) return IMPEX_OK;
    record_scan_ctx c = {cb, ctx, 0};
    return scan_prefix(t, dbi, name, prefix, plen, record_scan_entry, &c, err);
}

int impex_record_count(impex_txn *t, const char *resource, const char *tenant, uint64_t *count,
                       impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3], prefix[STORE_KEY_BUF];
    size_t plen = 0;
    *count = 0;
    int rc = resource_db_name(resource, name, sizeof name, err);
    if (!rc) rc = record_key(t->s, tenant, (impex_slice){NULL, 0}, prefix, &plen, err);
    if (rc) return rc;
    MDB_dbi dbi;
    if (!resolve(t, name, &dbi)) return IMPEX_OK;

    /* Keys are sorted, so when the first and the last key both belong to
     * tenant, every key does and the DB's entry count is the answer. */
    MDB_cursor *cur = NULL;
    rc = mdb_cursor_open(t->txn, dbi, &cur);
    if (rc) return mdb_fail(err, rc, "opening a cursor on %s", name);
    MDB_val k, v;
    int only = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (rc == MDB_SUCCESS && has_prefix(&k, prefix, plen)) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        only = rc == MDB_SUCCESS && has_prefix(&k, prefix, plen);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) return IMPEX_OK; /* empty DB */
    if (rc) return mdb_fail(err, rc, "counting %s", name);
    if (only) {
        MDB_stat st;
        rc = mdb_stat(t->txn, dbi, &st);
        if (rc) return mdb_fail(err, rc, "counting %s", name);
        *count = st.ms_entries;
        return IMPEX_OK;
    }
    record_scan_ctx c = {NULL, NULL, 0};
    rc = scan_prefix(t, dbi, name, prefix, plen, record_count_entry, &c, err);
    if (rc == IMPEX_OK) *count = c.count;
    return rc;
}

/* --- jobs, batches, rejects, files ---------------------------------------- */

typedef struct blob_scan_ctx {
    impex_blob_cb cb;
    void *ctx;
    const char *dbname;
} blob_scan_ctx;

/* Keys are u64 BE, after an 8-byte job prefix for batches and rejects. */
static int blob_scan_entry(void *ctx, const MDB_val *k, const MDB_val *v, size_t plen,
                           impex_err *err)
{
    blob_scan_ctx *c = ctx;
    if (k->mv_size != plen + 8)
        return impex_err_set(err, IMPEX_ESTORE, "store: corrupt key (%zu bytes) in %s", k->mv_size,
                             c->dbname);
    uint64_t id = get_u64be((const unsigned char *)k->mv_data + plen);
    return c->cb(c->ctx, id, (impex_slice){v->mv_data, v->mv_size});
}

static int blob_scan(impex_txn *t, const char *dbname, const void *prefix, size_t plen,
                     impex_blob_cb cb, void *ctx, impex_err *err)
{
    MDB_dbi dbi;
    if (!resolve(t, dbname, &dbi)) return IMPEX_OK;
    blob_scan_ctx c = {cb, ctx, dbname};
    return scan_prefix(t, dbi, dbname, prefix, plen, blob_scan_entry, &c, err);
}

int impex_job_alloc_id(impex_txn *t, uint64_t *id, impex_err *err)
{
    int rc = need_write(t, err);
    if (rc) return rc;
    MDB_val cur;
    uint64_t next = 1; /* no counter yet: the first job */
    rc = db_lookup(t, "meta", STORE_NEXT_JOB_KEY, strlen(STORE_NEXT_JOB_KEY), &cur);
    if (rc == MDB_SUCCESS) {
        if (cur.mv_size != 8)
            return impex_err_set(err, IMPEX_ESTORE, "store: corrupt %s counter (%zu bytes)",
                                 STORE_NEXT_JOB_KEY, cur.mv_size);
        next = get_u64be(cur.mv_data);
    } else if (rc != MDB_NOTFOUND) {
        return mdb_fail(err, rc, "reading meta " STORE_NEXT_JOB_KEY);
    }
    unsigned char buf[8];
    put_u64be(buf, next + 1);
    rc = db_put(t, "meta", STORE_NEXT_JOB_KEY, strlen(STORE_NEXT_JOB_KEY),
                (impex_slice){(const char *)buf, 8}, "meta " STORE_NEXT_JOB_KEY, err);
    if (rc) return rc;
    *id = next;
    return IMPEX_OK;
}

int impex_meta_get(impex_txn *t, impex_slice key, impex_slice *val, impex_err *err)
{
    return db_get(t, "meta", key.ptr, key.len, val, "meta entry", err);
}

int impex_meta_put(impex_txn *t, impex_slice key, impex_slice val, impex_err *err)
{
    return db_put(t, "meta", key.ptr, key.len, val, "meta entry", err);
}

int impex_job_put(impex_txn *t, uint64_t id, impex_slice json, impex_err *err)
{
    unsigned char k[8];
    char what[40];
    put_u64be(k, id);
    snprintf(what, sizeof what, "job %" PRIu64, id);
    return db_put(t, "jobs", k, sizeof k, json, what, err);
}

int impex_job_get(impex_txn *t, uint64_t id, impex_slice *json, impex_err *err)
{
    unsigned char k[8];
    char what[40];
    put_u64be(k, id);
    snprintf(what, sizeof what, "job %" PRIu64, id);
    return db_get(t, "jobs", k, sizeof k, json, what, err);
}

int impex_job_scan(impex_txn *t, impex_blob_cb cb, void *ctx, impex_err *err)
{
    return blob_scan(t, "jobs", NULL, 0, cb, ctx, err);
}

/* Batch results and rejected rows share one layout: key (job, n), both u64 BE. */
static int job_item_put(impex_txn *t, const char *db, const char *noun, uint64_t job, uint64_t n,
                        impex_slice json, impex_err *err)
{
    unsigned char k[16];
    char what[80];
    put_u64be(k, job);
    put_u64be(k + 8, n);
    snprintf(what, sizeof what, "%s %" PRIu64 " of job %" PRIu64, noun, n, job);
    return db_put(t, db, k, sizeof k, json, what, err);
}

static int job_item_scan(impex_txn *t, const char *db, uint64_t job, impex_blob_cb cb, void *ctx,
                         impex_err *err)
{
    unsigned char k[8];
    put_u64be(k, job);
    return blob_scan(t, db, k, sizeof k, cb, ctx, err);
}

int impex_batch_put(impex_txn *t, uint64_t job, uint64_t batch, impex_slice json, impex_err *err)
{
    return job_item_put(t, "batches", "batch", job, batch, json, err);
}

int impex_batch_scan(impex_txn *t, uint64_t job, impex_blob_cb cb, void *ctx, impex_err *err)
{
    return job_item_scan(t, "batches", job, cb, ctx, err);
}

int impex_step_put(impex_txn *t, uint64_t job, uint64_t step, impex_slice json, impex_err *err)
{
    return job_item_put(t, "steps", "step", job, step, json, err);
}

int impex_step_scan(impex_txn *t, uint64_t job, impex_blob_cb cb, void *ctx, impex_err *err)
{
    return job_item_scan(t, "steps", job, cb, ctx, err);
}

int impex_reject_put(impex_txn *t, uint64_t job, uint64_t seq, impex_slice json, impex_err *err)
{
    return job_item_put(t, "rejects", "reject", job, seq, json, err);
}

int impex_reject_scan(impex_txn *t, uint64_t job, impex_blob_cb cb, void *ctx, impex_err *err)
{
    return job_item_scan(t, "rejects", job, cb, ctx, err);
}

static int file_key(const impex_store *s, const char *file_id, impex_err *err)
{
    size_t len = file_id ? strlen(file_id) : 0;
    if (len == 0) return impex_err_set(err, IMPEX_EUSAGE, "store: empty file id");
    if (len > s->max_key)
        return impex_err_set(err, IMPEX_ELIMIT, "store: file id too long (%zu bytes)", len);
    return IMPEX_OK;
}

int impex_file_put(impex_txn *t, const char *file_id, impex_slice json, impex_err *err)
{
    char what[300];
    int rc = file_key(t->s, file_id, err);
    if (rc) return rc;
    snprintf(what, sizeof what, "file '%.200s'", file_id);
    return db_put(t, "files", file_id, strlen(file_id), json, what, err);
}

int impex_file_get(impex_txn *t, const char *file_id, impex_slice *json, impex_err *err)
{
    char what[300];
    int rc = file_key(t->s, file_id, err);
    if (rc) return rc;
    snprintf(what, sizeof what, "file '%.200s'", file_id);
    return db_get(t, "files", file_id, strlen(file_id), json, what, err);
}

/* --- paging ---------------------------------------------------------------- */

/* LMDB's default key order: bytes, then length. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

int impex_record_page(impex_store *s, const char *resource, const char *tenant, impex_slice after,
                      size_t max, impex_record_cb cb, void *ctx, impex_buf *last, int *done,
                      impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3], from[STORE_KEY_BUF];
    size_t flen = 0, plen = 0;
    if (!s || !cb || !last || !done || max == 0)
        return impex_err_set(err, IMPEX_EUSAGE, "store: bad arguments to impex_record_page");
    *done = 0;
    int rc = resource_db_name(resource, name, sizeof name, err);
    if (!rc) rc = record_key(s, tenant, (impex_slice){NULL, 0}, from, &plen, err);
    if (!rc) rc = record_key(s, tenant, after, from, &flen, err);
    if (rc) return rc;
    impex_txn t = {s, NULL, 0};
    rc = begin_read(s, &t.txn, err);
    if (rc) return rc;
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    if (!resolve(&t, name, &dbi)) { /* never created: nothing to visit */
        *done = 1;
        goto out;
    }
    rc = mdb_cursor_open(t.txn, dbi, &cur);
    if (rc) {
        rc = mdb_fail(err, rc, "opening a cursor on %s", name);
        goto out;
    }
    /* WHERE key > after ORDER BY key LIMIT max, as one range seek. */
    MDB_val k = {flen, from}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS && after.len && key_cmp(k.mv_data, k.mv_size, from, flen) == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    size_t seen = 0;
    for (;; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (rc == MDB_NOTFOUND || (rc == MDB_SUCCESS && !has_prefix(&k, from, plen))) {
            *done = 1;
            rc = IMPEX_OK;
            break;
        }
        if (rc) {
            rc = mdb_fail(err, rc, "reading %s", name);
            break;
        }
        if (seen == max) break; /* more follow */
        /* A damaged page can hand back keys out of order; never go round. */
        if (key_cmp(k.mv_data, k.mv_size, from, flen) <= 0) {
            rc = impex_err_set(err, IMPEX_ESTORE,
                               "store: %s is damaged: keys out of order (run impex verify)", name);
            break;
        }
        impex_buf_reset(last);
        if (impex_buf_append(last, (const char *)k.mv_data + plen, k.mv_size - plen)) {
            rc = impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
            break;
        }
        memcpy(from + plen, last->ptr, last->len);
        flen = k.mv_size;
        seen++;
        rc = cb(ctx, (impex_slice){last->ptr, last->len}, (impex_slice){v.mv_data, v.mv_size});
        if (rc) break;
    }
out:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(t.txn);
    return rc;
}

/* Items (batches, rejects) of one job after n = after, as impex_record_page. */
static int job_item_page(impex_store *s, const char *db, uint64_t job, uint64_t after,
                         int from_start, size_t max, impex_blob_cb cb, void *ctx, uint64_t *last,
                         int *done, impex_err *err)
{
    if (!s || !cb || !last || !done || max == 0)
        return impex_err_set(err, IMPEX_EUSAGE, "store: bad arguments to a page of %s", db);
    *done = 0;
    unsigned char from[16];
    put_u64be(from, job);
    put_u64be(from + 8, after);
    impex_txn t = {s, NULL, 0};
    int rc = begin_read(s, &t.txn, err);
    if (rc) return rc;
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    if (!resolve(&t, db, &dbi)) {
        *done = 1;
        goto out;
    }
    rc = mdb_cursor_open(t.txn, dbi, &cur);
    if (rc) {
        rc = mdb_fail(err, rc, "opening a cursor on %s", db);
        goto out;
    }
    MDB_val k = {from_start ? 8 : 16, from}, v;
    size_t seen = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (rc == MDB_NOTFOUND || (rc == MDB_SUCCESS && !has_prefix(&k, from, 8))) {
            *done = 1;
            rc = IMPEX_OK;
            break;
        }
        if (rc) {
            rc = mdb_fail(err, rc, "reading %s", db);
            break;
        }
        if (k.mv_size != 16) {
            rc = impex_err_set(err, IMPEX_ESTORE, "store: corrupt key (%zu bytes) in %s", k.mv_size,
                               db);
            break;
        }
        uint64_t n = get_u64be((const unsigned char *)k.mv_data + 8);
        if (!from_start && n <= after) continue; /* the key we resume after */
        if (seen == max) break;
        if (seen && n <= *last) { /* damaged pages: never go round */
            rc = impex_err_set(err, IMPEX_ESTORE,
                               "store: %s is damaged: keys out of order (run impex verify)", db);
            break;
        }
        *last = n;
        seen++;
        rc = cb(ctx, n, (impex_slice){v.mv_data, v.mv_size});
        if (rc) break;
    }
out:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(t.txn);
    return rc;
}

int impex_reject_page(impex_store *s, uint64_t job, uint64_t after, int from_start, size_t max,
                      impex_blob_cb cb, void *ctx, uint64_t *last, int *done, impex_err *err)
{
    return job_item_page(s, "rejects", job, after, from_start, max, cb, ctx, last, done, err);
}

/* --- verify ----------------------------------------------------------------- */

static int walk_damage(const impex_walk_ops *ops, void *ctx, const char *db, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int walk_damage(const impex_walk_ops *ops, void *ctx, const char *db, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ops->damage ? ops->damage(ctx, db, what) : 0;
}

/* Every entry of one DB in key order; damage is reported, not returned. */
static int walk_db(MDB_txn *txn, MDB_dbi dbi, const char *db, const impex_walk_ops *ops, void *ctx)
{
    MDB_stat st;
    int rc = mdb_stat(txn, dbi, &st);
    if (rc) return walk_damage(ops, ctx, db, "cannot read its header: %s", mdb_strerror(rc));
    if (ops->db && (rc = ops->db(ctx, db, st.ms_entries)) != 0) return rc;
    MDB_cursor *cur = NULL;
    rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return walk_damage(ops, ctx, db, "cannot open a cursor: %s", mdb_strerror(rc));
    MDB_val k, v, prev = {0, NULL};
    uint64_t n = 0;
    for (int op = MDB_FIRST;; op = MDB_NEXT) {
        rc = mdb_cursor_get(cur, &k, &v, op);
        if (rc == MDB_NOTFOUND) {
            rc = n == st.ms_entries
                     ? 0
                     : walk_damage(ops, ctx, db, "holds %" PRIu64 " entries, its header says %zu",
                                   n, st.ms_entries);
            break;
        }
        if (rc) {
            rc = walk_damage(ops, ctx, db, "read failed after %" PRIu64 " entries: %s", n,
                             mdb_strerror(rc));
            break;
        }
        if (n && key_cmp(k.mv_data, k.mv_size, prev.mv_data, prev.mv_size) <= 0) {
            rc = walk_damage(ops, ctx, db, "keys out of order after %" PRIu64 " entries", n);
            break;
        }
        if (++n > st.ms_entries) { /* a cycle through damaged pages: stop */
            rc = walk_damage(ops, ctx, db, "more entries than its header's %zu", st.ms_entries);
            break;
        }
        prev = k;
        if (ops->entry && (rc = ops->entry(ctx, db, (impex_slice){k.mv_data, k.mv_size},
                                           (impex_slice){v.mv_data, v.mv_size})) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc;
}

int impex_store_walk(impex_store *s, const impex_walk_ops *ops, void *ctx, impex_err *err)
{
    if (!s || !ops) return impex_err_set(err, IMPEX_EUSAGE, "store: bad arguments to walk");
    MDB_txn *txn = NULL;
    int rc = begin_read(s, &txn, err);
    if (rc) return rc;
    /* The handle table holds every DB of this snapshot (begin_read). */
    for (size_t i = 0;; i++) {
        pthread_mutex_lock(&s->mu);
        int more = i < s->ndbs;
        store_db d = more ? s->dbs[i] : (store_db){0};
        char name[STORE_KEY_BUF] = "";
        if (more) snprintf(name, sizeof name, "%s", d.name);
        pthread_mutex_unlock(&s->mu);
        if (!more) break;
        unsigned flags;
        if (!d.is_db) {
            rc = walk_damage(ops, ctx, name, "an entry of the database list is not a database");
        } else if (mdb_dbi_flags(txn, d.dbi, &flags) == MDB_SUCCESS) {
            rc = walk_db(txn, d.dbi, name, ops, ctx);
        }
        if (rc) break;
    }
    mdb_txn_abort(txn);
    return rc;
}

/* Blob values are JSON objects (jobs, batches, rejects, files). */
static int is_json_object(impex_slice v)
{
    json_t *j = json_loadb(v.ptr, v.len, 0, NULL);
    int ok = json_is_object(j);
    json_decref(j);
    return ok;
}

int impex_store_check_entry(const char *db, const impex_dict *dict, impex_slice key,
                            impex_slice val, char *why, size_t cap)
{
    const char *nul = key.len ? memchr(key.ptr, 0, key.len) : NULL;
    if (!strncmp(db, "r:", 2)) {
        if (!nul || nul == key.ptr || (size_t)(nul - key.ptr) + 1 == key.len) {
            snprintf(why, cap, "key is not <tenant> NUL <key>");
            return IMPEX_EFORMAT;
        }
        impex_codec_iter it;
        impex_value v;
        impex_err e;
        impex_err_clear(&e);
        impex_slice rkey = {nul + 1, key.len - (size_t)(nul + 1 - key.ptr)};
        int rc = impex_codec_iter_init(&it, dict, rkey, val, &e);
        while (!rc && (rc = impex_codec_next(&it, &v, &e)) == 1)
            rc = 0;
        if (rc) snprintf(why, cap, "%s", e.msg);
        return rc;
    }
    size_t klen = !strcmp(db, "jobs")                                                        ? 8
                  : !strcmp(db, "batches") || !strcmp(db, "rejects") || !strcmp(db, "steps") ? 16
                                                                                             : 0;
    if (!strcmp(db, "seen") && (key.len < 12 || val.len != 8)) {
        snprintf(why, cap, "seen key of %zu bytes with a value of %zu", key.len, val.len);
        return IMPEX_EFORMAT;
    }
    if (klen && key.len != klen) {
        snprintf(why, cap, "key of %zu bytes, expected %zu", key.len, klen);
        return IMPEX_EFORMAT;
    }
    int names = key.len > strlen(IMPEX_DICT_KEY_PREFIX) &&
                !memcmp(key.ptr, IMPEX_DICT_KEY_PREFIX, strlen(IMPEX_DICT_KEY_PREFIX));
    int values = key.len > strlen(IMPEX_VALS_KEY_PREFIX) &&
                 !memcmp(key.ptr, IMPEX_VALS_KEY_PREFIX, strlen(IMPEX_VALS_KEY_PREFIX));
    if (!strcmp(db, "meta") && (names || values)) {
        impex_dict *d = NULL;
        impex_err e;
        impex_err_clear(&e);
        int rc = impex_dict_parse(names ? val : (impex_slice){0}, values ? val : (impex_slice){0},
                                  &d, &e);
        impex_dict_free(d);
        if (rc) snprintf(why, cap, "%s", e.msg);
        return rc;
    }
    if (!strcmp(db, "meta")) {
        if (key.len == strlen(STORE_NEXT_JOB_KEY) &&
            !memcmp(key.ptr, STORE_NEXT_JOB_KEY, key.len) && val.len != 8) {
            snprintf(why, cap, "%s counter of %zu bytes", STORE_NEXT_JOB_KEY, val.len);
            return IMPEX_EFORMAT;
        }
        return IMPEX_OK;
    }
    if (!strcmp(db, "rejects") && !is_json_object(val)) { /* JSON: written before version 1 */
        impex_reject r;
        impex_err e;
        int rc = impex_reject_decode(val, &r, &e);
        impex_reject_free(&r);
        if (rc) snprintf(why, cap, "%s", e.msg);
        return rc;
    }
    if ((klen || !strcmp(db, "files")) && !is_json_object(val)) {
        snprintf(why, cap, "value is not a JSON object");
        return IMPEX_EFORMAT;
    }
    return IMPEX_OK;
}

/* --- backup ------------------------------------------------------------------ */

int impex_store_backup(impex_store *s, const char *dest, impex_err *err)
{
    if (!s || !dest || !*dest) return impex_err_set(err, IMPEX_EUSAGE, "store: no backup folder");
    /* Compacting copy: a read txn only, so it never waits for an import. */
    int rc = mdb_env_copy2(s->env, dest, MDB_CP_COMPACT);
    if (rc) return mdb_fail(err, rc, "copying the store to %s", dest);
    return IMPEX_OK;
}

/* --- seen keys ---------------------------------------------------------------- */

#define SEEN_DB "seen"

struct impex_seen_writer {
    impex_txn *t;
    MDB_cursor *cur;
    unsigned char key[STORE_KEY_BUF];
    int append; /* keys have sorted after every stored key so far */
    int placed; /* the cursor rests on the key add just put */
};

static size_t seen_key(unsigned char *buf, uint64_t job, uint32_t set, impex_slice key)
{
    put_u64be(buf, job);
    for (int i = 0; i < 4; i++)
        buf[8 + i] = (unsigned char)(set >> (24 - 8 * i));
    if (key.len) memcpy(buf + 12, key.ptr, key.len);
    return 12 + key.len;
}

static int seen_key_check(const impex_store *s, impex_slice key, impex_err *err)
{
    if (12 + key.len > s->max_key)
        return impex_err_set(err, IMPEX_ELIMIT, "store: seen key too long (%zu bytes)",
                             12 + key.len);
    return IMPEX_OK;
}

int impex_seen_writer_open(impex_txn *t, impex_seen_writer **out, impex_err *err)
{
    *out = NULL;
    MDB_dbi dbi = 0;
    int rc = resolve_for_write(t, SEEN_DB, &dbi, err);
    if (rc) return rc;
    impex_seen_writer *w = calloc(1, sizeof *w);
    if (!w) return impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
    if ((rc = mdb_cursor_open(t->txn, dbi, &w->cur))) {
        free(w);
        return mdb_fail(err, rc, "opening a cursor on %s", SEEN_DB);
    }
    w->t = t;
    w->append = 1;
    *out = w;
    return IMPEX_OK;
}

void impex_seen_writer_close(impex_seen_writer *w)
{
    if (!w) return;
    mdb_cursor_close(w->cur);
    free(w);
}

int impex_seen_add(impex_seen_writer *w, uint64_t job, uint32_t set, impex_slice key, uint64_t row,
                   uint64_t *first, impex_err *err)
{
    int rc = seen_key_check(w->t->s, key, err);
    if (rc) return rc;
    unsigned char rowbuf[8];
    put_u64be(rowbuf, row);
    MDB_val k = {seen_key(w->key, job, set, key), w->key}, v = {8, rowbuf};
    w->placed = 0;
    if (w->append) {
        /* A file in key order: pages are filled, not split in half. */
        rc = mdb_cursor_put(w->cur, &k, &v, MDB_APPEND);
        if (rc == MDB_SUCCESS) {
            w->placed = 1;
            return IMPEX_OK;
        }
        if (rc != MDB_KEYEXIST) return mdb_fail(err, write_errno(w->t->s, rc), "writing seen");
        w->append = 0;
        v = (MDB_val){8, rowbuf};
    }
    rc = mdb_cursor_put(w->cur, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) {
        if (first) *first = v.mv_size == 8 ? get_u64be(v.mv_data) : 0;
        return IMPEX_EEXISTS;
    }
    if (rc) return mdb_fail(err, write_errno(w->t->s, rc), "writing seen");
    w->placed = 1;
    return IMPEX_OK;
}

int impex_seen_replace(impex_seen_writer *w, uint64_t row, impex_err *err)
{
    unsigned char rowbuf[8];
    put_u64be(rowbuf, row);
    MDB_val k, cur, v = {8, rowbuf};
    int rc = mdb_cursor_get(w->cur, &k, &cur, MDB_GET_CURRENT);
    if (!rc) rc = mdb_cursor_put(w->cur, &k, &v, MDB_CURRENT);
    if (rc) return mdb_fail(err, write_errno(w->t->s, rc), "writing seen");
    w->placed = 0;
    return IMPEX_OK;
}

int impex_seen_undo(impex_seen_writer *w, impex_err *err)
{
    if (!w->placed) return IMPEX_OK;
    w->placed = 0;
    int rc = mdb_cursor_del(w->cur, 0);
    if (rc) return mdb_fail(err, write_errno(w->t->s, rc), "deleting from seen");
    return IMPEX_OK;
}

int impex_seen_get(impex_txn *t, uint64_t job, uint32_t set, impex_slice key, uint64_t *row,
                   impex_err *err)
{
    unsigned char buf[STORE_KEY_BUF];
    MDB_val v;
    int rc = seen_key_check(t->s, key, err);
    if (rc) return rc;
    rc = db_lookup(t, SEEN_DB, buf, seen_key(buf, job, set, key), &v);
    if (rc == MDB_NOTFOUND) return IMPEX_ENOTFOUND;
    if (rc) return mdb_fail(err, rc, "reading seen");
    if (row) *row = v.mv_size == 8 ? get_u64be(v.mv_data) : 0;
    return IMPEX_OK;
}

int impex_seen_clear(impex_txn *t, uint64_t job, size_t max, int *done, impex_err *err)
{
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    unsigned char prefix[8];
    int rc = need_write(t, err);
    *done = 1;
    if (rc || !resolve(t, SEEN_DB, &dbi)) return rc;
    if ((rc = mdb_cursor_open(t->txn, dbi, &cur))) return mdb_fail(err, rc, "opening seen");
    put_u64be(prefix, job);
    MDB_val k = {8, prefix}, v;
    size_t n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == MDB_SUCCESS && has_prefix(&k, prefix, 8);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n == max) {
            *done = 0;
            break;
        }
        if ((rc = mdb_cursor_del(cur, 0))) break;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return mdb_fail(err, write_errno(t->s, rc), "clearing seen");
    return IMPEX_OK;
}

int impex_seen_next_job(impex_txn *t, uint64_t from, uint64_t *job, impex_err *err)
{
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    unsigned char prefix[8];
    if (!resolve(t, SEEN_DB, &dbi)) return IMPEX_ENOTFOUND;
    int rc = mdb_cursor_open(t->txn, dbi, &cur);
    if (rc) return mdb_fail(err, rc, "opening seen");
    put_u64be(prefix, from);
    MDB_val k = {8, prefix}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS && k.mv_size >= 8) *job = get_u64be(k.mv_data);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) return IMPEX_ENOTFOUND;
    if (rc) return mdb_fail(err, rc, "reading seen");
    return IMPEX_OK;
}

/* --- sweeping a resource ------------------------------------------------------- */

int impex_record_sweep(impex_txn *t, const char *resource, const char *tenant, impex_slice after,
                       size_t max_visit, size_t max_del, impex_sweep_cb cb, void *ctx,
                       impex_buf *last, int *done, uint64_t *deleted, impex_err *err)
{
    char name[STORE_MAX_RESOURCE + 3], from[STORE_KEY_BUF];
    size_t flen = 0, plen = 0;
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    *done = 1;
    *deleted = 0;
    int rc = need_write(t, err);
    if (!rc) rc = resource_db_name(resource, name, sizeof name, err);
    if (!rc) rc = record_key(t->s, tenant, (impex_slice){0}, from, &plen, err);
    if (!rc) rc = record_key(t->s, tenant, after, from, &flen, err);
    if (rc || !resolve(t, name, &dbi)) return rc;
    if ((rc = mdb_cursor_open(t->txn, dbi, &cur))) return mdb_fail(err, rc, "opening %s", name);
    MDB_val k = {flen, from}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS && after.len && key_cmp(k.mv_data, k.mv_size, from, flen) == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    size_t visited = 0;
    int ours = 0; /* rc is an impex code (ours), not LMDB's */
    for (; rc == MDB_SUCCESS && has_prefix(&k, from, plen);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        ours = 1;
        if (visited == max_visit || *deleted == max_del) {
            *done = 0;
            break;
        }
        visited++;
        impex_slice key = {(const char *)k.mv_data + plen, k.mv_size - plen};
        impex_buf_reset(last);
        if (impex_buf_append(last, key.ptr, key.len)) {
            rc = impex_err_set(err, IMPEX_ENOMEM, "store: out of memory");
            break;
        }
        int del = 0;
        if ((rc = cb(ctx, (impex_slice){last->ptr, last->len}, (impex_slice){v.mv_data, v.mv_size},
                     &del)))
            break;
        ours = 0;
        if (!del) continue;
        if ((rc = mdb_cursor_del(cur, 0))) {
            rc = mdb_fail(err, write_errno(t->s, rc), "deleting from %s", name);
            ours = 1;
            break;
        }
        (*deleted)++;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND || (rc == MDB_SUCCESS)) return IMPEX_OK;
    return ours ? rc : mdb_fail(err, rc, "reading %s", name);
}
