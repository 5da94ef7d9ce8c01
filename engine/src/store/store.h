/* The store: one LMDB environment in <data>/store, one named database per
 * concern. This interface is kept narrow on purpose so that another backend
 * (PostgreSQL, planned) is a new file behind the same calls: a write
 * transaction holds a batch's records, rejected rows, batch result and the
 * job checkpoint, and commits them together or not at all.
 *
 * Databases (LMDB named DBs):
 *   "r:<Resource>"  records   key = tenant NUL key-bytes   value = record codec bytes
 *   "jobs"          jobs      key = u64 BE job id          value = job JSON text (no steps)
 *   "steps"         job steps key = u64 BE job, u64 BE step value = step JSON text
 *   "batches"       results   key = u64 BE job, u64 BE n   value = batch JSON text
 *   "rejects"       rejected  key = u64 BE job, u64 BE seq value = reject JSON text
 *   "files"         file store index  key = file id text   value = JSON text
 *   "meta"          counters  key = name                   value = bytes
 *   "seen"          seen keys key = u64 BE job, u32 BE set, key bytes   value = u64 BE row
 *
 * Threads: a write txn must be used by the thread that began it. Read txns
 * may be used by any one thread at a time; several may be open at once. */
#ifndef IMPEX_STORE_STORE_H
#define IMPEX_STORE_STORE_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct impex_store impex_store;
typedef struct impex_txn impex_txn;

typedef struct impex_store_opts {
    uint64_t map_size; /* LMDB map size in bytes; default 64 GiB (sparse) */
    int read_only;     /* open without creating; no write txns */
} impex_store_opts;

/* Opens (creating if needed) the store under dir (created with mode 0700 if
 * missing; the LMDB files live in dir itself). opts may be NULL.
 * The caller owns *out (impex_store_close). */
int impex_store_open(const char *dir, const impex_store_opts *opts, impex_store **out,
                     impex_err *err);
void impex_store_close(impex_store *s);

/* Size in bytes of the LMDB data file (for memory accounting). */
uint64_t impex_store_file_size(const impex_store *s);

/* Makes sure the records database of `resource` exists (its own short write
 * txn). Call before a write txn that puts records of that resource. */
int impex_store_ensure_resource(impex_store *s, const char *resource, impex_err *err);

int impex_txn_begin(impex_store *s, int write, impex_txn **out, impex_err *err);
/* Commits and frees t (also on failure). */
int impex_txn_commit(impex_txn *t, impex_err *err);
/* Aborts and frees t. Safe with NULL. */
void impex_txn_abort(impex_txn *t);

/* --- records --------------------------------------------------------------
 * val slices returned by get/scan point into the map: valid until the txn
 * ends (or, in a write txn, until the next write). */
int impex_record_get(impex_txn *t, const char *resource, const char *tenant, impex_slice key,
                     impex_slice *val, impex_err *err); /* IMPEX_ENOTFOUND if absent */
int impex_record_put(impex_txn *t, const char *resource, const char *tenant, impex_slice key,
                     impex_slice val, impex_err *err);
/* IMPEX_ENOTFOUND if absent. */
int impex_record_del(impex_txn *t, const char *resource, const char *tenant, impex_slice key,
                     impex_err *err);

/* Writes one resource's records of one tenant inside write txn t through
 * a cursor that keeps its place: keys that arrive in order cost no descent
 * from the root, and while each key sorts after every stored one it is
 * appended (MDB_APPEND: pages filled, not split in half). Close it before
 * the txn ends. Values returned point into the map, as for get. */
typedef struct impex_record_writer impex_record_writer;
int impex_record_writer_open(impex_txn *t, const char *resource, const char *tenant,
                             impex_record_writer **out, impex_err *err);
void impex_record_writer_close(impex_record_writer *w);
/* Puts val only if key is new; otherwise returns IMPEX_EEXISTS (without
 * filling err), points *existing (if not NULL) at the stored value and
 * leaves the cursor on the key. One lookup instead of get-then-put. */
int impex_record_writer_put_new(impex_record_writer *w, impex_slice key, impex_slice val,
                                impex_slice *existing, impex_err *err);
