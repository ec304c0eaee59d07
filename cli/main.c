/* main.c - the dapt program: the command table, --help and --version. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tui.h"

static int cmd_help(int argc, char **argv);

/* Every command, once: adding a command is adding a row. */
static const cli_command cli_commands[] = {
    {
        .name = "validate",
        .run = cmd_validate,
        .usage = "validate [--json] [--no-plugins] FILE...",
        .summary = "check workflow, config and trigger files; errors as FILE:LINE:COL",
        .help = "Loads every document of each FILE (workflows, configs, trigger rules) and\n"
                "reports every problem in one pass, sorted by position, as\n"
                "  FILE:LINE:COL: error: MESSAGE\n"
                "(warnings and notes likewise) on standard error.\n"
                "\n"
                "The stages of workflows are also checked against the plugin catalog (see\n"
                "`dapt help plugins`): a target no usable plugin has is an error, with the\n"
                "nearest names; so is an `args` key the target does not declare (unless it\n"
                "takes any named argument), and a required parameter a stage with\n"
                "dependencies does not give.  A root stage missing a required parameter\n"
                "is a warning: the run's input may provide it.\n"
                "\n"
                "  --json         print the diagnostics on standard output as a JSON array\n"
                "                 of {file, line, column, severity, message}\n"
                "  --no-plugins   check the files alone, without looking for plugins (for\n"
                "                 workflows written before their plugins are installed)\n"
                "\n"
                "Exit status: 0 when every file is valid (warnings allowed), 1 when any\n"
                "has an error, 2 on a usage error.\n",
    },
    {
        .name = "graph",
        .run = cmd_graph,
        .usage = "graph [--format ascii|dot] FILE",
        .summary = "draw the stage graph of a workflow (ASCII, or Graphviz DOT)",
        .help = "Draws the DAG of the workflow in FILE.  The ASCII drawing lists the stages\n"
                "in a stable topological order with their dependency lanes on the left;\n"
                "parameterized stages are marked [map].  --format dot writes Graphviz DOT\n"
                "for `dot -Tsvg`.\n"
                "\n"
                "Exit status: 0 when drawn, 1 when the file has errors, 2 on a usage error.\n",
    },
    {
        .name = "plugins",
        .run = cmd_plugins,
        .usage = "plugins list|show NAME|files NAME [--json]\n"
                 "       dapt plugins new NAME [DIR] [--python] | install SRC[@REF] | uninstall NAME\n"
                 "       dapt plugins python [--json] [--link]",
        .summary = "the plugin catalog: list, show, files, new, install, uninstall",
        .help = "  list          every plugin found, in search order: NAME VERSION STATUS\n"
                "                TARGETS PATH.  A broken plugin is listed as `broken` with\n"
                "                the reason (and what to do) on the line below; a plugin\n"
                "                whose name an earlier one took is `shadowed` by its path.\n"
                "  show NAME     the plugin's metadata, path, data folder and status, every\n"
                "                target with its signature, doc and parameters, and the\n"
                "                bundled files.  In a signature `*args` means any number of\n"
                "                positional arguments (the parameters after it are named\n"
                "                only), `**kwargs` any named argument, `[p: type]` an\n"
                "                optional parameter without a default.\n"
                "  files NAME    the files of the plugin's data folder (NAME/ beside\n"
                "                NAME.so), recursively, relative to it, sorted, with sizes.\n"
                "  new NAME [DIR]     write a ready plugin project (default DIR: ./NAME)\n"
                "    --python         a Python one: pyproject.toml with the flowdapt.plugins\n"
                "                     entry point, a package of stages, a workflow, tests\n"
                "  install SRC[@REF]  build and install a plugin project (a folder, a git\n"
                "                     URL or a local repository) into the user plugin folder;\n"
                "                     a Python project (setup.py, pyproject.toml) is given\n"
                "                     to the interpreter's pip, into its environment\n"
                "    --editable       (Python) pip install -e: the folder stays the source\n"
                "    --pip-arg ARG    (Python) one more option for pip install, e.g.\n"
                "                     --pip-arg --no-index; $DAPT_PIP_ARGS adds options too\n"
                "  uninstall NAME     remove a plugin installed there, or pip uninstall the\n"
                "                     distribution that declares the Python plugin NAME\n"
                "  python             the Python interpreter dapt uses, its environment, and\n"
                "                     where dapt's own Python code is (--json); --link\n"
                "                     writes dapt.pth into its environment, so that `import\n"
                "                     dapt` and Flowdapt's import paths work in that\n"
                "                     environment's own Python (a plugin's tests); install\n"
                "                     of a Python project does it too\n"
                "\n"
                "  --json   one JSON document on standard output.  list: an array of plugin\n"
                "           objects {name, version, description, author, license, url,\n"
                "           requirements, path, data_dir, status (\"ok\", \"broken\",\n"
                "           \"shadowed\"), error, abi, targets[]} (targets as in `dapt\n"
                "           targets --json`); show: the plugin object plus `files`; files:\n"
                "           an array of {path, size} (path relative to the data folder,\n"
                "           size in bytes).\n"
                "\n"
                "Plugins are NAME.so files (and optional NAME/ data folders) searched in:\n"
                "$DAPT_PLUGIN_PATH (colon separated), the workspace's .dapt/plugins (the\n"
                "current folder), $XDG_DATA_HOME/dapt/plugins, and the system folder\n"
                "($DAPT_PLUGIN_SYSTEM_PATH replaces it).  Plugin code is only loaded in a\n"
                "scanner subprocess, and only for new or changed files: what it found is\n"
                "cached in $XDG_CACHE_HOME/dapt/plugins.cache.  Files that others could\n"
                "write are refused unless DAPT_PLUGIN_INSECURE=1.\n"
                "\n"
                "Python plugins are distributions installed in the interpreter's environment\n"
                "whose entry points declare them (group flowdapt.plugins or dapt.plugins).\n"
                "The interpreter: $DAPT_PYTHON, else the setting services.python.interpreter,\n"
                "else $VIRTUAL_ENV/bin/python, else python3 from PATH.  pip never installs\n"
                "into a Python marked EXTERNALLY-MANAGED that is not a venv: make a venv.\n"
                "\n"
                "Exit status: 0 (also when some plugins are broken: they are reported),\n"
                "1 for an unknown NAME or when discovery cannot run, 2 on a usage error.\n",
    },
    {
        .name = "run",
        .run = cmd_run,
        .usage = "run FILE|NAME [--input K=V]... [--input-json JSON] [--json] [--quiet]\n"
                 "       [--timeout D] [--namespace NS]",
        .summary = "run a workflow, its log streaming to stderr, the result on stdout",
        .help = "Validates the workflow (as `dapt validate`, with the plugin catalog), then\n"
                "runs it on the engine of the workspace ($DAPT_WORKSPACE or the current\n"
                "folder): its dapt.yaml chooses the executor (services.compute.executor:\n"
                "use_processes, workers, grace_period), its configs/ give the stages their\n"
                "config, and the run is recorded in its .dapt/dapt.db (`dapt runs`).\n"
                "NAME runs workflows/NAME.yaml.\n"
                "\n"
                "Stage states and log lines stream to stderr as they happen, each line\n"
                "prefixed with its stage (and #ITEM for the items of a parameterized\n"
                "stage).  The result goes to stdout as one line of JSON.\n"
                "\n"
                "  --input K=V        a run input value (V is JSON when it parses, else a\n"
                "                     string); root stages get the input as named arguments\n"
                "  --input-json JSON  input values as one JSON object\n"
                "  --json             print the run record instead of the result\n"
                "  --quiet            no log on stderr (only a failure)\n"
                "  --timeout D        fail the run when it takes longer than D (30s, 5m)\n"
                "  --namespace NS     the object store namespace of the run (default:\n"
                "                     $DAPT_NAMESPACE, else `default`)\n"
                "\n"
                "Ctrl-C cancels: no more stages start and running ones are asked to stop,\n"
                "then killed after the grace period; a second Ctrl-C kills them at once.\n"
                "\n"
                "Exit status: 0 finished, 1 failed (or did not validate), 2 on a usage\n"
                "error, 130 cancelled.\n",
    },
    {
        .name = "runs",
        .run = cmd_runs,
        .usage = "runs list [--workflow W] [--state S] [--limit N] [--json]\n"
                 "       dapt runs show ID [--json] [--definition]\n"
                 "       dapt runs diff ID1 ID2\n"
                 "       dapt runs logs ID [--stage S] [--grep TEXT] [--follow] [--json]",
        .summary = "the run history: list runs, show one (and what it ran), its log, diffs",
        .help = "Reads the runs `dapt run` recorded in the workspace's .dapt/dapt.db\n"
                "($DAPT_WORKSPACE or the current folder).  ID may be any unique prefix\n"
                "of a run id.  A run whose process died (killed, crashed, power cut) is\n"
                "shown `interrupted` from the next look on.\n"
                "\n"
                "  list          the runs, newest first: ID WORKFLOW STATE STARTED\n"
                "                DURATION SOURCE (times local)\n"
                "    --workflow W  only the runs of workflow W\n"
                "    --state S     only the runs in state S (pending, running, finished,\n"
                "                  failed, cancelled, interrupted)\n"
                "    --limit N     only the N newest\n"
                "  show ID       the run record (file, state, times, commit, error,\n"
                "                result) and a table of its stages with their attempts\n"
                "                and items (ok/total, failed); when the workspace is under\n"
                "                git, the commit and the blob of the workflow and configs it ran\n"
                "    --definition  print the workflow exactly as that run ran it (the\n"
                "                  text kept when it had changes not committed, else its\n"
                "                  blob from the repository)\n"
                "  diff ID1 ID2  what changed between the definitions of two runs: stage\n"
                "                by stage, then line by line, and which configs changed\n"
                "  logs ID       the run's log, one line each as `dapt run` printed it:\n"
                "                STAGE[#ITEM] | TEXT (dapt | TEXT for the engine's own)\n"
                "    --stage S     only the lines of stage S\n"
                "    --grep TEXT   only the lines containing TEXT, ignoring case (an\n"
                "                  index is built at the first search and kept up to date\n"
                "                  at the next ones)\n"
                "    --follow      go on printing as the run (in another process) writes,\n"
                "                  until it ends\n"
                "\n"
                "  --json   one JSON document on standard output.  list: an array of run\n"
                "           records {id, workflow, state, source, started_at, finished_at,\n"
                "           result, error, commit, ..., stages[] {name, state, started_at,\n"
                "           finished_at, attempts, items {total, ok, failed}, error}}; show:\n"
                "           one record; logs: an array of lines {seq, ts, stage, item,\n"
                "           stream, level, text}, one per line of output (so --follow can\n"
                "           stream it).\n"
                "\n"
                "A workspace without .dapt/dapt.db has no runs (list prints nothing).\n"
                "\n"
                "Exit status: 0, 1 for an unknown or ambiguous ID (the candidates are\n"
                "named) or an unknown stage, 2 on a usage error.\n",
    },
    {
        .name = "triggers",
        .run = cmd_triggers,
        .usage = "triggers list [--json]\n"
                 "       dapt triggers fire NAME\n"
                 "       dapt triggers enable NAME | disable NAME",
        .summary = "the workspace's trigger rules: list them, fire one now, turn them on or off",
        .help = "Trigger rules are the `kind: trigger_rule` documents of triggers/*.yaml in\n"
                "the workspace ($DAPT_WORKSPACE or the current folder): a schedule (5-field\n"
                "cron expressions, UTC unless `timezone:` names a zone) or a condition on\n"
                "the events of runs, and the action to take.  `dapt daemon` (or the studio,\n"
                "while it is open) fires them.\n"
                "\n"
                "  list          every rule: type, enabled, next fire time (UTC, and how\n"
                "                long until then), last fired, action; a rule with errors\n"
                "                is listed `broken` with the first one\n"
                "    --json      an array of {name, file, type, rule, action, parameters,\n"
                "                workflow, timezone, catchup, enabled, next_fire,\n"
                "                last_fired, last_run, last_error, fires, error}\n"
                "  fire NAME     run the rule's action now, as if it were due, and wait for\n"
                "                the run it starts (its exit status is that of `dapt run`)\n"
                "  enable NAME   let the rule fire again\n"
                "  disable NAME  keep the rule from firing (its slots pass unfired)\n"
                "\n"
                "Exit status: 0, 1 for an unknown rule or a failed fire, 2 on a usage error.\n",
    },
    {
        .name = "daemon",
        .run = cmd_daemon,
        .usage = "daemon [--grace D]",
        .summary = "fire the workspace's trigger rules, headless, until SIGTERM",
        .help = "Runs in the foreground on the workspace ($DAPT_WORKSPACE or the current\n"
                "folder), firing its trigger rules: schedules on their cron slots,\n"
                "conditions on the events of every run of the workspace (also those of\n"
                "`dapt run` and the studio).  Its log goes to stderr.  Only one process\n"
                "fires a workspace's rules (a lock in .dapt/): a second daemon, or the\n"
                "studio, waits and takes over when the first one stops.\n"
                "\n"
                "  --grace D   on SIGTERM, how long running runs may go on before they are\n"
                "              cancelled (default 30s)\n"
                "\n"
                "SIGTERM or Ctrl-C drains: no more fires, running runs finish within the\n"
                "grace period, then are cancelled; a second one cancels them at once.\n"
                "SIGHUP loads the rules again.\n"
                "\n"
                "Exit status: 0 once drained, 1 when the run store cannot be opened.\n",
    },
    {
        .name = "targets",
        .run = cmd_targets,
        .usage = "targets [PATTERN] [--json]",
        .summary = "list the targets of the usable plugins (what a stage can run)",
        .help = "Lists every target of the usable plugins, sorted, as TARGET KIND SUMMARY\n"
                "(the first line of its doc).  PATTERN selects targets: a glob when it has\n"
                "*, ? or [ (`dapt targets 'cities.*'`), else any target containing it.\n"
                "\n"
                "  --json   an array of target objects {target, plugin, kind, doc,\n"
                "           params[] {name, type, required, default, doc}, returns,\n"
                "           varargs, kwargs}\n"
                "\n"
                "Exit status: 0, 1 when PATTERN matches no target (or discovery cannot\n"
                "run), 2 on a usage error.  See `dapt help plugins` for where plugins are\n"
                "found.\n",
    },
    {
        .name = "init",
        .run = cmd_workspace_init,
        .usage = "init [DIR]",
        .summary = "make a workspace folder under git (or adopt the repository it is in)",
        .help = "Lays out the workspace DIR (default: the current folder): creates DIR and,\n"
                "when missing, workflows/, configs/, triggers/, user_modules/, a commented\n"
                "dapt.yaml (the builtin local executor, in worker processes) and a\n"
                ".gitignore holding .dapt/ (the run store, caches and artifacts stay out\n"
                "of git; the line is added to an existing .gitignore).  No existing file\n"
                "is overwritten.  Then makes DIR a git repository, or adopts the one it\n"
                "is in (a workspace may be a subfolder of a larger repository), and\n"
                "commits what is there and not ignored.\n"
                "\n"
                "Git needs no program of its own: dapt uses libgit2 (through its helper\n"
                "dapt-git).  Commits are by the user.name and user.email of your git\n"
                "configuration; without them, by a fallback identity, and dapt says how to\n"
                "set yours.\n"
                "\n"
                "Exit status: 0 when initialised, 1 when a folder or file cannot be written\n"
                "or git fails, 2 on a usage error.\n",
    },
    {
        .name = "apply",
        .run = cmd_workspace_apply,
        .usage = "apply FILE... [-m MSG]",
        .summary = "validate files of the workspace and commit them",
        .help = "Validates every FILE as `dapt validate` does (workflows against the plugin\n"
                "catalog; the workspace's dapt.yaml as settings; files that are not YAML,\n"
                "such as user modules, as they are), then commits them in one commit.\n"
                "When any FILE does not validate, its errors are printed with\n"
                "\"not applied: FILE does not validate\" and nothing is committed.\n"
                "\n"
                "  -m, --message MSG   the commit message.  Without it the message says\n"
                "                      what changed: \"add workflow etl (9 stages)\" for a\n"
                "                      new workflow, \"workflow etl: add report, change fetch\n"
                "                      (target, args), remove old\" for a changed one (stages\n"
                "                      matched by name), \"update configs/x.yaml\" for\n"
                "                      other files.\n"
                "\n"
                "A FILE as committed is left out (\"nothing to apply: FILE is as\n"
                "committed\").  Prints \"applied N files in COMMIT: MESSAGE\".\n"
                "\n"
                "Exit status: 0 when committed (or nothing had changed), 1 when a file does\n"
                "not validate, is not in the workspace, or git fails, 2 on a usage error.\n",
    },
    {
        .name = "history",
        .run = cmd_workspace_history,
        .usage = "history FILE [--json]",
        .summary = "the commits of a file, with the runs made from each version",
        .help = "Lists the commits that changed FILE, newest first: COMMIT DATE AUTHOR RUNS\n"
                "MESSAGE (the first line), where RUNS counts the runs of the workspace's\n"
                "run store made from that version of the file, by state (\"3 finished,\n"
                "1 failed\"; 0 when none).\n"
                "\n"
                "  --json   an array of {commit, author, email, date, message, blob,\n"
                "           runs {STATE: N}}\n"
                "\n"
                "Exit status: 0, 1 when FILE has no commits or is not in the workspace (or\n"
                "git fails), 2 on a usage error.\n",
    },
    {
        .name = "diff",
        .run = cmd_workspace_diff,
        .usage = "diff [REV [REV]] [FILE] [--stages]",
        .summary = "what changed: by lines, or by stages with --stages",
        .help = "Without REV, compares the last commit (HEAD) with the files as they are;\n"
                "with one REV, that revision with the files as they are; with two, the two\n"
                "revisions.  A REV is a commit id (or a unique prefix), a branch, a tag, or\n"
                "HEAD~N.  FILE limits the diff to one file; the last argument is taken as\n"
                "FILE when such a file exists (write `-- FILE` for a file that does not).\n"
                "\n"
                "  --stages   compare the two versions of the workflow FILE stage by stage\n"
                "             (stages matched by name, so moving one is no change):\n"
                "               + stage report (dapt.sum)\n"
                "               - stage old (dapt.echo)\n"
                "               ~ stage fetch: target: a.b -> a.c; args.days: 14 -> 7\n"
                "             fields one by one, args, options and resources key by key;\n"
                "             \"no stage changes\" when there are none.\n"
                "\n"
                "Exit status: 0 (also when there are differences), 1 for an unknown REV,\n"
                "a file not in the workspace, or when git fails, 2 on a usage error.\n",
    },
    {
        .name = "restore",
        .run = cmd_workspace_restore,
        .usage = "restore FILE REV [--force]",
        .summary = "bring back a version of a file (not committed until applied)",
        .help = "Writes FILE as it was at REV into the workspace.  It is not committed:\n"
                "`dapt apply FILE` does that.  When FILE has changes not applied (it\n"
                "differs from the last commit), nothing is written unless --force is\n"
                "given, and then the changes are first saved to FILE.orig (FILE.orig.1,\n"
                "FILE.orig.2, ... when that exists: no copy is overwritten).\n"
                "\n"
                "  --force   overwrite changes not applied (after saving them)\n"
                "\n"
                "Exit status: 0 when restored, 1 when FILE has changes not applied (without\n"
                "--force), REV or FILE at REV is unknown, or git fails, 2 on a usage error.\n",
    },
    {
        .name = "help",
        .run = cmd_help,
        .usage = "help [COMMAND]",
        .summary = "show help for dapt or for one command",
        .help = "Without COMMAND, lists the commands; with it, shows that command's help.\n",
    },
};
#define CLI_COMMAND_COUNT (sizeof cli_commands / sizeof cli_commands[0])

const cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++) {
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    }
    return NULL;
}

int cli_json_and_one(int argc, char **argv, const cli_command *cmd, bool *json,
                     const char **arg, const char *what)
{
    bool options_done = false;
    *json = false;
    *arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0)
            options_done = true;
        else if (!options_done && strcmp(argv[i], "--json") == 0)
            *json = true;
        else if (!options_done && argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage(cmd, "unknown option '%s'", argv[i]);
        else if (*arg != NULL)
            return cli_usage(cmd, "one %s at a time", what);
        else
            *arg = argv[i];
    }
    return CLI_OK;
}

int cli_usage(const cli_command *cmd, const char *fmt, ...)
{
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        fputs("dapt: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    fprintf(stderr, "usage: dapt %s\n", cmd->usage);
    fprintf(stderr, "Try 'dapt help %s' for more.\n", cmd->name);
    return CLI_USAGE;
}

char *cli_escape(const char *s)
{
    strbuf sb = {0};
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            strbuf_printf(&sb, "\\x%02x", *p);
        else
            strbuf_putc(&sb, (char)*p);
    }
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

void cli_print_diags(FILE *out, dapt_diags *diags)
{
    dapt_diags_sort(diags);
    for (size_t i = 0; i < diags->count; i++) {
        char *line = dapt_diag_format(&diags->items[i]);
        fprintf(out, "%s\n", line);
        free(line);
    }
}

static void cli_print_help(FILE *out)
{
    fprintf(out,
            "dapt %s - a terminal workflow studio\n"
            "\n"
            "usage: dapt [-C DIR] [--theme NAME] [--mouse] [-v LOGFILE] [--edit FILE]\n"
            "                                                            the studio\n"
            "       dapt [-C DIR] COMMAND [ARGS]                           the command line\n"
            "       dapt --version | --help\n"
            "\n"
            "With no command, dapt opens the studio on the workspace (the current\n"
            "folder, or DIR): browse plugins and targets, edit workflows with\n"
            "completion and live validation, run them and watch their logs.\n"
            "\n"
            "Commands:\n",
            dapt_version());
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(out, "\nRun 'dapt help COMMAND' for the details of one command.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        cli_print_help(stdout);
        return CLI_OK;
    }
    if (argc > 2)
        return cli_usage(cli_find("help"), "too many arguments");
    const cli_command *cmd = cli_find(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "dapt: no command '%s'; run 'dapt --help' for the list\n", argv[1]);
        return CLI_USAGE;
    }
    printf("usage: dapt %s\n\n%s\n%s", cmd->usage, cmd->summary, cmd->help);
    return CLI_OK;
}

