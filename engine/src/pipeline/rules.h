/* Field rules that run in C, so rows that need no Lua never reach Lua:
 * required, type (string, int, decimal, bool, date, datetime), pattern,
 * min/max, enum, maxlen, and the UTF-8 check. */
#ifndef IMPEX_PIPELINE_RULES_H
#define IMPEX_PIPELINE_RULES_H

#include "core/error.h"
#include "lua/descriptor.h"
#include "store/codec.h"

#include <stddef.h>

/* Scratch space for a value the rules must rewrite (".5" -> "0.5"). */
typedef struct impex_rule_scratch {
    char text[64];
} impex_rule_scratch;

/* Checks value s (NUL-terminated, len bytes) against rule r. On success
 * fills out (type and the normalised value; the caller sets the name: ints and decimals without
 * '+' or leading zeros, bools as "true"/"false") and returns 0; an empty
 * value gives type IMPEX_V_NULL. On failure returns IMPEX_EREJECT with the
 * reason in err ("not a decimal: '12,5'"). out may point into s or scratch. */
int impex_rule_check(const impex_field_rule *r, const char *s, size_t len,
                     impex_rule_scratch *scratch, impex_value *out, impex_err *err);

#endif
