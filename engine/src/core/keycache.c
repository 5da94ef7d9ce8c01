#include "core/keycache.h"
#include "core/hash.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
    uint64_t hash;
    uint8_t len;
    char key[IMPEX_KEYCACHE_KEY_MAX + 1];
} slot;

/* A slot holds a key only when its tag (the hash's high half, never 0)
 * says so. The tags are a small array of their own, so a miss reads 4
 * bytes that stay in the CPU cache instead of a 64-byte slot that does
 * not, and clearing is one memset of them. */
struct impex_keycache {
    uint32_t *tags;
    slot *slots;
    size_t mask;
};

impex_keycache *impex_keycache_new(unsigned bits)
{
    if (bits < 4) bits = 4;
    if (bits > 24) bits = 24;
    size_t n = (size_t)1 << bits;
    impex_keycache *c = calloc(1, sizeof *c);
    if (!c || !(c->tags = calloc(n, sizeof *c->tags)) ||
        !(c->slots = malloc(n * sizeof *c->slots))) {
        impex_keycache_free(c);
        return NULL;
    }
    c->mask = n - 1;
    return c;
}

void impex_keycache_free(impex_keycache *c)
{
    if (!c) return;
    free(c->tags);
    free(c->slots);
    free(c);
}

static uint32_t tag_of(uint64_t hash)
{
    return (uint32_t)(hash >> 32) | 1;
}

static int holds(const impex_keycache *c, size_t i, uint64_t hash, const void *key, size_t len)
{
    const slot *s = &c->slots[i];
    return c->tags[i] == tag_of(hash) && s->hash == hash && s->len == len &&
           !memcmp(s->key, key, len);
}

int impex_keycache_has(const impex_keycache *c, const void *key, size_t len)
{
    if (len > IMPEX_KEYCACHE_KEY_MAX) return 0;
    uint64_t h = impex_fnv1a64(key, len);
    return holds(c, h & c->mask, h, key, len);
}

void impex_keycache_add(impex_keycache *c, const void *key, size_t len)
{
    if (len > IMPEX_KEYCACHE_KEY_MAX) return;
    uint64_t h = impex_fnv1a64(key, len);
    size_t i = h & c->mask;
    c->tags[i] = tag_of(h);
    c->slots[i].hash = h;
    c->slots[i].len = (uint8_t)len;
    memcpy(c->slots[i].key, key, len);
}

void impex_keycache_remove(impex_keycache *c, const void *key, size_t len)
{
    if (len > IMPEX_KEYCACHE_KEY_MAX) return;
    uint64_t h = impex_fnv1a64(key, len);
    if (holds(c, h & c->mask, h, key, len)) c->tags[h & c->mask] = 0;
}

void impex_keycache_clear(impex_keycache *c)
{
    memset(c->tags, 0, (c->mask + 1) * sizeof *c->tags);
}
