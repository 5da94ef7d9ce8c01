#include "lua/sandbox.h"
#include "lua/lpattern.h"
#include "lua/scripts.h"

#include <lauxlib.h>
#include <lualib.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_INSTRUCTIONS 10000000u
#define DEFAULT_MEMORY ((size_t)64 << 20)
#define DEFAULT_WALL_MS 5000u /* a backstop: the budget stops most runaways first */
#define HOOK_EVERY 1000       /* instructions between two runs of the count hook */

/* Registry keys of the sandbox's own tables (never reachable from scripts). */
#define REG_TEMPLATE "impex.template" /* what a fresh environment is copied from */
#define REG_LOADING "impex.loading"   /* modules being loaded, to catch require loops */

enum { TRIP_NONE, TRIP_BUDGET, TRIP_MEMORY, TRIP_TIME };

struct impex_lua {
    lua_State *L;
    char *root;
    impex_scriptset *set; /* NULL: scripts are read from disk on every load */
    impex_lua_limits lim;
    uint64_t deadline; /* CLOCK_MONOTONIC ns when the running call must stop */
    size_t hard;       /* the allocator refuses to go past this (2x the cap) */
    size_t used;       /* bytes currently held by the state */
    int over;          /* used > lim.memory: the hook stops the running script */
    int refused;       /* the allocator refused a request during this call */
    int sysfail;       /* the system had no memory for a request during this call */
    int tripped;       /* TRIP_*: a limit stopped this call */
    uint64_t count;    /* instructions run by this call, in steps of HOOK_EVERY */
    int where_line;    /* last position seen by the hook during this call */
    char where[LUA_IDSIZE];
};

static impex_lua *self(lua_State *L)
{
    return *(impex_lua **)lua_getextraspace(L);
}

void impex_lua_limits_default(impex_lua_limits *lim)
{
    lim->instructions = DEFAULT_INSTRUCTIONS;
    lim->memory = DEFAULT_MEMORY;
    lim->wall_ms = DEFAULT_WALL_MS;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- limits ------------------------------------------------------------- */

/* Soft cap: going past lim.memory still succeeds (so the hook can raise an
 * error that names the script and line, which LUA_ERRMEM cannot); only the
 * hard cap makes the request fail. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    impex_lua *X = ud;
    size_t old = ptr ? osize : 0; /* without ptr, osize is a type tag */
    if (nsize == 0) {
        free(ptr);
        X->used -= old;
        X->over = X->used > X->lim.memory;
        return NULL;
    }
    if (nsize > old && nsize - old > X->hard - X->used) {
        X->refused = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p && nsize > old) X->sysfail = 1;
    if (!p) return nsize <= old ? ptr : NULL; /* Lua assumes shrinking never fails */
    X->used = X->used - old + nsize;
    X->over = X->used > X->lim.memory;
    return p;
}

static void push_trip_message(lua_State *L, impex_lua *X)
{
    char msg[LUA_IDSIZE + 96];
    if (X->tripped == TRIP_MEMORY)
        snprintf(msg, sizeof msg, "%s:%d: memory limit of %zu MiB exceeded", X->where,
                 X->where_line, X->lim.memory >> 20);
    else if (X->tripped == TRIP_TIME)
        snprintf(msg, sizeof msg, "%s:%d: time limit of %u ms exceeded", X->where, X->where_line,
                 X->lim.wall_ms);
    else
        snprintf(msg, sizeof msg, "%s:%d: instruction budget of %" PRIu64 " exceeded", X->where,
                 X->where_line, X->lim.instructions);
    lua_pushstring(L, msg);
}

static void hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    impex_lua *X = self(L);
    lua_Debug d;
    /* Level 0 is the running Lua function (luaL_error would use its caller). */
    if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d)) {
        memcpy(X->where, d.short_src, sizeof X->where);
        X->where_line = d.currentline;
    }
    if (!X->tripped) {
        X->count += HOOK_EVERY;
        /* The cap is on live data: drop garbage before deciding. Safe here
         * because scripts cannot install __gc finalizers. */
        if (X->over) lua_gc(L, LUA_GCCOLLECT);
        if (X->over || X->refused)
            X->tripped = TRIP_MEMORY;
        else if (X->count > X->lim.instructions)
            X->tripped = TRIP_BUDGET;
        else if (now_ns() > X->deadline)
            X->tripped = TRIP_TIME;
        else
            return;
        /* From now on every instruction raises again, so a pcall inside the
         * script cannot swallow the stop and carry on. */
        lua_sethook(L, hook, LUA_MASKCOUNT, 1);
    }
    push_trip_message(L, X);
    lua_error(L);
}

