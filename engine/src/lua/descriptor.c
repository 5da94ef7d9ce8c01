#include "lua/descriptor.h"
#include "io/transcode.h"

#include <lauxlib.h>

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_BATCH 100000
#define MAX_DEPTH 32 /* folder depth searched for groups */

static const char *const desc_keys[] = {
    "name",
    "resource",
    "format",
    "entry",
    "key",
    "operation",
    "batch_size",
    "on_error",
    "max_errors",
    "allow_extra_columns",
    "fields",
    "validate",
    "map",
    "operations",
    "refs",
    "operation_column",
    "empty",
    "sentinel",
    "delimiter",
    "quote",
    "encoding",
    "record",
    "namespaces",
    "accumulate",
    "delete_omitted",
    "context",
    "context_required",
    NULL,
};

static const char *const ref_keys[] = {"resource", "fields", "name", NULL};
#define MAX_REF_FIELDS 16 /* key parts of a target, as for a key */

static const char *const rule_keys[] = {
    "name", "required", "type",  "pattern", "min",  "max",
    "enum", "maxlen",   "multi", "escape",  "path", NULL,
};

static const char *const group_keys[] = {"description", "steps", "requires", "max_upload", NULL};

static const struct {
    const char *name;
    impex_vtype type;
} type_names[] = {
    {"string", IMPEX_V_STRING}, {"int", IMPEX_V_INT},   {"decimal", IMPEX_V_DECIMAL},
    {"bool", IMPEX_V_BOOL},     {"date", IMPEX_V_DATE}, {"datetime", IMPEX_V_DATETIME},
};

static const char *const op_names[] = {"upsert", "insert", "update", "delete", NULL};
static const char *const strategy_names[] = {"skip", "strict", NULL};

/* Parsing runs inside a protected Lua call (API calls may raise on memory
 * errors); a bad descriptor is reported through the context instead. */
typedef struct parse_ctx {
    const char *relpath;
    impex_err *err;
    int rc;
    impex_descriptor *d;
    impex_group *g;
    const char *root;
    impex_scriptset *set; /* steps are checked in it when the state has one */
} parse_ctx;

static int parse_group(lua_State *L, parse_ctx *c);
static int parse_refs(lua_State *L, parse_ctx *c, int idx);
static int parse_requires(lua_State *L, parse_ctx *c);
static int get_multi(lua_State *L, parse_ctx *c, int idx, const char *where, impex_field_rule *r);

/* --- small helpers ------------------------------------------------------ */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31) return SIZE_MAX;
    size_t row[32];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Reports the first key of the table at idx that is not in known (plus [1]
 * when allow_one). Typos fail loudly, with a suggestion when one is close. */
static int check_keys(lua_State *L, parse_ctx *c, int idx, const char *const *known, int allow_one,
                      const char *where)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -1);
            const char *close = NULL;
            size_t best = 3;
            int ok = 0;
            for (size_t i = 0; known[i] && !ok; i++) {
                if (strcmp(k, known[i]) == 0) ok = 1;
                size_t dist = edit_distance(k, known[i]);
                if (dist < best) {
                    best = dist;
                    close = known[i];
                }
            }
            if (!ok) {
                c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: %sunknown key '%s'%s%s%s",
                                      c->relpath, where, k, close ? " (did you mean '" : "",
                                      close ? close : "", close ? "'?)" : "");
                lua_pop(L, 1);
                return c->rc;
            }
        } else if (!(allow_one && lua_isinteger(L, -1) && lua_tointeger(L, -1) == 1)) {
            c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: %sunexpected %s key", c->relpath, where,
                                  luaL_typename(L, -1));
            lua_pop(L, 1);
            return c->rc;
        }
    }
    return IMPEX_OK;
}

static int bad(parse_ctx *c, const char *where, const char *key, const char *what)
{
    c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: %s'%s' %s", c->relpath, where, key, what);
    return c->rc;
}

/* Whether an ERE applies a repetition to a repetition ("a++", "x*{2}"),
 * outside bracket expressions and escapes: POSIX leaves it undefined and
 * glibc compiles it in exponential time. */
static int stacked_repetition(const char *p)
{
    int prev_rep = 0;
    for (; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            prev_rep = 0;
        } else if (*p == '[') {
            p++;
            if (*p == '^') p++;
            if (*p == ']') p++;
            while (*p && *p != ']')
                p++;
            if (!*p) return 0; /* regcomp reports the unbalanced bracket */
            prev_rep = 0;
        } else if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
            if (prev_rep) return 1;
            if (*p == '{')
                while (p[1] && *p != '}')
                    p++;
            prev_rep = 1;
        } else {
            prev_rep = 0;
        }
    }
    return 0;
}

static int oom(parse_ctx *c)
{
    c->rc = impex_err_set(c->err, IMPEX_ENOMEM, "%s: out of memory", c->relpath);
    return c->rc;
}

/* Pushes t[key] (raw: a metatable must not run code here) and returns its type. */
static int rawfield(lua_State *L, int idx, const char *key)
{
    lua_pushstring(L, key);
    return lua_rawget(L, idx);
}

/* Optional string field: *out stays NULL when absent. */
static int get_string(lua_State *L, parse_ctx *c, int idx, const char *key, const char *where,
                      char **out)
{
    int t = rawfield(L, idx, key);
    int rc = IMPEX_OK;
    if (t == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (len == 0 || strlen(s) != len)
            rc = bad(c, where, key, "must be a non-empty string without NUL bytes");
        else if (!(*out = strdup(s)))
            rc = oom(c);
    } else if (t != LUA_TNIL) {
        rc = bad(c, where, key, "must be a string");
    }
    lua_pop(L, 1);
    return rc;
}

static int get_bool(lua_State *L, parse_ctx *c, int idx, const char *key, const char *where,
                    int *out)
{
    int t = rawfield(L, idx, key);
    int rc = IMPEX_OK;
    if (t == LUA_TBOOLEAN)
        *out = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        rc = bad(c, where, key, "must be true or false");
    lua_pop(L, 1);
    return rc;
}

