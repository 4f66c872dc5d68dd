/*
 * net_int.h - what net.c (connecting, RFC 8305 racing) and
 * net_resolve.c (the lookup under a deadline, address order) share.
 * Private to those two files; conn.h has conn_open().
 */
#ifndef RELAYMAIL_NET_INT_H
#define RELAYMAIL_NET_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>

#include "err.h"

/* One address to connect to, with its text form for messages. */
struct net_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 text[INET6_ADDRSTRLEN];
};

/* Look host up (port numeric) before deadline (deadline_now_ms() clock);
 * *res is freed with freeaddrinfo(). EX_NOHOST, EX_TEMPFAIL, EX_OSERR. */
int	 net_resolve(const char *host, int port, long long deadline,
	    struct addrinfo **res, struct err *);
/* The addresses of res in RFC 8305 §4 order, at most
 * BOUNDS_ADDRS_PER_HOST of them into out; returns how many. */
int	 net_resolve_order(const struct addrinfo *res, struct net_addr *out);

#endif
