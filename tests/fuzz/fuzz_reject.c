/* Rejected-row records come back from the store, which may be damaged:
 * decoding any bytes must fail cleanly or give slices inside the input,
 * and what decodes must encode back to a record that decodes the same. */
#include "store/reject.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok)
{
    if (!ok) abort();
}

static int inside(impex_slice s, const uint8_t *data, size_t size)
{
    return !s.ptr ||
           ((const uint8_t *)s.ptr >= data && (const uint8_t *)s.ptr + s.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    impex_reject r;
    if (impex_reject_decode((impex_slice){(const char *)data, size}, &r, NULL)) return 0;
    check(inside(r.file, data, size) && inside(r.column, data, size) &&
          inside(r.value, data, size) && inside(r.reason, data, size));
    for (size_t i = 0; i < r.nfields; i++)
        check(inside(r.fields[i], data, size) && r.fields[i].len <= r.field_len[i]);
    size_t kept = 0;
    for (size_t i = 0; i < r.nfields; i++)
        kept += r.fields[i].len;
    if (kept > IMPEX_REJECT_KEEP_FIELDS) { /* re-encoding would cut it again */
        impex_reject_free(&r);
        return 0;
    }
    impex_buf again = {0};
    impex_reject copy = r;
    check(impex_reject_encode(&copy, &again) == 0);
    impex_reject back;
    check(impex_reject_decode((impex_slice){again.ptr, again.len}, &back, NULL) == 0);
    check(back.nfields == r.nfields && back.row == r.row && back.step == r.step);
    for (size_t i = 0; i < r.nfields; i++)
        check(back.fields[i].len == r.fields[i].len &&
              !memcmp(back.fields[i].ptr, r.fields[i].ptr, r.fields[i].len));
    impex_reject_free(&back);
    impex_buf_free(&again);
    impex_reject_free(&r);
    return 0;
}