/* Optional integer field in [lo, hi]; *out keeps its default when absent. */
static int get_int(lua_State *L, parse_ctx *c, int idx, const char *key, const char *where,
                   lua_Integer lo, lua_Integer hi, lua_Integer *out)
{
    int t = rawfield(L, idx, key);
    int rc = IMPEX_OK;
    if (t != LUA_TNIL) {
        int isint;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (t != LUA_TNUMBER || !isint || v < lo || v > hi) {
            char what[96];
            snprintf(what, sizeof what, "must be an integer from %lld to %lld", (long long)lo,
                     (long long)hi);
            rc = bad(c, where, key, what);
        } else {
            *out = v;
        }
    }
    lua_pop(L, 1);
    return rc;
}

/* Optional string field that must be one of names; *out is the index. */
static int get_choice(lua_State *L, parse_ctx *c, int idx, const char *key,
                      const char *const *names, int *out)
{
    int t = rawfield(L, idx, key);
    int rc = IMPEX_OK;
    if (t != LUA_TNIL) {
        const char *s = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int found = -1;
        for (int i = 0; s && names[i]; i++)
            if (strcmp(s, names[i]) == 0) found = i;
        if (found < 0) {
            char what[128] = "must be one of";
            for (int i = 0; names[i]; i++)
                snprintf(what + strlen(what), sizeof what - strlen(what), "%s\"%s\"",
                         i ? ", " : " ", names[i]);
            rc = bad(c, "", key, what);
        } else {
            *out = found;
        }
    }
    lua_pop(L, 1);
    return rc;
}

/* "operations": a list of operation names; each sets its bit in *mask. */
static int get_ops(lua_State *L, parse_ctx *c, int idx, unsigned *mask)
{
    int t = rawfield(L, idx, "operations");
    int rc = IMPEX_OK;
    if (t == LUA_TTABLE) {
        unsigned m = 0;
        size_t n = (size_t)lua_rawlen(L, -1);
        for (size_t i = 1; i <= n && !rc; i++) {
            lua_rawgeti(L, -1, (lua_Integer)i);
            int op = lua_type(L, -1) == LUA_TSTRING ? impex_op_parse(lua_tostring(L, -1)) : -1;
            lua_pop(L, 1);
            if (op < 0)
                rc = bad(c, "", "operations",
                         "must list \"upsert\", \"insert\", \"update\" or \"delete\"");
            else
                m |= 1u << op;
        }
        if (!rc && !n) rc = bad(c, "", "operations", "must not be empty");
        if (!rc) *mask = m;
    } else if (t != LUA_TNIL) {
        rc = bad(c, "", "operations", "must be a list of operation names");
    }
    lua_pop(L, 1);
    return rc;
}

int impex_descriptor_is_key(const impex_descriptor *d, size_t i)
{
    for (size_t k = 0; k < d->nkey; k++)
        if (d->key[k] == i) return 1;
    return 0;
}

const char *impex_op_name(impex_op op)
{
    return (unsigned)op < 4 ? op_names[op] : "?";
}

int impex_op_parse(const char *name)
{
    for (int i = 0; name && op_names[i]; i++)
        if (!strcmp(name, op_names[i])) return i;
    return -1;
}

/* Length of the array at idx when it is a proper sequence 1..n (n >= 1) of
 * values of type `type`; 0 otherwise. */
static size_t sequence_of(lua_State *L, int idx, int type)
{
    size_t n = (size_t)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int ok = lua_type(L, -1) == type && lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 &&
                 (size_t)lua_tointeger(L, -2) <= n;
        lua_pop(L, 1);
        if (!ok) {
            lua_pop(L, 1);
            return 0;
        }
        count++;
    }
    return count == n ? n : 0;
}

/* --- descriptors -------------------------------------------------------- */

