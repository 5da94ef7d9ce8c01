#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void impex_err_clear(impex_err *err)
{
    if (!err) return;
    err->code = 0;
    err->row = 0;
    err->line = 0;
    err->column = -1;
    err->msg[0] = '\0';
}

int impex_err_set(impex_err *err, int code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *impex_strerror(int code)
{
    switch (code) {
    case IMPEX_OK:
        return "success";
    case IMPEX_ENOMEM:
        return "out of memory";
    case IMPEX_EIO:
        return "I/O error";
    case IMPEX_EFORMAT:
        return "malformed input";
    case IMPEX_EHEADER:
        return "header mismatch";
    case IMPEX_ELIMIT:
        return "limit exceeded";
    case IMPEX_EUNSAFE:
        return "unsafe input";
    case IMPEX_ESCRIPT:
        return "script error";
    case IMPEX_ESTORE:
        return "store error";
    case IMPEX_ENOTFOUND:
        return "not found";
    case IMPEX_EUSAGE:
        return "invalid request";
    case IMPEX_EEXISTS:
        return "already exists";
    case IMPEX_EBUSY:
        return "busy";
    case IMPEX_EREJECT:
        return "row rejected";
    case IMPEX_EDESC:
        return "invalid descriptor";
    case IMPEX_ECANCEL:
        return "cancelled";
    }
    return "unknown error";
}
