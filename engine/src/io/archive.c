/* Input archives over libzip, or a bare file seen as a one-entry archive.
 * Everything is checked at open from the central directory; while streaming,
 * the bytes really inflated are checked again because the directory may lie. */
#include "io/archive.h"

#include <zip.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Small entries compress oddly (a column of zeros): only judge the ratio of
 * entries bigger than this. */
#define RATIO_FLOOR ((uint64_t)1 << 20)
#define NAME_SHOWN 200

struct ent {
    char *name;
    zip_uint64_t index;
    uint64_t size;      /* declared uncompressed size */
    uint64_t comp_size; /* declared compressed size */
    uint64_t high;      /* most bytes ever inflated from it */
};

struct impex_archive {
    zip_t *za; /* NULL for a bare file */
    int fd;    /* the bare file, -1 for a zip */
    impex_limits lim;
    struct ent *ents;
    size_t count;
    uint64_t total;    /* sum of declared sizes */
    uint64_t inflated; /* sum of ent.high: re-reading an entry costs nothing more */
    int busy;
};

struct impex_entry {
    impex_archive *a;
    struct ent *ent;
    zip_file_t *zf;
    uint64_t pos;
    impex_err fail; /* code != 0 once reading failed: it stays failed */
};

/* A name as it may appear in a message: bounded, control bytes replaced. */
static const char *shown(const char *name, char out[NAME_SHOWN + 4])
{
    size_t i = 0;
    for (; name[i] && i < NAME_SHOWN; i++) {
        unsigned char ch = (unsigned char)name[i];
        out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (name[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

void impex_limits_default(impex_limits *lim)
{
    lim->max_uncompressed = (uint64_t)8 << 30;
    lim->max_ratio = 200;
    lim->max_entries = 10000;
}

/* Absolute, drive-relative, backslashed or climbing names could be written
 * outside a target directory by any tool that extracts them. */
static int unsafe_name(const char *name)
{
    if (!name[0] || name[0] == '/') return 1;
    if (strchr(name, '\\')) return 1;
    if (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':') return 1;
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return 1;
        if (!slash) break;
        p = slash + 1;
    }
    return 0;
}

static int zip_code(int ze, int sys)
{
    switch (ze) {
    case ZIP_ER_MEMORY:
        return IMPEX_ENOMEM;
    case ZIP_ER_ZLIB:
        return sys == -4 ? IMPEX_ENOMEM
                         : IMPEX_EFORMAT; /* Z_MEM_ERROR: no memory, not a bad file */
    case ZIP_ER_OPEN:
    case ZIP_ER_NOENT:
        return IMPEX_EIO;
    case ZIP_ER_READ:
    case ZIP_ER_SEEK:
    case ZIP_ER_TELL:
        return sys ? IMPEX_EIO : IMPEX_EFORMAT;
    default:
        return IMPEX_EFORMAT;
    }
}

/* Maps a libzip error met while opening or reading `what` (may be NULL). */
static int zip_fail(impex_err *err, zip_error_t *ze, const char *what)
{
    int code = zip_error_code_zip(ze);
    int rc = zip_code(code, zip_error_code_system(ze));
    const char *msg = zip_error_strerror(ze);
    char nm[NAME_SHOWN + 4];
    if (code == ZIP_ER_NOZIP)
        return impex_err_set(err, rc, "not a zip archive: end of central directory not found");
    if (code == ZIP_ER_MULTIDISK)
        return impex_err_set(err, rc, "split (multi-disk) zip archives are not supported");
    if (rc == IMPEX_ENOMEM) return impex_err_set(err, rc, "out of memory reading the zip archive");
    if (rc == IMPEX_EIO) {
        if (what) return impex_err_set(err, rc, "cannot read entry '%s': %s", shown(what, nm), msg);
        return impex_err_set(err, rc, "cannot read the zip archive: %s", msg);
    }
    if (what)
        return impex_err_set(err, rc, "zip archive is truncated or corrupt: entry '%s': %s",
                             shown(what, nm), msg);
    return impex_err_set(err, rc, "zip archive is truncated or corrupt: %s", msg);
}

static int ends_with_zip(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".zip") == 0;
}

/* Local file header, empty archive, or spanned-archive marker. A plain "PK"
 * is too common a start for a text file to mean zip by itself. */
static int zip_magic(const unsigned char *m, ssize_t n)
{
    return n >= 4 && m[0] == 'P' && m[1] == 'K' &&
           ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6) || (m[2] == 7 && m[3] == 8));
}

