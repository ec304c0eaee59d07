/*
 * cmd-run.c - `dapt run FILE|NAME`: validate, then run on the engine with
 * the log streaming to stderr as it is written; the result (or the run
 * record) on stdout.  Exit 0 finished, 1 failed, 130 cancelled.
 *
 * The printer writes through its own copies of stdout and stderr, made
 * before the run: in thread mode the engine captures the process's fds
 * 1 and 2 so that stage output lands in the log, not on the terminal.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "cli.h"
#include "engine.h"

typedef struct printer {
    FILE *out, *err;
    bool quiet, json, tty;
    bool progress_shown; /* a progress line is on screen, to be erased */
    size_t name_width;
    int sigints;
    dapt_run *run;
    json_t *record;
    int64_t *started; /* by stage index: when it started running */
    const char *workflow; /* its name (borrowed) */
    char *store_error;    /* the run store's first failed write, once said */
} printer;

/* ------------------------------------------------------------------ */
/* The workspace and the workflow                                      */
/* ------------------------------------------------------------------ */

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const char *cli_workspace(void)
{
    const char *ws = getenv("DAPT_WORKSPACE");
    return ws && *ws ? ws : ".";
}

/* FILE as given, or NAME: workflows/NAME.yaml (.yml) of the workspace.
 * Caller frees; NULL after printing why. */
