/* Record codec: version 2 round trip with a field dictionary, key references,
 * exact numbers, names outside the dictionary, version-1 records, corrupt
 * input, canonical bytes, composite keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"
#include "store/dict.h"

#define V(n, t, s)                                                                                 \
    {                                                                                              \
        n, sizeof n - 1, t, s, sizeof s - 1, 0                                                     \
    }

/* A stored list of the given strings, numbered 1.. in order. */
static void list_of(impex_buf *b, const char *const *s, size_t n)
{
    assert_int_equal(impex_buf_putc(b, 1), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(impex_buf_put_varint(b, strlen(s[i])), 0);
        assert_int_equal(impex_buf_puts(b, s[i]), 0);
    }
}

/* Dictionaries of the given names, and of the values Standard, None. */
static impex_dict *dict_of(const char *const *names, size_t n)
{
    static const char *const values[] = {"Standard", "None"};
    impex_buf b = {0}, v = {0};
    impex_dict *d;
    list_of(&b, names, n);
    list_of(&v, values, 2);
    assert_int_equal(
        impex_dict_parse((impex_slice){b.ptr, b.len}, (impex_slice){v.ptr, v.len}, &d, NULL), 0);
    impex_buf_free(&b);
    impex_buf_free(&v);
    return d;
}

static const char *const NAMES[] = {"Code", "Price", "Qty", "Taxable", "Tags", "Note",
                                    "Gone", "Day",   "Big", "Neg",     "Usage"};

/* Numbers every value whose name is in d. */
static void number(impex_value *v, size_t n, const impex_dict *d)
{
    for (size_t i = 0; i < n; i++)
        v[i].id = impex_dict_id(d, v[i].name, v[i].name_len);
}

static void round_trip_and_json(void **state)
{
    (void)state;
    impex_dict *d = dict_of(NAMES, 11);
    impex_value in[] = {
        V("Code", IMPEX_V_STRING, "00123"),
        V("Price", IMPEX_V_DECIMAL, "12.50"),
        V("Qty", IMPEX_V_INT, "-4"),
        V("Taxable", IMPEX_V_BOOL, "true"),
        V("Tags", IMPEX_V_LIST, "a\rb\"c"),
        V("Note", IMPEX_V_STRING, "line1\nline2 \xc3\xa9"),
        V("Gone", IMPEX_V_NULL, ""),
        V("Big", IMPEX_V_DECIMAL, "1234567890123456789.5"), /* 20 digits: kept as text */
        V("Neg", IMPEX_V_DECIMAL, "-0.05"),
        V("Usage", IMPEX_V_STRING, "Standard"), /* an enumerated value */
        V("Extra", IMPEX_V_STRING, "not in the dictionary"),
    };
    size_t nin = sizeof in / sizeof *in;
    number(in, nin, d);
    impex_slice key = {"M\0"
                       "00123",
                       7};
    impex_buf buf = {0}, json = {0};
    assert_int_equal(impex_codec_encode(d, in, nin, key, &buf), 0);
    assert_int_equal((unsigned char)buf.ptr[0], IMPEX_CODEC_VERSION);
    /* The key's part is referenced, not repeated; 12.50 is 3 bytes, true 1. */
    assert_null(memmem(buf.ptr, buf.len, "00123", 5));
    assert_null(memmem(buf.ptr, buf.len, "12.50", 5));
    assert_null(memmem(buf.ptr, buf.len, "Price", 5));
    assert_null(memmem(buf.ptr, buf.len, "Standard", 8));
    assert_non_null(memmem(buf.ptr, buf.len, "Extra", 5));
    impex_value *out;
    size_t n;
    assert_int_equal(impex_codec_decode(d, key, (impex_slice){buf.ptr, buf.len}, &out, &n, NULL),
                     0);
    assert_int_equal(n, nin);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].type, in[i].type);
        assert_int_equal(out[i].len, in[i].len);
        assert_memory_equal(out[i].ptr, in[i].ptr, in[i].len);
        assert_int_equal(out[i].name_len, in[i].name_len);
        assert_memory_equal(out[i].name, in[i].name, in[i].name_len);
        assert_int_equal(out[i].id, in[i].id);
    }
    free(out);
    assert_int_equal(impex_codec_to_json(d, key, (impex_slice){buf.ptr, buf.len}, &json, NULL), 0);
    assert_string_equal(
        json.ptr,
        "{\"Code\":\"00123\",\"Price\":12.50,\"Qty\":-4,\"Taxable\":true,"
        "\"Tags\":[\"a\",\"b\\\"c\"],\"Note\":\"line1\\nline2 \xc3\xa9\","
        "\"Gone\":null,\"Big\":1234567890123456789.5,\"Neg\":-0.05,\"Usage\":\"Standard\","
        "\"Extra\":\"not in the dictionary\"}");
    /* Without its dictionary a version-2 record cannot be named. */
    impex_err err;
    assert_int_equal(impex_codec_decode(NULL, key, (impex_slice){buf.ptr, buf.len}, &out, &n, &err),
                     IMPEX_EFORMAT);
    assert_non_null(strstr(err.msg, "dictionary"));
    impex_buf_free(&buf);
    impex_buf_free(&json);
    impex_dict_free(d);
}