static int parse_rule(lua_State *L, parse_ctx *c, int idx, size_t i, impex_field_rule *r)
{
    char where[64];
    snprintf(where, sizeof where, "fields[%zu]: ", i + 1);
    if (lua_type(L, idx) == LUA_TSTRING) { /* shorthand: just the name */
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len == 0 || strlen(s) != len)
            return bad(c, where, "name", "must be a non-empty string");
        if (!(r->name = strdup(s))) return oom(c);
        r->type = IMPEX_V_STRING;
        return IMPEX_OK;
    }
    if (lua_type(L, idx) != LUA_TTABLE) {
        c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: fields[%zu] must be a table or a string",
                              c->relpath, i + 1);
        return c->rc;
    }
    if (check_keys(L, c, idx, rule_keys, 1, where)) return c->rc;

    int t1 = lua_rawgeti(L, idx, 1);
    lua_pop(L, 1);
    int tn = rawfield(L, idx, "name");
    lua_pop(L, 1);
    if (t1 != LUA_TNIL && tn != LUA_TNIL)
        return bad(c, where, "name", "is given twice ([1] and name)");
    if (t1 != LUA_TNIL) {
        /* {"Name", ...}: the positional form of name = "Name". */
        lua_rawgeti(L, idx, 1);
        if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0) {
            lua_pop(L, 1);
            return bad(c, where, "name", "must be a non-empty string");
        }
        r->name = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (!r->name) return oom(c);
    } else if (get_string(L, c, idx, "name", where, &r->name)) {
        return c->rc;
    }
    if (!r->name) {
        c->rc =
            impex_err_set(c->err, IMPEX_EDESC, "%s: fields[%zu] has no name", c->relpath, i + 1);
        return c->rc;
    }
    /* From here on errors name the field. */
    snprintf(where, sizeof where, "field '%.40s': ", r->name);

    r->type = IMPEX_V_STRING;
    if (rawfield(L, idx, "type") != LUA_TNIL) {
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
        int found = 0;
        for (size_t k = 0; k < sizeof type_names / sizeof type_names[0]; k++) {
            if (strcmp(s, type_names[k].name) == 0) {
                r->type = type_names[k].type;
                found = 1;
            }
        }
        lua_pop(L, 1);
        if (!found)
            return bad(c, where, "type",
                       "must be one of \"string\", \"int\", \"decimal\", \"bool\", \"date\", "
                       "\"datetime\"");
    } else {
        lua_pop(L, 1);
    }
    if (get_bool(L, c, idx, "required", where, &r->required)) return c->rc;
    if (get_multi(L, c, idx, where, r)) return c->rc;

    if (get_string(L, c, idx, "pattern", where, &r->pattern_src)) return c->rc;
    if (r->pattern_src && stacked_repetition(r->pattern_src)) {
        c->rc = impex_err_set(c->err, IMPEX_EDESC,
                              "%s: %s'pattern' repeats a repetition ('%s'): glibc's regcomp takes "
                              "exponential time on such patterns; write one operator",
                              c->relpath, where, r->pattern_src);
        return c->rc;
    }
    if (r->pattern_src) {
        size_t n = strlen(r->pattern_src) + 5;
        char *anchored = malloc(n);
        if (!anchored) return oom(c);
        snprintf(anchored, n, "^(%s)$", r->pattern_src);
        int e = regcomp(&r->pattern, anchored, REG_EXTENDED | REG_NOSUB);
        free(anchored);
        if (e == REG_ESPACE) return oom(c); /* the machine's fault, not the pattern's */
        if (e) {
            char msg[128];
            regerror(e, &r->pattern, msg, sizeof msg);
            c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: %s'pattern' is not a valid regex: %s",
                                  c->relpath, where, msg);
            return c->rc;
        }
        r->has_pattern = 1;
        r->has_simple = impex_pattern_compile(r->pattern_src, &r->simple);
    }

    static const char *const bounds[] = {"min", "max"};
    for (int k = 0; k < 2; k++) {
        int t = rawfield(L, idx, bounds[k]);
        if (t != LUA_TNIL) {
            double v = lua_tonumber(L, -1);
            lua_pop(L, 1);
            if (t != LUA_TNUMBER || v != v) return bad(c, where, bounds[k], "must be a number");
            if (r->type != IMPEX_V_INT && r->type != IMPEX_V_DECIMAL)
                return bad(c, where, bounds[k], "only applies to int and decimal fields");
            if (k == 0) {
                r->has_min = 1;
                r->min = v;
            } else {
                r->has_max = 1;
                r->max = v;
            }
        } else {
            lua_pop(L, 1);
        }
    }
    if (r->has_min && r->has_max && r->min > r->max) return bad(c, where, "min", "is above max");

    lua_Integer maxlen = 0;
    if (get_int(L, c, idx, "maxlen", where, 0, LUA_MAXINTEGER, &maxlen)) return c->rc;
    r->maxlen = (size_t)maxlen;

    int t = rawfield(L, idx, "enum");
    if (t != LUA_TNIL) {
        int e = lua_gettop(L);
        size_t n = t == LUA_TTABLE ? sequence_of(L, e, LUA_TSTRING) : 0;
        if (n == 0) {
            lua_pop(L, 1);
            return bad(c, where, "enum", "must be a non-empty list of strings");
        }
        if (!(r->enums = calloc(n, sizeof *r->enums))) return oom(c);
        for (size_t k = 0; k < n; k++) {
            lua_rawgeti(L, e, (lua_Integer)k + 1);
            r->enums[k] = strdup(lua_tostring(L, -1));
            lua_pop(L, 1);
            if (!r->enums[k]) return oom(c);
            r->nenums++;
        }
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

static int parse_fields(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    int t = rawfield(L, idx, "fields");
    int f = lua_gettop(L);
    size_t n = 0;
    if (t == LUA_TTABLE) {
        size_t len = (size_t)lua_rawlen(L, f);
        /* Any key outside 1..#fields (a hash entry, a hole) is a mistake. */
        lua_pushnil(L);
        while (lua_next(L, f)) {
            lua_pop(L, 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
                (size_t)lua_tointeger(L, -1) > len) {
                lua_pop(L, 1);
                return bad(c, "", "fields", "must be a list of field rules");
            }
            n++;
        }
        if (n != len) return bad(c, "", "fields", "must be a list of field rules");
    } else if (t != LUA_TNIL) {
        return bad(c, "", "fields", "must be a list of field rules");
    }
    if (n == 0) return bad(c, "", "fields", "must list at least one field");
    if (!(d->fields = calloc(n, sizeof *d->fields))) return oom(c);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, f, (lua_Integer)i + 1);
        d->nfields = i + 1; /* so free() sees the partly built rule */
        if (parse_rule(L, c, lua_gettop(L), i, &d->fields[i])) return c->rc;
        lua_pop(L, 1);
        const char *nm = d->fields[i].name;
        if (impex_descriptor_field(d, nm, strlen(nm)) != (int)i) {
            c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: field '%s' is listed twice", c->relpath,
                                  nm);
            return c->rc;
        }
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

static int parse_key(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    int t = rawfield(L, idx, "key");
    int k = lua_gettop(L);
    size_t n = 0;
    if (t == LUA_TSTRING)
        n = 1;
    else if (t == LUA_TTABLE)
        n = sequence_of(L, k, LUA_TSTRING);
    else if (t == LUA_TNIL)
        return bad(c, "", "key", "is missing (a field name or a list of them)");
    if (n == 0) return bad(c, "", "key", "must be a field name or a non-empty list of them");
    if (!(d->key = calloc(n, sizeof *d->key))) return oom(c);
    for (size_t i = 0; i < n; i++) {
        if (t == LUA_TTABLE)
            lua_rawgeti(L, k, (lua_Integer)i + 1);
        else
            lua_pushvalue(L, k);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        int f = impex_descriptor_field(d, s, len);
        if (f < 0) {
            c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: key '%s' is not one of the fields",
                                  c->relpath, s);
            return c->rc;
        }
        lua_pop(L, 1);
        for (size_t j = 0; j < i; j++) {
            if (d->key[j] == (size_t)f) {
                c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: key names '%s' twice", c->relpath,
                                      d->fields[f].name);
                return c->rc;
            }
        }
        d->key[i] = (size_t)f;
        d->nkey = i + 1;
        d->fields[f].required = 1; /* a key part can never be empty */
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

/* multi = true (CR-separated) or multi = "<separator>", with escape = "<one
 * character>" allowed only beside a separator. */
