/* Lua sandbox, descriptors and per-row scripts (fixtures in tests/data/lua). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lua/descriptor.h"
#include "lua/sandbox.h"
#include "lua/script.h"
#include "store/codec.h"

#include <lauxlib.h>
#include <lualib.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct fixture {
    char root[PATH_MAX]; /* the mini scripts root */
    impex_lua *X;
    impex_err err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *src = getenv("IMPEX_SOURCE_ROOT");
    snprintf(f->root, sizeof f->root, "%s/tests/data/lua", src ? src : ".");
    impex_lua_limits lim = {.instructions = 1000000, .memory = (size_t)8 << 20};
    assert_int_equal(impex_lua_new(f->root, &lim, &f->X, &f->err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    impex_lua_free(f->X);
    free(f);
    return 0;
}

static impex_value val(const char *name, impex_vtype type, const char *text)
{
    impex_value v = {name, strlen(name), type, text, text ? strlen(text) : 0, 0};
    return v;
}

#define assert_has(hay, needle)                                                                    \
    do {                                                                                           \
        if (!strstr((hay), (needle))) fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
    } while (0)

#define assert_prefix(s, p)                                                                        \
    do {                                                                                           \
        if (strncmp((s), (p), strlen(p)) != 0)                                                     \
            fail_msg("\"%s\" does not start with \"%s\"", (s), (p));                               \
    } while (0)

/* --- sandbox ------------------------------------------------------------ */

/* Calls escape.lua's function `name` with nargs arguments already pushed. */
static int call_escape(fixture *f, const char *name, int nargs, int nresults)
{
    lua_State *L = impex_lua_state(f->X);
    lua_getfield(L, 1, name);
    assert_int_equal(lua_type(L, -1), LUA_TFUNCTION);
    lua_insert(L, -1 - nargs);
    return impex_lua_pcall(f->X, nargs, nresults, &f->err);
}

static void test_sandbox_refuses(void **state)
{
    static const struct {
        const char *fn, *msg;
    } cases[] = {
        {"use_io", "global 'io'"},
        {"os_execute", "field 'execute'"},
        {"use_debug", "global 'debug'"},
        {"use_dofile", "global 'dofile'"},
        {"use_loadfile", "global 'loadfile'"},
        {"use_collect", "global 'collectgarbage'"},
        {"use_print", "global 'print'"},
        {"require_parent", "invalid module name '../x'"},
        {"require_abs", "invalid module name '/etc/passwd'"},
        {"require_missing", "module 'sandbox.nothing' not found"},
        {"string_dump", "field 'dump'"},
        {"string_metatable", "attempt to index a boolean value"},
        {"gc_metamethod", "__gc metamethods are not allowed"},
        {"error_table", "(error object is a table value)"},
    };
    fixture *f = *state;
    lua_State *L = impex_lua_state(f->X);
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/escape.lua", &f->err), 0);
    assert_int_equal(lua_gettop(L), 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        impex_err_clear(&f->err);
        int rc = call_escape(f, cases[i].fn, 0, 0);
        if (rc != IMPEX_ESCRIPT) fail_msg("%s: expected a script error, got %d", cases[i].fn, rc);
        assert_int_equal(f->err.code, IMPEX_ESCRIPT);
        assert_prefix(f->err.msg, "descriptors/sandbox/escape.lua:");
        assert_has(f->err.msg, cases[i].msg);
        assert_int_equal(lua_gettop(L), 1);
    }
    /* The chunk name is the relative path and lines are exact. */
    assert_int_equal(call_escape(f, "use_io", 0, 0), IMPEX_ESCRIPT);
    assert_prefix(f->err.msg, "descriptors/sandbox/escape.lua:5: ");
}

typedef struct dump_buf {
    char data[4096];
    size_t len;
} dump_buf;

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    dump_buf *b = ud;
    if (b->len + sz > sizeof b->data) return 1;
    memcpy(b->data + b->len, p, sz);
    b->len += sz;
    return 0;
}

static void test_sandbox_load_bytecode(void **state)
{
    fixture *f = *state;
    /* Bytecode made by a plain state: scripts cannot make any themselves. */
    dump_buf blob = {.len = 0};
    lua_State *P = luaL_newstate();
    assert_int_equal(luaL_loadstring(P, "return 1"), LUA_OK);
    assert_int_equal(lua_dump(P, dump_writer, &blob, 0), 0);
    lua_close(P);
    assert_true(blob.len > 4 && blob.data[0] == '\x1b');

    lua_State *L = impex_lua_state(f->X);
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/escape.lua", &f->err), 0);
    lua_pushlstring(L, blob.data, blob.len);
    assert_int_equal(call_escape(f, "load_blob", 1, 2), 0);
    assert_true(lua_isnil(L, -2));
    assert_has(lua_tostring(L, -1), "attempt to load a binary chunk");
    lua_pop(L, 2);

    /* Text chunks load, in a fresh sandbox environment. */
    assert_int_equal(call_escape(f, "load_text", 0, 2), 0);
    assert_int_equal(lua_tointeger(L, -2), 42);
    assert_true(lua_isnil(L, -1)); /* the chunk's global did not land in the script */
    lua_pop(L, 2);
}

static void test_sandbox_allows(void **state)
{
    fixture *f = *state;
    lua_State *L = impex_lua_state(f->X);
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/escape.lua", &f->err), 0);

    assert_int_equal(call_escape(f, "require_helper", 0, 1), 0);
    assert_int_equal(lua_tointeger(L, -1), 42);
    lua_pop(L, 1);
    assert_int_equal(call_escape(f, "require_same", 0, 1), 0);
    assert_true(lua_toboolean(L, -1)); /* cached */
    lua_pop(L, 1);
    assert_int_equal(call_escape(f, "require_exporter", 0, 1), 0);
    assert_string_equal(lua_tostring(L, -1), "ABC");
    lua_pop(L, 1);
    assert_int_equal(call_escape(f, "os_time", 0, 1), 0);
    assert_true(lua_toboolean(L, -1));
    lua_pop(L, 1);

    /* Globals a script overwrites stay in its own environment. */
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/leak_a.lua", &f->err), 0);
    assert_string_equal(lua_tostring(L, -1), "hacked");
    lua_pop(L, 1);
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/leak_b.lua", &f->err), 0);
    assert_string_equal(lua_tostring(L, -1), "42 function integer");
    lua_pop(L, 1);

    assert_int_equal(impex_lua_dofile(f->X, "descriptors/none.lua", &f->err), IMPEX_ENOTFOUND);
    assert_int_equal(impex_lua_dofile(f->X, "../x.lua", &f->err), IMPEX_EUNSAFE);
    assert_int_equal(lua_gettop(L), 1);
}

