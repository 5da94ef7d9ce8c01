#include "store/codec.h"
#include "store/dict.h"

#include <stdlib.h>
#include <string.h>

#define TAG_META 0
#define TAG_STRING 1
#define TAG_INT 2
#define TAG_DECIMAL 3
#define TAG_BOOL 4
#define TAG_TEXT 5
#define TAG_REF 6   /* x = k << 4 | source << 3 | type */
#define REF_KEY 0   /* source: the record's key part k */
#define REF_VALUE 1 /* source: value k of the resource's value dictionary */
#define TAG_LIST 7
#define MAX_KEY_PARTS 16
#define MAX_DIGITS 18 /* a decimal's digits that fit an int64 whatever they are */
#define ENTRY_ROOM 32 /* bytes of an entry besides its name and value, at most */

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static int64_t unzigzag(uint64_t z)
{
    return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static char *put_head(char *p, uint64_t x, int tag)
{
    return impex_put_varint(p, x << 3 | (uint64_t)tag);
}

/* The digits of an int or decimal in canonical text ("-?(0|[1-9]d*)(.d+)?",
 * not "-0…"): the unscaled value and scale. 0 when the text has no such
 * exact binary form. */
static int number_binary(impex_vtype type, const char *p, size_t n, int64_t *val, unsigned *scale)
{
    size_t i = n && p[0] == '-', start = i, digits = 0;
    uint64_t u = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9') {
        u = u * 10 + (uint64_t)(p[i++] - '0');
        digits++;
    }
    if (digits == 0 || (digits > 1 && p[start] == '0')) return 0;
    *scale = 0;
    if (i < n && p[i] == '.' && type == IMPEX_V_DECIMAL) {
        size_t f = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            u = u * 10 + (uint64_t)(p[i++] - '0');
            digits++;
        }
        if (i == f) return 0;
        *scale = (unsigned)(i - f);
    }
    if (i != n || digits > MAX_DIGITS || (start && u == 0)) return 0;
    *val = start ? -(int64_t)u : (int64_t)u;
    return 1;
}

/* The text of unscaled value v with scale digits after the point. */
static size_t number_text(int64_t v, unsigned scale, char *out)
{
    char d[24];
    size_t nd = 0, o = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        d[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (nd < scale + 1)
        d[nd++] = '0';
    if (v < 0) out[o++] = '-';
    while (nd) {
        if (nd == scale) out[o++] = '.';
        out[o++] = d[--nd];
    }
    return o;
}

typedef struct key_parts {
    impex_slice part[MAX_KEY_PARTS];
    size_t n;
} key_parts;

static void split_key(impex_slice key, key_parts *k)
{
    k->n = 0;
    if (!key.len) return;
    const char *p = key.ptr, *end = key.ptr + key.len;
    while (k->n < MAX_KEY_PARTS) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        k->part[k->n++] = (impex_slice){p, (size_t)((nul ? nul : end) - p)};
        if (!nul) break;
        p = nul + 1;
    }
}

static char *put_ref(char *p, uint64_t k, int source, impex_vtype type)
{
    return put_head(p, k << 4 | (uint64_t)source << 3 | (uint64_t)type, TAG_REF);
}

static char *put_value(char *p, const impex_dict *dict, const impex_value *v, const key_parts *k)
{
    for (size_t i = 0; v->len && v->type != IMPEX_V_NULL && i < k->n; i++)
        if (k->part[i].len == v->len && !memcmp(k->part[i].ptr, v->ptr, v->len))
            return put_ref(p, i, REF_KEY, v->type);
    if (v->type == IMPEX_V_STRING || v->type == IMPEX_V_LIST) {
        uint32_t id = impex_dict_value_id(dict, v->ptr, v->len);
        if (id) return put_ref(p, id, REF_VALUE, v->type);
    }
    int64_t num;
    unsigned scale;
    switch (v->type) {
    case IMPEX_V_NULL:
        return put_head(p, 0, TAG_META);
    case IMPEX_V_STRING:
    case IMPEX_V_LIST:
        p = put_head(p, v->len, v->type == IMPEX_V_LIST ? TAG_LIST : TAG_STRING);
        memcpy(p, v->ptr, v->len);
        return p + v->len;
    case IMPEX_V_INT:
        if (number_binary(v->type, v->ptr, v->len, &num, &scale))
            return put_head(p, zigzag(num), TAG_INT);
        break;
    case IMPEX_V_DECIMAL:
        if (number_binary(v->type, v->ptr, v->len, &num, &scale))
            return impex_put_varint(put_head(p, scale, TAG_DECIMAL), zigzag(num));
        break;
    case IMPEX_V_BOOL:
        if (v->len == 4 && !memcmp(v->ptr, "true", 4)) return put_head(p, 1, TAG_BOOL);
        if (v->len == 5 && !memcmp(v->ptr, "false", 5)) return put_head(p, 0, TAG_BOOL);
        break;
    default:
        break;
    }
    p = put_head(p, v->len, TAG_TEXT);
    *p++ = (char)v->type;
    memcpy(p, v->ptr, v->len);
    return p + v->len;
}

