/*
 * conn.c - buffered I/O on the relay connection, over plain TCP or TLS
 * (conn_attach, conn_write, conn_flush, conn_readline, conn_close;
 * relaymail(8)). conn_pending() is inline in conn.h.
 *
 * Writes collect in one BOUNDS_IO_BLOCK buffer (a blockbuf) and leave
 * only when it is full or on conn_flush(), so a PIPELINING group (RFC
 * 2920 §3.1) goes out in one write and body data fills whole TLS records
 * (RFC 8446 §5.1).
 * Sent bytes are wiped: the buffer may have carried AUTH responses.
 *
 * Reads: RFC 5321 §2.3.8 says lines end in CRLF; a bare LF or a NUL is a
 * protocol error (we never guess where a reply ends), and so is a line
 * over the caller's cap (RFC 5321 §4.5.3.1.5: 512 octets for replies).
 * The deadline passed to conn_readline() is absolute, so a relay that
 * drips a reply byte by byte cannot stretch it. Bytes read ahead stay in
 * rbuf and show in conn_pending(): RFC 3207 §4.2 wants the client to
 * start afresh after the TLS handshake, so data the relay sent before it
 * (after the 220 to STARTTLS) must be refused, not read later as if it
 * came over TLS (the CVE-2011-0411 injection).
 *
 * The transport does not write the -v transcript: smtp.c traces whole
 * lines; tls.c only notes the TLS parameters.
 */
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "tls.h"

void
conn_clear(struct conn *c)
{
	memset(c, 0, offsetof(struct conn, rbuf));
	c->fd = -1;
}

