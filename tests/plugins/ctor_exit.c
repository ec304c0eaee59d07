/* ctor_exit.c - a constructor that ends the process with exit(3). */
#include <dapt/plugin.h>

__attribute__((constructor)) static void leave(void)
{
    exit(3);
}

DAPT_PLUGIN(.name = "ctor_exit");
