/* Field rules in C: types, normalisation, ranges, enums, patterns, lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/rules.h"

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
    const char *good[] = {"2026-11-24T10:00",         "2026-11-24T10:00:59Z",
                          "2026-11-24 10:00:00.123",  "2026-11-24T10:00:00+01:00",
                          "2026-11-24T10:00:00-0530", "2026-11-24T10:00+0000"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (check(&t, good[i], out, sizeof out)) fail_msg("%s rejected", good[i]);
    const char *bad[] = {"2026-11-24",
                         "2026-11-24T25:00",
                         "2026-11-24T10:00:00+1",
                         "yesterday",
                         "2026-11-24T10:00+25:00",
                         "2026-11-24T10:00+0160",
                         "2026-11-24T10:00+01:0",
                         "2026-11-24T10:00.5",
                         "2026-11-24T10:00:00.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (!check(&t, bad[i], out, sizeof out)) fail_msg("%s accepted", bad[i]);
    /* The one definition map results use too. */
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(impex_schema_is_datetime(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(impex_schema_is_datetime(bad[i], strlen(bad[i])));
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

/* A NUL inside a value is part of it: the regex path (REG_STARTEND) and
 * the table path agree, and neither lets "12345\0DROP" pass as 5 digits. */
static void nul_in_values(void **state)
{
    (void)state;
    static const char value[] = "12345\0DROP";
    impex_rule_scratch scratch;
    impex_value out;
    impex_err err;
    impex_field_rule re = rule(IMPEX_V_STRING), table = rule(IMPEX_V_STRING);
    re.has_pattern = table.has_pattern = 1;
    re.pattern_src = "[0-9]{5}";
    table.pattern_src = "[0-9][0-9][0-9][0-9][0-9]";
    assert_int_equal(regcomp(&re.pattern, "^([0-9]{5})$", REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(
        regcomp(&table.pattern, "^([0-9][0-9][0-9][0-9][0-9])$", REG_EXTENDED | REG_NOSUB), 0);
    assert_false(impex_pattern_compile(re.pattern_src, &re.simple));
    assert_true(table.has_simple = impex_pattern_compile(table.pattern_src, &table.simple));
    impex_field_rule *both[] = {&re, &table};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(impex_rule_check(both[i], value, sizeof value - 1, &scratch, &out, &err),
                         IMPEX_EREJECT);
        assert_int_equal(impex_rule_check(both[i], value, 5, &scratch, &out, &err), 0);
        /* Not NUL-terminated: the match is on the given length. */
        assert_int_equal(impex_rule_check(both[i], "123456", 5, &scratch, &out, &err), 0);
        assert_int_equal(impex_rule_check(both[i], "1234x", 5, &scratch, &out, &err),
                         IMPEX_EREJECT);
    }
    regfree(&re.pattern);
    regfree(&table.pattern);
}

/* What map returns, in the codec's text form, passes the import checks. */
static void codec_values(void **state)
{
    (void)state;
    impex_rule_scratch scratch;
    impex_value out;
    impex_err err;
    static const struct {
        impex_vtype rule, type;
        const char *text, *want; /* want NULL: rejected */
    } cases[] = {
        {IMPEX_V_INT, IMPEX_V_INT, "-42", "-42"},
        {IMPEX_V_INT, IMPEX_V_STRING, "007", "7"},
        {IMPEX_V_INT, IMPEX_V_DECIMAL, "1.5", NULL},
        {IMPEX_V_INT, IMPEX_V_INT, "99999999999999999999", NULL},
        {IMPEX_V_DECIMAL, IMPEX_V_DECIMAL, "0.30000000000000004", "0.30000000000000004"},
        {IMPEX_V_DECIMAL, IMPEX_V_INT, "3", "3"},
        {IMPEX_V_BOOL, IMPEX_V_BOOL, "false", "false"},
        {IMPEX_V_DATE, IMPEX_V_DATE, "2024-02-29", "2024-02-29"},
        {IMPEX_V_DATETIME, IMPEX_V_DATETIME, "2024-02-29T10:00+0100", "2024-02-29T10:00+0100"},
        {IMPEX_V_DATE, IMPEX_V_STRING, "2024-02-30", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        impex_field_rule r = rule(cases[i].rule);
        r.has_max = cases[i].rule == IMPEX_V_INT || cases[i].rule == IMPEX_V_DECIMAL;
        r.max = 1e30;
        /* Followed by other bytes, as inside an encoded record. */
        char buf[64];
        snprintf(buf, sizeof buf, "%s999", cases[i].text);
        impex_value in = {"F", 1, cases[i].type, buf, strlen(cases[i].text), 0};
        int rc = impex_rule_check_value(&r, &in, &scratch, &out, &err);
        if (!cases[i].want) {
            if (rc != IMPEX_EREJECT) fail_msg("%s accepted", cases[i].text);
            continue;
        }
        if (rc) fail_msg("%s: %s", cases[i].text, err.msg);
        assert_int_equal(out.len, strlen(cases[i].want));
        assert_memory_equal(out.ptr, cases[i].want, out.len);
    }
    impex_field_rule list = rule(IMPEX_V_STRING);
    list.multi = 1;
    list.maxlen = 2;
    impex_value l = {"F", 1, IMPEX_V_LIST, "ab\rc", 4, 0};
    assert_int_equal(impex_rule_check_value(&list, &l, &scratch, &out, &err), 0);
    assert_int_equal(out.type, IMPEX_V_LIST);
    l.ptr = "ab\rcde";
    l.len = 6;
    assert_int_equal(impex_rule_check_value(&list, &l, &scratch, &out, &err), IMPEX_EREJECT);
    impex_value none = {"F", 1, IMPEX_V_NULL, NULL, 0, 0};
    list.required = 1;
    assert_int_equal(impex_rule_check_value(&list, &none, &scratch, &out, &err), IMPEX_EREJECT);
}

/* multi = "<separator>" with an escape: the split rule of README "CSV
 * dialects", element by element, stored CR-joined. */
static void separated_lists(void **state)
{
    (void)state;
    impex_field_rule r = rule(IMPEX_V_STRING);
    r.multi = 1;
    r.multi_sep = ", ";
    r.escape = '\\';
    static const struct {
        const char *in, *want; /* want NULL: rejected */
    } cases[] = {
        {"a, b", "a\rb"},     {"a, b\\, c, d\\\\e", "a\rb, c\rd\\e"},
        {"a,b", "a,b"},       /* only the whole separator splits */
        {"a, , b", "a\r\rb"}, /* empty elements are kept */
        {"a, ", "a\r"},       /* so is a last empty one */
        {"x\\y\\", "x\\y\\"}, /* another escape, or one at the end: as is */
        {"a\\,b", "a\\,b"},   /* escape + the separator's first char only */
        {"a\rb, c", NULL},    /* a CR inside an element */
    };
    impex_rule_scratch scratch;
    memset(&scratch, 0, sizeof scratch);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        impex_value v = {.name = "F", .name_len = 1};
        impex_err err;
        impex_err_clear(&err);
        int rc = impex_rule_check(&r, cases[i].in, strlen(cases[i].in), &scratch, &v, &err);
        if (!cases[i].want) {
            assert_int_equal(rc, IMPEX_EREJECT);
            assert_string_equal(err.msg, "list element 1 holds a carriage return");
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(v.type, IMPEX_V_LIST);
        assert_int_equal(v.len, strlen(cases[i].want));
        assert_memory_equal(v.ptr, cases[i].want, v.len);
    }
    /* Each element is checked: maxlen 2 holds for "ab" but not "abc". */
    r.maxlen = 2;
    impex_value v = {.name = "F", .name_len = 1};
    impex_err err;
    assert_int_equal(impex_rule_check(&r, "ab, abc", 7, &scratch, &v, &err), IMPEX_EREJECT);
    /* A stored list (from map) stays CR-separated whatever the separator. */
    impex_value in = {"F", 1, IMPEX_V_LIST, "ab\rcd", 5, 0};
    assert_int_equal(impex_rule_check_value(&r, &in, &scratch, &v, &err), 0);
    assert_int_equal(v.len, 5);
    impex_rule_scratch_free(&scratch, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimals_keep_digits_and_normalise),
        cmocka_unit_test(ints_and_ranges),
        cmocka_unit_test(bools_dates_datetimes),
        cmocka_unit_test(text_rules),
        cmocka_unit_test(nul_in_values),
        cmocka_unit_test(codec_values),
        cmocka_unit_test(separated_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
