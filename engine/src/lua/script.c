#include "lua/script.h"

#include "core/utf8.h"
#include "schema/schema.h"

#include <lauxlib.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_OFF ((size_t)-1)

/* One field of the record map returned. Text we format ourselves (numbers,
 * joined lists) lives in s->text, which may move while it grows, so it is
 * kept as an offset until the record is assembled. */
typedef struct out_ent {
    impex_value v;
    size_t off; /* NO_OFF: v.ptr is final */
} out_ent;

#define MAX_NAMES 256 /* distinct names a cache keeps; more are pushed uncached */

/* The Lua strings of the names rows carry (the descriptor's fields, mostly).
 * Reusing them saves hashing and interning every name of every row, and the
 * entries let the reused row table be cleared of what the last row set. */
typedef struct name_cache {
    int ref; /* registry ref of a Lua array: entry index + 1 -> string */
    struct {
        char *ptr; /* C copy of the name */
        size_t len;
        uint64_t gen; /* the last row that set this name in the row table */
    } * e;
    size_t n, cap;
    size_t next; /* where the next name is likely: rows follow descriptor order */
} name_cache;

struct impex_script {
    impex_lua *X;
    const impex_descriptor *d;
    int validate_ref, map_ref, names_ref; /* registry refs; names: field name -> 1-based index */
    name_cache row_names, rec_names;      /* for rows and for stored records */
    int row_ref, row_mt_ref;              /* the reused row table and its metatable */
    int *dirty;                           /* set by the row table's __newindex (Lua-owned memory) */
    uint64_t gen;                         /* rows pushed so far */
    size_t *set, nset;                    /* cache entries the last row set in the row table */
    size_t *set_now, nnow;                /* the same for the row being pushed */

    /* The call in progress, read by the protected trampolines. */
    const impex_value *vals;
    size_t n;
    const impex_slice *existing;
    const impex_dict *dict; /* existing's field dictionary, and its key */
    impex_slice key;
    impex_buf *out;
    impex_err *err;
    int rc;

    /* Scratch kept from row to row so the steady state does not allocate:
     * ents[0, nfields) are the descriptor's fields, extra keys follow. */
    out_ent *ents;
    impex_value *outv;
    size_t cap;
    impex_buf text;
};

static int grow(impex_script *s, size_t need)
{
    if (need <= s->cap) return IMPEX_OK;
    size_t cap = s->cap ? s->cap : 16;
    while (cap < need)
        cap *= 2;
    out_ent *e = realloc(s->ents, cap * sizeof *e);
    if (!e) return IMPEX_ENOMEM;
    s->ents = e;
    impex_value *v = realloc(s->outv, cap * sizeof *v);
    if (!v) return IMPEX_ENOMEM;
    s->outv = v;
    s->cap = cap;
    return IMPEX_OK;
}

