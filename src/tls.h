/*
 * tls.h - private interface between conn.c and tls.c (not for other
 * modules: they use conn.h).
 *
 * Record I/O on a struct conn, plain or TLS, shares one convention so
 * conn.c has a single read loop and a single write loop: a call returns
 * the bytes moved (> 0), 0 when the peer closed (reads only), CONN_AGAIN
 * when it must wait for *events on c->fd (0: retry at once), or -1 with
 * the error filled in.
 */
#ifndef RELAYMAIL_TLS_H
#define RELAYMAIL_TLS_H

#include <sys/types.h>
#include "conn.h"

#define CONN_AGAIN	(-2)

ssize_t	 tls_read(struct conn *, void *, size_t, short *events, struct err *);
ssize_t	 tls_write(struct conn *, const void *, size_t, short *events,
	    struct err *);
/* Free the session and credentials; with bye, send close_notify first
 * (one non-blocking attempt: closing must not wait for the relay). */
void	 tls_end(struct conn *, int bye);

#endif
