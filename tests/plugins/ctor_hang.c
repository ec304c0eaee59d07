/* ctor_hang.c - a constructor that never returns. */
#include <unistd.h>

#include <dapt/plugin.h>

__attribute__((constructor)) static void wait_forever(void)
{
    for (;;)
        pause();
}

DAPT_PLUGIN(.name = "ctor_hang");
