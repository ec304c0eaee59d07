/*
 * @NAME@.c - the dapt plugin `@NAME@`.
 *
 * A plugin is a shared library that exports one descriptor, made by
 * DAPT_PLUGIN() at the end of this file.  Each row of `targets` is
 * something a workflow can name: `@NAME@.stages.hello` is the target
 * `stages.hello` of this plugin.  See dapt-plugin(7).
 *
 * Include only <dapt/plugin.h> and link only jansson: everything a stage
 * needs from dapt (logging, the run context) comes through `ctx`.
 */
#include <dapt/plugin.h>

/*
 * A stage.  `args` (an array) holds the positional arguments: the outputs
 * of the stages it depends on, or the item of a parameterized stage.
 * `kwargs` (an object) holds the named ones: the run input (for a root
 * stage) and the stage's `args:`.  Positional arguments bind to the
 * declared parameters in order, so `who` may come either way.  Return a
 * new value, or fail the stage with dapt_ctx_fail().
 */
static json_t *hello(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    json_t *who =
        json_array_size(args) > 0 ? json_array_get(args, 0) : json_object_get(kwargs, "who");
    if (who != NULL && !json_is_string(who))
        return dapt_ctx_fail(ctx, "@NAME@.stages.hello: `who` must be a string");
    const char *name = who != NULL ? json_string_value(who) : "world";
    dapt_ctx_log(ctx, DAPT_LOG_INFO, "greeting %s", name);
    return json_sprintf("hello, %s!", name);
}

static const dapt_param hello_params[] = {
    DAPT_PARAM("who", "string", DAPT_OPTIONAL, "\"world\"", "Whom to greet."),
    DAPT_PARAM_END,
};

static const dapt_target targets[] = {
    {
        .path = "stages.hello",
        .kind = DAPT_TARGET_STAGE,
        .fn = hello,
        .params = hello_params,
        .doc = "Greet someone.\n"
               "Returns a greeting for `who` (the first positional argument, or the named "
               "one) and logs it.",
        .returns = "string: the greeting",
    },
    DAPT_TARGET_END,
};

DAPT_PLUGIN(.name = "@NAME@", .version = "0.1.0", .description = "The @NAME@ plugin for dapt",
            .targets = targets);
