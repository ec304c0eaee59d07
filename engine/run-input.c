/*
 * run-input.c - the input of a run from the command line: `--input K=V`
 * and `--input-json '{...}'` (dapt run).  Kept out of cli/ so the fuzzer
 * (tests/fuzz/fuzz-input.c) links the same code the command runs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

int run_input_add(json_t *input, const char *kv, char **error)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv) {
        *error = xasprintf("--input wants KEY=VALUE, not `%s`", kv);
        return -1;
    }
    char *key = xstrndup(kv, (size_t)(eq - kv));
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (v == NULL)
        v = json_string(eq + 1);
    if (v == NULL) {
        *error = xasprintf("--input %s: the value is not valid UTF-8", key);
        free(key);
        return -1;
    }
    /* jansson refuses a key that is not UTF-8 (and frees v) */
    if (json_object_set_new(input, key, v) < 0) {
        *error = xasprintf("--input %s: the key is not valid UTF-8", key);
        free(key);
        return -1;
    }
    free(key);
    return 0;
}

int run_input_add_json(json_t *input, const char *text, char **error)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!json_is_object(v)) {
        if (v == NULL)
            *error = xasprintf("--input-json:%d:%d: %s", jerr.line, jerr.column, jerr.text);
        else
            *error = xasprintf("--input-json must be a JSON object like {\"n\": 3}");
        json_decref(v);
        return -1;
    }
    json_object_update(input, v);
    json_decref(v);
    return 0;
}
