/* Field rules over untrusted values: every type, with and without bounds,
 * enums and patterns, must accept or reject without crashing; what it
 * accepts must be a canonical form that passes the same rule again
 * unchanged; and a pattern must give the same verdict through the
 * simple-pattern table as through regexec, also on values holding NUL bytes
 * (a CSV field may). Input: byte 0 picks type and options, byte 1 the
 * pattern (one of a fixed list, or the text up to the first '\n' when its
 * top bit is set); the rest, NULs included, is the value. */
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/rules.h"

static void check(int ok)
{
    if (!ok) __builtin_trap();
}

/* Simple-shape patterns as descriptors write them, and two that are not. */
static const char *const patterns[] = {
    "[A-Za-z0-9][A-Za-z0-9_.-]*",
    "[0-9]+",
    "SKU-[0-9][0-9]*",
    "[A-Z][A-Z]",
    "x*",
    "[^,]*",
    "[A-Z]{2}-[0-9]+",
    "(ab|c)+",
};
#define NPATTERNS (sizeof patterns / sizeof patterns[0])

/* Compiles src the way descriptor.c does: anchored, extended, no subexpressions. */
static int compile(const char *src, impex_field_rule *r)
{
    char anchored[512];
    if (snprintf(anchored, sizeof anchored, "^(%s)$", src) >= (int)sizeof anchored) return 0;
    if (regcomp(&r->pattern, anchored, REG_EXTENDED | REG_NOSUB)) return 0;
    r->has_pattern = 1;
    r->pattern_src = (char *)src;
    r->has_simple = impex_pattern_compile(src, &r->simple);
    return 1;
}

static int run(const impex_field_rule *r, const char *v, size_t len, impex_value *out,
               impex_rule_scratch *scratch)
{
    impex_err err;
    impex_err_clear(&err);
    *out = (impex_value){.name = "F", .name_len = 1};
    int rc = impex_rule_check(r, v, len, scratch, out, &err);
    if (rc) check(rc == IMPEX_EREJECT && err.code == IMPEX_EREJECT && err.msg[0]);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    static const impex_vtype types[] = {IMPEX_V_STRING, IMPEX_V_INT,  IMPEX_V_DECIMAL,
                                        IMPEX_V_BOOL,   IMPEX_V_DATE, IMPEX_V_DATETIME};
    static char *enums[] = {"red", "green", "0.5", "2024-02-29", "true"};
    uint8_t b0 = data[0], b1 = data[1];
    data += 2;
    size -= 2;

    impex_field_rule r;
    memset(&r, 0, sizeof r);
    r.name = "F";
    r.type = types[b0 % 6];
    r.has_min = b0 & 0x08;
    r.has_max = b0 & 0x10;
    r.min = -5;
    r.max = 1e6;
    r.maxlen = b0 & 0x20 ? 8 : 0;
    r.multi = r.type == IMPEX_V_STRING && (b0 & 0x40);
    if (b0 & 0x80) {
        r.enums = enums;
        r.nenums = sizeof enums / sizeof enums[0];
    }

    char src[256] = "";
    if (b1 & 0x80) { /* the pattern is the input's first line */
        const uint8_t *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) : 0;
        /* Patterns are the descriptor author's: keep them short and without
         * counted repetition or back-references, whose compile or match
         * time glibc does not bound (that is regcomp's cost, not the rules'). */
        if (!nl || n > 24 || memchr(data, '\0', n) || memchr(data, '{', n) || memchr(data, '\\', n))
            return 0;
        for (size_t k = 1; k < n; k++) /* stacked repetitions: descriptors refuse them */
            if (memchr("*+?", data[k], 3) && memchr("*+?", data[k - 1], 3)) return 0;
        memcpy(src, data, n);
        src[n] = '\0';
        data += n + 1;
        size -= n + 1;
    } else if (b1 < NPATTERNS) {
        snprintf(src, sizeof src, "%s", patterns[b1]);
    }
    if (src[0] && !compile(src, &r)) return 0;

    /* The value keeps its NUL bytes; like a CSV field it is NUL-terminated after len. */
    char *value = malloc(size + 1);
    if (!value) goto out;
    memcpy(value, data, size);
    value[size] = '\0';

    impex_rule_scratch scratch;
    impex_value v;
    int rc = run(&r, value, size, &v, &scratch);
    if (rc == 0 && v.type != IMPEX_V_NULL && !r.multi) {
        /* Normalising is idempotent. */
        char *again = malloc(v.len + 1);
        if (again) {
            memcpy(again, v.ptr, v.len);
            again[v.len] = '\0';
            impex_rule_scratch scratch2;
            impex_value v2;
            check(run(&r, again, v.len, &v2, &scratch2) == 0);
            check(v2.len == v.len && memcmp(v2.ptr, v.ptr, v.len) == 0);
            free(again);
        }
    }
    if (r.has_simple) {
        /* The table and regexec must agree, whatever bytes the value holds. */
        impex_field_rule slow = r;
        slow.has_simple = 0;
        impex_rule_scratch scratch3;
        impex_value v3;
        check(run(&slow, value, size, &v3, &scratch3) == rc);
    }
    free(value);
out:
    if (r.has_pattern) regfree(&r.pattern);
    return 0;
}
