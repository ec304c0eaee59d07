/*
 * test-complete.c - unit tests of tui/complete.c (complete_at).
 *
 * Each case is a workflow text with the cursor written as `<|>`, the
 * context expected, what accepting would replace (the bytes of the
 * cursor's line from start to end) and the items expected, best first
 * ("a,b,c"); when nothing is offered, the result is empty (no context,
 * no range).  The catalog is built with complete_catalog_add, as the
 * registry's would be.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui.h"

static complete_catalog *small_catalog(void)
{
    complete_catalog *cat = complete_catalog_new(NULL);
    complete_catalog_add(cat, "weather.stages.fetch",
                         "(city: string, days?: integer = 7) -> object", "Fetch recent weather.");
    complete_catalog_add_param(cat, "city", "string (required)", "The city");
    complete_catalog_add_param(cat, "days", "integer = 7", NULL);
    complete_catalog_add(cat, "weather.stages.features", "(lags?: integer = 6)", NULL);
    complete_catalog_add_param(cat, "lags", "integer = 6", NULL);
    complete_catalog_add(cat, "cities.stages.weather", "()", NULL);
    complete_catalog_add(cat, "dapt.echo", "(**kwargs)", "Return the named arguments.");
    return cat;
}

static int setup(void **state)
{
    *state = small_catalog();
    return 0;
}

static int teardown(void **state)
{
    complete_catalog_free(*state);
    return 0;
}

typedef struct got {
    char context[32];
    char replaced[128];
    char items[1024];
    complete_result res;
} got;

/* Complete at the `<|>` of `marked` (at most max items; 0: 50). */
static void complete_marked(got *g, const complete_catalog *cat, const char *marked, size_t max)
{
    const char *mark = strstr(marked, "<|>");
    assert_non_null(mark);
    size_t at = (size_t)(mark - marked), len = strlen(marked) - 3;
    char *text = malloc(len + 1);
    memcpy(text, marked, at);
    memcpy(text + at, mark + 3, len - at + 1);
    size_t line = 0, line_start = 0;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    complete_at(&g->res, cat, text, len, line, at - line_start, max);
    snprintf(g->context, sizeof g->context, "%s", g->res.context ? g->res.context : "-");
    assert_true(g->res.start <= g->res.end);
    snprintf(g->replaced, sizeof g->replaced, "%.*s", (int)(g->res.end - g->res.start),
             text + line_start + g->res.start);
    g->items[0] = '\0';
    for (size_t i = 0; i < g->res.count; i++) {
        size_t n = strlen(g->items);
        snprintf(g->items + n, sizeof g->items - n, "%s%s", i ? "," : "", g->res.items[i].text);
    }
    free(text);
}

static void expect(const complete_catalog *cat, const char *marked, const char *context,
                   const char *replaced, const char *items)
{
    got g;
    complete_marked(&g, cat, marked, 0);
    if (strcmp(g.context, context) != 0 || strcmp(g.replaced, replaced) != 0 ||
        strcmp(g.items, items) != 0)
        print_error("in:\n%s\ngot context %s, replacing `%s`: %s\n", marked, g.context, g.replaced,
                    g.items);
    assert_string_equal(g.context, context);
    assert_string_equal(g.replaced, replaced);
    assert_string_equal(g.items, items);
    complete_result_free(&g.res);
}

#define HEAD "kind: workflow\nmetadata:\n  name: wf\nspec:\n  stages:\n"

/* ------------------------------------------------------------------ */

static void test_target_block(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat, HEAD "    - name: a\n      target: wea<|>\n", "target", "wea",
           "weather.stages.fetch,weather.stages.features,cities.stages.weather");
    /* right after the dash */
    expect(cat, HEAD "    - target: ech<|>\n      name: a\n", "target", "ech",
           "dapt.echo,weather.stages.fetch");
    /* nothing typed yet: every target, shorter first */
    expect(cat, HEAD "    - name: a\n      target: <|>\n", "target", "",
           "dapt.echo,weather.stages.fetch,cities.stages.weather,weather.stages.features");
    /* the cursor inside a value: the whole value is replaced */
    expect(cat, HEAD "    - name: a\n      target: wea<|>ther.x\n", "target", "weather.x",
           "weather.stages.fetch,weather.stages.features,cities.stages.weather");
    /* quoted: inside the quotes */
    expect(cat, HEAD "    - name: a\n      target: \"dapt.e<|>\"\n", "target", "dapt.e",
           "dapt.echo");
    /* case does not matter */
    expect(cat, HEAD "    - name: a\n      target: WSF<|>\n", "target", "WSF",
           "weather.stages.fetch,weather.stages.features");
    /* the flat form */
    expect(cat, "name: wf\nstages:\n- name: a\n  target: cit<|>\n", "target", "cit",
           "cities.stages.weather");
    /* no match */
    expect(cat, HEAD "    - name: a\n      target: zzz<|>\n", "-", "", "");
}

