/* config.c - `kind: config`: data delivered to the runs of the resources
 * its selector matches (by name, or by any one annotation). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Selector types, indexed by dapt_selector_type (NONE has no name). */
static const char *const selector_names[] = {
    [DAPT_SELECTOR_NONE] = "",
    [DAPT_SELECTOR_NAME] = "name",
    [DAPT_SELECTOR_ANNOTATION] = "annotation",
};
#define SELECTOR_COUNT (sizeof selector_names / sizeof selector_names[0])

static const char *const config_spec_keys[] = {"selector", "data"};
static const char *const selector_keys[] = {"type", "value", "kind"};

static int config_selector_type(load_ctx *lc, const ynode *t, dapt_selector_type *out)
{
    *out = DAPT_SELECTOR_NAME; /* Flowdapt's default */
    if (t == NULL || ynode_is_null(t))
        return 0;
    /* skip the unnamed NONE row */
    int i = load_choice(lc, t, "selector type", selector_names + 1, SELECTOR_COUNT - 1);
    if (i < 0)
        return -1;
    *out = (dapt_selector_type)(i + 1);
    return 0;
}

static void config_load_selector(load_ctx *lc, dapt_config *cfg, const ynode *sel)
{
    if (sel->type != YNODE_MAP) {
        if (sel->type == YNODE_SCALAR)
            load_error(lc, sel->pos,
                       "`selector` must be a mapping with `type` and `value`, not %s; write "
                       "`selector: {type: name, value: %s}`",
                       ynode_describe(sel), sel->str);
        else
            load_error(lc, sel->pos,
                       "`selector` must be a mapping with `type` and `value`, not %s",
                       ynode_describe(sel));
        return;
    }
    load_unknown_keys(lc, sel, "`selector`", selector_keys,
                      sizeof selector_keys / sizeof selector_keys[0]);
    const ynode *t = ynode_get(sel, "type");
    const ynode *v = ynode_get(sel, "value");
    if (config_selector_type(lc, t, &cfg->selector_type) < 0) {
        v = NULL; /* its type is unknown: judging the value would only add noise */
    } else if (v == NULL || ynode_is_null(v)) {
        load_error(lc, sel->pos, "`selector` has no `value`: give a resource name, or a mapping "
                                 "of annotations");
    } else if (cfg->selector_type == DAPT_SELECTOR_NAME && t == NULL && v->type == YNODE_MAP) {
        load_error(lc, v->pos,
                   "`selector.value` is a mapping, but the selector's type is `name` (the "
                   "default); add `type: annotation` to select by annotations");
    } else if (cfg->selector_type == DAPT_SELECTOR_NAME) {
        char *name = NULL;
        if (load_string(lc, v, "selector.value", &name) == 0) {
            cfg->selector_value = json_string(name);
            free(name);
        }
    } else if (cfg->selector_type == DAPT_SELECTOR_ANNOTATION) {
        if (v->type != YNODE_MAP) {
            load_error(lc, v->pos,
                       "an annotation selector's `value` must be a mapping of annotations, "
                       "e.g. {group: nowcast}, not %s",
                       ynode_describe(v));
        } else {
            cfg->selector_value = ynode_to_json(v, "selector.value", lc->file, lc->diags);
        }
    }
    const ynode *k = ynode_get(sel, "kind");
    static const char *const kinds[] = {"workflow", "config", "trigger_rule"};
    if (k != NULL && !ynode_is_null(k) &&
        load_string(lc, k, "selector.kind", &cfg->selector_kind) == 0 &&
        strcmp(cfg->selector_kind, kinds[0]) != 0 && strcmp(cfg->selector_kind, kinds[1]) != 0 &&
        strcmp(cfg->selector_kind, kinds[2]) != 0) {
        const char *near = suggest_closest(cfg->selector_kind, kinds, 3);
        if (near != NULL)
            load_error(lc, k->pos, "unknown kind `%s` in `selector.kind` (did you mean `%s`?)",
                       cfg->selector_kind, near);
        else
            load_error(lc, k->pos,
                       "unknown kind `%s` in `selector.kind`; expected workflow, config or "
                       "trigger_rule",
                       cfg->selector_kind);
    }
}

dapt_config *config_load(load_ctx *lc, const ynode *doc)
{
    dapt_config *cfg = xcalloc(1, sizeof *cfg);
    load_metadata(lc, doc, &cfg->name, &cfg->annotations);
    const ynode *spec = ynode_get(doc, "spec");
    if (spec == NULL || ynode_is_null(spec) || spec->type != YNODE_MAP) {
        if (spec != NULL && !ynode_is_null(spec))
            load_error(lc, spec->pos, "`spec` must be a mapping with `selector` and `data`, not %s",
                       ynode_describe(spec));
        else
            load_error(lc, doc->pos, "missing `spec.data`: a config carries a mapping of data");
        cfg->data = json_object();
        return cfg;
    }
    load_unknown_keys(lc, spec, "`spec`", config_spec_keys,
                      sizeof config_spec_keys / sizeof config_spec_keys[0]);
    const ynode *sel = ynode_get(spec, "selector");
    if (sel == NULL || ynode_is_null(sel)) {
        cfg->selector_type = DAPT_SELECTOR_NONE;
        load_warning(lc, spec->pos,
                     "config `%s` has no `selector`, so no run receives it; add e.g. "
                     "`selector: {type: name, value: my_workflow}`",
                     cfg->name);
    } else {
        config_load_selector(lc, cfg, sel);
    }
    const ynode *data = ynode_get(spec, "data");
    if (data == NULL || ynode_is_null(data)) {
        load_error(lc, spec->pos, "missing `spec.data`: a config carries a mapping of data");
    } else if (data->type != YNODE_MAP) {
        load_error(lc, data->pos, "`data` must be a mapping, not %s", ynode_describe(data));
    } else {
        cfg->data = ynode_to_json(data, "data", lc->file, lc->diags);
    }
    if (cfg->data == NULL)
        cfg->data = json_object();
    return cfg;
}

void config_free(dapt_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->name);
    json_decref(cfg->annotations);
    json_decref(cfg->selector_value);
    free(cfg->selector_kind);
    json_decref(cfg->data);
    free(cfg);
}
