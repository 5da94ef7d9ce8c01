/* LD_PRELOAD library for allocation-failure tests.
 *
 *   FAILALLOC_AT=k        the k-th allocation (1-based) returns NULL, once
 *   FAILALLOC_COUNT=path  at exit, writes the number of allocations to path
 *   FAILALLOC_TRACE=1     prints a backtrace of the failed allocation to stderr
 *
 * Counted: malloc, calloc, realloc to a non-zero size, and the strdup and
 * aligned families, from this library's constructor on (the loader's and
 * libc's start-up allocations are not the program's). Counting is atomic, but
 * with several threads the k-th allocation need not be the same call on every
 * run. */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

/* dlsym itself may calloc before real_calloc is known: serve that from here. */
static _Alignas(16) unsigned char boot[4096];
static size_t boot_used;
static int resolving;

static atomic_ulong count;
static unsigned long fail_at; /* 0: never */
static int armed, trace;
static const char *count_path;

static int in_boot(const void *p)
{
    return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof boot;
}

static void *boot_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof boot - boot_used) return NULL;
    void *p = boot + boot_used;
    boot_used += n;
    return p; /* static storage: already zero */
}

static void resolve(void)
{
    if (real_malloc || resolving) return;
    resolving = 1;
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    resolving = 0;
}

/* True when this allocation is the one to fail. */
static int should_fail(void)
{
    if (!armed) return 0;
    unsigned long n = atomic_fetch_add(&count, 1) + 1;
    if (n != fail_at) return 0;
    if (trace) {
        static const char msg[] = "failalloc: failing this allocation\n";
        void *frames[64];
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
    }
    errno = ENOMEM;
    return 1;
}

__attribute__((constructor)) static void failalloc_init(void)
{
    resolve();
    const char *at = getenv("FAILALLOC_AT");
    fail_at = at ? strtoul(at, NULL, 10) : 0;
    count_path = getenv("FAILALLOC_COUNT");
    trace = getenv("FAILALLOC_TRACE") != NULL;
    if (trace) { /* backtrace() loads libgcc on first use: not in the failing call */
        void *frames[4];
        backtrace(frames, 4);
    }
    armed = 1;
}

__attribute__((destructor)) static void failalloc_fini(void)
{
    armed = 0;
    if (!count_path) return;
    int fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lu\n", atomic_load(&count));
    ssize_t w = write(fd, buf, (size_t)n);
    (void)w;
    close(fd);
}

void *malloc(size_t n)
{
    resolve();
    if (!real_malloc) return boot_alloc(n);
    if (should_fail()) return NULL;
    return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    resolve();
    if (!real_calloc) {
        if (size && n > SIZE_MAX / size) return NULL;
        return boot_alloc(n * size);
    }
    if (should_fail()) return NULL;
    return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    resolve();
    if (in_boot(p)) { /* rare: grow a bootstrap block into real memory */
        void *q = malloc(n);
        if (q) memcpy(q, p, n < sizeof boot - (size_t)((unsigned char *)p - boot) ? n : 0);
        return q;
    }
    if (n && should_fail()) return NULL; /* realloc(p, 0) frees: not an allocation */
    return real_realloc(p, n);
}

void free(void *p)
{
    if (!p || in_boot(p)) return;
    resolve();
    real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    resolve();
    if (should_fail()) return ENOMEM;
    return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    resolve();
    if (should_fail()) return NULL;
    return real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
    resolve();
    if (should_fail()) return NULL;
    return real_memalign(align, n);
}

/* glibc's own strdup calls malloc through the PLT, so this is counted once
 * either way; defining it here keeps that true for any libc. */
char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

char *strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
