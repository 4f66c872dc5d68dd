/*
 * net.c - open a TCP connection to the relay, with a deadline on every
 * step (relaymail(8)): conn_open(). The addresses come from net_resolve.c,
 * the clock from deadline.c.
 *
 * Connecting follows RFC 8305 (Happy Eyeballs v2): the address list is
 * interleaved by family, IPv6 first (§4); the next attempt starts when the
 * previous one fails or after the 250 ms Connection Attempt Delay (§5),
 * earlier attempts keep running, the first to complete wins and the others
 * are closed (§5). At most BOUNDS_ADDRS_PER_HOST addresses are tried.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "net_int.h"
#include "deadline.h"

#define NET_ATTEMPT_DELAY_MS	250	/* RFC 8305 §5 */

struct net_race {
	struct pollfd	 pfd[BOUNDS_ADDRS_PER_HOST];
	int		 idx[BOUNDS_ADDRS_PER_HOST];	/* into the address list */
	long long	 until[BOUNDS_ADDRS_PER_HOST];	/* per-attempt deadline */
	int		 n;
};

static int
net_fail(struct err *e, const char *host, const struct net_addr *a,
    int port, const char *why)
{
	return err_set(e, EX_TEMPFAIL, "cannot connect to %s [%s]:%d: %s",
	    host, a->text, port, why);
}

/* Start a non-blocking connect; the fd, or -1 with e set. */
static int
net_start(const struct net_addr *a, const char *host, int port,
    struct err *e)
{
	int fd;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1)
		return net_fail(e, host, a, port, strerror(errno));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0 ||
	    errno == EINPROGRESS)
		return fd;
	net_fail(e, host, a, port, strerror(errno));
	close(fd);
	return -1;
}

static void
net_drop(struct net_race *r, int i)
{
	close(r->pfd[i].fd);
	r->n--;
	r->pfd[i] = r->pfd[r->n];
	r->idx[i] = r->idx[r->n];
	r->until[i] = r->until[r->n];
}

/* Check the attempts after poll; the index of a winner or -1. A failed
 * attempt sets e and *failed so the next address starts at once. */
static int
net_reap(struct net_race *r, const struct net_addr *a, const char *host,
    int port, int timeout_ms, int *failed, struct err *e)
{
	long long now = deadline_now_ms();
	char secs[32];
	socklen_t sl;
	int i, soerr;

	for (i = r->n - 1; i >= 0; i--) {
		if (r->pfd[i].revents != 0) {
			soerr = 0;
			sl = sizeof(soerr);
			if (getsockopt(r->pfd[i].fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &sl) == -1)
				soerr = errno;
			if (soerr == 0)
				return i;
			net_fail(e, host, &a[r->idx[i]], port,
			    strerror(soerr));
		} else if (now >= r->until[i]) {
			deadline_secs(secs, sizeof(secs), timeout_ms);
			err_set(e, EX_TEMPFAIL, "cannot connect to %s [%s]:%d: "
			    "timed out after %s", host, a[r->idx[i]].text,
			    port, secs);
		} else
			continue;
		net_drop(r, i);
		*failed = 1;
	}
	return -1;
}

static long long
net_wake(const struct net_race *r, int more, long long next, long long end)
{
	long long w = end;
	int i;

	if (more && next < w)
		w = next;
	for (i = 0; i < r->n; i++)
		if (r->until[i] < w)
			w = r->until[i];
	return w;
}