static int add_entry(impex_archive *a, const char *name, zip_uint64_t index, uint64_t size,
                     uint64_t comp_size, impex_err *err)
{
    struct ent *e = &a->ents[a->count];
    e->name = strdup(name);
    if (!e->name) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    e->index = index;
    e->size = size;
    e->comp_size = comp_size;
    e->high = 0;
    a->count++;
    a->total = size > UINT64_MAX - a->total ? UINT64_MAX : a->total + size;
    return 0;
}

static int check_ratio(const impex_archive *a, const char *name, uint64_t size, uint64_t comp,
                       const char *verb, impex_err *err)
{
    if (size <= RATIO_FLOOR) return 0;
    uint64_t r = a->lim.max_ratio;
    if (comp > 0 && comp <= UINT64_MAX / r && size <= comp * r) return 0;
    if (comp > UINT64_MAX / r) return 0;
    char nm[NAME_SHOWN + 4];
    if (comp == 0)
        return impex_err_set(err, IMPEX_ELIMIT,
                             "entry '%s' %s %llu bytes from 0 (ratio unbounded > limit %u): "
                             "refused as a zip bomb",
                             shown(name, nm), verb, (unsigned long long)size, a->lim.max_ratio);
    return impex_err_set(err, IMPEX_ELIMIT,
                         "entry '%s' %s %llu bytes from %llu (ratio %llu > limit %u): refused as "
                         "a zip bomb",
                         shown(name, nm), verb, (unsigned long long)size, (unsigned long long)comp,
                         (unsigned long long)(size / comp), a->lim.max_ratio);
}

static int check_total(const impex_archive *a, impex_err *err)
{
    if (a->total <= a->lim.max_uncompressed) return 0;
    return impex_err_set(err, IMPEX_ELIMIT,
                         "archive inflates to %llu bytes, over the limit of %llu",
                         (unsigned long long)a->total, (unsigned long long)a->lim.max_uncompressed);
}

static int open_zip(impex_archive *a, int fd, const struct stat *st, impex_err *err)
{
    char nm[NAME_SHOWN + 4];
    if (S_ISREG(st->st_mode) && st->st_size == 0) {
        close(fd);
        return impex_err_set(err, IMPEX_EFORMAT,
                             "zip archive is truncated or corrupt: the file is empty (0 bytes)");
    }
    int ze = 0;
    a->za = zip_fdopen(fd, ZIP_RDONLY, &ze);
    if (!a->za && ze == ZIP_ER_NOZIP && lseek(fd, 0, SEEK_SET) == 0) {
        /* libzip reports some failed allocations while it looks for the
         * central directory as "not a zip": a second look tells a file
         * that is not a zip from a moment without memory. */
        ze = 0;
        a->za = zip_fdopen(fd, ZIP_RDONLY, &ze);
    }
    if (!a->za) {
        int e = errno;
        close(fd);
        zip_error_t zerr;
        zip_error_init_with_code(&zerr, ze);
        if (zip_error_system_type(&zerr) == ZIP_ET_SYS && !zip_error_code_system(&zerr))
            zip_error_set(&zerr, ze, e);
        int rc = zip_fail(err, &zerr, NULL);
        zip_error_fini(&zerr);
        return rc;
    }
    /* zip_fdopen closed fd: libzip reads from its own duplicate. */

    zip_int64_t n = zip_get_num_entries(a->za, 0);
    if (n < 0) return zip_fail(err, zip_get_error(a->za), NULL);
    if ((uint64_t)n > a->lim.max_entries)
        return impex_err_set(err, IMPEX_ELIMIT, "archive has %lld entries, over the limit of %u",
                             (long long)n, a->lim.max_entries);
    a->ents = calloc(n ? (size_t)n : 1, sizeof *a->ents);
    if (!a->ents) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");

    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t zs;
        zip_stat_init(&zs);
        if (zip_stat_index(a->za, (zip_uint64_t)i, 0, &zs) != 0)
            return zip_fail(err, zip_get_error(a->za), NULL);
        const char *name = (zs.valid & ZIP_STAT_NAME) && zs.name ? zs.name : "";
        if (unsafe_name(name))
            return impex_err_set(err, IMPEX_EUNSAFE, "unsafe entry name '%s' (zip-slip): refused",
                                 shown(name, nm));
        size_t len = strlen(name);
        if (name[len - 1] == '/') continue; /* a directory: nothing to read */
        if ((zs.valid & ZIP_STAT_ENCRYPTION_METHOD) && zs.encryption_method != ZIP_EM_NONE)
            return impex_err_set(err, IMPEX_EFORMAT,
                                 "entry '%s' is encrypted: encrypted archives are not supported",
                                 shown(name, nm));
        if ((zs.valid & ZIP_STAT_COMP_METHOD) &&
            !zip_compression_method_supported(zs.comp_method, 0))
            return impex_err_set(err, IMPEX_EFORMAT,
                                 "entry '%s' uses compression method %u, which is not supported",
                                 shown(name, nm), (unsigned)zs.comp_method);
        uint64_t size = (zs.valid & ZIP_STAT_SIZE) ? zs.size : 0;
        uint64_t comp = (zs.valid & ZIP_STAT_COMP_SIZE) ? zs.comp_size : 0;
        int rc = check_ratio(a, name, size, comp, "would inflate to", err);
        if (rc) return rc;
        rc = add_entry(a, name, (zip_uint64_t)i, size, comp, err);
        if (rc) return rc;
    }
    return check_total(a, err);
}