static int reject(impex_script *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reject(impex_script *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->rc = impex_err_set(s->err, IMPEX_EREJECT, "%s", msg);
    return s->rc;
}

/* The reason a script gave (a string or number at idx), else dflt. */
static void reject_with(impex_script *s, lua_State *L, int idx, const char *dflt)
{
    const char *why = NULL;
    if (idx && (lua_type(L, idx) == LUA_TSTRING || lua_type(L, idx) == LUA_TNUMBER))
        why = lua_tostring(L, idx);
    reject(s, "%s", why ? why : dflt);
}

/* --- C values -> Lua ---------------------------------------------------- */

/* Exact fast path for plain decimals ([+-]digits[.digits], at most 15
 * digits): the digits as an integer and the power of ten are both exact
 * doubles, so one correctly rounded division gives what strtod would, at a
 * fraction of its cost. Returns 0 when the text needs strtod. */
static int fast_decimal(const char *p, size_t len, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *end = p + len;
    int neg = 0, digits = 0, frac = -1;
    uint64_t m = 0;
    if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
    for (; p < end; p++) {
        if (*p == '.' && frac < 0) {
            frac = 0;
        } else if (*p >= '0' && *p <= '9') {
            m = m * 10 + (uint64_t)(*p - '0');
            if (++digits > 15) return 0;
            if (frac >= 0) frac++;
        } else {
            return 0;
        }
    }
    if (digits == 0) return 0;
    double v = (double)m / pow10[frac > 0 ? frac : 0];
    *out = neg ? -v : v;
    return 1;
}

/* Pushes the Lua form of one value; returns 0 (nothing pushed) when empty. */
static int push_value(lua_State *L, impex_vtype type, const char *p, size_t len)
{
    if (type == IMPEX_V_NULL || len == 0) return 0;
    char tmp[64]; /* strtoll/strtod need a terminated copy */
    char *end;
    switch (type) {
    case IMPEX_V_INT:
        if (len < sizeof tmp) {
            memcpy(tmp, p, len);
            tmp[len] = '\0';
            errno = 0;
            long long v = strtoll(tmp, &end, 10);
            if (*end == '\0' && errno == 0) {
                lua_pushinteger(L, (lua_Integer)v);
                return 1;
            }
        }
        break; /* out of range or not a number: keep the text */
    case IMPEX_V_DECIMAL: {
        double d;
        if (fast_decimal(p, len, &d)) {
            lua_pushnumber(L, (lua_Number)d);
            return 1;
        }
        if (len < sizeof tmp) {
            memcpy(tmp, p, len);
            tmp[len] = '\0';
            double v = strtod(tmp, &end);
            if (*end == '\0') {
                lua_pushnumber(L, (lua_Number)v);
                return 1;
            }
        }
        break;
    }
    case IMPEX_V_BOOL:
        if (len == 4 && memcmp(p, "true", 4) == 0) {
            lua_pushboolean(L, 1);
            return 1;
        }
        if (len == 5 && memcmp(p, "false", 5) == 0) {
            lua_pushboolean(L, 0);
            return 1;
        }
        break;
    case IMPEX_V_LIST: {
        const char *q = p, *stop = p + len, *cr;
        int count = 1;
        while ((cr = memchr(q, '\r', (size_t)(stop - q)))) {
            count++;
            q = cr + 1;
        }
        lua_createtable(L, count, 0);
        q = p;
        for (lua_Integer i = 1;; i++) {
            cr = memchr(q, '\r', (size_t)(stop - q));
            lua_pushlstring(L, q, cr ? (size_t)(cr - q) : (size_t)(stop - q));
            lua_rawseti(L, -2, i);
            if (!cr) break;
            q = cr + 1;
        }
        return 1;
    }
    default:
        break;
    }
    lua_pushlstring(L, p, len);
    return 1;
}

/* Finds name in the cache, adding it when there is room. Returns its entry
 * or -1 (pushed uncached then). Only adding a new name allocates. */
static long cache_find(lua_State *L, name_cache *c, int cidx, const char *name, size_t len)
{
    for (size_t k = 0, i = c->next; k < c->n; k++, i++) {
        if (i >= c->n) i = 0;
        if (c->e[i].len == len && memcmp(c->e[i].ptr, name, len) == 0) {
            c->next = i + 1;
            return (long)i;
        }
    }
    if (c->n == MAX_NAMES) return -1;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        void *e = realloc(c->e, cap * sizeof *c->e);
        if (!e) return -1;
        c->e = e;
        c->cap = cap;
    }
    /* Lua first: if it raises, no C copy is left behind. */
    lua_pushlstring(L, name, len);
    lua_rawseti(L, cidx, (lua_Integer)c->n + 1);
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, name, len);
    copy[len] = '\0';
    c->e[c->n].ptr = copy;
    c->e[c->n].len = len;
    c->e[c->n].gen = 0;
    c->next = c->n + 1;
    return (long)c->n++;
}

/* Pushes a name, from the cache when it can; returns its entry or -1. */
static long push_name(lua_State *L, name_cache *c, int cidx, const char *name, size_t len)
{
    long i = cache_find(L, c, cidx, name, len);
    if (i < 0)
        lua_pushlstring(L, name, len);
    else
        lua_rawgeti(L, cidx, i + 1);
    return i;
}

static void free_cache(lua_State *L, name_cache *c)
{
    luaL_unref(L, LUA_REGISTRYINDEX, c->ref);
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].ptr);
    free(c->e);
}