static int get_multi(lua_State *L, parse_ctx *c, int idx, const char *where, impex_field_rule *r)
{
    int t = rawfield(L, idx, "multi");
    lua_pop(L, 1);
    if (t == LUA_TSTRING) {
        if (get_string(L, c, idx, "multi", where, &r->multi_sep)) return c->rc;
        if (strchr(r->multi_sep, '\r'))
            return bad(c, where, "multi",
                       "must not hold a carriage return (lists are stored CR-joined)");
        r->multi = 1;
    } else if (t != LUA_TNIL && t != LUA_TBOOLEAN) {
        return bad(c, where, "multi", "must be true or a separator string");
    } else if (get_bool(L, c, idx, "multi", where, &r->multi)) {
        return c->rc;
    }
    t = rawfield(L, idx, "escape");
    size_t len = 0;
    const char *e = t == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    char ch = e && len == 1 ? e[0] : 0;
    lua_pop(L, 1);
    if (t == LUA_TNIL) return IMPEX_OK;
    if (!r->multi_sep) return bad(c, where, "escape", "needs multi = \"<separator>\"");
    if (!ch || ch == '\r' || ch == r->multi_sep[0])
        return bad(c, where, "escape",
                   "must be one character, not a carriage return nor the separator's first");
    r->escape = ch;
    return IMPEX_OK;
}

/* delimiter, quote and encoding: the CSV dialect (see io/transcode.h). */
static int parse_dialect(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    char *delim = NULL, *quote = NULL, *enc = NULL;
    d->delimiter = ',';
    d->quote = '"';
    d->encoding = IMPEX_ENC_UTF8;
    int rc = get_string(L, c, idx, "delimiter", "", &delim);
    if (!rc) rc = get_string(L, c, idx, "quote", "", &quote);
    if (!rc) rc = get_string(L, c, idx, "encoding", "", &enc);
    if (!rc && delim) {
        if (strlen(delim) != 1 || !strchr(",;\t|", delim[0]))
            rc = bad(c, "", "delimiter", "must be one of \",\", \";\", \"\\t\", \"|\"");
        else
            d->delimiter = delim[0];
    }
    if (!rc && quote) {
        if (strlen(quote) != 1 || quote[0] == '\r' || quote[0] == '\n' || quote[0] == d->delimiter)
            rc = bad(c, "", "quote", "must be one character, not a line end nor the delimiter");
        else
            d->quote = quote[0];
    }
    if (!rc && enc) {
        int e = impex_encoding_parse(enc);
        if (e < 0)
            rc = bad(c, "", "encoding",
                     "must be one of \"utf-8\", \"utf-16le\", \"utf-16be\", \"utf-16\", "
                     "\"windows-1252\", \"iso-8859-1\"");
        else
            d->encoding = e;
    }
    free(delim);
    free(quote);
    free(enc);
    return rc;
}

/* One entry of refs (the table at idx): resource, fields, optional name. */
static int parse_ref(lua_State *L, parse_ctx *c, int idx, size_t i, impex_ref *ref)
{
    char where[64];
    snprintf(where, sizeof where, "refs[%zu]: ", i + 1);
    if (lua_type(L, idx) != LUA_TTABLE) return bad(c, "", "refs", "must be a list of tables");
    if (check_keys(L, c, idx, ref_keys, 0, where)) return c->rc;
    if (get_string(L, c, idx, "resource", where, &ref->resource)) return c->rc;
    if (!ref->resource) return bad(c, where, "resource", "is missing");
    if (get_string(L, c, idx, "name", where, &ref->name)) return c->rc;
    if (!ref->name && !(ref->name = strdup(ref->resource))) return oom(c);
    int t = rawfield(L, idx, "fields");
    int f = lua_gettop(L);
    size_t n = t == LUA_TTABLE ? sequence_of(L, f, LUA_TSTRING) : 0;
    if (n == 0 || n > MAX_REF_FIELDS)
        return bad(c, where, "fields", "must be a list of 1 to 16 field names");
    if (!(ref->fields = calloc(n, sizeof *ref->fields))) return oom(c);
    for (size_t k = 0; k < n; k++) {
        lua_rawgeti(L, f, (lua_Integer)k + 1);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        int fi = impex_descriptor_field(c->d, s, len);
        if (fi < 0) {
            c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: %sfield '%s' is not one of the fields",
                                  c->relpath, where, s);
            return c->rc;
        }
        lua_pop(L, 1);
        ref->fields[k] = (size_t)fi;
        ref->nfields = k + 1;
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

static int parse_refs(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    int t = rawfield(L, idx, "refs");
    int r = lua_gettop(L);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return IMPEX_OK;
    }
    size_t n = t == LUA_TTABLE ? sequence_of(L, r, LUA_TTABLE) : 0;
    if (n == 0)
        return bad(c, "", "refs", "must be a non-empty list of { resource = ..., fields = ... }");
    if (!(d->refs = calloc(n, sizeof *d->refs))) return oom(c);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, r, (lua_Integer)i + 1);
        d->nrefs = i + 1; /* so free() sees the partly built ref */
        if (parse_ref(L, c, lua_gettop(L), i, &d->refs[i])) return c->rc;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

static int get_function(lua_State *L, parse_ctx *c, int idx, const char *key, int *has)
{
    int t = rawfield(L, idx, key);
    lua_pop(L, 1);
    if (t != LUA_TNIL && t != LUA_TFUNCTION) return bad(c, "", key, "must be a function");
    *has = t == LUA_TFUNCTION;
    return IMPEX_OK;
}

/* operation_column, empty and sentinel: how a row chooses its operation and
 * clears a stored field. */
static int parse_request_keys(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    static const char *const empty_names[] = {"keep", "clear", NULL};
    int empty = 0;
    if (get_string(L, c, idx, "operation_column", "", &d->op_column)) return c->rc;
    if (d->op_column && impex_descriptor_field(d, d->op_column, strlen(d->op_column)) >= 0)
        return bad(c, "", "operation_column", "must not name one of the fields");
    if (get_choice(L, c, idx, "empty", empty_names, &empty)) return c->rc;
    d->empty_clears = empty == 1;
    if (get_string(L, c, idx, "sentinel", "", &d->sentinel)) return c->rc;
    if (!d->sentinel && !(d->sentinel = strdup(IMPEX_DEFAULT_SENTINEL))) return oom(c);
    d->sentinel_len = strlen(d->sentinel);
    return c->rc;
}

/* --- format "xml": record, namespaces, field paths ---------------------- */

