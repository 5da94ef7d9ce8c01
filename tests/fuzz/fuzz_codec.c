/* The record decoder reads bytes from the store that may be damaged: any
 * input (either version, read with a fixed dictionary and key) is refused
 * with IMPEX_EFORMAT or decodes into values that lie inside it, the
 * dictionary or the key, render as one valid JSON object (or are refused as
 * damaged), and encode back to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"
#include "store/dict.h"

#include <jansson.h>

static void check(int ok)
{
    if (!ok) __builtin_trap();
}

static int inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
    const uint8_t *q = p;
    return n == 0 || (q >= data && q + n <= data + size);
}

/* Whether p is one of dict's values. */
static int a_value(const impex_dict *dict, const char *p)
{
    impex_slice v;
    for (uint64_t id = 1; impex_dict_value(dict, id, &v); id++)
        if (v.ptr == p) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy: a read past the end is then an ASan error, not luck. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    impex_slice rec = {(const char *)copy, size};
    static const char names[] = "\x01\x04"
                                "Code\x05"
                                "Price\x01"
                                "Q\x03"
                                "Tag\x00\x02"
                                "Zz";
    static const char keyb[] = "Master\0"
                               "P-1";
    impex_slice key = {keyb, sizeof keyb - 1};
    impex_dict *dict = NULL;
    static const char values[] = "\x01\x08"
                                 "Standard\x04"
                                 "None\x00";
    check(impex_dict_parse((impex_slice){names, sizeof names - 1},
                           (impex_slice){values, sizeof values - 1}, &dict, NULL) == 0);

    impex_value *vals = NULL;
    size_t n = 0;
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_codec_decode(dict, key, rec, &vals, &n, &err);
    impex_buf json = {0};
    impex_err jerr;
    impex_err_clear(&jerr);
    int jrc = impex_codec_to_json(dict, key, rec, &json, &jerr);
    if (rc) {
        check(rc == IMPEX_EFORMAT && err.code == rc && err.msg[0]);
        check(jrc != 0); /* the renderer refuses what the decoder refuses */
    } else {
        /* impex get/dump print this: one valid JSON object, or a refusal
         * (a number or boolean whose bytes are not what the rules store). */
        check(jrc == 0 || (jrc == IMPEX_EFORMAT && jerr.msg[0]));
        if (jrc == 0) {
            /* Decimals keep every digit: valid JSON that a double (or
             * jansson's integer) cannot hold is still valid JSON. */
            json_error_t jerr2;
            json_t *parsed = json_loadb(json.ptr, json.len, JSON_ALLOW_NUL, &jerr2);
            check((parsed && json_is_object(parsed)) || strstr(jerr2.text, "overflow") ||
                  strstr(jerr2.text, "too big"));
            json_decref(parsed);
        }
        for (size_t i = 0; i < n; i++) {
            impex_slice nm;
            check(inside(vals[i].name, vals[i].name_len, copy, size) ||
                  (impex_dict_name(dict, vals[i].id, &nm) && nm.ptr == vals[i].name));
            check(inside(vals[i].ptr, vals[i].len, copy, size) ||
                  inside(vals[i].ptr, vals[i].len, (const uint8_t *)keyb, sizeof keyb - 1) ||
                  inside(vals[i].ptr, vals[i].len, (const uint8_t *)(vals + n), 48 * n) ||
                  a_value(dict, vals[i].ptr) ||
                  (vals[i].type == IMPEX_V_BOOL || vals[i].type == IMPEX_V_NULL));
            check(vals[i].type <= IMPEX_V_LIST);
        }
        /* Version 1 keeps its field order when written by name. */
        for (size_t i = 0; size && copy[0] == IMPEX_CODEC_V1 && i < n; i++)
            vals[i].id = 0;
        impex_buf again = {0};
        check(impex_codec_encode(dict, vals, n, key, &again) == 0);
        /* Varints may be over-long in the input; the re-encoding is canonical,
         * so compare by decoding it. */
        impex_value *vals2 = NULL;
        size_t n2 = 0;
        check(impex_codec_decode(dict, key, (impex_slice){again.ptr, again.len}, &vals2, &n2,
                                 &err) == 0);
        check(n2 == n);
        for (size_t i = 0; i < n; i++) {
            check(vals2[i].type == vals[i].type && vals2[i].len == vals[i].len);
            check(vals2[i].name_len == vals[i].name_len);
            check(!vals[i].name_len || !memcmp(vals2[i].name, vals[i].name, vals[i].name_len));
            check(!vals[i].len || !memcmp(vals2[i].ptr, vals[i].ptr, vals[i].len));
        }
        free(vals2);
        free(again.ptr);
    }
    free(vals);
    free(json.ptr);
    free(copy);
    impex_dict_free(dict);
    return 0;
}
