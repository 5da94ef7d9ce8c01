/* Growable byte buffer and a borrowed byte slice. */
#ifndef IMPEX_CORE_BUF_H
#define IMPEX_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A borrowed view of bytes; the owner is stated by whoever hands it out. */
typedef struct impex_slice {
    const char *ptr;
    size_t len;
} impex_slice;

/* Owned, growable bytes. Zero-initialise ({0}) to start empty. The data is
 * always NUL-terminated once anything was appended (len excludes the NUL). */
typedef struct impex_buf {
    char *ptr;
    size_t len;
    size_t cap;
} impex_buf;

/* Ensures room for `extra` more bytes (+1 for the NUL). IMPEX_ENOMEM on failure. */
int impex_buf_reserve(impex_buf *b, size_t extra);
int impex_buf_append(impex_buf *b, const void *data, size_t len);
int impex_buf_putc(impex_buf *b, char c);
int impex_buf_puts(impex_buf *b, const char *s);
int impex_buf_printf(impex_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes an unsigned LEB128 varint at p (room for 10 bytes); returns the
 * byte after it. Inline: the record codec calls it four times a field. */
static inline char *impex_put_varint(char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (char)v;
    return p;
}

/* Appends an unsigned LEB128 varint. */
int impex_buf_put_varint(impex_buf *b, uint64_t v);
/* Appends s as a JSON string literal, quotes included. A byte that is not
 * part of valid UTF-8 appears as the text \xHH (see impex_utf8_visible). */
int impex_buf_put_json_string(impex_buf *b, const char *s, size_t len);
/* Appends s as one CSV field, quoted when it holds a comma, quote, CR or LF. */
int impex_buf_put_csv_field(impex_buf *b, const char *s, size_t len);
void impex_buf_reset(impex_buf *b); /* len = 0, memory kept */
void impex_buf_free(impex_buf *b);

/* Reads an unsigned LEB128 varint from [*p, end). Returns 0 and advances *p,
 * or -1 when truncated or longer than 10 bytes. */
int impex_get_varint(const char **p, const char *end, uint64_t *out);

#endif
