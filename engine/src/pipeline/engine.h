/* The engine context one process works with: the data dir (store, file
 * store, job locks), the scripts root and the limits. The CLI builds one per
 * command; the service will build one at start-up and share it. */
#ifndef IMPEX_PIPELINE_ENGINE_H
#define IMPEX_PIPELINE_ENGINE_H

#include "core/error.h"
#include "io/archive.h"
#include "lua/sandbox.h"
#include "store/store.h"

typedef struct impex_engine {
    impex_store *store; /* NULL when opened read-only on a folder without a store */
    char *data_dir;     /* <data> */
    char *scripts_root; /* folder holding descriptors/ and exporters/ */
    impex_limits limits;
    impex_lua_limits lua_limits;
    unsigned group_commit; /* at most this many batches per LMDB commit; default 8 */
} impex_engine;

typedef struct impex_engine_opts {
    const char *data_dir;
    const char *scripts_root;
    const impex_limits *limits;         /* NULL = defaults */
    const impex_lua_limits *lua_limits; /* NULL = defaults */
    uint64_t map_size;                  /* 0 = store default */
    unsigned group_commit;              /* 0 = default */
    int read_only;                      /* open the store read-only (queries) */
} impex_engine_opts;

/* Creates <data>/store, <data>/files, <data>/locks as needed and opens the
 * store. With read_only nothing is created and only read transactions are
 * ever taken (LMDB readers never wait for a writer); when there is no store
 * yet, e->store is NULL and the queries (query.h) answer empty.
 * The caller owns *out (impex_engine_close). */
int impex_engine_open(const impex_engine_opts *o, impex_engine **out, impex_err *err);
void impex_engine_close(impex_engine *e);

#endif
