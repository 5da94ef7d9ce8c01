/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF). */
#ifndef IMPEX_CORE_UTF8_H
#define IMPEX_CORE_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid or truncated. */
size_t impex_utf8_seq_len(const char *s, size_t len);

/* Returns the byte index of the first invalid byte, or len when s is valid. */
size_t impex_utf8_check(const char *s, size_t len);

/* Number of code points in valid UTF-8 s. */
size_t impex_utf8_count(const char *s, size_t len);

/* Appends s to out as valid UTF-8 text without NULs: every byte that is not
 * part of a valid sequence, and every NUL, is written as the four characters
 * \xHH. The project's one policy for untrusted text shown in JSON (jobs,
 * messages, reports): visible, never dropped. Returns 0 or -1 (no memory). */
struct impex_buf;
int impex_utf8_visible(const char *s, size_t len, struct impex_buf *out);

#endif