static void test_syntax_error(void **state)
{
    fixture *f = *state;
    /* Written here: a file with a syntax error would fail luacheck. */
    char dir[] = "/tmp/impex_lua_XXXXXX", path[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/descriptors", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/descriptors/bad.lua", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("return {\n  resource = \"Bad\",\n  fields = { \"A\" \"B\" },\n}\n", fp);
    fclose(fp);

    impex_lua *X;
    assert_int_equal(impex_lua_new(dir, NULL, &X, &f->err), 0);
    impex_descriptor *d = NULL;
    assert_int_equal(impex_descriptor_load(X, "descriptors/bad.lua", &d, &f->err), IMPEX_ESCRIPT);
    assert_null(d);
    assert_prefix(f->err.msg, "descriptors/bad.lua:3:");
    assert_int_equal(lua_gettop(impex_lua_state(X)), 0);
    impex_lua_free(X);
    unlink(path);
    snprintf(path, sizeof path, "%s/descriptors", dir);
    rmdir(path);
    rmdir(dir);
    (void)f;
}

/* --- limits ------------------------------------------------------------- */

static int validate_one(impex_script *s, const char *mode, impex_err *err)
{
    impex_value row[] = {val("SKU", IMPEX_V_STRING, "A1"), val("Mode", IMPEX_V_STRING, mode)};
    impex_err_clear(err);
    return impex_script_validate(s, row, 2, err);
}

static void test_instruction_budget(void **state)
{
    fixture *f = *state;
    impex_descriptor *d;
    impex_script *s;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/limits/loop.lua", &d, &f->err), 0);
    assert_int_equal(impex_script_bind(f->X, d, &s, &f->err), 0);

    assert_int_equal(validate_one(s, "loop", &f->err), IMPEX_EREJECT);
    assert_int_equal(f->err.code, IMPEX_EREJECT);
    assert_prefix(f->err.msg, "descriptors/limits/loop.lua:8: ");
    assert_has(f->err.msg, "instruction budget of 1000000 exceeded");
    assert_int_equal(validate_one(s, "ok", &f->err), 0);

    /* A pcall inside the script does not get around the budget. */
    assert_int_equal(validate_one(s, "sneaky", &f->err), IMPEX_EREJECT);
    assert_prefix(f->err.msg, "descriptors/limits/loop.lua:");
    assert_has(f->err.msg, "instruction budget of 1000000 exceeded");
    assert_int_equal(validate_one(s, "ok", &f->err), 0);
    assert_int_equal(lua_gettop(impex_lua_state(f->X)), 0);

    impex_script_free(s);
    impex_descriptor_free(d);
}

static void test_memory_limit(void **state)
{
    fixture *f = *state;
    lua_State *L = impex_lua_state(f->X);
    impex_descriptor *d;
    impex_script *s;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/limits/memory.lua", &d, &f->err), 0);
    assert_int_equal(impex_script_bind(f->X, d, &s, &f->err), 0);

    assert_int_equal(validate_one(s, "grow", &f->err), IMPEX_EREJECT);
    assert_prefix(f->err.msg, "descriptors/limits/memory.lua:");
    assert_has(f->err.msg, ": memory limit of 8 MiB exceeded");
    assert_true(lua_gc(L, LUA_GCCOUNT, 0) < 8 * 1024); /* KiB: the garbage is gone */
    assert_int_equal(validate_one(s, "ok", &f->err), 0);

    /* One request past the hard cap: LUA_ERRMEM, reported where the hook last was. */
    assert_int_equal(validate_one(s, "huge", &f->err), IMPEX_EREJECT);
    assert_prefix(f->err.msg, "descriptors/limits/memory.lua:");
    assert_has(f->err.msg, "memory limit exceeded");
    assert_int_equal(validate_one(s, "ok", &f->err), 0);
    /* Before the hook ran at all: the file is named, without a line. */
    assert_int_equal(validate_one(s, "instant", &f->err), IMPEX_EREJECT);
    assert_string_equal(f->err.msg, "descriptors/limits/memory.lua: memory limit exceeded");
    assert_int_equal(validate_one(s, "ok", &f->err), 0);
    assert_int_equal(validate_one(s, "grow", &f->err), IMPEX_EREJECT);
    assert_int_equal(validate_one(s, "ok", &f->err), 0);
    assert_int_equal(lua_gettop(L), 0);

    impex_script_free(s);
    impex_descriptor_free(d);
}

/* --- isolation ---------------------------------------------------------- */

static const char *const OBSERVED =
    "A,B,c,d,ee,1,integer,number,string,H,3,2,7,a,ba,65,original,deep,"
    "nil,nil,function,function,boolean";

static void expect_observe(impex_lua *X, impex_err *err)
{
    lua_State *L = impex_lua_state(X);
    if (impex_lua_dofile(X, "descriptors/sandbox/observe.lua", err)) fail_msg("%s", err->msg);
    assert_string_equal(lua_tostring(L, -1), OBSERVED);
    lua_pop(L, 1);
}

static void test_sandbox_isolation(void **state)
{
    fixture *f = *state;
    lua_State *L = impex_lua_state(f->X);
    expect_observe(f->X, &f->err);
    /* tamper.lua changes string, table, math, os, utf8, the string metatable
     * and a required module by every route it has, and sees its changes... */
    if (impex_lua_dofile(f->X, "descriptors/sandbox/tamper.lua", &f->err))
        fail_msg("%s", f->err.msg);
    assert_string_equal(lua_tostring(L, -1), "hacked hacked");
    lua_pop(L, 1);
    /* ...which no other script sees, in the same state or in another tenant's. */
    expect_observe(f->X, &f->err);
    impex_lua *Y;
    assert_int_equal(impex_lua_new(f->root, NULL, &Y, &f->err), 0);
    expect_observe(Y, &f->err);
    impex_lua_free(Y);
    /* The same module twice in one script is one table. */
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/escape.lua", &f->err), 0);
    assert_int_equal(call_escape(f, "require_same", 0, 1), 0);
    assert_true(lua_toboolean(L, -1));
    lua_pop(L, 2);
    assert_int_equal(lua_gettop(L), 0);
}

/* --- runaway scripts ---------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_runaway(void **state)
{
    static const struct {
        const char *mode, *where;
    } cases[] = {
        {"xpcall", "descriptors/limits/runaway.lua:11: "},
        {"xpcall_loop", "descriptors/limits/runaway.lua:"},
        {"pcall_swallow", "descriptors/limits/runaway.lua:"},
        {"close", "descriptors/limits/runaway.lua:"},
        {"trim", "descriptors/limits/runaway.lua:23: "},
        {"backtrack", "descriptors/limits/runaway.lua:25: "},
        {"gsub", "descriptors/limits/runaway.lua:27: "},
        {"gmatch", "descriptors/limits/runaway.lua:29: "},
        {"error_table", "descriptors/limits/runaway.lua:"},
    };
    fixture *f = *state;
    impex_descriptor *d;
    impex_script *s;
    if (impex_descriptor_load(f->X, "descriptors/limits/runaway.lua", &d, &f->err))
        fail_msg("%s", f->err.msg);
    assert_int_equal(impex_script_bind(f->X, d, &s, &f->err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = validate_one(s, cases[i].mode, &f->err);
        double took = seconds_since(&t0);
        if (rc != IMPEX_EREJECT) fail_msg("%s: expected a rejection, got %d", cases[i].mode, rc);
        if (strncmp(f->err.msg, cases[i].where, strlen(cases[i].where)) != 0 ||
            !strstr(f->err.msg, "instruction budget of 1000000 exceeded"))
            fail_msg("%s: %s", cases[i].mode, f->err.msg);
        if (took > 2.0) fail_msg("%s: took %.1f s", cases[i].mode, took);
        assert_int_equal(validate_one(s, "ok", &f->err), 0);
    }
    assert_int_equal(lua_gettop(impex_lua_state(f->X)), 0);
    impex_script_free(s);
    impex_descriptor_free(d);

    /* With a budget too large to matter, the wall clock stops the matcher. */
    impex_lua *Y;
    impex_lua_limits lim = {.instructions = UINT64_MAX / 2, .wall_ms = 200};
    assert_int_equal(impex_lua_new(f->root, &lim, &Y, &f->err), 0);
    assert_int_equal(impex_descriptor_load(Y, "descriptors/limits/runaway.lua", &d, &f->err), 0);
    assert_int_equal(impex_script_bind(Y, d, &s, &f->err), 0);
    static const char *const timed[] = {"trim", "backtrack", "xpcall"};
    for (size_t i = 0; i < sizeof timed / sizeof *timed; i++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(validate_one(s, timed[i], &f->err), IMPEX_EREJECT);
        double took = seconds_since(&t0);
        assert_prefix(f->err.msg, "descriptors/limits/runaway.lua:");
        assert_has(f->err.msg, "time limit of 200 ms exceeded");
        if (took > 1.5) fail_msg("%s: took %.1f s", timed[i], took);
        assert_int_equal(validate_one(s, "ok", &f->err), 0);
    }
    impex_script_free(s);
    impex_descriptor_free(d);
    impex_lua_free(Y);
}

