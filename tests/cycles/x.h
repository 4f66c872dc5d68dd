/* A sample for tests/cycles.pl: x.h and y.h include each other. */
#include "y.h"