void
conn_attach(struct conn *c, int fd, int timeout_ms, FILE *trace)
{
	int fl;

	conn_clear(c);
	c->fd = fd;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 60000;
	c->trace = trace;
	c->live = 1;
	if ((fl = fcntl(fd, F_GETFL)) != -1 && !(fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
conn_timeout(const struct conn *c, struct err *e)
{
	char secs[32];

	deadline_secs(secs, sizeof(secs), c->timeout_ms);
	return err_set(e, EX_TEMPFAIL, "timed out after %s waiting for the "
	    "relay %s", secs, c->peer);
}

/* Wait until the socket is ready for ev, or fail: timeout or poll error. */
static int
conn_await(const struct conn *c, short ev, long long deadline, struct err *e)
{
	int w = deadline_wait(c->fd, ev, deadline);

	if (w == 0)
		return conn_timeout(c, e);
	if (w == -1)
		return err_set(e, EX_OSERR, "poll: %s", strerror(errno));
	return 0;
}

static int
conn_sockerr(int errnum, const char *what, struct err *e)
{
	if (errnum == EPIPE || errnum == ECONNRESET)
		return err_set(e, EX_TEMPFAIL, "connection closed by relay "
		    "(%s)", strerror(errnum));
	return err_set(e, EX_TEMPFAIL, "%s relay: %s", what,
	    strerror(errnum));
}

static ssize_t
conn_io(struct conn *c, void *rd, const void *wr, size_t len,
    short *events, struct err *e)
{
	ssize_t n;

	if (c->tls != NULL)
		return rd != NULL ? tls_read(c, rd, len, events, e) :
		    tls_write(c, wr, len, events, e);
	if (rd != NULL)
		n = recv(c->fd, rd, len, 0);
	else
		n = send(c->fd, wr, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	*events = rd != NULL ? POLLIN : POLLOUT;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return CONN_AGAIN;
	if (errno == EINTR) {
		*events = 0;
		return CONN_AGAIN;
	}
	return conn_sockerr(errno, rd != NULL ? "reading from" :
	    "writing to", e);
}

/* Read more into rbuf (moving unread bytes to the front first). */
static int
conn_fill(struct conn *c, long long deadline, struct err *e)
{
	ssize_t n;
	short ev;

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->rlen == sizeof(c->rbuf))
		return err_set(e, EX_PROTOCOL, "reply line too long (over %zu "
		    "octets)", sizeof(c->rbuf));
	for (;;) {
		n = conn_io(c, c->rbuf + c->rlen, NULL,
		    sizeof(c->rbuf) - c->rlen, &ev, e);
		if (n > 0) {
			c->rlen += (size_t)n;
			return 0;
		}
		if (n == 0)
			return err_set(e, EX_TEMPFAIL,
			    "connection closed by relay");
		if (n == -1)
			return -1;
		if (ev == 0)
			continue;
		if (conn_await(c, ev, deadline, e) == -1)
			return -1;
	}
}

int
conn_readline(struct conn *c, char *line, size_t cap, size_t *len,
    long long deadline_ms, struct err *e)
{
	unsigned char *p, *lf;
	size_t seen = 0, n;

	if (!c->live || cap == 0)
		return err_set(e, EX_SOFTWARE, "conn_readline: no connection");
	if (deadline_ms == 0)
		deadline_ms = deadline_now_ms() + c->timeout_ms;
	for (;;) {
		p = c->rbuf + c->rpos;
		n = c->rlen - c->rpos;
		if ((lf = memchr(p + seen, '\n', n - seen)) != NULL)
			break;
		seen = n;
		/* cap - 1 octets of text and the CR may wait for the LF */
		if (n > cap)
			return err_set(e, EX_PROTOCOL, "reply line too long "
			    "(over %zu octets)", cap - 1);
		if (conn_fill(c, deadline_ms, e) == -1)
			return -1;
	}
	n = (size_t)(lf - p);
	if (n == 0 || p[n - 1] != '\r')
		return err_set(e, EX_PROTOCOL, "relay sent a line ending in a "
		    "bare LF");
	if (--n >= cap)
		return err_set(e, EX_PROTOCOL, "reply line too long (over %zu "
		    "octets)", cap - 1);
	if (memchr(p, '\0', n) != NULL)
		return err_set(e, EX_PROTOCOL, "relay sent a NUL byte");
	memcpy(line, p, n);
	line[n] = '\0';
	*len = n;
	c->rpos += n + 2;
	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	return 0;
}

int
conn_peek(struct conn *c, long long deadline_ms, unsigned char *b,
    struct err *e)
{
	if (!c->live)
		return err_set(e, EX_SOFTWARE, "conn_peek: no connection");
	if (c->rpos == c->rlen && conn_fill(c, deadline_ms, e) == -1)
		return -1;
	*b = c->rbuf[c->rpos];
	return 0;
}

static int
conn_send_all(struct conn *c, const unsigned char *buf, size_t len,
    struct err *e)
{
	long long deadline = deadline_now_ms() + c->timeout_ms;
	size_t off = 0;
	ssize_t n;
	short ev;

	while (off < len) {
		n = conn_io(c, NULL, buf + off, len - off, &ev, e);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1)
			return -1;
		if (n == 0 || ev == 0)
			continue;
		if (conn_await(c, ev, deadline, e) == -1)
			return -1;
	}
	return 0;
}

/* The blockbuf_fn of c->out: one block leaves (a full wbuf, or what
 * conn_flush() found), then it is wiped: it may have carried AUTH. */
static int
conn_send(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct conn *c = ctx;
	int rc;

	if (c->live) {
		c->nflush++;
		rc = conn_send_all(c, buf, len, e);
	} else
		rc = err_set(e, EX_SOFTWARE, "conn_flush: no connection");
	explicit_bzero(c->wbuf, len);
	return rc;
}

/* The output block of c, set up on first use (a conn may be all zero). */
static struct blockbuf *
conn_out(struct conn *c)
{
	if (c->out.buf == NULL)
		blockbuf_init(&c->out, (char *)c->wbuf, sizeof(c->wbuf),
		    conn_send, c);
	return &c->out;
}

int
conn_write(struct conn *c, const void *buf, size_t len, struct err *e)
{
	return blockbuf_put(conn_out(c), buf, len, e);
}

int
conn_flush(struct conn *c, struct err *e)
{
	if (c->out.len == 0)
		return 0;
	if (!c->live)
		return err_set(e, EX_SOFTWARE, "conn_flush: no connection");
	return blockbuf_flush(conn_out(c), e);
}

void
conn_close(struct conn *c)
{
	if (!c->live)
		return;
	if (c->tls != NULL || c->tls_cred != NULL)
		tls_end(c, 1);
	close(c->fd);
	c->fd = -1;
	c->live = 0;
	explicit_bzero(c->rbuf, sizeof(c->rbuf));
	explicit_bzero(c->wbuf, sizeof(c->wbuf));
	c->rpos = c->rlen = c->out.len = 0;
}
