/* registry-check.c: being written. */
#include <config.h>
#include "engine.h"
