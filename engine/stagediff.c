/* stagediff.c: to be written (issue 6). */
#include "config.h"
#include "engine.h"
