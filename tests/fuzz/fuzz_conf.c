/*
 * fuzz_conf.c - libFuzzer target for the configuration reader
 * (conf_load: conf.c, conf_read.c with libinih, conf_keys.c,
 * conf_value.c, conf_list.c, conf_check.c; relaymail.conf(5)). The input is the
 * text of a config file, written to one temporary file at mode 0600
 * (rewritten for each input). Invariants:
 *  - no crash, no leak (LSan runs on every input), no UB;
 *  - conf_load returns 0 or -1; on -1 the error is EX_CONFIG (or
 *    EX_OSERR) with a message, and the conf holds only the path;
 *  - on 0 every account is complete: a valid name, 1..BOUNDS_HOSTS
 *    hosts, a port in 1..65535, a positive timeout; names are unique;
 *  - conf_load never runs password_command (it runs lazily in
 *    conf_load_secret): fork() is replaced below by one that aborts, so
 *    an input that made conf_load spawn anything is a crash.
 * The --check-config report path is exercised too (report to
 * /dev/null), since it keeps going after the first problem.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
pid_t	 fork(void);

/* Nothing under test may start a process. */
pid_t
fork(void)
{
	abort();
}

static char path[64];
static FILE *devnull;

static int
setup(void)
{
	int fd;

	if (path[0] != '\0')
		return 0;
	snprintf(path, sizeof(path), "/tmp/fuzz_conf.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	close(fd);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		return -1;
	/* No user config or HOME surprises: paths come from the input. */
	setenv("HOME", "/nonexistent", 1);
	unsetenv("XDG_STATE_HOME");
	return 0;
}

static int
write_conf(const uint8_t *data, size_t size)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	if (size > 0 && fwrite(data, 1, size, fp) != size) {
		fclose(fp);
		return -1;
	}
	if (fclose(fp) != 0 || chmod(path, 0600) != 0)
		return -1;
	return 0;
}

static void
check_ok(const struct conf *c)
{
	const struct account *a;
	int i, j;

	if (c->naccounts < 0 || (c->naccounts > 0 && c->accounts == NULL))
		abort();
	for (i = 0; i < c->naccounts; i++) {
		a = &c->accounts[i];
		if (memchr(a->name, '\0', sizeof(a->name)) == NULL ||
		    a->name[0] == '\0' || a->nhosts < 1 ||
		    a->nhosts > BOUNDS_HOSTS || a->port < 1 ||
		    a->port > 65535 || a->timeout < 1)
			abort();
		for (j = 0; j < a->nhosts; j++)
			if (a->hosts[j] == NULL || a->hosts[j][0] == '\0')
				abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->accounts[j].name, a->name) == 0)
				abort();
	}
}

static void
load(FILE *report)
{
	struct conf c;
	struct err e;

	err_clear(&e);
	if (conf_load(&c, path, report, &e) == 0)
		check_ok(&c);
	else if ((e.code != EX_CONFIG && e.code != EX_OSERR) ||
	    e.msg[0] == '\0' || c.naccounts != 0)
		abort();
	conf_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4 * BOUNDS_CONF_LINE || setup() == -1 ||
	    write_conf(data, size) == -1)
		return 0;
	load(NULL);
	load(devnull);
	return 0;
}