/* The sandbox's own matcher gives the standard library's results. */
static void test_patterns(void **state)
{
    static const struct {
        const char *code, *want;
    } cases[] = {
        {"return ('  a b  '):match('^%s*(.-)%s*$')", "a b"},
        {"return table.concat({string.find('hello world', 'o w')}, ',')", "5,7"},
        {"return table.concat({string.find('hello', 'l+')}, ',')", "3,4"},
        {"return table.concat({string.find('a.b', '.', 1, true)}, ',')", "2,2"},
        {"return table.concat({('key=val'):match('(%w+)=(%w+)')}, ',')", "key,val"},
        {"return tostring(('abc'):find('b', -1))", "nil"},
        {"return table.concat({('abc'):find('()b()')}, ',')", "2,2,2,3"},
        {"local t = {} for k, v in ('a=1, b=2'):gmatch('(%w+)=(%w+)') do t[#t+1] = k .. v end "
         "return table.concat(t, ',')",
         "a1,b2"},
        {"local t = {} for w in ('one two'):gmatch('%a*') do t[#t+1] = '[' .. w .. ']' end "
         "return table.concat(t)",
         "[one][two]"},
        {"return (('hello world'):gsub('o', '0'))", "hell0 w0rld"},
        {"return select(2, ('abc'):gsub('', '-'))", "4"},
        {"return (('abc'):gsub('', '-'))", "-a-b-c-"},
        {"return (('hello'):gsub('l', {l = 'L'}))", "heLLo"},
        {"return (('x y'):gsub('%w', function(c) return c:upper() end))", "X Y"},
        {"return (('abc'):gsub('(b)', '[%1%0%%]'))", "a[bb%]c"},
        {"return (('abc'):gsub('^a', 'A'))", "Abc"},
        {"return (('f(a(b)c)d'):match('%b()'))", "(a(b)c)"},
        {"return (('THE (quick) fox'):gsub('%f[%a]%a+', 'w'))", "w (w) w"},
        {"return (('aXbXc'):gsub('X', '-', 1))", "a-bXc"},
        {"return tostring(('x\"y\"z'):match('([\"\\'])(.-)%1'))", "\""},
        {"return tostring(('[]'):match('[]]'))", "]"},
        {"return tostring(('a-b'):match('[%-]'))", "-"},
        {"return tostring(('q'):match('[^%a]'))", "nil"},
        {"return tostring(('2024'):match('^%d%d%d%d$'))", "2024"},
        {"return tostring(('ab'):match('a?b'))", "ab"},
        {"return tostring(pcall(string.match, 'a', '%'))", "false"},
        {"return select(2, pcall(string.match, 'a', '[a'))", "malformed pattern (missing ']')"},
        {"return select(2, pcall(string.gsub, 'a', 'a', '%2'))", "invalid capture index %2"},
    };
    fixture *f = *state;
    lua_State *L = impex_lua_state(f->X);
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/escape.lua", &f->err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lua_pushstring(L, cases[i].code);
        if (call_escape(f, "run", 1, 1)) fail_msg("%s: %s", cases[i].code, f->err.msg);
        const char *got = lua_tostring(L, -1);
        if (!got || !strstr(got, cases[i].want))
            fail_msg("%s: got '%s', want '%s'", cases[i].code, got ? got : "(nil)", cases[i].want);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    assert_int_equal(lua_gettop(L), 0);
}

/* Random patterns and subjects: the sandbox's matcher and the standard
 * library give the same results and the same errors. */
