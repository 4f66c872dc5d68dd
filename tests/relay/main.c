/*
 * main.c - testrelay: a scripted SMTP server for the scenario tests.
 *
 * testrelay -p PORTFILE -t TRANSCRIPT -m MSGFILE [-s SCRIPT]
 *	[-M plain|implicit|starttls] [-c CERT -k KEY] [-P PRIORITY]
 *	[-A CLIENT_CA] [-u USER -w PASSWORD] [-x LEAKFILE] [-l ADDR]
 *	[-n CONNECTIONS] [-L LIFETIME_S] [-d DRIP_MS] [-T on|off|rotate]
 *
 * It binds ADDR (127.0.0.1 or ::1) on port 0 so tests never collide,
 * writes the port it got to PORTFILE (atomically, via rename), serves
 * CONNECTIONS sequential connections (default 1) and exits 0; after
 * LIFETIME_S seconds (default 30) it exits 2 whatever it is doing, so it
 * can never hang a test.
 *
 * TLS session tickets (RFC 8446 §4.6.1, RFC 5077) are issued by default
 * with one key for the relay's lifetime, so a second connection can
 * resume; -T off issues none, -T rotate uses a new key for every
 * connection (a restarted server: every ticket it gets is unknown).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "relay.h"

static void
usage(void)
{
	fprintf(stderr, "usage: testrelay -p portfile -t transcript -m msgfile"
	    " [-s script] [-M plain|implicit|starttls] [-c cert -k key]\n"
	    "\t[-P priority] [-A client-ca] [-u user -w password]"
	    " [-x leakfile] [-l addr]\n\t[-n connections] [-L lifetime]"
	    " [-d drip-ms] [-T on|off|rotate]\n");
	exit(64);
}

static int
num(const char *s)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1000000)
		usage();
	return (int)v;
}

static void
parse_args(struct options *o, int argc, char **argv)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1";
	o->connections = 1;
	o->lifetime = 30;
	o->drip_ms = 300;
	while ((ch = getopt(argc, argv, "A:c:d:Jk:l:L:m:M:n:O:p:P:s:t:T:u:w:x:"))
	    != -1) {
		switch (ch) {
		case 'A': o->client_ca = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'd': o->drip_ms = num(optarg); break;
		case 'J': o->oauth_535 = 1; break;
		case 'k': o->key = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'L': o->lifetime = num(optarg); break;
		case 'm': o->msgfile = optarg; break;
		case 'M':
			if (strcmp(optarg, "plain") == 0)
				o->mode = MODE_PLAIN;
			else if (strcmp(optarg, "implicit") == 0)
				o->mode = MODE_IMPLICIT;
			else if (strcmp(optarg, "starttls") == 0)
				o->mode = MODE_STARTTLS;
			else
				usage();
			break;
		case 'n': o->connections = num(optarg); break;
		case 'O': o->oauth_tokens = optarg; break;
		case 'p': o->portfile = optarg; break;
		case 'P': o->priority = optarg; break;
		case 's': o->scriptfile = optarg; break;
		case 't': o->transcript = optarg; break;
		case 'u': o->user = optarg; break;
		case 'w': o->password = optarg; break;
		case 'x': o->leakfile = optarg; break;
		case 'T':
			if (strcmp(optarg, "off") == 0)
				o->tickets = TICKETS_OFF;
			else if (strcmp(optarg, "rotate") == 0)
				o->tickets = TICKETS_ROTATE;
			else if (strcmp(optarg, "on") == 0)
				o->tickets = TICKETS_ON;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (o->portfile == NULL || o->transcript == NULL ||
	    o->msgfile == NULL || optind != argc ||
	    (o->mode != MODE_PLAIN && (o->cert == NULL || o->key == NULL)))
		usage();
}

/* The session ticket key for the next connection (see -T). */
static int
ticket_key(struct options *o)
{
	if (o->tickets == TICKETS_OFF ||
	    (o->tickets == TICKETS_ON && o->ticket_key.data != NULL))
		return 0;
	if (o->ticket_key.data != NULL) {
		gnutls_free(o->ticket_key.data);
		o->ticket_key.data = NULL;
	}
	if (gnutls_session_ticket_key_generate(&o->ticket_key) < 0) {
		fprintf(stderr, "testrelay: cannot make a ticket key\n");
		return -1;
	}
	return 0;
}

/* Binds port 0 on the loopback address and returns the listening fd. */
static int
listen_on(const char *addr, int *port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		len = sizeof(*s6);
	} else
		return -1;
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

static int
write_port(const char *path, int port)
{
	char	 tmp[4200];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static int
accept_one(int lfd)
{
	struct pollfd	 p = { .fd = lfd, .events = POLLIN };
	long long	 left;
	int		 fd, one = 1;

	for (;;) {
		if ((left = deadline_ms() - now_ms()) <= 0)
			return -1;
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) > 0)
			break;
	}
	if ((fd = accept(lfd, NULL, NULL)) != -1)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
main(int argc, char **argv)
{
	struct options	 o;
	static struct script sc;
	static struct conn c;
	FILE		*log;
	int		 lfd, port, i, nmsg = 0;

	parse_args(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	deadline_set(o.lifetime);
	if (script_load(&sc, o.scriptfile) == -1)
		return 64;
	if ((log = fopen(o.transcript, "w")) == NULL ||
	    (lfd = listen_on(o.listen, &port)) == -1 ||
	    write_port(o.portfile, port) == -1) {
		fprintf(stderr, "testrelay: setup: %s\n", strerror(errno));
		return 71;
	}
	for (i = 1; i <= o.connections; i++) {
		memset(&c, 0, sizeof(c));
		c.opt = &o;
		c.sc = &sc;
		c.log = log;
		c.num = i;
		c.nmsg = nmsg;
		if (now_ms() >= deadline_ms() ||
		    (c.fd = accept_one(lfd)) == -1)
			break;
		if (ticket_key(&o) == -1)
			break;
		fprintf(log, "=== connection %d t=%lld\n", i, io_t());
		fflush(log);
		server_run(&c);
		io_close(&c);
		nmsg = c.nmsg;
		fprintf(log, "=== end of connection %d\n", i);
		fflush(log);
	}
	if (now_ms() >= deadline_ms() && i > o.connections)
		i = o.connections;	/* the last one was cut short */
	if (i <= o.connections)
		fprintf(log, "=== lifetime of %d s over\n", o.lifetime);
	fclose(log);
	close(lfd);
	if (o.ticket_key.data != NULL)
		gnutls_free(o.ticket_key.data);
	return i <= o.connections ? 2 : 0;
}
