/*
 * smtpd_io.c - the byte streams of relaymail -bs: command lines and DATA
 * from standard input, replies to standard output.
 *
 * RFC 2920 §3.2 (PIPELINING on the server side): commands are taken
 * from one input buffer however the client grouped them, and replies
 * are buffered and written only when the input is exhausted (before
 * blocking for more) or the buffer fills, so a pipelined group gets its
 * replies in one write, in order. RFC 5321 §4.5.3.1.4/§4.5.3.1.5: a
 * command line and a reply line are at most 512 octets with CRLF (the
 * caller passes the cap); a longer command line is read to its end and
 * reported, never split into two commands. RFC 5321 §4.5.3.2.7: the
 * server waits a bounded time for the next command (every read has the
 * idle deadline, through poll). RFC 5321 §4.2 reply lines, RFC 2034
 * enhanced codes in them.
 *
 * A line ends with LF, CRLF being the norm; a bare LF is taken too, as
 * Postfix does for local clients. The client closing its reading end
 * (EPIPE: SIGPIPE is ignored by smtpd.c) marks the output broken: the
 * session ends, nothing more is written.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smtpd_int.h"

static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p;
	int n;

	p.fd = fd;
	p.events = ev;
	do
		n = poll(&p, 1, ms);
	while (n == -1 && errno == EINTR);
	return n;
}

int
smtpd_flush(struct smtpd *d)
{
	size_t off = 0;
	ssize_t n;

	while (off < d->olen && !d->broken) {
		if (wait_fd(d->out, POLLOUT, d->timeout_ms) <= 0) {
			d->broken = 1;
			break;
		}
		n = write(d->out, d->ob + off, d->olen - off);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			d->broken = 1;	/* EPIPE: the client is gone */
			break;
		}
		off += (size_t)n;
	}
	d->olen = 0;
	return d->broken ? -1 : 0;
}

int
smtpd_fill(struct smtpd *d)
{
	ssize_t n;
	int w;

	if (d->ipos < d->ilen)
		return 0;
	d->ipos = d->ilen = 0;
	if (d->eof || d->idle || d->broken)
		return -1;
	/* RFC 2920 §3.2: flush replies before waiting for more input. */
	if (smtpd_flush(d) == -1)
		return -1;
	if ((w = wait_fd(d->in, POLLIN, d->timeout_ms)) == 0) {
		d->idle = 1;
		return -1;
	}
	do
		n = read(d->in, d->ib, sizeof(d->ib));
	while (n == -1 && errno == EINTR);
	if (w < 0 || n <= 0) {
		d->eof = 1;
		return -1;
	}
	d->ilen = (size_t)n;
	return 0;
}

int
smtpd_getline(struct smtpd *d, char *line, size_t cap)
{
	size_t len = 0, n, take;
	int toolong = 0;
	char *nl;

	if (d->broken)		/* nobody hears the replies: the end */
		return -1;
	for (;;) {
		if (smtpd_fill(d) == -1)
			return -1;	/* a partial line at EOF is dropped */
		nl = memchr(d->ib + d->ipos, '\n', d->ilen - d->ipos);
		n = nl != NULL ? (size_t)(nl - (d->ib + d->ipos)) :
		    d->ilen - d->ipos;
		take = n;
		if (len + take + 1 > cap) {
			toolong = 1;
			take = len + 1 < cap ? cap - 1 - len : 0;
		}
		memcpy(line + len, d->ib + d->ipos, take);
		len += take;
		d->ipos += n + (nl != NULL);
		if (nl != NULL)
			break;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	return toolong;
}

static void
out_add(struct smtpd *d, const char *p, size_t n)
{
	if (d->olen + n > sizeof(d->ob))
		(void)smtpd_flush(d);
	if (n > sizeof(d->ob) || d->broken)
		return;
	memcpy(d->ob + d->olen, p, n);
	d->olen += n;
}

void
smtpd_reply(struct smtpd *d, int code, int more, const char *enh,
    const char *fmt, ...)
{
	char line[BOUNDS_SMTPD_LINE];
	va_list ap;
	int n, k;
	size_t i, len;

	n = snprintf(line, sizeof(line), "%03d%c", code, more ? '-' : ' ');
	if (d->esmtp && enh != NULL && enh[0] != '\0')
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s ", enh);
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - 2 - (size_t)n, fmt, ap);
	va_end(ap);
	len = k < 0 ? (size_t)n : (size_t)n + (size_t)k;
	if (len > sizeof(line) - 3)
		len = sizeof(line) - 3;	/* a reply line is 512 octets */
	for (i = 4; i < len; i++)
		if ((unsigned char)line[i] < ' ' || line[i] == 127)
			line[i] = ' ';
	line[len++] = '\r';
	line[len++] = '\n';
	out_add(d, line, len);
}
