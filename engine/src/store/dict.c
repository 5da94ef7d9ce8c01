#include "store/dict.h"
#include "core/hash.h"

#include <stdlib.h>
#include <string.h>

#define DICT_FORMAT 1
#define DICT_MAX_ENTRIES 1000000u /* far above any descriptor: a bound for damaged values */

/* One append-only numbered list of strings. */
typedef struct table {
    impex_buf blob;       /* the stored value: the entries point into it */
    impex_slice *entries; /* entries[i] is number i + 1 */
    size_t n;
    uint32_t *slots; /* open addressing: number, 0 = empty */
    size_t nslots;   /* a power of two, at least twice n */
} table;

struct impex_dict {
    table names, values;
    uint64_t value_lens;     /* bit k: some value is k bytes long (k < 64) */
    uint64_t value_first[4]; /* bit c: some value starts with byte c */
};

static void table_free(table *t)
{
    impex_buf_free(&t->blob);
    free(t->entries);
    free(t->slots);
}

void impex_dict_free(impex_dict *d)
{
    if (!d) return;
    table_free(&d->names);
    table_free(&d->values);
    free(d);
}

static uint32_t table_find(const table *t, const char *s, size_t len)
{
    if (!t->n) return 0;
    for (size_t i = impex_fnv1a64(s, len) & (t->nslots - 1);; i = (i + 1) & (t->nslots - 1)) {
        uint32_t id = t->slots[i];
        if (!id) return 0;
        const impex_slice *e = &t->entries[id - 1];
        if (e->len == len && !memcmp(e->ptr, s, len)) return id;
    }
}

static int table_get(const table *t, uint64_t id, impex_slice *out)
{
    if (id == 0 || id > t->n) return 0;
    *out = t->entries[id - 1];
    return 1;
}

size_t impex_dict_size(const impex_dict *d)
{
    return d ? d->names.n : 0;
}

uint32_t impex_dict_id(const impex_dict *d, const char *name, size_t len)
{
    return d ? table_find(&d->names, name, len) : 0;
}

int impex_dict_name(const impex_dict *d, uint64_t id, impex_slice *name)
{
    return d && table_get(&d->names, id, name);
}

uint32_t impex_dict_value_id(const impex_dict *d, const char *s, size_t len)
{
    if (!d || !len || len >= 64 || !(d->value_lens >> len & 1)) return 0;
    unsigned char c = (unsigned char)s[0];
    if (!(d->value_first[c >> 6] >> (c & 63) & 1)) return 0;
    return table_find(&d->values, s, len);
}

int impex_dict_value(const impex_dict *d, uint64_t id, impex_slice *value)
{
    return d && table_get(&d->values, id, value);
}