static int by_id(const void *a, const void *b)
{
    const impex_value *x = *(const impex_value *const *)a, *y = *(const impex_value *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Hot path of every import: values come in id order from the parser, so the
 * order check passes and one reservation covers the whole record. */
int impex_codec_encode(const impex_dict *dict, const impex_value *vals, size_t n, impex_slice key,
                       impex_buf *out)
{
    const impex_value *stack[64], **ord = stack;
    size_t need = 1, numbered = 0;
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        need += vals[i].name_len + vals[i].len + ENTRY_ROOM;
        if (!vals[i].id) continue;
        if (numbered && vals[i].id <= vals[i - 1].id) sorted = 0;
        if (i != numbered) sorted = 0; /* a named value before a numbered one */
        numbered++;
    }
    if (!sorted) {
        if (n > 64 && !(ord = malloc(n * sizeof *ord))) return IMPEX_ENOMEM;
        numbered = 0;
        for (size_t i = 0; i < n; i++)
            if (vals[i].id) ord[numbered++] = &vals[i];
        qsort(ord, numbered, sizeof *ord, by_id);
        for (size_t i = 0, k = numbered; i < n; i++)
            if (!vals[i].id) ord[k++] = &vals[i];
    }
    /* The key may sit in out itself (a batch holds the key, then its record):
     * find it again after the reservation moved the buffer. */
    uintptr_t kp = (uintptr_t)key.ptr, op = (uintptr_t)out->ptr;
    size_t koff = out->ptr && kp >= op && kp < op + out->len ? (size_t)(kp - op) : SIZE_MAX;
    if (impex_buf_reserve(out, need)) {
        if (ord != stack) free(ord);
        return IMPEX_ENOMEM;
    }
    if (koff != SIZE_MAX) key.ptr = out->ptr + koff;
    key_parts k;
    split_key(key, &k);
    char *p = out->ptr + out->len;
    *p++ = IMPEX_CODEC_VERSION;
    uint64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        const impex_value *v = sorted ? &vals[i] : ord[i];
        if (i < numbered && v->id > last) { /* a repeated number goes by name */
            if (v->id > last + 1) p = put_head(p, (uint64_t)(v->id - last - 1) << 1, TAG_META);
            last = v->id;
        } else {
            p = put_head(p, (uint64_t)v->name_len << 1 | 1, TAG_META);
            memcpy(p, v->name, v->name_len);
            p += v->name_len;
        }
        p = put_value(p, dict, v, &k);
    }
    if (ord != stack) free(ord);
    out->len = (size_t)(p - out->ptr);
    out->ptr[out->len] = '\0';
    return IMPEX_OK;
}

int impex_codec_iter_init(impex_codec_iter *it, const impex_dict *dict, impex_slice key,
                          impex_slice rec, impex_err *err)
{
    memset(it, 0, sizeof *it);
    it->dict = dict;
    it->key = key;
    it->p = rec.ptr;
    it->end = rec.ptr + rec.len;
    it->version = rec.len ? (unsigned char)rec.ptr[0] : -1;
    if (it->version == IMPEX_CODEC_V1) {
        it->p++;
        if (rec.len < 2 || impex_get_varint(&it->p, it->end, &it->left) || it->left > rec.len)
            return impex_err_set(err, IMPEX_EFORMAT, "record: corrupt field count");
        return IMPEX_OK;
    }
    if (it->version != IMPEX_CODEC_VERSION)
        return impex_err_set(err, IMPEX_EFORMAT, "record: unknown codec version %d", it->version);
    it->p++;
    return IMPEX_OK;
}

static int corrupt(impex_err *err, const char *why)
{
    return impex_err_set(err, IMPEX_EFORMAT, "record: corrupt encoding (%s)", why);
}

