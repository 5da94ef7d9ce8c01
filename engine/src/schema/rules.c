#include "schema/rules.h"
#include "core/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value as a double, for min/max (s need not be NUL-terminated). */
static int to_double(const char *s, size_t len, double *out)
{
    char small[64], *copy = small;
    if (len >= sizeof small && !(copy = malloc(len + 1))) return IMPEX_ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    *out = strtod(copy, NULL);
    if (copy != small) free(copy);
    return IMPEX_OK;
}

/* Validates an int or decimal and points out at its normalised text. */
static int check_number(const impex_field_rule *r, const char *s, size_t len,
                        impex_rule_scratch *scratch, impex_value *out, impex_err *err)
{
    impex_number n;
    if (impex_schema_number_parse(r->type, s, len, &n)) {
        if (r->type == IMPEX_V_INT && impex_schema_number_parse(IMPEX_V_DECIMAL, s, len, &n) == 0 &&
            !memchr(s, '.', len))
            return impex_err_set(err, IMPEX_EREJECT, "integer out of range: '%.*s'", (int)len, s);
        return impex_err_set(err, IMPEX_EREJECT, "not %s: '%.*s'",
                             r->type == IMPEX_V_INT ? "an integer" : "a decimal", (int)len, s);
    }
    /* The common bound is "min = 0" on a positive number: no parse needed. */
    int need_parse = r->has_max || (r->has_min && (n.neg || r->min > 0));
    double d = 0;
    if (need_parse && to_double(s, len, &d))
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    if (r->has_min && need_parse && d < r->min)
        return impex_err_set(err, IMPEX_EREJECT, "%.*s is below the minimum %g", (int)len, s,
                             r->min);
    if (r->has_max && d > r->max)
        return impex_err_set(err, IMPEX_EREJECT, "%.*s is above the maximum %g", (int)len, s,
                             r->max);
    size_t need = impex_schema_number_len(&n);
    /* Already canonical: point into the input, no copy. */
    if (need == len && *s != '+') {
        out->ptr = s;
        out->len = len;
        return 0;
    }
    if (need >= sizeof scratch->text)
        return impex_err_set(err, IMPEX_EREJECT, "number too long: '%.*s'", (int)len, s);
    impex_schema_number_write(&n, scratch->text);
    scratch->text[need] = '\0';
    out->ptr = scratch->text;
    out->len = need;
    return 0;
}

static int check_bool(const char *s, size_t len, impex_value *out, impex_err *err)
{
    static const char *const yes[] = {"true", "1", "yes", "y", "t"};
    static const char *const no[] = {"false", "0", "no", "n", "f"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strlen(yes[i]) == len && !strncasecmp(s, yes[i], len)) {
            out->ptr = "true";
            out->len = 4;
            return 0;
        }
        if (strlen(no[i]) == len && !strncasecmp(s, no[i], len)) {
            out->ptr = "false";
            out->len = 5;
            return 0;
        }
    }
    return impex_err_set(err, IMPEX_EREJECT, "not a boolean (true/false): '%.*s'", (int)len, s);
}

/* Checks that hold for each element of a value: length, enum, pattern. */
static int check_text(const impex_field_rule *r, const char *s, size_t len, impex_err *err)
{
    if (r->maxlen && len > r->maxlen && impex_utf8_count(s, len) > r->maxlen)
        return impex_err_set(err, IMPEX_EREJECT, "longer than %zu characters", r->maxlen);
    if (r->enums) {
        size_t i = 0;
        while (i < r->nenums && !(strlen(r->enums[i]) == len && !memcmp(r->enums[i], s, len)))
            i++;
        if (i == r->nenums)
            return impex_err_set(err, IMPEX_EREJECT, "'%.*s' is not one of the allowed values",
                                 (int)(len > 80 ? 80 : len), s);
    }
    /* One rule for both matchers (regexec's handling of a NUL differs from
     * the table's): a value holding a NUL byte matches no pattern. */
    if ((r->has_simple || r->has_pattern) && memchr(s, '\0', len))
        return impex_err_set(err, IMPEX_EREJECT,
                             "the value holds a NUL byte, which no pattern matches");
    if (r->has_simple) {
        if (!impex_pattern_match(&r->simple, s, len))
            return impex_err_set(err, IMPEX_EREJECT, "'%.*s' does not match the pattern %s",
                                 (int)(len > 80 ? 80 : len), s, r->pattern_src);
    } else if (r->has_pattern) {
        /* By length (REG_STARTEND): a NUL inside the value is part of it and
         * cannot end the match early; list elements need no copy. */
        regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)len};
        int nomatch = regexec(&r->pattern, s, 1, &m, REG_STARTEND);
        if (nomatch)
            return impex_err_set(err, IMPEX_EREJECT, "'%.*s' does not match the pattern %s",
                                 (int)(len > 80 ? 80 : len), s, r->pattern_src);
    }
    return 0;
}

