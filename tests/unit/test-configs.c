/*
 * test-configs.c - which `kind: config` resources a run receives and how
 * they merge (configs.c, catalog 1.6 and the golden case of 5.1): name
 * selectors first, then annotation selectors matching on any one pair,
 * shallow merge; no selector: attached to nothing; `kind:` restricts; and
 * the workspace's configs/ folder read in file-name order.
 */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
        char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
        print_error("got  %s\nwant %s\n", g, w);
        free(g);
        free(w);
        fail();
    }
    json_decref(want);
}

/* The resources of a YAML text; the workflow is the first one. */
typedef struct loaded {
    dapt_bundle *b;
    const dapt_config *configs[16];
    size_t count;
    const dapt_workflow *wf;
} loaded;

static void load(loaded *l, const char *annotations, const char *configs)
{
    char *text = xasprintf("kind: workflow\n"
                           "metadata: {name: wf, annotations: %s}\n"
                           "spec: {stages: [{name: a, target: dapt.echo}]}\n"
                           "%s",
                           annotations, configs);
    dapt_diags d = {0};
    dapt_load_buffer(&l->b, "t.yaml", text, strlen(text), &d);
    free(text);
    assert_int_equal(dapt_diags_count(&d, DAPT_SEV_ERROR), 0);
    dapt_diags_free(&d);
    l->count = 0;
    l->wf = dapt_bundle_workflow(l->b);
    assert_non_null(l->wf);
    for (size_t i = 0; i < l->b->count; i++)
        if (l->b->items[i].kind == DAPT_KIND_CONFIG)
            l->configs[l->count++] = l->b->items[i].u.config;
}

static json_t *merge(const loaded *l)
{
    return configs_merge(l->configs, l->count, l->wf);
}

/* ------------------------------------------------------------------ */
/* configs_merge                                                       */
/* ------------------------------------------------------------------ */

/* Catalog 5.1: workflow annotations {group: g, team: t}; A selects
 * {group: g}, B {team: x, group: g} (both match: any one pair), C names
 * the workflow and is applied first, so A and B override it. */
static void test_golden(void **state)
{
    (void)state;
    loaded l;
    load(&l, "{group: g, team: t}",
         "---\n"
         "kind: config\nmetadata: {name: A}\n"
         "spec:\n  selector: {type: annotation, value: {group: g}}\n"
         "  data: {a: 1, shared: A, nested: {x: 1}}\n"
         "---\n"
         "kind: config\nmetadata: {name: B}\n"
         "spec:\n  selector: {type: annotation, value: {team: x, group: g}}\n"
         "  data: {b: 2, shared: B}\n"
         "---\n"
         "kind: config\nmetadata: {name: C}\n"
         "spec:\n  selector: {type: name, value: wf}\n"
         "  data: {c: 3, shared: C, nested: {y: 2}}\n");
    json_t *got = merge(&l);
    /* shallow: C's `nested` is replaced by A's, not merged with it */
    assert_json(got, "{\"c\": 3, \"shared\": \"B\", \"nested\": {\"x\": 1}, \"a\": 1, \"b\": 2}");
    /* a copy: changing it leaves the configs alone */
    json_object_set_new(json_object_get(got, "nested"), "z", json_true());
    assert_json(l.configs[0]->data, "{\"a\": 1, \"shared\": \"A\", \"nested\": {\"x\": 1}}");
    json_decref(got);
    dapt_bundle_free(l.b);
}

/* A name selector is Flowdapt's default type. */
static void test_name_selector(void **state)
{
    (void)state;
    loaded l;
    load(&l, "{}",
         "---\n"
         "kind: config\nmetadata: {name: mine}\n"
         "spec: {selector: {value: wf}, data: {k: 1, both: 1}}\n"
         "---\n"
         "kind: config\nmetadata: {name: other}\n"
         "spec: {selector: {type: name, value: wf2}, data: {k: 2}}\n"
         "---\n"
         "kind: config\nmetadata: {name: later}\n"
         "spec: {selector: {type: name, value: wf}, data: {both: 2}}\n");
    json_t *got = merge(&l);
    assert_json(got, "{\"k\": 1, \"both\": 2}"); /* later in order wins */
    json_decref(got);
    dapt_bundle_free(l.b);
}

