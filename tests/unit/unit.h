/*
 * unit.h - shared scaffolding for the Check unit suites: each
 * tests/unit/test_<module>.c defines suite() and uses UNIT_MAIN.
 */
#ifndef RELAYMAIL_UNIT_H
#define RELAYMAIL_UNIT_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * Fixtures the suites share. Each asserts its own steps, so a broken
 * fixture fails the test that uses it rather than passing it bad input.
 */

/* A pipe holding the len octets of buf, then end of file; returns its
 * read end. len must fit in a pipe's buffer (the write cannot block). */
static inline int
unit_pipe(const void *buf, size_t len)
{
	int	fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], buf, len), (ssize_t)len);
	close(fds[1]);
	return fds[0];
}

/* Writes text to path (made or truncated), then gives it mode. */
static inline void
unit_write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Writes text to a new 0600 file named by tmpl, whose trailing XXXXXX
 * mkstemp replaces in place; the caller unlinks it. */
static inline void
unit_tmpfile(char *tmpl, const char *text)
{
	int	fd;

	ck_assert_int_ne(fd = mkstemp(tmpl), -1);
	close(fd);
	unit_write_file(tmpl, text, 0600);
}

static inline int
unit_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

/* Removes dir and everything below it (a suite's scratch directory). */
static inline void
unit_rmtree(const char *dir)
{
	ck_assert_int_eq(nftw(dir, unit_rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

#endif