/* __newindex of row tables: a script added a key, so the table cannot be
 * reused as is. The flag lives in a userdata, not in the impex_script, so a
 * row a script kept after impex_script_free never writes to freed memory. */
static int row_newindex(lua_State *L)
{
    int *dirty = lua_touserdata(L, lua_upvalueindex(1));
    *dirty = 1;
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

/* Pushes the row table. The last row's table is reused (no allocation, no
 * garbage): this row's values are set and the names only the last row had
 * are cleared. A fresh table replaces it when a script added keys to it (its
 * __newindex marks it dirty) or a name could not be tracked. */
static void push_row(lua_State *L, impex_script *s)
{
    name_cache *c = &s->row_names;
    uint64_t gen = ++s->gen;
    int reuse = !*s->dirty, tracked = 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ref);
    int cidx = lua_gettop(L);
    *s->dirty = 1; /* until this push completes */
    if (reuse) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->row_ref);
    } else {
        lua_createtable(L, 0, s->n > INT_MAX ? INT_MAX : (int)s->n);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->row_mt_ref);
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_rawseti(L, LUA_REGISTRYINDEX, s->row_ref); /* replaces the value behind the ref */
        s->nset = 0;
    }
    s->nnow = 0;
    for (size_t i = 0; i < s->n; i++) {
        const impex_value *v = &s->vals[i];
        if (v->type == IMPEX_V_NULL || v->len == 0) continue; /* empty: absent */
        long e = push_name(L, c, cidx, v->name, v->name_len);
        if (e >= 0 && s->nnow < MAX_NAMES) {
            c->e[e].gen = gen;
            s->set_now[s->nnow++] = (size_t)e;
        } else {
            tracked = 0; /* this key could not be cleared next time */
        }
        push_value(L, v->type, v->ptr, v->len);
        lua_rawset(L, -3);
    }
    for (size_t k = 0; k < s->nset; k++) {
        size_t e = s->set[k];
        if (c->e[e].gen == gen) continue;
        lua_rawgeti(L, cidx, (lua_Integer)e + 1);
        lua_pushnil(L);
        lua_rawset(L, -3);
    }
    size_t *t = s->set;
    s->set = s->set_now;
    s->set_now = t;
    s->nset = s->nnow;
    *s->dirty = !tracked;
    lua_remove(L, cidx);
}

/* Pushes a stored record (store/codec.h) as a row table, walking it with
 * the codec's iterator (no allocation per call). */
static int push_record(lua_State *L, impex_script *s, impex_slice rec)
{
    impex_codec_iter it;
    impex_value v;
    int more;
    if (impex_codec_iter_init(&it, s->dict, s->key, rec, NULL)) return -1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->rec_names.ref);
    int cidx = lua_gettop(L);
    lua_createtable(L, 0, 16);
    while ((more = impex_codec_next(&it, &v, NULL)) == 1) {
        if (v.type == IMPEX_V_NULL || !v.len) continue;
        push_name(L, &s->rec_names, cidx, v.name, v.name_len);
        push_value(L, v.type, v.ptr, v.len);
        lua_rawset(L, -3);
    }
    lua_remove(L, cidx);
    return more;
}

/* --- Lua values -> record ----------------------------------------------- */

/* Whether text is a valid bool, date or datetime. */
static int text_is(impex_vtype type, const char *p, size_t len)
{
    switch (type) {
    case IMPEX_V_BOOL:
        return (len == 4 && memcmp(p, "true", 4) == 0) || (len == 5 && memcmp(p, "false", 5) == 0);
    case IMPEX_V_DATE:
        return impex_schema_is_date(p, len);
    case IMPEX_V_DATETIME:
        return impex_schema_is_datetime(p, len);
    default:
        return 0;
    }
}

/* Text for a declared int or decimal field, normalised as the rules do for
 * input ("+007.50" -> "7.50", ".5" -> "0.5"), into s->text. Returns 1 when
 * done (s->rc tells a memory failure), 0 when the text is no such number. */
