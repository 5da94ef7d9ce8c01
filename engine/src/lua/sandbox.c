#include "lua/sandbox.h"

#include <lauxlib.h>
#include <lualib.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INSTRUCTIONS 10000000u
#define DEFAULT_MEMORY ((size_t)64 << 20)
#define HOOK_EVERY 1000 /* instructions between two runs of the count hook */

/* Registry keys of the sandbox's own tables. */
#define REG_ENV_MT "impex.env_mt" /* metatable of every script environment */
#define REG_LOADED "impex.loaded" /* require cache */

enum { TRIP_NONE, TRIP_BUDGET, TRIP_MEMORY };

struct impex_lua {
    lua_State *L;
    char *root;
    impex_lua_limits lim;
    size_t hard;    /* the allocator refuses to go past this (2x the cap) */
    size_t used;    /* bytes currently held by the state */
    int over;       /* used > lim.memory: the hook stops the running script */
    int refused;    /* the allocator refused a request during this call */
    int tripped;    /* TRIP_*: a limit stopped this call */
    uint64_t count; /* instructions run by this call, in steps of HOOK_EVERY */
    int where_line; /* last position seen by the hook during this call */
    char where[LUA_IDSIZE];
};

/* Address used as the "being loaded" mark in the require cache. */
static const char loading_mark = 0;

static impex_lua *self(lua_State *L)
{
    return *(impex_lua **)lua_getextraspace(L);
}

void impex_lua_limits_default(impex_lua_limits *lim)
{
    lim->instructions = DEFAULT_INSTRUCTIONS;
    lim->memory = DEFAULT_MEMORY;
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
        else
            return;
        /* From now on every instruction raises again, so a pcall inside the
         * script cannot swallow the stop and carry on. */
        lua_sethook(L, hook, LUA_MASKCOUNT, 1);
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

typedef struct file_reader {
    FILE *f;
    int state; /* 0 = start of file, 1 = inside a '#' first line, 2 = body */
    char buf[1024];
} file_reader;

/* Like luaL_loadfilex: drops a UTF-8 BOM and a '#' first line (keeping its
 * newline so line numbers stay right). */
static const char *read_chunk(lua_State *L, void *ud, size_t *size)
{
    (void)L;
    file_reader *r = ud;
    for (;;) {
        size_t n = fread(r->buf, 1, sizeof r->buf, r->f);
        if (n == 0) {
            *size = 0;
            return NULL;
        }
        char *p = r->buf, *end = r->buf + n;
        if (r->state == 0) {
            if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
            r->state = p < end && *p == '#' ? 1 : 2;
        }
        if (r->state == 1) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) continue;
            p = nl;
            r->state = 2;
        }
        if (p < end) {
            *size = (size_t)(end - p);
            return p;
        }
    }
}

static void push_env(lua_State *L)
{
    lua_createtable(L, 0, 4);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_ENV_MT);
    lua_setmetatable(L, -2);
    /* _G is the script's own environment, never the shared table. */
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
}

/* Gives the function on top of the stack a fresh sandbox environment. */
static void set_fresh_env(lua_State *L)
{
    push_env(L);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
}

/* Loads <root>/<relpath> as a text chunk named "@<relpath>" (so messages read
 * "descriptors/x.lua:7: ...") with its own environment. Pushes the function,
 * or an error message; *missing tells a file that does not exist. Must run in
 * protected mode. luaL_loadfilex cannot be used: it names the chunk after the
 * absolute path it opens. */
static int load_script(lua_State *L, impex_lua *X, const char *relpath, int *missing)
{
    char path[PATH_MAX];
    *missing = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", X->root, relpath) >= sizeof path) {
        lua_pushfstring(L, "%s: path too long", relpath);
        return LUA_ERRFILE;
    }
    file_reader r = {.f = fopen(path, "r")};
    if (!r.f) {
        int e = errno;
        *missing = e == ENOENT || e == ENOTDIR;
        lua_pushfstring(L, "cannot open %s: %s", relpath, strerror(e));
        return LUA_ERRFILE;
    }
    const char *chunkname = lua_pushfstring(L, "@%s", relpath);
    int st = lua_load(L, read_chunk, &r, chunkname, "t");
    lua_remove(L, -2);
    if (ferror(r.f)) {
        int e = errno;
        lua_pop(L, 1);
        lua_pushfstring(L, "cannot read %s: %s", relpath, strerror(e));
        st = LUA_ERRFILE;
    }
    fclose(r.f);
    if (st == LUA_OK) set_fresh_env(L);
    return st;
}

/* --- sandbox replacements of base functions ----------------------------- */

static int ro_newindex(lua_State *L)
{
    push_where(L);
    lua_pushliteral(L, "attempt to modify a read-only table");
    lua_concat(L, 2);
    return lua_error(L);
}

static int ro_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(2)); /* next */
    lua_pushvalue(L, lua_upvalueindex(1)); /* the real table */
    lua_pushnil(L);
    return 3;
}

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

