#include "core/pattern.h"

#include <string.h>

static void set_bit(uint8_t *set, unsigned char c)
{
    set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static int has_bit(const uint8_t *set, unsigned char c)
{
    return set[c >> 3] & (1u << (c & 7));
}

/* Parses "[...]" at *p (just past the '['): ranges, a leading '^', ']' first
 * and '-' first or last as literals. Bails out (returns 0) on "[:", "[=",
 * "[." forms. Advances *p past the closing ']'. */
static int parse_bracket(const char **p, uint8_t *set)
{
    const char *s = *p;
    int negate = *s == '^';
    if (negate) s++;
    uint8_t tmp[32] = {0};
    int first = 1;
    while (*s && (*s != ']' || first)) {
        unsigned char lo = (unsigned char)*s;
        if (lo == '[') return 0;
        if (s[1] == '-' && s[2] && s[2] != ']') {
            unsigned char hi = (unsigned char)s[2];
            if (hi == '[' || hi < lo) return 0;
            for (unsigned c = lo; c <= hi; c++)
                set_bit(tmp, (unsigned char)c);
            s += 3;
        } else {
            set_bit(tmp, lo);
            s++;
        }
        first = 0;
    }
    if (*s != ']') return 0;
    for (int i = 0; i < 32; i++)
        set[i] = negate ? (uint8_t)~tmp[i] : tmp[i];
    if (negate) set[0] &= (uint8_t)~1u; /* NUL never matches */
    *p = s + 1;
    return 1;
}

int impex_pattern_compile(const char *src, impex_simple_pattern *out)
{
    memset(out, 0, sizeof *out);
    const char *p = src;
    while (*p) {
        if (out->repeat_last || out->natoms == IMPEX_PATTERN_MAX_ATOMS) return 0;
        uint8_t *set = out->set[out->natoms];
        unsigned char c = (unsigned char)*p;
        if (c == '[') {
            p++;
            if (!parse_bracket(&p, set)) return 0;
        } else if (strchr(".()*+?{}|^$\\]", c) || c < 0x20 || c >= 0x80) {
            return 0;
        } else {
            set_bit(set, c);
            p++;
        }
        out->natoms++;
        if (*p == '*' || *p == '+') {
            out->repeat_last = *p == '*' ? 1 : 2;
            p++;
        }
    }
    return out->natoms > 0;
}

int impex_pattern_match(const impex_simple_pattern *p, const char *s, size_t len)
{
    size_t fixed = p->repeat_last ? p->natoms - 1 : p->natoms;
    if (len < fixed || (!p->repeat_last && len != fixed) || (p->repeat_last == 2 && len == fixed))
        return 0;
    for (size_t i = 0; i < fixed; i++)
        if (!has_bit(p->set[i], (unsigned char)s[i])) return 0;
    const uint8_t *last = p->set[p->natoms - 1];
    for (size_t i = fixed; i < len; i++)
        if (!has_bit(last, (unsigned char)s[i])) return 0;
    return 1;
}
