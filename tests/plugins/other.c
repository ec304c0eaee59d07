/* other.c - a second valid plugin, the smallest there is: one target. */
#include <dapt/plugin.h>

static json_t *nothing(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    return json_null();
}

static const dapt_target targets[] = {
    {.path = "nothing", .kind = DAPT_TARGET_STAGE, .fn = nothing, .doc = "Do nothing."},
    DAPT_TARGET_END,
};

DAPT_PLUGIN(.name = "other", .version = "0.1", .targets = targets);