static void test_patterns_differential(void **state)
{
    static const char *const gen =
        "local seed = ...\n"
        "math.randomseed(seed)\n"
        "local toks = { 'a', 'b', '%a', '%d', '%s', '.', '[ab]', '[^a]', '[%d-]', '*', '+', '-',\n"
        "  '?', '(', ')', '%b()', '%f[a]', '%f[%s]', '^', '$', '%1', '()', '%', '[' }\n"
        "local subj = 'aab(b)a1 -'\n"
        "local p, s = {}, {}\n"
        "for _ = 1, math.random(1, 6) do p[#p + 1] = toks[math.random(#toks)] end\n"
        "for _ = 1, math.random(0, 10) do local i = math.random(#subj); s[#s + 1] = "
        "subj:sub(i, i) end\n"
        "return string.format([[local s, p = %q, %q\n"
        "local out = {}\n"
        "local function add(...) local t = table.pack(...) for i = 1, t.n do out[#out + 1] = "
        "tostring(t[i]) end out[#out + 1] = '|' end\n"
        "add(pcall(string.find, s, p))\n"
        "add(pcall(string.find, s, p, 3))\n"
        "add(pcall(string.match, s, p))\n"
        "add(pcall(string.gsub, s, p, '<%%0>'))\n"
        "add(pcall(function() local r = {} for a, b in string.gmatch(s, p) do r[#r + 1] = "
        "tostring(a) .. tostring(b) end return table.concat(r, ';') end))\n"
        "return table.concat(out, ',')]], table.concat(s), table.concat(p))\n";
    fixture *f = *state;
    lua_State *L = impex_lua_state(f->X);
    lua_State *P = luaL_newstate();
    luaL_openlibs(P);
    assert_int_equal(impex_lua_dofile(f->X, "descriptors/sandbox/escape.lua", &f->err), 0);
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(luaL_loadstring(P, gen), LUA_OK);
        lua_pushinteger(P, i);
        assert_int_equal(lua_pcall(P, 1, 1, 0), LUA_OK);
        const char *code = lua_tostring(P, -1);
        assert_int_equal(luaL_loadstring(P, code), LUA_OK);
        if (lua_pcall(P, 0, 1, 0) != LUA_OK) fail_msg("%s: %s", code, lua_tostring(P, -1));
        lua_pushstring(L, code);
        if (call_escape(f, "run", 1, 1)) fail_msg("%s: %s", code, f->err.msg);
        if (strcmp(lua_tostring(L, -1), lua_tostring(P, -1)) != 0)
            fail_msg("%s\nsandbox:  %s\nstandard: %s", code, lua_tostring(L, -1),
                     lua_tostring(P, -1));
        lua_pop(L, 1);
        lua_pop(P, 2);
    }
    lua_close(P);
    lua_pop(L, 1);
}

/* --- script sets ------------------------------------------------------- */

static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

typedef struct listed {
    char text[512];
    size_t n;
} listed;

static int list_cb(void *ctx, const char *relpath, uint64_t hash)
{
    listed *l = ctx;
    char hex[17];
    impex_script_hash_format(hash, hex);
    size_t used = strlen(l->text);
    snprintf(l->text + used, sizeof l->text - used, "%s=%s;", relpath, hex);
    l->n++;
    return 0;
}

