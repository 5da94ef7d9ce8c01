#include "core/buf.h"
#include "core/error.h"
#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int impex_buf_reserve(impex_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len) return IMPEX_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return IMPEX_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->ptr, cap);
    if (!p) return IMPEX_ENOMEM;
    b->ptr = p;
    b->cap = cap;
    return IMPEX_OK;
}

int impex_buf_append(impex_buf *b, const void *data, size_t len)
{
    if (impex_buf_reserve(b, len)) return IMPEX_ENOMEM;
    if (len) memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return IMPEX_OK;
}

int impex_buf_putc(impex_buf *b, char c)
{
    return impex_buf_append(b, &c, 1);
}

int impex_buf_puts(impex_buf *b, const char *s)
{
    return impex_buf_append(b, s, strlen(s));
}

int impex_buf_printf(impex_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return IMPEX_EUSAGE;
    if (impex_buf_reserve(b, (size_t)n)) return IMPEX_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return IMPEX_OK;
}

int impex_buf_put_varint(impex_buf *b, uint64_t v)
{
    char tmp[10];
    return impex_buf_append(b, tmp, (size_t)(impex_put_varint(tmp, v) - tmp));
}

int impex_get_varint(const char **p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *q = *p;
    for (int shift = 0; shift < 70; shift += 7) {
        if (q >= end) return -1;
        unsigned char byte = (unsigned char)*q++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *p = q;
            *out = v;
            return 0;
        }
    }
    return -1;
}

int impex_buf_put_json_string(impex_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (impex_buf_reserve(b, len + 2)) return IMPEX_ENOMEM;
    b->ptr[b->len++] = '"';
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            size_t j = i;
            while (j < len && (unsigned char)s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' &&
                   (unsigned char)s[j] < 0x80)
                j++;
            if (impex_buf_append(b, s + i, j - i)) return IMPEX_ENOMEM;
            i = j;
            continue;
        }
        if (c >= 0x80) {
            size_t n = impex_utf8_seq_len(s + i, len - i);
            if (n == 0) {
                /* The project's one policy for bytes that are not UTF-8: shown
                 * as the text \xHH (a JSON "\\xHH"), never dropped or replaced. */
                char esc[6] = {
                    '\\', '\\', 'x', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15], 0};
                if (impex_buf_append(b, esc, 5)) return IMPEX_ENOMEM;
                i++;
            } else {
                if (impex_buf_append(b, s + i, n)) return IMPEX_ENOMEM;
                i += n;
            }
            continue;
        }
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (impex_buf_append(b, esc, n)) return IMPEX_ENOMEM;
        i++;
    }
    return impex_buf_putc(b, '"');
}

int impex_buf_put_csv_field(impex_buf *b, const char *s, size_t len)
{
    int quote = 0;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) return impex_buf_append(b, s, len);
    if (impex_buf_putc(b, '"')) return IMPEX_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' && impex_buf_putc(b, '"')) return IMPEX_ENOMEM;
        if (impex_buf_putc(b, s[i])) return IMPEX_ENOMEM;
    }
    return impex_buf_putc(b, '"');
}

void impex_buf_reset(impex_buf *b)
{
    b->len = 0;
    if (b->ptr) b->ptr[0] = '\0';
}

void impex_buf_free(impex_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}
