/*
 * fuzz_reply.c - libFuzzer target for the SMTP reply parser (reply.c,
 * RFC 5321 §4.2). The input is split into lines at LF (a CR before it
 * is dropped, as conn_readline does) and fed to reply_feed(); a new
 * reply starts after each complete reply or error. Checks the parser's
 * invariants: it never accepts a line over the cap, never more lines
 * than BOUNDS_REPLY_LINES, codes stay in 200..599, and reply_join()
 * of a complete reply stays within its buffer, NUL-terminated.
 *
 * Build and run (from the top of the tree, after `make`):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *       -D_GNU_SOURCE -Isrc -o tests/fuzz/fuzz_reply \
 *       tests/fuzz/fuzz_reply.c src/reply.c src/err.c \
 *       src/librelaymail.a $(pkg-config --libs gnutls inih)
 *   ./tests/fuzz/fuzz_reply -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "reply.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A small and a full-size buffer: the cut is marked, never overrun. */
static void
check_join(const struct reply *r)
{
	char small[24], big[BOUNDS_ERRMSG];

	memset(small, 'x', sizeof(small));
	reply_join(r, small, sizeof(small));
	reply_join(r, big, sizeof(big));
	if (memchr(small, '\0', sizeof(small)) == NULL ||
	    memchr(big, '\0', sizeof(big)) == NULL ||
	    strncmp(small, big, 3) != 0)
		abort();
}

static void
check(const struct reply *r, int rc)
{
	if (rc == -1)
		return;
	if (rc == 1)
		check_join(r);
	if (r->code < 200 || r->code > 599 || r->nlines < 1 ||
	    r->nlines > BOUNDS_REPLY_LINES ||
	    strlen(r->last) > BOUNDS_REPLY_LINE - 2 ||
	    (r->enh[0] != '\0' && r->enh[0] - '0' != r->code / 100))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reply r;
	const char *p = (const char *)data, *end = p + size, *line;
	struct err e;
	size_t len;
	int rc;

	reply_init(&r);
	while (fuzz_next_line(&p, end, &line, &len)) {
		rc = reply_feed(&r, line, len, &e);
		check(&r, rc);
		if (rc != 0)
			reply_init(&r);
	}
	return 0;
}