/* Indexes the entries of t->blob; what names the list in messages. */
static int build(table *t, const char *what, impex_err *err)
{
    const char *p = t->blob.ptr + 1, *end = t->blob.ptr + t->blob.len;
    size_t n = 0, cap = 0;
    free(t->entries);
    free(t->slots);
    t->entries = NULL;
    t->slots = NULL;
    t->n = 0;
    while (p < end) {
        uint64_t len;
        if (impex_get_varint(&p, end, &len) || len > (uint64_t)(end - p) || n >= DICT_MAX_ENTRIES)
            return impex_err_set(err, IMPEX_EFORMAT, "%s dictionary: corrupt encoding", what);
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            impex_slice *grown = realloc(t->entries, cap * sizeof *grown);
            if (!grown) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
            t->entries = grown;
        }
        t->entries[n++] = (impex_slice){p, (size_t)len};
        p += len;
    }
    size_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    if (!(t->slots = calloc(slots, sizeof *t->slots)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    t->nslots = slots;
    for (size_t id = 1; id <= n; id++) {
        const impex_slice *e = &t->entries[id - 1];
        t->n = id - 1; /* find among the entries before this one */
        if (table_find(t, e->ptr, e->len))
            return impex_err_set(err, IMPEX_EFORMAT, "%s dictionary: '%.*s' twice", what,
                                 (int)(e->len > 64 ? 64 : e->len), e->ptr);
        size_t i = impex_fnv1a64(e->ptr, e->len) & (t->nslots - 1);
        while (t->slots[i])
            i = (i + 1) & (t->nslots - 1);
        t->slots[i] = (uint32_t)id;
    }
    t->n = n;
    return IMPEX_OK;
}

static void index_values(impex_dict *d)
{
    d->value_lens = 0;
    memset(d->value_first, 0, sizeof d->value_first);
    for (size_t i = 0; i < d->values.n; i++) {
        const impex_slice *v = &d->values.entries[i];
        if (!v->len || v->len >= 64) continue; /* never looked up */
        unsigned char c = (unsigned char)v->ptr[0];
        d->value_lens |= 1ull << v->len;
        d->value_first[c >> 6] |= 1ull << (c & 63);
    }
}

static int table_parse(table *t, impex_slice val, const char *what, impex_err *err)
{
    if (val.len == 0) { /* none stored yet */
        if (impex_buf_putc(&t->blob, DICT_FORMAT))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    } else if ((unsigned char)val.ptr[0] != DICT_FORMAT) {
        return impex_err_set(err, IMPEX_EFORMAT, "%s dictionary: unknown format %d", what,
                             (unsigned char)val.ptr[0]);
    } else if (impex_buf_append(&t->blob, val.ptr, val.len)) {
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    return build(t, what, err);
}

int impex_dict_parse(impex_slice names, impex_slice values, impex_dict **out, impex_err *err)
{
    *out = NULL;
    impex_dict *d = calloc(1, sizeof *d);
    if (!d) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    int rc = table_parse(&d->names, names, "field", err);
    if (!rc) rc = table_parse(&d->values, values, "value", err);
    if (rc) {
        impex_dict_free(d);
        return rc;
    }
    index_values(d);
    *out = d;
    return IMPEX_OK;
}

static int meta_key(const char *prefix, const char *resource, impex_buf *key, impex_err *err)
{
    impex_buf_reset(key);
    if (impex_buf_puts(key, prefix) || impex_buf_puts(key, resource))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    return IMPEX_OK;
}

/* The stored value under prefix+resource, empty when absent. */
static int meta_read(impex_txn *txn, const char *prefix, const char *resource, impex_buf *key,
                     impex_slice *val, impex_err *err)
{
    int rc = meta_key(prefix, resource, key, err);
    if (!rc) rc = impex_meta_get(txn, (impex_slice){key->ptr, key->len}, val, err);
    if (rc == IMPEX_ENOTFOUND) {
        *val = (impex_slice){NULL, 0};
        rc = IMPEX_OK;
    }
    return rc;
}

int impex_dict_load(impex_txn *txn, const char *resource, impex_dict **out, impex_err *err)
{
    impex_buf key = {0};
    impex_slice names = {0}, values = {0};
    *out = NULL;
    int rc = meta_read(txn, IMPEX_DICT_KEY_PREFIX, resource, &key, &names, err);
    if (!rc) rc = meta_read(txn, IMPEX_VALS_KEY_PREFIX, resource, &key, &values, err);
    if (!rc) rc = impex_dict_parse(names, values, out, err);
    if (rc == IMPEX_EFORMAT) /* name the resource: impex verify points at it */
        impex_err_set(err, rc, "%s (resource %s)", err->msg, resource);
    impex_buf_free(&key);
    return rc;
}

/* Appends the entries t lacks; *grew tells whether it did. */
static int table_extend(table *t, const impex_slice *add, size_t n, const char *what, int *grew,
                        impex_err *err)
{
    size_t before = t->blob.len;
    for (size_t i = 0; i < n; i++) {
        if (table_find(t, add[i].ptr, add[i].len)) continue;
        int dup = 0; /* added already in this call */
        for (size_t k = 0; k < i && !dup; k++)
            dup = add[k].len == add[i].len && !memcmp(add[k].ptr, add[i].ptr, add[i].len);
        if (!dup && (impex_buf_put_varint(&t->blob, add[i].len) ||
                     impex_buf_append(&t->blob, add[i].ptr, add[i].len)))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    *grew = t->blob.len != before;
    return *grew ? build(t, what, err) : IMPEX_OK;
}

int impex_dict_extend(impex_txn *txn, const char *resource, const impex_slice *names, size_t n,
                      const impex_slice *values, size_t nvalues, impex_dict **out, impex_err *err)
{
    impex_dict *d = NULL;
    impex_buf key = {0};
    int grew_names = 0, grew_values = 0;
    int rc = impex_dict_load(txn, resource, &d, err);
    if (!rc) rc = table_extend(&d->names, names, n, "field", &grew_names, err);
    if (!rc) rc = table_extend(&d->values, values, nvalues, "value", &grew_values, err);
    if (!rc && grew_names && !(rc = meta_key(IMPEX_DICT_KEY_PREFIX, resource, &key, err)))
        rc = impex_meta_put(txn, (impex_slice){key.ptr, key.len},
                            (impex_slice){d->names.blob.ptr, d->names.blob.len}, err);
    if (!rc && grew_values && !(rc = meta_key(IMPEX_VALS_KEY_PREFIX, resource, &key, err)))
        rc = impex_meta_put(txn, (impex_slice){key.ptr, key.len},
                            (impex_slice){d->values.blob.ptr, d->values.blob.len}, err);
    impex_buf_free(&key);
    if (rc) {
        impex_dict_free(d);
        return rc;
    }
    index_values(d);
    *out = d;
    return IMPEX_OK;
}