/* IMPEX_ENOTFOUND if absent; the cursor rests on the key when found. */
int impex_record_writer_get(impex_record_writer *w, impex_slice key, impex_slice *val,
                            impex_err *err);
/* Puts key; when put_new or get just found that key, replaces it in place
 * (no second lookup). */
int impex_record_writer_replace(impex_record_writer *w, impex_slice key, impex_slice val,
                                impex_err *err);
int impex_record_writer_del(impex_record_writer *w, impex_slice key,
                            impex_err *err); /* ENOTFOUND */

/* Calls cb for every record of tenant in key order; cb returns 0 to go on,
 * anything else stops the scan and is returned. key excludes the tenant. */
typedef int (*impex_record_cb)(void *ctx, impex_slice key, impex_slice val);
int impex_record_scan(impex_txn *t, const char *resource, const char *tenant, impex_record_cb cb,
                      void *ctx, impex_err *err);
int impex_record_count(impex_txn *t, const char *resource, const char *tenant, uint64_t *count,
                       impex_err *err);

/* Pages through the records of (resource, tenant) in key order, each call in
 * a short read transaction of its own, so a long walk (dump, export) never
 * pins old pages while imports write: visits at most max records whose key
 * is after `after` (empty: from the first), copies the last visited key
 * into *last (the next call's `after`) and sets *done when no record
 * follows. The SQL form is WHERE key > $after ORDER BY key LIMIT $max.
 * cb runs inside the transaction (slices valid until it returns); a non-zero
 * return stops the page and is returned. A resource never created is empty. */
int impex_record_page(impex_store *s, const char *resource, const char *tenant, impex_slice after,
                      size_t max, impex_record_cb cb, void *ctx, impex_buf *last, int *done,
                      impex_err *err);

/* --- verify and backup ---------------------------------------------------
 * LMDB keeps no checksums: a damaged page shows as a read error, keys out of
 * order, a count that does not match, or (a damaged branch page) a crash of
 * the reading process. Walk in a process that may die (impex verify forks). */
typedef struct impex_walk_ops {
    /* each database, before its entries; entries = the count in its header */
    int (*db)(void *ctx, const char *db, uint64_t entries);
    /* each entry, in key order */
    int (*entry)(void *ctx, const char *db, impex_slice key, impex_slice val);
    /* damage the walk found itself; the walk goes on with the next database */
    int (*damage)(void *ctx, const char *db, const char *what);
} impex_walk_ops;
/* Walks every database in one read transaction. A callback's non-zero
 * return stops the walk and is returned. */
int impex_store_walk(impex_store *s, const impex_walk_ops *ops, void *ctx, impex_err *err);
/* Checks one entry against the layout of its database (key shape, record
 * encoding, JSON object, field dictionary); IMPEX_EFORMAT with the reason in
 * why. dict: for a records database, its resource's field dictionary. */
typedef struct impex_dict impex_dict;
int impex_store_check_entry(const char *db, const impex_dict *dict, impex_slice key,
                            impex_slice val, char *why, size_t cap);
/* A consistent, compacted copy of the store into the folder dest (it must
 * exist and hold no data.mdb). Takes a read transaction only: usable while
 * an import writes. */
int impex_store_backup(impex_store *s, const char *dest, impex_err *err);

/* --- jobs, batch results, rejected rows (JSON text values) ------------- */
/* Allocates the next job id (1, 2, ...) inside write txn t. */
int impex_job_alloc_id(impex_txn *t, uint64_t *id, impex_err *err);
int impex_job_put(impex_txn *t, uint64_t id, impex_slice json, impex_err *err);
int impex_job_get(impex_txn *t, uint64_t id, impex_slice *json, impex_err *err);
/* Every job in id order. */
typedef int (*impex_blob_cb)(void *ctx, uint64_t id, impex_slice json);
int impex_job_scan(impex_txn *t, impex_blob_cb cb, void *ctx, impex_err *err);

/* A job's steps, one record each, so that a commit rewrites only the steps
 * it changed (a zip of thousands of entries stays linear). */
