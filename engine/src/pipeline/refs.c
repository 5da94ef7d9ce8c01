#include "pipeline/refs.h"
#include "core/keycache.h"

#include <stdlib.h>
#include <string.h>

/* 2^16 keys per target: 4 MiB, enough for every product type or location
 * of a catalog; a million products cycle through it. */
#define CACHE_BITS 12

typedef struct target {
    const char *resource; /* a descriptor's string: lives as long as the run */
    impex_keycache *cache;
    impex_record_writer *cur; /* open during a commit, once needed */
} target;

struct impex_refs {
    impex_descriptor *const *descs;
    size_t nsteps;
    const char *tenant;
    target *targets;
    size_t ntargets;
    size_t **ref_target; /* per step, per ref: index in targets */
    long *own_target;    /* per step: the target that is its own resource, or -1 */
    impex_txn *txn;
    impex_buf text;
};

int impex_refs_encode(const impex_descriptor *d, const impex_value *vals, impex_buf *out)
{
    for (size_t i = 0; i < d->nrefs; i++) {
        const impex_ref *ref = &d->refs[i];
        impex_slice parts[16];
        int all = ref->nfields <= sizeof parts / sizeof *parts;
        for (size_t k = 0; all && k < ref->nfields; k++) {
            const impex_value *v = &vals[ref->fields[k]];
            all = v->type != IMPEX_V_NULL && v->len;
            parts[k] = (impex_slice){v->ptr, v->len};
        }
        size_t at = out->len;
        if (impex_buf_append(out, "\0\0", 2)) return IMPEX_ENOMEM;
        if (!all) continue;
        if (impex_key_encode(parts, ref->nfields, out)) return IMPEX_ENOMEM;
        size_t n = out->len - at - 2;
        if (n > 0xffff) n = 0xffff; /* cannot be a key (at most 511 bytes): found nowhere */
        out->ptr[at] = (char)(n & 0xff);
        out->ptr[at + 1] = (char)(n >> 8);
        out->len = at + 2 + n;
    }
    return IMPEX_OK;
}

static long find_target(const impex_refs *r, const char *resource)
{
    for (size_t t = 0; t < r->ntargets; t++)
        if (!strcmp(r->targets[t].resource, resource)) return (long)t;
    return -1;
}

int impex_refs_new(impex_descriptor *const *descs, size_t nsteps, const char *tenant,
                   impex_refs **out, impex_err *err)
{
    *out = NULL;
    size_t nrefs = 0;
    for (size_t s = 0; s < nsteps; s++)
        nrefs += descs[s]->nrefs;
    if (!nrefs) return IMPEX_OK;
    impex_refs *r = calloc(1, sizeof *r);
    if (!r) goto nomem;
    r->descs = descs;
    r->nsteps = nsteps;
    r->tenant = tenant;
    if (!(r->targets = calloc(nrefs, sizeof *r->targets)) ||
        !(r->ref_target = calloc(nsteps, sizeof *r->ref_target)) ||
        !(r->own_target = calloc(nsteps, sizeof *r->own_target)))
        goto nomem;
    for (size_t s = 0; s < nsteps; s++) {
        const impex_descriptor *d = descs[s];
        if (d->nrefs && !(r->ref_target[s] = calloc(d->nrefs, sizeof **r->ref_target))) goto nomem;
        for (size_t i = 0; i < d->nrefs; i++) {
            long t = find_target(r, d->refs[i].resource);
            if (t < 0) {
                t = (long)r->ntargets;
                r->targets[t].resource = d->refs[i].resource;
                if (!(r->targets[t].cache = impex_keycache_new(CACHE_BITS))) goto nomem;
                r->ntargets++;
            }
            r->ref_target[s][i] = (size_t)t;
        }
    }
    for (size_t s = 0; s < nsteps; s++)
        r->own_target[s] = find_target(r, descs[s]->resource);
    *out = r;
    return IMPEX_OK;
nomem:
    impex_refs_free(r);
    return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
}

