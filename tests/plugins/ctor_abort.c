/* ctor_abort.c - a constructor that aborts. */
#include <dapt/plugin.h>

__attribute__((constructor)) static void give_up(void)
{
    abort();
}

DAPT_PLUGIN(.name = "ctor_abort");
