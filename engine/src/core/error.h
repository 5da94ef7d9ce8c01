/* Error codes and the error detail every fallible engine call fills in.
 *
 * Convention (as in LMDB): a function that can fail returns an int, 0 on
 * success or one of the IMPEX_E* codes; when it fails it also fills the
 * caller's impex_err (if not NULL) with a human message and, where known,
 * the location in the input (row, line, column). */
#ifndef IMPEX_CORE_ERROR_H
#define IMPEX_CORE_ERROR_H

#include <stdint.h>

enum {
    IMPEX_OK = 0,
    IMPEX_ENOMEM = 1,    /* out of memory */
    IMPEX_EIO = 2,       /* file system or OS error */
    IMPEX_EFORMAT = 3,   /* input is not in the expected format (not a zip, malformed CSV) */
    IMPEX_EHEADER = 4,   /* CSV header does not match the descriptor */
    IMPEX_ELIMIT = 5,    /* a safety limit was exceeded (zip bomb, oversized row) */
    IMPEX_EUNSAFE = 6,   /* input tries to escape (zip-slip, absolute path) */
    IMPEX_ESCRIPT = 7,   /* a Lua script failed to load or run */
    IMPEX_ESTORE = 8,    /* the LMDB store failed */
    IMPEX_ENOTFOUND = 9, /* no such record, job, group or file */
    IMPEX_EUSAGE = 10,   /* the caller asked for something invalid */
    IMPEX_EEXISTS = 11,  /* the thing already exists */
    IMPEX_EBUSY = 12,    /* held by another process */
    IMPEX_EREJECT = 13,  /* a row failed validation; message holds the reason */
    IMPEX_EDESC = 14,    /* a descriptor or group is invalid */
    IMPEX_ECANCEL = 15,  /* stopped on request */
};

typedef struct impex_err {
    int code;      /* IMPEX_E*; 0 when no error was recorded */
    uint64_t row;  /* 1-based record number in the file (header = 1); 0 = unknown */
    uint64_t line; /* 1-based physical line where that record starts; 0 = unknown */
    int column;    /* 0-based column index; -1 = unknown */
    char msg[768]; /* the reason, without location prefix */
} impex_err;

/* Resets err to "no error, no location". Safe with NULL. */
void impex_err_clear(impex_err *err);

/* Records code and a printf-style message in err (if not NULL), keeping any
 * location already set. Returns code so callers can `return impex_err_set(...)`. */
int impex_err_set(impex_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short, static description of an IMPEX_E* code. */
const char *impex_strerror(int code);

#endif