/* Every int and decimal text comes back byte for byte, binary or not. */
static void numbers_are_exact(void **state)
{
    (void)state;
    static const char *const ints[] = {"0",
                                       "7",
                                       "-1",
                                       "63",
                                       "-64",
                                       "1000000",
                                       "-0",
                                       "007",
                                       "9223372036854775807",
                                       "-9223372036854775808",
                                       "+5"};
    static const char *const decs[] = {"0",
                                       "0.0",
                                       "0.05",
                                       "-0.05",
                                       "12.50",
                                       "100",
                                       "-0.00",
                                       "999999999999999999",
                                       "1.000000000000000000",
                                       "1e+21",
                                       "00.5",
                                       "123456789.123456789",
                                       ".5",
                                       "5."};
    impex_dict *d = dict_of(NAMES, 10);
    for (int pass = 0; pass < 2; pass++) {
        const char *const *texts = pass ? decs : ints;
        size_t count = pass ? sizeof decs / sizeof *decs : sizeof ints / sizeof *ints;
        for (size_t i = 0; i < count; i++) {
            impex_value v = {
                "Qty", 3, pass ? IMPEX_V_DECIMAL : IMPEX_V_INT, texts[i], strlen(texts[i]), 3};
            impex_buf b = {0};
            impex_value *out;
            size_t n;
            assert_int_equal(impex_codec_encode(d, &v, 1, (impex_slice){0}, &b), 0);
            assert_int_equal(impex_codec_decode(d, (impex_slice){0}, (impex_slice){b.ptr, b.len},
                                                &out, &n, NULL),
                             0);
            assert_int_equal(n, 1);
            assert_int_equal(out[0].type, v.type);
            if (out[0].len != v.len || memcmp(out[0].ptr, v.ptr, v.len))
                fail_msg("%s came back as %.*s", texts[i], (int)out[0].len, out[0].ptr);
            free(out);
            impex_buf_free(&b);
        }
    }
    impex_dict_free(d);
}

/* The same values give the same bytes whatever their order: change
 * detection compares records with memcmp. */
static void encoding_is_canonical(void **state)
{
    (void)state;
    impex_dict *d = dict_of(NAMES, 10);
    impex_value a[] = {V("Code", IMPEX_V_STRING, "x"), V("Day", IMPEX_V_DATE, "2024-01-31"),
                       V("Qty", IMPEX_V_INT, "3"), V("Z", IMPEX_V_STRING, "named")};
    impex_value b[] = {a[3], a[2], a[1], a[0]};
    number(a, 4, d);
    number(b, 4, d);
    impex_buf ea = {0}, eb = {0};
    assert_int_equal(impex_codec_encode(d, a, 4, (impex_slice){0}, &ea), 0);
    assert_int_equal(impex_codec_encode(d, b, 4, (impex_slice){0}, &eb), 0);
    assert_int_equal(ea.len, eb.len);
    assert_memory_equal(ea.ptr, eb.ptr, ea.len);
    impex_buf_free(&ea);
    impex_buf_free(&eb);
    impex_dict_free(d);
}

