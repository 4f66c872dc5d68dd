/*
 * deadline.h - time and waiting for the transport (net.c, conn.c,
 * tls.c, tls_probe.c) and the deadlines above it (relay.c, smtp.c,
 * oauth_flow.c). A deadline is an absolute
 * time on the deadline_now_ms() clock, so a peer that answers byte by
 * byte cannot stretch it. Nothing is allocated; no error is set (callers
 * turn a timeout or a poll failure into their own message).
 */
#ifndef RELAYMAIL_DEADLINE_H
#define RELAYMAIL_DEADLINE_H

#include <stddef.h>

/* Monotonic milliseconds, for deadlines. */
long long deadline_now_ms(void);
/* Wait for events on fd until deadline_ms: 1 ready, 0 timed out, -1 error
 * (errno set). */
int	 deadline_wait(int fd, short events, long long deadline_ms);
/* "60 s", "0.3 s": a duration in milliseconds for messages. */
void	 deadline_secs(char *buf, size_t len, int ms);

#endif