static int put_number_text(impex_script *s, impex_vtype type, const char *str, size_t len,
                           out_ent *e)
{
    impex_number n;
    if (impex_schema_number_parse(type, str, len, &n)) return 0;
    size_t need = impex_schema_number_len(&n);
    e->off = s->text.len;
    e->v.type = type;
    int rc = impex_buf_reserve(&s->text, need + 1);
    if (rc) {
        s->rc = impex_err_set(s->err, IMPEX_ENOMEM, "out of memory");
        return 1;
    }
    impex_schema_number_write(&n, s->text.ptr + s->text.len);
    s->text.len += need;
    s->text.ptr[s->text.len] = '\0';
    e->v.len = need;
    return 1;
}

/* Shortest text that reads back as x ("%.17g" cut to the fewest significant
 * digits that round-trip), without an exponent unless the magnitude is
 * extreme, so 1.5 -> "1.5", 3.0 -> "3", 0.1 + 0.2 -> "0.30000000000000004". */
static int put_double(impex_buf *b, double x)
{
    if (x == 0) return impex_buf_putc(b, '0'); /* also -0 */
    char e[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, x);
        if (strtod(e, NULL) == x) break;
    }
    const char *p = e;
    char dig[24];
    int nd = 0;
    if (*p == '-') p++;
    for (; *p != 'e'; p++)
        if (*p != '.') dig[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    int rc = x < 0 ? impex_buf_putc(b, '-') : IMPEX_OK;
    if (exp < -7 || exp >= 21) {
        rc = rc ? rc : impex_buf_putc(b, dig[0]);
        if (nd > 1) rc = rc ? rc : impex_buf_printf(b, ".%.*s", nd - 1, dig + 1);
        return rc ? rc : impex_buf_printf(b, "e%+d", exp);
    }
    if (exp < 0) {
        rc = rc ? rc : impex_buf_puts(b, "0.");
        for (int i = 1; i < -exp && !rc; i++)
            rc = impex_buf_putc(b, '0');
        return rc ? rc : impex_buf_append(b, dig, (size_t)nd);
    }
    if (exp + 1 >= nd) {
        rc = rc ? rc : impex_buf_append(b, dig, (size_t)nd);
        for (int i = nd; i <= exp && !rc; i++)
            rc = impex_buf_putc(b, '0');
        return rc;
    }
    return rc ? rc : impex_buf_printf(b, "%.*s.%.*s", exp + 1, dig, nd - exp - 1, dig + exp + 1);
}

static int put_number(impex_script *s, lua_State *L, const impex_field_rule *rule, out_ent *e)
{
    const char *name = e->v.name;
    int rc;
    e->off = s->text.len;
    if (lua_isinteger(L, -1)) {
        e->v.type = rule && rule->type == IMPEX_V_DECIMAL ? IMPEX_V_DECIMAL : IMPEX_V_INT;
        rc = impex_buf_printf(&s->text, "%lld", (long long)lua_tointeger(L, -1));
    } else {
        double x = lua_tonumber(L, -1);
        if (!isfinite(x))
            return reject(s, "%s: map: field '%s': %g cannot be stored", s->d->path, name, x);
        if (rule && rule->type == IMPEX_V_INT) {
            /* An integral float (3.0) is fine for an int field; 3.5 is not. */
            if (!(x >= -9.2e18 && x <= 9.2e18) || x != (double)(long long)x)
                return reject(s, "%s: map: field '%s': %.17g is not an integer", s->d->path, name,
                              x);
            e->v.type = IMPEX_V_INT;
            rc = impex_buf_printf(&s->text, "%lld", (long long)x);
        } else {
            e->v.type = IMPEX_V_DECIMAL;
            rc = put_double(&s->text, x);
        }
    }
    e->v.len = s->text.len - e->off;
    return rc ? (s->rc = impex_err_set(s->err, IMPEX_ENOMEM, "out of memory")) : IMPEX_OK;
}

