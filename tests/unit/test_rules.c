/* Field rules in C: types, normalisation, ranges, enums, patterns, lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/rules.h"

static impex_field_rule rule(impex_vtype type)
{
    impex_field_rule r;
    memset(&r, 0, sizeof r);
    r.name = "F";
    r.type = type;
    return r;
}

/* Returns 0 and the normalised text in out, or the rejection reason. */
static const char *check(const impex_field_rule *r, const char *v, char *out, size_t size)
{
    static impex_err err; /* test-local, single-threaded */
    impex_rule_scratch scratch;
    impex_value val = {.name = r->name, .name_len = strlen(r->name)};
    impex_err_clear(&err);
    if (impex_rule_check(r, v, strlen(v), &scratch, &val, &err)) return err.msg;
    snprintf(out, size, "%.*s", (int)val.len, val.ptr);
    return NULL;
}

static void decimals_keep_digits_and_normalise(void **state)
{
    (void)state;
    impex_field_rule r = rule(IMPEX_V_DECIMAL);
    char out[64];
    const char *cases[][2] = {
        {"12.50", "12.50"},
        {"+1.5", "1.5"},
        {".5", "0.5"},
        {"-.5", "-0.5"},
        {"007.10", "7.10"},
        {"1.", "1"},
        {"0", "0"},
        {"-0012", "-12"},
        {"123456789012345678901234567890.1", "123456789012345678901234567890.1"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_null(check(&r, cases[i][0], out, sizeof out));
        assert_string_equal(out, cases[i][1]);
    }
    assert_non_null(strstr(check(&r, "12,5", out, sizeof out), "not a decimal: '12,5'"));
    assert_non_null(check(&r, "1e5", out, sizeof out));
    assert_non_null(check(&r, ".", out, sizeof out));
    assert_non_null(check(&r, "-", out, sizeof out));
}

static void ints_and_ranges(void **state)
{
    (void)state;
    impex_field_rule r = rule(IMPEX_V_INT);
    char out[64];
    assert_null(check(&r, "0042", out, sizeof out));
    assert_string_equal(out, "42");
    assert_non_null(strstr(check(&r, "4.2", out, sizeof out), "not an integer"));
    assert_non_null(strstr(check(&r, "99999999999999999999", out, sizeof out), "out of range"));
    r.has_min = r.has_max = 1;
    r.min = 1;
    r.max = 10;
    assert_null(check(&r, "10", out, sizeof out));
    assert_non_null(strstr(check(&r, "0", out, sizeof out), "below the minimum 1"));
    assert_non_null(strstr(check(&r, "11", out, sizeof out), "above the maximum 10"));
}

static void bools_dates_datetimes(void **state)
{
    (void)state;
    char out[64];
    impex_field_rule b = rule(IMPEX_V_BOOL);
    assert_null(check(&b, "Yes", out, sizeof out));
    assert_string_equal(out, "true");
    assert_null(check(&b, "0", out, sizeof out));
    assert_string_equal(out, "false");
    assert_non_null(check(&b, "maybe", out, sizeof out));

    impex_field_rule d = rule(IMPEX_V_DATE);
    assert_null(check(&d, "2024-02-29", out, sizeof out));
    assert_non_null(check(&d, "2023-02-29", out, sizeof out));
    assert_non_null(check(&d, "2023-13-01", out, sizeof out));
    assert_non_null(check(&d, "24-01-01", out, sizeof out));

    impex_field_rule t = rule(IMPEX_V_DATETIME);
    const char *good[] = {"2026-11-24T10:00", "2026-11-24T10:00:59Z", "2026-11-24 10:00:00.123",
                          "2026-11-24T10:00:00+01:00"};
    for (size_t i = 0; i < 4; i++)
        assert_null(check(&t, good[i], out, sizeof out));
    const char *bad[] = {"2026-11-24", "2026-11-24T25:00", "2026-11-24T10:00:00+1", "yesterday"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(check(&t, bad[i], out, sizeof out));
}

static void text_rules(void **state)
{
    (void)state;
    char out[64];
    impex_field_rule r = rule(IMPEX_V_STRING);
    r.required = 1;
    assert_string_equal(check(&r, "", out, sizeof out), "required value is empty");
    r.maxlen = 3;
    assert_null(check(&r, "h\xc3\xa9h", out, sizeof out)); /* 3 characters, 4 bytes */
    assert_non_null(strstr(check(&r, "abcd", out, sizeof out), "longer than 3 characters"));
    r.maxlen = 0;
    char *allowed[] = {"Red", "Blue"};
    r.enums = allowed;
    r.nenums = 2;
    assert_null(check(&r, "Blue", out, sizeof out));
    assert_non_null(strstr(check(&r, "blue", out, sizeof out), "not one of the allowed values"));
    r.enums = NULL;
    r.has_pattern = 1;
    r.pattern_src = "[A-Z][0-9]+";
    assert_int_equal(regcomp(&r.pattern, "^([A-Z][0-9]+)$", REG_EXTENDED | REG_NOSUB), 0);
    assert_null(check(&r, "A12", out, sizeof out));
    assert_non_null(strstr(check(&r, "A12x", out, sizeof out), "does not match the pattern"));
    /* multi: every element is checked */
    r.multi = 1;
    assert_null(check(&r, "A1\rB2", out, sizeof out));
    assert_non_null(check(&r, "A1\rb2", out, sizeof out));
    regfree(&r.pattern);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimals_keep_digits_and_normalise),
        cmocka_unit_test(ints_and_ranges),
        cmocka_unit_test(bools_dates_datetimes),
        cmocka_unit_test(text_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