static int next_v1(impex_codec_iter *it, impex_value *v, impex_err *err)
{
    const char *end = it->end;
    uint64_t len;
    if (!it->left) return it->p == end ? 0 : corrupt(err, "bytes after the last field");
    it->left--;
    if (impex_get_varint(&it->p, end, &len) || len > (uint64_t)(end - it->p))
        return corrupt(err, "field name");
    v->name = it->p;
    v->name_len = (size_t)len;
    it->p += len;
    if (it->p >= end || (unsigned char)*it->p > IMPEX_V_LIST) return corrupt(err, "type");
    v->type = (impex_vtype)*it->p++;
    if (impex_get_varint(&it->p, end, &len) || len > (uint64_t)(end - it->p))
        return corrupt(err, "value length");
    v->ptr = v->type == IMPEX_V_NULL ? "" : it->p; /* a NULL has no value */
    v->len = v->type == IMPEX_V_NULL ? 0 : (size_t)len;
    it->p += len;
    v->id = impex_dict_id(it->dict, v->name, v->name_len);
    return 1;
}

/* Bytes of length x at the iterator into v. */
static int take(impex_codec_iter *it, uint64_t x, impex_value *v, impex_err *err)
{
    if (x > (uint64_t)(it->end - it->p)) return corrupt(err, "value length");
    v->ptr = it->p;
    v->len = (size_t)x;
    it->p += x;
    return IMPEX_OK;
}

/* The value of an entry with head h (not a skip or a name). */
static int read_value(impex_codec_iter *it, uint64_t h, impex_value *v, impex_err *err)
{
    uint64_t x = h >> 3, u;
    key_parts k;
    switch (h & 7) {
    case TAG_META: /* only NULL gets here */
        v->type = IMPEX_V_NULL;
        v->ptr = "";
        v->len = 0;
        return IMPEX_OK;
    case TAG_STRING:
    case TAG_LIST:
        v->type = (h & 7) == TAG_LIST ? IMPEX_V_LIST : IMPEX_V_STRING;
        return take(it, x, v, err);
    case TAG_INT:
        v->type = IMPEX_V_INT;
        v->ptr = it->num;
        v->len = number_text(unzigzag(x), 0, it->num);
        return IMPEX_OK;
    case TAG_DECIMAL:
        if (x > MAX_DIGITS || impex_get_varint(&it->p, it->end, &u)) return corrupt(err, "decimal");
        v->type = IMPEX_V_DECIMAL;
        v->ptr = it->num;
        v->len = number_text(unzigzag(u), (unsigned)x, it->num);
        return IMPEX_OK;
    case TAG_BOOL:
        if (x > 1) return corrupt(err, "boolean");
        v->type = IMPEX_V_BOOL;
        v->ptr = x ? "true" : "false";
        v->len = x ? 4 : 5;
        return IMPEX_OK;
    case TAG_TEXT:
        if (it->p >= it->end || (unsigned char)*it->p == 0 || (unsigned char)*it->p > IMPEX_V_LIST)
            return corrupt(err, "type");
        v->type = (impex_vtype)*it->p++;
        return take(it, x, v, err);
    default: /* TAG_REF */
        if ((x & 7) == 0 || (x & 7) > IMPEX_V_LIST) return corrupt(err, "reference type");
        v->type = (impex_vtype)(x & 7);
        if ((x >> 3 & 1) == REF_VALUE) {
            impex_slice val;
            if (!impex_dict_value(it->dict, x >> 4, &val))
                return impex_err_set(err, IMPEX_EFORMAT,
                                     "record: value number %llu is not in the resource's value "
                                     "dictionary",
                                     (unsigned long long)(x >> 4));
            v->ptr = val.ptr;
            v->len = val.len;
            return IMPEX_OK;
        }
        split_key(it->key, &k);
        if ((x >> 4) >= k.n) return corrupt(err, "key reference");
        v->ptr = k.part[x >> 4].ptr;
        v->len = k.part[x >> 4].len;
        return IMPEX_OK;
    }
}

