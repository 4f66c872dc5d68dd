/*
 * server.c - testrelay's SMTP server loop (RFC 5321 §4.1, §4.3.2): one
 * connection, command by command, each answered with the default reply
 * or with what the script says for that stage (reply, drop, stall, drip,
 * garbage, oversize, too many lines, plaintext injected after STARTTLS).
 * Extensions: EHLO keywords (RFC 1869), PIPELINING (RFC 2920, answered
 * in order as commands are read), STARTTLS (RFC 3207), AUTH (RFC 4954),
 * CHUNKING (RFC 3030) when scripted with "cap CHUNKING".
 *
 * Without PIPELINING it is as strict as OpenSMTPD: a command (or the
 * end of data, or a BDAT chunk) followed by more input before its reply
 * was sent is answered "500 5.5.1 Invalid command: Pipelining not
 * supported" and the connection is dropped with the transaction (RFC
 * 2920 §3.1: a client waits for each reply unless PIPELINING is
 * offered). "lax-sync" in the script turns that off.
 */
#include <ctype.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "relay.h"


/* The reply code a text starts with, 0 when it has none. */
static int
code_of(const char *text)
{
	if (!isdigit((unsigned char)text[0]))
		return 0;
	return (int)strtol(text, NULL, 10);
}

/* How long a command's reply waits for input that must not come yet. */
#define SYNC_WAIT_MS	30

struct session {
	int	 rcpt_index;	/* RCPTs seen in this transaction */
	int	 rcpt_ok;	/* RCPTs accepted */
	int	 in_mail;	/* MAIL accepted */
};

int
server_getline(struct conn *c, char *line, size_t cap)
{
	char	*nl;
	size_t	 n;

	for (;;) {
		if ((nl = memchr(c->rbuf, '\n', c->rlen)) != NULL)
			break;
		if (c->rlen == sizeof(c->rbuf) || io_read(c) != 1)
			return 0;
	}
	n = (size_t)(nl - c->rbuf);
	if (n > 0 && c->rbuf[n - 1] == '\r')
		n--;
	if (n >= cap)
		n = cap - 1;	/* over-long: the command is cut, then 500 */
	memcpy(line, c->rbuf, n);
	line[n] = '\0';
	n = (size_t)(nl - c->rbuf) + 1;
	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
	return 1;
}

static int
send_text(struct conn *c, const char *s, size_t len)
{
	io_log_server(c, s, len);
	return io_write(c, s, len);
}

/* Reads and discards until the client gives up or our lifetime ends. */
static void
stall(struct conn *c)
{
	fprintf(c->log, "--- stalling t=%lld\n", io_t());
	fflush(c->log);
	while (io_read(c) == 1)
		c->rlen = 0;
	c->closed = 1;
}

/* One byte at a time, drip_ms apart; stops when the client leaves. */
static void
drip(struct conn *c, const char *s)
{
	struct pollfd	 p = { .fd = c->fd, .events = POLLIN };

	fprintf(c->log, "--- dripping t=%lld\n", io_t());
	io_log_server(c, s, strlen(s));
	for (; *s != '\0' && !c->closed; s++) {
		if (io_write(c, s, 1) == -1 || now_ms() > deadline_ms())
			break;
		if (poll(&p, 1, c->opt->drip_ms) > 0 && io_read(c) != 1)
			break;
	}
}

static void
send_many(struct conn *c, int oversize)
{
	char	 buf[4096];

	if (oversize) {
		memcpy(buf, "250 ", 4);
		memset(buf + 4, 'x', 2000);
		memcpy(buf + 2004, "\r\n", 2);
		send_text(c, buf, 2006);
		return;
	}
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(buf, sizeof(buf), "250-line %d\r\n", i);
		if (send_text(c, buf, (size_t)n) == -1)
			return;
	}
	send_text(c, "250 end\r\n", 9);
}

/*
 * Answers the current command: the scripted action for stage when there is
 * one, else dflt. Returns the reply code sent, 0 when what was sent has no
 * code (garbage, oversize...), -1 when the connection is gone.
 */
static int
reply_d(struct conn *c, const struct directive *d, const char *dflt)
{
	char		 buf[TR_TEXT];
	const char	*text;
	static const char garbage[] = "\x01\x02 this is not SMTP \xff\xfe\r\n";

	snprintf(buf, sizeof(buf), "%s\r\n", dflt);
	text = (d != NULL && d->text != NULL) ? d->text : buf;
	switch (d ? d->action : ACT_REPLY) {
	case ACT_REPLY:
	case ACT_INJECT:
		if (send_text(c, text, strlen(text)) == -1)
			return -1;
		return code_of(text);
	case ACT_DROP:
		fprintf(c->log, "--- dropping connection\n");
		fflush(c->log);
		c->closed = 1;
		return -1;
	case ACT_STALL:
		stall(c);
		return -1;
	case ACT_DRIP:
		drip(c, text);
		return c->closed ? -1 : code_of(text);
	case ACT_GARBAGE:
		return send_text(c, garbage, sizeof(garbage) - 1) ? -1 : 0;
	case ACT_OVERSIZE:
	case ACT_TOOMANY:
		send_many(c, d->action == ACT_OVERSIZE);
		return c->closed ? -1 : 0;
	}
	return -1;
}