static void test_scriptset(void **state)
{
    fixture *f = *state;
    char dir[] = "/tmp/impex_set_XXXXXX", path[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/descriptors", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(dir, "descriptors/m.lua", "return { v = 'one' }\n");
    write_file(dir, "descriptors/t.lua",
               "return { resource = 'T', key = 'K', fields = { 'K' },\n"
               "  validate = function() return false, require('m').v end }\n");
    write_file(dir, "descriptors/t.group.lua", "return { steps = { 't' } }\n");

    impex_scriptset *set;
    impex_lua *A, *B;
    assert_int_equal(impex_scriptset_new(dir, &set, &f->err), 0);
    assert_int_equal(impex_lua_new_set(set, NULL, &A, &f->err), 0);
    impex_group *g;
    assert_int_equal(impex_group_load(A, "t", &g, &f->err), 0);
    impex_descriptor *d;
    assert_int_equal(impex_descriptor_load(A, g->steps[0], &d, &f->err), 0);

    /* A hot reload mid-job: the job keeps what it started with, in every
     * state made from its set (the writer's too). A module is read at its
     * first require, and that version stays. */
    write_file(dir, "descriptors/t.lua", "return {}\n");
    assert_int_equal(impex_lua_new_set(set, NULL, &B, &f->err), 0);
    impex_lua *states[] = {A, B};
    for (int i = 0; i < 2; i++) {
        impex_script *s;
        if (impex_script_bind(states[i], d, &s, &f->err)) fail_msg("%s", f->err.msg);
        assert_int_equal(validate_one(s, "x", &f->err), IMPEX_EREJECT);
        assert_string_equal(f->err.msg, "one");
        impex_script_free(s);
        write_file(dir, "descriptors/m.lua", "return { v = 'two' }\n");
    }
    /* Without a set, the disk as it is now. */
    impex_lua *C;
    assert_int_equal(impex_lua_new(dir, NULL, &C, &f->err), 0);
    impex_script *s;
    assert_int_equal(impex_script_bind(C, d, &s, &f->err), IMPEX_EDESC);
    impex_lua_free(C);

    /* Everything the job loaded, required modules included, with hashes. */
    listed l = {.n = 0};
    l.text[0] = '\0';
    assert_int_equal(impex_scriptset_list(set, list_cb, &l), 0);
    assert_int_equal(l.n, 3);
    assert_has(l.text, "descriptors/t.group.lua=");
    assert_has(l.text, "descriptors/t.lua=");
    assert_has(l.text, "descriptors/m.lua=");
    uint64_t old_hash, new_hash;
    const char *bytes;
    size_t len;
    assert_int_equal(
        impex_scriptset_get(set, "descriptors/m.lua", &bytes, &len, &old_hash, &f->err), 0);
    assert_string_equal(bytes, "return { v = 'one' }\n");
    assert_int_equal(old_hash, impex_script_hash(bytes, len));
    char hex[17];
    impex_script_hash_format(old_hash, hex);
    assert_int_equal(strlen(hex), 16);
    uint64_t back;
    assert_int_equal(impex_script_hash_parse(hex, &back, &f->err), 0);
    assert_int_equal(back, old_hash);
    assert_int_equal(impex_script_hash_parse("xyz", &back, &f->err), IMPEX_EUSAGE);
    assert_int_equal(impex_scriptset_get(set, "../etc/passwd", NULL, NULL, NULL, &f->err),
                     IMPEX_EUNSAFE);

    /* Resuming: a fresh set pinned to the recorded hashes refuses the change. */
    impex_scriptset *again;
    assert_int_equal(impex_scriptset_new(dir, &again, &f->err), 0);
    assert_int_equal(impex_scriptset_pin(again, "descriptors/t.group.lua",
                                         impex_script_hash("return { steps = { 't' } }\n", 27),
                                         "job 7", &f->err),
                     0);
    assert_int_equal(impex_scriptset_pin(again, "descriptors/m.lua", old_hash, "job 7", &f->err),
                     IMPEX_EDESC);
    assert_int_equal(impex_scriptset_get(again, "descriptors/m.lua", NULL, NULL, &new_hash, NULL),
                     0);
    char want[256], nowhex[17];
    impex_script_hash_format(new_hash, nowhex);
    snprintf(want, sizeof want, "descriptors/m.lua changed since job 7 started (hash %s now %s)",
             hex, nowhex);
    assert_string_equal(f->err.msg, want);
    assert_int_equal(impex_scriptset_pin(again, "descriptors/gone.lua", 1, "job 7", &f->err),
                     IMPEX_ENOTFOUND);
    impex_scriptset_free(again);

    impex_descriptor_free(d);
    impex_group_free(g);
    impex_lua_free(A);
    impex_lua_free(B);
    impex_scriptset_free(set);
    static const char *const files[] = {"m.lua", "t.lua", "t.group.lua"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/descriptors/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/descriptors", dir);
    rmdir(path);
    rmdir(dir);
}

/* --- descriptors -------------------------------------------------------- */

static void test_descriptor_full(void **state)
{
    fixture *f = *state;
    impex_descriptor *d;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/catalog/products.lua", &d, &f->err),
                     0);
    assert_string_equal(d->name, "products");
    assert_string_equal(d->path, "descriptors/catalog/products.lua");
    assert_string_equal(d->resource, "Products");
    assert_string_equal(d->format, "csv");
    assert_string_equal(d->entry_glob, "products*.csv");
    assert_int_equal(d->op, IMPEX_OP_UPSERT);
    assert_int_equal(d->batch_size, 250);
    assert_int_equal(d->strategy, IMPEX_STRATEGY_STRICT);
    assert_int_equal(d->max_errors, 10);
    assert_true(d->allow_extra_columns);
    assert_true(d->has_validate);
    assert_true(d->has_map);
    assert_int_equal(d->nfields, 10);
    assert_int_equal(d->nkey, 2);
    assert_int_equal(d->key[0], 0);
    assert_int_equal(d->key[1], 1);

    impex_field_rule *r = d->fields;
    assert_string_equal(r[0].name, "SKU");
    assert_true(r[0].required); /* implied by the key */
    assert_int_equal(r[0].type, IMPEX_V_STRING);
    assert_true(r[0].has_pattern);
    assert_string_equal(r[0].pattern_src, "[A-Z]{2}-[0-9]+");
    assert_int_equal(regexec(&r[0].pattern, "AB-12", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&r[0].pattern, "xAB-12", 0, NULL, 0), 0); /* anchored */
    assert_int_not_equal(regexec(&r[0].pattern, "AB-12x", 0, NULL, 0), 0);
    assert_int_equal(r[0].maxlen, 32);

    assert_string_equal(r[1].name, "Variant");
    assert_true(r[1].required);
    assert_int_equal(r[1].type, IMPEX_V_INT);
    assert_true(r[1].has_min && r[1].has_max);
    assert_true(r[1].min == 0 && r[1].max == 999);

    assert_string_equal(r[2].name, "Name");
    assert_true(r[2].required);
    assert_int_equal(r[2].maxlen, 200);
    assert_false(r[2].has_pattern);

    assert_int_equal(r[3].type, IMPEX_V_DECIMAL);
    assert_true(r[3].min == 0.5 && r[3].max == 100000);
    assert_false(r[3].required);
    assert_int_equal(r[4].type, IMPEX_V_BOOL);
    assert_int_equal(r[5].type, IMPEX_V_DATE);
    assert_int_equal(r[6].type, IMPEX_V_DATETIME);

    assert_string_equal(r[7].name, "Color");
    assert_int_equal(r[7].nenums, 3);
    assert_string_equal(r[7].enums[0], "red");
    assert_string_equal(r[7].enums[2], "blue");
    assert_null(r[6].enums);

    assert_string_equal(r[8].name, "Tags");
    assert_true(r[8].multi);
    assert_int_equal(r[8].type, IMPEX_V_STRING);
    assert_string_equal(r[9].name, "Notes"); /* bare string shorthand */
    assert_false(r[9].multi || r[9].required || r[9].has_min || r[9].maxlen);

    assert_int_equal(impex_descriptor_field(d, "price", 5), 3);
    assert_int_equal(impex_descriptor_field(d, "Pric", 4), -1);
    /* A header cell is (ptr, len), not a C string: a NUL in it matches no
     * field, and a longer name is never read past its length. */
    char *cell = malloc(7);
    memcpy(cell, "Price\0x", 7);
    assert_int_equal(impex_descriptor_field(d, cell, 7), -1);
    assert_int_equal(impex_descriptor_field(d, cell, 5), 3);
    memcpy(cell, "PRICEXY", 7);
    assert_int_equal(impex_descriptor_field(d, cell, 5), 3);
    free(cell);
    assert_int_equal(impex_descriptor_field(d, "Price\0", 6), -1);
    assert_true(impex_descriptor_matches(d, "export/PRODUCTS-2024.CSV"));
    assert_false(impex_descriptor_matches(d, "products/prices.csv"));
    assert_int_equal(lua_gettop(impex_lua_state(f->X)), 0);
    impex_descriptor_free(d);

    /* Defaults. */
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/catalog/stock.lua", &d, &f->err), 0);
    assert_string_equal(d->name, "stock");
    assert_string_equal(d->entry_glob, "Stock.csv");
    assert_int_equal(d->op, IMPEX_OP_UPSERT);
    assert_int_equal(d->strategy, IMPEX_STRATEGY_SKIP);
    assert_int_equal(d->batch_size, 500);
    assert_int_equal(d->max_errors, 0);
    assert_false(d->allow_extra_columns);
    assert_false(d->has_validate);
    assert_true(d->has_map);
    assert_true(impex_descriptor_matches(d, "stock.csv"));
    impex_descriptor_free(d);
}

static void test_descriptor_errors(void **state)
{
    static const struct {
        const char *file, *msg;
    } cases[] = {
        {"typo", "unknown key 'feilds' (did you mean 'fields'?)"},
        {"operation", "'operation' must be one of \"upsert\", \"insert\", \"update\", \"delete\""},
        {"on_error", "'on_error' must be one of \"skip\", \"strict\""},
        {"batch", "'batch_size' must be an integer from 1 to 100000"},
        {"batch_big", "'batch_size' must be an integer from 1 to 100000"},
        {"duplicate", "field 'a' is listed twice"},
        {"empty", "'fields' must list at least one field"},
        {"rule_key", "fields[2]: unknown key 'requird' (did you mean 'required'?)"},
        {"key", "key 'C' is not one of the fields"},
        {"wrong_type", "'resource' must be a string"},
        {"field_type", "field 'B': 'type' must be one of"},
        {"pattern", "field 'B': 'pattern' is not a valid regex"},
        {"stacked", "field 'B': 'pattern' repeats a repetition ('[0-9]+*')"},
        {"not_table", "must return a table (got string)"},
        {"context_part", "context: 'shop' is not one of masterCatalog, catalog, locale"},
        {"context_field", "context: 'locale' must name one of the fields"},
        {"context_required", "'context_required' needs a context table"},
        {"accumulate", "'accumulate' must be true or false"},
    };
    fixture *f = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128], prefix[160];
        snprintf(path, sizeof path, "descriptors/errors/%s.lua", cases[i].file);
        snprintf(prefix, sizeof prefix, "%s: ", path);
        impex_descriptor *d = NULL;
        impex_err_clear(&f->err);
        int rc = impex_descriptor_load(f->X, path, &d, &f->err);
        if (rc != IMPEX_EDESC)
            fail_msg("%s: expected IMPEX_EDESC, got %d (%s)", path, rc, f->err.msg);
        assert_null(d);
        assert_int_equal(f->err.code, IMPEX_EDESC);
        assert_prefix(f->err.msg, prefix);
        assert_has(f->err.msg, cases[i].msg);
        assert_int_equal(lua_gettop(impex_lua_state(f->X)), 0);
    }
}

