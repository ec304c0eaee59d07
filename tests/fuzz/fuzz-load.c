/*
 * fuzz-load.c - libFuzzer entry for the resource loader (`make fuzz`).
 *
 * Loads the input as a YAML file with dapt_load_buffer(), formats every
 * diagnostic (text and JSON), and for every workflow that came out builds
 * its graph and asks for the topological order, the levels and the cycles,
 * checking what the API promises about them.  Everything is freed, so
 * LeakSanitizer reports any leak of the loader as a crash.
 *
 * A diagnostic must format to one line (dapt validate prints one per line).
 * While a known failure of that check is open, DAPT_FUZZ_LAX_MESSAGES=1 in
 * the environment skips it so the run can look for memory errors.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapt/dapt.h"

/* A broken promise of the API: abort, so libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-load: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_graph(const dapt_workflow *wf)
{
    dapt_graph *g = dapt_graph_new(wf);
    size_t n = dapt_graph_count(g);
    FUZZ_CHECK(n == wf->stage_count);

    for (size_t i = 0; i < n; i++) {
        size_t count;
        const size_t *deps = dapt_graph_deps(g, i, &count);
        for (size_t k = 0; k < count; k++)
            FUZZ_CHECK(deps[k] < n && deps[k] != i);
        const size_t *dependents = dapt_graph_dependents(g, i, &count);
        for (size_t k = 0; k < count; k++)
            FUZZ_CHECK(dependents[k] < n);
        const char *name = dapt_graph_name(g, i);
        FUZZ_CHECK(name != NULL);
        FUZZ_CHECK(dapt_graph_find(g, name) >= 0);
    }

    size_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *level = malloc((n ? n : 1) * sizeof *level);
    FUZZ_CHECK(order != NULL && level != NULL);
    size_t ordered = dapt_graph_topo(g, order);
    FUZZ_CHECK(ordered <= n);
    size_t levels = dapt_graph_levels(g, level);
    size_t leveled = 0;
    for (size_t i = 0; i < n; i++) {
        if (level[i] != SIZE_MAX) {
            FUZZ_CHECK(level[i] < levels);
            leveled++;
        }
    }
    /* A node is ordered exactly when it is on no cycle and behind none. */
    FUZZ_CHECK(leveled == ordered);

    size_t **cycles = NULL, *lengths = NULL;
    size_t ncycles = dapt_graph_cycles(g, &cycles, &lengths);
    FUZZ_CHECK(ncycles == 0 || ordered < n);
    FUZZ_CHECK(ordered == n || ncycles > 0);
    for (size_t c = 0; c < ncycles; c++) {
        FUZZ_CHECK(lengths[c] >= 2);
        for (size_t k = 0; k < lengths[c]; k++)
            FUZZ_CHECK(cycles[c][k] < n && level[cycles[c][k]] == SIZE_MAX);
        free(cycles[c]);
    }
    free(cycles);
    free(lengths);
    free(order);
    free(level);
    dapt_graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dapt_diags diags;
    dapt_bundle *bundle = NULL;

    dapt_diags_init(&diags);
    int rc = dapt_load_buffer(&bundle, "fuzz.yaml", (const char *)data, size, &diags);
    FUZZ_CHECK(bundle != NULL);
    size_t errors = dapt_diags_count(&diags, DAPT_SEV_ERROR);
    FUZZ_CHECK((rc == 0) == (errors == 0));

    static int lax_messages = -1;
    if (lax_messages < 0)
        lax_messages = getenv("DAPT_FUZZ_LAX_MESSAGES") != NULL;
    dapt_diags_sort(&diags);
    for (size_t i = 0; i < diags.count; i++) {
        char *line = dapt_diag_format(&diags.items[i]);
        FUZZ_CHECK(line != NULL);
        FUZZ_CHECK(lax_messages || strchr(line, '\n') == NULL);
        free(line);
    }
    json_t *json = dapt_diags_to_json(&diags);
    FUZZ_CHECK(json != NULL && json_array_size(json) == diags.count);
    json_decref(json);

    for (size_t i = 0; i < bundle->count; i++) {
        const dapt_resource *r = &bundle->items[i];
        if (r->kind == DAPT_KIND_WORKFLOW && r->u.workflow != NULL)
            fuzz_graph(r->u.workflow);
    }
    dapt_bundle_free(bundle);
    dapt_diags_free(&diags);
    return 0;
}
