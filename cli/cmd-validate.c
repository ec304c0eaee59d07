/*
 * cmd-validate.c - `dapt validate [--json] [--no-plugins] FILE...`.
 *
 * The loader checks each file on its own; then the stages of every
 * workflow are checked against the plugin catalog, opened once and only
 * when some file holds a workflow (configs alone need no plugins).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"

typedef struct catalog {
    bool enabled;       /* not --no-plugins */
    bool tried;         /* opening was attempted */
    dapt_registry *reg; /* NULL until opened, or when it could not be */
} catalog;

/* Check the workflows of a bundle against the catalog.  Returns the number
 * of errors added (1 when the catalog cannot be opened: the checks that
 * were asked for could not be made). */
static size_t check_targets(catalog *cat, const dapt_bundle *bundle, dapt_diags *diags)
{
    size_t errors = 0;
    for (size_t i = 0; i < bundle->count && cat->enabled; i++) {
        const dapt_resource *r = &bundle->items[i];
        if (r->kind != DAPT_KIND_WORKFLOW || r->u.workflow == NULL)
            continue;
        if (!cat->tried) {
            cat->tried = true;
            cat->reg = cmd_plugins_open();
            if (cat->reg == NULL)
                fprintf(stderr, "dapt: targets were not checked (--no-plugins skips them)\n");
        }
        if (cat->reg == NULL)
            return 1;
        errors += dapt_registry_check_workflow(cat->reg, r->u.workflow, r->file, diags);
    }
    return errors;
}

/* The workspace a file belongs to: the folder above its triggers/ (or
 * workflows/) folder, else the one commands work on. Caller frees. */
static char *file_workspace(const char *path)
{
    char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    char *ws = NULL;
    if (slash != NULL) {
        *slash = '\0';
        char *dir = strrchr(copy, '/');
        const char *base = dir ? dir + 1 : copy;
        if (strcmp(base, "triggers") == 0 || strcmp(base, "workflows") == 0)
            ws = dir ? xstrndup(copy, (size_t)(dir - copy)) : xstrdup(".");
    }
    free(copy);
    return ws ? ws : xstrdup(cli_workspace());
}

/* Check the trigger rules of a bundle against their workspace (the
 * workflow they run exists, the zone is known) and, for a plugin action,
 * the catalog. */
static size_t check_triggers(catalog *cat, const dapt_bundle *bundle, const char *path,
                             dapt_diags *diags)
{
    bool any = false, dotted = false;
    for (size_t i = 0; bundle != NULL && i < bundle->count; i++) {
        const dapt_resource *r = &bundle->items[i];
        if (r->kind == DAPT_KIND_TRIGGER_RULE && r->u.trigger != NULL) {
            any = true;
            dotted |= strchr(r->u.trigger->action_target, '.') != NULL;
        }
    }
    if (!any)
        return 0;
    if (dotted && cat->enabled && !cat->tried) {
        cat->tried = true;
        cat->reg = cmd_plugins_open();
    }
    char *ws = file_workspace(path);
    size_t errors = triggers_check_bundle(bundle, ws, cat->enabled ? cat->reg : NULL, diags);
    free(ws);
    return errors;
}

int cmd_validate(int argc, char **argv)
{
    const cli_command *self = cli_find("validate");
    catalog cat = {.enabled = true};
    bool json = false, options_done = false;
    int files = 0, failed = 0;
    dapt_diags diags;

    for (int i = 1; i < argc; i++) {
        if (options_done || argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
            files++;
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--no-plugins") == 0)
            cat.enabled = false;
        else if (strcmp(argv[i], "--") == 0)
            options_done = true;
        else
            return cli_usage(self, "unknown option '%s'", argv[i]);
    }
    if (files == 0)
        return cli_usage(self, "no file to validate");

    dapt_diags_init(&diags);
    options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && argv[i][0] == '-' && strcmp(argv[i], "-") != 0)
            continue;
        dapt_bundle *bundle;
        int rc = dapt_load_file(&bundle, argv[i], &diags);
        if (check_targets(&cat, bundle, &diags) > 0 ||
            check_triggers(&cat, bundle, argv[i], &diags) > 0 || rc < 0)
            failed++;
        dapt_bundle_free(bundle);
    }
    if (json) {
        dapt_diags_sort(&diags);
        json_t *arr = dapt_diags_to_json(&diags);
        char *text = json_dumps(arr, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
        json_decref(arr);
    } else {
        cli_print_diags(stderr, &diags);
    }
    dapt_diags_free(&diags);
    dapt_registry_free(cat.reg);
    return failed ? CLI_FAILED : CLI_OK;
}
