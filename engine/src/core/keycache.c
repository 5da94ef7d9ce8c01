#include "core/keycache.h"
#include "core/hash.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
    uint64_t hash;
    uint32_t gen; /* the slot holds a key only when this is the cache's generation */
    uint8_t len;
    char key[IMPEX_KEYCACHE_KEY_MAX + 1];
} slot;

struct impex_keycache {
    slot *slots;
    size_t mask;
    uint32_t gen;
};

impex_keycache *impex_keycache_new(unsigned bits)
{
    if (bits < 4) bits = 4;
    if (bits > 24) bits = 24;
    impex_keycache *c = calloc(1, sizeof *c);
    /* calloc: untouched slots cost no resident memory. */
    if (!c || !(c->slots = calloc((size_t)1 << bits, sizeof *c->slots))) {
        free(c);
        return NULL;
    }
    c->mask = ((size_t)1 << bits) - 1;
    c->gen = 1;
    return c;
}

void impex_keycache_free(impex_keycache *c)
{
    if (!c) return;
    free(c->slots);
    free(c);
}

static slot *find(const impex_keycache *c, const void *key, size_t len, uint64_t *hash)
{
    *hash = impex_fnv1a64(key, len);
    return &c->slots[*hash & c->mask];
}

static int holds(const impex_keycache *c, const slot *s, uint64_t hash, const void *key, size_t len)
{
    return s->gen == c->gen && s->hash == hash && s->len == len && !memcmp(s->key, key, len);
}

int impex_keycache_has(const impex_keycache *c, const void *key, size_t len)
{
    uint64_t h;
    if (len > IMPEX_KEYCACHE_KEY_MAX) return 0;
    const slot *s = find(c, key, len, &h);
    return holds(c, s, h, key, len);
}

void impex_keycache_add(impex_keycache *c, const void *key, size_t len)
{
    uint64_t h;
    if (len > IMPEX_KEYCACHE_KEY_MAX) return;
    slot *s = find(c, key, len, &h);
    s->hash = h;
    s->gen = c->gen;
    s->len = (uint8_t)len;
    memcpy(s->key, key, len);
}

void impex_keycache_remove(impex_keycache *c, const void *key, size_t len)
{
    uint64_t h;
    if (len > IMPEX_KEYCACHE_KEY_MAX) return;
    slot *s = find(c, key, len, &h);
    if (holds(c, s, h, key, len)) s->gen = 0;
}

void impex_keycache_clear(impex_keycache *c)
{
    if (++c->gen == 0) { /* wrapped: a slot may hold any old generation */
        memset(c->slots, 0, (c->mask + 1) * sizeof *c->slots);
        c->gen = 1;
    }
}
