#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: impex [--tenant T] [--data DIR] [--scripts DIR] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  import --group NAME FILE [--strategy skip|strict] [--max-errors N]\n"
    "         [--operation OP] [--batch-size N] [--delimiter C] [--quote C]\n"
    "         [--encoding E] [--delete-omitted RESOURCE|all]...\n"
    "         [--context part=value,...] [--json]\n"
    "                                        import a zip (or a bare .csv) in the foreground\n"
    "  resume [ID] [--json]                  continue every interrupted job, or one\n"
    "  jobs [--json]                         list the tenant's jobs\n"
    "  job ID [--json]                       one job: status, counts, checkpoint, steps\n"
    "  errors ID [--replay [--step N]]       rejected rows as CSV; --replay: the original layout\n"
    "  get RESOURCE KEY [--json]             one record (composite keys joined with /)\n"
    "  count RESOURCE                        number of records of the tenant\n"
    "  dump RESOURCE                         every record as JSON lines, in key order\n"
    "  verify                                read and check the whole store; exit 1 if damaged\n"
    "  backup DEST                           consistent copy of the store into DEST/store\n"
    "\n"
    "--data defaults to $IMPEX_DATA, else ./impex-data; --scripts to $IMPEX_SCRIPTS,\n"
    "else the folder holding descriptors/ and exporters/. --tenant defaults to 'default'.\n"
    "exit status: 0 completed, 3 completed with errors, 4 failed, 5 interrupted,\n"
    "2 usage error, 1 engine error.\n";

/* Set from the signal handler; the import stops at the next batch boundary. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int is_dir(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* The scripts root when neither --scripts nor IMPEX_SCRIPTS names one: an
 * installed tree beside the binary (<prefix>/bin/impex ->
 * <prefix>/share/impex), else the source tree it was built from, else the
 * configured install prefix. */
static const char *default_scripts_root(char *buf, size_t size)
{
    char exe[4096], path[4096 + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int len = snprintf(buf, size, "%s/../share/impex", exe);
            if (len > 0 && (size_t)len < size) {
                snprintf(path, sizeof path, "%s/descriptors", buf);
                if (is_dir(path)) return buf;
            }
        }
    }
#ifdef IMPEX_SOURCE_ROOT
    /* Only the build-tree binary falls back to the source tree it was built from. */
    static const char *const candidates[] = {IMPEX_SOURCE_ROOT, IMPEX_INSTALL_ROOT};
#else
    static const char *const candidates[] = {IMPEX_INSTALL_ROOT};
#endif
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        snprintf(path, sizeof path, "%s/descriptors", candidates[i]);
        if (is_dir(path)) return candidates[i];
    }
    return ".";
}

int main(int argc, char **argv)
{
    cli c = {.tenant = "default", .stop = &stop_requested};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest) {
        fputs("impex: out of memory\n", stderr);
        return EXIT_ENGINE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--tenant")    ? &c.tenant
                            : !strcmp(a, "--data")    ? &c.data_dir
                            : !strcmp(a, "--scripts") ? &c.scripts_root
                                                      : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "impex: %s needs a value\n", a);
                free(rest);
                return EXIT_USAGE;
            }
            *slot = argv[++i];
        } else if (!strcmp(a, "--json")) {
            c.json = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            free(rest);
            return EXIT_OK;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (!c.data_dir) c.data_dir = getenv("IMPEX_DATA") ? getenv("IMPEX_DATA") : "impex-data";
    char root[4096];
    if (!c.scripts_root)
        c.scripts_root = getenv("IMPEX_SCRIPTS") ? getenv("IMPEX_SCRIPTS")
                                                 : default_scripts_root(root, sizeof root);
    if (!*c.tenant) {
        fprintf(stderr, "impex: --tenant must not be empty\n");
        free(rest);
        return EXIT_USAGE;
    }
    if (nrest == 0) {
        fputs(usage, stderr);
        free(rest);
        return EXIT_USAGE;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    static const struct {
        const char *name;
        int (*fn)(cli *);
    } commands[] = {
        {"import", cmd_import}, {"resume", cmd_resume}, {"jobs", cmd_jobs},   {"job", cmd_job},
        {"errors", cmd_errors}, {"get", cmd_get},       {"count", cmd_count}, {"dump", cmd_dump},
        {"verify", cmd_verify}, {"backup", cmd_backup},
    };
    c.argc = nrest - 1;
    c.argv = rest + 1;
    int status = -1;
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(rest[0], commands[i].name)) status = commands[i].fn(&c);
    if (status < 0) {
        fprintf(stderr, "impex: unknown command '%s'\n\n%s", rest[0], usage);
        status = EXIT_USAGE;
    }
    free(rest);
    return status;
}