static int parse_namespaces(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    int t = rawfield(L, idx, "namespaces");
    int ns = lua_gettop(L);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return IMPEX_OK;
    }
    if (t != LUA_TTABLE) return bad(c, "", "namespaces", "must be a table of prefix = \"uri\"");
    lua_pushnil(L);
    while (lua_next(L, ns)) {
        size_t plen, ulen;
        const char *pre = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &plen) : NULL;
        const char *uri = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &ulen) : NULL;
        int ok = pre && uri && ulen && strlen(pre) == plen && strlen(uri) == ulen &&
                 strcspn(pre, "/[]@=:'\" \t\r\n()*") == plen;
        if (!ok) {
            lua_pop(L, 2);
            return bad(c, "", "namespaces",
                       "must map prefixes (names without ':') to non-empty URIs");
        }
        impex_xml_ns *n = realloc(d->ns, (d->nns + 1) * sizeof *n);
        if (!n) return oom(c);
        d->ns = n;
        d->ns[d->nns].prefix = strdup(pre);
        d->ns[d->nns].uri = strdup(uri);
        d->nns++;
        if (!d->ns[d->nns - 1].prefix || !d->ns[d->nns - 1].uri) return oom(c);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

static int check_path(parse_ctx *c, const char *where, const char *path, int is_record)
{
    impex_err e2;
    impex_err_clear(&e2);
    int rc = impex_xml_path_check(path, is_record, c->d->ns, c->d->nns, &e2);
    if (rc == IMPEX_ENOMEM) return oom(c);
    if (rc) c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: %s%s", c->relpath, where, e2.msg);
    return rc ? c->rc : IMPEX_OK;
}