static void test_groups(void **state)
{
    fixture *f = *state;
    impex_group *g;
    assert_int_equal(impex_group_load(f->X, "catalog", &g, &f->err), 0);
    assert_string_equal(g->name, "catalog");
    assert_string_equal(g->path, "descriptors/catalog/catalog.group.lua");
    assert_string_equal(g->description, "Catalog: products, then stock, then brands");
    assert_int_equal(g->nsteps, 3);
    assert_string_equal(g->steps[0], "descriptors/catalog/products.lua");
    assert_string_equal(g->steps[1], "descriptors/catalog/stock.lua");
    assert_string_equal(g->steps[2], "descriptors/shared/brands.lua");
    impex_group_free(g);

    assert_int_equal(impex_group_load(f->X, "prices", &g, &f->err), 0);
    assert_int_equal(g->nsteps, 1);
    assert_string_equal(g->steps[0], "descriptors/catalog/products.lua");
    impex_group_free(g);

    g = NULL;
    assert_int_equal(impex_group_load(f->X, "nope", &g, &f->err), IMPEX_ENOTFOUND);
    assert_null(g);
    assert_string_equal(f->err.msg, "no group 'nope' (available: broken, catalog, prices)");

    assert_int_equal(impex_group_load(f->X, "broken", &g, &f->err), IMPEX_EDESC);
    assert_string_equal(f->err.msg, "descriptors/bad/broken.group.lua: step 'nope': "
                                    "descriptors/bad/nope.lua does not exist");
    assert_int_equal(lua_gettop(impex_lua_state(f->X)), 0);
}

/* requires: steps of the group, kept as descriptor paths and as named. */
static void test_group_requires(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *file, *text;
    } files[] = {
        {"a.lua", "return { resource = 'A', key = 'K', fields = { 'K' } }\n"},
        {"b.lua", "return { resource = 'B', key = 'K', fields = { 'K' } }\n"},
        {"ok.group.lua", "return { steps = { 'a', 'b' }, requires = { 'b' } }\n"},
        {"none.group.lua", "return { steps = { 'a' }, requires = {} }\n"},
        {"other.group.lua", "return { steps = { 'a' }, requires = { 'b' } }\n"},
        {"text.group.lua", "return { steps = { 'a' }, requires = 'a' }\n"},
        {"named.group.lua", "return { steps = { 'a' }, requires = { x = 'a' } }\n"},
    };
    size_t nfiles = sizeof files / sizeof files[0];
    char dir[] = "/tmp/impex_req_XXXXXX", path[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/descriptors", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/descriptors/g", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    for (size_t i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "descriptors/g/%s", files[i].file);
        write_file(dir, path, files[i].text);
    }
    impex_lua *L;
    impex_lua_limits lim = {.instructions = 1000000, .memory = (size_t)8 << 20};
    assert_int_equal(impex_lua_new(dir, &lim, &L, &f->err), 0);

    impex_group *g;
    assert_int_equal(impex_group_load(L, "ok", &g, &f->err), 0);
    assert_int_equal(g->nrequires, 1);
    assert_string_equal(g->requires[0], "descriptors/g/b.lua");
    assert_string_equal(g->requires_names[0], "b");
    impex_group_free(g);
    assert_int_equal(impex_group_load(L, "none", &g, &f->err), 0);
    assert_int_equal(g->nrequires, 0);
    impex_group_free(g);

    static const struct {
        const char *group, *msg;
    } bad[] = {
        {"other", "descriptors/g/other.group.lua: requires 'b', which is not one of the group's "
                  "steps"},
        {"text", "descriptors/g/text.group.lua: 'requires' must be a list of step names"},
        {"named", "descriptors/g/named.group.lua: 'requires' must be a list of step names"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        g = NULL;
        assert_int_equal(impex_group_load(L, bad[i].group, &g, &f->err), IMPEX_EDESC);
        assert_null(g);
        assert_string_equal(f->err.msg, bad[i].msg);
        assert_int_equal(lua_gettop(impex_lua_state(L)), 0);
    }
    impex_lua_free(L);
    for (size_t i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "%s/descriptors/g/%s", dir, files[i].file);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/descriptors/g", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/descriptors", dir);
    rmdir(path);
    rmdir(dir);
}

