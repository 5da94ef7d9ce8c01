/* A sandboxed Lua 5.4 state for descriptors, rules and exporters.
 *
 * What scripts see: the base library without dofile/loadfile/load of
 * bytecode/collectgarbage/print (load accepts text chunks only and runs them
 * in the sandbox), string (without string.dump), table, math, utf8, and
 * os.time/os.date/os.clock only. No io, no debug, no package, no coroutine.
 * `require` loads only "<name>.lua" below the scripts root's descriptors/ and
 * exporters/ folders (dots are folder separators; ".." and absolute names are
 * refused), runs it in the sandbox and caches the result per environment.
 *
 * Isolation: every script (file, required module, load()ed chunk) runs in an
 * environment of its own holding its own copies of the globals and library
 * tables, and its own module cache; the real library tables and the string
 * metatable are out of reach. Nothing a script changes is seen by another.
 *
 * Limits: every call made through impex_lua_pcall (and every file load) gets
 * an instruction budget, checked by a count hook, and a wall-clock deadline;
 * the allocator enforces a memory cap for the whole state. The pattern
 * functions (find, match, gmatch, gsub) count their steps against the same
 * budget and deadline. pcall/xpcall cannot catch a stop, and a message
 * handler runs under the budget. Any of these stops the script with an
 * error that names the script and line ("descriptors/x.lua:12: instruction
 * budget of 1000000 exceeded", "...: time limit of 5000 ms exceeded",
 * "...: memory limit of 64 MiB exceeded"); the state stays usable.
 *
 * Chunk names are the script's path relative to the scripts root, so Lua's
 * own error messages read "descriptors/catalog/products.lua:7: ...". */
#ifndef IMPEX_LUA_SANDBOX_H
#define IMPEX_LUA_SANDBOX_H

#include "core/error.h"
#include "lua/scripts.h"

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

typedef struct impex_lua_limits {
    uint64_t instructions; /* per call; default 10,000,000 */
    size_t memory;         /* bytes for the whole state; default 64 MiB */
    unsigned wall_ms;      /* wall-clock time per call; default 5000 ms. The CLI
                            * may take it from IMPEX_LUA_TIMEOUT_MS. */
} impex_lua_limits;

void impex_lua_limits_default(impex_lua_limits *lim);

typedef struct impex_lua impex_lua;

/* Creates a sandboxed state. scripts_root is the folder holding descriptors/
 * and exporters/ (copied). lim may be NULL for defaults. */
int impex_lua_new(const char *scripts_root, const impex_lua_limits *lim, impex_lua **out,
                  impex_err *err);
/* The same, loading every script (dofile, require, impex_script_bind) from
 * the job's script set instead of disk, so all states of one job run the
 * same bytes. set must outlive the state. */
int impex_lua_new_set(impex_scriptset *set, const impex_lua_limits *lim, impex_lua **out,
                      impex_err *err);
void impex_lua_free(impex_lua *L);

lua_State *impex_lua_state(impex_lua *L);
const char *impex_lua_root(const impex_lua *L);
/* The script set the state loads from, or NULL. */
impex_scriptset *impex_lua_scriptset(impex_lua *L);

/* Loads and runs the file at relpath (relative to the scripts root) in the
 * sandbox, leaving its first return value on the stack (nil if none).
 * IMPEX_ENOTFOUND if missing, IMPEX_ESCRIPT with "path:line: message" for a
 * syntax or runtime error (nothing is left on the stack then). */
int impex_lua_dofile(impex_lua *L, const char *relpath, impex_err *err);

/* lua_pcall with the budget reset and the limits enforced. On error returns
 * IMPEX_ESCRIPT with the message ("script:line: ...") in err and pops it. */
int impex_lua_pcall(impex_lua *L, int nargs, int nresults, impex_err *err);

#endif
