/* FNV-1a, 64 bits: a small, fast, non-cryptographic hash (script pins, hash
 * tables). */
#ifndef IMPEX_CORE_HASH_H
#define IMPEX_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t impex_fnv1a64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

#endif
