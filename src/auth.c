/*
 * auth.c - SMTP AUTH (RFC 4954): choosing the mechanism and the
 * exchange with the relay; the SASL messages are built in sasl.c.
 *
 * RFC 4954 §4: the initial response rides on the AUTH line when the line
 * fits 512 octets, else it follows an empty 334; "=" is an empty initial
 * response (EXTERNAL, RFC 4422 appendix A); "*" cancels. LOGIN follows
 * draft-murchison-sasl-login; CRAM-MD5 RFC 2195; SCRAM-SHA-256 RFC 7677
 * (the relay's signature is verified before we accept its 235);
 * OAUTHBEARER RFC 7628 §3.2.3 (a 334 error is answered with %x01). Every
 * buffer that held a password, a token or their base64 is wiped, and
 * every SASL line is redacted in the transcript.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "base64.h"
#include "sasl.h"
#include "secret.h"
#include "smtp.h"

static const struct {
	enum auth_mech	 mech;
	const char	*name;
} mech_names[] = {
	{ AUTH_AUTO, "auto" }, { AUTH_PLAIN, "PLAIN" },
	{ AUTH_LOGIN, "LOGIN" }, { AUTH_CRAM_MD5, "CRAM-MD5" },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256" }, { AUTH_XOAUTH2, "XOAUTH2" },
	{ AUTH_OAUTHBEARER, "OAUTHBEARER" }, { AUTH_EXTERNAL, "EXTERNAL" },
	{ AUTH_NONE, "none" },
};

const char *
auth_mech_name(enum auth_mech m)
{
	size_t i;

	for (i = 0; i < sizeof(mech_names) / sizeof(mech_names[0]); i++)
		if (mech_names[i].mech == m)
			return mech_names[i].name;
	return "unknown";
}

int
auth_offered(const char *list, const char *name)
{
	size_t n = strlen(name), w;

	while (*list != '\0') {
		list += strspn(list, " \t");
		w = strcspn(list, " \t");
		if (w == n && strncasecmp(list, name, n) == 0)
			return 1;
		list += w;
	}
	return 0;
}

/*
 * Preference for auth=auto. Over TLS the password is protected anyway,
 * so PLAIN (one round trip, pipelinable, no plaintext-equivalent secret
 * needed on the server) beats CRAM-MD5; without TLS (loopback only)
 * CRAM-MD5 keeps the password off the wire. SCRAM-SHA-256 is best in
 * both cases: mutual authentication, salted server storage.
 */
static const enum auth_mech pref_tls[] = {
	AUTH_SCRAM_SHA_256, AUTH_PLAIN, AUTH_CRAM_MD5, AUTH_LOGIN
};
static const enum auth_mech pref_plain[] = {
	AUTH_SCRAM_SHA_256, AUTH_CRAM_MD5, AUTH_PLAIN, AUTH_LOGIN
};

int
auth_choose(enum auth_mech want, const char *user, const char *offered,
    int tls, enum auth_mech *out, struct err *e)
{
	const enum auth_mech *pref = tls ? pref_tls : pref_plain;
	size_t i;

	*out = AUTH_NONE;
	if (want == AUTH_NONE || (want == AUTH_AUTO && user == NULL))
		return 0;
	if (want == AUTH_AUTO) {
		if (offered[0] == '\0')
			return err_set(e, EX_UNAVAILABLE, "relay does not "
			    "offer AUTH, but a user is configured");
		for (i = 0; i < 4; i++)
			if (auth_offered(offered, auth_mech_name(pref[i]))) {
				*out = pref[i];
				return 0;
			}
		return err_set(e, EX_UNAVAILABLE, "relay offers no AUTH "
		    "mechanism relaymail supports (it offers: %s)", offered);
	}
	if (!auth_offered(offered, auth_mech_name(want)))
		return err_set(e, EX_UNAVAILABLE, "relay does not offer AUTH "
		    "%s (it offers: %s)", auth_mech_name(want),
		    offered[0] != '\0' ? offered : "no AUTH at all");
	if (user == NULL && want != AUTH_EXTERNAL)
		return err_set(e, EX_CONFIG, "auth = %s needs a user",
		    auth_mech_name(want));
	*out = want;
	return 0;
}

/* ---- the exchange over a session (RFC 4954 §4) ---- */

/* Octets of base64 for len raw octets. */
#define B64LEN(len)	(((len) + 2) / 3 * 4)