/* record and namespaces (format xml only), then each field's path. */
static int parse_xml(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    int xml = !strcmp(d->format, "xml");
    if (get_string(L, c, idx, "record", "", &d->record)) return c->rc;
    if (parse_namespaces(L, c, idx)) return c->rc;
    if (!xml && (d->record || d->ns))
        return bad(c, "", d->record ? "record" : "namespaces", "only applies to format = \"xml\"");
    if (xml && !d->record)
        return bad(c, "", "record", "is missing (the path of the record element)");
    if (xml && check_path(c, "record: ", d->record, 1)) return c->rc;
    if (!(d->paths = calloc(d->nfields + 1, sizeof *d->paths))) return oom(c);
    rawfield(L, idx, "fields");
    int f = lua_gettop(L);
    for (size_t i = 0; i < d->nfields; i++) {
        lua_rawgeti(L, f, (lua_Integer)i + 1);
        int t = LUA_TNIL;
        if (lua_type(L, -1) == LUA_TTABLE)
            t = rawfield(L, lua_gettop(L), "path");
        else
            lua_pushnil(L); /* the shorthand "Name": no path */
        char where[64];
        snprintf(where, sizeof where, "field '%.40s': ", d->fields[i].name);
        if (t != LUA_TNIL && !xml) return bad(c, where, "path", "only applies to format = \"xml\"");
        if (t != LUA_TNIL) {
            size_t len;
            const char *p = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
            if (!p || !len || strlen(p) != len)
                return bad(c, where, "path", "must be a non-empty string");
            if (!(d->paths[i] = strdup(p))) return oom(c);
            if (check_path(c, where, p, 0)) return c->rc;
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

/* "context": which field carries which part of the catalog context. */
static int parse_context(lua_State *L, parse_ctx *c, int idx)
{
    impex_descriptor *d = c->d;
    for (size_t i = 0; i < IMPEX_CONTEXT_PARTS; i++)
        d->context[i] = -1;
    int t = rawfield(L, idx, "context");
    int tab = lua_gettop(L);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return d->context_required ? bad(c, "", "context_required", "needs a context table")
                                   : IMPEX_OK;
    }
    if (t != LUA_TTABLE) return bad(c, "", "context", "must be a table of part = field name");
    lua_pushnil(L);
    while (lua_next(L, tab)) {
        const char *part = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        int k = impex_context_index(part);
        size_t len = 0;
        const char *field = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        int f = field ? impex_descriptor_field(d, field, len) : -1;
        lua_pop(L, 1);
        if (k < 0) {
            lua_pop(L, 1);
            return bad(c, "context: ", part ? part : "?",
                       "is not one of masterCatalog, catalog, locale, currency, site");
        }
        if (f < 0) {
            lua_pop(L, 1);
            return bad(c, "context: ", part, "must name one of the fields");
        }
        d->context[k] = f;
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

static int parse_descriptor(lua_State *L, parse_ctx *c)
{
    impex_descriptor *d = c->d;
    if (get_string(L, c, 2, "name", "", &d->name)) return c->rc;
    if (!d->name) { /* default: the file's base name without ".lua" */
        const char *b = strrchr(c->relpath, '/');
        b = b ? b + 1 : c->relpath;
        size_t n = strlen(b);
        if (n > 4 && strcmp(b + n - 4, ".lua") == 0) n -= 4;
        if (!(d->name = strndup(b, n))) return oom(c);
    }
    if (get_string(L, c, 2, "resource", "", &d->resource)) return c->rc;
    if (!d->resource) return bad(c, "", "resource", "is missing");
    if (get_string(L, c, 2, "format", "", &d->format)) return c->rc;
    if (!d->format && !(d->format = strdup("csv"))) return oom(c);
    if (strcmp(d->format, "csv") != 0 && strcmp(d->format, "xml") != 0)
        return bad(c, "", "format", "must be \"csv\" or \"xml\"");
    if (get_string(L, c, 2, "entry", "", &d->entry_glob)) return c->rc;
    if (!d->entry_glob) {
        size_t n = strlen(d->resource) + 5;
        if (!(d->entry_glob = malloc(n))) return oom(c);
        snprintf(d->entry_glob, n, "%s.%s", d->resource, d->format);
    }
    int op = IMPEX_OP_UPSERT, strategy = IMPEX_STRATEGY_SKIP;
    if (get_choice(L, c, 2, "operation", op_names, &op)) return c->rc;
    if (get_choice(L, c, 2, "on_error", strategy_names, &strategy)) return c->rc;
    d->op = (impex_op)op;
    d->strategy = (impex_strategy)strategy;
    d->allowed_ops = 1u << op;
    if (get_ops(L, c, 2, &d->allowed_ops)) return c->rc;
    if (!(d->allowed_ops & (1u << op)))
        return bad(c, "", "operations", "must include the descriptor's own operation");
    lua_Integer batch = 500, max_errors = 0;
    if (get_int(L, c, 2, "batch_size", "", 1, MAX_BATCH, &batch)) return c->rc;
    if (get_int(L, c, 2, "max_errors", "", 0, LUA_MAXINTEGER, &max_errors)) return c->rc;
    d->batch_size = (size_t)batch;
    d->max_errors = (uint64_t)max_errors;
    if (get_bool(L, c, 2, "allow_extra_columns", "", &d->allow_extra_columns)) return c->rc;
    if (parse_dialect(L, c, 2)) return c->rc;
    if (parse_fields(L, c, 2)) return c->rc;
    if (parse_key(L, c, 2)) return c->rc;
    if (parse_refs(L, c, 2)) return c->rc;
    if (get_function(L, c, 2, "validate", &d->has_validate)) return c->rc;
    if (get_function(L, c, 2, "map", &d->has_map)) return c->rc;
    if (parse_request_keys(L, c, 2)) return c->rc;
    if (parse_xml(L, c, 2)) return c->rc;
    if (get_bool(L, c, 2, "accumulate", "", &d->accumulate)) return c->rc;
    if (get_bool(L, c, 2, "delete_omitted", "", &d->delete_omitted)) return c->rc;
    if (get_bool(L, c, 2, "context_required", "", &d->context_required)) return c->rc;
    if (parse_context(L, c, 2)) return c->rc;
    return c->rc;
}

/* Entry of the protected call: (ctx, table). Results travel through ctx. */
static int parse_tramp(lua_State *L)
{
    parse_ctx *c = lua_touserdata(L, 1);
    if (lua_type(L, 2) != LUA_TTABLE) {
        impex_err_set(c->err, IMPEX_EDESC, "%s: must return a table (got %s)", c->relpath,
                      luaL_typename(L, 2));
        c->rc = IMPEX_EDESC;
        return 0;
    }
    if (check_keys(L, c, 2, c->g ? group_keys : desc_keys, 0, "")) return 0;
    if (c->g)
        parse_group(L, c);
    else
        parse_descriptor(L, c);
    return 0;
}

/* Runs relpath and converts what it returns with parse_tramp. */
static int load_table(impex_lua *X, parse_ctx *c)
{
    int rc = impex_lua_dofile(X, c->relpath, c->err);
    if (rc) return rc;
    lua_State *L = impex_lua_state(X);
    lua_pushcfunction(L, parse_tramp);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, c);
    lua_insert(L, -2);
    rc = impex_lua_pcall(X, 2, 0, c->err);
    return rc ? rc : c->rc;
}

int impex_descriptor_load(impex_lua *L, const char *relpath, impex_descriptor **out, impex_err *err)
{
    *out = NULL;
    parse_ctx c = {.relpath = relpath, .err = err};
    if (!(c.d = calloc(1, sizeof *c.d)) || !(c.d->path = strdup(relpath))) {
        c.rc = impex_err_set(err, IMPEX_ENOMEM, "%s: out of memory", relpath);
        goto cleanup;
    }
    c.rc = load_table(L, &c);
cleanup:
    if (c.rc) {
        impex_descriptor_free(c.d);
        return c.rc;
    }
    *out = c.d;
    return IMPEX_OK;
}

void impex_descriptor_free(impex_descriptor *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->nfields; i++) {
        impex_field_rule *r = &d->fields[i];
        free(r->name);
        free(r->pattern_src);
        free(r->multi_sep);
        if (r->has_pattern) regfree(&r->pattern);
        for (size_t k = 0; k < r->nenums; k++)
            free(r->enums[k]);
        free(r->enums);
    }
    for (size_t i = 0; d->paths && i < d->nfields; i++)
        free(d->paths[i]);
    free(d->paths);
    for (size_t i = 0; i < d->nns; i++) {
        free((char *)d->ns[i].prefix);
        free((char *)d->ns[i].uri);
    }
    free(d->ns);
    free(d->record);
    free(d->fields);
    for (size_t i = 0; i < d->nrefs; i++) {
        free(d->refs[i].name);
        free(d->refs[i].resource);
        free(d->refs[i].fields);
    }
    free(d->refs);
    free(d->key);
    free(d->name);
    free(d->path);
    free(d->resource);
    free(d->format);
    free(d->entry_glob);
    free(d->op_column);
    free(d->sentinel);
    free(d);
}

int impex_descriptor_field(const impex_descriptor *d, const char *name, size_t len)
{
    for (size_t i = 0; i < d->nfields; i++) {
        const char *f = d->fields[i].name;
        /* By length first: name is not NUL-terminated and may hold a NUL. */
        if (f && strlen(f) == len && !memchr(name, '\0', len) && strncasecmp(f, name, len) == 0)
            return (int)i;
    }
    return -1;
}

int impex_descriptor_matches(const impex_descriptor *d, const char *entry_name)
{
    const char *base = entry_name;
    for (const char *p = entry_name; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1; /* zips made on Windows may use '\\' */
    return fnmatch(d->entry_glob, base, FNM_CASEFOLD) == 0;
}

/* --- groups ------------------------------------------------------------- */

typedef struct group_scan {
    const char *want;      /* "<name>.group.lua" */
    const char *want_path; /* "descriptors/<dir>/<name>.group.lua" for a name with a '/' */
    char *found;           /* relpath of the match */
    int dup;               /* found twice */
    char *dup_path;
    char **names; /* every group seen, for the not-found message */
    size_t nnames, cap;
    int rc;
} group_scan;

static int add_name(group_scan *s, const char *file)
{
    if (s->nnames == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **p = realloc(s->names, cap * sizeof *p);
        if (!p) return IMPEX_ENOMEM;
        s->names = p;
        s->cap = cap;
    }
    char *n = strndup(file, strlen(file) - strlen(".group.lua"));
    if (!n) return IMPEX_ENOMEM;
    s->names[s->nnames++] = n;
    return IMPEX_OK;
}

/* Walks <root>/<rel> (nftw has no context pointer, hence opendir). */
static int scan_dir(const char *root, const char *rel, int depth, group_scan *s)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path) return IMPEX_OK;
    DIR *dir = opendir(path);
    /* Unreadable folders hold no groups we can use; no memory is an error. */
    if (!dir) return errno == ENOMEM ? IMPEX_ENOMEM : IMPEX_OK;
    int rc = IMPEX_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        char child[PATH_MAX];
        if ((size_t)snprintf(child, sizeof child, "%s/%s", rel, e->d_name) >= sizeof child)
            continue;
        int type = e->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            char full[PATH_MAX];
            if ((size_t)snprintf(full, sizeof full, "%s/%s", root, child) >= sizeof full ||
                lstat(full, &st))
                continue;
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        size_t n = strlen(e->d_name);
        if (type == DT_DIR && depth < MAX_DEPTH) {
            rc = scan_dir(root, child, depth + 1, s);
        } else if (type == DT_REG && n > 10 && strcmp(e->d_name + n - 10, ".group.lua") == 0) {
            rc = add_name(s, e->d_name);
            if (!rc &&
                (s->want_path ? !strcmp(child, s->want_path) : !strcmp(e->d_name, s->want))) {
                if (s->found) {
                    s->dup = 1;
                    if (!s->dup_path && !(s->dup_path = strdup(child))) rc = IMPEX_ENOMEM;
                } else if (!(s->found = strdup(child))) {
                    rc = IMPEX_ENOMEM;
                }
            }
        }
    }
    closedir(dir);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int valid_step(const char *s, size_t len)
{
    if (len == 0 || s[0] == '/' || s[len - 1] == '/' || strlen(s) != len) return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\') return 0;
        if (s[i] == '/' && s[i + 1] == '/') return 0;
        if (s[i] == '.' && s[i + 1] == '.') return 0;
    }
    return 1;
}

