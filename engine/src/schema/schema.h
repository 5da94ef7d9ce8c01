/* The schema: field rules, value types and the one definition of what a
 * valid int, decimal, date and date-time is, shared by import checks
 * (schema/rules.h), map results (lua/script.c), export filters and the
 * scaffold. Values and types are the store codec's (store/codec.h). */
#ifndef IMPEX_SCHEMA_SCHEMA_H
#define IMPEX_SCHEMA_SCHEMA_H

#include "core/pattern.h"
#include "store/codec.h"

#include <regex.h>
#include <stddef.h>

typedef struct impex_field_rule {
    char *name;
    int required;     /* the column must exist and the value be non-empty */
    impex_vtype type; /* STRING, INT, DECIMAL, BOOL, DATE, DATETIME */
    int multi;        /* value is a list (type LIST when stored, elements CR-joined) */
    char *multi_sep;  /* the list's separator in the file; NULL = CR */
    char escape;      /* with multi_sep: escape+sep and escape+escape are literal; 0 = none */
    int has_pattern;
    char *pattern_src;
    regex_t pattern; /* compiled with REG_EXTENDED|REG_NOSUB, anchored ^(...)$ */
    int has_simple;  /* the pattern has the simple shape: match with `simple`, not regexec */
    impex_simple_pattern simple;
    int has_min, has_max;
    double min, max;
    char **enums; /* NULL when no enum */
    size_t nenums;
    size_t maxlen; /* 0 = no limit */
} impex_field_rule;

/* YYYY-MM-DD, a real calendar day (len must be 10). */
int impex_schema_is_date(const char *s, size_t len);

/* ISO 8601 date and time: a date, 'T' or ' ', hh:mm, optionally :ss (00-60)
 * and then a fraction (.d+), then nothing, 'Z', or an offset +hh:mm,
 * -hh:mm, +hhmm, -hhmm (hours 00-23, minutes 00-59). */
int impex_schema_is_datetime(const char *s, size_t len);

/* A parsed int or decimal: [+-]digits[.digits] with at least one digit
 * (a fraction only for decimals; ints within 64 bits). */
typedef struct impex_number {
    int neg;
    const char *ip; /* integer digits without leading zeros (ilen 0: none) */
    size_t ilen;
    const char *fp; /* fraction digits (flen 0: none) */
    size_t flen;
} impex_number;

/* 0 and n filled, or -1 when s is not such a number (or an int out of range). */
int impex_schema_number_parse(impex_vtype type, const char *s, size_t len, impex_number *n);

/* Length of the normal form: no '+', no leading zeros, "0" before a bare
 * fraction, no '.' without digits ("+007.50" -> "7.50", ".5" -> "0.5",
 * "5." -> "5"). At most the input's length + 1. */
size_t impex_schema_number_len(const impex_number *n);

/* Writes the normal form (impex_schema_number_len bytes, no NUL) to out. */
void impex_schema_number_write(const impex_number *n, char *out);

#endif
