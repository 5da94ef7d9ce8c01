/* The CSV dialect of a step: the descriptor's delimiter, quote and encoding,
 * overridden by the import's (stored on the job, so a resume reads the file
 * the same way), and the hints a failed header gets when the file looks
 * written in another dialect. */
#ifndef IMPEX_PIPELINE_DIALECT_H
#define IMPEX_PIPELINE_DIALECT_H

#include "core/buf.h"
#include "core/error.h"
#include "io/csv.h"
#include "io/reader.h"
#include "lua/descriptor.h"
#include "pipeline/import.h"
#include "pipeline/job.h"

/* Checks the import's overrides (IMPEX_EUSAGE naming the bad one); with job
 * != NULL also stores them on it, normalised ("tab" -> "\t"). */
int impex_import_check_dialect(const impex_import_opts *o, impex_job *job, impex_err *err);

/* The dialect step d runs with under job: CSV options and the encoding asked for. */
void impex_dialect_for_step(const impex_job *job, const impex_descriptor *d, impex_csv_opts *opts,
                            int *encoding);

/* Appends "; <hint>" to out when the header row looks written with another
 * delimiter or encoding than delim/encoding (the ones in effect). */
int impex_dialect_header_hint(const impex_descriptor *d, const impex_row *hdr, char delim,
                              int encoding, impex_buf *out);

/* The reason a value of a step read in `encoding` is not UTF-8 (bad = index
 * of the first invalid byte): invalid UTF-8, or bytes invalid in the
 * source encoding (the transcoder's markers). */
void impex_dialect_bad_text(int encoding, const char *val, size_t len, size_t bad, char *reason,
                            size_t size);

#endif
