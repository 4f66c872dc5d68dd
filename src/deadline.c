/*
 * deadline.c - the clock and the waiting that bound every blocking step
 * of the transport (relaymail(8): every operation has a deadline; no
 * alarm, no setjmp): monotonic milliseconds (CLOCK_MONOTONIC, POSIX
 * clock_gettime), poll(2) until an absolute deadline, and durations
 * written for messages. A leaf: it calls nothing else of relaymail.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>

#include "deadline.h"

long long
deadline_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
deadline_wait(int fd, short events, long long deadline_ms)
{
	struct pollfd pfd;
	long long left;
	int rc;

	for (;;) {
		if ((left = deadline_ms - deadline_now_ms()) <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc > 0)
			return 1;
		if (rc == -1 && errno != EINTR)
			return -1;
	}
}

void
deadline_secs(char *buf, size_t len, int ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%d s", ms / 1000);
	else
		snprintf(buf, len, "%.1f s", ms / 1000.0);
}
