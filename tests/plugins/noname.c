/* noname.c - a descriptor without a name. */
#include <dapt/plugin.h>

DAPT_PLUGIN(.version = "1.0", .description = "Forgot its name");