/* RFC 4954 §4: the initial response is only sent when the whole AUTH
 * line fits the 512-octet command line (RFC 5321 §4.5.3.1.4). */
static int
ir_fits(const char *name, size_t len)
{
	return 5 + strlen(name) + 1 + (len ? B64LEN(len) : 1) + 2 <= 512;
}

/* Write a (redacted) line: "prefix b64(raw)" or just b64(raw). */
static int
write_b64(struct relay_session *s, const char *prefix, const void *raw,
    size_t len, struct err *e)
{
	char line[BOUNDS_SASL];
	size_t n = 0, bl = 0;
	int rc;

	if (prefix != NULL) {
		n = (size_t)snprintf(line, sizeof(line), "%s ", prefix);
		/* RFC 4954 §4: "=" is an empty initial response. */
		if (len == 0)
			line[n++] = '=';
	}
	if (len > 0 && base64_encode(raw, len, line + n, sizeof(line) - n,
	    &bl) == -1)
		return err_set(e, EX_CONFIG, "SASL response longer than %d "
		    "octets", BOUNDS_SASL);
	rc = smtp_write_line(s, line, n + bl, 1, e);
	secret_bzero(line, n + bl);
	return rc;
}

/* Flush what is buffered and read the next reply (redacted). */
static int
exchange(struct relay_session *s, struct reply *r, struct err *e)
{
	s->stage = STAGE_AUTH;
	if (smtp_flush(s, e) == -1 || smtp_read(s, r, 1, e) == -1)
		return err_prefix(e, "AUTH at %s", s->conn.peer);
	return 0;
}

/*
 * auth = auto cannot tell an OAuth2 token from a password, so a
 * password_command's output is only sent as a token when auth says so.
 * When a password was refused by a relay that takes tokens, say how.
 */
static void
token_hint(const struct relay_session *s, enum auth_mech m, struct err *e)
{
	size_t n = strlen(e->msg);

	if (e->code == EX_NOPERM && s->acct->auth == AUTH_AUTO &&
	    s->acct->password_command != NULL && m != AUTH_XOAUTH2 &&
	    m != AUTH_OAUTHBEARER && (auth_offered(s->caps.auth, "XOAUTH2")
	    || auth_offered(s->caps.auth, "OAUTHBEARER")))
		snprintf(e->msg + n, sizeof(e->msg) - n, " (if "
		    "password_command prints an OAuth2 access token, set "
		    "auth = xoauth2 or oauthbearer)");
}

/* A multi-line refusal (Gmail's 535 says why and where to read more on
 * two lines): the message shows the lines before the last one too. */
static void
earlier_lines(const struct reply *r, struct err *e)
{
	char q[BOUNDS_REPLY_LINE];
	size_t n;
	int i;

	for (i = 0; i + 1 < r->nlines; i++) {
		reply_quote(r->text[i], strlen(r->text[i]), q, sizeof(q));
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s%s%s", i == 0 ?
		    " (the relay also said: " : " / ", q,
		    i + 2 == r->nlines ? ")" : "");
	}
}

static int
refused(struct relay_session *s, enum auth_mech m, const struct reply *r,
    struct err *e)
{
	char what[40];

	snprintf(what, sizeof(what), "AUTH %s", auth_mech_name(m));
	smtp_refused(s, STAGE_AUTH, what, r, e);
	earlier_lines(r, e);
	token_hint(s, m, e);
	return -1;
}

/* Expect a 334 challenge; decode it into ch[cap]. */
static int
challenge(struct relay_session *s, enum auth_mech m, struct reply *r,
    unsigned char *ch, size_t cap, size_t *chlen, struct err *e)
{
	if (exchange(s, r, e) == -1)
		return -1;
	if (r->code != 334)
		return refused(s, m, r, e);
	if (base64_decode(r->text[0], strlen(r->text[0]), ch, cap - 1,
	    chlen) == -1) {
		/* RFC 4954 §4: "*" cancels; the relay answers 501. */
		if (smtp_writef(s, e, "*") == 0)
			exchange(s, r, e);
		return err_set(e, EX_PROTOCOL, "AUTH %s: relay %s sent a "
		    "challenge that is not base64", auth_mech_name(m),
		    s->conn.peer);
	}
	ch[*chlen] = '\0';
	return 0;
}