static const struct {
    const char *name;
    uint64_t mult;
} size_units[] = {
    {"B", 1},      {"KB", 1000},         {"MB", 1000 * 1000},         {"GB", 1000 * 1000 * 1000},
    {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024},
};

/* max_upload: bytes, or "<number>[ ]<unit>" ("5 MB", "1.5GiB"). */
static int parse_max_upload(lua_State *L, parse_ctx *c, int idx)
{
    impex_group *g = c->g;
    static const char *what = "must be a positive number of bytes or a size such as \"5 MB\"";
    int t = rawfield(L, idx, "max_upload");
    int rc = IMPEX_OK;
    if (t == LUA_TNUMBER) {
        int isint;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (!isint || v <= 0)
            rc = bad(c, "", "max_upload", what);
        else
            g->max_upload = (uint64_t)v;
    } else if (t == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        while (*end == ' ')
            end++;
        size_t u = 0, nu = sizeof size_units / sizeof size_units[0];
        while (u < nu && strcasecmp(end, size_units[u].name))
            u++;
        /* strtod takes "inf", "nan", hex: only plain digits are sizes. */
        int plain = s[0] >= '0' && s[0] <= '9' && !strpbrk(s, "xXnN");
        if (!plain || errno || u == nu || !(v > 0) || v * (double)size_units[u].mult >= 1e18) {
            rc = bad(c, "", "max_upload", what);
        } else {
            g->max_upload = (uint64_t)(v * (double)size_units[u].mult);
            if (u > 0)
                snprintf(g->max_upload_unit, sizeof g->max_upload_unit, "%s", size_units[u].name);
            if (!g->max_upload) rc = bad(c, "", "max_upload", what);
        }
    } else if (t != LUA_TNIL) {
        rc = bad(c, "", "max_upload", what);
    }
    lua_pop(L, 1);
    return rc;
}

void impex_size_format(uint64_t bytes, const char *unit, char *out, size_t size)
{
    size_t nu = sizeof size_units / sizeof size_units[0], u = 0;
    if (unit && *unit) {
        while (u < nu && strcmp(unit, size_units[u].name))
            u++;
        if (u == nu) u = 0;
    } else {
        while (u + 1 < 4 && bytes >= size_units[u + 1].mult)
            u++;
    }
    if (u == 0) {
        snprintf(out, size, "%llu bytes", (unsigned long long)bytes);
        return;
    }
    /* One decimal, rounded up so a size over the limit never reads as the
     * limit: 5,000,001 bytes is "5.1 MB" over "5 MB". */
    uint64_t m = size_units[u].mult;
    unsigned long long tenths = bytes / m * 10 + ((bytes % m) * 10 + m - 1) / m;
    if (tenths % 10)
        snprintf(out, size, "%llu.%llu %s", tenths / 10, tenths % 10, size_units[u].name);
    else
        snprintf(out, size, "%llu %s", tenths / 10, size_units[u].name);
}

static int parse_group(lua_State *L, parse_ctx *c)
{
    impex_group *g = c->g;
    if (get_string(L, c, 2, "description", "", &g->description)) return c->rc;
    if (!g->description && !(g->description = strdup(""))) return oom(c);
    int t = rawfield(L, 2, "steps");
    size_t n = t == LUA_TTABLE ? sequence_of(L, 3, LUA_TSTRING) : 0;
    if (n == 0) return bad(c, "", "steps", "must be a non-empty list of descriptor names");
    if (!(g->steps = calloc(n, sizeof *g->steps))) return oom(c);
    /* Steps without '/' are relative to the group's own folder. */
    const char *slash = strrchr(c->relpath, '/');
    int dirlen = (int)(slash - c->relpath);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 3, (lua_Integer)i + 1);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (!valid_step(s, len)) {
            c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: step '%s' is not a valid name",
                                  c->relpath, s);
            return c->rc;
        }
        const char *ext = len > 4 && strcmp(s + len - 4, ".lua") == 0 ? "" : ".lua";
        char rel[PATH_MAX];
        int w = strchr(s, '/') ? snprintf(rel, sizeof rel, "descriptors/%s%s", s, ext)
                               : snprintf(rel, sizeof rel, "%.*s/%s%s", dirlen, c->relpath, s, ext);
        if (w < 0 || (size_t)w >= sizeof rel) return bad(c, "", "steps", "holds a name too long");
        int missing;
        if (c->set) { /* the job's pinned copy decides, not the disk now */
            impex_err e2;
            int got = impex_scriptset_get(c->set, rel, NULL, NULL, NULL, &e2);
            if (got && got != IMPEX_ENOTFOUND) {
                c->rc = impex_err_set(c->err, got, "%s: step '%s': %s", c->relpath, s, e2.msg);
                return c->rc;
            }
            missing = got != IMPEX_OK;
        } else {
            char full[PATH_MAX];
            struct stat st;
            missing = (size_t)snprintf(full, sizeof full, "%s/%s", c->root, rel) >= sizeof full ||
                      stat(full, &st) || !S_ISREG(st.st_mode);
        }
        if (missing) {
            c->rc = impex_err_set(c->err, IMPEX_EDESC, "%s: step '%s': %s does not exist",
                                  c->relpath, s, rel);
            return c->rc;
        }
        lua_pop(L, 1);
        if (!(g->steps[i] = strdup(rel))) return oom(c);
        g->nsteps = i + 1;
    }
    lua_pop(L, 1);
    if (parse_requires(L, c)) return c->rc;
    return parse_max_upload(L, c, 2);
}