/* RFC 8305 §5 connection racing; the connected fd, or -1 with e set. */
static int
net_race(const struct net_addr *a, int na, const char *host, int port,
    int timeout_ms, long long end, int *won, struct err *e)
{
	struct net_race r;
	long long now, next = 0, left;
	int i, fd, start = 0, failed;

	r.n = 0;
	for (;;) {
		if ((now = deadline_now_ms()) >= end) {
			while (r.n > 0)
				net_drop(&r, 0);
			return err_set(e, EX_TEMPFAIL, "cannot connect to %s "
			    "port %d: out of time", host, port);
		}
		if (start < na && (r.n == 0 || now >= next)) {
			if ((fd = net_start(&a[start], host, port, e)) != -1) {
				r.pfd[r.n].fd = fd;
				r.pfd[r.n].events = POLLOUT;
				r.idx[r.n] = start;
				r.until[r.n++] = now + timeout_ms;
				next = now + NET_ATTEMPT_DELAY_MS;
			}
			start++;
			continue;
		}
		if (r.n == 0)
			return -1;	/* every address failed; e says why */
		left = net_wake(&r, start < na, next, end) - now;
		for (i = 0; i < r.n; i++)
			r.pfd[i].revents = 0;
		if (poll(r.pfd, r.n, left < 0 ? 0 : left > INT_MAX ? INT_MAX :
		    (int)left) == -1 && errno != EINTR) {
			err_set(e, EX_OSERR, "poll: %s", strerror(errno));
			while (r.n > 0)
				net_drop(&r, 0);
			return -1;
		}
		failed = 0;
		if ((i = net_reap(&r, a, host, port, timeout_ms, &failed,
		    e)) >= 0) {
			fd = r.pfd[i].fd;
			*won = r.idx[i];
			r.pfd[i].fd = -1;
			for (i = 0; i < r.n; i++)
				if (r.pfd[i].fd != -1)
					close(r.pfd[i].fd);
			return fd;
		}
		if (failed)
			next = now;	/* §5: start the next one now */
	}
}

static int
net_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6;
	const struct sockaddr_in *s4;

	if (ss->ss_family == AF_INET) {
		s4 = (const struct sockaddr_in *)ss;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	s6 = (const struct sockaddr_in6 *)ss;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
	    s6->sin6_addr.s6_addr[12] == 127;
}

/* Copy host into c->host without the brackets of an IPv6 literal. */
static int
net_host(struct conn *c, const char *host, struct err *e)
{
	size_t len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0)
		return err_set(e, EX_CONFIG, "empty relay host name");
	if (len > BOUNDS_DOMAIN)
		return err_set(e, EX_CONFIG, "relay host name longer than "
		    "%d octets", BOUNDS_DOMAIN);
	memcpy(c->host, host, len);
	c->host[len] = '\0';
	return 0;
}

int
conn_open(struct conn *c, const char *host, int port, int timeout_ms,
    long long deadline_ms, FILE *trace, struct err *e)
{
	struct net_addr addrs[BOUNDS_ADDRS_PER_HOST];
	struct addrinfo *res = NULL;
	char name[BOUNDS_DOMAIN + 1];
	long long end;
	int na, fd, won = 0, one = 1;

	conn_clear(c);
	if (timeout_ms <= 0)
		timeout_ms = 60000;
	if (port <= 0 || port > 65535)
		return err_set(e, EX_CONFIG, "bad port %d", port);
	if (net_host(c, host, e) == -1)
		return -1;
	memcpy(name, c->host, sizeof(name));
	end = deadline_now_ms() + timeout_ms;
	if (deadline_ms > 0 && deadline_ms < end)
		end = deadline_ms;
	if (net_resolve(name, port, end, &res, e) == -1)
		return -1;
	na = net_resolve_order(res, addrs);
	freeaddrinfo(res);
	if (na == 0)
		return err_set(e, EX_NOHOST, "host %s has no address", name);
	end = deadline_ms > 0 ? deadline_ms : LLONG_MAX;
	if ((fd = net_race(addrs, na, name, port, timeout_ms, end, &won,
	    e)) == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_attach(c, fd, timeout_ms, trace);
	memcpy(c->host, name, sizeof(c->host));
	c->loopback = net_is_loopback(&addrs[won].ss);
	if (strcmp(name, addrs[won].text) == 0)
		snprintf(c->peer, sizeof(c->peer), "[%s]:%d",
		    addrs[won].text, port);
	else
		snprintf(c->peer, sizeof(c->peer), "%s [%s]:%d", name,
		    addrs[won].text, port);
	err_clear(e);
	return 0;
}
