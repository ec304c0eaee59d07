/*
 * fuzz-input.c - libFuzzer entry for a run's command-line input (`make
 * fuzz`): what `dapt run --input-json TEXT` and `--input K=V` parse
 * (run-input.c, the code cmd-run.c calls).
 *
 * The input, up to its first NUL (an argument cannot hold one), is given
 * to both: as --input-json to an input that already holds a key, and as
 * --input K=V.  Checked: a failure leaves the input as it was and says
 * why on one line (unless it quotes a line break of the argument); a
 * success adds what the text holds; the input always dumps to JSON that
 * reads back the same (the run stores it so).  Everything is freed, so
 * LeakSanitizer reports a leak as a crash.
 *
 * Only run-input.c and this file are instrumented: libFuzzer's coverage
 * does not see inside the system's jansson, whose parser does the work.
 *
 * tests/fuzz/replay.c turns this file into a plain program for
 * `make check`, which replays the seeds and tests/data/fuzz-crashes/.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-input: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input dumps to JSON that reads back equal. */
static void check_round_trip(const json_t *input)
{
    FUZZ_CHECK(json_is_object(input));
    char *text = json_dumps(input, JSON_COMPACT | JSON_SORT_KEYS);
    FUZZ_CHECK(text != NULL);
    json_error_t jerr;
    json_t *back = json_loads(text, 0, &jerr);
    FUZZ_CHECK(back != NULL);
    FUZZ_CHECK(json_equal(back, input));
    json_decref(back);
    free(text);
}

static void check_failure(const char *text, const json_t *input, const json_t *copy, char *error)
{
    FUZZ_CHECK(error != NULL && *error != '\0');
    /* one line, but for the argument it may quote as given */
    FUZZ_CHECK(strchr(error, '\n') == NULL || strchr(text, '\n') != NULL);
    FUZZ_CHECK(json_equal(input, copy));
    free(error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';

    /* --input-json, after an --input that set `seed` */
    json_t *input = json_object();
    json_object_set_new(input, "seed", json_integer(1));
    json_t *copy = json_deep_copy(input);
    char *error = NULL;
    if (run_input_add_json(input, text, &error) < 0) {
        check_failure(text, input, copy, error);
    } else {
        FUZZ_CHECK(error == NULL);
        json_t *v = json_loads(text, 0, NULL);
        FUZZ_CHECK(json_is_object(v));
        const char *key;
        json_t *value;
        json_object_foreach(v, key, value) FUZZ_CHECK(json_equal(json_object_get(input, key), value));
        if (json_object_get(v, "seed") == NULL)
            FUZZ_CHECK(json_object_size(input) == json_object_size(v) + 1);
        json_decref(v);
    }
    check_round_trip(input);
    json_decref(copy);

    /* --input K=V on what --input-json left */
    copy = json_deep_copy(input);
    error = NULL;
    if (run_input_add(input, text, &error) < 0) {
        check_failure(text, input, copy, error);
    } else {
        FUZZ_CHECK(error == NULL);
        const char *eq = strchr(text, '=');
        FUZZ_CHECK(eq != NULL && eq > text);
        char *key = strndup(text, (size_t)(eq - text));
        FUZZ_CHECK(key != NULL);
        const json_t *v = json_object_get(input, key);
        FUZZ_CHECK(v != NULL);
        /* a value that is not JSON is kept as the string it is */
        json_t *parsed = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
        if (parsed == NULL)
            FUZZ_CHECK(json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0);
        else
            FUZZ_CHECK(json_equal(v, parsed));
        json_decref(parsed);
        free(key);
    }
    check_round_trip(input);
    json_decref(copy);

    json_decref(input);
    free(text);
    return 0;
}
