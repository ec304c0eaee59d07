/* dup_targets.c - declares the target stages.fetch twice. */
#include <dapt/plugin.h>

static json_t *fetch(dapt_ctx *ctx, json_t *args, json_t *kwargs)
{
    return json_null();
}

static const dapt_target targets[] = {
    {.path = "stages.fetch", .kind = DAPT_TARGET_STAGE, .fn = fetch},
    {.path = "stages.store", .kind = DAPT_TARGET_STAGE, .fn = fetch},
    {.path = "stages.fetch", .kind = DAPT_TARGET_STAGE, .fn = fetch},
    DAPT_TARGET_END,
};

DAPT_PLUGIN(.name = "dup_targets", .targets = targets);
