/*
 * io.c - testrelay's byte stream: plaintext or TLS (GnuTLS server side,
 * RFC 8446 / RFC 5246), reads bounded by the relay's lifetime, and the
 * transcript.
 *
 * Every read() or gnutls_record_recv() is one transcript entry, "--- read
 * N bytes tls|plain" followed by its lines as "C: " (a fragment without
 * its line end as "C~ "), so a test can see which commands a client wrote
 * together (RFC 2920 pipelining) and whether anything crossed in the clear.
 * The events a timing test measures between (a connection accepted, a
 * stall or drip begun, the client gone, a handshake failed) end in
 * " t=MS", milliseconds since the relay started (monotonic clock), so a
 * test bounds the interval a deadline governs, not the client's whole
 * run (start-up under valgrind, TLS on a loaded machine).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "relay.h"

static long long lifetime_end, start;

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
deadline_set(int seconds)
{
	start = now_ms();
	lifetime_end = start + (long long)seconds * 1000;
}

long long
io_t(void)
{
	return now_ms() - start;
}

long long
deadline_ms(void)
{
	return lifetime_end;
}

/* Writes buf as transcript lines with the given prefix. */
static void
log_lines(FILE *log, const char *prefix, const char *buf, size_t len)
{
	size_t	 i = 0, j, end;

	while (i < len) {
		for (j = i; j < len && buf[j] != '\n'; j++)
			;
		end = j;
		if (j < len && end > i && buf[end - 1] == '\r')
			end--;
		fprintf(log, "%s ", j < len ? prefix : (prefix[0] == 'C' ?
		    "C~" : "S~"));
		fwrite(buf + i, 1, end - i, log);
		fputc('\n', log);
		i = j + 1;
	}
	fflush(log);
}

void
io_log_server(struct conn *c, const char *buf, size_t len)
{
	if (c->log != NULL)
		log_lines(c->log, "S:", buf, len);
}

static void
leak_check(struct conn *c, const char *buf, size_t len)
{
	FILE	*f;

	if (c->tls != NULL || c->opt->leakfile == NULL ||
	    !auth_leaked(c->opt, buf, len))
		return;
	if ((f = fopen(c->opt->leakfile, "a")) != NULL) {
		fprintf(f, "password seen in plaintext on connection %d\n",
		    c->num);
		fclose(f);
	}
}

/* Waits for input until the lifetime ends; 1 ready, 0 timed out. */
static int
wait_readable(struct conn *c)
{
	struct pollfd	 p = { .fd = c->fd, .events = POLLIN };
	long long	 left;
	int		 r;

	if (c->tls != NULL && gnutls_record_check_pending(c->tls) > 0)
		return 1;
	for (;;) {
		left = deadline_ms() - now_ms();
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (r > 0)
			return 1;
		if (r == -1 && errno != EINTR)
			return 0;
	}
}

int
io_read(struct conn *c)
{
	ssize_t	 n;
	size_t	 room = sizeof(c->rbuf) - c->rlen;

	if (c->closed || room == 0 || !wait_readable(c))
		return -1;
	do {
		if (c->tls != NULL)
			n = gnutls_record_recv(c->tls, c->rbuf + c->rlen, room);
		else
			n = recv(c->fd, c->rbuf + c->rlen, room, 0);
	} while ((c->tls == NULL && n == -1 && errno == EINTR) ||
	    (c->tls != NULL && (n == GNUTLS_E_AGAIN ||
	    n == GNUTLS_E_INTERRUPTED)));
	if (n <= 0) {
		fprintf(c->log, "--- %s t=%lld\n", n == 0 ? "client closed" :
		    "read error", io_t());
		fflush(c->log);
		c->closed = 1;
		return n == 0 ? 0 : -1;
	}
	fprintf(c->log, "--- read %zd bytes %s\n", n,
	    c->tls != NULL ? "tls" : "plain");
	log_lines(c->log, "C:", c->rbuf + c->rlen, (size_t)n);
	leak_check(c, c->rbuf + c->rlen, (size_t)n);
	c->rlen += (size_t)n;
	return 1;
}

int
io_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0 && !c->closed) {
		if (c->tls != NULL)
			n = gnutls_record_send(c->tls, buf, len);
		else
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED ||
		    (c->tls == NULL && n == -1 && errno == EINTR))
			continue;
		if (n <= 0) {
			c->closed = 1;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return c->closed ? -1 : 0;
}