/* An array of strings becomes a LIST joined by CR. */
static int put_list(impex_script *s, lua_State *L, out_ent *e)
{
    const char *name = e->v.name;
    int t = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, t), count = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_Integer k = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;
        if (k < 1 || k > n || lua_type(L, -1) != LUA_TSTRING)
            return reject(s, "%s: map: field '%s': a table must be a list of strings", s->d->path,
                          name);
        lua_pop(L, 1);
        count++;
    }
    if (count != n)
        return reject(s, "%s: map: field '%s': a table must be a list of strings", s->d->path,
                      name);
    e->off = s->text.len;
    e->v.type = IMPEX_V_LIST;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, t, i);
        size_t len;
        const char *p = lua_tolstring(L, -1, &len);
        if (memchr(p, '\r', len) || impex_utf8_check(p, len) != len)
            return reject(s, "%s: map: field '%s': element %lld is not valid UTF-8 text without CR",
                          s->d->path, name, (long long)i);
        if ((i > 1 && impex_buf_putc(&s->text, '\r')) || impex_buf_append(&s->text, p, len))
            return s->rc = impex_err_set(s->err, IMPEX_ENOMEM, "out of memory");
        lua_pop(L, 1);
    }
    e->v.len = s->text.len - e->off;
    return IMPEX_OK;
}

/* Converts the value on top of the stack into e. */
static int put_value(impex_script *s, lua_State *L, const impex_field_rule *rule, out_ent *e)
{
    e->off = NO_OFF;
    switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN:
        e->v.type = IMPEX_V_BOOL;
        e->v.ptr = lua_toboolean(L, -1) ? "true" : "false";
        e->v.len = strlen(e->v.ptr);
        return IMPEX_OK;
    case LUA_TNUMBER:
        return put_number(s, L, rule, e);
    case LUA_TSTRING:
        e->v.ptr = lua_tolstring(L, -1, &e->v.len);
        if (impex_utf8_check(e->v.ptr, e->v.len) != e->v.len)
            return reject(s, "%s: map: field '%s': value is not valid UTF-8", s->d->path,
                          e->v.name);
        /* A string that is a valid value of the declared type keeps that type. */
        e->v.type = IMPEX_V_STRING;
        if (rule && rule->multi)
            e->v.type = IMPEX_V_LIST;
        else if (rule && (rule->type == IMPEX_V_INT || rule->type == IMPEX_V_DECIMAL))
            return put_number_text(s, rule->type, e->v.ptr, e->v.len, e) ? s->rc : IMPEX_OK;
        else if (rule && text_is(rule->type, e->v.ptr, e->v.len))
            e->v.type = rule->type;
        return IMPEX_OK;
    case LUA_TTABLE:
        return put_list(s, L, e);
    default:
        return reject(s, "%s: map: field '%s': cannot store a %s value", s->d->path, e->v.name,
                      luaL_typename(L, -1));
    }
}

