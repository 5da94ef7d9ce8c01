/* Read-ahead: a byte source read on its own thread into a small ring of
 * blocks, so inflating a zip entry overlaps with parsing it. The consumer
 * sees exactly the bytes, end and error the source gives, in order. */
#ifndef IMPEX_IO_READAHEAD_H
#define IMPEX_IO_READAHEAD_H

#include "core/error.h"
#include "io/csv.h"

#include <stddef.h>
#include <sys/types.h>

typedef struct impex_readahead impex_readahead;

/* Starts reading rd/ctx ahead in blocks of block_size bytes (0 = 256 KiB).
 * rd/ctx must not be used by anyone else until impex_readahead_close. */
int impex_readahead_open(impex_read_fn rd, void *ctx, size_t block_size, impex_readahead **out,
                         impex_err *err);

/* impex_read_fn over the read-ahead: bytes (> 0), 0 at the end, -1 with the
 * source's error. */
ssize_t impex_readahead_read(void *ra, void *buf, size_t len, impex_err *err);

/* Stops the reading thread (it may be blocked on a full ring) and frees. */
void impex_readahead_close(impex_readahead *ra);

#endif