static void
log_client_cert(struct conn *c)
{
	unsigned int	 status = 0;
	const char	*what;

	if (c->opt->client_ca == NULL)
		return;
	if (gnutls_certificate_get_peers(c->tls, NULL) == NULL)
		what = "none";
	else if (gnutls_certificate_verify_peers2(c->tls, &status) == 0 &&
	    status == 0)
		what = "verified";
	else
		what = "invalid";
	fprintf(c->log, "--- client-cert %s\n", what);
}

static int
tls_setup(struct conn *c)
{
	const char	*err = NULL;
	const char	*prio = c->opt->priority ? c->opt->priority : "NORMAL";

	if (gnutls_certificate_allocate_credentials(&c->cred) < 0 ||
	    gnutls_certificate_set_x509_key_file(c->cred, c->opt->cert,
	    c->opt->key, GNUTLS_X509_FMT_PEM) < 0)
		return -1;
	if (c->opt->client_ca != NULL && gnutls_certificate_set_x509_trust_file(
	    c->cred, c->opt->client_ca, GNUTLS_X509_FMT_PEM) < 0)
		return -1;
	if (gnutls_priority_init(&c->prio, prio, &err) < 0) {
		fprintf(stderr, "testrelay: bad priority at %s\n", err);
		return -1;
	}
	if (gnutls_init(&c->tls, GNUTLS_SERVER) < 0)
		return -1;
	if (gnutls_priority_set(c->tls, c->prio) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
	    c->cred) < 0)
		return -1;
	if (c->opt->client_ca != NULL)
		gnutls_certificate_server_set_request(c->tls,
		    GNUTLS_CERT_REQUEST);
	if (c->opt->ticket_key.data != NULL &&
	    gnutls_session_ticket_enable_server(c->tls,
	    &c->opt->ticket_key) < 0)
		return -1;
	gnutls_transport_set_int(c->tls, c->fd);
	return 0;
}

/*
 * "tls-intolerant": an old server that knows no TLS above 1.1 and closes
 * without an alert on a ClientHello whose client_version (RFC 5246
 * §7.4.1.2: octets 9-10 of the first record) is higher. Peeked, so a
 * ClientHello it accepts still goes to the handshake. 1: closed.
 */
static int
version_intolerant(struct conn *c)
{
	unsigned char	 b[11];
	ssize_t		 n;

	if (!c->sc->tls_intolerant || !wait_readable(c))
		return 0;
	n = recv(c->fd, b, sizeof(b), MSG_PEEK | MSG_WAITALL);
	if (n < (ssize_t)sizeof(b) || b[0] != 0x16 ||
	    ((b[9] << 8) | b[10]) <= 0x0302)
		return 0;
	fprintf(c->log, "--- version-intolerant: closing on a ClientHello "
	    "for 0x%02x%02x t=%lld\n", b[9], b[10], io_t());
	fflush(c->log);
	c->closed = 1;
	return 1;
}

int
io_tls_start(struct conn *c)
{
	long long	 left = deadline_ms() - now_ms();
	int		 r;
	char		*desc;

	if (version_intolerant(c))
		return -1;
	if (tls_setup(c) == -1) {
		fprintf(c->log, "--- tls setup failed\n");
		return -1;
	}
	gnutls_handshake_set_timeout(c->tls, left > 0 ? (unsigned)left : 1);
	do {
		r = gnutls_handshake(c->tls);
	} while (r < 0 && gnutls_error_is_fatal(r) == 0);
	if (r < 0) {
		/* Like a real server: tell the client why (RFC 8446 §6.2). */
		gnutls_alert_send_appropriate(c->tls, r);
		fprintf(c->log, "--- tls handshake failed: %s t=%lld\n",
		    gnutls_strerror(r), io_t());
		fflush(c->log);
		c->closed = 1;
		return -1;
	}
	desc = gnutls_session_get_desc(c->tls);
	fprintf(c->log, "--- tls established %s %s\n",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls)),
	    desc ? desc : "");
	gnutls_free(desc);
	if (gnutls_session_is_resumed(c->tls))
		fprintf(c->log, "--- tls resumed\n");
	log_client_cert(c);
	fflush(c->log);
	return 0;
}

void
io_close(struct conn *c)
{
	if (c->tls != NULL) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
	if (c->prio != NULL) {
		gnutls_priority_deinit(c->prio);
		c->prio = NULL;
	}
	if (c->cred != NULL) {
		gnutls_certificate_free_credentials(c->cred);
		c->cred = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->closed = 1;
}
