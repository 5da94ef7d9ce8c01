#include "core/context.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[IMPEX_CONTEXT_PARTS] = {"masterCatalog", "catalog", "locale",
                                                       "currency", "site"};

const char *impex_context_name(size_t i)
{
    return i < IMPEX_CONTEXT_PARTS ? names[i] : "?";
}

int impex_context_index(const char *name)
{
    for (int i = 0; name && i < IMPEX_CONTEXT_PARTS; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

int impex_context_parse(const char *text, char *out[IMPEX_CONTEXT_PARTS], impex_err *err)
{
    for (size_t i = 0; i < IMPEX_CONTEXT_PARTS; i++)
        out[i] = NULL;
    int rc = IMPEX_OK;
    for (const char *p = text; !rc && p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        char name[32] = "";
        if (eq && (size_t)(eq - p) < sizeof name) memcpy(name, p, (size_t)(eq - p));
        int k = eq ? impex_context_index(name) : -1;
        if (k < 0)
            rc = impex_err_set(err, IMPEX_EUSAGE,
                               "--context: '%.*s' is not part=value with part one of "
                               "masterCatalog, catalog, locale, currency, site",
                               (int)len, p);
        else if (out[k])
            rc = impex_err_set(err, IMPEX_EUSAGE, "--context: %s is given twice", name);
        else if (eq + 1 == p + len)
            rc = impex_err_set(err, IMPEX_EUSAGE, "--context: %s has no value", name);
        else if (!(out[k] = strndup(eq + 1, (size_t)(p + len - eq - 1))))
            rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        p = end ? end + 1 : NULL;
    }
    if (rc)
        for (size_t i = 0; i < IMPEX_CONTEXT_PARTS; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    return rc;
}
