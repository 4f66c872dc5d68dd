/*
 * fuzz_addr.c - libFuzzer target for the RFC 5322 §3.4 address-list
 * parser (addr_parse_list, addr_scan.c) and the qualification of a
 * header value (addr_rewrite, as hdr_prepare applies it to From/To/Cc,
 * and addr_qualify as the envelope applies it). The input is a header
 * value as it can arrive (folding CRLFs included). Invariants asserted:
 *  - no crash, no leak, no UB (ASan/UBSan);
 *  - every address parse_list returns passes addr_check (no CR, LF,
 *    '<', '>', at most BOUNDS_ADDR octets), so it cannot inject;
 *  - the rewritten value contains no CR or LF that the input did not
 *    have at the same place (rewriting adds "@domain" only), and
 *    never a CR or LF when the input had none;
 *  - rewriting only inserts: removing the "@domain" insertions gives
 *    back the input, and the length grows by k * strlen("@domain");
 *  - a list that parsed still parses after rewriting, with the same
 *    number of addresses, each the old one qualified (addr_qualify);
 *  - rewriting a second time changes nothing (qualified is a fixpoint).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define DOMAIN	"host.example"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_list(const struct addr_list *l)
{
	struct err e;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (addr_check(l->v[i], &e) != 0 ||
		    strpbrk(l->v[i], "\r\n<>") != NULL)
			abort();
}

/* After rewriting, each address is the old one qualified. */
static void
check_reparse(const struct addr_list *before, const char *rewritten)
{
	struct addr_list after;
	char q[BOUNDS_ADDR + 1];
	struct err e;
	size_t i;

	addr_list_init(&after);
	if (addr_parse_list(rewritten, &after, &e) != 0) {
		/* Only a qualified address grown past the cap may fail. */
		for (i = 0; i < before->n; i++)
			if (addr_qualify(before->v[i], DOMAIN, q, sizeof(q),
			    &e) != 0)
				break;
		if (i == before->n)
			abort();
		addr_list_free(&after);
		return;
	}
	check_list(&after);
	if (after.n != before->n)
		abort();
	for (i = 0; i < after.n; i++) {
		if (addr_qualify(before->v[i], DOMAIN, q, sizeof(q), &e) != 0 ||
		    strcmp(q, after.v[i]) != 0 || addr_is_bare(after.v[i]))
			abort();
	}
	addr_list_free(&after);
}

/* rewritten is value with some "@DOMAIN" inserted, nothing else. */
static void
check_insert_only(const char *value, const char *rw)
{
	size_t dl = strlen("@" DOMAIN), vi = 0, ri = 0;

	while (rw[ri] != '\0') {
		if (value[vi] == rw[ri]) {
			vi++;
			ri++;
		} else if (strncmp(rw + ri, "@" DOMAIN, dl) == 0)
			ri += dl;
		else
			abort();
	}
	if (value[vi] != '\0')
		abort();
	if ((strlen(rw) - strlen(value)) % dl != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list l;
	struct err e;
	char *value, *rw = NULL, *rw2 = NULL;
	int parsed;

	if (size > BOUNDS_HEADER)
		return 0;
	if ((value = malloc(size + 1)) == NULL)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';		/* a header value is a C string */

	addr_list_init(&l);
	parsed = addr_parse_list(value, &l, &e) == 0;
	if (parsed)
		check_list(&l);

	if (addr_rewrite(value, DOMAIN, &rw, &e) == 0) {
		if (strpbrk(value, "\r\n") == NULL &&
		    strpbrk(rw, "\r\n") != NULL)
			abort();
		check_insert_only(value, rw);
		if (parsed)
			check_reparse(&l, rw);
		if (parsed && addr_rewrite(rw, DOMAIN, &rw2, &e) == 0 &&
		    strcmp(rw, rw2) != 0)
			abort();
	} else if (e.code != EX_DATAERR && e.code != EX_OSERR)
		abort();
	free(rw);
	free(rw2);
	addr_list_free(&l);
	free(value);
	return 0;
}