static int cmp_ent(const void *a, const void *b)
{
    const impex_value *x = &((const out_ent *)a)->v, *y = &((const out_ent *)b)->v;
    int c = memcmp(x->name, y->name, x->name_len < y->name_len ? x->name_len : y->name_len);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* Encodes the table at t (map's result) onto s->out: the descriptor's fields
 * in descriptor order, then the other keys by name. */
static int encode_result(impex_script *s, lua_State *L, int t, int names)
{
    const impex_descriptor *d = s->d;
    size_t nf = d->nfields, k = nf;
    for (size_t i = 0; i < nf; i++)
        s->ents[i].v.name = NULL;
    impex_buf_reset(&s->text);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return reject(s, "%s: map: result has a %s key (field names must be strings)", d->path,
                          luaL_typename(L, -2));
        size_t klen;
        const char *key = lua_tolstring(L, -2, &klen);
        lua_pushvalue(L, -2);
        lua_Integer idx = lua_rawget(L, names) == LUA_TNUMBER ? lua_tointeger(L, -1) : 0;
        lua_pop(L, 1);
        const impex_field_rule *rule = NULL;
        out_ent *e;
        if (idx >= 1 && (size_t)idx <= nf) {
            rule = &d->fields[idx - 1];
            e = &s->ents[idx - 1];
        } else {
            if (impex_utf8_check(key, klen) != klen || klen == 0)
                return reject(s, "%s: map: result has a field name that is not valid UTF-8",
                              d->path);
            if (grow(s, k + 1)) return s->rc = impex_err_set(s->err, IMPEX_ENOMEM, "out of memory");
            e = &s->ents[k++];
        }
        e->v.name = key;
        e->v.name_len = klen;
        if (put_value(s, L, rule, e)) return s->rc;
        lua_pop(L, 1);
    }
    size_t n = 0;
    if (k > nf) qsort(s->ents + nf, k - nf, sizeof *s->ents, cmp_ent);
    for (size_t i = 0; i < k; i++) {
        out_ent *e = &s->ents[i];
        if (!e->v.name) continue; /* a descriptor field map left out */
        s->outv[n] = e->v;
        if (e->off != NO_OFF) s->outv[n].ptr = s->text.ptr + e->off;
        n++;
    }
    size_t mark = s->out->len;
    for (size_t i = 0; i < n; i++)
        s->outv[i].id = 0; /* by name: the writer numbers them */
    if (impex_codec_encode(NULL, s->outv, n, (impex_slice){0}, s->out)) {
        s->out->len = mark; /* leave no half record behind */
        if (s->out->ptr) s->out->ptr[mark] = '\0';
        return s->rc = impex_err_set(s->err, IMPEX_ENOMEM, "out of memory");
    }
    return IMPEX_OK;
}

/* --- protected trampolines ---------------------------------------------- */

/* Everything that touches the Lua API per row runs inside one protected call,
 * so a memory error there becomes a rejection instead of a panic. */
static int validate_tramp(lua_State *L)
{
    impex_script *s = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->validate_ref);
    push_row(L, s);
    lua_call(L, 1, LUA_MULTRET);
    int nres = lua_gettop(L) - 1;
    if (nres > 0 && !lua_toboolean(L, 2))
        reject_with(s, L, nres >= 2 ? 3 : 0, "rejected by validate");
    return 0;
}

static int map_tramp(lua_State *L)
{
    impex_script *s = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->map_ref);
    push_row(L, s);
    if (!s->existing) {
        lua_pushnil(L);
    } else if (push_record(L, s, *s->existing)) {
        s->rc = impex_err_set(s->err, IMPEX_EFORMAT, "%s: map: the stored record is corrupt",
                              s->d->path);
        return 0;
    }
    lua_call(L, 2, LUA_MULTRET);
    int nres = lua_gettop(L) - 1;
    if (nres == 0 || !lua_toboolean(L, 2)) {
        reject_with(s, L, nres >= 2 ? 3 : 0, "rejected by map");
        return 0;
    }
    if (lua_type(L, 2) != LUA_TTABLE) {
        reject(s, "%s: map must return a table or nil (got %s)", s->d->path, luaL_typename(L, 2));
        return 0;
    }
    luaL_checkstack(L, 8, NULL);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->names_ref);
    encode_result(s, L, 2, lua_gettop(L));
    return 0;
}

/* (script, descriptor table): keeps refs to the functions and builds the
 * field name -> index table used to order map's result. */
static int bind_tramp(lua_State *L)
{
    impex_script *s = lua_touserdata(L, 1);
    const impex_descriptor *d = s->d;
    static const char *const fn[] = {"validate", "map"};
    int *refs[] = {&s->validate_ref, &s->map_ref};
    int has[] = {d->has_validate, d->has_map};
    if (lua_type(L, 2) != LUA_TTABLE) {
        s->rc = impex_err_set(s->err, IMPEX_EDESC, "%s: must return a table", d->path);
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        if (!has[i]) continue;
        lua_pushstring(L, fn[i]);
        if (lua_rawget(L, 2) != LUA_TFUNCTION) {
            s->rc = impex_err_set(s->err, IMPEX_EDESC, "%s: %s is no longer a function", d->path,
                                  fn[i]);
            return 0;
        }
        *refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_createtable(L, 0, (int)d->nfields);
    for (size_t i = 0; i < d->nfields; i++) {
        lua_pushinteger(L, (lua_Integer)i + 1);
        lua_setfield(L, -2, d->fields[i].name);
    }
    s->names_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, (int)d->nfields, 0);
    s->row_names.ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, (int)d->nfields, 0);
    s->rec_names.ref = luaL_ref(L, LUA_REGISTRYINDEX);

    s->dirty = lua_newuserdatauv(L, sizeof *s->dirty, 0);
    *s->dirty = 1; /* no row table yet */
    lua_createtable(L, 0, 3);
    lua_insert(L, -2);
    lua_pushcclosure(L, row_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0); /* scripts may not swap the metatable (and drop the guard) */
    lua_setfield(L, -2, "__metatable");
    lua_pushboolean(L, 1); /* makes the sandbox's rawset go through __newindex */
    lua_setfield(L, -2, "__impex_guard");
    s->row_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0); /* placeholder until the first row */
    s->row_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* Pushes tramp and s, runs them protected; a script failure is a rejection. */