int impex_codec_next(impex_codec_iter *it, impex_value *v, impex_err *err)
{
    if (it->version == IMPEX_CODEC_V1) return next_v1(it, v, err);
    uint64_t h;
    for (int skipped = 0;; skipped = 1) {
        if (it->p == it->end) return skipped ? corrupt(err, "a skip at the end") : 0;
        if (impex_get_varint(&it->p, it->end, &h)) return corrupt(err, "entry head");
        if ((h & 7) != TAG_META || h == 0) break;
        uint64_t x = h >> 3;
        if (x & 1) { /* a field by name: the name, then its own entry */
            if (x >> 1 > (uint64_t)(it->end - it->p)) return corrupt(err, "field name");
            v->name = it->p;
            v->name_len = (size_t)(x >> 1);
            v->id = 0;
            it->p += x >> 1;
            if (impex_get_varint(&it->p, it->end, &h) || ((h & 7) == TAG_META && h))
                return corrupt(err, "named field");
            it->named = 1;
            int rc = read_value(it, h, v, err);
            return rc ? rc : 1;
        }
        if (it->named) return corrupt(err, "a skip after a named field");
        if (x >> 1 > UINT32_MAX - it->id) return corrupt(err, "field number");
        it->id += x >> 1;
    }
    if (it->named) return corrupt(err, "a numbered field after a named one");
    it->id++;
    if (it->id > UINT32_MAX) return corrupt(err, "field number");
    impex_slice name;
    if (!impex_dict_name(it->dict, it->id, &name))
        return impex_err_set(err, IMPEX_EFORMAT,
                             "record: field number %llu is not in the resource's field dictionary "
                             "(%zu names)",
                             (unsigned long long)it->id, impex_dict_size(it->dict));
    v->name = name.ptr;
    v->name_len = name.len;
    v->id = (uint32_t)it->id;
    int rc = read_value(it, h, v, err);
    return rc ? rc : 1;
}

int impex_codec_decode(const impex_dict *dict, impex_slice key, impex_slice rec, impex_value **vals,
                       size_t *n, impex_err *err)
{
    impex_codec_iter it;
    impex_value v;
    size_t count = 0, text = 0;
    *vals = NULL;
    *n = 0;
    int rc = impex_codec_iter_init(&it, dict, key, rec, err);
    while (!rc && (rc = impex_codec_next(&it, &v, err)) == 1) {
        rc = 0;
        count++;
        if (v.ptr == it.num) text += v.len;
    }
    if (rc) return rc;
    impex_value *out = malloc(count * sizeof *out + text + 1);
    if (!out) return impex_err_set(err, IMPEX_ENOMEM, "record: out of memory");
    char *tail = (char *)(out + count);
    impex_codec_iter_init(&it, dict, key, rec, err);
    for (size_t i = 0; i < count; i++) {
        impex_codec_next(&it, &out[i], err);
        if (out[i].ptr == it.num) {
            memcpy(tail, it.num, out[i].len);
            out[i].ptr = tail;
            tail += out[i].len;
        }
    }
    *vals = out;
    *n = count;
    return IMPEX_OK;
}

int impex_codec_overlay(const impex_dict *dict, impex_slice key, impex_slice existing,
                        impex_slice update, impex_buf *out, impex_err *err)
{
    impex_value *old = NULL, *upd = NULL, *res = NULL;
    char *used = NULL;
    size_t nold = 0, nupd = 0, n = 0;
    int rc = impex_codec_decode(dict, key, existing, &old, &nold, err);
    if (!rc) rc = impex_codec_decode(dict, key, update, &upd, &nupd, err);
    if (!rc && (!(res = malloc((nold + nupd + 1) * sizeof *res)) || !(used = calloc(nupd + 1, 1))))
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (rc) goto done;
    for (size_t i = 0; i < nold; i++) {
        int cleared = 0; /* a NULL in the update removes the stored field */
        res[n] = old[i];
        for (size_t k = 0; k < nupd; k++) {
            const impex_value *u = &upd[k];
            int same = u->id && old[i].id ? u->id == old[i].id
                                          : u->name_len == old[i].name_len &&
                                                !memcmp(u->name, old[i].name, u->name_len);
            if (!used[k] && same) {
                res[n] = *u;
                cleared = u->type == IMPEX_V_NULL;
                used[k] = 1;
                break;
            }
        }
        n += !cleared;
    }
    for (size_t k = 0; k < nupd; k++)
        if (!used[k] && upd[k].type != IMPEX_V_NULL) res[n++] = upd[k];
    impex_buf_reset(out);
    if (impex_codec_encode(dict, res, n, key, out))
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
done:
    free(used);
    free(old);
    free(upd);
    free(res);
    return rc;
}

static int put_list_json(impex_buf *out, const char *s, size_t len)
{
    if (impex_buf_putc(out, '[')) return IMPEX_ENOMEM;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '\r') continue;
        if (start && impex_buf_putc(out, ',')) return IMPEX_ENOMEM;
        if (impex_buf_put_json_string(out, s + start, i - start)) return IMPEX_ENOMEM;
        start = i + 1;
    }
    return impex_buf_putc(out, ']');
}

