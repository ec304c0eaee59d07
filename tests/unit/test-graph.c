/*
 * test-graph.c - unit tests of engine/graph.c (dapt_graph_*).
 *
 * Workflows are built by hand from a compact spec, "name:dep dep; name:",
 * so each test reads like the YAML it stands for and depends on nothing but
 * the graph code.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

/* Build a workflow from "a:; b:a; c:a b" (stage:deps, stages split by ';').
 * Only the fields the graph reads are filled. */
static dapt_workflow *wf_parse(const char *spec)
{
    dapt_workflow *wf = xcalloc(1, sizeof *wf);
    wf->name = xstrdup("test");
    char *copy = xstrdup(spec), *save = NULL;
    for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        while (*item == ' ')
            item++;
        if (*item == '\0')
            continue;
        char *colon = strchr(item, ':');
        assert_non_null(colon);
        *colon = '\0';
        wf->stages = xrealloc(wf->stages, wf->stage_count + 1, sizeof *wf->stages);
        dapt_stage *st = &wf->stages[wf->stage_count++];
        memset(st, 0, sizeof *st);
        st->name = xstrdup(item);
        char *save2 = NULL;
        for (char *d = strtok_r(colon + 1, " ", &save2); d; d = strtok_r(NULL, " ", &save2)) {
            st->depends_on = xrealloc(st->depends_on, st->depends_count + 1, sizeof(char *));
            st->depends_on[st->depends_count++] = xstrdup(d);
        }
    }
    free(copy);
    return wf;
}

static void wf_free(dapt_workflow *wf)
{
    for (size_t i = 0; i < wf->stage_count; i++) {
        free(wf->stages[i].name);
        for (size_t k = 0; k < wf->stages[i].depends_count; k++)
            free(wf->stages[i].depends_on[k]);
        free(wf->stages[i].depends_on);
    }
    free(wf->stages);
    free(wf->name);
    free(wf);
}

static dapt_graph *graph_of(const char *spec)
{
    dapt_workflow *wf = wf_parse(spec);
    dapt_graph *g = dapt_graph_new(wf);
    /* The graph borrows nothing: free the workflow at once to prove it. */
    wf_free(wf);
    return g;
}

/* The names of a list of nodes, space separated: easy to compare. */
static char *names_of(const dapt_graph *g, const size_t *nodes, size_t count)
{
    strbuf sb = {0};
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            strbuf_putc(&sb, ' ');
        strbuf_puts(&sb, dapt_graph_name(g, nodes[i]));
    }
    return strbuf_detach(&sb);
}

static void assert_deps(const dapt_graph *g, const char *node, const char *want)
{
    long i = dapt_graph_find(g, node);
    assert_true(i >= 0);
    size_t count;
    const size_t *deps = dapt_graph_deps(g, (size_t)i, &count);
    char *got = names_of(g, deps, count);
    assert_string_equal(got, want);
    free(got);
}

static void assert_dependents(const dapt_graph *g, const char *node, const char *want)
{
    long i = dapt_graph_find(g, node);
    assert_true(i >= 0);
    size_t count;
    const size_t *deps = dapt_graph_dependents(g, (size_t)i, &count);
    char *got = names_of(g, deps, count);
    assert_string_equal(got, want);
    free(got);
}

static void assert_topo(const dapt_graph *g, const char *want)
{
    size_t *order = xcalloc(dapt_graph_count(g), sizeof *order);
    size_t done = dapt_graph_topo(g, order);
    char *got = names_of(g, order, done);
    assert_string_equal(got, want);
    free(got);
    free(order);
}

/* Levels as "first middle | second | third". */
static void assert_levels(const dapt_graph *g, const char *want)
{
    size_t n = dapt_graph_count(g);
    size_t *level = xcalloc(n, sizeof *level);
    size_t levels = dapt_graph_levels(g, level);
    strbuf sb = {0};
    for (size_t l = 0; l < levels; l++) {
        if (l > 0)
            strbuf_puts(&sb, " |");
        for (size_t i = 0; i < n; i++)
            if (level[i] == l) {
                if (sb.len > 0)
                    strbuf_putc(&sb, ' ');
                strbuf_puts(&sb, dapt_graph_name(g, i));
            }
    }
    char *got = strbuf_detach(&sb);
    assert_string_equal(got, want);
    free(got);
    free(level);
}