/* AUTH with raw as initial response (sent after an empty 334 when the
 * line would be too long). No flush. */
static int
start_ir(struct relay_session *s, enum auth_mech m, const char *raw,
    size_t len, struct err *e)
{
	char cmd[40];
	unsigned char ch[8];
	struct reply r;
	size_t chlen;

	snprintf(cmd, sizeof(cmd), "AUTH %s", auth_mech_name(m));
	if (ir_fits(auth_mech_name(m), len))
		return write_b64(s, cmd, raw, len, e);
	if (smtp_writef(s, e, "%s", cmd) == -1 ||
	    challenge(s, m, &r, ch, sizeof(ch), &chlen, e) == -1)
		return -1;
	return write_b64(s, NULL, raw, len, e);
}

/* The final reply: 235 (RFC 4954 §6). For the OAuth mechanisms a 334
 * carries an error; we answer it so the relay sends its 5xx. */
static int
final(struct relay_session *s, enum auth_mech m, struct err *e)
{
	struct reply r;

	if (exchange(s, &r, e) == -1)
		return -1;
	if (r.code == 334 && (m == AUTH_XOAUTH2 || m == AUTH_OAUTHBEARER)) {
		/* RFC 7628 §3.2.3: the client answers with %x01. */
		if (write_b64(s, NULL, "\001", m == AUTH_OAUTHBEARER, e) == -1 ||
		    exchange(s, &r, e) == -1)
			return -1;
	} else if (r.code == 334) {
		if (smtp_writef(s, e, "*") == 0)
			exchange(s, &r, e);
		return err_set(e, EX_PROTOCOL, "AUTH %s: relay %s asked for "
		    "more than the mechanism has", auth_mech_name(m),
		    s->conn.peer);
	}
	if (r.code != 235)
		return refused(s, m, &r, e);
	return 0;
}

static int
run_login(struct relay_session *s, const char *user, const char *pass,
    struct err *e)
{
	unsigned char ch[BOUNDS_REPLY_LINE];
	struct reply r;
	size_t n;

	/* draft-murchison-sasl-login: "Username:" then "Password:". */
	if (smtp_writef(s, e, "AUTH LOGIN") == -1 ||
	    challenge(s, AUTH_LOGIN, &r, ch, sizeof(ch), &n, e) == -1 ||
	    write_b64(s, NULL, user, strlen(user), e) == -1 ||
	    challenge(s, AUTH_LOGIN, &r, ch, sizeof(ch), &n, e) == -1)
		return -1;
	return write_b64(s, NULL, pass, strlen(pass), e);
}

static int
run_cram(struct relay_session *s, const char *user, const char *pass,
    struct err *e)
{
	unsigned char ch[BOUNDS_REPLY_LINE];
	char msg[BOUNDS_ADDR * 2 + 64];
	struct reply r;
	size_t n, mlen;
	int rc;

	if (smtp_writef(s, e, "AUTH CRAM-MD5") == -1 ||
	    challenge(s, AUTH_CRAM_MD5, &r, ch, sizeof(ch), &n, e) == -1)
		return -1;
	if (sasl_cram_md5(user, pass, strlen(pass), ch, n, msg,
	    sizeof(msg), &mlen) == -1)
		return err_set(e, EX_CONFIG, "CRAM-MD5: user name too long");
	rc = write_b64(s, NULL, msg, mlen, e);
	secret_bzero(msg, sizeof(msg));
	return rc;
}

static int
run_scram(struct relay_session *s, const char *user, const char *pass,
    struct err *e)
{
	struct sasl_scram st;
	unsigned char ch[BOUNDS_REPLY_LINE];
	char msg[BOUNDS_REPLY_LINE * 2];
	struct reply r;
	size_t n, mlen;
	int rc = -1;