/* A bool is true/false; an int or decimal is JSON's number grammar, which
 * the rules' normalised form and map's numbers always meet. */
static int json_literal(impex_vtype t, const char *p, size_t n)
{
    if (t == IMPEX_V_BOOL)
        return (n == 4 && !memcmp(p, "true", 4)) || (n == 5 && !memcmp(p, "false", 5));
    size_t i = n && p[0] == '-';
    size_t digits = i;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    if (i == digits || (i - digits > 1 && p[digits] == '0')) return 0;
    if (i < n && p[i] == '.') {
        size_t f = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == f) return 0;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) { /* map may store 1e+21 */
        i += i + 1 < n && (p[i + 1] == '+' || p[i + 1] == '-') ? 2 : 1;
        size_t x = i;
        int e = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && e < 1000)
            e = e * 10 + (p[i++] - '0');
        if (i == x || e > 300) return 0; /* a double's range: what map can store */
    }
    return i == n;
}

int impex_codec_to_json(const impex_dict *dict, impex_slice key, impex_slice rec, impex_buf *out,
                        impex_err *err)
{
    impex_codec_iter it;
    impex_value v;
    int rc = impex_codec_iter_init(&it, dict, key, rec, err), more, first = 1;
    if (rc) return rc;
    if (impex_buf_putc(out, '{')) goto nomem;
    while ((more = impex_codec_next(&it, &v, err)) == 1) {
        if (memchr(v.name, '\0', v.name_len)) /* descriptors' names never hold one */
            return impex_err_set(err, IMPEX_EFORMAT, "record is damaged: a field name holds a NUL");
        if ((!first && impex_buf_putc(out, ',')) ||
            impex_buf_put_json_string(out, v.name, v.name_len) || impex_buf_putc(out, ':'))
            goto nomem;
        first = 0;
        switch (v.type) {
        case IMPEX_V_NULL:
            rc = impex_buf_puts(out, "null");
            break;
        case IMPEX_V_INT:
        case IMPEX_V_DECIMAL:
        case IMPEX_V_BOOL:
            /* Written as bare JSON: only if the bytes are what the rules store. */
            if (!json_literal(v.type, v.ptr, v.len))
                return impex_err_set(err, IMPEX_EFORMAT,
                                     "record is damaged: field %.*s holds '%.*s', not a %s",
                                     (int)(v.name_len > 64 ? 64 : v.name_len), v.name,
                                     (int)(v.len > 64 ? 64 : v.len), v.ptr,
                                     v.type == IMPEX_V_BOOL ? "boolean" : "number");
            rc = impex_buf_append(out, v.ptr, v.len);
            break;
        case IMPEX_V_LIST:
            rc = put_list_json(out, v.ptr, v.len);
            break;
        default:
            rc = impex_buf_put_json_string(out, v.ptr, v.len);
        }
        if (rc) goto nomem;
    }
    if (more) return more;
    if (impex_buf_putc(out, '}')) goto nomem;
    return IMPEX_OK;
nomem:
    return impex_err_set(err, IMPEX_ENOMEM, "record: out of memory");
}

impex_slice impex_key_part(impex_slice key, size_t k)
{
    key_parts kp;
    split_key(key, &kp);
    return k < kp.n ? kp.part[k] : (impex_slice){key.ptr + key.len, 0};
}

int impex_key_encode(const impex_slice *parts, size_t n, impex_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (i && impex_buf_putc(out, '\0')) return IMPEX_ENOMEM;
        if (impex_buf_append(out, parts[i].ptr, parts[i].len)) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}

/* Text form: parts joined by '/'; a '/' or '\' inside a part is escaped with '\'. */
int impex_key_to_text(impex_slice key, impex_buf *out)
{
    for (size_t i = 0; i < key.len; i++) {
        char c = key.ptr[i];
        int rc;
        if (c == '\0')
            rc = impex_buf_putc(out, '/');
        else if (c == '/' || c == '\\')
            rc = impex_buf_putc(out, '\\') || impex_buf_putc(out, c);
        else
            rc = impex_buf_putc(out, c);
        if (rc) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}

int impex_key_from_text(const char *text, impex_buf *out)
{
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (c == '\\' && p[1])
            c = *++p;
        else if (c == '/')
            c = '\0';
        if (impex_buf_putc(out, c)) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}
