/* Input archives: a zip (libzip) or a single bare file, read entry by entry
 * as byte streams. Nothing is ever extracted to disk.
 *
 * Safety is checked when the archive is opened, before any byte is parsed:
 *  - entry names: absolute paths, drive letters, backslashes and ".."
 *    components are refused (IMPEX_EUNSAFE, "zip-slip") for the whole archive;
 *  - declared sizes: the sum of uncompressed sizes may not exceed
 *    limits.max_uncompressed, and an entry's uncompressed/compressed ratio may
 *    not exceed limits.max_ratio (IMPEX_ELIMIT, "zip bomb");
 *  - encrypted entries and more than limits.max_entries entries are refused.
 * While streaming, the bytes actually inflated are counted against the same
 * limits, so an archive that lies about its sizes is stopped too. */
#ifndef IMPEX_IO_ARCHIVE_H
#define IMPEX_IO_ARCHIVE_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct impex_limits {
    uint64_t max_uncompressed; /* total inflated bytes of one archive; default 8 GiB */
    uint32_t max_ratio;        /* per entry, uncompressed/compressed; default 200 */
    uint32_t max_entries;      /* default 10000 */
} impex_limits;

/* Fills the defaults above. */
void impex_limits_default(impex_limits *lim);

typedef struct impex_archive impex_archive;
typedef struct impex_entry impex_entry;

/* Opens path. A name ending in ".zip" (any case) or a file starting with the
 * zip signature "PK" is read as a zip; anything else is a single-entry
 * archive whose entry name is the file's base name.
 * Errors: IMPEX_EIO (cannot open), IMPEX_EFORMAT ("not a zip archive: end of
 * central directory not found", truncated/corrupt zip), IMPEX_EUNSAFE,
 * IMPEX_ELIMIT. On success the caller owns *out (impex_archive_close). */
int impex_archive_open(const char *path, const impex_limits *lim, impex_archive **out,
                       impex_err *err);
void impex_archive_close(impex_archive *a);

/* Number of file entries (directories are not counted). */
size_t impex_archive_count(const impex_archive *a);
/* Entry i's full name inside the archive; valid until close. */
const char *impex_archive_name(const impex_archive *a, size_t i);
/* Entry i's declared uncompressed size in bytes. */
uint64_t impex_archive_size(const impex_archive *a, size_t i);
/* Sum of declared uncompressed sizes of all entries. */
uint64_t impex_archive_total_size(const impex_archive *a);

/* Opens entry i for sequential reading. One entry may be open at a time.
 * The caller owns *out (impex_entry_close). */
int impex_archive_open_entry(impex_archive *a, size_t i, impex_entry **out, impex_err *err);

/* Reads up to len bytes. Returns the count (> 0), 0 at the end of the entry,
 * or -1 on error with err filled (IMPEX_EFORMAT for a corrupt/CRC error,
 * IMPEX_ELIMIT when inflated bytes exceed a limit, IMPEX_EIO).
 * The signature matches impex_read_fn (io/csv.h) with ctx = the entry. */
ssize_t impex_entry_read(void *entry, void *buf, size_t len, impex_err *err);

/* Bytes delivered by impex_entry_read so far. */
uint64_t impex_entry_tell(const impex_entry *e);
void impex_entry_close(impex_entry *e);

#endif
