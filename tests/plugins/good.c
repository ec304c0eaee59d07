/*
 * good.c - a valid plugin: three targets with parameters.  Its constructor
 * appends a line to the file named by $DAPT_TEST_MARK, so a test can tell
 * whether a process loaded it (a warm start must not).
 */
#include <dapt/plugin.h>

__attribute__((constructor)) static void leave_mark(void)
{
    const char *mark = getenv("DAPT_TEST_MARK");
    if (mark == NULL || *mark == '\0')
        return;
    FILE *f = fopen(mark, "a");
    if (f == NULL)
        return;
    fputs("good loaded\n", f);
    fclose(f);
}

static json_t *hello(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    const char *who = json_string_value(json_object_get(kwargs, "who"));
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "greeting %s", who ? who : "world");
    return json_sprintf("hello, %s", who ? who : "world");
}

static json_t *add(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *a = json_object_get(kwargs, "a"), *b = json_object_get(kwargs, "b");
    if (!json_is_number(a))
        return dapt_ctx_fail(ctx, "a must be a number");
    return json_real(json_number_value(a) + (json_is_number(b) ? json_number_value(b) : 0));
}

static json_t *echo(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    return json_pack("{s:O, s:O}", "args", args, "kwargs", kwargs);
}

static const dapt_param hello_params[] = {
    DAPT_PARAM("who", "string", DAPT_OPTIONAL, "\"world\"", "Whom to greet"),
    DAPT_PARAM_END,
};

static const dapt_param add_params[] = {
    DAPT_PARAM("a", "number", DAPT_REQUIRED, NULL, "The first term"),
    DAPT_PARAM("b", "integer|number", DAPT_OPTIONAL, "0", "The second term"),
    DAPT_PARAM_END,
};

static const dapt_target targets[] = {
    {.path = "stages.hello",
     .kind = DAPT_TARGET_STAGE,
     .fn = hello,
     .doc = "Say hello.",
     .params = hello_params,
     .returns = "string"},
    {.path = "math.add",
     .kind = DAPT_TARGET_STAGE,
     .fn = add,
     .doc = "Add two numbers.\nb defaults to 0.",
     .params = add_params,
     .returns = "number"},
    {.path = "echo",
     .kind = DAPT_TARGET_STAGE,
     .flags = DAPT_TARGET_VARARGS | DAPT_TARGET_KWARGS,
     .fn = echo,
     .doc = "Return what it was given."},
    DAPT_TARGET_END,
};

static const char *const requirements[] = {"jansson >= 2.13", NULL};

DAPT_PLUGIN(.name = "good", .version = "1.2.3", .description = "A plugin that works",
            .author = "dapt tests", .license = "MIT", .url = "https://example.invalid/good",
            .requirements = requirements, .targets = targets);