static int open_bare(impex_archive *a, const char *path, int fd, const struct stat *st,
                     impex_err *err)
{
    a->fd = fd;
    a->ents = calloc(1, sizeof *a->ents);
    if (!a->ents) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    const char *slash = strrchr(path, '/');
    uint64_t size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
    int rc = add_entry(a, slash ? slash + 1 : path, 0, size, size, err);
    if (rc) return rc;
    if (size > a->lim.max_uncompressed) {
        char nm[NAME_SHOWN + 4];
        return impex_err_set(err, IMPEX_ELIMIT, "file '%s' is %llu bytes, over the limit of %llu",
                             shown(a->ents[0].name, nm), (unsigned long long)size,
                             (unsigned long long)a->lim.max_uncompressed);
    }
    return 0;
}

int impex_archive_open(const char *path, const impex_limits *lim, impex_archive **out,
                       impex_err *err)
{
    if (out) *out = NULL;
    if (!path || !out) return impex_err_set(err, IMPEX_EUSAGE, "no archive path given");
    char nm[NAME_SHOWN + 4];

    impex_archive *a = calloc(1, sizeof *a);
    if (!a) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    a->fd = -1;
    impex_limits_default(&a->lim);
    if (lim) {
        /* 0 means "default", so a partly filled struct stays safe. */
        if (lim->max_uncompressed) a->lim.max_uncompressed = lim->max_uncompressed;
        if (lim->max_ratio) a->lim.max_ratio = lim->max_ratio;
        if (lim->max_entries) a->lim.max_entries = lim->max_entries;
    }

    int rc;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc =
            impex_err_set(err, IMPEX_EIO, "cannot open '%s': %s", shown(path, nm), strerror(errno));
        goto cleanup;
    }
    if (fstat(fd, &st) != 0) {
        rc =
            impex_err_set(err, IMPEX_EIO, "cannot open '%s': %s", shown(path, nm), strerror(errno));
        close(fd);
        goto cleanup;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = impex_err_set(err, IMPEX_EIO, "cannot open '%s': is a directory", shown(path, nm));
        close(fd);
        goto cleanup;
    }
    unsigned char magic[4];
    ssize_t got = S_ISREG(st.st_mode) ? pread(fd, magic, sizeof magic, 0) : 0;
    if (ends_with_zip(path) || zip_magic(magic, got))
        rc = open_zip(a, fd, &st, err); /* takes fd */
    else
        rc = open_bare(a, path, fd, &st, err);

cleanup:
    if (rc) {
        impex_archive_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

void impex_archive_close(impex_archive *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->count; i++)
        free(a->ents[i].name);
    free(a->ents);
    if (a->za) zip_discard(a->za);
    if (a->fd >= 0) close(a->fd);
    free(a);
}

size_t impex_archive_count(const impex_archive *a)
{
    return a->count;
}

