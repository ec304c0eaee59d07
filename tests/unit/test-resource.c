/* test-resource.c - the envelope: kinds, metadata, configs, trigger rules,
 * multi-document files, files that cannot be read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"

static void test_multi_document(void **state)
{
    const char *text = "kind: config\n"
                       "metadata: {name: settings}\n"
                       "spec:\n"
                       "  selector: {type: annotation, value: {group: demo}, kind: workflow}\n"
                       "  data: {threshold: 3, model: {depth: 4}}\n"
                       "---\n"
                       "kind: trigger_rule\n"
                       "metadata: {name: every_ten}\n"
                       "spec:\n"
                       "  type: schedule\n"
                       "  rule: [\"*/10 * * * *\"]\n"
                       "  action: {target: run_workflow, params: {workflow: w, input: {n: 5}}}\n"
                       "---\n"
                       "kind: trigger_rule\n"
                       "metadata: {name: on_fail}\n"
                       "spec:\n"
                       "  rule: {and: [{eq: [{var: data.state}, failed]}]}\n"
                       "  action: {target: run_workflow, parameters: {workflow: w}}\n"
                       "---\n";
    dapt_bundle *b;
    dapt_diags d;
    dapt_diags_init(&d);
    assert_int_equal(dapt_load_buffer(&b, "m.yaml", text, strlen(text), &d), 0);
    assert_int_equal(d.count, 0);
    assert_int_equal(b->count, 3);
    assert_int_equal(b->items[0].kind, DAPT_KIND_CONFIG);
    const dapt_config *c = b->items[0].u.config;
    assert_int_equal(c->selector_type, DAPT_SELECTOR_ANNOTATION);
    assert_string_equal(c->selector_kind, "workflow");
    assert_int_equal(json_integer_value(json_object_get(c->data, "threshold")), 3);
    const dapt_trigger *t = b->items[1].u.trigger;
    assert_int_equal(t->type, DAPT_TRIGGER_SCHEDULE);
    assert_string_equal(json_string_value(json_array_get(t->rule, 0)), "*/10 * * * *");
    assert_string_equal(json_string_value(json_object_get(t->action_params, "workflow")), "w");
    const dapt_trigger *t2 = b->items[2].u.trigger;
    assert_int_equal(t2->type, DAPT_TRIGGER_CONDITION); /* the default */
    assert_true(json_is_array(json_object_get(t2->rule, "and")));
    assert_null(dapt_bundle_workflow(b));
    assert_true(b->items[2].valid);
    dapt_bundle_free(b);
    dapt_diags_free(&d);
}

static void test_second_document_broken(void **state)
{
    const char *text = "name: ok\nstages: [{name: a, target: p.a}]\n"
                       "---\n"
                       "kind: workflw\nmetadata: {name: x}\n";
    dapt_bundle *b;
    dapt_diags d;
    dapt_diags_init(&d);
    assert_int_equal(dapt_load_buffer(&b, "m.yaml", text, strlen(text), &d), -1);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.items[0].pos.line, 4);
    assert_string_equal(d.items[0].message, "unknown kind `workflw` (did you mean `workflow`?)");
    assert_int_equal(b->count, 1);
    assert_true(b->items[0].valid);
    dapt_bundle_free(b);
    dapt_diags_free(&d);
}

static void test_unreadable_and_empty(void **state)
{
    dapt_bundle *b;
    dapt_diags d;
    dapt_diags_init(&d);
    assert_int_equal(dapt_load_file(&b, "/nonexistent/w.yaml", &d), -1);
    assert_non_null(b);
    assert_int_equal(b->count, 0);
    assert_non_null(strstr(d.items[0].message, "cannot open"));
    dapt_bundle_free(b);
    dapt_diags_free(&d);

    dapt_diags_init(&d);
    assert_int_equal(dapt_load_buffer(&b, "e.yaml", "# nothing\n", 10, &d), -1);
    assert_non_null(strstr(d.items[0].message, "no resource in this file"));
    dapt_bundle_free(b);
    dapt_diags_free(&d);
}

static void test_metadata_name_rules(void **state)
{
    const char *bad[] = {
        "kind: workflow\nmetadata: {name: ''}\nspec: {stages: [{name: a, target: p.a}]}\n",
        "kind: workflow\nmetadata: {name: 'a b'}\nspec: {stages: [{name: a, target: p.a}]}\n",
        "kind: workflow\nspec: {stages: [{name: a, target: p.a}]}\n",
        "kind: workflow\nmetadata: {annotations: {}}\nspec: {stages: [{name: a, target: p.a}]}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dapt_bundle *b;
        dapt_diags d;
        dapt_diags_init(&d);
        assert_int_equal(dapt_load_buffer(&b, "n.yaml", bad[i], strlen(bad[i]), &d), -1);
        assert_int_equal(dapt_diags_count(&d, DAPT_SEV_ERROR), 1);
        assert_non_null(strstr(d.items[0].message, "metadata.name"));
        assert_false(b->items[0].valid);
        dapt_bundle_free(b);
        dapt_diags_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_document),
        cmocka_unit_test(test_second_document_broken),
        cmocka_unit_test(test_unreadable_and_empty),
        cmocka_unit_test(test_metadata_name_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
