#include "lua/scripts.h"
#include "core/hash.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCRIPT ((size_t)16 << 20) /* a descriptor is code, not data */

typedef struct entry {
    char *path;
    char *bytes; /* NULL when the file did not exist */
    size_t len;
    uint64_t hash;
} entry;

struct impex_scriptset {
    char *root;
    pthread_mutex_t lock;
    entry **e; /* entries are never moved or changed once added */
    size_t n, cap;
};

uint64_t impex_script_hash(const void *p, size_t n)
{
    return impex_fnv1a64(p, n);
}

void impex_script_hash_format(uint64_t h, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, h);
}

int impex_script_hash_parse(const char *s, uint64_t *out, impex_err *err)
{
    uint64_t h = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0 || i >= 16) break;
        h = h << 4 | (uint64_t)d;
    }
    if (i != 16 || s[i])
        return impex_err_set(err, IMPEX_EUSAGE, "'%.40s' is not a script hash (16 hex digits)", s);
    *out = h;
    return IMPEX_OK;
}

int impex_script_safe_path(const char *p)
{
    if (!*p || *p == '/') return 0;
    for (const char *c = p; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.') return 0;
        c += n;
        if (*c == '/') c++;
    }
    return 1;
}

int impex_script_read(const char *root, const char *relpath, char **bytes, size_t *len,
                      impex_err *err)
{
    char path[PATH_MAX];
    *bytes = NULL;
    *len = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, relpath) >= sizeof path)
        return impex_err_set(err, IMPEX_EIO, "%s: path too long", relpath);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return impex_err_set(err,
                             e == ENOENT || e == ENOTDIR ? IMPEX_ENOTFOUND
                             : e == ENOMEM               ? IMPEX_ENOMEM
                                                         : IMPEX_EIO,
                             "cannot open %s: %s", relpath, strerror(e));
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? IMPEX_OK : impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    while (!rc) {
        if (cap - n < 2) {
            if (cap >= MAX_SCRIPT) {
                rc = impex_err_set(err, IMPEX_ELIMIT, "%s: larger than %zu MiB", relpath,
                                   MAX_SCRIPT >> 20);
                break;
            }
            char *p = realloc(buf, cap * 2);
            if (!p) {
                rc = impex_err_set(err, IMPEX_ENOMEM, "out of memory");
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = impex_err_set(err, IMPEX_EIO, "cannot read %s: %s", relpath, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *bytes = buf;
    *len = n;
    return IMPEX_OK;
}

int impex_scriptset_new(const char *root, impex_scriptset **out, impex_err *err)
{
    *out = NULL;
    impex_scriptset *s = calloc(1, sizeof *s);
    if (!s || !(s->root = strdup(root))) {
        free(s);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    if (pthread_mutex_init(&s->lock, NULL)) {
        free(s->root);
        free(s);
        return impex_err_set(err, IMPEX_ENOMEM, "cannot create a mutex");
    }
    *out = s;
    return IMPEX_OK;
}

void impex_scriptset_free(impex_scriptset *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i]->path);
        free(s->e[i]->bytes);
        free(s->e[i]);
    }
    free(s->e);
    pthread_mutex_destroy(&s->lock);
    free(s->root);
    free(s);
}

const char *impex_scriptset_root(const impex_scriptset *s)
{
    return s->root;
}

static entry *find(impex_scriptset *s, const char *relpath)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i]->path, relpath) == 0) return s->e[i];
    return NULL;
}

/* Finds or reads relpath; called with the lock held. Reading under the lock
 * keeps two threads from reading two versions of one file. */
static int lookup(impex_scriptset *s, const char *relpath, entry **out, impex_err *err)
{
    entry *e = find(s, relpath);
    if (e) {
        *out = e;
        return IMPEX_OK;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        entry **p = realloc(s->e, cap * sizeof *p);
        if (!p) return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
        s->e = p;
        s->cap = cap;
    }
    if (!(e = calloc(1, sizeof *e)) || !(e->path = strdup(relpath))) {
        free(e);
        return impex_err_set(err, IMPEX_ENOMEM, "out of memory");
    }
    impex_err tmp;
    impex_err_clear(&tmp);
    int rc = impex_script_read(s->root, relpath, &e->bytes, &e->len, &tmp);
    if (rc && rc != IMPEX_ENOTFOUND) { /* not cached: an I/O error may pass */
        free(e->path);
        free(e);
        if (err) *err = tmp;
        return rc;
    }
    if (!rc) e->hash = impex_script_hash(e->bytes, e->len);
    s->e[s->n++] = e;
    *out = e;
    return IMPEX_OK;
}

int impex_scriptset_get(impex_scriptset *s, const char *relpath, const char **bytes, size_t *len,
                        uint64_t *hash, impex_err *err)
{
    if (!impex_script_safe_path(relpath))
        return impex_err_set(err, IMPEX_EUNSAFE, "%s: path leaves the scripts root", relpath);
    entry *e;
    pthread_mutex_lock(&s->lock);
    int rc = lookup(s, relpath, &e, err);
    pthread_mutex_unlock(&s->lock);
    if (rc) return rc;
    if (!e->bytes)
        return impex_err_set(err, IMPEX_ENOTFOUND, "cannot open %s: no such file", relpath);
    if (bytes) *bytes = e->bytes;
    if (len) *len = e->len;
    if (hash) *hash = e->hash;
    return IMPEX_OK;
}

int impex_scriptset_list(impex_scriptset *s, impex_scriptset_cb cb, void *ctx)
{
    /* Entries are immutable: copy the count, then call without the lock
     * (cb may load more scripts). */
    pthread_mutex_lock(&s->lock);
    size_t n = s->n;
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&s->lock);
        entry *e = s->e[i];
        pthread_mutex_unlock(&s->lock);
        if (!e->bytes) continue;
        int rc = cb(ctx, e->path, e->hash);
        if (rc) return rc;
    }
    return IMPEX_OK;
}

int impex_scriptset_pin(impex_scriptset *s, const char *relpath, uint64_t want, const char *since,
                        impex_err *err)
{
    uint64_t have = 0; /* gcc 12 -O3 cannot see that the hash is set on success */
    int rc = impex_scriptset_get(s, relpath, NULL, NULL, &have, err);
    if (rc == IMPEX_ENOTFOUND)
        return impex_err_set(err, IMPEX_ENOTFOUND, "%s was removed since %s started", relpath,
                             since);
    if (rc) return rc;
    if (have != want) {
        char a[17], b[17];
        impex_script_hash_format(want, a);
        impex_script_hash_format(have, b);
        return impex_err_set(err, IMPEX_EDESC, "%s changed since %s started (hash %s now %s)",
                             relpath, since, a, b);
    }
    return IMPEX_OK;
}
