/*
 * fuzz_alias.c - libFuzzer target for the aliases file (alias.c,
 * aliases(5) syntax; targets parsed by addr.c as RFC 5322 §3.4 lists).
 * The input is the file's text, written to one temporary file; after
 * alias_load, alias_expand runs for every alias name (bare, and
 * qualified with the maildomain, as the envelope looks them up), for a
 * name that is not listed (the catch-all) and for one foreign address.
 * Invariants:
 *  - no crash, no leak, no UB, bounded time and memory: an expansion
 *    yields at most BOUNDS_RCPTS addresses or fails (a fan-out of
 *    aliases must not multiply without limit);
 *  - errors are EX_CONFIG, EX_DATAERR or EX_OSERR with a message;
 *  - on success at least one address comes out and none holds CR or
 *    LF (targets went through addr_check);
 *  - an address whose domain is not the maildomain is never expanded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias.h"

#define MAILDOMAIN	"host.example"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char path[64];

static void
expand_one(const struct aliases *a, const char *addr)
{
	struct addr_list out;
	struct err e;
	size_t i;

	addr_list_init(&out);
	err_clear(&e);
	if (alias_expand(a, addr, MAILDOMAIN, &out, &e) == 0) {
		if (out.n == 0 || out.n > BOUNDS_RCPTS)
			abort();
		for (i = 0; i < out.n; i++)
			if (strpbrk(out.v[i], "\r\n") != NULL)
				abort();
	} else if ((e.code != EX_CONFIG && e.code != EX_DATAERR &&
	    e.code != EX_OSERR) || e.msg[0] == '\0')
		abort();
	addr_list_free(&out);
}

static void
expand_all(const struct aliases *a)
{
	struct addr_list out;
	char q[BOUNDS_ADDR * 2];
	struct err e;
	size_t i;

	for (i = 0; i < a->n; i++) {
		expand_one(a, a->v[i].name);
		snprintf(q, sizeof(q), "%s@%s", a->v[i].name, MAILDOMAIN);
		expand_one(a, q);
	}
	expand_one(a, "nobody-listed");
	/* Foreign domain: kept as it is, exactly once. */
	addr_list_init(&out);
	if (alias_expand(a, "root@elsewhere.example", MAILDOMAIN, &out,
	    &e) != 0 || out.n != 1 ||
	    strcmp(out.v[0], "root@elsewhere.example") != 0)
		abort();
	addr_list_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aliases a;
	struct err e;
	FILE *fp;
	int fd;

	if (size > 4 * BOUNDS_CONF_LINE)
		return 0;
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_alias.XXXXXX");
		if ((fd = mkstemp(path)) == -1)
			return 0;
		close(fd);
	}
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	if (size > 0 && fwrite(data, 1, size, fp) != size) {
		fclose(fp);
		return 0;
	}
	if (fclose(fp) != 0)
		return 0;
	err_clear(&e);
	if (alias_load(&a, path, &e) == 0)
		expand_all(&a);
	else if ((e.code != EX_CONFIG && e.code != EX_OSERR) ||
	    e.msg[0] == '\0')
		abort();
	alias_free(&a);
	return 0;
}