static int run(impex_script *s, lua_CFunction tramp, impex_err *err)
{
    lua_State *L = impex_lua_state(s->X);
    if (!lua_checkstack(L, 4)) return impex_err_set(err, IMPEX_ENOMEM, "Lua stack overflow");
    s->err = err;
    s->rc = IMPEX_OK;
    lua_pushcfunction(L, tramp);
    lua_pushlightuserdata(L, s);
    int rc = impex_lua_pcall(s->X, 1, 0, err);
    if (rc == IMPEX_ESCRIPT) {
        /* The message reads "script:line: ...", except when the hard memory
         * cap hit before the hook saw any line: then at least name the file. */
        if (err && strcmp(err->msg, "memory limit exceeded") == 0)
            impex_err_set(err, IMPEX_EREJECT, "%s: memory limit exceeded", s->d->path);
        if (err) err->code = IMPEX_EREJECT;
        return IMPEX_EREJECT;
    }
    return rc ? rc : s->rc;
}

/* --- public ------------------------------------------------------------- */

int impex_script_bind(impex_lua *L, const impex_descriptor *d, impex_script **out, impex_err *err)
{
    *out = NULL;
    int rc;
    impex_script *s = calloc(1, sizeof *s);
    if (!s) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    s->X = L;
    s->d = d;
    s->validate_ref = s->map_ref = s->names_ref = LUA_NOREF;
    s->row_names.ref = s->rec_names.ref = s->row_ref = s->row_mt_ref = LUA_NOREF;
    s->set = malloc(MAX_NAMES * sizeof *s->set);
    s->set_now = malloc(MAX_NAMES * sizeof *s->set_now);
    if (!s->set || !s->set_now || grow(s, d->nfields + 16)) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto cleanup;
    }
    if ((rc = impex_lua_dofile(L, d->path, err))) goto cleanup;
    lua_State *S = impex_lua_state(L);
    lua_pushcfunction(S, bind_tramp);
    lua_insert(S, -2);
    lua_pushlightuserdata(S, s);
    lua_insert(S, -2);
    s->err = err;
    rc = impex_lua_pcall(L, 2, 0, err);
    if (!rc) rc = s->rc;
cleanup:
    if (rc) {
        impex_script_free(s);
        return rc;
    }
    *out = s;
    return IMPEX_OK;
}

void impex_script_free(impex_script *s)
{
    if (!s) return;
    lua_State *L = impex_lua_state(s->X);
    luaL_unref(L, LUA_REGISTRYINDEX, s->validate_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, s->map_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, s->names_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, s->row_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, s->row_mt_ref);
    free_cache(L, &s->row_names);
    free_cache(L, &s->rec_names);
    free(s->set);
    free(s->set_now);
    free(s->ents);
    free(s->outv);
    impex_buf_free(&s->text);
    free(s);
}

int impex_script_validate(impex_script *s, const impex_value *vals, size_t n, impex_err *err)
{
    if (!s->d->has_validate) return IMPEX_OK;
    s->vals = vals;
    s->n = n;
    return run(s, validate_tramp, err);
}

int impex_script_map(impex_script *s, const impex_value *vals, size_t n,
                     const impex_slice *existing, const impex_dict *dict, impex_slice key,
                     impex_buf *out, impex_err *err)
{
    if (!s->d->has_map) return impex_err_set(err, IMPEX_EUSAGE, "%s has no map", s->d->path);
    s->vals = vals;
    s->n = n;
    s->existing = existing;
    s->dict = dict;
    s->key = key;
    s->out = out;
    return run(s, map_tramp, err);
}
