/* Field rules that run in C, so rows that need no Lua never reach Lua:
 * required, type (string, int, decimal, bool, date, datetime), pattern,
 * min/max, enum, maxlen, and the UTF-8 check. */
#ifndef IMPEX_SCHEMA_RULES_H
#define IMPEX_SCHEMA_RULES_H

#include "core/error.h"
#include "schema/schema.h"
#include "store/codec.h"

#include <stddef.h>

/* Scratch space for a value the rules must rewrite (".5" -> "0.5"). */
typedef struct impex_rule_scratch {
    char text[64];
    /* A list split on its separator, CR-joined. Start zeroed; free with
     * impex_rule_scratch_free. */
    impex_buf list;
} impex_rule_scratch;

/* Frees what n scratch entries hold (not the array). */
void impex_rule_scratch_free(impex_rule_scratch *s, size_t n);

/* Checks value s (len bytes; no NUL terminator needed, a NUL byte is part
 * of the value) against rule r. On success
 * fills out (type and the normalised value; the caller sets the name: ints and decimals without
 * '+' or leading zeros, bools as "true"/"false") and returns 0; an empty
 * value gives type IMPEX_V_NULL. On failure returns IMPEX_EREJECT with the
 * reason in err ("not a decimal: '12,5'"). out may point into s or scratch. */
int impex_rule_check(const impex_field_rule *r, const char *s, size_t len,
                     impex_rule_scratch *scratch, impex_value *out, impex_err *err);

/* impex_rule_check without the separator split: a multi value is taken as
 * CR-separated whatever its rule's separator. */
int impex_rule_check_text(const impex_field_rule *r, const char *s, size_t len,
                          impex_rule_scratch *scratch, impex_value *out, impex_err *err);

/* Checks a value of any type against r through its codec text form, as the
 * writer does for what `map` returned: INT and DECIMAL text, BOOL
 * "true"/"false", DATE, DATETIME, and LIST (CR-joined, for multi fields)
 * all pass the same checks as the imported text; NULL or empty is "empty".
 * Same results and out as impex_rule_check. */
int impex_rule_check_value(const impex_field_rule *r, const impex_value *in,
                           impex_rule_scratch *scratch, impex_value *out, impex_err *err);

#endif