static void test_target_flow(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat, HEAD "    - {name: a, target: ech<|>}\n", "target", "ech",
           "dapt.echo,weather.stages.fetch");
    expect(cat, HEAD "    - {name: a, target: echo<|>, type: simple}\n", "target", "echo",
           "dapt.echo");
    expect(cat, HEAD "    - name: a\n      options: {target: cit<|>}\n", "target", "cit",
           "cities.stages.weather");
}

/* `key:` then no space yet: values go in with the space. */
static void test_target_no_space(void **state)
{
    got g;
    complete_marked(&g, *state, HEAD "    - name: a\n      target:<|>\n", 1);
    assert_string_equal(g.context, "target");
    assert_int_equal(g.res.count, 1);
    assert_string_equal(g.res.items[0].text, " dapt.echo");
    assert_string_equal(g.res.items[0].label, "dapt.echo");
    complete_result_free(&g.res);
}

static void test_target_item_fields(void **state)
{
    got g;
    complete_marked(&g, *state, HEAD "    - name: a\n      target: wea<|>\n", 0);
    assert_int_equal(g.res.count, 3);
    const complete_item *it = &g.res.items[0];
    assert_string_equal(it->label, "weather.stages.fetch");
    assert_string_equal(it->detail, "(city: string, days?: integer = 7) -> object");
    assert_string_equal(it->doc, "Fetch recent weather.");
    assert_int_equal(it->nmatch, 3);
    assert_int_equal(it->match[0], 0);
    assert_int_equal(it->match[2], 2);
    it = &g.res.items[2];
    assert_string_equal(it->label, "cities.stages.weather");
    assert_int_equal(it->match[0], 14);
    assert_int_equal(it->match[1], 15);
    assert_int_equal(it->match[2], 16);
    assert_true(g.res.items[0].score > g.res.items[2].score);
    assert_null(g.res.items[2].doc);
    assert_int_equal(g.res.start, strlen("      target: "));
    complete_result_free(&g.res);
}

static void test_depends_on(void **state)
{
    const complete_catalog *cat = *state;
    /* flow: the stages above, nearest first, then those below; not the
     * stage itself, not those listed */
    expect(cat,
           HEAD "    - name: fetch\n      target: dapt.echo\n"
                "    - name: clean\n      target: dapt.echo\n"
                "    - name: merge\n      depends_on: [<|>]\n"
                "    - name: report\n      target: dapt.echo\n",
           "depends_on", "", "clean,fetch,report");
    expect(cat,
           HEAD "    - name: fetch\n      target: dapt.echo\n"
                "    - name: clean\n      target: dapt.echo\n"
                "    - name: merge\n      depends_on: [clean, f<|>]\n",
           "depends_on", "f", "fetch");
    expect(cat,
           HEAD "    - name: fetch\n      target: dapt.echo\n"
                "    - name: clean\n      target: dapt.echo\n"
                "    - name: merge\n      depends_on: [fetch, <|>, clean]\n",
           "-", "", "");
    /* block list, and the name written after depends_on */
    expect(cat,
           HEAD "    - name: fetch\n      target: dapt.echo\n"
                "    - depends_on:\n        - fetch\n        - <|>\n      name: merge\n"
                "    - name: clean\n      target: dapt.echo\n",
           "depends_on", "", "clean");
    /* a block list at its key's column */
    expect(cat,
           "name: wf\nstages:\n- name: a\n  target: dapt.echo\n- name: b\n  depends_on:\n"
           "  - <|>\n",
           "depends_on", "", "a");
    /* one name as a scalar, as Flowdapt accepts */
    expect(cat,
           HEAD "    - name: fetch\n      target: dapt.echo\n"
                "    - name: clean\n      target: dapt.echo\n"
                "    - name: merge\n      depends_on: cl<|>\n",
           "depends_on", "cl", "clean");
    /* a stage written in flow counts */
    expect(cat,
           HEAD "    - {name: fetch, target: dapt.echo}\n    - name: b\n"
                "      depends_on: [<|>]\n",
           "depends_on", "", "fetch");
    /* in a flow stage */
    expect(cat,
           HEAD "    - {name: fetch, target: dapt.echo}\n"
                "    - {name: b, depends_on: [fe<|>]}\n",
           "depends_on", "fe", "fetch");
    /* a name used twice is offered once, with its first stage's target
     * beside it */
    got g;
    complete_marked(&g, cat,
                    HEAD "    - name: fetch\n      target: cities.stages.weather\n"
                         "    - name: b\n      depends_on: [<|>]\n"
                         "    - target: dapt.echo\n      name: fetch\n    - name: c\n",
                    0);
    assert_string_equal(g.items, "fetch,c");
    assert_string_equal(g.res.items[0].detail, "cities.stages.weather");
    assert_string_equal(g.res.items[1].detail, "");
    complete_result_free(&g.res);
}

