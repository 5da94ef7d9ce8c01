/* Differential: wherever the simple-pattern fast path takes a pattern, it
 * must agree with POSIX regexec on every value. Input: pattern, '\n', value. */
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    if (!nl || strlen(text) != size) { /* one newline, no NUL: C strings on both sides */
        free(text);
        return 0;
    }
    *nl = '\0';
    const char *src = text, *value = nl + 1;
    impex_simple_pattern p;
    char anchored[512];
    regex_t re;
    if (strlen(src) < 400 && impex_pattern_compile(src, &p)) {
        snprintf(anchored, sizeof anchored, "^(%s)$", src);
        if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) == 0) {
            int want = regexec(&re, value, 0, NULL, 0) == 0;
            if (impex_pattern_match(&p, value, strlen(value)) != want) __builtin_trap();
            regfree(&re);
        }
    }
    free(text);
    return 0;
}
