/* A sample for tests/cycles.pl: a.c and b.c call each other. */
int
b_f(void)
{
	return a_f();
}
