/* version.c - the library's version, from configure. */
#include "config.h"

#include "engine.h"

const char *dapt_version(void)
{
    return PACKAGE_VERSION;
}
