/* loader.c: to be written (issue 4). */
#include "config.h"
#include "engine.h"