/* operation_column, empty, sentinel; a group's max_upload and its name by path. */
static void test_request_keys(void **state)
{
    fixture *f = *state;
    char dir[] = "/tmp/impex_req_XXXXXX", path[PATH_MAX];
    static const char *const files[][2] = {
        {"descriptors/ok.lua", "return { resource = 'T', key = 'K', fields = { 'K', 'N' },\n"
                               "  operation_column = 'Op', empty = 'clear', sentinel = 'NULL' }\n"},
        {"descriptors/plain.lua", "return { resource = 'T', key = 'K', fields = { 'K' } }\n"},
        {"descriptors/opcol.lua", "return { resource = 'T', key = 'K', fields = { 'K', 'n' },\n"
                                  "  operation_column = 'N' }\n"},
        {"descriptors/empty.lua",
         "return { resource = 'T', key = 'K', fields = { 'K' }, empty = 'drop' }\n"},
        {"descriptors/shop/a.group.lua", "return { steps = { 'x' }, max_upload = '5 MB' }\n"},
        {"descriptors/shop/x.lua", "return { resource = 'T', key = 'K', fields = { 'K' } }\n"},
        {"descriptors/shop/b.group.lua", "return { steps = { 'x' }, max_upload = '1.5KiB' }\n"},
        {"descriptors/shop/c.group.lua", "return { steps = { 'x' }, max_upload = 0 }\n"},
        {"descriptors/shop/d.group.lua", "return { steps = { 'x' }, max_upload = '5 XB' }\n"},
        {"descriptors/shop/e.group.lua", "return { steps = { 'x' }, max_upload = 'inf MB' }\n"},
    };
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/descriptors", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/descriptors/shop", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        write_file(dir, files[i][0], files[i][1]);
    impex_lua *X;
    assert_int_equal(impex_lua_new(dir, NULL, &X, &f->err), 0);

    impex_descriptor *d;
    assert_int_equal(impex_descriptor_load(X, "descriptors/ok.lua", &d, &f->err), 0);
    assert_string_equal(d->op_column, "Op");
    assert_int_equal(d->empty_clears, 1);
    assert_string_equal(d->sentinel, "NULL");
    assert_int_equal(d->sentinel_len, 4);
    impex_descriptor_free(d);
    assert_int_equal(impex_descriptor_load(X, "descriptors/plain.lua", &d, &f->err), 0);
    assert_null(d->op_column);
    assert_int_equal(d->empty_clears, 0);
    assert_string_equal(d->sentinel, "~delete~");
    impex_descriptor_free(d);
    assert_int_equal(impex_descriptor_load(X, "descriptors/opcol.lua", &d, &f->err), IMPEX_EDESC);
    assert_string_equal(
        f->err.msg, "descriptors/opcol.lua: 'operation_column' must not name one of the fields");
    assert_int_equal(impex_descriptor_load(X, "descriptors/empty.lua", &d, &f->err), IMPEX_EDESC);
    assert_string_equal(f->err.msg,
                        "descriptors/empty.lua: 'empty' must be one of \"keep\", \"clear\"");

    impex_group *g;
    assert_int_equal(impex_group_load(X, "shop/a", &g, &f->err), 0);
    assert_int_equal(g->max_upload, 5000000);
    assert_string_equal(g->max_upload_unit, "MB");
    assert_string_equal(g->path, "descriptors/shop/a.group.lua");
    impex_group_free(g);
    assert_int_equal(impex_group_load(X, "a", &g, &f->err), 0); /* the base name, unique */
    impex_group_free(g);
    assert_int_equal(impex_group_load(X, "b", &g, &f->err), 0);
    assert_int_equal(g->max_upload, 1536);
    impex_group_free(g);
    assert_int_equal(impex_group_load(X, "other/a", &g, &f->err), IMPEX_ENOTFOUND);
    assert_int_equal(impex_group_load(X, "shop/../shop/a", &g, &f->err), IMPEX_EUSAGE);
    const char *bad[] = {"c", "d", "e"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(impex_group_load(X, bad[i], &g, &f->err), IMPEX_EDESC);
        assert_has(f->err.msg, "'max_upload' must be a positive number of bytes");
    }
    impex_lua_free(X);

    char out[48];
    impex_size_format(6100000, "MB", out, sizeof out);
    assert_string_equal(out, "6.1 MB");
    impex_size_format(5000001, "MB", out, sizeof out); /* rounded up: never shown as the limit */
    assert_string_equal(out, "5.1 MB");
    impex_size_format(5000000, "MB", out, sizeof out);
    assert_string_equal(out, "5 MB");
    impex_size_format(4096, "", out, sizeof out);
    assert_string_equal(out, "4.1 KB");
    impex_size_format(3 << 20, "MiB", out, sizeof out);
    assert_string_equal(out, "3 MiB");
    impex_size_format(500, "", out, sizeof out);
    assert_string_equal(out, "500 bytes");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/descriptors/shop", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/descriptors", dir);
    rmdir(path);
    rmdir(dir);
}

/* --- rows --------------------------------------------------------------- */

static void expect_field(const impex_value *v, const char *name, impex_vtype type, const char *text)
{
    if (v->name_len != strlen(name) || memcmp(v->name, name, v->name_len) != 0)
        fail_msg("expected field %s, got %.*s", name, (int)v->name_len, v->name);
    if (v->type != type) fail_msg("%s: expected type %d, got %d", name, type, v->type);
    if (v->len != strlen(text) || memcmp(v->ptr, text, v->len) != 0)
        fail_msg("%s: expected \"%s\", got \"%.*s\"", name, text, (int)v->len, v->ptr);
}

static void test_map_stock(void **state)
{
    fixture *f = *state;
    impex_descriptor *d;
    impex_script *s;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/catalog/stock.lua", &d, &f->err), 0);
    assert_int_equal(impex_script_bind(f->X, d, &s, &f->err), 0);

    impex_value stored[] = {
        val("SKU", IMPEX_V_STRING, "A1"),
        val("Stock", IMPEX_V_INT, "10"),
        val("Name", IMPEX_V_STRING, "Widget"),
    };
    impex_buf rec = {0}, out = {0};
    assert_int_equal(impex_codec_encode(NULL, stored, 3, (impex_slice){0}, &rec), 0);
    impex_slice existing = {rec.ptr, rec.len};
    impex_value row[] = {
        val("SKU", IMPEX_V_STRING, "A1"),       val("Delta", IMPEX_V_INT, "5"),
        val("Price", IMPEX_V_DECIMAL, "12.50"), val("Tags", IMPEX_V_LIST, "a\rb"),
        val("Active", IMPEX_V_BOOL, "true"),    val("Day", IMPEX_V_STRING, "2024-01-31"),
    };
    assert_int_equal(impex_script_map(s, row, 6, &existing, NULL, (impex_slice){0}, &out, &f->err),
                     0);

    impex_value *v;
    size_t n;
    assert_int_equal(impex_codec_decode(NULL, (impex_slice){0}, (impex_slice){out.ptr, out.len}, &v,
                                        &n, &f->err),
                     0);
    assert_int_equal(n, 10);
    expect_field(&v[0], "SKU", IMPEX_V_STRING, "A1");
    expect_field(&v[1], "Stock", IMPEX_V_INT, "15");
    expect_field(&v[2], "Name", IMPEX_V_STRING, "Widget");
    expect_field(&v[3], "Price", IMPEX_V_DECIMAL, "25");
    expect_field(&v[4], "Tags", IMPEX_V_LIST, "a\rb");
    expect_field(&v[5], "Active", IMPEX_V_BOOL, "true");
    expect_field(&v[6], "Updated", IMPEX_V_DATE, "2024-01-31");
    expect_field(&v[7], "Big", IMPEX_V_DECIMAL, "1e+21");
    expect_field(&v[8], "Note", IMPEX_V_STRING, "delta 5");
    expect_field(&v[9], "Ratio", IMPEX_V_DECIMAL, "0.25");
    free(v);

    /* No stored record; a date field given text that is not a date stays a string. */
    impex_buf_reset(&out);
    row[1] = val("Delta", IMPEX_V_INT, "-3");
    row[2] = val("Price", IMPEX_V_DECIMAL, "0.05");
    row[5] = val("Day", IMPEX_V_STRING, "2023-02-29");
    assert_int_equal(impex_script_map(s, row, 6, NULL, NULL, (impex_slice){0}, &out, &f->err), 0);
    assert_int_equal(impex_codec_decode(NULL, (impex_slice){0}, (impex_slice){out.ptr, out.len}, &v,
                                        &n, &f->err),
                     0);
    expect_field(&v[1], "Stock", IMPEX_V_INT, "-3");
    expect_field(&v[2], "Name", IMPEX_V_STRING, "new");
    expect_field(&v[3], "Price", IMPEX_V_DECIMAL, "0.1");
    expect_field(&v[6], "Updated", IMPEX_V_STRING, "2023-02-29");
    free(v);

    /* Strings given to typed fields keep the type only when valid, normalised. */
    impex_buf_reset(&out);
    row[0] = val("SKU", IMPEX_V_STRING, "TXT");
    assert_int_equal(impex_script_map(s, row, 6, NULL, NULL, (impex_slice){0}, &out, &f->err), 0);
    assert_int_equal(impex_codec_decode(NULL, (impex_slice){0}, (impex_slice){out.ptr, out.len}, &v,
                                        &n, &f->err),
                     0);
    assert_int_equal(n, 9);
    expect_field(&v[0], "SKU", IMPEX_V_STRING, "TXT");
    expect_field(&v[1], "Stock", IMPEX_V_INT, "7");
    expect_field(&v[2], "Name", IMPEX_V_STRING, "12345678901234567890");
    expect_field(&v[3], "Price", IMPEX_V_DECIMAL, "-0.50");
    expect_field(&v[4], "Tags", IMPEX_V_LIST, "x");
    expect_field(&v[5], "Active", IMPEX_V_STRING, "yes");
    expect_field(&v[6], "Updated", IMPEX_V_STRING, "2024-02-30");
    expect_field(&v[7], "Delta", IMPEX_V_STRING, "99999999999999999999");
    expect_field(&v[8], "Extra", IMPEX_V_STRING, "true");
    free(v);

    /* Rejections leave out untouched. */
    size_t len = out.len;
    row[0] = val("SKU", IMPEX_V_STRING, "FN");
    assert_int_equal(impex_script_map(s, row, 6, NULL, NULL, (impex_slice){0}, &out, &f->err),
                     IMPEX_EREJECT);
    assert_string_equal(f->err.msg,
                        "descriptors/catalog/stock.lua: map: field 'Stock': cannot store a "
                        "function value");
    row[0] = val("SKU", IMPEX_V_STRING, "NIL");
    assert_int_equal(impex_script_map(s, row, 6, NULL, NULL, (impex_slice){0}, &out, &f->err),
                     IMPEX_EREJECT);
    assert_string_equal(f->err.msg, "nothing to store for NIL");
    assert_int_equal(out.len, len);

    /* A runtime error in map (Delta missing: nil arithmetic) is a rejection too. */
    row[0] = val("SKU", IMPEX_V_STRING, "A1");
    row[1] = val("Delta", IMPEX_V_NULL, NULL);
    assert_int_equal(impex_script_map(s, row, 6, NULL, NULL, (impex_slice){0}, &out, &f->err),
                     IMPEX_EREJECT);
    assert_prefix(f->err.msg, "descriptors/catalog/stock.lua:");
    assert_has(f->err.msg, "attempt to perform arithmetic on a nil value");
    assert_int_equal(out.len, len);
    assert_int_equal(lua_gettop(impex_lua_state(f->X)), 0);

    impex_buf_free(&rec);
    impex_buf_free(&out);
    impex_script_free(s);
    impex_descriptor_free(d);
}

