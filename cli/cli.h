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
    CLI_STORE_FAILED = 4, /* run: the run store could not record all of the run */
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
/* The command line of a command taking `--json` and at most one argument
 * (`what` names it in the usage message): CLI_OK with *json and *arg (NULL
 * when none), or what cli_usage returned. */
int cli_json_and_one(int argc, char **argv, const cli_command *cmd, bool *json,
                     const char **arg, const char *what);
/* A name from a workflow, a plugin or the run store as it can be printed:
 * control characters (ESC, CR, LF...) as \xNN, so that a name cannot
 * forge lines or move the cursor.  New string. */
char *cli_escape(const char *s);
/* Print every diagnostic to `out`, sorted, one per line. */
void cli_print_diags(FILE *out, dapt_diags *diags);

/* cmd-validate.c */
int cmd_validate(int argc, char **argv);

/* cmd-graph.c */
int cmd_graph(int argc, char **argv);

/* cmd-plugins.c: `dapt plugins list|show|files` and the dispatch of the
 * other `dapt plugins` subcommands. */
int cmd_plugins(int argc, char **argv);
/* The plugin catalog for a command: workspace the current folder,
 * discovery's warnings printed to stderr.  NULL after printing why
 * discovery could not work at all.  Free with dapt_registry_free(). */
dapt_registry *cmd_plugins_open(void);
/* Print a JSON value (JSON_INDENT(2)) and a newline to stdout. */
void cmd_plugins_print_json(json_t *value);

/* cmd-run.c: `dapt run FILE|NAME`. */
int cmd_run(int argc, char **argv);
/* The workspace commands work on: $DAPT_WORKSPACE, else ".".  Borrowed. */
const char *cli_workspace(void);

/* cmd-runs.c: `dapt runs list|show ID|logs ID`. */
int cmd_runs(int argc, char **argv);

/* cmd-triggers.c: `dapt triggers list|fire|enable|disable` and `dapt
 * daemon`. */
int cmd_triggers(int argc, char **argv);
int cmd_daemon(int argc, char **argv);

/* cmd-targets.c */
int cmd_targets(int argc, char **argv);

/* cmd-workspace.c: the workspace under git (through dapt-git):
 * `dapt init [DIR]`, `dapt apply FILE...`, `dapt history FILE`,
 * `dapt diff [REV [REV]] [FILE]`, `dapt restore FILE REV`. */
int cmd_workspace_init(int argc, char **argv);
int cmd_workspace_apply(int argc, char **argv);
int cmd_workspace_history(int argc, char **argv);
int cmd_workspace_diff(int argc, char **argv);
int cmd_workspace_restore(int argc, char **argv);

/* cmd-plugins-new.c: `dapt plugins new NAME [DIR]`, run by cmd-plugins.c
 * (argv[0] is "new"). */
int plugins_new_run(int argc, char **argv);

/* cmd-plugins-install.c: `dapt plugins install SRC[@REF]` and `dapt
 * plugins uninstall NAME`, run by cmd-plugins.c (argv[0] is "install" or
 * "uninstall"). */
int plugins_install_run(int argc, char **argv);
int plugins_uninstall_run(int argc, char **argv);

/* cmd-plugins-python.c: Python plugin projects (a distribution whose entry
 * points declare the plugin in flowdapt.plugins or dapt.plugins),
 * installed and removed with the interpreter's pip, and `dapt plugins
 * python` (argv[0] is "python"). */
typedef struct plugins_pip_options {
    char **args; /* passed to `pip install` before the project */
    size_t arg_count;
    size_t env_count; /* the first env_count came from $DAPT_PIP_ARGS */
    bool editable; /* pip install --editable */
} plugins_pip_options;
/* Does `dir` hold a Python project (setup.py, or a pyproject.toml with a
 * [project] or [build-system] table)? */
bool plugins_python_project(const char *dir);
/* pip install `project` (a folder) into the interpreter's environment,
 * then report the plugins it brought (`label` names the source in
 * messages).  0, or -1 after saying why. */
int plugins_python_install(const char *project, const char *label,
                           const plugins_pip_options *opts);
/* pip uninstall the distribution that declares the plugin `name`:
 * CLI_OK, CLI_FAILED after saying why, or -1 when no installed
 * distribution declares it (nothing said). */
int plugins_python_uninstall(const char *name);
int plugins_python_run(int argc, char **argv);

#endif /* DAPT_CLI_H */