/* A list written with a separator string (multi = ", "): split exactly as
 * README "CSV dialects" says, each element checked, the list kept
 * CR-joined in scratch->list (the LIST form). */
static int check_separated(const impex_field_rule *r, const char *s, size_t len,
                           impex_rule_scratch *scratch, impex_value *out, impex_err *err)
{
    const char *sep = r->multi_sep;
    size_t seplen = strlen(sep), start = 0, n = 1;
    impex_buf *b = &scratch->list;
    impex_buf_reset(b);
    for (size_t i = 0; i <= len;) {
        int end = i == len || (len - i >= seplen && !memcmp(s + i, sep, seplen));
        if (end) {
            if (memchr(b->ptr + start, '\r', b->len - start))
                return impex_err_set(err, IMPEX_EREJECT, "list element %zu holds a carriage return",
                                     n);
            int rc = check_text(r, b->ptr + start, b->len - start, err);
            if (rc) return rc;
            if (i == len) break;
            if (impex_buf_putc(b, '\r')) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
            start = b->len;
            n++;
            i += seplen;
            continue;
        }
        size_t take = 1;
        if (r->escape && s[i] == r->escape && i + 1 < len) {
            if (len - i - 1 >= seplen && !memcmp(s + i + 1, sep, seplen)) {
                i++;
                take = seplen;
            } else if (s[i + 1] == r->escape) {
                i++;
            }
        }
        if (impex_buf_append(b, s + i, take))
            return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        i += take;
    }
    if (!b->ptr && impex_buf_puts(b, "")) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    out->ptr = b->ptr;
    out->len = b->len;
    return 0;
}

int impex_rule_check(const impex_field_rule *r, const char *s, size_t len,
                     impex_rule_scratch *scratch, impex_value *out, impex_err *err)
{
    if (len > 0 && r->multi && r->multi_sep) {
        out->type = IMPEX_V_LIST;
        return check_separated(r, s, len, scratch, out, err);
    }
    return impex_rule_check_text(r, s, len, scratch, out, err);
}

int impex_rule_check_text(const impex_field_rule *r, const char *s, size_t len,
                          impex_rule_scratch *scratch, impex_value *out, impex_err *err)
{
    out->ptr = s;
    out->len = len;
    if (len == 0) {
        out->type = IMPEX_V_NULL;
        if (r->required) return impex_err_set(err, IMPEX_EREJECT, "required value is empty");
        return 0;
    }
    out->type = r->multi ? IMPEX_V_LIST : r->type;
    if (r->multi) {
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
            if (i < len && s[i] != '\r') continue;
            int rc = check_text(r, s + start, i - start, err);
            if (rc) return rc;
            start = i + 1;
        }
        return 0;
    }
    switch (r->type) {
    case IMPEX_V_INT:
    case IMPEX_V_DECIMAL: {
        int rc = check_number(r, s, len, scratch, out, err);
        if (rc) return rc;
        break;
    }
    case IMPEX_V_BOOL:
        return check_bool(s, len, out, err);
    case IMPEX_V_DATE:
        if (!impex_schema_is_date(s, len))
            return impex_err_set(err, IMPEX_EREJECT, "not a date (YYYY-MM-DD): '%.*s'",
                                 (int)(len > 40 ? 40 : len), s);
        break;
    case IMPEX_V_DATETIME:
        if (!impex_schema_is_datetime(s, len))
            return impex_err_set(err, IMPEX_EREJECT, "not an ISO 8601 date-time: '%.*s'",
                                 (int)(len > 40 ? 40 : len), s);
        break;
    default:
        break;
    }
    /* Length, enum and pattern hold for the value as stored (normalised). */
    return check_text(r, out->ptr, out->len, err);
}

int impex_rule_check_value(const impex_field_rule *r, const impex_value *in,
                           impex_rule_scratch *scratch, impex_value *out, impex_err *err)
{
    out->name = in->name;
    out->name_len = in->name_len;
    if (in->type == IMPEX_V_NULL) return impex_rule_check_text(r, "", 0, scratch, out, err);
    return impex_rule_check_text(r, in->ptr, in->len, scratch, out, err);
}

void impex_rule_scratch_free(impex_rule_scratch *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        impex_buf_free(&s[i].list);
}