static int sb_require(lua_State *L)
{
    static const char *const dirs[] = {"descriptors", "exporters"};
    impex_lua *X = self(L);
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    if (!valid_module_name(name, len)) return luaL_error(L, "invalid module name '%s'", name);
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_LOADED); /* 2 */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 2) != LUA_TNIL) {
        if (lua_touserdata(L, -1) == &loading_mark)
            return luaL_error(L, "module '%s' requires itself (loop)", name);
        return 1;
    }
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
        else if (!missing)
            return lua_error(L);
        else
            lua_pop(L, 1);
    }
    if (!found)
        return luaL_error(L, "module '%s' not found (no descriptors/%s.lua or exporters/%s.lua)",
                          name, mod, mod);
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, (void *)&loading_mark);
    lua_rawset(L, 2);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        /* Forget the mark so a later require tries again, then pass the error on. */
        lua_pushvalue(L, 1);
        lua_pushnil(L);
        lua_rawset(L, 2);
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, 2);
    return 1;
}

/* --- state setup -------------------------------------------------------- */

/* An empty table reading through to the library table at lib; writes fail.
 * Shared by all scripts, so none can change what another sees. */
static void push_readonly(lua_State *L, int lib, int next)
{
    lua_newtable(L);
    lua_createtable(L, 0, 5);
    lua_pushvalue(L, lib);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, lib);
    lua_pushvalue(L, next);
    lua_pushcclosure(L, ro_pairs, 2);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushboolean(L, 1); /* rawset must not bypass __newindex */
    lua_setfield(L, -2, "__impex_guard");
    lua_setmetatable(L, -2);
}

static int setup(lua_State *L)
{
    static const char *const base_keep[] = {
        "assert", "error",  "getmetatable", "ipairs",   "next", "pairs",    "pcall",    "rawequal",
        "rawget", "rawlen", "select",       "tonumber", "type", "tostring", "_VERSION", "xpcall",
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
    lua_createtable(L, 0, 32);                    /* 2: the shared safe globals */
    for (size_t i = 0; i < sizeof base_keep / sizeof base_keep[0]; i++) {
        lua_getfield(L, 1, base_keep[i]);
        lua_setfield(L, 2, base_keep[i]);
    }
    static const luaL_Reg own[] = {
        {"load", sb_load},
        {"rawset", sb_rawset},
        {"require", sb_require},
        {"setmetatable", sb_setmetatable},
        {NULL, NULL},
    };
    luaL_setfuncs(L, own, 0);
    lua_getfield(L, 1, "next"); /* 3 */

    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].open, 0);
        if (libs[i].open == luaopen_string) {
            lua_pushnil(L);
            lua_setfield(L, -2, "dump");
        }
        push_readonly(L, lua_gettop(L), 3);
        lua_setfield(L, 2, libs[i].name);
        lua_pop(L, 1);
    }
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 3);
    for (size_t i = 0; i < sizeof os_keep / sizeof os_keep[0]; i++) {
        lua_getfield(L, -2, os_keep[i]);
        lua_setfield(L, -2, os_keep[i]);
    }
    push_readonly(L, lua_gettop(L), 3);
    lua_setfield(L, 2, LUA_OSLIBNAME);
    lua_pop(L, 2);

    /* ("").x reaches the real string table through this metatable: hide it. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_createtable(L, 0, 2);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setfield(L, LUA_REGISTRYINDEX, REG_ENV_MT); /* keeps the shared globals too */
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_LOADED);
    return 0;
}

int impex_lua_new(const char *scripts_root, const impex_lua_limits *lim, impex_lua **out,
                  impex_err *err)
{
    int rc = IMPEX_OK;
    *out = NULL;
    impex_lua *X = calloc(1, sizeof *X);
    if (!X) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    X->root = strdup(scripts_root);
    if (!X->root) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto fail;
    }
    impex_lua_limits_default(&X->lim);
    /* Zero fields mean "default": no limit at all is never what a caller wants. */
    if (lim && lim->instructions) X->lim.instructions = lim->instructions;
    if (lim && lim->memory) X->lim.memory = lim->memory;
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
    X->where[0] = '\0';
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (st == LUA_OK && !X->tripped && !X->refused) return IMPEX_OK;

    int limit = X->tripped || X->refused || st == LUA_ERRMEM;
    int rc = IMPEX_OK;
    if (st != LUA_OK) {
        if (!X->tripped && (st == LUA_ERRMEM || X->refused)) {
            /* Lua does not call the handler for LUA_ERRMEM: name the last
             * position the hook saw instead. */
            if (X->where[0])
                rc = impex_err_set(err, IMPEX_ESCRIPT, "%s:%d: memory limit exceeded", X->where,
                                   X->where_line);
            else
                rc = impex_err_set(err, IMPEX_ESCRIPT, "memory limit exceeded");
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

/* Relative, inside the root: no leading '/', no ".." component. */
static int safe_relpath(const char *p)
{
    if (!*p || *p == '/') return 0;
    for (const char *c = p; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.') return 0;
        c += n;
        if (*c == '/') c++;
    }
    return 1;
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
    if (!safe_relpath(relpath))
        return impex_err_set(err, IMPEX_EUNSAFE, "%s: path leaves the scripts root", relpath);
    dofile_ctx c = {.X = X, .relpath = relpath};
    if (!lua_checkstack(X->L, 3)) return impex_err_set(err, IMPEX_ENOMEM, "Lua stack overflow");
    lua_pushcfunction(X->L, dofile_tramp);
    lua_pushlightuserdata(X->L, &c);
    int rc = impex_lua_pcall(X, 1, 1, err);
    if (rc && c.missing) {
        if (err) err->code = IMPEX_ENOTFOUND;
        return IMPEX_ENOTFOUND;
    }
    return rc;
}
