/*
 * textutil.c - a user module: small text stages, compiled by dapt on demand.
 *
 * A file in a workspace's user_modules/ folder is a plugin without a
 * project: dapt compiles it when a workflow or `dapt targets` needs it (and
 * again only when it changes), and names its targets user_modules.FILE.PATH,
 * here user_modules.textutil.words and so on.  In a workflow:
 *
 *     stages:
 *       - name: split
 *         target: user_modules.textutil.words
 *       - name: count
 *         target: user_modules.textutil.count
 *         depends_on: [split]
 *         args: {min: 2}
 *
 * run with `dapt run FILE --input text="the cat and the hat and the bat"`.
 */
#include <ctype.h>
#include <string.h>

#include <dapt/plugin.h>

/* The text to work on: the named argument `text`, else the first
 * positional one (the output of the stage this one depends on). */
static const char *text_arg(json_t *args, json_t *kwargs)
{
    json_t *text = json_object_get(kwargs, "text");
    if (text == NULL)
        text = json_array_get(args, 0);
    return json_string_value(text);
}

/* strdup is not ISO C: a module should build with any -std. */
static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    return copy ? memcpy(copy, s, n) : NULL;
}

static json_t *upper(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    const char *text = text_arg(args, kwargs);
    if (text == NULL)
        return dapt_ctx_fail(ctx, "upper: `text` must be a string");
    char *copy = copy_string(text);
    if (copy == NULL)
        return dapt_ctx_fail(ctx, "upper: out of memory");
    for (char *p = copy; *p != '\0'; p++)
        *p = (char)toupper((unsigned char)*p);
    json_t *result = json_string(copy);
    free(copy);
    return result;
}

/* Split on anything that is not a letter, a digit or an apostrophe. */
static json_t *words(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    const char *text = text_arg(args, kwargs);
    if (text == NULL)
        return dapt_ctx_fail(ctx, "words: `text` must be a string");
    json_t *list = json_array();
    const char *p = text;
    while (*p != '\0') {
        while (*p != '\0' && !isalnum((unsigned char)*p) && *p != '\'')
            p++;
        const char *start = p;
        while (*p != '\0' && (isalnum((unsigned char)*p) || *p == '\''))
            p++;
        if (p > start)
            json_array_append_new(list, json_stringn(start, (size_t)(p - start)));
    }
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "%zu words", json_array_size(list));
    return list;
}

/* {word: count}, words folded to lower case; `min` drops the rare ones. */
static json_t *count(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *list = json_object_get(kwargs, "words");
    if (list == NULL)
        list = json_array_get(args, 0);
    if (!json_is_array(list))
        return dapt_ctx_fail(ctx, "count: `words` must be a list of strings");
    json_int_t min = 1;
    if (json_is_integer(json_object_get(kwargs, "min")))
        min = json_integer_value(json_object_get(kwargs, "min"));
    json_t *counts = json_object();
    size_t i;
    json_t *word;
    json_array_foreach(list, i, word)
    {
        const char *w = json_string_value(word);
        if (w == NULL)
            continue;
        char *key = copy_string(w);
        if (key == NULL)
            break;
        for (char *p = key; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
        json_t *n = json_object_get(counts, key);
        json_object_set_new(counts, key, json_integer(n ? json_integer_value(n) + 1 : 1));
        free(key);
    }
    const char *key;
    json_t *n, *tmp;
    json_object_foreach_safe(counts, tmp, key, n)
    {
        if (json_integer_value(n) < min)
            json_object_del(counts, key);
    }
    return counts;
}

static const dapt_param text_params[] = {
    DAPT_PARAM("text", "string", DAPT_OPTIONAL, NULL,
               "The text; when not given, the output of the stage this one depends on"),
    DAPT_PARAM_END,
};

static const dapt_param count_params[] = {
    DAPT_PARAM("words", "array", DAPT_OPTIONAL, NULL,
               "The words; when not given, the output of the stage this one depends on"),
    DAPT_PARAM("min", "integer", DAPT_OPTIONAL, "1", "Leave out words seen fewer times"),
    DAPT_PARAM_END,
};

static const dapt_target targets[] = {
    {.path = "upper",
     .kind = DAPT_TARGET_STAGE,
     .fn = upper,
     .params = text_params,
     .doc = "The text in upper case.",
     .returns = "string"},
    {.path = "words",
     .kind = DAPT_TARGET_STAGE,
     .fn = words,
     .params = text_params,
     .doc = "Split a text into words.",
     .returns = "list of strings"},
    {.path = "count",
     .kind = DAPT_TARGET_STAGE,
     .fn = count,
     .params = count_params,
     .doc = "Count words (case folded).",
     .returns = "object: word -> count"},
    DAPT_TARGET_END,
};

DAPT_USER_MODULE(targets);
