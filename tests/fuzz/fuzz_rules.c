/* Field rules over untrusted values: every type, with and without bounds,
 * must accept or reject without crashing, and what it accepts must be a
 * canonical form that passes the same rule again unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/rules.h"

static void check(int ok)
{
    if (!ok) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const impex_vtype types[] = {IMPEX_V_STRING, IMPEX_V_INT,  IMPEX_V_DECIMAL,
                                        IMPEX_V_BOOL,   IMPEX_V_DATE, IMPEX_V_DATETIME};
    impex_field_rule r;
    memset(&r, 0, sizeof r);
    r.name = "F";
    r.type = types[data[0] % 6];
    r.has_min = data[0] & 0x08;
    r.has_max = data[0] & 0x10;
    r.min = -5;
    r.max = 1e6;
    r.maxlen = data[0] & 0x20 ? 8 : 0;
    r.multi = r.type == IMPEX_V_STRING && (data[0] & 0x40);
    char *value = malloc(size);
    if (!value) return 0;
    memcpy(value, data + 1, size - 1);
    value[size - 1] = '\0';
    size_t len = strlen(value); /* fields reach the rules NUL-terminated */

    impex_rule_scratch scratch;
    impex_value out = {.name = "F", .name_len = 1};
    impex_err err;
    impex_err_clear(&err);
    if (impex_rule_check(&r, value, len, &scratch, &out, &err) == 0 && out.type != IMPEX_V_NULL &&
        !r.multi) {
        /* Normalising is idempotent. */
        char *again = strndup(out.ptr, out.len);
        impex_rule_scratch scratch2;
        impex_value out2 = {.name = "F", .name_len = 1};
        check(again && impex_rule_check(&r, again, out.len, &scratch2, &out2, &err) == 0);
        check(out2.len == out.len && memcmp(out2.ptr, out.ptr, out.len) == 0);
        free(again);
    } else if (err.code) {
        check(err.code == IMPEX_EREJECT && err.msg[0]);
    }
    free(value);
    return 0;
}
