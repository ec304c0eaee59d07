/* hash.c - one string hash for the engine's lookup tables. */
#include "config.h"

#include "engine.h"

size_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211u;
    }
    return (size_t)h;
}