int impex_step_put(impex_txn *t, uint64_t job, uint64_t step, impex_slice json, impex_err *err);
/* Steps of one job in step order (id passed to cb is the step index). */
int impex_step_scan(impex_txn *t, uint64_t job, impex_blob_cb cb, void *ctx, impex_err *err);

int impex_batch_put(impex_txn *t, uint64_t job, uint64_t batch, impex_slice json, impex_err *err);
int impex_batch_scan(impex_txn *t, uint64_t job, impex_blob_cb cb, void *ctx, impex_err *err);

int impex_reject_put(impex_txn *t, uint64_t job, uint64_t seq, impex_slice json, impex_err *err);
/* Rejected rows of one job in seq order (id passed to cb is the seq). */
int impex_reject_scan(impex_txn *t, uint64_t job, impex_blob_cb cb, void *ctx, impex_err *err);
/* At most max rejected rows of job with seq > after (from the first when
 * from_start), each page in its own short read transaction, as
 * impex_record_page: *last gets the last seq visited, *done is set at the end. */
int impex_reject_page(impex_store *s, uint64_t job, uint64_t after, int from_start, size_t max,
                      impex_blob_cb cb, void *ctx, uint64_t *last, int *done, impex_err *err);

/* Small named values in "meta" (counters, field dictionaries). get gives
 * IMPEX_ENOTFOUND when absent. */
int impex_meta_get(impex_txn *t, impex_slice key, impex_slice *val, impex_err *err);
int impex_meta_put(impex_txn *t, impex_slice key, impex_slice val, impex_err *err);

int impex_file_put(impex_txn *t, const char *file_id, impex_slice json, impex_err *err);
int impex_file_get(impex_txn *t, const char *file_id, impex_slice *json, impex_err *err);

/* --- seen keys ------------------------------------------------------------
 * The keys a job applied, per set (a number the caller picks: the pipeline
 * uses a resource's first step, and another for context values), each with
 * the row that first had it; written in the batch's own txn, so a crash
 * never separates a key from its row. Cleared when the job is final. */
typedef struct impex_seen_writer impex_seen_writer;
/* A cursor on "seen" inside write txn t; close it before the txn ends. */
int impex_seen_writer_open(impex_txn *t, impex_seen_writer **out, impex_err *err);
void impex_seen_writer_close(impex_seen_writer *w);
/* Remembers key with row (appending while keys arrive in order); when the
 * key is there already, returns IMPEX_EEXISTS (err untouched) with its row
 * in *first. */
int impex_seen_add(impex_seen_writer *w, uint64_t job, uint32_t set, impex_slice key, uint64_t row,
                   uint64_t *first, impex_err *err);
/* After an add that returned IMPEX_EEXISTS: gives that key row instead. */
int impex_seen_replace(impex_seen_writer *w, uint64_t row, impex_err *err);
/* Forgets the key the last successful add put (its row was rejected after all). */
int impex_seen_undo(impex_seen_writer *w, impex_err *err);
/* IMPEX_ENOTFOUND when the job has not seen key in set. */
int impex_seen_get(impex_txn *t, uint64_t job, uint32_t set, impex_slice key, uint64_t *row,
                   impex_err *err);
/* Deletes at most max of job's entries in write txn t; *done when none is left. */
int impex_seen_clear(impex_txn *t, uint64_t job, size_t max, int *done, impex_err *err);
/* The first job id >= from holding seen keys; IMPEX_ENOTFOUND when none. */
int impex_seen_next_job(impex_txn *t, uint64_t from, uint64_t *job, impex_err *err);

/* Walks the records of (resource, tenant) after `after` in key order in
 * write txn t, deleting those cb marks (*del = 1): at most max_visit
 * visited and max_del deleted, so one commit stays small. *last gets the
 * last visited key (the next call's after), *done is set when no record
 * follows, *deleted counts the deletions. cb's non-zero return stops the
 * walk and is returned. */
typedef int (*impex_sweep_cb)(void *ctx, impex_slice key, impex_slice val, int *del);
int impex_record_sweep(impex_txn *t, const char *resource, const char *tenant, impex_slice after,
                       size_t max_visit, size_t max_del, impex_sweep_cb cb, void *ctx,
                       impex_buf *last, int *done, uint64_t *deleted, impex_err *err);

#endif