/* Work done inside one C call (the pattern matcher) counts against the
 * budget and the deadline too: the count hook never runs there. */
void impex_lua_charge(lua_State *L, uint64_t steps)
{
    impex_lua *X = self(L);
    if (!X->tripped) {
        X->count += steps;
        if (X->count > X->lim.instructions)
            X->tripped = TRIP_BUDGET;
        else if (now_ns() > X->deadline)
            X->tripped = TRIP_TIME;
        else
            return;
        lua_sethook(L, hook, LUA_MASKCOUNT, 1);
    }
    /* Level 0 is the C function: name the script line that called it. */
    lua_Debug d;
    for (int level = 1; lua_getstack(L, level, &d); level++) {
        if (lua_getinfo(L, "Sl", &d) && d.currentline > 0) {
            memcpy(X->where, d.short_src, sizeof X->where);
            X->where_line = d.currentline;
            break;
        }
    }
    push_trip_message(L, X);
    lua_error(L);
}

/* Pushes "script:line: " of the innermost running Lua function ("" if none):
 * luaL_where(L, 1) names nothing when the caller is C (rawset). */
static void push_where(lua_State *L)
{
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
            return;
        }
    }
    lua_pushliteral(L, "");
}

/* --- message handler ---------------------------------------------------- */

/* No traceback: the error as text, with the innermost script position when
 * the error value was not a string (error() adds none then). */
static int msgh(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) return 1;
    const char *what;
    if (lua_type(L, 1) == LUA_TNUMBER)
        what = lua_tostring(L, 1);
    else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
        what = lua_tostring(L, -1);
    else
        what = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    push_where(L);
    lua_pushstring(L, what);
    lua_concat(L, 2);
    return 1;
}

/* --- loading files ------------------------------------------------------ */

static int sb_require(lua_State *L);

/* Pushes a fresh script environment: its own copy of every global and of
 * every library table, so nothing a script changes there (by assignment,
 * rawset, pairs/next, load with an env...) is seen by another script. The
 * template it is copied from is in the registry, out of every script's reach.
 * About 150 entries per load: cheap next to compiling the chunk. */
static void push_env(lua_State *L)
{
    luaL_checkstack(L, 8, NULL);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_TEMPLATE);
    int t = lua_gettop(L);
    lua_createtable(L, 0, 32);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            int lib = lua_gettop(L);
            lua_createtable(L, 0, 32);
            lua_pushnil(L);
            while (lua_next(L, lib)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, -4);
            }
            lua_replace(L, lib);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    /* Modules are cached per environment, so a module table one script
     * changes is not the one another script gets. */
    lua_newtable(L);
    lua_pushcclosure(L, sb_require, 1);
    lua_setfield(L, -2, "require");
    /* _G is the script's own environment. */
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_remove(L, t);
}

/* Gives the function on top of the stack a fresh sandbox environment. */
static void set_fresh_env(lua_State *L)
{
    push_env(L);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
}

/* Loads relpath as a text chunk named "@<relpath>" (so messages read
 * "descriptors/x.lua:7: ...") with its own environment, from the job's
 * script set when there is one, else from disk. Drops a UTF-8 BOM and a '#'
 * first line (keeping its newline so line numbers stay right), as
 * luaL_loadfilex does. Pushes the function, or an error message; *missing
 * tells a file that does not exist. Must run in protected mode. */
static int load_script(lua_State *L, impex_lua *X, const char *relpath, int *missing)
{
    *missing = 0;                       /* or the IMPEX_E* code of a read that failed */
    lua_pushfstring(L, "@%s", relpath); /* before reading: nothing to leak if it raises */
    const char *p;
    char *own = NULL;
    size_t len;
    impex_err e;
    impex_err_clear(&e);
    int rc = X->set ? impex_scriptset_get(X->set, relpath, &p, &len, NULL, &e)
                    : impex_script_read(X->root, relpath, &own, &len, &e);
    if (rc) {
        *missing = rc;
        lua_pop(L, 1);
        lua_pushstring(L, e.msg);
        return LUA_ERRFILE;
    }
    if (own) p = own;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
        len -= 3;
    }
    if (len && *p == '#') {
        const char *nl = memchr(p, '\n', len);
        size_t skip = nl ? (size_t)(nl - p) : len;
        p += skip;
        len -= skip;
    }
    int st = luaL_loadbufferx(L, p, len, lua_tostring(L, -1), "t");
    free(own);
    lua_remove(L, -2);
    if (st == LUA_OK) set_fresh_env(L);
    return st;
}

