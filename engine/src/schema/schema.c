#include "schema/schema.h"

#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int impex_schema_is_date(const char *s, size_t len)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-') return 0;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return 0;
    if (m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

int impex_schema_is_datetime(const char *s, size_t len)
{
    int h, mi, sec = 0, zh, zm;
    if (len < 16 || !impex_schema_is_date(s, 10) || (s[10] != 'T' && s[10] != ' ')) return 0;
    if (digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi)) return 0;
    size_t i = 16;
    if (i < len && s[i] == ':') {
        if (i + 3 > len || digits(s + i + 1, 2, &sec)) return 0;
        i += 3;
        if (i < len && s[i] == '.') {
            size_t j = ++i;
            while (i < len && is_digit(s[i]))
                i++;
            if (i == j) return 0;
        }
    }
    if (h > 23 || mi > 59 || sec > 60) return 0;
    if (i == len) return 1;
    if (s[i] == 'Z') return i + 1 == len;
    if (s[i] != '+' && s[i] != '-') return 0;
    const char *z = s + i + 1;
    size_t rest = len - i - 1;
    if (rest == 5 && z[2] == ':') {
        if (digits(z, 2, &zh) || digits(z + 3, 2, &zm)) return 0;
    } else if (rest != 4 || digits(z, 2, &zh) || digits(z + 2, 2, &zm)) {
        return 0;
    }
    return zh < 24 && zm < 60;
}

int impex_schema_number_parse(impex_vtype type, const char *s, size_t len, impex_number *n)
{
    const char *p = s, *end = s + len;
    memset(n, 0, sizeof *n);
    if (p < end && (*p == '+' || *p == '-')) n->neg = *p++ == '-';
    const char *ib = p;
    while (p < end && is_digit(*p))
        p++;
    const char *ie = p, *fb = p, *fe = p;
    if (p < end && *p == '.' && type == IMPEX_V_DECIMAL) {
        fb = ++p;
        while (p < end && is_digit(*p))
            p++;
        fe = p;
    }
    if (p != end || (ie - ib) + (fe - fb) == 0) return -1;
    while (ie > ib && *ib == '0')
        ib++;
    if (type == IMPEX_V_INT && ie - ib >= 19) { /* beyond 64 bits: not an int */
        const char *lim = n->neg ? "9223372036854775808" : "9223372036854775807";
        if (ie - ib > 19 || memcmp(ib, lim, 19) > 0) return -1;
    }
    n->ip = ib;
    n->ilen = (size_t)(ie - ib);
    n->fp = fb;
    n->flen = (size_t)(fe - fb);
    return 0;
}

size_t impex_schema_number_len(const impex_number *n)
{
    return (size_t)n->neg + (n->ilen ? n->ilen : 1) + (n->flen ? n->flen + 1 : 0);
}

void impex_schema_number_write(const impex_number *n, char *out)
{
    if (n->neg) *out++ = '-';
    if (n->ilen) {
        memcpy(out, n->ip, n->ilen);
        out += n->ilen;
    } else {
        *out++ = '0';
    }
    if (n->flen) {
        *out++ = '.';
        memcpy(out, n->fp, n->flen);
    }
}