/* Cycles as "a b > c d e" (each cycle's path, cycles split by '>'). */
static void assert_cycles(const dapt_graph *g, const char *want)
{
    size_t **cycles, *lengths;
    size_t count = dapt_graph_cycles(g, &cycles, &lengths);
    strbuf sb = {0};
    for (size_t c = 0; c < count; c++) {
        char *one = names_of(g, cycles[c], lengths[c]);
        strbuf_printf(&sb, "%s%s", c > 0 ? " > " : "", one);
        free(one);
        free(cycles[c]);
    }
    free(cycles);
    free(lengths);
    char *got = strbuf_detach(&sb);
    assert_string_equal(got, want);
    free(got);
}

static void test_catalog_levels(void **state)
{
    (void)state;
    /* Catalog 3.3's example, verbatim. */
    dapt_graph *g = graph_of("first:; middle:; second:first; third:second first");
    assert_int_equal(dapt_graph_count(g), 4);
    assert_levels(g, "first middle | second | third");
    assert_topo(g, "first middle second third");
    assert_cycles(g, "");
    size_t level[4];
    assert_int_equal(dapt_graph_levels(g, level), 3);
    dapt_graph_free(g);
}

static void test_diamond(void **state)
{
    (void)state;
    dapt_graph *g = graph_of("a:; b:a; c:a; d:b c");
    assert_deps(g, "d", "b c");
    assert_deps(g, "a", "");
    assert_dependents(g, "a", "b c");
    assert_dependents(g, "d", "");
    assert_topo(g, "a b c d");
    assert_levels(g, "a | b c | d");
    assert_cycles(g, "");
    dapt_graph_free(g);
}

static void test_deps_keep_written_order(void **state)
{
    (void)state;
    /* depends_on order is the positional argument order: never sorted. */
    dapt_graph *g = graph_of("a:; b:; c:; d:c a b");
    assert_deps(g, "d", "c a b");
    dapt_graph_free(g);
}

static void test_stable_topo(void **state)
{
    (void)state;
    /* Written backwards: the order must follow dependencies, and among
     * ready stages the one defined first. */
    dapt_graph *g = graph_of("e:d; d:c; x:; c:b; b:a; a:; y:");
    assert_topo(g, "x a b c d e y");
    assert_levels(g, "x a y | b | c | d | e");
    dapt_graph_free(g);

    /* A node defined earlier overtakes one that was ready sooner. */
    g = graph_of("b:a; a:; c:");
    assert_topo(g, "a b c");
    dapt_graph_free(g);
}

static void test_self_edge_dropped(void **state)
{
    (void)state;
    dapt_graph *g = graph_of("a:a; b:b a");
    assert_deps(g, "a", "");
    assert_deps(g, "b", "a");
    assert_topo(g, "a b");
    assert_cycles(g, "");
    dapt_graph_free(g);
}

static void test_unknown_dep_dropped(void **state)
{
    (void)state;
    dapt_graph *g = graph_of("a:ghost; b:a nope; c:b");
    assert_deps(g, "a", "");
    assert_deps(g, "b", "a");
    assert_levels(g, "a | b | c");
    assert_int_equal(dapt_graph_find(g, "ghost"), -1);
    assert_int_equal(dapt_graph_find(g, ""), -1);
    assert_int_equal(dapt_graph_find(g, NULL), -1);
    dapt_graph_free(g);
}

static void test_repeated_edge_dropped(void **state)
{
    (void)state;
    dapt_graph *g = graph_of("a:; b:a a; c:b a b");
    assert_deps(g, "b", "a");
    assert_deps(g, "c", "b a");
    assert_dependents(g, "a", "b c");
    dapt_graph_free(g);
}

