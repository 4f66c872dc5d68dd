/* A sample for tests/cycles.pl: a.c and b.c call each other. */
#include "x.h"

int
a_f(void)
{
	return b_f();
}
