/* bad_path.c - a target path that is not dotted lowercase words. */
#include <dapt/plugin.h>

static json_t *fetch(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    return json_null();
}

static const dapt_target targets[] = {
    {.path = "stages.fetch", .kind = DAPT_TARGET_STAGE, .fn = fetch},
    {.path = "stages..Fetch", .kind = DAPT_TARGET_STAGE, .fn = fetch},
    DAPT_TARGET_END,
};

DAPT_PLUGIN(.name = "bad_path", .targets = targets);
