/*
 * unit.h - shared scaffolding for the Check unit suites: each
 * tests/unit/test_<module>.c defines suite() and uses UNIT_MAIN.
 */
#ifndef RELAYMAIL_UNIT_H
#define RELAYMAIL_UNIT_H

#include <check.h>
#include <stdlib.h>

#define UNIT_MAIN(suite_fn)						\
int									\
main(void)								\
{									\
	SRunner *sr = srunner_create(suite_fn());			\
	int failed;							\
									\
	srunner_run_all(sr, CK_NORMAL);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
}

/* Number of elements of a table. */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
