/*
 * net_resolve.c - finding the relay's addresses (relaymail(8): every step
 * has a deadline). An address literal is converted without a lookup; a
 * name goes through getaddrinfo_a() so that the lookup, too, stops at the
 * deadline (glibc runs it in a helper thread; under valgrind use
 * --run-libc-freeres=no, as glibc's exit-time cleanup of that thread's
 * resolver state is reported otherwise). AI_ADDRCONFIG is not used: on a
 * host with only loopback addresses it would hide ::1 and 127.0.0.1,
 * which tests and local relays need. Names under "invalid." fail at once
 * (RFC 6761 §6.4). The result is put in RFC 8305 §4 order for net.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conn.h"
#include "net_int.h"

/* One lookup; heap-allocated because the resolver thread writes to it. */
struct net_lookup {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	char		 name[BOUNDS_DOMAIN + 1];
	char		 serv[8];
};

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

int
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
		return err_nomem(e);
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
		if ((left = deadline - deadline_now_ms()) <= 0) {
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
int
net_resolve_order(const struct addrinfo *res, struct net_addr *out)
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