static char *find_workflow(const char *arg)
{
    if (is_file(arg) || strcmp(arg, "-") == 0)
        return xstrdup(arg);
    if (strchr(arg, '/') == NULL) {
        char *p = fs_workflow_file(cli_workspace(), arg);
        if (p != NULL)
            return p;
    }
    fprintf(stderr, "dapt: no workflow `%s`: not a file, and no workflows/%s.yaml in the "
                    "workspace %s\n", arg, arg, cli_workspace());
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Input                                                               */
/* ------------------------------------------------------------------ */

/* --input K=V and --input-json: parsed by run-input.c (the fuzzer's too). */
static int add_input(json_t *input, const char *kv)
{
    char *error = NULL;
    if (run_input_add(input, kv, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        return -1;
    }
    return 0;
}

static int add_input_json(json_t *input, const char *text)
{
    char *error = NULL;
    if (run_input_add_json(input, text, &error) < 0) {
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The printer                                                         */
/* ------------------------------------------------------------------ */

static void clear_progress(printer *p)
{
    if (p->progress_shown) {
        fputs("\r\033[K", p->err);
        p->progress_shown = false;
    }
}

static void stamp(char *buf, size_t size, int64_t ts_us)
{
    time_t t = (time_t)(ts_us / 1000000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, size, "%H:%M:%S", &tm);
}

static void print_duration(FILE *f, int64_t us)
{
    double s = (double)us / 1e6;
    if (s < 60)
        fprintf(f, "%.2fs", s);
    else
        fprintf(f, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void print_lines(printer *p, const dapt_event *ev)
{
    clear_progress(p);
    for (size_t i = 0; i < ev->line_count; i++) {
        const dapt_log_line *l = &ev->lines[i];
        char prefix[160];
        char *stage = l->stage ? cli_escape(l->stage) : NULL;
        if (stage == NULL)
            snprintf(prefix, sizeof prefix, "dapt");
        else if (l->item >= 0)
            snprintf(prefix, sizeof prefix, "%s#%ld", stage, l->item);
        else
            snprintf(prefix, sizeof prefix, "%s", stage);
        free(stage);
        fprintf(p->err, "%-*s | %.*s\n", (int)p->name_width, prefix, (int)l->len, l->text);
    }
}

static void print_progress(printer *p, const dapt_event *ev)
{
    const dapt_items *it = &ev->items;
    if (!p->tty || it->total == 0)
        return;
    size_t done = it->ok + it->failed;
    int width = 24, fill = (int)(done * (size_t)width / it->total);
    clear_progress(p);
    char *stage = cli_escape(ev->stage);
    fprintf(p->err, "%s [%.*s%*s] %zu/%zu ok %zu failed %zu", stage, fill,
            "########################", width - fill, "", done, it->total, it->ok, it->failed);
    free(stage);
    fflush(p->err);
    p->progress_shown = true;
}

static void print_stage(printer *p, const dapt_event *ev)
{
    clear_progress(p);
    char ts[16];
    stamp(ts, sizeof ts, ev->ts_us);
    char *stage = cli_escape(ev->stage);
    fprintf(p->err, "%s %s %s", ts, stage, dapt_state_name(ev->state));
    free(stage);
    if (ev->state == DAPT_STATE_RUNNING && ev->attempt > 1)
        fprintf(p->err, " (attempt %d)", ev->attempt);
    if (ev->state == DAPT_STATE_RUNNING && p->started[ev->stage_index] == 0)
        p->started[ev->stage_index] = ev->ts_us;
    if (dapt_state_terminal(ev->state) && p->started[ev->stage_index] != 0) {
        fputs(" in ", p->err);
        print_duration(p->err, ev->ts_us - p->started[ev->stage_index]);
    }
    if ((ev->state == DAPT_STATE_FINISHED || ev->state == DAPT_STATE_FAILED) &&
        ev->items.total > 0)
        fprintf(p->err, " (%zu item%s: %zu ok, %zu failed)", ev->items.total,
                ev->items.total == 1 ? "" : "s", ev->items.ok, ev->items.failed);
    if (ev->error && ev->state != DAPT_STATE_RUNNING)
        fprintf(p->err, ": %s", ev->error);
    fputc('\n', p->err);
}

/* A write of the run store that failed is said at once: the run goes on,
 * but what the store keeps of it is incomplete. */
static void check_store(printer *p, dapt_run *run, bool wait)
{
    if (p->store_error != NULL || run == NULL)
        return;
    p->store_error = dapt_run_store_error(run, wait);
    if (p->store_error == NULL)
        return;
    clear_progress(p);
    fprintf(p->err, "dapt: the run store failed: %s; this run will not be fully recorded\n",
            p->store_error);
    fflush(p->err);
}

static void on_event(const dapt_event *ev, void *data)
{
    printer *p = data;
    check_store(p, ev->run, false);
    switch (ev->kind) {
    case DAPT_EVENT_LOG:
        if (!p->quiet)
            print_lines(p, ev);
        break;
    case DAPT_EVENT_STAGE:
        if (!p->quiet)
            print_stage(p, ev);
        break;
    case DAPT_EVENT_ITEMS:
        if (!p->quiet)
            print_progress(p, ev);
        break;
    case DAPT_EVENT_RUN:
        if (!dapt_state_terminal(ev->state)) {
            if (!p->quiet) {
                char ts[16];
                stamp(ts, sizeof ts, ev->ts_us);
                char *name = cli_escape(p->workflow);
                fprintf(p->err, "%s run %s of %s started\n", ts, dapt_run_id(ev->run), name);
                free(name);
            }
        } else {
            clear_progress(p);
            p->record = dapt_run_record(ev->run);
            if (!p->quiet || ev->state != DAPT_STATE_FINISHED) {
                char ts[16];
                stamp(ts, sizeof ts, ev->ts_us);
                fprintf(p->err, "%s run %s %s", ts, dapt_run_id(ev->run),
                        dapt_state_name(ev->state));
                if (ev->error)
                    fprintf(p->err, ": %s", ev->error);
                fputc('\n', p->err);
            }
        }
        break;
    }
    fflush(p->err);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    printer *p = sig->data;
    if (p->run == NULL || dapt_run_closed(p->run))
        return;
    clear_progress(p);
    if (++p->sigints == 1) {
        fprintf(p->err, "dapt: %s: cancelling (again to kill the stages at once)\n",
                signum == SIGINT ? "interrupt" : "terminated");
        dapt_run_cancel(p->run, false);
    } else {
        fprintf(p->err, "dapt: killing the stages\n");
        dapt_run_cancel(p->run, true);
    }
    fflush(p->err);
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

typedef struct run_args {
    const char *workflow;
    json_t *input;
    bool json, quiet;
    int64_t timeout_ms;
    const char *ns; /* the object store namespace; NULL: $DAPT_NAMESPACE or "default" */
} run_args;

static int parse_args(run_args *a, int argc, char **argv)
{
    const cli_command *cmd = cli_find("run");
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!options || arg[0] != '-' || arg[1] == '\0') {
            if (a->workflow != NULL)
                return cli_usage(cmd, "one workflow at a time (got `%s` and `%s`)", a->workflow,
                                 arg);
            a->workflow = arg;
        } else if (strcmp(arg, "--") == 0) {
            options = false; /* what follows is the workflow, even "-x" */
        } else if (strcmp(arg, "--json") == 0) {
            a->json = true;
        } else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
            a->quiet = true;
        } else if (strcmp(arg, "--input") == 0 || strcmp(arg, "-i") == 0) {
            if (val == NULL)
                return cli_usage(cmd, "%s needs KEY=VALUE", arg);
            if (add_input(a->input, val) < 0)
                return CLI_USAGE;
            i++;
        } else if (strncmp(arg, "--input=", 8) == 0) {
            if (add_input(a->input, arg + 8) < 0)
                return CLI_USAGE;
        } else if (strcmp(arg, "--input-json") == 0) {
            if (val == NULL)
                return cli_usage(cmd, "--input-json needs a JSON object");
            if (add_input_json(a->input, val) < 0)
                return CLI_USAGE;
            i++;
        } else if (strcmp(arg, "--namespace") == 0) {
            if (val == NULL || val[0] == '\0')
                return cli_usage(cmd, "--namespace needs a name");
            a->ns = val;
            i++;
        } else if (strcmp(arg, "--timeout") == 0) {
            if (val == NULL || dapt_parse_duration(&a->timeout_ms, val) < 0 ||
                a->timeout_ms <= 0)
                return cli_usage(cmd, "--timeout wants a duration like 30s, 5m or 1h30m");
            i++;
        } else {
            return cli_usage(cmd, "unknown option `%s`", arg);
        }
    }
    if (a->workflow == NULL)
        return cli_usage(cmd, "which workflow? give a FILE or the NAME of workflows/NAME.yaml");
    if (a->ns == NULL && getenv("DAPT_NAMESPACE") != NULL && getenv("DAPT_NAMESPACE")[0] != '\0')
        a->ns = getenv("DAPT_NAMESPACE");
    return CLI_OK;
}

/* Drop validate's warnings that a root stage's required parameter must
 * come from the run input: here the input is known, and the engine checks
 * it exactly (an error naming the parameter and --input). */
static void drop_input_warnings(dapt_diags *diags)
{
    static const char tail[] = "the run's input must provide it";
    size_t k = 0;
    for (size_t i = 0; i < diags->count; i++) {
        dapt_diag *d = &diags->items[i];
        size_t n = strlen(d->message);
        if (d->severity == DAPT_SEV_WARNING && n >= sizeof tail - 1 &&
            strcmp(d->message + n - (sizeof tail - 1), tail) == 0) {
            free(d->file);
            free(d->message);
            continue;
        }
        diags->items[k++] = *d;
    }
    diags->count = k;
}

/* Warn about the workspace's config values named like a parameter of a
 * stage's target that do not fit its type (the run reports errors in the
 * configs themselves). */
static void check_config_types(const dapt_registry *reg, const dapt_workflow *wf,
                               dapt_diags *diags)
{
    json_t *config = NULL, *files = NULL;
    dapt_diags ignored = {0};
    configs_for_workflow(&config, NULL, &files, cli_workspace(), wf, &ignored);
    typecheck_config(reg, wf, config, files, diags);
    dapt_diags_free(&ignored);
    json_decref(config);
    json_decref(files);
}

/* Load and validate, with the catalog; print what is wrong (warnings only
 * when not quiet).  NULL when the workflow cannot run. */
static dapt_bundle *load_checked(const char *file, const dapt_registry *reg, bool quiet)
{
    dapt_diags diags = {0};
    dapt_bundle *bundle = NULL;
    int failed = dapt_load_file(&bundle, file, &diags) < 0;
    const dapt_workflow *wf = dapt_bundle_workflow(bundle);
    if (wf == NULL && !failed) {
        dapt_diags_add(&diags, file, (dapt_pos){1, 1}, DAPT_SEV_ERROR,
                       "no `kind: workflow` document here: nothing to run");
        failed = 1;
    }
    if (wf != NULL && !failed)
        failed = dapt_registry_check_workflow(reg, wf, file, &diags) > 0;
    if (wf != NULL && !failed && !quiet)
        check_config_types(reg, wf, &diags);
    drop_input_warnings(&diags);
    if (failed || !quiet)
        cli_print_diags(stderr, &diags);
    dapt_diags_free(&diags);
    if (failed) {
        dapt_bundle_free(bundle);
        return NULL;
    }
    return bundle;
}

static int exit_status(dapt_state state)
{
    switch (state) {
    case DAPT_STATE_FINISHED:
        return CLI_OK;
    case DAPT_STATE_CANCELLED:
        return 130;
    default:
        return CLI_FAILED;
    }
}

static void print_result(printer *p, bool json)
{
    if (json) {
        /* 15 digits: 2.56 rather than 2.5600000000000001 */
        char *s = json_dumps(p->record, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        fprintf(p->out, "%s\n", s);
        free(s);
    } else if (strcmp(json_string_value(json_object_get(p->record, "state")), "finished") == 0) {
        char *s = json_dumps(json_object_get(p->record, "result"),
                             JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        fprintf(p->out, "%s\n", s ? s : "null");
        free(s);
    }
    fflush(p->out);
}

static size_t longest_name(const dapt_workflow *wf)
{
    size_t w = 4;
    for (size_t i = 0; i < wf->stage_count; i++) {
        size_t n = strlen(wf->stages[i].name) + (wf->stages[i].type == DAPT_STAGE_PARAMETERIZED ? 4 : 0);
        if (n > w)
            w = n;
    }
    return w > 40 ? 40 : w;
}

/* Whether the executor settings are wrong (as the run would find): then
 * *error (caller frees) says so, where the setting is in front.  Problems
 * of the settings files themselves are the run's to report. */
static bool settings_fault(const char *workspace, const dapt_registry *reg, char **error)
{
    json_t *settings = NULL;
    dapt_diags diags;
    dapt_diags_init(&diags);
    bool fault = false;
    char *err = NULL;
    if (dapt_settings_load(&settings, workspace, &diags) == 0 && reg != NULL &&
        run_check_settings(settings, reg, &err) < 0) {
        *error = settings_locate_error(workspace, err);
        fault = true;
    }
    free(err);
    json_decref(settings);
    dapt_diags_free(&diags);
    return fault;
}

static int execute(run_args *a, const char *file, const dapt_workflow *wf,
                   const dapt_registry *reg)
{
    printer p = {.quiet = a->quiet, .json = a->json, .tty = isatty(2)};
    p.out = fdopen(dup(1), "w");
    p.err = fdopen(dup(2), "w");
    if (p.out == NULL || p.err == NULL) {
        fprintf(stderr, "dapt: %s\n", strerror(errno));
        return CLI_FAILED;
    }
    p.name_width = longest_name(wf);
    p.workflow = wf->name;
    p.started = xcalloc(wf->stage_count + 1, sizeof *p.started);
    uv_loop_t *loop = uv_default_loop();
    dapt_run_options opts = {
        .workspace = cli_workspace(),
        .file = file,
        .input = a->input,
        .source = "cli",
        .timeout_ms = a->timeout_ms,
        .ns = a->ns,
        .store = true,
        .capture_stdio = true,
        .registry = reg,
        .on_event = on_event,
        .event_data = &p,
    };
    char *error = NULL;
    if (settings_fault(opts.workspace, reg, &error)) {
        /* named where the setting is (dapt.yaml:LINE:COL, $DAPT__...),
         * not as the workflow's fault */
        fprintf(stderr, "dapt: %s\n", error);
        free(error);
        free(p.started);
        fclose(p.out);
        fclose(p.err);
        return CLI_FAILED;
    }
    if (dapt_run_start(&p.run, loop, wf, &opts, &error) < 0) {
        fprintf(stderr, "dapt: %s: %s\n", file, error);
        free(error);
        free(p.started);
        fclose(p.out);
        fclose(p.err);
        return CLI_FAILED;
    }
    uv_signal_t sigint, sigterm;
    uv_signal_init(loop, &sigint);
    uv_signal_init(loop, &sigterm);
    sigint.data = sigterm.data = &p;
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    while (!dapt_run_closed(p.run))
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_close((uv_handle_t *)&sigterm, NULL);
    dapt_state state = dapt_run_state(p.run);
    check_store(&p, p.run, true);
    dapt_run_free(p.run);
    if (p.store_error && p.record)
        json_object_set_new(p.record, "store_error", json_string(p.store_error));
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    if (p.record)
        print_result(&p, a->json);
    json_decref(p.record);
    free(p.started);
    fclose(p.out);
    fclose(p.err);
    if (p.store_error) {
        free(p.store_error);
        return CLI_STORE_FAILED;
    }
    return exit_status(state);
}

int cmd_run(int argc, char **argv)
{
    run_args a = {.input = json_object()};
    int rc = parse_args(&a, argc, argv);
    if (rc != CLI_OK) {
        json_decref(a.input);
        return rc;
    }
    char *file = find_workflow(a.workflow);
    dapt_registry *reg = file ? cmd_plugins_open() : NULL;
    dapt_bundle *bundle = reg ? load_checked(file, reg, a.quiet) : NULL;
    rc = CLI_FAILED;
    if (bundle)
        rc = execute(&a, file, dapt_bundle_workflow(bundle), reg);
    dapt_bundle_free(bundle);
    dapt_registry_free(reg);
    free(file);
    json_decref(a.input);
    loader_unload_all();
    return rc;
}