static void test_keys_top(void **state)
{
    const complete_catalog *cat = *state;
    /* an empty document: both forms */
    expect(cat, "<|>", "key", "",
           "kind: ,metadata: ,spec: ,version: ,name: ,description: ,stages: ");
    /* the resource form, without the keys already there */
    expect(cat, "kind: workflow\n<|>\nmetadata:\n  name: x\n", "key", "", "spec: ,version: ");
    /* the flat form */
    expect(cat, "name: x\nst<|>\n", "key", "st", "stages: ,description: ");
    /* replacing a key being edited, with its colon */
    expect(cat, "kind: workflow\nme<|>ta: \n", "key", "meta: ", "metadata: ,name: ");
}

static void test_keys_metadata_spec(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat, "kind: workflow\nmetadata:\n  <|>\n", "key", "",
           "name: ,annotations: ,description: ");
    expect(cat, "kind: workflow\nmetadata:\n  name: x\n  <|>\n", "key", "",
           "annotations: ,description: ");
    expect(cat, "kind: workflow\nmetadata:\n  name: x\nspec:\n  <|>\n", "key", "",
           "stages: ,description: ");
    expect(cat, "metadata:\n  name: x\nspec:\n  <|>\n", "key", "", "stages: ,description: ");
    expect(cat, "kind: config\nmetadata:\n  name: x\nspec:\n  <|>\n", "-", "", "");
    /* a trigger rule's spec has its own keys */
    expect(cat, "kind: trigger_rule\nmetadata:\n  name: x\nspec:\n  type: schedule\n  <|>\n", "key",
           "", "rule: ,action: ,timezone: ,catchup: ");
    /* nothing is offered under annotations: they are free */
    expect(cat, "kind: workflow\nmetadata:\n  annotations:\n    <|>\n", "-", "", "");
}

static void test_keys_stage(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat, HEAD "    - name: a\n      ta<|>\n", "key", "ta",
           "target: ,retry_delay: ");
    /* a new stage: every stage key (the loader's, in its order); the
     * options (map_on, allow_partial_failure) only under `options` */
    expect(cat, HEAD "    - <|>\n", "key", "",
           "name: ,target: ,type: ,depends_on: ,description: ,version: ,options: ,"
           "resources: ,priority: ,args: ,timeout: ,retries: ,retry_delay: ");
    /* the keys already there, above and below, are left out */
    expect(cat,
           HEAD "    - name: a\n      <|>\n      target: dapt.echo\n      type: simple\n"
                "      args: {}\n    - name: b\n",
           "key", "",
           "depends_on: ,description: ,version: ,options: ,resources: ,priority: ,"
           "timeout: ,retries: ,retry_delay: ");
    /* prefixes first (equal scores keep the loader's order) */
    expect(cat, HEAD "    - name: a\n      re<|>\n", "key", "re",
           "resources: ,retries: ,retry_delay: ,target: ");
    /* in a flow stage */
    expect(cat, HEAD "    - {name: a, targ<|>}\n", "key", "targ", "target: ");
}

