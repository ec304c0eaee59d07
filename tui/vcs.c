/*
 * vcs.c - the workspace's git from the studio: apply (validate, then
 * commit with a message the user confirms), and the definition a run ran.
 * All git work goes through the dapt-git helper (engine/workspace.c), as
 * for the commands; the studio process never loads libgit2.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

char *vcs_current_text(tui_app *app, const char *path)
{
    tui_view *ed = app_find_editor(app, path);
    if (ed)
        return view_editor_text(ed);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

typedef struct apply_job {
    char *path; /* absolute */
    char *rel;  /* to the workspace */
} apply_job;

static void apply_job_free(apply_job *j)
{
    free(j->path);
    free(j->rel);
    free(j);
}

static void apply_commit(tui_app *app, const char *message, void *data)
{
    apply_job *j = data;
    if (message == NULL || *message == '\0') {
        app_message(app, SLOT_DIM, message ? "not applied: an empty message" : "not applied");
        apply_job_free(j);
        return;
    }
    const char *args[] = {"commit", "-C", app->workspace, "-m", message, j->rel, NULL};
    json_t *res = NULL;
    char *error = NULL;
    if (workspace_git(&res, args, &error) < 0) {
        app_message(app, SLOT_ERROR, "not applied: %s", error);
    } else {
        const char *commit = json_string_value(json_object_get(res, "commit"));
        bool fallback = json_is_string(json_object_get(res, "identity")) &&
                        strcmp(json_string_value(json_object_get(res, "identity")), "fallback") == 0;
        if (commit == NULL)
            app_message(app, SLOT_MESSAGE, "nothing to apply: %s is as committed", j->rel);
        else
            app_message(app, SLOT_OK, "applied %s in %.7s: %s%s", j->rel, commit, message,
                        fallback ? " (no git identity set: committed as dapt)" : "");
    }
    json_decref(res);
    free(error);
    app_refresh_git(app);
    app_notify(app, TUI_NOTIFY_FILES);
    apply_job_free(j);
}

void vcs_apply(tui_app *app, const char *path)
{
    char rel[4096];
    app_relpath(app, path, rel, sizeof rel);
    if (strcmp(rel, path) == 0) {
        app_message(app, SLOT_ERROR, "not applied: %s is outside the workspace", path);
        return;
    }
    /* Validate what is on disk: that is what gets committed. */
    dapt_diags diags;
    dapt_diags_init(&diags);
    dapt_bundle *bundle = NULL;
    int rc = dapt_load_file(&bundle, path, &diags);
    const dapt_workflow *wf = bundle ? dapt_bundle_workflow(bundle) : NULL;
    if (wf && app->registry && dapt_registry_check_workflow(app->registry, wf, path, &diags) > 0)
        rc = -1;
    if (rc < 0 || dapt_diags_count(&diags, DAPT_SEV_ERROR) > 0) {
        dapt_diags_sort(&diags);
        char *first = NULL;
        for (size_t i = 0; i < diags.count && first == NULL; i++)
            if (diags.items[i].severity == DAPT_SEV_ERROR)
                first = dapt_diag_format(&diags.items[i]);
        app_message(app, SLOT_ERROR, "not applied (fix it first): %s", first ? first : "errors");
        free(first);
        dapt_diags_free(&diags);
        if (bundle)
            dapt_bundle_free(bundle);
        return;
    }
    dapt_diags_free(&diags);
    /* New to git, changed, or as committed? */
    const char *args[] = {"status", "-C", app->workspace, rel, NULL};
    json_t *st = NULL;
    char *error = NULL;
    if (workspace_git(&st, args, &error) < 0) {
        app_message(app, SLOT_ERROR, "not applied: %s", error);
        free(error);
        if (bundle)
            dapt_bundle_free(bundle);
        return;
    }
    json_t *file = json_array_get(json_object_get(st, "files"), 0);
    const char *state = json_string_value(json_object_get(file, "state"));
    bool is_new = !json_is_string(json_object_get(file, "head_blob"));
    if (state && strcmp(state, "clean") == 0) {
        app_message(app, SLOT_MESSAGE, "nothing to apply: %s is as committed", rel);
    } else {
        char *summary = workspace_change_summary(app->workspace, rel, bundle, is_new);
        apply_job *j = xcalloc(1, sizeof *j);
        j->path = xstrdup(path);
        j->rel = xstrdup(rel);
        app_prompt(app, "Commit message: ", summary, apply_commit, NULL, j);
        free(summary);
    }
    json_decref(st);
    if (bundle)
        dapt_bundle_free(bundle);
}

void vcs_show_definition(tui_app *app, const char *id, bool diff)
{
    json_t *rec = NULL;
    char *error = NULL;
    if (app->store == NULL || store_get_run(app->store, &rec, id, &error) < 0) {
        app_message(app, SLOT_ERROR, "run %s: %s", id, error ? error : "no run store");
        free(error);
        return;
    }
    char *def = workspace_run_definition(app->workspace, rec, &error);
    if (def == NULL) {
        app_message(app, SLOT_ERROR, "run %s: %s", id, error);
        free(error);
        json_decref(rec);
        return;
    }
    const char *file = json_string_value(json_object_get(rec, "file"));
    const char *rid = json_string_value(json_object_get(rec, "id"));
    char *path = file == NULL ? NULL
                 : file[0] == '/' ? xstrdup(file)
                                  : xasprintf("%s/%s", app->workspace, file);
    char *real = path ? realpath(path, NULL) : NULL; /* "./workflows/x.yaml" as the run said */
    if (real) {
        free(path);
        path = real;
    }
    if (!diff) {
        char *title = xasprintf("run %s: as it ran", rid ? rid : id);
        app_push(app, view_text_new(app, title, def, false));
        free(title);
    } else {
        char *now = path ? vcs_current_text(app, path) : NULL;
        if (now == NULL) {
            app_message(app, SLOT_ERROR, "run %s: its file %s is gone", id, file ? file : "?");
        } else {
            char la[64], lb[4096];
            snprintf(la, sizeof la, "run %s", rid ? rid : id);
            app_relpath(app, path, lb, sizeof lb);
            char *d = textdiff_unified(def, now, la, lb);
            char *title = xasprintf("run %s vs %s", rid ? rid : id, lb);
            if (*d == '\0')
                app_message(app, SLOT_OK, "%s is as run %s ran it", lb, rid ? rid : id);
            else
                app_push(app, view_text_new(app, title, d, true));
            free(title);
            free(d);
        }
        free(now);
    }
    free(path);
    free(def);
    json_decref(rec);
}
