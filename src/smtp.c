/*
 * smtp.c - the SMTP commands of a client session (RFC 5321 §4.1) and
 * their replies.
 *
 * Commands are only buffered here; relay.c/txn.c decide when to flush so
 * that pipelined commands leave in one write (RFC 2920 §3.1). Every line
 * written is checked for CR, LF and NUL so that no value can smuggle a
 * second command (defence in depth: envelope.c refuses such addresses
 * already). MAIL FROM carries the parameters the relay allows: SIZE
 * (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET and ENVID (RFC
 * 3461). BDAT (RFC 3030) is only the command line: the chunk's octets
 * are written by the caller (bdat.c). The EHLO reply is parsed into
 * capabilities by smtp_caps.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mime.h"
#include "smtp.h"

int
smtp_write_line(struct relay_session *s, const char *line, size_t len,
    int redact, struct err *e)
{
	if (len + 2 > BOUNDS_SASL || memchr(line, '\r', len) != NULL ||
	    memchr(line, '\n', len) != NULL || memchr(line, '\0', len) != NULL)
		return err_set(e, EX_SOFTWARE, "refusing to send a command "
		    "holding CR, LF or NUL");
	log_trace(s->conn.trace, '>', line, len, redact);
	if (conn_write(&s->conn, line, len, e) == -1 ||
	    conn_write(&s->conn, "\r\n", 2, e) == -1)
		return -1;
	return 0;
}

int
smtp_writef(struct relay_session *s, struct err *e, const char *fmt, ...)
{
	char line[BOUNDS_CMD];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return err_set(e, EX_DATAERR, "SMTP command longer than %d "
		    "octets", BOUNDS_CMD);
	return smtp_write_line(s, line, (size_t)n, 0, e);
}

int
smtp_flush(struct relay_session *s, struct err *e)
{
	return conn_flush(&s->conn, e);
}

static long long
read_deadline(const struct relay_session *s)
{
	long long deadline;

	deadline = deadline_now_ms() + s->conn.timeout_ms;
	/* While opening, the failover deadline also bounds each reply so
	 * that timeouts do not add up across hosts. */
	if (!s->open && s->deadline_ms > 0 && s->deadline_ms < deadline)
		deadline = s->deadline_ms;
	return deadline;
}

int
smtp_read(struct relay_session *s, struct reply *r, int redact,
    struct err *e)
{
	if (reply_read(&s->conn, r, read_deadline(s), redact, e) == -1)
		return -1;
	s->last.code = r->code;
	memcpy(s->last.enh, r->enh, sizeof(s->last.enh));
	reply_join(r, s->last.text, sizeof(s->last.text));
	return 0;
}

void
smtp_what(char *out, size_t cap, const char *cmd, const char *addr)
{
	char q[BOUNDS_ADDR + 8];

	reply_quote(addr, strlen(addr), q, sizeof(q));
	snprintf(out, cap, "%s:<%s>", cmd, q);
}

int
smtp_refused(struct relay_session *s, enum stage st, const char *what,
    const struct reply *r, struct err *e)
{
	char all[BOUNDS_ERRMSG - 200], q[BOUNDS_ERRMSG - 200];
	int code;

	s->stage = st;
	/* Every line of the reply, not only the last (a 535 or a 550
	 * often says why on its first lines). */
	reply_join(r, all, sizeof(all));
	reply_quote(all, strlen(all), q, sizeof(q));
	code = err_from_reply(st, r->code, r->enh);
	if (code == EX_OK)
		return err_set(e, EX_PROTOCOL, "unexpected reply to %s from "
		    "%s: %s", what, s->conn.peer, q);
	if (code == EX_PROTOCOL)	/* a 5.5.x at the end of data */
		return err_set(e, code, "%s: %s reports a protocol error, not "
		    "a verdict on the message: %s", what, s->conn.peer, q);
	return err_set(e, code, "%s %s by %s: %s", what,
	    r->code < 500 ? "temporarily refused" : "refused",
	    s->conn.peer, q);
}

int
smtp_expect(struct relay_session *s, enum stage st, const char *what,
    int want, struct reply *r, struct err *e)
{
	if (smtp_read(s, r, 0, e) == -1) {
		s->stage = st;
		return err_prefix(e, "%s at %s", what, s->conn.peer);
	}
	if (r->code / 100 != want)
		return smtp_refused(s, st, what, r, e);
	return 0;
}

/*
 * Before the greeting on a plaintext connection: a TLS record (a
 * handshake, 0x16, or an alert, 0x15: RFC 8446 §5.1) where "220" was
 * due means the relay speaks TLS from the first byte. That is our
 * configuration, not a passing failure: fail at once, never queue.
 * Returns 1 (e set) for a TLS record, 0 to read the greeting, -1 when
 * nothing came (e set).
 */