static void test_keys_options_resources(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat, HEAD "    - name: a\n      options:\n        <|>\n", "key", "",
           "map_on: ,allow_partial_failure: ");
    expect(cat, HEAD "    - name: a\n      options: {map_on: x, <|>}\n", "key", "",
           "allow_partial_failure: ");
    expect(cat, HEAD "    - name: a\n      resources:\n        cpus: 1\n        <|>\n", "key", "",
           "gpus: ,memory: ");
    expect(cat, HEAD "    - name: a\n      resources: {m<|>}\n", "key", "m", "memory: ");
}

static void test_keys_args(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat,
           HEAD "    - name: a\n      target: weather.stages.fetch\n      args:\n        <|>\n",
           "key", "", "city: ,days: ");
    /* the target written after args, a parameter already given */
    expect(cat,
           HEAD "    - name: a\n      args:\n        days: 3\n        <|>\n"
                "      target: weather.stages.fetch\n",
           "key", "", "city: ");
    expect(cat, HEAD "    - name: a\n      target: weather.stages.features\n      args: {<|>}\n",
           "key", "", "lags: ");
    /* the detail and doc of a parameter */
    got g;
    complete_marked(&g, *state,
                    HEAD "    - name: a\n      target: weather.stages.fetch\n      args:\n"
                         "        ci<|>\n",
                    0);
    assert_int_equal(g.res.count, 1);
    assert_string_equal(g.res.items[0].label, "city");
    assert_string_equal(g.res.items[0].detail, "string (required)");
    assert_string_equal(g.res.items[0].doc, "The city");
    complete_result_free(&g.res);
    /* an unknown target has no parameters to offer */
    expect(cat, HEAD "    - name: a\n      target: nope.x\n      args:\n        <|>\n", "-", "",
           "");
}

static void test_enums(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat, HEAD "    - name: a\n      type: <|>\n", "type", "", "simple,parameterized");
    expect(cat, HEAD "    - name: a\n      type: par<|>\n", "type", "par", "parameterized");
    expect(cat, HEAD "    - {name: a, type: s<|>}\n", "type", "s", "simple");
    expect(cat, "kind: <|>\n", "kind", "", "workflow,config,trigger_rule");
    expect(cat, "kind: tr<|>\nmetadata:\n", "kind", "tr", "trigger_rule");
    expect(cat, HEAD "    - name: a\n      options:\n        allow_partial_failure: <|>\n",
           "boolean", "", "true,false");
    expect(cat, HEAD "    - name: a\n      allow_partial_failure: f<|>\n", "boolean", "f", "false");
}

static void test_nothing(void **state)
{
    const complete_catalog *cat = *state;
    /* in a comment, in free text, in a name */
    expect(cat, HEAD "    - name: a\n      target: dapt.echo  # wea<|>\n", "-", "", "");
    expect(cat, HEAD "    # target: wea<|>\n", "-", "", "");
    expect(cat, HEAD "    - name: a\n      description: some wea<|>\n", "-", "", "");
    expect(cat, HEAD "    - name: wea<|>\n", "-", "", "");
    /* under a key that already has its value */
    expect(cat, HEAD "    - name: a\n      target: dapt.echo\n        <|>\n", "-", "", "");
    /* in a block scalar's text; after it, keys again */
    expect(cat,
           HEAD "    - name: a\n      description: |\n        It runs\n        target: wea<|>\n",
           "-", "", "");
    expect(cat, HEAD "    - name: a\n      description: >-\n        target: x\n\n        <|>\n",
           "-", "", "");
    expect(cat, HEAD "    - name: a\n      description: |\n        target: x\n      targ<|>\n",
           "key", "targ", "target: ");
    /* after a flow collection ends */
    expect(cat, HEAD "    - {name: a, target: dapt.echo} <|>\n", "-", "", "");
}

