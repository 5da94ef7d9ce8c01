/* The `impex` command: a thin layer over the engine API. */
#ifndef IMPEX_CLI_CLI_H
#define IMPEX_CLI_CLI_H

#include "pipeline/engine.h"
#include "pipeline/job.h"

#include <signal.h>

/* Exit statuses. */
enum {
    EXIT_OK = 0,
    EXIT_ENGINE = 1,      /* the engine failed (store, I/O) */
    EXIT_USAGE = 2,       /* bad command line, unknown group/job */
    EXIT_WITH_ERRORS = 3, /* COMPLETED_WITH_ERRORS */
    EXIT_FAILED = 4,      /* FAILED_* or INVALID_OPERATION_TYPE */
    EXIT_INTERRUPTED = 5, /* stopped at a checkpoint; `impex resume` continues */
};

typedef struct cli {
    const char *tenant;
    const char *data_dir;
    const char *scripts_root;
    int json;
    volatile sig_atomic_t *stop;
    int argc; /* the command's own arguments, global options removed */
    char **argv;
} cli;

/* Opens the engine for the command. Prints errors. */
int cli_open(const cli *c, impex_engine **out);
/* Opens the engine read-only for a query: creates nothing, never takes a
 * write transaction, so it does not wait for a running import. Prints errors. */
int cli_open_read(const cli *c, impex_engine **out);
/* A whole number written in digits only (no sign, no spaces, no overflow):
 * 0 on success, -1 otherwise. */
int cli_parse_u64(const char *s, uint64_t *out);
/* An id: as cli_parse_u64, and not 0. */
int cli_parse_id(const char *s, uint64_t *out);
/* Exit status for a job's status. */
int cli_exit_for(const impex_job *job);
/* Prints the job: one JSON object with --json, else a human summary. */
void cli_print_job(const cli *c, const impex_job *job, int verbose);

int cmd_import(cli *c);
int cmd_resume(cli *c);
int cmd_jobs(cli *c);
int cmd_job(cli *c);
int cmd_errors(cli *c);
int cmd_get(cli *c);
int cmd_count(cli *c);
int cmd_dump(cli *c);
int cmd_verify(cli *c);
int cmd_backup(cli *c);

#endif
