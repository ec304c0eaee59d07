/* test-ynode.c - the YAML tree: positions, scalars, aliases, merge keys,
 * duplicate keys and the limits against hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"

static int parse(ydocs *docs, dapt_diags *d, const char *text)
{
    dapt_diags_init(d);
    return ynode_parse(docs, "t.yaml", text, strlen(text), d);
}

static void test_positions(void **state)
{
    ydocs docs;
    dapt_diags d;
    assert_int_equal(parse(&docs, &d, "a: 1\nb:\n  - x\n  - {c: d}\n"), 0);
    assert_int_equal(docs.count, 1);
    ynode *root = docs.docs[0].root;
    assert_int_equal(root->type, YNODE_MAP);
    ynode *b = ynode_get(root, "b");
    assert_int_equal(b->type, YNODE_SEQ);
    assert_int_equal(b->items[0]->pos.line, 3);
    assert_int_equal(b->items[0]->pos.column, 5);
    ynode *c = ynode_get(b->items[1], "c");
    assert_int_equal(c->pos.line, 4);
    assert_int_equal(c->pos.column, 9);
    assert_int_equal(ynode_key(root, "b")->pos.line, 2);
    ynode_docs_free(&docs);
    dapt_diags_free(&d);
}

static void test_scalars_core_schema(void **state)
{
    ydocs docs;
    dapt_diags d;
    parse(&docs, &d,
          "n: ~\nt: true\nf: False\ni: -12\nx: 0x1f\nr: 1.5\ne: 1e3\ns: '12'\n"
          "on: yes\nnan: .nan\nq: \"true\"\nv: 1.2.3\n");
    json_t *j = ynode_to_json(docs.docs[0].root, "value", "t.yaml", &d);
    assert_true(json_is_null(json_object_get(j, "n")));
    assert_true(json_is_true(json_object_get(j, "t")));
    assert_true(json_is_false(json_object_get(j, "f")));
    assert_int_equal(json_integer_value(json_object_get(j, "i")), -12);
    assert_int_equal(json_integer_value(json_object_get(j, "x")), 31);
    assert_true(json_real_value(json_object_get(j, "r")) == 1.5);
    assert_true(json_real_value(json_object_get(j, "e")) == 1000.0);
    assert_string_equal(json_string_value(json_object_get(j, "s")), "12");
    /* YAML 1.2: `on` and `yes` are strings, unlike PyYAML's YAML 1.1 */
    assert_string_equal(json_string_value(json_object_get(j, "on")), "yes");
    assert_string_equal(json_string_value(json_object_get(j, "nan")), ".nan");
    assert_string_equal(json_string_value(json_object_get(j, "q")), "true");
    assert_string_equal(json_string_value(json_object_get(j, "v")), "1.2.3");
    json_decref(j);
    assert_int_equal(d.count, 0);
    ynode_docs_free(&docs);
    dapt_diags_free(&d);
}

static void test_aliases_and_merge(void **state)
{
    ydocs docs;
    dapt_diags d;
    assert_int_equal(
        parse(&docs, &d, "base: &b {cpus: 1, memory: 2GB}\nx:\n  <<: *b\n  cpus: 4\ny: *b\n"), 0);
    json_t *j = ynode_to_json(docs.docs[0].root, "value", "t.yaml", &d);
    json_t *x = json_object_get(j, "x");
    assert_int_equal(json_integer_value(json_object_get(x, "cpus")), 4); /* own key wins */
    assert_string_equal(json_string_value(json_object_get(x, "memory")), "2GB");
    assert_int_equal(json_object_size(x), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "y"), "cpus")), 1);
    json_decref(j);
    assert_int_equal(d.count, 0);
    ynode_docs_free(&docs);
    dapt_diags_free(&d);
}

static void test_duplicate_keys(void **state)
{
    ydocs docs;
    dapt_diags d;
    parse(&docs, &d, "a: 1\nb: 2\na: 3\n");
    assert_int_equal(d.count, 1);
    assert_int_equal(d.items[0].pos.line, 3);
    assert_string_equal(d.items[0].message,
                        "duplicate key `a` (first at line 1, column 1); remove one of them");
    ynode_docs_free(&docs);
    dapt_diags_free(&d);

    /* a big mapping takes the sorting path */
    strbuf sb = {0};
    for (int i = 0; i < 100; i++)
        strbuf_printf(&sb, "k%d: %d\n", i, i);
    strbuf_puts(&sb, "k42: again\n");
    parse(&docs, &d, sb.buf);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.items[0].pos.line, 101);
    strbuf_free(&sb);
    ynode_docs_free(&docs);
    dapt_diags_free(&d);
}

static void test_syntax_error_keeps_earlier_docs(void **state)
{
    ydocs docs;
    dapt_diags d;
    assert_int_equal(parse(&docs, &d, "a: 1\n---\nb: [1, 2\n"), -1);
    assert_int_equal(docs.count, 1);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.items[0].severity, DAPT_SEV_ERROR);
    assert_non_null(strstr(d.items[0].message, "YAML syntax"));
    ynode_docs_free(&docs);
    dapt_diags_free(&d);
}

static void test_hostile_input(void **state)
{
    ydocs docs;
    dapt_diags d;
    /* an alias bomb: 9 levels of tenfold aliases */
    strbuf sb = {0};
    strbuf_puts(&sb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++) {
        strbuf_printf(&sb, "a%d: &a%d [", i, i);
        for (int k = 0; k < 10; k++)
            strbuf_printf(&sb, "%s*a%d", k ? ", " : "", i - 1);
        strbuf_puts(&sb, "]\n");
    }
    assert_int_equal(parse(&docs, &d, sb.buf), -1);
    assert_non_null(strstr(d.items[d.count - 1].message, "aliases expand"));
    strbuf_free(&sb);
    ynode_docs_free(&docs);
    dapt_diags_free(&d);

    /* deep nesting */
    for (int i = 0; i < 1000; i++)
        strbuf_putc(&sb, '[');
    assert_int_equal(parse(&docs, &d, sb.buf), -1);
    assert_non_null(strstr(d.items[0].message, "nesting deeper"));
    strbuf_free(&sb);
    ynode_docs_free(&docs);
    dapt_diags_free(&d);

    /* undefined alias */
    assert_int_equal(parse(&docs, &d, "a: *nope\n"), -1);
    assert_string_equal(d.items[0].message, "alias `*nope` names no anchor defined before it");
    ynode_docs_free(&docs);
    dapt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_scalars_core_schema),
        cmocka_unit_test(test_aliases_and_merge),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_syntax_error_keeps_earlier_docs),
        cmocka_unit_test(test_hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
