/* libFuzzer target for io/archive: the input is written to a temporary file
 * named *.zip, opened as an archive, and every entry is streamed to the end.
 * Must never crash, leak or hang, whatever libzip is handed. */
#include "io/archive.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

static void cleanup(void)
{
    if (path[0]) unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        const char *dir = getenv("IMPEX_TMP");
        snprintf(path, sizeof path, "%s/fuzz-zip-%ld.zip", dir && *dir ? dir : "/tmp",
                 (long)getpid());
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort();

    /* Small limits keep each run fast; they are what is being exercised. */
    impex_limits lim = {.max_uncompressed = 8u << 20, .max_ratio = 200, .max_entries = 1000};
    impex_archive *a = NULL;
    impex_err err;
    if (impex_archive_open(path, &lim, &a, &err) != 0) {
        if (a || !err.msg[0]) __builtin_trap();
        return 0;
    }
    static char buf[65536];
    for (size_t i = 0; i < impex_archive_count(a); i++) {
        if (!impex_archive_name(a, i)) __builtin_trap();
        impex_entry *e;
        if (impex_archive_open_entry(a, i, &e, &err) != 0) continue;
        ssize_t n;
        uint64_t total = 0;
        while ((n = impex_entry_read(e, buf, sizeof buf, &err)) > 0)
            total += (uint64_t)n;
        if (total != impex_entry_tell(e) || total > lim.max_uncompressed) __builtin_trap();
        impex_entry_close(e);
    }
    impex_archive_close(a);
    return 0;
}