static void version_one_stays_readable(void **state)
{
    (void)state;
    /* Code = "A" (string), Price = 2.50 (decimal), as version 1 wrote them */
    static const char v1[] = {1,   2,   4,   'C', 'o', 'd', 'e', 1,   1,   'A', 5,
                              'P', 'r', 'i', 'c', 'e', 3,   4,   '2', '.', '5', '0'};
    impex_buf json = {0}, merged = {0};
    impex_dict *d = dict_of(NAMES, 10);
    assert_int_equal(
        impex_codec_to_json(NULL, (impex_slice){0}, (impex_slice){v1, sizeof v1}, &json, NULL), 0);
    assert_string_equal(json.ptr, "{\"Code\":\"A\",\"Price\":2.50}");
    /* An overlay writes version 2, matching a version-1 name to its number. */
    impex_value upd = {"Price", 5, IMPEX_V_DECIMAL, "3.00", 4, 2};
    impex_buf u = {0};
    assert_int_equal(impex_codec_encode(d, &upd, 1, (impex_slice){0}, &u), 0);
    assert_int_equal(impex_codec_overlay(d, (impex_slice){"A", 1}, (impex_slice){v1, sizeof v1},
                                         (impex_slice){u.ptr, u.len}, &merged, NULL),
                     0);
    assert_int_equal((unsigned char)merged.ptr[0], IMPEX_CODEC_VERSION);
    impex_buf_reset(&json);
    assert_int_equal(impex_codec_to_json(d, (impex_slice){"A", 1},
                                         (impex_slice){merged.ptr, merged.len}, &json, NULL),
                     0);
    assert_string_equal(json.ptr, "{\"Code\":\"A\",\"Price\":3.00}");
    impex_buf_free(&json);
    impex_buf_free(&merged);
    impex_buf_free(&u);
    impex_dict_free(d);
}

static void corrupt_records_are_refused(void **state)
{
    (void)state;
    impex_dict *d = dict_of(NAMES, 3);
    impex_value in[] = {{"Code", 4, IMPEX_V_STRING, "xyz", 3, 1},
                        {"Qty", 3, IMPEX_V_DECIMAL, "1.5", 3, 3}};
    impex_buf buf = {0};
    impex_err err;
    impex_value *out;
    size_t n;
    assert_int_equal(impex_codec_encode(d, in, 2, (impex_slice){0}, &buf), 0);
    for (size_t cut = 0; cut < buf.len; cut++)
        if (cut != 1 && cut != 5) /* no field, or just the first: valid records */
            assert_int_equal(impex_codec_decode(d, (impex_slice){0}, (impex_slice){buf.ptr, cut},
                                                &out, &n, &err),
                             IMPEX_EFORMAT);
    /* A field number past the dictionary names the dictionary's size. */
    impex_dict *small = dict_of(NAMES, 1);
    assert_int_equal(impex_codec_decode(small, (impex_slice){0}, (impex_slice){buf.ptr, buf.len},
                                        &out, &n, &err),
                     IMPEX_EFORMAT);
    assert_non_null(strstr(err.msg, "field number 3"));
    /* A key reference without the key. */
    static const char keyref[] = {2, (char)(0 << 6 | 1 << 3 | 6)};
    assert_int_equal(
        impex_codec_decode(d, (impex_slice){0}, (impex_slice){keyref, 2}, &out, &n, &err),
        IMPEX_EFORMAT);
    buf.ptr[0] = 9;
    assert_int_equal(
        impex_codec_decode(d, (impex_slice){0}, (impex_slice){buf.ptr, buf.len}, &out, &n, &err),
        IMPEX_EFORMAT);
    assert_non_null(strstr(err.msg, "unknown codec version 9"));
    impex_buf_free(&buf);
    impex_dict_free(d);
    impex_dict_free(small);
}

/* A batch holds a key and then its record: the key may move under the
 * encoder when the buffer grows. */
static void key_inside_the_output(void **state)
{
    (void)state;
    impex_dict *d = dict_of(NAMES, 11);
    impex_buf b = {0}, json = {0};
    impex_slice part = {"K-1", 3};
    assert_int_equal(impex_key_encode(&part, 1, &b), 0); /* 3 bytes: the next reserve moves it */
    char big[5000];
    memset(big, 'x', sizeof big);
    impex_value v[] = {{"Code", 4, IMPEX_V_STRING, "K-1", 3, 1},
                       {"Note", 4, IMPEX_V_STRING, big, sizeof big, 6}};
    assert_int_equal(impex_codec_encode(d, v, 2, (impex_slice){b.ptr, 3}, &b), 0);
    impex_slice key = {b.ptr, 3}, rec = {b.ptr + 3, b.len - 3};
    /* version, Code as a key reference (1 byte), a skip to Note, its 3-byte head */
    assert_int_equal(rec.len, 1 + 1 + 1 + 3 + sizeof big);
    assert_int_equal(impex_codec_to_json(d, key, rec, &json, NULL), 0);
    assert_memory_equal(json.ptr, "{\"Code\":\"K-1\",\"Note\":\"xxx", 25);
    impex_buf_free(&b);
    impex_buf_free(&json);
    impex_dict_free(d);
}