/* Texts that do not parse: the place still comes from the lines. */
static void test_broken_text(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat,
           "kind: workflow\nmetadata: {name: [unclosed\nspec:\n  stages:\n"
           "    - name: \"unterminated\n      target: : :\n\tbad tab\n"
           "    - name: b\n      target: wea<|>\n",
           "target", "wea", "weather.stages.fetch,weather.stages.features,cities.stages.weather");
    /* an unclosed flow list on the cursor's line */
    expect(cat,
           HEAD "    - name: a\n      target: dapt.echo\n    - name: b\n"
                "      depends_on: [a, <|>\n",
           "-", "", "");
    expect(cat,
           HEAD "    - name: a\n      target: dapt.echo\n    - name: b\n"
                "      depends_on: [<|>\n",
           "depends_on", "", "a");
    /* Windows line ends */
    expect(cat,
           "kind: workflow\r\nspec:\r\n  stages:\r\n    - name: a\r\n      target: echo<|>\r\n",
           "target", "echo", "dapt.echo");
    /* several documents: only the cursor's counts */
    expect(cat,
           "kind: config\nmetadata:\n  name: c\n---\n" HEAD "    - name: a\n      <|>\n"
           "---\nkind: workflow\nspec:\n  stages:\n    - name: x\n      target: dapt.echo\n",
           "key", "",
           "target: ,type: ,depends_on: ,description: ,version: ,options: ,resources: ,"
           "priority: ,args: ,timeout: ,retries: ,retry_delay: ");
    /* a cursor past the end of its line, a line past the end */
    got g;
    complete_marked(&g, cat, "kind: <|>", 0);
    complete_result_free(&g.res);
    complete_result r;
    complete_at(&r, cat, "kind: w", 7, 0, 99, 0);
    assert_string_equal(r.context, "kind");
    assert_int_equal(r.start, 6);
    assert_int_equal(r.end, 7);
    complete_result_free(&r);
    complete_at(&r, cat, "kind: w", 7, 5, 0, 0);
    assert_null(r.context);
    assert_int_equal(r.count, 0);
    complete_result_free(&r);
}

/* Bytes, not characters: UTF-8 before the cursor moves the range. */
static void test_unicode(void **state)
{
    const complete_catalog *cat = *state;
    expect(cat,
           HEAD "    - name: café\n      description: naïve – ünïcödé ✓\n      target: echo<|>\n",
           "target", "echo", "dapt.echo");
    got g;
    complete_marked(&g, cat, HEAD "    - {name: é✓, target: ech<|>}\n", 0);
    assert_string_equal(g.context, "target");
    assert_int_equal(g.res.start, strlen("    - {name: é✓, target: "));
    assert_int_equal(g.res.end, g.res.start + 3);
    complete_result_free(&g.res);
    /* stage names in UTF-8 */
    expect(cat,
           HEAD "    - name: café\n      target: dapt.echo\n    - name: b\n"
                "      depends_on: [caf<|>]\n",
           "depends_on", "caf", "café");
}

/* complete_at at every place of a text: the range lies in the cursor's
 * line, every item is whole.  Run under the sanitizers and valgrind, this
 * is what finds a read past a line. */
static void every_place(const complete_catalog *cat, const char *text, size_t len)
{
    size_t line = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        size_t n = i - start;
        for (size_t col = 0; col <= n + 1; col++) {
            complete_result r;
            complete_at(&r, cat, text, len, line, col, 5);
            assert_true(r.start <= r.end);
            assert_true(r.end <= n);
            assert_true(r.count <= 5);
            assert_true((r.count == 0) == (r.context == NULL));
            for (size_t k = 0; k < r.count; k++) {
                assert_non_null(r.items[k].text);
                assert_non_null(r.items[k].label);
                assert_non_null(r.items[k].detail);
                for (size_t x = 0; x < r.items[k].nmatch; x++)
                    assert_true(r.items[k].match[x] < strlen(r.items[k].label));
            }
            complete_result_free(&r);
        }
        line++;
        start = i + 1;
    }
}