/* --- sandbox replacements of base functions ----------------------------- */

/* rawset would bypass the __newindex of the tables the engine hands out (the
 * shared library tables, reused row tables): their metatables carry
 * __impex_guard, and for them rawset goes through __newindex. */
static int sb_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    lua_settop(L, 3);
    if (lua_getmetatable(L, 1)) {
        lua_pushliteral(L, "__impex_guard");
        if (lua_rawget(L, 4) != LUA_TNIL) {
            lua_pushliteral(L, "__newindex");
            lua_rawget(L, 4);
            lua_pushvalue(L, 1);
            lua_pushvalue(L, 2);
            lua_pushvalue(L, 3);
            lua_call(L, 3, 0);
            lua_settop(L, 1);
            return 1;
        }
        lua_settop(L, 3);
    }
    lua_rawset(L, 1);
    return 1;
}

/* As the base setmetatable, but refuses __gc: Lua runs finalizers with hooks
 * off, so one could loop forever outside the instruction budget. A __gc
 * added to the metatable later has no effect (Lua only marks objects for
 * finalization in setmetatable). */
static int sb_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int gc = lua_rawget(L, 2);
        lua_pop(L, 1);
        if (gc != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* load(chunk [, chunkname [, mode [, env]]]): text chunks only (mode is
 * ignored); without env the chunk gets a fresh sandbox environment. */
static int sb_load(lua_State *L)
{
    int has_env = !lua_isnone(L, 4);
    size_t len;
    const char *s, *name;
    if (lua_type(L, 1) == LUA_TSTRING) {
        s = lua_tolstring(L, 1, &len);
        name = luaL_optstring(L, 2, s);
    } else {
        luaL_checktype(L, 1, LUA_TFUNCTION);
        name = luaL_optstring(L, 2, "=(load)");
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (;;) {
            lua_pushvalue(L, 1);
            lua_call(L, 0, 1);
            if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == 0)) {
                lua_pop(L, 1);
                break;
            }
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "reader function must return a string");
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
        s = lua_tolstring(L, -1, &len);
    }
    if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 4);
        if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    } else {
        set_fresh_env(L);
    }
    return 1;
}

static int valid_module_name(const char *s, size_t len)
{
    if (len == 0 || len > 200 || s[0] == '.' || s[len - 1] == '.') return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '.';
        if (!ok || (c == '.' && s[i + 1] == '.')) return 0;
    }
    return 1;
}

/* require(name), bound to one environment's module cache (upvalue 1). */
static int sb_require(lua_State *L)
{
    static const char *const dirs[] = {"descriptors", "exporters"};
    impex_lua *X = self(L);
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    if (!valid_module_name(name, len)) return luaL_error(L, "invalid module name '%s'", name);
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1)); /* 2: this environment's modules */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 2) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_LOADING); /* 3 */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 3) != LUA_TNIL)
        return luaL_error(L, "module '%s' requires itself (loop)", name);
    lua_pop(L, 1);
    char mod[256];
    memcpy(mod, name, len + 1);
    for (char *p = mod; *p; p++)
        if (*p == '.') *p = '/';
    int found = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && !found; i++) {
        char rel[300];
        snprintf(rel, sizeof rel, "%s/%s.lua", dirs[i], mod);
        int missing;
        if (load_script(L, X, rel, &missing) == LUA_OK)
            found = 1;
        else if (missing != IMPEX_ENOTFOUND)
            return lua_error(L);
        else
            lua_pop(L, 1);
    }
    if (!found)
        return luaL_error(L, "module '%s' not found (no descriptors/%s.lua or exporters/%s.lua)",
                          name, mod, mod);
    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, 3);
    int st = lua_pcall(L, 0, 1, 0);
    lua_pushvalue(L, 1); /* loaded or not, it is no longer being loaded */
    lua_pushnil(L);
    lua_rawset(L, 3);
    if (st != LUA_OK) return lua_error(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, 2);
    return 1;
}

/* Whether the error just caught is a limit stop that must go on unwinding. */
static int stopping(lua_State *L)
{
    impex_lua *X = self(L);
    return X->tripped || X->refused;
}

