/* Record codec v1: round trip, JSON rendering, corrupt input, composite keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"

#define V(n, t, s)                                                                                 \
    {                                                                                              \
        n, sizeof n - 1, t, s, sizeof s - 1                                                        \
    }

static void round_trip_and_json(void **state)
{
    (void)state;
    impex_value in[] = {
        V("Code", IMPEX_V_STRING, "00123"), V("Price", IMPEX_V_DECIMAL, "12.50"),
        V("Qty", IMPEX_V_INT, "-4"),        V("Taxable", IMPEX_V_BOOL, "true"),
        V("Tags", IMPEX_V_LIST, "a\rb\"c"), V("Note", IMPEX_V_STRING, "line1\nline2 \xc3\xa9"),
        V("Gone", IMPEX_V_NULL, ""),
    };
    impex_buf buf = {0}, json = {0};
    assert_int_equal(impex_codec_encode(in, 7, &buf), 0);
    assert_int_equal((unsigned char)buf.ptr[0], IMPEX_CODEC_VERSION);
    impex_value *out;
    size_t n;
    assert_int_equal(impex_codec_decode((impex_slice){buf.ptr, buf.len}, &out, &n, NULL), 0);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].type, in[i].type);
        assert_int_equal(out[i].len, in[i].len);
        assert_memory_equal(out[i].ptr, in[i].ptr, in[i].len);
        assert_memory_equal(out[i].name, in[i].name, in[i].name_len);
    }
    free(out);
    assert_int_equal(impex_codec_to_json((impex_slice){buf.ptr, buf.len}, &json, NULL), 0);
    assert_string_equal(json.ptr, "{\"Code\":\"00123\",\"Price\":12.50,\"Qty\":-4,\"Taxable\":true,"
                                  "\"Tags\":[\"a\",\"b\\\"c\"],\"Note\":\"line1\\nline2 \xc3\xa9\","
                                  "\"Gone\":null}");
    impex_buf_free(&buf);
    impex_buf_free(&json);
}

static void corrupt_records_are_refused(void **state)
{
    (void)state;
    impex_value in[] = {V("A", IMPEX_V_STRING, "xyz")};
    impex_buf buf = {0};
    impex_err err;
    impex_value *out;
    size_t n;
    assert_int_equal(impex_codec_encode(in, 1, &buf), 0);
    for (size_t cut = 0; cut < buf.len; cut++)
        assert_int_equal(impex_codec_decode((impex_slice){buf.ptr, cut}, &out, &n, &err),
                         IMPEX_EFORMAT);
    buf.ptr[0] = 9;
    assert_int_equal(impex_codec_decode((impex_slice){buf.ptr, buf.len}, &out, &n, &err),
                     IMPEX_EFORMAT);
    assert_non_null(strstr(err.msg, "unknown codec version 9"));
    impex_buf_free(&buf);
}

static void composite_keys(void **state)
{
    (void)state;
    impex_slice parts[] = {{"Master", 6}, {"P/1", 3}};
    impex_buf key = {0}, text = {0}, back = {0};
    assert_int_equal(impex_key_encode(parts, 2, &key), 0);
    assert_int_equal(key.len, 10);
    assert_memory_equal(key.ptr, "Master\0P/1", 10);
    assert_int_equal(impex_key_to_text((impex_slice){key.ptr, key.len}, &text), 0);
    assert_string_equal(text.ptr, "Master/P\\/1");
    assert_int_equal(impex_key_from_text(text.ptr, &back), 0);
    assert_int_equal(back.len, key.len);
    assert_memory_equal(back.ptr, key.ptr, key.len);
    impex_buf_free(&key);
    impex_buf_free(&text);
    impex_buf_free(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_and_json),
        cmocka_unit_test(corrupt_records_are_refused),
        cmocka_unit_test(composite_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