static int
greeting_is_tls(struct relay_session *s, struct err *e)
{
	unsigned char b;

	if (s->conn.tls != NULL)
		return 0;
	if (conn_peek(&s->conn, read_deadline(s), &b, e) == -1)
		return -1;
	if (b != 0x16 && b != 0x15)
		return 0;
	s->stage = STAGE_GREETING;
	err_set(e, EX_CONFIG, "relay %s sent a TLS record where the SMTP "
	    "greeting was due: it expects TLS from the first byte; set "
	    "tls = implicit (port 465)", s->conn.peer);
	return 1;
}

int
smtp_greeting(struct relay_session *s, struct err *e)
{
	struct reply r;
	const char *hint = "";
	int tls;

	/* A TLS server on a STARTTLS/plain port stays silent (it waits for
	 * our ClientHello) or its bytes are not a reply. */
	if (s->acct != NULL && s->acct->tls != TLS_IMPLICIT)
		hint = " (if the relay expects TLS from the start, try "
		    "tls = implicit / port = 465)";
	if ((tls = greeting_is_tls(s, e)) == 1)
		return -1;
	if (tls == -1 || smtp_read(s, &r, 0, e) == -1) {
		char why[BOUNDS_ERRMSG];

		s->stage = STAGE_GREETING;
		memcpy(why, e->msg, sizeof(why));
		return err_set(e, e->code, "no greeting from %s: %.700s%s",
		    s->conn.peer, why, hint);
	}
	if (r.code != 220)
		return smtp_refused(s, STAGE_GREETING, "connection", &r, e);
	/* RFC 5321 §4.3.1: nothing may follow the greeting before EHLO. */
	if (reply_check_empty(&s->conn, "after the greeting, before EHLO",
	    e) == -1) {
		s->stage = STAGE_GREETING;
		return -1;
	}
	return 0;
}

int
smtp_starttls(struct relay_session *s, struct err *e)
{
	struct reply r;

	if (smtp_writef(s, e, "STARTTLS") == -1 || smtp_flush(s, e) == -1) {
		s->stage = STAGE_STARTTLS;
		return -1;
	}
	if (smtp_expect(s, STAGE_STARTTLS, "STARTTLS", 2, &r, e) == -1)
		return -1;
	/* RFC 3207 §4 / CVE-2011-0411: plaintext queued behind the 220
	 * would be read as if it came over TLS. */
	if (reply_check_empty(&s->conn, "after STARTTLS 220", e) == -1) {
		s->stage = STAGE_STARTTLS;
		return -1;
	}
	return 0;
}

static int
smtp_helo(struct relay_session *s, const char *domain, struct err *e)
{
	struct reply r;

	if (smtp_writef(s, e, "HELO %s", domain) == -1 ||
	    smtp_flush(s, e) == -1)
		return -1;
	if (smtp_expect(s, STAGE_EHLO, "HELO", 2, &r, e) == -1)
		return -1;
	smtp_caps_clear(&s->caps);
	return 0;
}

int
smtp_ehlo(struct relay_session *s, const char *domain, int allow_helo,
    struct err *e)
{
	struct reply r;

	smtp_caps_clear(&s->caps);
	if (smtp_writef(s, e, "EHLO %s", domain) == -1 ||
	    smtp_flush(s, e) == -1) {
		s->stage = STAGE_EHLO;
		return -1;
	}
	if (smtp_read(s, &r, 0, e) == -1) {
		s->stage = STAGE_EHLO;
		return err_prefix(e, "EHLO at %s", s->conn.peer);
	}
	/* RFC 5321 §3.2: an old server answers 500/502; only then HELO. */
	if (r.code / 100 == 5 && allow_helo)
		return smtp_helo(s, domain, e);
	if (r.code / 100 != 2)
		return smtp_refused(s, STAGE_EHLO, "EHLO", &r, e);
	if (smtp_caps_parse(&s->caps, &r, e) == -1) {
		s->stage = STAGE_EHLO;
		return -1;
	}
	return 0;
}

/* RFC 3461 §4: xtext, "+HH" for '+', '=' and octets outside 33..126. */
static int
xtext(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	unsigned char ch;

	for (; *in != '\0'; in++) {
		ch = (unsigned char)*in;
		if (n + 4 > cap)
			return -1;
		if (ch < 33 || ch > 126 || ch == '+' || ch == '=') {
			out[n++] = '+';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		} else
			out[n++] = (char)ch;
	}
	out[n] = '\0';
	return 0;
}