/* pcall and xpcall that never swallow a limit stop. The count hook raises
 * the stop with hooks off, so Lua would run a script's message handler
 * outside the budget (an endless handler never returned). Here the handler
 * runs after the unwinding, under the budget, and a stop is raised again. */
static int sb_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0) != LUA_OK) {
        if (stopping(L)) return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
}

static int sb_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1); /* (f, h, ...) -> (h, f, ...) */
    lua_copy(L, 2, 1);
    lua_replace(L, 2);
    if (lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0) != LUA_OK) {
        if (stopping(L)) return lua_error(L);
        lua_pushvalue(L, 1);
        lua_insert(L, -2);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK && stopping(L)) return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_replace(L, 1);
    return lua_gettop(L);
}

/* --- state setup -------------------------------------------------------- */

static int setup(lua_State *L)
{
    static const char *const base_keep[] = {
        "assert", "error",  "getmetatable", "ipairs",   "next", "pairs",    "rawequal",
        "rawget", "rawlen", "select",       "tonumber", "type", "tostring", "_VERSION",
    };
    static const struct {
        const char *name;
        lua_CFunction open;
    } libs[] = {
        {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
    };
    static const char *const os_keep[] = {"time", "date", "clock"};

    luaL_requiref(L, LUA_GNAME, luaopen_base, 0); /* 1: the real globals, never exposed */
    lua_createtable(L, 0, 32);                    /* 2: the template of every environment */
    for (size_t i = 0; i < sizeof base_keep / sizeof base_keep[0]; i++) {
        lua_getfield(L, 1, base_keep[i]);
        lua_setfield(L, 2, base_keep[i]);
    }
    static const luaL_Reg own[] = {
        {"load", sb_load},     {"pcall", sb_pcall},
        {"rawset", sb_rawset}, {"setmetatable", sb_setmetatable},
        {"xpcall", sb_xpcall}, {NULL, NULL},
    };
    luaL_setfuncs(L, own, 0);

    /* The library tables themselves stay in the template (and the string one
     * behind the string metatable); scripts only ever get copies. */
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].open, 0);
        if (libs[i].open == luaopen_string) {
            lua_pushnil(L);
            lua_setfield(L, -2, "dump");
            impex_lua_set_patterns(L, -1); /* the matcher the budget can stop */
        }
        lua_setfield(L, 2, libs[i].name);
    }
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 3);
    for (size_t i = 0; i < sizeof os_keep / sizeof os_keep[0]; i++) {
        lua_getfield(L, -2, os_keep[i]);
        lua_setfield(L, -2, os_keep[i]);
    }
    lua_setfield(L, 2, LUA_OSLIBNAME);
    lua_pop(L, 1);

    /* ("").x reads the real string table through this metatable: keep
     * getmetatable("") from handing it (or its __index) out. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_pushvalue(L, 2);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_TEMPLATE);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_LOADING);
    return 0;
}

static int create(const char *root, impex_scriptset *set, const impex_lua_limits *lim,
                  impex_lua **out, impex_err *err)
{
    int rc = IMPEX_OK;
    *out = NULL;
    impex_lua *X = calloc(1, sizeof *X);
    if (!X) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    X->set = set;
    X->root = strdup(root);
    if (!X->root) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto fail;
    }
    impex_lua_limits_default(&X->lim);
    /* Zero fields mean "default": no limit at all is never what a caller wants. */
    if (lim && lim->instructions) X->lim.instructions = lim->instructions;
    if (lim && lim->memory) X->lim.memory = lim->memory;
    if (lim && lim->wall_ms) X->lim.wall_ms = lim->wall_ms;
    X->hard = X->lim.memory > SIZE_MAX / 2 ? SIZE_MAX : X->lim.memory * 2;
    X->L = lua_newstate(sandbox_alloc, X);
    if (!X->L) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "cannot create a Lua state");
        goto fail;
    }
    *(impex_lua **)lua_getextraspace(X->L) = X;
    lua_pushcfunction(X->L, setup);
    if (lua_pcall(X->L, 0, 0, 0) != LUA_OK) {
        const char *m = lua_tostring(X->L, -1);
        rc = impex_err_set(err, IMPEX_ENOMEM, "cannot set up the Lua sandbox: %s",
                           m ? m : "unknown error");
        goto fail;
    }
    lua_sethook(X->L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    *out = X;
    return IMPEX_OK;
fail:
    impex_lua_free(X);
    return rc;
}

