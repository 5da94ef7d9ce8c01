/* A job's scripts, read once and pinned.
 *
 * A script set reads each file below the scripts root at most once and keeps
 * its bytes and a 64-bit FNV-1a hash; every later load of that path (plan,
 * prepare, the parser's and the writer's lua_State, require) gets the same
 * bytes, so a file edited mid-job cannot give a job two versions. A path
 * that did not exist stays missing for the set's lifetime. Entries never
 * change once added; a mutex guards the cache, so the threads of one job
 * share one set. The set must outlive every state made with it
 * (impex_lua_new_set). Hashes print as 16 lower-case hex digits. */
#ifndef IMPEX_LUA_SCRIPTS_H
#define IMPEX_LUA_SCRIPTS_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct impex_scriptset impex_scriptset;

/* root: the folder holding descriptors/ and exporters/ (copied). */
int impex_scriptset_new(const char *root, impex_scriptset **out, impex_err *err);
void impex_scriptset_free(impex_scriptset *set);
const char *impex_scriptset_root(const impex_scriptset *set);

/* The bytes of relpath (relative to the root; no "..", not absolute), read
 * from disk on first use. *bytes stays valid (and NUL-terminated) until the
 * set is freed; bytes/len/hash may be NULL. IMPEX_ENOTFOUND when the file
 * does not exist, IMPEX_EUNSAFE for a path leaving the root, IMPEX_EIO. */
int impex_scriptset_get(impex_scriptset *set, const char *relpath, const char **bytes, size_t *len,
                        uint64_t *hash, impex_err *err);

/* Calls cb for every script loaded so far (required modules included), in
 * load order; a non-zero return from cb stops and is returned. */
typedef int (*impex_scriptset_cb)(void *ctx, const char *relpath, uint64_t hash);
int impex_scriptset_list(impex_scriptset *set, impex_scriptset_cb cb, void *ctx);

/* Loads relpath into the set and checks it against a recorded hash (a
 * resumed job preloads every script it recorded this way). IMPEX_EDESC when
 * the file changed: "descriptors/x.lua changed since <since> started (hash
 * a1b2... now c3d4...)"; since is e.g. "job 7". IMPEX_ENOTFOUND when gone. */
int impex_scriptset_pin(impex_scriptset *set, const char *relpath, uint64_t want, const char *since,
                        impex_err *err);

/* FNV-1a 64 of n bytes. */
uint64_t impex_script_hash(const void *p, size_t n);
/* 16 hex digits and a NUL. */
void impex_script_hash_format(uint64_t h, char out[17]);
/* Parses 16 hex digits; IMPEX_EUSAGE otherwise. */
int impex_script_hash_parse(const char *s, uint64_t *out, impex_err *err);

/* Whether relpath is relative and has no ".." component. */
int impex_script_safe_path(const char *relpath);

/* Reads <root>/<relpath> whole into a malloc'd, NUL-terminated buffer.
 * IMPEX_ENOTFOUND when missing. */
int impex_script_read(const char *root, const char *relpath, char **bytes, size_t *len,
                      impex_err *err);

#endif