int
server_reply(struct conn *c, const char *stage, const char *dflt)
{
	return reply_d(c, stage ? script_find(c->sc, c->num, stage) : NULL,
	    dflt);
}

int
server_sync_broken(struct conn *c, const char *what)
{
	struct pollfd	 p = { .fd = c->fd, .events = POLLIN };
	/* No client sends before it has EHLO's (or HELO's) reply, which
	 * tells it whether it may pipeline: only input already there
	 * counts, so no reply to them waits. */
	int		 wait = strcasecmp(what, "EHLO") != 0 &&
			    strcasecmp(what, "HELO") != 0;

	if (c->pipelining || c->sc->lax_sync || c->closed)
		return 0;
	if (c->rlen == 0 && (c->tls == NULL ||
	    gnutls_record_check_pending(c->tls) == 0)) {
		if (!wait || poll(&p, 1, SYNC_WAIT_MS) <= 0 || io_read(c) != 1 ||
		    c->rlen == 0)
			return 0;
	}
	fprintf(c->log, "--- pipelining violation after %s: %zu bytes "
	    "before the reply\n", what, c->rlen);
	server_reply(c, NULL, "500 5.5.1 Invalid command: Pipelining not "
	    "supported");
	fprintf(c->log, "--- dropping connection\n");
	fflush(c->log);
	c->closed = 1;
	return 1;
}

static void
add_cap(char *buf, size_t cap, const char *kw, int last)
{
	size_t	 n = strlen(buf);

	snprintf(buf + n, cap - n, "250%c%s\r\n", last ? ' ' : '-', kw);
}

static int
do_ehlo(struct conn *c)
{
	const struct directive *d;
	const char	*caps[TR_CAPS + 8];
	char		 buf[TR_TEXT] = "250-testrelay greets you\r\n";
	const char	*defaults[] = { "PIPELINING", "SIZE 52428800",
	    "8BITMIME", "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN CRAM-MD5",
	    "STARTTLS" };
	int		 n = 0, i;

	for (i = 0; i < 6; i++) {
		if (i == 4 && c->opt->mode == MODE_STARTTLS && c->tls == NULL &&
		    !c->sc->auth_before_tls)
			continue;
		if (i == 5 && (c->opt->mode != MODE_STARTTLS || c->tls != NULL))
			continue;
		if (!script_cap_deleted(c->sc, defaults[i]))
			caps[n++] = defaults[i];
	}
	for (i = 0; i < c->sc->ncaps_add; i++)
		caps[n++] = c->sc->caps_add[i];
	c->pipelining = 0;
	for (i = 0; i < n; i++)
		if (strcasecmp(caps[i], "PIPELINING") == 0)
			c->pipelining = 1;
	/* A scripted EHLO reply offers what its text says. */
	if ((d = script_find(c->sc, c->num, "ehlo")) != NULL &&
	    d->text != NULL)
		c->pipelining = strcasestr(d->text, "PIPELINING") != NULL;
	if (n == 0)
		memcpy(buf, "250 testrelay greets you\r\n", 27);
	for (i = 0; i < n; i++)
		add_cap(buf, sizeof(buf), caps[i], i == n - 1);
	buf[strlen(buf) - 2] = '\0';	/* reply_d adds the CRLF */
	return server_reply(c, "ehlo", buf);
}

static int
do_starttls(struct conn *c)
{
	const struct directive *d = script_find(c->sc, c->num, "starttls");
	int	 r;

	if (c->opt->cert == NULL || c->tls != NULL)
		return server_reply(c, NULL, "454 4.7.0 TLS not available");
	if (d != NULL && d->action == ACT_INJECT && d->text == NULL)
		r = server_reply(c, NULL, "220 2.0.0 Ready\r\n250 injected");
	else
		r = reply_d(c, d, "220 2.0.0 Ready to start TLS");
	if (r != 220)
		return r;
	if (c->rlen > 0) {
		/* RFC 3207 §4.2: anything sent before TLS is not trusted */
		fprintf(c->log, "--- discarding %zu plaintext bytes sent "
		    "after STARTTLS\n", c->rlen);
		c->rlen = 0;
	}
	return io_tls_start(c) == 0 ? 220 : -1;
}

