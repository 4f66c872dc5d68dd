/*
 * fuzz_mime.c - libFuzzer target for the structure scan and the
 * rewriting (mime.c, mime_ct.c, mime_emit.c, qp.c): any input is read
 * as a message, checked, and prepared for each kind of relay (with and
 * without 8BITMIME, with and without SMTPUTF8). Besides memory errors it
 * checks what mime.h promises whenever mime_prepare accepts:
 *  - no line of the output is over 998 octets;
 *  - for a relay with neither 8BITMIME nor SMTPUTF8, no 8-bit octet;
 *  - every CR is followed by LF and every LF preceded by CR;
 *  - msg_size() is the output's length;
 *  - the stored copy (MSG_EMIT_STORED) is what msg_read stored.
 *
 * Build and run from the top of the tree (or `make fuzz`):
 *   make tests/fuzz/fuzz_mime
 *   tests/fuzz/fuzz_mime -max_len=20000 -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mime.h"

struct check {
	size_t	 len, col;
	int	 cr, eightbit;
};

static int
check_write(void *ctx, const void *buf, size_t n, struct err *e)
{
	struct check *c = ctx;
	const unsigned char *p = buf;
	size_t i;

	(void)e;
	for (i = 0; i < n; i++) {
		if (c->cr != (p[i] == '\n'))
			abort();	/* bare CR or bare LF */
		c->cr = p[i] == '\r';
		if (p[i] == '\n')
			c->col = 0;
		else if (p[i] != '\r' && ++c->col > 998)
			abort();	/* a line over 998 octets */
		if (p[i] > 127)
			c->eightbit = 1;
	}
	c->len += n;
	return 0;
}

static int
count_write(void *ctx, const void *buf, size_t n, struct err *e)
{
	(void)buf;
	(void)e;
	*(size_t *)ctx += n;
	return 0;
}

static void
one_relay(struct msg *m, int eightbitmime, int smtputf8)
{
	struct check c;
	struct err e;
	size_t stored = 0;

	if (mime_prepare(m, eightbitmime, smtputf8, NULL, &e) != 0)
		return;
	memset(&c, 0, sizeof(c));
	if (msg_emit(m, 0, check_write, &c, &e) != 0 ||
	    (off_t)c.len != msg_size(m))
		abort();
	if (!eightbitmime && !smtputf8 && c.eightbit)
		abort();
	if (msg_emit(m, MSG_EMIT_STORED, count_write, &stored, &e) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	struct err e;
	int fd;

	if ((fd = fuzz_memfd(data, size)) == -1)
		return 0;
	msg_init(&m);
	if (msg_read(&m, fd, MSG_RAW, &e) == 0 && mime_check(&m, &e) == 0) {
		one_relay(&m, 1, 0);
		one_relay(&m, 0, 0);
		one_relay(&m, 0, 1);
		one_relay(&m, 1, 1);
	}
	msg_free(&m);
	close(fd);
	return 0;
}