static void test_validate_reasons(void **state)
{
    static const struct {
        const char *sku;
        int rc;
        const char *msg;
    } cases[] = {
        {"OK", 0, ""},
        {"V", 0, ""},
        {"X", IMPEX_EREJECT, "SKU X is blocked"},
        {"N", IMPEX_EREJECT, "rejected by validate"},
        {"E", IMPEX_EREJECT, "descriptors/validate/reasons.lua:13: boom"},
        {"T", IMPEX_EREJECT,
         "descriptors/validate/reasons.lua:15: (error object is a table value)"},
        {"A", IMPEX_EREJECT,
         "descriptors/validate/reasons.lua:17: attempt to perform arithmetic on a nil value"},
    };
    fixture *f = *state;
    impex_descriptor *d;
    impex_script *s;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/validate/reasons.lua", &d, &f->err),
                     0);
    assert_int_equal(impex_script_bind(f->X, d, &s, &f->err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        impex_value row[] = {val("SKU", IMPEX_V_STRING, cases[i].sku)};
        impex_err_clear(&f->err);
        assert_int_equal(impex_script_validate(s, row, 1, &f->err), cases[i].rc);
        assert_string_equal(f->err.msg, cases[i].msg);
    }
    impex_script_free(s);
    impex_descriptor_free(d);
}

static void test_row_types(void **state)
{
    fixture *f = *state;
    impex_descriptor *d;
    impex_script *s;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/validate/types.lua", &d, &f->err), 0);
    assert_int_equal(impex_script_bind(f->X, d, &s, &f->err), 0);
    impex_value row[] = {
        val("S", IMPEX_V_STRING, "text"),
        val("I", IMPEX_V_INT, "-42"),
        val("D", IMPEX_V_DECIMAL, "12.50"),
        val("B", IMPEX_V_BOOL, "true"),
        val("F", IMPEX_V_BOOL, "false"),
        val("L", IMPEX_V_LIST, "a\r\rc"),
        val("E", IMPEX_V_STRING, ""),
        val("Day", IMPEX_V_DATE, "2024-02-29"),
        val("Big", IMPEX_V_INT, "123456789012345678901234567890"),
    };
    impex_err_clear(&f->err);
    assert_int_equal(impex_script_validate(s, row, 9, &f->err), 0);
    row[1] = val("I", IMPEX_V_INT, "7");
    assert_int_equal(impex_script_validate(s, row, 9, &f->err), IMPEX_EREJECT);
    assert_string_equal(f->err.msg, "bad I");
    impex_script_free(s);
    impex_descriptor_free(d);
}

/* The row table is reused between rows: nothing a script does to it leaks. */
static void test_row_reuse(void **state)
{
    static const struct {
        const char *sku, *second, *value;
    } rows[] = {
        {"a", "Qty", "1"},       {"add", "Qty", "1"},   {"b", "Qty", "1"},     {"raw", "Qty", "1"},
        {"c", "Qty", "1"},       {"clear", "Qty", "1"}, {"qty", "Qty", "5"},   {"empty", "Qty", ""},
        {"other", "Other", "x"}, {"back", "Qty", "5"},  {"short", NULL, NULL}, {"qty", "Qty", "5"},
        {"add", "Qty", "1"},     {"short", NULL, NULL}, {"qty", "Qty", "5"},
    };
    fixture *f = *state;
    impex_descriptor *d;
    impex_script *s;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/validate/mutate.lua", &d, &f->err),
                     0);
    assert_int_equal(impex_script_bind(f->X, d, &s, &f->err), 0);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        impex_value row[2] = {val("SKU", IMPEX_V_STRING, rows[i].sku)};
        size_t n = 1;
        if (rows[i].second) row[n++] = val(rows[i].second, IMPEX_V_INT, rows[i].value);
        impex_err_clear(&f->err);
        if (impex_script_validate(s, row, n, &f->err))
            fail_msg("row %zu (%s): %s", i, rows[i].sku, f->err.msg);
    }
    impex_script_free(s);
    impex_descriptor_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sandbox_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sandbox_load_bytecode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sandbox_allows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sandbox_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runaway, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patterns_differential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scriptset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instruction_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descriptor_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descriptor_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_requires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
