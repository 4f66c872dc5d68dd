/*
 * net.c - find the relay and open a TCP connection to it, with a
 * deadline on every step (DESIGN §5): conn_open() and conn_now_ms().
 *
 * An address literal is converted without a lookup; a name goes through
 * getaddrinfo_a() so that the lookup, too, stops at the deadline (glibc
 * runs it in a helper thread; under valgrind use --run-libc-freeres=no, as
 * glibc's exit-time cleanup of that thread's resolver state is reported
 * otherwise). AI_ADDRCONFIG is not used: on a host with only loopback
 * addresses it would hide ::1 and 127.0.0.1, which tests and local relays
 * need.
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
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "tls.h"

#define NET_ATTEMPT_DELAY_MS	250	/* RFC 8305 §5 */

struct net_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 text[INET6_ADDRSTRLEN];
};

/* One lookup; heap-allocated because the resolver thread writes to it. */
struct net_lookup {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	char		 name[BOUNDS_DOMAIN + 1];
	char		 serv[8];
};

struct net_race {
	struct pollfd	 pfd[BOUNDS_ADDRS_PER_HOST];
	int		 idx[BOUNDS_ADDRS_PER_HOST];	/* into the address list */
	long long	 until[BOUNDS_ADDRS_PER_HOST];	/* per-attempt deadline */
	int		 n;
};

long long
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
net_gai_err(const char *host, int rc, struct err *e)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return err_set(e, EX_NOHOST, "host %s does not exist", host);
	case EAI_AGAIN:
		return err_set(e, EX_TEMPFAIL,
		    "temporary failure looking up host %s", host);
	case EAI_MEMORY:
		return err_set(e, EX_OSERR, "out of memory looking up %s",
		    host);
	case EAI_SYSTEM:
		return err_set(e, EX_TEMPFAIL, "cannot look up host %s: %s",
		    host, strerror(errno));
	default:
		return err_set(e, EX_TEMPFAIL, "cannot look up host %s: %s",
		    host, gai_strerror(rc));
	}
}

/* Give up on a lookup that is still running; q is leaked on purpose when
 * the resolver thread may still write to it. */
static void
net_abandon(struct net_lookup *q)
{
	int rc;

	rc = gai_cancel(&q->cb);
	if (rc == EAI_NOTCANCELED)
		return;
	if (rc == EAI_ALLDONE && gai_error(&q->cb) == 0)
		freeaddrinfo(q->cb.ar_result);
	free(q);
}

/*
 * RFC 6761 §6.4: names under "invalid." never exist, and resolver
 * libraries should answer so at once instead of asking DNS (which may be
 * unreachable and turn a certain "no such host" into a temporary
 * failure).
 */
static int
net_special_invalid(const char *host)
{
	size_t n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 7 && strncasecmp(host, "invalid", 7) == 0)
		return 1;
	return n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0;
}

static int
net_resolve(const char *host, int port, long long deadline,
    struct addrinfo **res, struct err *e)
{
	struct net_lookup *q;
	struct gaicb *list[1];
	struct timespec ts;
	long long left;
	int rc;

	if (net_special_invalid(host))
		return err_set(e, EX_NOHOST, "host %s does not exist (RFC 6761 "
		    "\"invalid\" name)", host);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	memcpy(q->name, host, strlen(host) + 1);	/* length checked */
	snprintf(q->serv, sizeof(q->serv), "%d", port);
	q->hints.ai_family = AF_UNSPEC;
	q->hints.ai_socktype = SOCK_STREAM;
	q->hints.ai_protocol = IPPROTO_TCP;
	/* an address literal needs no lookup and no resolver thread */
	q->hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(q->name, q->serv, &q->hints, res);
	if (rc != EAI_NONAME) {
		free(q);
		return rc == 0 ? 0 : net_gai_err(host, rc, e);
	}
	q->hints.ai_flags = AI_NUMERICSERV;
	q->cb.ar_name = q->name;
	q->cb.ar_service = q->serv;
	q->cb.ar_request = &q->hints;
	list[0] = &q->cb;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		free(q);
		return net_gai_err(host, rc, e);
	}
	while ((rc = gai_error(&q->cb)) == EAI_INPROGRESS) {
		if ((left = deadline - conn_now_ms()) <= 0) {
			net_abandon(q);
			return err_set(e, EX_TEMPFAIL,
			    "timed out looking up host %s", host);
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	*res = q->cb.ar_result;
	free(q);
	return rc == 0 ? 0 : net_gai_err(host, rc, e);
}

static void
net_copy(struct net_addr *a, const struct addrinfo *ai)
{
	const void *p;

	memcpy(&a->ss, ai->ai_addr, ai->ai_addrlen);
	a->len = ai->ai_addrlen;
	if (ai->ai_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	else
		p = &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	if (inet_ntop(ai->ai_family, p, a->text, sizeof(a->text)) == NULL)
		memcpy(a->text, "?", 2);
}

/* RFC 8305 §4: alternate families, IPv6 first; keep RFC 6724 order
 * within each family. Returns the number of addresses. */
static int
net_order(const struct addrinfo *res, struct net_addr *out)
{
	const struct addrinfo *fam[2][BOUNDS_ADDRS_PER_HOST], *ai;
	int nf[2] = { 0, 0 }, pos[2] = { 0, 0 }, n = 0, f, k;

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET6 && ai->ai_family != AF_INET)
			continue;
		if (ai->ai_addrlen > sizeof(out[0].ss))
			continue;
		f = ai->ai_family == AF_INET6 ? 0 : 1;
		if (nf[f] < BOUNDS_ADDRS_PER_HOST)
			fam[f][nf[f]++] = ai;
	}
	for (k = 0; n < BOUNDS_ADDRS_PER_HOST &&
	    (pos[0] < nf[0] || pos[1] < nf[1]); k++) {
		f = k % 2;
		if (pos[f] < nf[f])
			net_copy(&out[n++], fam[f][pos[f]++]);
	}
	return n;
}

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
	long long now = conn_now_ms();
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
			conn_secs(secs, sizeof(secs), timeout_ms);
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
		if ((now = conn_now_ms()) >= end) {
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

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (timeout_ms <= 0)
		timeout_ms = 60000;
	if (port <= 0 || port > 65535)
		return err_set(e, EX_CONFIG, "bad port %d", port);
	if (net_host(c, host, e) == -1)
		return -1;
	memcpy(name, c->host, sizeof(name));
	end = conn_now_ms() + timeout_ms;
	if (deadline_ms > 0 && deadline_ms < end)
		end = deadline_ms;
	if (net_resolve(name, port, end, &res, e) == -1)
		return -1;
	na = net_order(res, addrs);
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
