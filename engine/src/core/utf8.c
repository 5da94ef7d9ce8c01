#include "core/utf8.h"
#include "core/buf.h"

#include <stdint.h>
#include <string.h>

size_t impex_utf8_seq_len(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0) return 0;
    unsigned char c = u[0];
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return len >= 2 && (u[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (len < 3 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && u[1] < 0xa0) return 0; /* overlong */
        if (c == 0xed && u[1] > 0x9f) return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (len < 4 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80 || (u[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && u[1] < 0x90) return 0; /* overlong */
        if (c == 0xf4 && u[1] > 0x8f) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

size_t impex_utf8_check(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* Fast path: eight ASCII bytes at a time. */
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = impex_utf8_seq_len(s + i, len - i);
        if (n == 0) return i;
        i += n;
    }
    return len;
}

size_t impex_utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80) n++;
    return n;
}

int impex_utf8_visible(const char *s, size_t len, impex_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < len) {
        size_t n = (unsigned char)s[i] < 0x80 ? (s[i] != 0) : impex_utf8_seq_len(s + i, len - i);
        if (n) {
            if (impex_buf_append(out, s + i, n)) return -1;
            i += n;
            continue;
        }
        unsigned char c = (unsigned char)s[i++];
        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        if (impex_buf_append(out, esc, 4)) return -1;
    }
    if (impex_buf_reserve(out, 0)) return -1;
    out->ptr[out->len] = '\0'; /* also when nothing was appended */
    return 0;
}
