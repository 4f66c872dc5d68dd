/*
 * msg_emit.c - writing a message out (DESIGN §4, §5): its size, and its
 * octets in large blocks, dot-stuffed for DATA when asked.
 *
 * RFC 5321 §4.5.2: a line that starts with "." gets a second one, so
 * that no line of the message reads as the end of data; the state
 * (beginning of a line) is kept across blocks. The stored message is
 * already canonical (CRLF, see msg.c), so nothing else is changed.
 * Output goes out in blocks of EM_BLOCK (blockbuf.c), never line by line.
 */
#include <stdlib.h>
#include <string.h>

#include "blockbuf.h"
#include "msg.h"

#define EM_READ		65536	/* spool read size */
#define EM_BLOCK	(2 * BOUNDS_IO_BLOCK)	/* output block: 2 records */

off_t
msg_size(const struct msg *m)
{
	off_t n = 2 + m->body.len;	/* the empty line and the body */
	size_t i;

	if (m->rewrite != NULL)
		return m->rewrite_size;

	for (i = 0; i < m->hdrs.n; i++)
		n += (off_t)(strlen(m->hdrs.v[i].name) + 1 +
		    strlen(m->hdrs.v[i].value) + 2);
	return n;
}

struct emitter {
	char		 buf[EM_BLOCK];
	struct blockbuf	 out;		/* into buf */
	int		 bol, stuff;
};

/* Copy with dot-stuffing; bol survives between calls and blocks. */
static int
em_put(struct emitter *w, const char *p, size_t n, struct err *e)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		if (w->stuff && w->bol && *p == '.' &&
		    blockbuf_put(&w->out, ".", 1, e) == -1)
			return -1;
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (blockbuf_put(&w->out, p, k, e) == -1)
			return -1;
		w->bol = nl != NULL;
		p += k;
		n -= k;
	}
	return 0;
}

static int
em_str(struct emitter *w, const char *s, struct err *e)
{
	return em_put(w, s, strlen(s), e);
}

/* msg_write_fn over em_put, for a rewriting. */
static int
em_sink(void *ctx, const void *buf, size_t len, struct err *e)
{
	return em_put(ctx, buf, len, e);
}

static int
emit_all(struct msg *m, struct emitter *w, char *rbuf, struct err *e)
{
	ssize_t n;
	size_t i;

	for (i = 0; i < m->hdrs.n; i++)
		if (em_str(w, m->hdrs.v[i].name, e) == -1 ||
		    em_str(w, ":", e) == -1 ||
		    em_str(w, m->hdrs.v[i].value, e) == -1 ||
		    em_str(w, "\r\n", e) == -1)
			return -1;
	if (em_str(w, "\r\n", e) == -1 || spool_rewind(&m->body, e) == -1)
		return -1;
	while ((n = spool_read(&m->body, rbuf, EM_READ, e)) > 0)
		if (em_put(w, rbuf, (size_t)n, e) == -1)
			return -1;
	if (n == -1)
		return -1;
	return blockbuf_flush(&w->out, e);
}

int
msg_emit(struct msg *m, int flags, msg_write_fn fn, void *ctx, struct err *e)
{
	struct emitter *w;
	char *rbuf;
	int r;

	w = malloc(sizeof(*w));
	rbuf = malloc(EM_READ);
	if (w == NULL || rbuf == NULL) {
		free(w);
		free(rbuf);
		return err_set(e, EX_OSERR, "out of memory");
	}
	blockbuf_init(&w->out, w->buf, sizeof(w->buf), fn, ctx);
	w->bol = 1;
	w->stuff = (flags & MSG_EMIT_DOTSTUFF) != 0;
	if (m->rewrite != NULL && !(flags & MSG_EMIT_STORED))
		r = m->rewrite(m, em_sink, w, e) == -1 ? -1 :
		    blockbuf_flush(&w->out, e);
	else
		r = emit_all(m, w, rbuf, e);
	free(w);
	free(rbuf);
	return r;
}
