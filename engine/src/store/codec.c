#include "store/codec.h"

#include <stdlib.h>
#include <string.h>

/* Hot path of every import: one reservation, then plain stores. */
int impex_codec_encode(const impex_value *vals, size_t n, impex_buf *out)
{
    size_t need = 1 + 10;
    for (size_t i = 0; i < n; i++)
        need += vals[i].name_len + vals[i].len + 21;
    if (impex_buf_reserve(out, need)) return IMPEX_ENOMEM;
    char *p = out->ptr + out->len;
    *p++ = IMPEX_CODEC_VERSION;
    p = impex_put_varint(p, n);
    for (size_t i = 0; i < n; i++) {
        p = impex_put_varint(p, vals[i].name_len);
        memcpy(p, vals[i].name, vals[i].name_len);
        p += vals[i].name_len;
        *p++ = (char)vals[i].type;
        p = impex_put_varint(p, vals[i].len);
        memcpy(p, vals[i].ptr, vals[i].len);
        p += vals[i].len;
    }
    out->len = (size_t)(p - out->ptr);
    out->ptr[out->len] = '\0';
    return IMPEX_OK;
}

int impex_codec_decode(impex_slice rec, impex_value **vals, size_t *n, impex_err *err)
{
    const char *p = rec.ptr, *end = rec.ptr + rec.len;
    uint64_t count;
    *vals = NULL;
    *n = 0;
    if (rec.len < 2 || *p != IMPEX_CODEC_VERSION)
        return impex_err_set(err, IMPEX_EFORMAT, "record: unknown codec version %d",
                             rec.len ? (unsigned char)*p : -1);
    p++;
    if (impex_get_varint(&p, end, &count) || count > rec.len)
        return impex_err_set(err, IMPEX_EFORMAT, "record: corrupt field count");
    impex_value *v = calloc(count ? count : 1, sizeof *v);
    if (!v) return impex_err_set(err, IMPEX_ENOMEM, "record: out of memory");
    for (uint64_t i = 0; i < count; i++) {
        uint64_t len;
        if (impex_get_varint(&p, end, &len) || len > (uint64_t)(end - p)) goto corrupt;
        v[i].name = p;
        v[i].name_len = len;
        p += len;
        if (p >= end || (unsigned char)*p > IMPEX_V_LIST) goto corrupt;
        v[i].type = (impex_vtype)*p++;
        if (impex_get_varint(&p, end, &len) || len > (uint64_t)(end - p)) goto corrupt;
        v[i].ptr = p;
        v[i].len = len;
        p += len;
    }
    if (p != end) goto corrupt;
    *vals = v;
    *n = count;
    return IMPEX_OK;
corrupt:
    free(v);
    return impex_err_set(err, IMPEX_EFORMAT, "record: corrupt encoding");
}

static int put_list_json(impex_buf *out, const char *s, size_t len)
{
    if (impex_buf_putc(out, '[')) return IMPEX_ENOMEM;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '\r') continue;
        if (start && impex_buf_putc(out, ',')) return IMPEX_ENOMEM;
        if (impex_buf_put_json_string(out, s + start, i - start)) return IMPEX_ENOMEM;
        start = i + 1;
    }
    return impex_buf_putc(out, ']');
}

/* A bool is true/false; an int or decimal is JSON's number grammar, which
 * the rules' normalised form and map's numbers always meet. */
static int json_literal(impex_vtype t, const char *p, size_t n)
{
    if (t == IMPEX_V_BOOL)
        return (n == 4 && !memcmp(p, "true", 4)) || (n == 5 && !memcmp(p, "false", 5));
    size_t i = n && p[0] == '-';
    size_t digits = i;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    if (i == digits || (i - digits > 1 && p[digits] == '0')) return 0;
    if (i < n && p[i] == '.') {
        size_t f = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == f) return 0;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) { /* map may store 1e+21 */
        i += i + 1 < n && (p[i + 1] == '+' || p[i + 1] == '-') ? 2 : 1;
        size_t x = i;
        int e = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && e < 1000)
            e = e * 10 + (p[i++] - '0');
        if (i == x || e > 300) return 0; /* a double's range: what map can store */
    }
    return i == n;
}

int impex_codec_to_json(impex_slice rec, impex_buf *out, impex_err *err)
{
    impex_value *v;
    size_t n;
    int rc = impex_codec_decode(rec, &v, &n, err);
    if (rc) return rc;
    rc = impex_buf_putc(out, '{');
    for (size_t i = 0; i < n && !rc; i++) {
        if (memchr(v[i].name, '\0', v[i].name_len)) { /* descriptors' names never hold one */
            free(v);
            return impex_err_set(err, IMPEX_EFORMAT, "record is damaged: a field name holds a NUL");
        }
        if (i) rc = impex_buf_putc(out, ',');
        if (!rc) rc = impex_buf_put_json_string(out, v[i].name, v[i].name_len);
        if (!rc) rc = impex_buf_putc(out, ':');
        if (rc) break;
        switch (v[i].type) {
        case IMPEX_V_NULL:
            rc = impex_buf_puts(out, "null");
            break;
        case IMPEX_V_INT:
        case IMPEX_V_DECIMAL:
        case IMPEX_V_BOOL:
            /* Written as bare JSON: only if the bytes are what the rules store. */
            if (!json_literal(v[i].type, v[i].ptr, v[i].len)) {
                impex_err_set(err, IMPEX_EFORMAT,
                              "record is damaged: field %.*s holds '%.*s', not a %s",
                              (int)(v[i].name_len > 64 ? 64 : v[i].name_len), v[i].name,
                              (int)(v[i].len > 64 ? 64 : v[i].len), v[i].ptr,
                              v[i].type == IMPEX_V_BOOL ? "boolean" : "number");
                free(v);
                return IMPEX_EFORMAT;
            }
            rc = impex_buf_append(out, v[i].ptr, v[i].len);
            break;
        case IMPEX_V_LIST:
            rc = put_list_json(out, v[i].ptr, v[i].len);
            break;
        default:
            rc = impex_buf_put_json_string(out, v[i].ptr, v[i].len);
        }
    }
    if (!rc) rc = impex_buf_putc(out, '}');
    free(v);
    if (rc) return impex_err_set(err, rc, "record: out of memory");
    return IMPEX_OK;
}

int impex_key_encode(const impex_slice *parts, size_t n, impex_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (i && impex_buf_putc(out, '\0')) return IMPEX_ENOMEM;
        if (impex_buf_append(out, parts[i].ptr, parts[i].len)) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}

/* Text form: parts joined by '/'; a '/' or '\' inside a part is escaped with '\'. */
int impex_key_to_text(impex_slice key, impex_buf *out)
{
    for (size_t i = 0; i < key.len; i++) {
        char c = key.ptr[i];
        int rc;
        if (c == '\0')
            rc = impex_buf_putc(out, '/');
        else if (c == '/' || c == '\\')
            rc = impex_buf_putc(out, '\\') || impex_buf_putc(out, c);
        else
            rc = impex_buf_putc(out, c);
        if (rc) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}

int impex_key_from_text(const char *text, impex_buf *out)
{
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (c == '\\' && p[1])
            c = *++p;
        else if (c == '/')
            c = '\0';
        if (impex_buf_putc(out, c)) return IMPEX_ENOMEM;
    }
    return IMPEX_OK;
}