static void test_duplicate_name(void **state)
{
    (void)state;
    /* Two stages "a": the later wins for lookup (and so for edges), but
     * both are nodes with their own index and their own deps. */
    dapt_graph *g = graph_of("a:; x:; a:x; b:a");
    assert_int_equal(dapt_graph_count(g), 4);
    assert_int_equal(dapt_graph_find(g, "a"), 2);
    assert_string_equal(dapt_graph_name(g, 0), "a");
    assert_string_equal(dapt_graph_name(g, 2), "a");
    size_t count;
    dapt_graph_deps(g, 0, &count);
    assert_int_equal(count, 0);
    dapt_graph_dependents(g, 0, &count);
    assert_int_equal(count, 0);
    const size_t *deps = dapt_graph_deps(g, 3, &count);
    assert_int_equal(count, 1);
    assert_int_equal(deps[0], 2);
    assert_topo(g, "a x a b");
    dapt_graph_free(g);
}

static void test_dependents_order(void **state)
{
    (void)state;
    /* Definition order of the dependents, whatever order they name `a`. */
    dapt_graph *g = graph_of("z:a; a:; m:b a; b:; c:a; d:b");
    assert_dependents(g, "a", "z m c");
    assert_dependents(g, "b", "m d");
    assert_deps(g, "m", "b a");
    dapt_graph_free(g);
}

static void test_out_of_range(void **state)
{
    (void)state;
    dapt_graph *g = graph_of("a:");
    size_t count = 99;
    assert_null(dapt_graph_name(g, 1));
    assert_null(dapt_graph_deps(g, 1, &count));
    assert_int_equal(count, 0);
    count = 99;
    assert_null(dapt_graph_dependents(g, 5, &count));
    assert_int_equal(count, 0);
    dapt_graph_free(g);
}

static void test_empty(void **state)
{
    (void)state;
    dapt_graph *g = dapt_graph_new(NULL);
    assert_int_equal(dapt_graph_count(g), 0);
    assert_int_equal(dapt_graph_topo(g, NULL), 0);
    assert_int_equal(dapt_graph_levels(g, NULL), 0);
    assert_cycles(g, "");
    dapt_graph_free(g);
    dapt_graph_free(NULL);

    g = graph_of("");
    assert_int_equal(dapt_graph_count(g), 0);
    dapt_graph_free(g);
}

static void test_cycle_pair_and_free_node(void **state)
{
    (void)state;
    dapt_graph *g = graph_of("a:b; b:a; c:");
    assert_cycles(g, "a b");
    assert_topo(g, "c");
    size_t level[3];
    assert_int_equal(dapt_graph_levels(g, level), 1);
    assert_int_equal(level[0], SIZE_MAX);
    assert_int_equal(level[1], SIZE_MAX);
    assert_int_equal(level[2], 0);
    dapt_graph_free(g);
}

static void test_cycle_three(void **state)
{
    (void)state;
    /* The path starts at the earliest defined node and follows deps:
     * b depends on c, c on a, a on b. */
    dapt_graph *g = graph_of("x:; c:a; b:c x; a:b; after:a");
    assert_cycles(g, "c a b");
    assert_topo(g, "x");
    size_t level[5];
    assert_int_equal(dapt_graph_levels(g, level), 1);
    assert_int_equal(level[4], SIZE_MAX); /* behind the cycle */
    dapt_graph_free(g);
}

static void test_two_cycles(void **state)
{
    (void)state;
    dapt_graph *g = graph_of("p:q; a:b; q:p; b:c; c:a; d:");
    assert_cycles(g, "p q > a b c");
    assert_topo(g, "d");
    dapt_graph_free(g);
}

static void test_cycle_shortest_path(void **state)
{
    (void)state;
    /* One component, several cycles through a: the shortest is shown. */
    dapt_graph *g = graph_of("a:b d; b:c; c:d; d:a");
    assert_cycles(g, "a d");
    dapt_graph_free(g);
}

/* A workflow of n generated stages s0..s(n-1). */
static dapt_workflow *wf_generated(size_t n)
{
    dapt_workflow *wf = xcalloc(1, sizeof *wf);
    wf->name = xstrdup("big");
    wf->stages = xcalloc(n, sizeof *wf->stages);
    wf->stage_count = n;
    for (size_t i = 0; i < n; i++)
        wf->stages[i].name = xasprintf("s%zu", i);
    return wf;
}