const char *impex_archive_name(const impex_archive *a, size_t i)
{
    return i < a->count ? a->ents[i].name : NULL;
}

uint64_t impex_archive_size(const impex_archive *a, size_t i)
{
    return i < a->count ? a->ents[i].size : 0;
}

uint64_t impex_archive_total_size(const impex_archive *a)
{
    return a->total;
}

int impex_archive_open_entry(impex_archive *a, size_t i, impex_entry **out, impex_err *err)
{
    if (out) *out = NULL;
    if (!out || i >= a->count)
        return impex_err_set(err, IMPEX_ENOTFOUND, "no entry %zu in the archive (it has %zu)", i,
                             a->count);
    if (a->busy)
        return impex_err_set(err, IMPEX_EUSAGE,
                             "another entry is still open: one entry may be read at a time");
    char nm[NAME_SHOWN + 4];
    impex_entry *e = calloc(1, sizeof *e);
    if (!e) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    e->a = a;
    e->ent = &a->ents[i];
    impex_err_clear(&e->fail);
    if (a->za) {
        e->zf = zip_fopen_index(a->za, e->ent->index, 0);
        if (!e->zf) {
            int rc = zip_fail(err, zip_get_error(a->za), e->ent->name);
            free(e);
            return rc;
        }
    } else if (lseek(a->fd, 0, SEEK_SET) < 0 && (errno != ESPIPE || e->ent->high > 0)) {
        int rc = impex_err_set(err, IMPEX_EIO, "cannot read '%s' again: %s",
                               shown(e->ent->name, nm), strerror(errno));
        free(e);
        return rc;
    }
    a->busy = 1;
    *out = e;
    return 0;
}

static ssize_t entry_fail(impex_entry *e, impex_err *err)
{
    if (err) *err = e->fail;
    return -1;
}

ssize_t impex_entry_read(void *entry, void *buf, size_t len, impex_err *err)
{
    impex_entry *e = entry;
    impex_archive *a = e->a;
    struct ent *ent = e->ent;
    char nm[NAME_SHOWN + 4];
    if (e->fail.code) return entry_fail(e, err);
    if (len == 0) return 0;
    if (len > SSIZE_MAX) len = SSIZE_MAX;

    ssize_t n;
    if (e->zf) {
        zip_int64_t r = zip_fread(e->zf, buf, len);
        if (r < 0) {
            zip_fail(&e->fail, zip_file_get_error(e->zf), ent->name);
            return entry_fail(e, err);
        }
        n = (ssize_t)r;
    } else {
        do
            n = read(a->fd, buf, len);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            impex_err_set(&e->fail, IMPEX_EIO, "cannot read '%s': %s", shown(ent->name, nm),
                          strerror(errno));
            return entry_fail(e, err);
        }
    }

    if (n == 0) {
        /* libzip checks the CRC but not the length against the directory. */
        if (e->zf && e->pos != ent->size) {
            impex_err_set(&e->fail, IMPEX_EFORMAT,
                          "zip archive is truncated or corrupt: entry '%s' inflated to %llu "
                          "bytes, but its declared size is %llu",
                          shown(ent->name, nm), (unsigned long long)e->pos,
                          (unsigned long long)ent->size);
            return entry_fail(e, err);
        }
        return 0;
    }

    uint64_t pos = e->pos + (uint64_t)n;
    if (pos > ent->high) {
        a->inflated += pos - ent->high;
        ent->high = pos;
    }
    if (a->inflated > a->lim.max_uncompressed) {
        impex_err_set(&e->fail, IMPEX_ELIMIT,
                      "archive inflates to at least %llu bytes, over the limit of %llu (reading "
                      "entry '%s')",
                      (unsigned long long)a->inflated, (unsigned long long)a->lim.max_uncompressed,
                      shown(ent->name, nm));
        return entry_fail(e, err);
    }
    if (e->zf && check_ratio(a, ent->name, pos, ent->comp_size, "inflated to", &e->fail))
        return entry_fail(e, err);
    e->pos = pos;
    return n;
}

uint64_t impex_entry_tell(const impex_entry *e)
{
    return e->pos;
}

void impex_entry_close(impex_entry *e)
{
    if (!e) return;
    if (e->zf) zip_fclose(e->zf);
    e->a->busy = 0;
    free(e);
}
