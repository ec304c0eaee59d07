/* user-modules.c: being written. */
#include <config.h>
#include "engine.h"
