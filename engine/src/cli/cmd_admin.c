#include "cli/cli.h"
#include "pipeline/query.h"

#include <stdio.h>
#include <string.h>

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
    fflush(stdout);
}

int cmd_verify(cli *c)
{
    if (c->argc) {
        fprintf(stderr, "usage: impex verify\n");
        return EXIT_USAGE;
    }
    impex_err err;
    impex_err_clear(&err);
    impex_verify_summary sum;
    int rc = impex_engine_verify(c->data_dir, c->stop, print_line, NULL, &sum, &err);
    if (rc == IMPEX_OK) {
        printf("the store is sound: %llu databases, %llu entries\n",
               (unsigned long long)sum.databases, (unsigned long long)sum.entries);
        return EXIT_OK;
    }
    fprintf(stderr, "impex: %s\n", err.msg);
    if (rc == IMPEX_ECANCEL) return EXIT_INTERRUPTED;
    if (rc == IMPEX_ESTORE)
        fprintf(stderr, "impex: stop every import, restore the store from a copy made with "
                        "`impex backup` (see README, The store), then run `impex resume`\n");
    return rc == IMPEX_ENOTFOUND ? EXIT_USAGE : EXIT_ENGINE;
}

int cmd_backup(cli *c)
{
    if (c->argc != 1 || c->argv[0][0] == '-') {
        fprintf(stderr, "usage: impex backup DEST\n");
        return EXIT_USAGE;
    }
    impex_engine *e;
    if (cli_open_read(c, &e)) return EXIT_ENGINE;
    impex_err err;
    impex_err_clear(&err);
    int rc = impex_engine_backup(e, c->argv[0], &err);
    impex_engine_close(e);
    if (rc) {
        fprintf(stderr, "impex: %s\n", err.msg);
        return rc == IMPEX_EUSAGE || rc == IMPEX_ENOTFOUND ? EXIT_USAGE : EXIT_ENGINE;
    }
    printf("store copied to %s/store\n", c->argv[0]);
    return EXIT_OK;
}