/* "requires": steps of the group (named as in steps) whose entry the file
 * must hold; kept as descriptor paths, to compare with the plan's steps. */
static int parse_requires(lua_State *L, parse_ctx *c)
{
    impex_group *g = c->g;
    int t = rawfield(L, 2, "requires");
    int k = lua_gettop(L);
    size_t n = t == LUA_TTABLE ? sequence_of(L, k, LUA_TSTRING) : 0;
    int empty = t == LUA_TNIL;
    if (t == LUA_TTABLE) {
        lua_pushnil(L);
        empty = !lua_next(L, k);
        lua_settop(L, k);
    }
    if (empty) {
        lua_pop(L, 1);
        return IMPEX_OK;
    }
    if (n == 0) return bad(c, "", "requires", "must be a list of step names");
    if (!(g->requires = calloc(n, sizeof *g->requires)) ||
        !(g->requires_names = calloc(n, sizeof *g->requires_names)))
        return oom(c);
    const char *slash = strrchr(c->relpath, '/');
    int dirlen = (int)(slash - c->relpath);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, k, (lua_Integer)i + 1);
        const char *s = lua_tostring(L, -1);
        size_t len = strlen(s);
        const char *ext = len > 4 && strcmp(s + len - 4, ".lua") == 0 ? "" : ".lua";
        char rel[PATH_MAX];
        int w = strchr(s, '/') ? snprintf(rel, sizeof rel, "descriptors/%s%s", s, ext)
                               : snprintf(rel, sizeof rel, "%.*s/%s%s", dirlen, c->relpath, s, ext);
        int found = 0;
        for (size_t j = 0; w > 0 && (size_t)w < sizeof rel && j < g->nsteps; j++)
            found |= !strcmp(rel, g->steps[j]);
        if (!found) {
            c->rc = impex_err_set(c->err, IMPEX_EDESC,
                                  "%s: requires '%s', which is not one of the group's steps",
                                  c->relpath, s);
            return c->rc;
        }
        if (!(g->requires[i] = strdup(rel)) || !(g->requires_names[i] = strdup(s))) {
            free(g->requires[i]);
            g->requires[i] = NULL;
            return oom(c);
        }
        g->nrequires = i + 1;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return IMPEX_OK;
}

int impex_group_load(impex_lua *L, const char *name, impex_group **out, impex_err *err)
{
    *out = NULL;
    group_scan s = {0};
    parse_ctx c = {.err = err, .root = impex_lua_root(L), .set = impex_lua_scriptset(L)};
    impex_buf list = {0};
    char want[NAME_MAX + 1], want_path[PATH_MAX];
    /* "webshop/products-update": the group file at that path below descriptors/. */
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    if (!*name || (base != name && !valid_step(name, strlen(name))) ||
        (size_t)snprintf(want, sizeof want, "%s.group.lua", base) >= sizeof want ||
        (size_t)snprintf(want_path, sizeof want_path, "descriptors/%s.group.lua", name) >=
            sizeof want_path) {
        c.rc = impex_err_set(err, IMPEX_EUSAGE, "invalid group name '%s'", name);
        goto cleanup;
    }
    s.want = want;
    s.want_path = base != name ? want_path : NULL;
    if (scan_dir(c.root, "descriptors", 0, &s)) {
        c.rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto cleanup;
    }
    if (!s.found) {
        if (s.nnames) qsort(s.names, s.nnames, sizeof *s.names, cmp_str); /* names is NULL then */
        for (size_t i = 0; i < s.nnames; i++) {
            if (i && strcmp(s.names[i], s.names[i - 1]) == 0) continue;
            if (impex_buf_puts(&list, list.len ? ", " : "") || impex_buf_puts(&list, s.names[i])) {
                c.rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
                goto cleanup;
            }
        }
        c.rc = impex_err_set(err, IMPEX_ENOTFOUND, "no group '%s' (available: %s)", name,
                             list.len ? list.ptr : "none");
        goto cleanup;
    }
    if (s.dup) {
        c.rc = impex_err_set(err, IMPEX_EDESC, "group '%s' is defined twice: %s and %s", name,
                             s.found, s.dup_path);
        goto cleanup;
    }
    c.relpath = s.found;
    if (!(c.g = calloc(1, sizeof *c.g)) || !(c.g->name = strdup(name))) {
        c.rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        goto cleanup;
    }
    c.g->path = s.found;
    s.found = NULL;
    c.rc = load_table(L, &c);
cleanup:
    for (size_t i = 0; i < s.nnames; i++)
        free(s.names[i]);
    free(s.names);
    free(s.found);
    free(s.dup_path);
    impex_buf_free(&list);
    if (c.rc) {
        impex_group_free(c.g);
        return c.rc;
    }
    *out = c.g;
    return IMPEX_OK;
}

void impex_group_free(impex_group *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->nsteps; i++)
        free(g->steps[i]);
    free(g->steps);
    for (size_t i = 0; i < g->nrequires; i++) {
        free(g->requires[i]);
        free(g->requires_names[i]);
    }
    free(g->requires);
    free(g->requires_names);
    free(g->name);
    free(g->description);
    free(g->path);
    free(g);
}
