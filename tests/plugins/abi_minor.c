/* abi_minor.c - a descriptor that needs a newer minor ABI than this dapt's
 * (three minors ahead), written by hand. */
#include <dapt/plugin.h>

static const dapt_plugin_desc desc = {
    .abi_major = DAPT_PLUGIN_ABI_MAJOR,
    .abi_minor = DAPT_PLUGIN_ABI_MINOR + 3,
    .desc_size = sizeof(dapt_plugin_desc),
    .target_size = sizeof(dapt_target),
    .param_size = sizeof(dapt_param),
    .name = "abi_minor",
};

DAPT_PLUGIN_EXPORT const dapt_plugin_desc *dapt_plugin_describe(void);
DAPT_PLUGIN_EXPORT const dapt_plugin_desc *dapt_plugin_describe(void)
{
    return &desc;
}
