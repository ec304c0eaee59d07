/* ctor_segv.c - a constructor that faults: it writes to read-only memory.
 * (Not a null pointer: under -fsanitize=undefined that would end in the
 * sanitizer's exit(1) before any fault.) */
#include <dapt/plugin.h>

static const int constant = 1;
/* volatile: the compiler may neither drop the store nor reason about it */
static int *volatile target = (int *)&constant;

__attribute__((constructor)) static void crash(void)
{
    *target = 2;
}

DAPT_PLUGIN(.name = "ctor_segv");