static int
non_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 127)
			return 1;
	return 0;
}

static int
env_utf8(const struct envelope *env)
{
	size_t i;

	if (non_ascii(env->sender))
		return 1;
	for (i = 0; i < env->nrcpt; i++)
		if (non_ascii(env->rcpt[i]))
			return 1;
	return 0;
}

/* Append a parameter p (with its leading space) to the command in buf;
 * -1 when it would not fit. */
static int
param(char *buf, size_t cap, const char *p)
{
	size_t len = strlen(buf), n = strlen(p);

	if (len + n >= cap)
		return -1;
	memcpy(buf + len, p, n + 1);
	return 0;
}

static void
dsn_note(struct relay_session *s, const struct envelope *env)
{
	if (s->conn.trace != NULL && (env->dsn_ret != NULL ||
	    env->dsn_envid != NULL || env->dsn_notify != NULL))
		fprintf(s->conn.trace, "relaymail: %s does not offer DSN; "
		    "-N/-R/-V ignored\n", s->conn.peer);
}

int
smtp_mail(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct err *e)
{
	char cmd[BOUNDS_CMD], id[BOUNDS_CMD / 2], p[BOUNDS_CMD];
	long long size = (long long)msg_size(m);
	int bad = 0;

	s->stage = STAGE_MAIL;
	/* RFC 6531 §3.4: without SMTPUTF8 a non-ASCII address cannot be
	 * sent (and no downgrade exists); a permanent failure. */
	if (!s->caps.smtputf8 && env_utf8(env))
		return err_set(e, EX_UNAVAILABLE, "a non-ASCII address "
		    "needs SMTPUTF8, which %s does not offer (RFC 6531 "
		    "§3.4)", s->conn.peer);
	if (s->caps.size > 0 && size > s->caps.size)
		return err_set(e, EX_DATAERR, "message size %lld exceeds "
		    "relay limit %lld (%s)", size, s->caps.size, s->conn.peer);
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", env->sender);
	if (s->caps.has_size) {
		snprintf(p, sizeof(p), " SIZE=%lld", size);
		bad |= param(cmd, sizeof(cmd), p);
	}
	if (s->caps.eightbitmime && (m->eightbit || env->body == 8))
		bad |= param(cmd, sizeof(cmd), " BODY=8BITMIME");
	else if (s->caps.eightbitmime && env->body == 7)
		bad |= param(cmd, sizeof(cmd), " BODY=7BIT");
	if (s->caps.smtputf8 && (env_utf8(env) || mime_headers_8bit(m)))
		bad |= param(cmd, sizeof(cmd), " SMTPUTF8");
	if (s->caps.dsn && env->dsn_ret != NULL) {
		bad |= snprintf(p, sizeof(p), " RET=%s", env->dsn_ret) >=
		    (int)sizeof(p);
		bad |= param(cmd, sizeof(cmd), p);
	}
	if (s->caps.dsn && env->dsn_envid != NULL) {
		bad |= xtext(env->dsn_envid, id, sizeof(id));
		bad |= snprintf(p, sizeof(p), " ENVID=%s", id) >=
		    (int)sizeof(p);
		bad |= param(cmd, sizeof(cmd), p);
	}
	if (!s->caps.dsn)
		dsn_note(s, env);
	if (bad)
		return err_set(e, EX_DATAERR, "MAIL FROM command longer than "
		    "%d octets", BOUNDS_CMD);
	return smtp_write_line(s, cmd, strlen(cmd), 0, e);
}

int
smtp_rcpt(struct relay_session *s, const struct envelope *env,
    const char *addr, struct err *e)
{
	s->stage = STAGE_RCPT;
	if (s->caps.dsn && env->dsn_notify != NULL)
		return smtp_writef(s, e, "RCPT TO:<%s> NOTIFY=%s", addr,
		    env->dsn_notify);
	return smtp_writef(s, e, "RCPT TO:<%s>", addr);
}

int
smtp_data(struct relay_session *s, struct err *e)
{
	s->stage = STAGE_DATA;
	return smtp_writef(s, e, "DATA");
}

int
smtp_bdat_last(struct relay_session *s, long long size, struct err *e)
{
	s->stage = STAGE_DATA;
	if (size < 0)
		return err_set(e, EX_SOFTWARE, "BDAT of a negative size");
	return smtp_writef(s, e, "BDAT %lld LAST", size);
}

int
smtp_rset(struct relay_session *s, struct err *e)
{
	return smtp_writef(s, e, "RSET");
}

int
smtp_quit(struct relay_session *s, struct err *e)
{
	return smtp_writef(s, e, "QUIT");
}
