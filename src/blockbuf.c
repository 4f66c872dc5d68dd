/*
 * blockbuf.c - output collected into fixed blocks before it is handed to
 * a write callback (contract in blockbuf.h). A caller sizes its block in
 * whole TLS records (RFC 8446 §5.1, RFC 5246 §6.2.1: at most 16 KiB of
 * data each), so writing a message costs a few large records rather
 * than one small record per header field or line.
 */
#include <string.h>

#include "blockbuf.h"

void
blockbuf_init(struct blockbuf *b, char *buf, size_t cap, blockbuf_fn fn,
    void *ctx)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->fn = fn;
	b->ctx = ctx;
}

int
blockbuf_put(struct blockbuf *b, const void *p, size_t n, struct err *e)
{
	const char *s = p;
	size_t k;

	while (n > 0) {
		k = b->cap - b->len;
		if (k > n)
			k = n;
		memcpy(b->buf + b->len, s, k);
		b->len += k;
		s += k;
		n -= k;
		if (b->len == b->cap && blockbuf_flush(b, e) == -1)
			return -1;
	}
	return 0;
}

int
blockbuf_flush(struct blockbuf *b, struct err *e)
{
	size_t len = b->len;

	b->len = 0;
	if (len == 0)
		return 0;
	return b->fn(b->ctx, b->buf, len, e);
}
