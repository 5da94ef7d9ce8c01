/* The simple-pattern fast path agrees with POSIX regexec, value for value,
 * and declines every pattern it cannot match exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pattern.h"

static const char *const simple[] = {
    "[A-Za-z0-9][A-Za-z0-9_.-]*",
    "[0-9]*",
    "[0-9]+",
    "SKU-[0-9][0-9]*",
    "[^,;]+",
    "[]a]x",
    "[a-]+",
    "[-a]b",
    "abc",
    "[A-Z][A-Z][A-Z]",
    "a/b[.]c*",
};
static const char *const not_simple[] = {
    "a|b", "(ab)+", "[0-9]{3}", "a*b", "[[:alpha:]]+", ".*", "x?", "a\\.b", "[z-a]", "^a", "",
};

static void shapes(void **state)
{
    (void)state;
    impex_simple_pattern p;
    for (size_t i = 0; i < sizeof simple / sizeof *simple; i++)
        assert_true(impex_pattern_compile(simple[i], &p));
    for (size_t i = 0; i < sizeof not_simple / sizeof *not_simple; i++)
        if (impex_pattern_compile(not_simple[i], &p)) fail_msg("took '%s'", not_simple[i]);
}

static void agrees_with_regexec(void **state)
{
    (void)state;
    static const char alphabet[] = "aAzZ09_.-,;]x/bcSKU \t\xc3\xa9";
    char value[16], anchored[128];
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof simple / sizeof *simple; i++) {
        impex_simple_pattern p;
        regex_t re;
        assert_true(impex_pattern_compile(simple[i], &p));
        snprintf(anchored, sizeof anchored, "^(%s)$", simple[i]);
        assert_int_equal(regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB), 0);
        for (int n = 0; n < 20000; n++) {
            seed = seed * 1103515245u + 12345u;
            size_t len = (seed >> 16) % 8;
            for (size_t k = 0; k < len; k++) {
                seed = seed * 1103515245u + 12345u;
                value[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
            }
            value[len] = '\0';
            int want = regexec(&re, value, 0, NULL, 0) == 0;
            if (impex_pattern_match(&p, value, len) != want)
                fail_msg("pattern '%s' on '%s': regexec says %d", simple[i], value, want);
        }
        regfree(&re);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shapes),
        cmocka_unit_test(agrees_with_regexec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
