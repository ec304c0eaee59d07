/* dapt-worker.c: to be written (issue 4). */
#include "config.h"
int main(void) { return 0; }
