/* The descriptor key refs as loaded into C: fields resolved to indexes
 * (case-insensitively, as columns are), name defaulting to the resource,
 * and every mistake refused naming the file and the entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/descriptor.h"
#include "lua/sandbox.h"

typedef struct fixture {
    char root[4096];
    impex_lua *X;
    impex_err err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *src = getenv("IMPEX_SOURCE_ROOT");
    snprintf(f->root, sizeof f->root, "%s/tests/data/lua", src ? src : ".");
    assert_int_equal(impex_lua_new(f->root, NULL, &f->X, &f->err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    impex_lua_free(f->X);
    free(f);
    return 0;
}

static void parsed(void **state)
{
    fixture *f = *state;
    impex_descriptor *d = NULL;
    assert_int_equal(impex_descriptor_load(f->X, "descriptors/refs/good.lua", &d, &f->err), 0);
    assert_int_equal(d->nrefs, 2);
    assert_string_equal(d->refs[0].resource, "Products");
    assert_string_equal(d->refs[0].name, "Products");
    assert_int_equal(d->refs[0].nfields, 2);
    assert_int_equal(d->refs[0].fields[0], 1); /* Cat */
    assert_int_equal(d->refs[0].fields[1], 2); /* Code */
    assert_string_equal(d->refs[1].name, "location");
    assert_string_equal(d->refs[1].resource, "Locations");
    assert_int_equal(d->refs[1].nfields, 1);
    assert_int_equal(d->refs[1].fields[0], 0); /* "loc" names Loc */
    impex_descriptor_free(d);
}

static void refused(void **state)
{
    static const struct {
        const char *file, *msg;
    } cases[] = {
        {"unknown_field", "refs[1]: field 'C' is not one of the fields"},
        {"no_resource", "refs[1]: 'resource' is missing"},
        {"not_list", "'refs' must be a non-empty list of { resource = ..., fields = ... }"},
        {"typo", "refs[1]: unknown key 'field' (did you mean 'fields'?)"},
        {"no_fields", "refs[1]: 'fields' must be a list of 1 to 16 field names"},
    };
    fixture *f = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128], want[256];
        snprintf(path, sizeof path, "descriptors/refs/%s.lua", cases[i].file);
        snprintf(want, sizeof want, "%s: %s", path, cases[i].msg);
        impex_descriptor *d = NULL;
        impex_err_clear(&f->err);
        int rc = impex_descriptor_load(f->X, path, &d, &f->err);
        if (rc != IMPEX_EDESC || strcmp(f->err.msg, want))
            fail_msg("%s: got %d '%s', expected '%s'", path, rc, f->err.msg, want);
        assert_null(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
