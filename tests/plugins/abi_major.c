/* abi_major.c - a descriptor from a future, incompatible dapt (ABI 2.0),
 * written by hand since DAPT_PLUGIN() always says this header's version. */
#include <dapt/plugin.h>

static const dapt_plugin_desc desc = {
    .abi_major = DAPT_PLUGIN_ABI_MAJOR + 1,
    .abi_minor = 0,
    .desc_size = sizeof(dapt_plugin_desc),
    .target_size = sizeof(dapt_target),
    .param_size = sizeof(dapt_param),
    .name = "abi_major",
};

DAPT_PLUGIN_EXPORT const dapt_plugin_desc *dapt_plugin_describe(void);
DAPT_PLUGIN_EXPORT const dapt_plugin_desc *dapt_plugin_describe(void)
{
    return &desc;
}