int impex_lua_new(const char *scripts_root, const impex_lua_limits *lim, impex_lua **out,
                  impex_err *err)
{
    return create(scripts_root, NULL, lim, out, err);
}

int impex_lua_new_set(impex_scriptset *set, const impex_lua_limits *lim, impex_lua **out,
                      impex_err *err)
{
    return create(impex_scriptset_root(set), set, lim, out, err);
}

void impex_lua_free(impex_lua *X)
{
    if (!X) return;
    if (X->L) lua_close(X->L);
    free(X->root);
    free(X);
}

lua_State *impex_lua_state(impex_lua *X)
{
    return X->L;
}

const char *impex_lua_root(const impex_lua *X)
{
    return X->root;
}

impex_scriptset *impex_lua_scriptset(impex_lua *X)
{
    return X->set;
}

/* --- running ------------------------------------------------------------ */

int impex_lua_pcall(impex_lua *X, int nargs, int nresults, impex_err *err)
{
    lua_State *L = X->L;
    if (!lua_checkstack(L, 2)) return impex_err_set(err, IMPEX_ENOMEM, "Lua stack overflow");
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msgh);
    lua_insert(L, base);
    X->count = 0;
    X->refused = 0;
    X->sysfail = 0;
    X->where[0] = '\0';
    X->deadline = now_ns() + (uint64_t)X->lim.wall_ms * 1000000u;
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (st == LUA_OK && !X->tripped && !X->refused) return IMPEX_OK;

    int limit = X->tripped || X->refused || st == LUA_ERRMEM;
    int rc = IMPEX_OK;
    if (st != LUA_OK) {
        if (!X->tripped && !X->refused && X->sysfail) {
            /* The machine, not the script: an engine error, never a verdict on a row. */
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        } else if (!X->tripped && (st == LUA_ERRMEM || X->refused)) {
            /* Lua does not call the handler for LUA_ERRMEM: name the last
             * position the hook saw instead. */
            if (X->where[0])
                rc = impex_err_set(err, IMPEX_ESCRIPT, "%s:%d: memory limit exceeded", X->where,
                                   X->where_line);
            else
                rc = impex_err_set(err, IMPEX_ESCRIPT, "memory limit exceeded");
        } else if (X->tripped) {
            /* The stop itself, whatever a __close handler raised on the way out. */
            push_trip_message(L, X);
            rc = impex_err_set(err, IMPEX_ESCRIPT, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
        } else {
            const char *m = lua_tostring(L, -1);
            rc = impex_err_set(err, IMPEX_ESCRIPT, "%s", m ? m : "(error object is not a string)");
        }
        lua_pop(L, 1);
    }
    if (limit) {
        /* Make the state usable again: normal hook rate, garbage gone (which
         * also clears the over-cap flag once usage is back under the cap). */
        X->tripped = TRIP_NONE;
        lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
        X->count = 0;
        lua_gc(L, LUA_GCCOLLECT);
        X->refused = 0;
    }
    return rc;
}

typedef struct dofile_ctx {
    impex_lua *X;
    const char *relpath;
    int missing;
} dofile_ctx;

static int dofile_tramp(lua_State *L)
{
    dofile_ctx *c = lua_touserdata(L, 1);
    if (load_script(L, c->X, c->relpath, &c->missing) != LUA_OK) return lua_error(L);
    lua_call(L, 0, 1);
    return 1;
}

int impex_lua_dofile(impex_lua *X, const char *relpath, impex_err *err)
{
    if (!impex_script_safe_path(relpath))
        return impex_err_set(err, IMPEX_EUNSAFE, "%s: path leaves the scripts root", relpath);
    dofile_ctx c = {.X = X, .relpath = relpath};
    if (!lua_checkstack(X->L, 3)) return impex_err_set(err, IMPEX_ENOMEM, "Lua stack overflow");
    lua_pushcfunction(X->L, dofile_tramp);
    lua_pushlightuserdata(X->L, &c);
    int rc = impex_lua_pcall(X, 1, 1, err);
    /* A file that is not there, or could not be read for want of memory:
     * not the script's error. */
    if (rc && (c.missing == IMPEX_ENOTFOUND || c.missing == IMPEX_ENOMEM)) {
        if (err) err->code = c.missing;
        return c.missing;
    }
    return rc;
}
