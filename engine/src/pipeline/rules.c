#include "pipeline/rules.h"
#include "core/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Validates an int or decimal and points out at its normalised text. */
static int check_number(const impex_field_rule *r, const char *s, size_t len,
                        impex_rule_scratch *scratch, impex_value *out, impex_err *err)
{
    const char *p = s, *end = s + len;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    const char *int_start = p;
    while (p < end && is_digit(*p))
        p++;
    const char *int_end = p, *frac_start = NULL, *frac_end = NULL;
    if (p < end && *p == '.' && r->type == IMPEX_V_DECIMAL) {
        frac_start = ++p;
        while (p < end && is_digit(*p))
            p++;
        frac_end = p;
    }
    int digits = (int)(int_end - int_start) + (frac_start ? (int)(frac_end - frac_start) : 0);
    if (p != end || digits == 0)
        return impex_err_set(err, IMPEX_EREJECT, "not %s: '%.*s'",
                             r->type == IMPEX_V_INT ? "an integer" : "a decimal", (int)len, s);
    while (int_end - int_start > 1 && *int_start == '0')
        int_start++;
    if (r->type == IMPEX_V_INT) {
        errno = 0;
        (void)strtoll(s, NULL, 10);
        if (errno == ERANGE)
            return impex_err_set(err, IMPEX_EREJECT, "integer out of range: '%.*s'", (int)len, s);
    }
    /* The common bound is "min = 0" on a positive number: no parse needed. */
    int need_parse = r->has_max || (r->has_min && (neg || r->min > 0));
    double d = need_parse ? strtod(s, NULL) : 0;
    if (r->has_min && need_parse && d < r->min)
        return impex_err_set(err, IMPEX_EREJECT, "%.*s is below the minimum %g", (int)len, s,
                             r->min);
    if (r->has_max && d > r->max)
        return impex_err_set(err, IMPEX_EREJECT, "%.*s is above the maximum %g", (int)len, s,
                             r->max);
    size_t ilen = (size_t)(int_end - int_start);
    size_t flen = frac_start ? (size_t)(frac_end - frac_start) : 0;
    int zero_int = ilen == 0;
    /* Already canonical: point into the input, no copy. */
    if (!zero_int && (!frac_start || flen) && (!neg || int_start == s + 1) &&
        int_start == s + neg) {
        out->ptr = s;
        out->len = len;
        return 0;
    }
    size_t need = (size_t)neg + (zero_int ? 1 : ilen) + (flen ? flen + 1 : 0);
    if (need >= sizeof scratch->text)
        return impex_err_set(err, IMPEX_EREJECT, "number too long: '%.*s'", (int)len, s);
    char *q = scratch->text;
    if (neg) *q++ = '-';
    if (zero_int)
        *q++ = '0';
    else {
        memcpy(q, int_start, ilen);
        q += ilen;
    }
    if (flen) {
        *q++ = '.';
        memcpy(q, frac_start, flen);
        q += flen;
    }
    *q = '\0';
    out->ptr = scratch->text;
    out->len = (size_t)(q - scratch->text);
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

static int parse_fixed(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int valid_date(const char *s, size_t len)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (len < 10 || s[4] != '-' || s[7] != '-') return 0;
    if (parse_fixed(s, 4, &y) || parse_fixed(s + 5, 2, &m) || parse_fixed(s + 8, 2, &d)) return 0;
    if (m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* ISO 8601: date, 'T' or ' ', HH:MM[:SS[.frac]], then optional Z or +HH:MM. */
static int valid_datetime(const char *s, size_t len)
{
    int h, mi, sec = 0, zh, zm;
    if (len < 16 || !valid_date(s, 10) || (s[10] != 'T' && s[10] != ' ')) return 0;
    if (parse_fixed(s + 11, 2, &h) || s[13] != ':' || parse_fixed(s + 14, 2, &mi)) return 0;
    size_t i = 16;
    if (i < len && s[i] == ':') {
        if (i + 3 > len || parse_fixed(s + i + 1, 2, &sec)) return 0;
        i += 3;
        if (i < len && s[i] == '.') {
            size_t j = ++i;
            while (i < len && is_digit(s[i]))
                i++;
            if (i == j) return 0;
        }
    }
    if (h > 23 || mi > 59 || sec > 60) return 0;
    if (i == len) return 1;
    if (s[i] == 'Z') return i + 1 == len;
    if ((s[i] == '+' || s[i] == '-') && i + 6 == len && s[i + 3] == ':')
        return !parse_fixed(s + i + 1, 2, &zh) && !parse_fixed(s + i + 4, 2, &zm) && zh < 24 &&
               zm < 60;
    return 0;
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
    if (r->has_simple) {
        if (!impex_pattern_match(&r->simple, s, len))
            return impex_err_set(err, IMPEX_EREJECT, "'%.*s' does not match the pattern %s",
                                 (int)(len > 80 ? 80 : len), s, r->pattern_src);
    } else if (r->has_pattern) {
        /* regexec wants a NUL-terminated string; list elements are not. */
        char small[256], *copy = small;
        if (s[len] != '\0') {
            if (len >= sizeof small && !(copy = malloc(len + 1)))
                return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
            memcpy(copy, s, len);
            copy[len] = '\0';
        } else
            copy = (char *)s;
        int nomatch = regexec(&r->pattern, copy, 0, NULL, 0);
        if (copy != small && copy != s) free(copy);
        if (nomatch)
            return impex_err_set(err, IMPEX_EREJECT, "'%.*s' does not match the pattern %s",
                                 (int)(len > 80 ? 80 : len), s, r->pattern_src);
    }
    return 0;
}

int impex_rule_check(const impex_field_rule *r, const char *s, size_t len,
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
        if (len != 10 || !valid_date(s, len))
            return impex_err_set(err, IMPEX_EREJECT, "not a date (YYYY-MM-DD): '%.*s'",
                                 (int)(len > 40 ? 40 : len), s);
        break;
    case IMPEX_V_DATETIME:
        if (!valid_datetime(s, len))
            return impex_err_set(err, IMPEX_EREJECT, "not an ISO 8601 date-time: '%.*s'",
                                 (int)(len > 40 ? 40 : len), s);
        break;
    default:
        break;
    }
    /* Length, enum and pattern hold for the value as stored (normalised). */
    return check_text(r, out->ptr, out->len, err);
}