	if (sasl_scram_first(&st, user, NULL, msg, sizeof(msg), &mlen,
	    e) == -1 ||
	    start_ir(s, AUTH_SCRAM_SHA_256, msg, mlen, e) == -1 ||
	    challenge(s, AUTH_SCRAM_SHA_256, &r, ch, sizeof(ch), &n, e) == -1)
		goto out;
	if (sasl_scram_final(&st, pass, strlen(pass), (char *)ch, n, msg,
	    sizeof(msg), &mlen, e) == -1) {
		if (smtp_writef(s, e, "*") == 0)
			exchange(s, &r, e);
		goto out;
	}
	if (write_b64(s, NULL, msg, mlen, e) == -1 ||
	    exchange(s, &r, e) == -1)
		goto out;
	/* RFC 5802 §3: the server-final-message proves the relay knows
	 * the password; a 235 without it is not accepted. */
	if (r.code != 334) {
		if (r.code == 235)
			err_set(e, EX_PROTOCOL, "AUTH SCRAM-SHA-256: relay %s "
			    "did not send its signature", s->conn.peer);
		else
			refused(s, AUTH_SCRAM_SHA_256, &r, e);
		goto out;
	}
	/* The decoder sets no error: e may still hold an earlier host's
	 * failure (failover), which must not stand for this one. */
	if (base64_decode(r.text[0], strlen(r.text[0]), ch, sizeof(ch) - 1,
	    &n) == -1) {
		err_set(e, EX_PROTOCOL, "SCRAM: bad server-final");
		goto out;
	}
	if (sasl_scram_verify(&st, (char *)ch, n, e) == -1)
		goto out;
	rc = write_b64(s, NULL, "", 0, e);
out:
	secret_bzero(msg, sizeof(msg));
	secret_bzero(&st, sizeof(st));
	return rc;
}

/* PLAIN, XOAUTH2, OAUTHBEARER, EXTERNAL: everything in the initial
 * response. */
static int
run_ir(struct relay_session *s, enum auth_mech m, const char *user,
    const char *pass, struct err *e)
{
	char msg[BOUNDS_SECRET + BOUNDS_ADDR * 3 + 128];
	size_t mlen = 0;
	int rc = 0;

	if (m == AUTH_PLAIN)
		rc = sasl_plain(user, pass, msg, sizeof(msg), &mlen);
	else if (m == AUTH_XOAUTH2)
		rc = sasl_xoauth2(user, pass, msg, sizeof(msg), &mlen);
	else if (m == AUTH_OAUTHBEARER)
		rc = sasl_oauthbearer(user, s->conn.host,
		    s->acct->port, pass, msg, sizeof(msg), &mlen);
	if (rc == -1)
		return err_set(e, EX_CONFIG, "AUTH %s: credentials too long",
		    auth_mech_name(m));
	rc = start_ir(s, m, msg, mlen, e);
	secret_bzero(msg, mlen);
	return rc;
}

int
auth_can_defer(const struct relay_session *s, enum auth_mech m)
{
	const char *user = s->acct->user;
	size_t plen = s->acct->password.len;

	return m == AUTH_PLAIN && s->caps.pipelining && user != NULL &&
	    ir_fits("PLAIN", strlen(user) + plen + 2);
}

int
auth_run(struct relay_session *s, enum auth_mech m, int defer,
    struct err *e)
{
	const char *user = s->acct->user != NULL ? s->acct->user : "";
	const char *pass = s->acct->password.buf;
	int rc;

	s->stage = STAGE_AUTH;
	snprintf(s->auth_used, sizeof(s->auth_used), "%s", auth_mech_name(m));
	if (pass == NULL && m != AUTH_EXTERNAL)
		return err_set(e, EX_CONFIG, "account %s: AUTH %s needs a "
		    "password (password, password_file or password_command)",
		    s->acct->name, auth_mech_name(m));
	if (m == AUTH_LOGIN)
		rc = run_login(s, user, pass, e);
	else if (m == AUTH_CRAM_MD5)
		rc = run_cram(s, user, pass, e);
	else if (m == AUTH_SCRAM_SHA_256)
		rc = run_scram(s, user, pass, e);
	else if (m == AUTH_EXTERNAL)
		rc = write_b64(s, "AUTH EXTERNAL", "", 0, e);
	else
		rc = run_ir(s, m, user, pass, e);
	if (rc == -1)
		return -1;
	if (defer && m == AUTH_PLAIN) {
		s->auth_pending = 1;
		return 0;
	}
	return final(s, m, e);
}

int
auth_finish(struct relay_session *s, struct err *e)
{
	struct reply r;

	s->auth_pending = 0;
	s->stage = STAGE_AUTH;
	if (smtp_read(s, &r, 1, e) == -1)
		return err_prefix(e, "AUTH at %s", s->conn.peer);
	if (r.code != 235)
		return refused(s, AUTH_PLAIN, &r, e);
	return 0;
}
