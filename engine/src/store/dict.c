#include "store/dict.h"

#include <stdlib.h>
#include <string.h>

#define DICT_FORMAT 1
#define DICT_MAX_NAMES 1000000u /* far above any descriptor: a bound for damaged values */

struct impex_dict {
    impex_buf blob;     /* the stored value: the names point into it */
    impex_slice *names; /* names[i] is id i + 1 */
    size_t n;
    uint32_t *slots; /* open addressing: id, 0 = empty */
    size_t nslots;   /* a power of two, at least twice n */
};

static uint64_t hash(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

void impex_dict_free(impex_dict *d)
{
    if (!d) return;
    impex_buf_free(&d->blob);
    free(d->names);
    free(d->slots);
    free(d);
}

size_t impex_dict_size(const impex_dict *d)
{
    return d ? d->n : 0;
}

uint32_t impex_dict_id(const impex_dict *d, const char *name, size_t len)
{
    if (!d || !d->n) return 0;
    for (size_t i = hash(name, len) & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
        uint32_t id = d->slots[i];
        if (!id) return 0;
        const impex_slice *s = &d->names[id - 1];
        if (s->len == len && !memcmp(s->ptr, name, len)) return id;
    }
}

int impex_dict_name(const impex_dict *d, uint64_t id, impex_slice *name)
{
    if (!d || id == 0 || id > d->n) return 0;
    *name = d->names[id - 1];
    return 1;
}

/* Indexes the names in d->blob (already validated by the caller). */
static int build(impex_dict *d, impex_err *err)
{
    const char *p = d->blob.ptr + 1, *end = d->blob.ptr + d->blob.len;
    size_t n = 0, cap = 0;
    while (p < end) {
        uint64_t len;
        if (impex_get_varint(&p, end, &len) || len > (uint64_t)(end - p) || n >= DICT_MAX_NAMES)
            return impex_err_set(err, IMPEX_EFORMAT, "field dictionary: corrupt encoding");
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            impex_slice *grown = realloc(d->names, cap * sizeof *grown);
            if (!grown) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
            d->names = grown;
        }
        d->names[n++] = (impex_slice){p, (size_t)len};
        p += len;
    }
    d->n = n;
    for (d->nslots = 16; d->nslots < 2 * n; d->nslots *= 2)
        ;
    if (!(d->slots = calloc(d->nslots, sizeof *d->slots)))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    for (size_t id = 1; id <= n; id++) {
        const impex_slice *s = &d->names[id - 1];
        if (impex_dict_id(d, s->ptr, s->len))
            return impex_err_set(err, IMPEX_EFORMAT, "field dictionary: name '%.*s' twice",
                                 (int)(s->len > 64 ? 64 : s->len), s->ptr);
        size_t i = hash(s->ptr, s->len) & (d->nslots - 1);
        while (d->slots[i])
            i = (i + 1) & (d->nslots - 1);
        d->slots[i] = (uint32_t)id;
    }
    return IMPEX_OK;
}

int impex_dict_parse(impex_slice val, impex_dict **out, impex_err *err)
{
    *out = NULL;
    impex_dict *d = calloc(1, sizeof *d);
    if (!d) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    int rc = IMPEX_OK;
    if (val.len == 0) { /* none stored yet */
        if (impex_buf_putc(&d->blob, DICT_FORMAT))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    } else if ((unsigned char)val.ptr[0] != DICT_FORMAT) {
        rc = impex_err_set(err, IMPEX_EFORMAT, "field dictionary: unknown format %d",
                           (unsigned char)val.ptr[0]);
    } else if (impex_buf_append(&d->blob, val.ptr, val.len)) {
        rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    if (!rc) rc = build(d, err);
    if (rc) {
        impex_dict_free(d);
        return rc;
    }
    *out = d;
    return IMPEX_OK;
}

static int dict_key(const char *resource, impex_buf *key, impex_err *err)
{
    if (impex_buf_puts(key, IMPEX_DICT_KEY_PREFIX) || impex_buf_puts(key, resource))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    return IMPEX_OK;
}

int impex_dict_load(impex_txn *txn, const char *resource, impex_dict **out, impex_err *err)
{
    impex_buf key = {0};
    impex_slice val = {0};
    *out = NULL;
    int rc = dict_key(resource, &key, err);
    if (!rc) rc = impex_meta_get(txn, (impex_slice){key.ptr, key.len}, &val, err);
    if (rc == IMPEX_ENOTFOUND) {
        val.len = 0;
        rc = IMPEX_OK;
    }
    if (!rc) rc = impex_dict_parse(val, out, err);
    if (rc == IMPEX_EFORMAT) /* name the resource: impex verify points at it */
        impex_err_set(err, rc, "%s (resource %s)", err->msg, resource);
    impex_buf_free(&key);
    return rc;
}

int impex_dict_extend(impex_txn *txn, const char *resource, const impex_slice *names, size_t n,
                      impex_dict **out, impex_err *err)
{
    impex_dict *d = NULL;
    impex_buf key = {0};
    int rc = impex_dict_load(txn, resource, &d, err);
    size_t before = d ? d->blob.len : 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (impex_dict_id(d, names[i].ptr, names[i].len)) continue;
        int dup = 0; /* added already in this call */
        for (size_t k = 0; k < i && !dup; k++)
            dup = names[k].len == names[i].len && !memcmp(names[k].ptr, names[i].ptr, names[i].len);
        if (!dup && (impex_buf_put_varint(&d->blob, names[i].len) ||
                     impex_buf_append(&d->blob, names[i].ptr, names[i].len)))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    if (!rc && d->blob.len != before) {
        free(d->names);
        free(d->slots);
        d->names = NULL;
        d->slots = NULL;
        rc = build(d, err);
        if (!rc) rc = dict_key(resource, &key, err);
        if (!rc)
            rc = impex_meta_put(txn, (impex_slice){key.ptr, key.len},
                                (impex_slice){d->blob.ptr, d->blob.len}, err);
    }
    impex_buf_free(&key);
    if (rc) {
        impex_dict_free(d);
        return rc;
    }
    *out = d;
    return IMPEX_OK;
}
