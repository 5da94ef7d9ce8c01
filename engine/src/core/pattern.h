/* A fast path for the patterns codes are usually checked with: a run of
 * bracket expressions or plain characters, the last one optionally
 * repeated with * or + (e.g. "[A-Za-z0-9][A-Za-z0-9_.-]*", "[0-9]+",
 * "SKU-[0-9][0-9]*"). Such a pattern is matched with a 256-entry table per
 * position instead of POSIX regexec (which costs about a microsecond per
 * value); anything else keeps using the regex. Byte semantics, as regexec in
 * the C locale the engine runs in. */
#ifndef IMPEX_CORE_PATTERN_H
#define IMPEX_CORE_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define IMPEX_PATTERN_MAX_ATOMS 16

typedef struct impex_simple_pattern {
    uint8_t set[IMPEX_PATTERN_MAX_ATOMS][32]; /* bitmap of allowed bytes per atom */
    size_t natoms;
    int repeat_last; /* 0: exactly natoms bytes; 1: last atom '*'; 2: last atom '+' */
} impex_simple_pattern;

/* Compiles src (unanchored text as a descriptor writes it; the match is on
 * the whole value). Returns 1 and fills out when src has the simple shape,
 * 0 when it must go to regexec. */
int impex_pattern_compile(const char *src, impex_simple_pattern *out);

/* Whether the whole of s[0..len) matches. */
int impex_pattern_match(const impex_simple_pattern *p, const char *s, size_t len);

#endif
