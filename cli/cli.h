/*
 * cli.h - the internal header of the dapt program (cli/): the command table
 * and one block per command file.  A command gets argv from its own name on
 * (argv[0] is the command) and returns the process exit status.
 */
#ifndef DAPT_CLI_H
#define DAPT_CLI_H

#include <stdio.h>

#include "dapt/dapt.h"

/* Exit statuses shared by every command. */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1, /* the input was wrong, or the work failed */
    CLI_USAGE = 2,  /* the command line was wrong */
};

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;   /* after "dapt " */
    const char *summary; /* one line for `dapt --help` */
    const char *help;    /* the body of `dapt help NAME` */
} cli_command;

/* main.c */
const cli_command *cli_find(const char *name);
/* Print "usage: dapt USAGE" and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print every diagnostic to `out`, sorted, one per line. */
void cli_print_diags(FILE *out, dapt_diags *diags);

/* cmd-validate.c */
int cmd_validate(int argc, char **argv);

/* cmd-graph.c */
int cmd_graph(int argc, char **argv);

#endif /* DAPT_CLI_H */