static void test_no_selector(void **state)
{
    (void)state;
    loaded l;
    load(&l, "{group: g}",
         "---\n"
         "kind: config\nmetadata: {name: loose}\n"
         "spec: {data: {k: 1}}\n");
    assert_int_equal(l.count, 1);
    assert_int_equal(l.configs[0]->selector_type, DAPT_SELECTOR_NONE);
    json_t *got = merge(&l);
    assert_json(got, "{}");
    json_decref(got);
    dapt_bundle_free(l.b);
}

static void test_kind_restriction(void **state)
{
    (void)state;
    loaded l;
    load(&l, "{group: g}",
         "---\n"
         "kind: config\nmetadata: {name: for_workflows}\n"
         "spec: {selector: {type: name, value: wf, kind: workflow}, data: {w: 1}}\n"
         "---\n"
         "kind: config\nmetadata: {name: for_triggers}\n"
         "spec: {selector: {type: name, value: wf, kind: trigger_rule}, data: {t: 1}}\n"
         "---\n"
         "kind: config\nmetadata: {name: for_configs}\n"
         "spec: {selector: {type: annotation, value: {group: g}, kind: config}, "
         "data: {c: 1}}\n"
         "---\n"
         "kind: config\nmetadata: {name: any_kind}\n"
         "spec: {selector: {type: annotation, value: {group: g}, kind: null}, "
         "data: {any: 1}}\n");
    json_t *got = merge(&l);
    assert_json(got, "{\"w\": 1, \"any\": 1}");
    json_decref(got);
    dapt_bundle_free(l.b);
}

static void test_annotation_rules(void **state)
{
    (void)state;
    loaded l;
    const char *configs = "---\n"
                          "kind: config\nmetadata: {name: g}\n"
                          "spec: {selector: {type: annotation, value: {group: g}}, data: {g: 1}}\n"
                          "---\n"
                          "kind: config\nmetadata: {name: other_value}\n"
                          "spec: {selector: {type: annotation, value: {group: h}}, data: {h: 1}}\n"
                          "---\n"
                          "kind: config\nmetadata: {name: build}\n"
                          "spec: {selector: {type: annotation, value: {build: 2, fast: true}}, "
                          "data: {b: 1}}\n"
                          "---\n"
                          "kind: config\nmetadata: {name: empty}\n"
                          "spec: {selector: {type: annotation, value: {}}, data: {e: 1}}\n";
    load(&l, "{}", configs);
    json_t *got = merge(&l);
    assert_json(got, "{}"); /* a workflow without annotations gets none */
    json_decref(got);
    dapt_bundle_free(l.b);

    /* annotations are text as written: `build: 2` matches a selector's 2 */
    load(&l, "{build: 2, group: x}", configs);
    got = merge(&l);
    assert_json(got, "{\"b\": 1}");
    json_decref(got);
    dapt_bundle_free(l.b);

    load(&l, "{fast: \"True\", build: 3}", configs);
    got = merge(&l);
    assert_json(got, "{\"b\": 1}");
    json_decref(got);
    dapt_bundle_free(l.b);

    load(&l, "{build: \"2.0\"}", configs);
    got = merge(&l);
    assert_json(got, "{\"b\": 1}");
    json_decref(got);
    dapt_bundle_free(l.b);

    load(&l, "{build: two, Group: g}", configs);
    got = merge(&l);
    assert_json(got, "{}"); /* keys are case-sensitive */
    json_decref(got);
    dapt_bundle_free(l.b);
}

/* ------------------------------------------------------------------ */
/* configs_for_workflow: WORKSPACE/configs/                            */
/* ------------------------------------------------------------------ */

