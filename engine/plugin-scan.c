/* plugin-scan.c: being written. */
#include <config.h>
#include "engine.h"