/* The options before a command: -C DIR (as git and make: work there),
 * and the studio's own.  Returns the index of the command word (argc when
 * none: the studio), or -1 after printing a usage error. */
static int main_options(int argc, char **argv, tui_options *studio)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "-C") == 0 || strcmp(o, "--theme") == 0 || strcmp(o, "-v") == 0 ||
            strcmp(o, "--debug-log") == 0 || strcmp(o, "--edit") == 0) {
            if (next == NULL) {
                fprintf(stderr, "dapt: %s needs a value; run 'dapt --help'\n", o);
                return -1;
            }
            i++;
            if (strcmp(o, "-C") == 0) {
                if (chdir(next) < 0) {
                    fprintf(stderr, "dapt: -C %s: %s\n", next, strerror(errno));
                    return -1;
                }
                /* the folder asked for on the command line is the
                 * workspace, whatever the environment says */
                unsetenv("DAPT_WORKSPACE");
            } else if (strcmp(o, "--theme") == 0) {
                studio->theme = next;
            } else if (strcmp(o, "--edit") == 0) {
                studio->edit = next;
            } else {
                studio->debug_log = next;
            }
        } else if (strcmp(o, "--mouse") == 0) {
            studio->mouse = true;
        } else if (strcmp(o, "--version") == 0 || strcmp(o, "-V") == 0 ||
                   strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            break; /* handled by main */
        } else {
            fprintf(stderr, "dapt: unknown option %s; run 'dapt --help'\n", o);
            return -1;
        }
    }
    return i;
}

int main(int argc, char **argv)
{
    tui_options studio = {0};
    int first = main_options(argc, argv, &studio);
    if (first < 0)
        return CLI_USAGE;
    if (first >= argc)
        return app_main(&studio);
    argc -= first - 1;
    argv += first - 1;
    const char *arg = argv[1];
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("dapt %s\n", dapt_version());
        return CLI_OK;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        cli_print_help(stdout);
        return CLI_OK;
    }
    const cli_command *cmd = cli_find(arg);
    if (cmd == NULL) {
        fprintf(stderr, "dapt: '%s' is not a command; run 'dapt --help' for the list\n", arg);
        return CLI_USAGE;
    }
    /* `dapt validate --help` is the same as `dapt help validate`. */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            char *help_argv[] = {(char *)"help", (char *)cmd->name, NULL};
            return cmd_help(2, help_argv);
        }
    }
    return cmd->run(argc - 1, argv + 1);
}
