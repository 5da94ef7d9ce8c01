/* The reference checks' key cache: it never says "present" for a key it
 * was not given (whatever collides), forgets on remove and clear, and
 * evicts instead of growing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/keycache.h"

static void add_has_remove(void **state)
{
    (void)state;
    impex_keycache *c = impex_keycache_new(8);
    assert_non_null(c);
    assert_false(impex_keycache_has(c, "Master\0SHOES", 12));
    impex_keycache_add(c, "Master\0SHOES", 12);
    assert_true(impex_keycache_has(c, "Master\0SHOES", 12));
    /* a prefix, a longer key, another part: different keys */
    assert_false(impex_keycache_has(c, "Master\0SHOE", 11));
    assert_false(impex_keycache_has(c, "Master\0SHOES\0", 13));
    assert_false(impex_keycache_has(c, "Master\0HATS", 11));
    impex_keycache_remove(c, "Master\0HATS", 11); /* not held: nothing happens */
    assert_true(impex_keycache_has(c, "Master\0SHOES", 12));
    impex_keycache_remove(c, "Master\0SHOES", 12);
    assert_false(impex_keycache_has(c, "Master\0SHOES", 12));
    impex_keycache_add(c, "", 0);
    assert_true(impex_keycache_has(c, "", 0));
    impex_keycache_free(c);
}

static void clear_forgets_everything(void **state)
{
    (void)state;
    impex_keycache *c = impex_keycache_new(4);
    assert_non_null(c);
    impex_keycache_add(c, "a", 1);
    impex_keycache_add(c, "b", 1);
    impex_keycache_clear(c);
    assert_false(impex_keycache_has(c, "a", 1));
    assert_false(impex_keycache_has(c, "b", 1));
    impex_keycache_add(c, "a", 1);
    assert_true(impex_keycache_has(c, "a", 1));
    impex_keycache_free(c);
}

static void long_keys_are_not_kept(void **state)
{
    (void)state;
    impex_keycache *c = impex_keycache_new(4);
    char k[IMPEX_KEYCACHE_KEY_MAX + 1];
    memset(k, 'x', sizeof k);
    impex_keycache_add(c, k, sizeof k);
    assert_false(impex_keycache_has(c, k, sizeof k));
    impex_keycache_add(c, k, IMPEX_KEYCACHE_KEY_MAX);
    assert_true(impex_keycache_has(c, k, IMPEX_KEYCACHE_KEY_MAX));
    impex_keycache_free(c);
}

/* Far more keys than slots: every key it claims was added, the last one
 * added is always there, and some earlier ones were evicted. */
static void bounded_and_exact(void **state)
{
    (void)state;
    impex_keycache *c = impex_keycache_new(6); /* 64 slots */
    char key[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof key, "Master%cP%07d", 0, i);
        impex_keycache_add(c, key, (size_t)n);
        assert_true(impex_keycache_has(c, key, (size_t)n));
    }
    int held = 0;
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(key, sizeof key, "Master%cP%07d", 0, i);
        int has = impex_keycache_has(c, key, (size_t)n);
        if (i >= 5000) assert_false(has);
        held += has;
    }
    assert_true(held > 0 && held <= 64);
    impex_keycache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_has_remove),
        cmocka_unit_test(clear_forgets_everything),
        cmocka_unit_test(long_keys_are_not_kept),
        cmocka_unit_test(bounded_and_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