void impex_refs_free(impex_refs *r)
{
    if (!r) return;
    impex_refs_end(r);
    for (size_t t = 0; t < r->ntargets; t++)
        impex_keycache_free(r->targets[t].cache);
    for (size_t s = 0; r->ref_target && s < r->nsteps; s++)
        free(r->ref_target[s]);
    free(r->ref_target);
    free(r->own_target);
    free(r->targets);
    impex_buf_free(&r->text);
    free(r);
}

void impex_refs_begin(impex_refs *r, impex_txn *txn)
{
    if (!r) return;
    r->txn = txn;
    for (size_t t = 0; t < r->ntargets; t++)
        impex_keycache_clear(r->targets[t].cache);
}

void impex_refs_end(impex_refs *r)
{
    if (!r) return;
    for (size_t t = 0; t < r->ntargets; t++) {
        impex_record_writer_close(r->targets[t].cur);
        r->targets[t].cur = NULL;
    }
    r->txn = NULL;
}

/* Whether key is a stored record of target t (as the open txn sees it). */
static int lookup(impex_refs *r, target *t, impex_slice key, int *found, impex_err *err)
{
    if (!t->cur) {
        int rc = impex_record_writer_open(r->txn, t->resource, r->tenant, &t->cur, err);
        if (rc) return rc;
    }
    impex_slice val;
    impex_err e2;
    impex_err_clear(&e2);
    int rc = impex_record_writer_get(t->cur, key, &val, &e2);
    *found = rc == IMPEX_OK;
    if (rc == IMPEX_OK || rc == IMPEX_ENOTFOUND || rc == IMPEX_ELIMIT) return IMPEX_OK;
    return impex_err_set(err, rc, "%s", e2.msg);
}

static int not_found(impex_refs *r, const impex_ref *ref, impex_slice key, impex_err *rerr)
{
    impex_buf_reset(&r->text);
    if (impex_key_to_text(key, &r->text) || impex_buf_putc(&r->text, '\0'))
        return impex_err_set(rerr, IMPEX_ENOMEM, "out of memory");
    return impex_err_set(rerr, IMPEX_EREJECT, "reference: %s %s not found", ref->name, r->text.ptr);
}

impex_slice impex_refs_key(const impex_batch *b, const impex_item *it, size_t k)
{
    const unsigned char *p = (const unsigned char *)b->data.ptr + it->refs_off;
    const unsigned char *end = p + it->refs_len;
    for (size_t i = 0; end - p >= 2; i++) {
        size_t n = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        if ((size_t)(end - p) < n) n = (size_t)(end - p);
        if (i == k) return (impex_slice){(const char *)p, n};
        p += n;
    }
    return (impex_slice){NULL, 0};
}

int impex_refs_check(impex_refs *r, const impex_batch *b, size_t i, size_t *bad, impex_err *rerr,
                     impex_err *err)
{
    const impex_descriptor *d = r ? r->descs[b->step] : NULL;
    for (size_t k = 0; d && k < d->nrefs; k++) {
        impex_slice key = impex_refs_key(b, &b->items[i], k);
        if (!key.len) continue; /* a field is empty: nothing to check */
        target *t = &r->targets[r->ref_target[b->step][k]];
        if (impex_keycache_has(t->cache, key.ptr, key.len)) continue;
        int found;
        int rc = lookup(r, t, key, &found, err);
        if (rc) return rc;
        if (found) {
            impex_keycache_add(t->cache, key.ptr, key.len);
            continue;
        }
        *bad = k;
        rc = not_found(r, &d->refs[k], key, rerr);
        return rc == IMPEX_EREJECT ? rc : impex_err_set(err, rc, "%s", rerr->msg);
    }
    return IMPEX_OK;
}

void impex_refs_wrote(impex_refs *r, size_t step, impex_slice key)
{
    if (r && r->own_target[step] >= 0)
        impex_keycache_add(r->targets[r->own_target[step]].cache, key.ptr, key.len);
}

void impex_refs_deleted(impex_refs *r, size_t step, impex_slice key)
{
    if (r && r->own_target[step] >= 0)
        impex_keycache_remove(r->targets[r->own_target[step]].cache, key.ptr, key.len);
}