static void composite_keys(void **state)
{
    (void)state;
    impex_slice parts[] = {{"Master", 6}, {"P/1", 3}};
    impex_buf key = {0}, text = {0}, back = {0};
    assert_int_equal(impex_key_encode(parts, 2, &key), 0);
    assert_int_equal(key.len, 10);
    assert_memory_equal(key.ptr, "Master\0P/1", 10);
    impex_slice p1 = impex_key_part((impex_slice){key.ptr, key.len}, 1);
    assert_int_equal(p1.len, 3);
    assert_memory_equal(p1.ptr, "P/1", 3);
    assert_int_equal(impex_key_part((impex_slice){key.ptr, key.len}, 2).len, 0);
    assert_int_equal(impex_key_to_text((impex_slice){key.ptr, key.len}, &text), 0);
    assert_string_equal(text.ptr, "Master/P\\/1");
    assert_int_equal(impex_key_from_text(text.ptr, &back), 0);
    assert_int_equal(back.len, key.len);
    assert_memory_equal(back.ptr, key.ptr, key.len);
    impex_buf_free(&key);
    impex_buf_free(&text);
    impex_buf_free(&back);
}

/* overlay(existing, update) as JSON */
static void overlay_json(const impex_dict *d, impex_slice existing, const impex_value *upd,
                         size_t n, impex_buf *merged, char **json)
{
    impex_buf u = {0}, js = {0};
    assert_int_equal(impex_codec_encode(d, upd, n, (impex_slice){"A", 1}, &u), 0);
    assert_int_equal(impex_codec_overlay(d, (impex_slice){"A", 1}, existing,
                                         (impex_slice){u.ptr, u.len}, merged, NULL),
                     0);
    assert_int_equal(impex_codec_to_json(d, (impex_slice){"A", 1},
                                         (impex_slice){merged->ptr, merged->len}, &js, NULL),
                     0);
    *json = js.ptr;
    impex_buf_free(&u);
}

/* A NULL value in an update is a clear marker: the stored field goes, an
 * absent one stays absent (the same bytes: change detection sees no change),
 * other fields keep their values, and a NULL never ends up stored. */
static void overlay_clears_fields(void **state)
{
    (void)state;
    impex_dict *d = dict_of(NAMES, 11);
    impex_value stored[] = {{"Code", 4, IMPEX_V_STRING, "A", 1, 1},
                            {"Price", 5, IMPEX_V_DECIMAL, "2.50", 4, 2},
                            {"Note", 4, IMPEX_V_STRING, "fragile", 7, 6},
                            {"Extra", 5, IMPEX_V_STRING, "named", 5, 0}};
    impex_buf old = {0}, merged = {0};
    char *json;
    assert_int_equal(impex_codec_encode(d, stored, 4, (impex_slice){"A", 1}, &old), 0);
    impex_slice existing = {old.ptr, old.len};

    /* Clear Note, set Qty. */
    impex_value upd1[] = {{"Qty", 3, IMPEX_V_INT, "7", 1, 3}, {"Note", 4, IMPEX_V_NULL, "", 0, 6}};
    overlay_json(d, existing, upd1, 2, &merged, &json);
    assert_string_equal(json, "{\"Code\":\"A\",\"Price\":2.50,\"Qty\":7,\"Extra\":\"named\"}");
    free(json);

    /* Clearing fields that are not stored: the very bytes stored. */
    impex_value upd2[] = {{"Gone", 4, IMPEX_V_NULL, "", 0, 7},
                          {"Other", 5, IMPEX_V_NULL, "", 0, 0}};
    overlay_json(d, existing, upd2, 2, &merged, &json);
    assert_int_equal(merged.len, old.len);
    assert_memory_equal(merged.ptr, old.ptr, old.len);
    free(json);

    /* A field outside the dictionary is cleared by name. */
    impex_value upd3[] = {{"Extra", 5, IMPEX_V_NULL, "", 0, 0}};
    overlay_json(d, existing, upd3, 1, &merged, &json);
    assert_string_equal(json, "{\"Code\":\"A\",\"Price\":2.50,\"Note\":\"fragile\"}");
    free(json);

    /* Over an empty record (a new one) the markers leave nothing behind. */
    overlay_json(d, (impex_slice){"\x02", 1}, upd1, 2, &merged, &json);
    assert_string_equal(json, "{\"Qty\":7}");
    free(json);

    impex_buf_free(&old);
    impex_buf_free(&merged);
    impex_dict_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_and_json),
        cmocka_unit_test(numbers_are_exact),
        cmocka_unit_test(encoding_is_canonical),
        cmocka_unit_test(version_one_stays_readable),
        cmocka_unit_test(corrupt_records_are_refused),
        cmocka_unit_test(key_inside_the_output),
        cmocka_unit_test(composite_keys),
        cmocka_unit_test(overlay_clears_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
