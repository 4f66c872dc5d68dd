/*
 * blockbuf.h - output collected into fixed blocks, so that a write
 * callback sees a few large writes (whole TLS records, RFC 8446 §5.1)
 * instead of one call per line or field. Used where a message or a
 * notice is written out (msg_emit.c, notice.c) and for the relay
 * connection's output (conn.c).
 *
 * Memory: the caller owns the buffer and the struct; nothing is
 * allocated. Errors: only what the callback sets.
 */
#ifndef RELAYMAIL_BLOCKBUF_H
#define RELAYMAIL_BLOCKBUF_H

#include <stddef.h>
#include "err.h"

/* Same shape as msg_write_fn: write all of buf, or -1 with e set. */
typedef int (*blockbuf_fn)(void *ctx, const void *buf, size_t len,
    struct err *);

struct blockbuf {
	char		*buf;
	size_t		 cap, len;
	blockbuf_fn	 fn;
	void		*ctx;
};

/* Collect into buf (cap bytes, cap > 0) for fn(ctx, ...). */
void	 blockbuf_init(struct blockbuf *, char *buf, size_t cap,
	    blockbuf_fn, void *ctx);
/* Append n bytes; every block that fills up is written at once. */
int	 blockbuf_put(struct blockbuf *, const void *p, size_t n,
	    struct err *);
/* Write what is collected (nothing when empty) and start over. */
int	 blockbuf_flush(struct blockbuf *, struct err *);

#endif