static char root[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    strcpy(root, "tmp-configs-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void write_config(const char *ws, const char *name, const char *text)
{
    char *dir = xasprintf("%s/configs", ws);
    fs_mkdir_p(dir, 0755);
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
    free(dir);
}

static const dapt_workflow *workflow(dapt_bundle **b, const char *annotations)
{
    char *text = xasprintf("kind: workflow\nmetadata: {name: wf, annotations: %s}\n"
                           "spec: {stages: [{name: a, target: dapt.echo}]}\n",
                           annotations);
    dapt_diags d = {0};
    assert_int_equal(dapt_load_buffer(b, "wf.yaml", text, strlen(text), &d), 0);
    dapt_diags_free(&d);
    free(text);
    return dapt_bundle_workflow(*b);
}

static void test_workspace_order(void **state)
{
    (void)state;
    char *ws = xasprintf("%s/order", root);
    /* file names decide the order, not the order of creation */
    write_config(ws, "b.yml",
                 "kind: config\nmetadata: {name: B}\n"
                 "spec: {selector: {type: annotation, value: {team: x, group: g}}, "
                 "data: {b: 2, shared: B}}\n");
    write_config(ws, "a.yaml",
                 "kind: config\nmetadata: {name: A}\n"
                 "spec: {selector: {type: annotation, value: {group: g}}, "
                 "data: {a: 1, shared: A, nested: {x: 1}}}\n"
                 "---\n"
                 "kind: config\nmetadata: {name: A2}\n"
                 "spec: {selector: {type: annotation, value: {team: t}}, "
                 "data: {shared: A2}}\n");
    write_config(ws, "c.yaml",
                 "kind: config\nmetadata: {name: C}\n"
                 "spec: {selector: {type: name, value: wf}, "
                 "data: {c: 3, shared: C, nested: {y: 2}}}\n"
                 "---\n"
                 "kind: workflow\nmetadata: {name: not_a_config}\n"
                 "spec: {stages: [{name: s, target: dapt.echo}]}\n");
    write_config(ws, "README.md", "not: yaml: at all: [\n");
    write_config(ws, ".hidden.yaml",
                 "kind: config\nmetadata: {name: H}\n"
                 "spec: {selector: {value: wf}, data: {hidden: 1}}\n");
    dapt_bundle *b;
    const dapt_workflow *wf = workflow(&b, "{group: g, team: t}");
    json_t *out, *used, *files;
    dapt_diags d = {0};
    assert_int_equal(configs_for_workflow(&out, &used, &files, ws, wf, &d), 0);
    assert_int_equal(d.count, 0);
    assert_json(out, "{\"c\": 3, \"shared\": \"B\", \"nested\": {\"x\": 1}, \"a\": 1, \"b\": 2}");
    assert_json(used, "[\"C\", \"A\", \"A2\", \"B\"]");
    /* the file of each, in the same order */
    assert_int_equal(json_array_size(files), 4);
    const char *const suffixes[] = {"/configs/c.yaml", "/configs/a.yaml", "/configs/a.yaml",
                                    "/configs/b.yml"};
    for (size_t i = 0; i < 4; i++) {
        const char *f = json_string_value(json_array_get(files, i));
        assert_non_null(f);
        assert_true(strlen(f) > strlen(suffixes[i]) &&
                    strcmp(f + strlen(f) - strlen(suffixes[i]), suffixes[i]) == 0);
    }
    json_decref(files);
    json_decref(out);
    json_decref(used);
    /* `used` is optional */
    assert_int_equal(configs_for_workflow(&out, NULL, NULL, ws, wf, &d), 0);
    json_decref(out);
    dapt_diags_free(&d);
    dapt_bundle_free(b);
    free(ws);
}

static void test_workspace_without_configs(void **state)
{
    (void)state;
    char *ws = xasprintf("%s/none", root);
    mkdir(ws, 0755);
    dapt_bundle *b;
    const dapt_workflow *wf = workflow(&b, "{}");
    json_t *out, *used;
    dapt_diags d = {0};
    assert_int_equal(configs_for_workflow(&out, &used, NULL, ws, wf, &d), 0);
    assert_int_equal(d.count, 0);
    assert_json(out, "{}");
    assert_json(used, "[]");
    json_decref(out);
    json_decref(used);
    dapt_diags_free(&d);
    dapt_bundle_free(b);
    free(ws);
}

/* A broken file is reported at FILE:LINE:COL; the configs that loaded
 * still apply; a second config of a name is refused. */
static void test_workspace_errors(void **state)
{
    (void)state;
    char *ws = xasprintf("%s/errors", root);
    write_config(ws, "1-good.yaml",
                 "kind: config\nmetadata: {name: good}\n"
                 "spec: {selector: {value: wf}, data: {good: 1}}\n");
    write_config(ws, "2-broken.yaml",
                 "kind: config\nmetadata: {name: broken}\n"
                 "spec: {selector: {type: nmae, value: wf}, "
                 "data: {broken: 1}}\n");
    write_config(ws, "3-dup.yaml",
                 "kind: config\nmetadata: {name: good}\n"
                 "spec: {selector: {value: wf}, data: {dup: 1}}\n");
    write_config(ws, "4-syntax.yaml", "kind: config\nmetadata: {name: [\n");
    dapt_bundle *b;
    const dapt_workflow *wf = workflow(&b, "{}");
    json_t *out, *used;
    dapt_diags d = {0};
    assert_int_equal(configs_for_workflow(&out, &used, NULL, ws, wf, &d), -1);
    assert_json(out, "{\"good\": 1}");
    assert_json(used, "[\"good\"]");
    assert_int_equal(dapt_diags_count(&d, DAPT_SEV_ERROR), 3);
    char *broken = xasprintf("%s/configs/2-broken.yaml", ws);
    char *dup = xasprintf("%s/configs/3-dup.yaml", ws);
    char *good = xasprintf("%s/configs/1-good.yaml", ws);
    char *syntax = xasprintf("%s/configs/4-syntax.yaml", ws);
    assert_string_equal(d.items[0].file, broken);
    assert_int_equal(d.items[0].pos.line, 3);
    assert_string_equal(d.items[0].message, "unknown selector type `nmae` (did you mean `name`?)");
    assert_string_equal(d.items[1].file, dup);
    char *msg = xasprintf("duplicate config name `good`; it is first defined at %s:1", good);
    assert_string_equal(d.items[1].message, msg);
    free(msg);
    assert_string_equal(d.items[2].file, syntax);
    assert_true(d.items[2].pos.line > 0);
    free(broken);
    free(dup);
    free(good);
    free(syntax);
    json_decref(out);
    json_decref(used);
    dapt_diags_free(&d);
    dapt_bundle_free(b);
    free(ws);
}

/* "." as the workspace: messages name configs/FILE. */
static void test_workspace_dot(void **state)
{
    (void)state;
    char *ws = xasprintf("%s/dot", root);
    write_config(ws, "x.yaml",
                 "kind: config\nmetadata: {name: x}\n"
                 "spec: {selector: {type: nmae, value: wf}, data: {}}\n");
    char *cwd = getcwd(NULL, 0);
    assert_int_equal(chdir(ws), 0);
    dapt_bundle *b;
    const dapt_workflow *wf = workflow(&b, "{}");
    json_t *out;
    dapt_diags d = {0};
    assert_int_equal(configs_for_workflow(&out, NULL, NULL, ".", wf, &d), -1);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(d.items[0].file, "configs/x.yaml");
    json_decref(out);
    dapt_diags_free(&d);
    dapt_bundle_free(b);
    free(cwd);
    free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_name_selector),
        cmocka_unit_test(test_no_selector),
        cmocka_unit_test(test_kind_restriction),
        cmocka_unit_test(test_annotation_rules),
        cmocka_unit_test(test_workspace_order),
        cmocka_unit_test(test_workspace_without_configs),
        cmocka_unit_test(test_workspace_errors),
        cmocka_unit_test(test_workspace_dot),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