static void test_every_place(void **state)
{
    const complete_catalog *cat = *state;
    static const char *const texts[] = {
        HEAD "    - name: a\n      target: weather.stages.fetch\n      args: {city: x, days: 2}\n"
             "      depends_on: [b, \"c\", 'd']\n      options: {map_on: [x, {y: z}], a: }\n"
             "    - {name: b, target: dapt.echo, depends_on: [a}, type: }\n"
             "    -\n      - - nested: [\n    - name: \"q\\\"x\" # c: d\n",
        "- - - :\n: :\n\"\n'\n{[{[\n]]}}\n---\n---\nkey: |\n  text: x\nk2:\n\t- x\n",
        "",
        "\n\n\n",
        "stages:\n- name: é\n  target: ✓.x\n  depends_on: [é, ✓]\n",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
        every_place(cat, texts[t], strlen(texts[t]));
    /* the example workflows */
    static const char *const examples[] = {"etl", "hello", "nowcast", "train_model", "wordcount"};
    for (size_t e = 0; e < sizeof examples / sizeof examples[0]; e++) {
        char path[512];
        snprintf(path, sizeof path, "%s/../examples/workflows/%s.yaml", TESTS_SRCDIR, examples[e]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        static char buf[65536];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        every_place(cat, buf, len);
    }
}

/* Many targets: the best `max`, best first, ties by length then name. */
static void test_ranking_many(void **state)
{
    (void)state;
    complete_catalog *cat = complete_catalog_new(NULL);
    char name[64];
    for (int p = 0; p < 40; p++) {
        for (int t = 0; t < 25; t++) {
            snprintf(name, sizeof name, "plugin_%02d.stages.%s_%02d", p,
                     t % 2 ? "fetch_weather" : "train", t);
            complete_catalog_add(cat, name, "", NULL);
        }
    }
    complete_catalog_add(cat, "fw", "", NULL);
    complete_catalog_add(cat, "fwx", "", NULL);
    assert_int_equal(complete_catalog_count(cat), 1002);
    got g;
    complete_marked(&g, cat, "stages:\n  - target: fw<|>\n", 4);
    assert_string_equal(g.items, "fw,fwx,plugin_00.stages.fetch_weather_01,"
                                 "plugin_00.stages.fetch_weather_03");
    for (size_t i = 1; i < g.res.count; i++)
        assert_true(g.res.items[i - 1].score >= g.res.items[i].score);
    complete_result_free(&g.res);
    complete_marked(&g, cat, "stages:\n  - target: plugin_17.stages.train_0<|>\n", 3);
    assert_string_equal(g.items, "plugin_17.stages.train_00,plugin_17.stages.train_02,"
                                 "plugin_17.stages.train_04");
    complete_result_free(&g.res);
    /* a whole name typed comes first */
    complete_marked(&g, cat, "stages:\n  - target: plugin_17.stages.fetch_weather_13<|>\n", 3);
    assert_string_equal(g.res.items[0].text, "plugin_17.stages.fetch_weather_13");
    complete_result_free(&g.res);
    complete_catalog_free(cat);
}

/* The catalog from a registry: the stage targets of the ok plugins, with
 * a signature, a doc with the parameters, and the parameters as keys. */
static void test_catalog_registry(void **state)
{
    (void)state;
    dapt_registry *reg = NULL;
    char *error = NULL;
    dapt_registry_options opts = {0};
    if (getenv("DAPT_PLUGIN_SYSTEM_PATH") == NULL) {
        print_message("DAPT_PLUGIN_SYSTEM_PATH is not set: run it with make check\n");
        skip();
    }
    if (dapt_registry_open(&reg, &opts, NULL, &error) < 0) {
        print_message("no registry: %s\n", error);
        free(error);
        skip();
    }
    complete_catalog *cat = complete_catalog_new(reg);
    size_t n = 0, stages = 0;
    const dapt_target_info *const *all = dapt_registry_targets(reg, &n);
    const dapt_target_info *echo = NULL;
    for (size_t i = 0; i < n; i++) {
        stages += all[i]->kind == DAPT_TARGET_STAGE;
        if (strcmp(all[i]->target, "dapt.echo") == 0)
            echo = all[i];
    }
    assert_int_equal(complete_catalog_count(cat), stages);
    assert_non_null(echo);
    got g;
    complete_marked(&g, cat, "stages:\n  - target: dapt.echo<|>\n", 1);
    assert_string_equal(g.items, "dapt.echo");
    assert_true(strncmp(g.res.items[0].detail, "(", 1) == 0);
    assert_non_null(g.res.items[0].doc);
    assert_true(strncmp(g.res.items[0].doc, echo->doc[0] ? echo->doc : "(no", 3) == 0);
    complete_result_free(&g.res);
    complete_catalog_free(cat);
    dapt_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_block),
        cmocka_unit_test(test_target_flow),
        cmocka_unit_test(test_target_no_space),
        cmocka_unit_test(test_target_item_fields),
        cmocka_unit_test(test_depends_on),
        cmocka_unit_test(test_keys_top),
        cmocka_unit_test(test_keys_metadata_spec),
        cmocka_unit_test(test_keys_stage),
        cmocka_unit_test(test_keys_options_resources),
        cmocka_unit_test(test_keys_args),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_nothing),
        cmocka_unit_test(test_broken_text),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_every_place),
        cmocka_unit_test(test_ranking_many),
        cmocka_unit_test(test_catalog_registry),
    };
    return cmocka_run_group_tests_name("complete", tests, setup, teardown);
}
