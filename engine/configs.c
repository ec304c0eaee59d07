/*
 * configs.c - the `kind: config` resources a run receives (catalog 1.6):
 * the configs whose selector names the workflow, then those whose
 * annotation selector shares any one annotation pair with it, merged
 * shallowly in that order (later top-level keys win), so annotation
 * configs override name configs.  Each group keeps its configs in file
 * order: WORKSPACE/configs/ sorted by file name, documents in order
 * (Flowdapt's "database order").
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "engine.h"

/* The kind of resource a run's workflow is, for `selector.kind`. */
#define WORKFLOW_KIND "workflow"

static bool config_kind_matches(const dapt_config *cfg)
{
    return cfg->selector_kind == NULL || strcmp(cfg->selector_kind, WORKFLOW_KIND) == 0;
}

/* A selector's annotation value against the workflow's, which is text as
 * written: `{build: 2}` in a selector matches `build: 2` (or "2") in the
 * workflow. */
static bool annotation_equal(const char *text, const json_t *want)
{
    if (json_is_string(want))
        return strcmp(text, json_string_value(want)) == 0;
    if (json_is_boolean(want))
        return strcasecmp(text, json_is_true(want) ? "true" : "false") == 0;
    if (json_is_number(want) && *text != '\0') {
        char *end;
        double d = strtod(text, &end);
        return *end == '\0' && d == json_number_value(want);
    }
    return false;
}

/* Any one of the workflow's annotation pairs is in the selector (OR, as
 * Flowdapt: not all of them). */
static bool annotations_match(const json_t *selector, const json_t *annotations)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)annotations, key, v)
    {
        json_t *want = json_object_get(selector, key);
        if (want != NULL && json_is_string(v) && annotation_equal(json_string_value(v), want))
            return true;
    }
    return false;
}

static bool config_selects(const dapt_config *cfg, const dapt_workflow *wf,
                           dapt_selector_type group)
{
    if (cfg->selector_type != group || !config_kind_matches(cfg))
        return false;
    switch (group) {
    case DAPT_SELECTOR_NAME:
        return json_is_string(cfg->selector_value) &&
               strcmp(json_string_value(cfg->selector_value), wf->name) == 0;
    case DAPT_SELECTOR_ANNOTATION:
        return json_is_object(cfg->selector_value) && json_object_size(wf->annotations) > 0 &&
               annotations_match(cfg->selector_value, wf->annotations);
    case DAPT_SELECTOR_NONE:
        break;
    }
    return false; /* no selector: attached to nothing */
}

/* Merge the configs selecting wf into out; their names into used, and
 * their files (file_names[file_of[i]]) into files. */
static void configs_apply(json_t *out, json_t *used, json_t *files,
                          const dapt_config *const *configs, size_t count,
                          const dapt_workflow *wf, char *const *file_names,
                          const size_t *file_of)
{
    static const dapt_selector_type groups[] = {DAPT_SELECTOR_NAME, DAPT_SELECTOR_ANNOTATION};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        for (size_t i = 0; i < count; i++) {
            if (!config_selects(configs[i], wf, groups[g]))
                continue;
            const char *key;
            json_t *v;
            /* copies: stages get the result, and must not reach the configs */
            json_object_foreach(configs[i]->data, key, v)
                json_object_set_new(out, key, json_deep_copy(v));
            if (used)
                json_array_append_new(used, json_string(configs[i]->name));
            if (files)
                json_array_append_new(files, json_string(file_names[file_of[i]]));
        }
    }
}

json_t *configs_merge(const dapt_config *const *configs, size_t count, const dapt_workflow *wf)
{
    json_t *out = json_object();
    configs_apply(out, NULL, NULL, configs, count, wf, NULL, NULL);
    return out;
}

/* ------------------------------------------------------------------ */
/* WORKSPACE/configs/                                                  */
/* ------------------------------------------------------------------ */

/* Flowdapt refuses a second config of the same name; so does this: the
 * first one (in file order) is used. */
static bool config_name_taken(dapt_config *const *configs, size_t count, const dapt_resource *r,
                              char *const *files, const size_t *file_of, const dapt_pos *pos_of,
                              dapt_diags *diags)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(configs[i]->name, r->u.config->name) != 0)
            continue;
        dapt_diags_add(diags, r->file, r->pos, DAPT_SEV_ERROR,
                       "duplicate config name `%s`; it is first defined at %s:%d",
                       r->u.config->name, files[file_of[i]], pos_of[i].line);
        return true;
    }
    return false;
}

int configs_for_workflow(json_t **out, json_t **used, json_t **used_files,
                         const char *workspace, const dapt_workflow *wf, dapt_diags *diags)
{
    size_t errors_before = dapt_diags_count(diags, DAPT_SEV_ERROR);
    /* "configs/x.yaml" reads better than "./configs/x.yaml" in messages */
    char *dir =
        strcmp(workspace, ".") == 0 ? xstrdup("configs") : xasprintf("%s/configs", workspace);
    char **files;
    size_t nfiles;
    fs_yaml_files(&files, &nfiles, dir, diags);
    free(dir);

    dapt_bundle **bundles = xcalloc(nfiles + 1, sizeof *bundles);
    dapt_config **configs = NULL;
    size_t *file_of = NULL;
    dapt_pos *pos_of = NULL;
    size_t count = 0;
    for (size_t f = 0; f < nfiles; f++) {
        dapt_load_file(&bundles[f], files[f], diags);
        for (size_t i = 0; i < bundles[f]->count; i++) {
            const dapt_resource *r = &bundles[f]->items[i];
            /* only configs matter here; one with errors is not applied */
            if (r->kind != DAPT_KIND_CONFIG || !r->valid ||
                config_name_taken(configs, count, r, files, file_of, pos_of, diags))
                continue;
            configs = xrealloc(configs, count + 1, sizeof *configs);
            file_of = xrealloc(file_of, count + 1, sizeof *file_of);
            pos_of = xrealloc(pos_of, count + 1, sizeof *pos_of);
            configs[count] = r->u.config;
            file_of[count] = f;
            pos_of[count] = r->pos;
            count++;
        }
    }

    *out = json_object();
    if (used)
        *used = json_array();
    if (used_files)
        *used_files = json_array();
    configs_apply(*out, used ? *used : NULL, used_files ? *used_files : NULL,
                  (const dapt_config *const *)configs, count, wf, files, file_of);

    for (size_t f = 0; f < nfiles; f++) {
        dapt_bundle_free(bundles[f]);
        free(files[f]);
    }
    free(bundles);
    free(files);
    free(configs);
    free(file_of);
    free(pos_of);
    return dapt_diags_count(diags, DAPT_SEV_ERROR) == errors_before ? 0 : -1;
}
