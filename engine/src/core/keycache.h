/* A bounded set of byte strings known to exist (the reference checks'
 * cache of target keys): a direct-mapped table of 2^bits slots, each key
 * in the slot its hash picks, a new key replacing whatever was there. It
 * never answers "present" for a key it was not given: keys are compared
 * byte for byte, and one longer than IMPEX_KEYCACHE_KEY_MAX is never kept.
 * Memory is fixed at creation (68 bytes a slot); clearing writes 4 bytes
 * a slot. */
#ifndef IMPEX_CORE_KEYCACHE_H
#define IMPEX_CORE_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#define IMPEX_KEYCACHE_KEY_MAX 50

typedef struct impex_keycache impex_keycache;

/* 2^bits slots (bits from 4 to 24). NULL when out of memory. */
impex_keycache *impex_keycache_new(unsigned bits);
void impex_keycache_free(impex_keycache *c);

int impex_keycache_has(const impex_keycache *c, const void *key, size_t len);
/* Remembers key (evicting the slot's previous key); a key too long is ignored. */
void impex_keycache_add(impex_keycache *c, const void *key, size_t len);
/* Forgets key, if held. */
void impex_keycache_remove(impex_keycache *c, const void *key, size_t len);
/* Forgets every key. */
void impex_keycache_clear(impex_keycache *c);

#endif