static int
do_rcpt(struct conn *c, struct session *s, const char *line)
{
	const struct directive *d;
	char		 key[64];
	const char	*lt = strchr(line, '<'), *gt;
	int		 r;

	s->rcpt_index++;
	snprintf(key, sizeof(key), "rcpt:%d", s->rcpt_index);
	d = script_find(c->sc, c->num, key);
	if (d == NULL && lt != NULL && (gt = strchr(lt, '>')) != NULL &&
	    (size_t)(gt - lt) + 7 < sizeof(key)) {
		snprintf(key, sizeof(key), "rcpt:%.*s", (int)(gt - lt + 1), lt);
		d = script_find(c->sc, c->num, key);
	}
	if (d == NULL)
		d = script_find(c->sc, c->num, "rcpt");
	if (!s->in_mail)
		return server_reply(c, NULL, "503 5.5.1 MAIL first");
	r = reply_d(c, d, "250 2.1.5 Recipient OK");
	if (r >= 200 && r < 300)
		s->rcpt_ok++;
	return r;
}

static int
do_data(struct conn *c, struct session *s)
{
	int	 r;

	if (s->rcpt_ok == 0)
		return server_reply(c, NULL, "554 5.5.1 No valid recipients");
	if ((r = server_reply(c, "data",
	    "354 End data with <CR><LF>.<CR><LF>")) != 354)
		return r;
	if (data_receive(c) == -1)
		return -1;
	memset(s, 0, sizeof(*s));
	return server_reply(c, "eod", "250 2.0.0 Ok: queued as TESTRELAY");
}

static int
dispatch(struct conn *c, struct session *s, char *line)
{
	char	*arg = strchr(line, ' ');

	arg = arg ? arg + 1 : line + strlen(line);
	if (strncasecmp(line, "EHLO ", 5) == 0)
		return do_ehlo(c);
	if (strncasecmp(line, "HELO ", 5) == 0) {
		c->pipelining = 0;
		return server_reply(c, "helo", "250 testrelay");
	}
	if (strcasecmp(line, "STARTTLS") == 0) {
		memset(s, 0, sizeof(*s));
		c->authed = 0;
		c->pipelining = 0;
		return do_starttls(c);
	}
	if (strncasecmp(line, "AUTH ", 5) == 0) {
		if (script_find(c->sc, c->num, "auth") != NULL) {
			int r = server_reply(c, "auth", "235 2.7.0 ok");
			c->authed = r / 100 == 2;
			return r;
		}
		return auth_run(c, arg);
	}
	if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
		memset(s, 0, sizeof(*s));
		/* A submission server (RFC 6409 §4.3) wants AUTH first. */
		if (c->opt->user != NULL && !c->authed &&
		    !c->sc->auth_optional &&
		    script_find(c->sc, c->num, "mail") == NULL)
			return server_reply(c, NULL,
			    "530 5.7.0 Authentication required");
		s->in_mail = server_reply(c, "mail", "250 2.1.0 Sender OK")
		    / 100 == 2;
		return 0;
	}
	if (strncasecmp(line, "RCPT TO:", 8) == 0)
		return do_rcpt(c, s, line);
	if (strcasecmp(line, "DATA") == 0)
		return do_data(c, s);
	if (strncasecmp(line, "BDAT ", 5) == 0)
		return data_bdat(c, arg, s->rcpt_ok);
	if (strcasecmp(line, "RSET") == 0) {
		memset(s, 0, sizeof(*s));
		return server_reply(c, "rset", "250 2.0.0 Ok");
	}
	if (strcasecmp(line, "NOOP") == 0)
		return server_reply(c, NULL, "250 2.0.0 Ok");
	if (strcasecmp(line, "QUIT") == 0) {
		server_reply(c, "quit", "221 2.0.0 Bye");
		if (c->tls != NULL && !c->closed)
			gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		c->closed = 1;
		return 0;
	}
	return server_reply(c, NULL, "500 5.5.2 Command not recognized");
}

int
server_run(struct conn *c)
{
	struct session	 s;
	char		 line[TR_LINE], verb[16];

	memset(&s, 0, sizeof(s));
	if (c->opt->mode == MODE_IMPLICIT && io_tls_start(c) == -1)
		return -1;
	if (server_reply(c, "greeting", "220 testrelay ESMTP ready") == -1)
		return -1;
	while (!c->closed && server_getline(c, line, sizeof(line)) == 1) {
		/* BDAT's octets follow its line; STARTTLS has its own
		 * check (plaintext after it is an injection). */
		/* The verb only: the line may hold credentials. */
		snprintf(verb, sizeof(verb), "%.*s", (int)strcspn(line, " "),
		    line);
		if (strcasecmp(verb, "BDAT") != 0 &&
		    strcasecmp(verb, "STARTTLS") != 0 &&
		    server_sync_broken(c, verb))
			break;
		dispatch(c, &s, line);
	}
	return 0;
}
