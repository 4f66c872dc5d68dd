/*
 * fuzz_msg.c - libFuzzer target for msg_read (canonicalisation, header
 * section), hdr_prepare and addr_parse_list on every header value, and
 * msg_emit with dot-stuffing. Besides memory errors it checks the
 * properties relaymail(8) promises for whatever comes in:
 *  - every CR leaving is followed by LF and every LF preceded by CR;
 *  - with stuffing, no line is a lone "." (no early end of data);
 *  - msg_size() equals the unstuffed output length.
 *
 * Build and run from the top of the tree:
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 \
 *       -fsanitize=fuzzer,address,undefined -Isrc \
 *       -o tests/fuzz/fuzz_msg tests/fuzz/fuzz_msg.c \
 *       src/msg.c src/hdr.c src/addr.c src/err.c
 *   tests/fuzz/fuzz_msg -max_len=200000 -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "addr.h"
#include "hdr.h"

struct check {
	size_t	 len;
	int	 stuffed;
	int	 cr, bol, dotline;	/* state across blocks */
};

static int
check_write(void *ctx, const void *buf, size_t n, struct err *e)
{
	struct check *c = ctx;
	const unsigned char *p = buf;
	size_t i;

	(void)e;
	for (i = 0; i < n; i++) {
		if (c->cr && p[i] != '\n')
			abort();		/* bare CR left */
		if (!c->cr && p[i] == '\n')
			abort();		/* bare LF left */
		if (c->stuffed && c->dotline && p[i] == '\r')
			abort();		/* a lone "." line */
		c->dotline = c->bol && p[i] == '.';
		c->bol = p[i] == '\n';
		c->cr = p[i] == '\r';
	}
	c->len += n;
	return 0;
}

static void
parse_values(const struct msg *m)
{
	struct addr_list l;
	struct err e;
	size_t i;

	for (i = 0; i < m->hdrs.n; i++) {
		addr_list_init(&l);
		(void)addr_parse_list(m->hdrs.v[i].value, &l, &e);
		addr_list_free(&l);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr_opts o = { "s@x", "Full Name", "u", "h.example",
	    "id.example", NULL, 1700000000 };
	struct check c = { 0, 1, 0, 1, 0 }, plain = { 0, 0, 0, 1, 0 };
	struct msg m;
	struct err e;
	int fd, flags;

	if ((fd = fuzz_memfd(data, size)) == -1)
		return 0;
	flags = size > 0 && (data[0] & 1) ? MSG_DOT_ENDS : 0;
	if (size > 0 && (data[0] & 2))
		flags |= MSG_RAW;
	msg_init(&m);
	if (msg_read(&m, fd, flags, &e) == 0) {
		parse_values(&m);
		if (hdr_prepare(&m, &o, &e) == 0) {
			if (msg_emit(&m, MSG_EMIT_DOTSTUFF, check_write, &c,
			    &e) != 0 ||
			    msg_emit(&m, 0, check_write, &plain, &e) != 0 ||
			    (off_t)plain.len != msg_size(&m))
				abort();
		}
	}
	msg_free(&m);
	close(fd);
	return 0;
}