static void add_dep(dapt_stage *st, size_t d)
{
    st->depends_on = xrealloc(st->depends_on, st->depends_count + 1, sizeof(char *));
    st->depends_on[st->depends_count++] = xasprintf("s%zu", d);
}

static void test_long_chain(void **state)
{
    (void)state;
    /* Defined sink first, so a recursive walk from node 0 would go 10,000
     * deep; closing the chain into a ring gives one 10,000-node cycle. */
    enum { N = 10000 };
    dapt_workflow *wf = wf_generated(N);
    for (size_t i = 0; i + 1 < N; i++)
        add_dep(&wf->stages[i], i + 1);
    dapt_graph *g = dapt_graph_new(wf);

    size_t *order = xcalloc(N, sizeof *order);
    assert_int_equal(dapt_graph_topo(g, order), N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(order[i], N - 1 - i);
    assert_int_equal(dapt_graph_levels(g, order), N);
    assert_int_equal(order[0], N - 1);
    size_t **cycles, *lengths;
    assert_int_equal(dapt_graph_cycles(g, &cycles, &lengths), 0);
    assert_null(cycles);
    assert_null(lengths);
    dapt_graph_free(g);

    add_dep(&wf->stages[N - 1], 0);
    g = dapt_graph_new(wf);
    assert_int_equal(dapt_graph_topo(g, order), 0);
    assert_int_equal(dapt_graph_cycles(g, &cycles, &lengths), 1);
    assert_int_equal(lengths[0], N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(cycles[0][i], i);
    free(cycles[0]);
    free(cycles);
    free(lengths);
    dapt_graph_free(g);

    free(order);
    wf_free(wf);
}

static void test_large_random(void **state)
{
    (void)state;
    /* 10,000 stages, each on up to 4 earlier ones: checks the order is a
     * valid topological order, stable, and the levels agree with it. */
    enum { N = 10000 };
    dapt_workflow *wf = wf_generated(N);
    unsigned seed = 12345;
    for (size_t i = 1; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t k = (seed >> 16) & 3;
        for (size_t j = 0; j < k; j++) {
            seed = seed * 1103515245u + 12345u;
            add_dep(&wf->stages[i], (seed >> 8) % i);
        }
    }
    dapt_graph *g = dapt_graph_new(wf);
    size_t *order = xcalloc(N, sizeof *order);
    size_t *pos = xcalloc(N, sizeof *pos);
    size_t *level = xcalloc(N, sizeof *level);
    assert_int_equal(dapt_graph_topo(g, order), N);
    for (size_t i = 0; i < N; i++)
        pos[order[i]] = i;
    size_t levels = dapt_graph_levels(g, level);
    assert_true(levels >= 2);
    for (size_t i = 0; i < N; i++) {
        size_t count, want = 0;
        const size_t *deps = dapt_graph_deps(g, i, &count);
        for (size_t k = 0; k < count; k++) {
            assert_true(pos[deps[k]] < pos[i]);
            if (level[deps[k]] + 1 > want)
                want = level[deps[k]] + 1;
        }
        assert_int_equal(level[i], want);
        assert_true(level[i] < levels);
    }
    /* Every dep points backwards here, so definition order is ready order. */
    for (size_t i = 0; i < N; i++)
        assert_int_equal(order[i], i);
    size_t **cycles, *lengths;
    assert_int_equal(dapt_graph_cycles(g, &cycles, &lengths), 0);
    free(order);
    free(pos);
    free(level);
    dapt_graph_free(g);
    wf_free(wf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_levels),
        cmocka_unit_test(test_diamond),
        cmocka_unit_test(test_deps_keep_written_order),
        cmocka_unit_test(test_stable_topo),
        cmocka_unit_test(test_self_edge_dropped),
        cmocka_unit_test(test_unknown_dep_dropped),
        cmocka_unit_test(test_repeated_edge_dropped),
        cmocka_unit_test(test_duplicate_name),
        cmocka_unit_test(test_dependents_order),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_cycle_pair_and_free_node),
        cmocka_unit_test(test_cycle_three),
        cmocka_unit_test(test_two_cycles),
        cmocka_unit_test(test_cycle_shortest_path),
        cmocka_unit_test(test_long_chain),
        cmocka_unit_test(test_large_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
