/*
 * relay.c - opening and closing SMTP sessions (DESIGN §5).
 *
 * RFC 5321 §3.1 (greeting), §4.1.1.1 (EHLO, HELO fallback), RFC 8314
 * (implicit TLS), RFC 3207 (STARTTLS: buffer empty after 220, §4.2
 * capabilities forgotten, EHLO again), RFC 4954 (AUTH, never in
 * plaintext except tls=none to loopback). The hosts of an account are
 * tried in order under one overall deadline so that timeouts do not
 * multiply; only temporary failures move on to the next host (a refused
 * password or a bad certificate would fail there too). The transaction
 * itself is in txn.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "host.h"
#include "relay.h"
#include "smtp.h"

static int
tls_active(const struct relay_session *s)
{
	return s->conn.tls != NULL;
}

/* Whether the account will authenticate (decides the HELO fallback). */
static int
wants_auth(const struct account *a)
{
	return a->auth != AUTH_NONE && (a->auth != AUTH_AUTO || a->user != NULL);
}

static int
session_auth(struct relay_session *s, struct err *e)
{
	const struct account *a = s->acct;
	enum auth_mech m;

	s->stage = STAGE_AUTH;
	if (auth_choose(a->auth, a->user, s->caps.auth, tls_active(s), &m,
	    e) == -1)
		return err_prefix(e, "%s", s->conn.peer);
	if (m == AUTH_NONE)
		return 0;
	/* DESIGN §7: the password never crosses in the clear. */
	if (!tls_active(s) && !(a->tls == TLS_NONE && s->conn.loopback))
		return err_set(e, EX_UNAVAILABLE, "refusing to send AUTH %s "
		    "credentials in plaintext to %s (use tls = starttls or "
		    "tls = implicit)", auth_mech_name(m), s->conn.peer);
	/* The secret is loaded lazily (password_command may be slow);
	 * conf_load_secret only fills the account's secret cache. */
	if (conf_load_secret((struct account *)(uintptr_t)a, e) == -1)
		return -1;
	return auth_run(s, m, auth_can_defer(s, m), e);
}

static int
session_starttls(struct relay_session *s, const char *domain,
    struct err *e)
{
	if (!s->caps.starttls) {
		s->stage = STAGE_STARTTLS;
		return err_set(e, EX_UNAVAILABLE, "relay %s does not offer "
		    "STARTTLS (tls = starttls requires it)", s->conn.peer);
	}
	if (smtp_starttls(s, e) == -1)
		return -1;
	s->stage = STAGE_TLS;
	if (conn_tls_start(&s->conn, s->acct, 1, e) == -1)
		return -1;
	/* RFC 3207 §4.2: what was said in plaintext is forgotten. */
	memset(&s->caps, 0, sizeof(s->caps));
	return smtp_ehlo(s, domain, 0, e);
}

static int
session_start(struct relay_session *s, const char *domain, struct err *e)
{
	const struct account *a = s->acct;

	if (a->tls == TLS_IMPLICIT) {
		s->stage = STAGE_TLS;
		if (conn_tls_start(&s->conn, a, 0, e) == -1)
			return -1;
	}
	if (smtp_greeting(s, e) == -1)
		return -1;
	/* HELO only when nothing needs an extension (RFC 3207, 4954). */
	if (smtp_ehlo(s, domain, a->tls == TLS_NONE && !wants_auth(a),
	    e) == -1)
		return -1;
	if (a->tls == TLS_STARTTLS && session_starttls(s, domain, e) == -1)
		return -1;
	return session_auth(s, e);
}

static void
ehlo_domain(const struct account *a, char *out, size_t cap)
{
	if (a->domain != NULL && a->domain[0] != '\0')
		snprintf(out, cap, "%s", a->domain);
	else
		host_fqdn(out, cap);
	if (out[0] == '\0')
		snprintf(out, cap, "localhost");
}

/* One host: connect and run the session start. Closes on failure. A
 * failed resumption of a cached TLS session gets one more connection
 * with a full handshake (RFC 8446 §2.2: the ticket is only a shortcut). */
static int
try_host(struct relay_session *s, const char *host, int timeout_ms,
    FILE *trace, const char *domain, struct err *e)
{
	int attempt, retry;

	for (attempt = 0; attempt < 2; attempt++) {
		memset(&s->conn, 0, sizeof(s->conn));
		s->conn.fd = -1;
		memset(&s->caps, 0, sizeof(s->caps));
		s->stage = STAGE_CONNECT;
		if (conn_open(&s->conn, host, s->acct->port, timeout_ms,
		    s->deadline_ms, trace, e) == -1)
			return -1;
		s->conn.trace = trace;
		if (session_start(s, domain, e) == 0)
			return 0;
		retry = s->conn.tls_retry;
		conn_close(&s->conn);
		if (!retry)
			break;
		if (trace != NULL)
			fprintf(trace, "relaymail: %s; the cached TLS session "
			    "is dropped, connecting again\n", e->msg);
		err_clear(e);
	}
	return -1;
}

int
relay_open(struct relay_session *s, const struct account *a, FILE *trace,
    struct err *e)
{
	char domain[BOUNDS_DOMAIN + 1];
	int i, timeout_ms;

	memset(s, 0, sizeof(*s));
	s->conn.fd = -1;
	s->acct = a;
	snprintf(s->auth_used, sizeof(s->auth_used), "none");
	if (a->nhosts <= 0)
		return err_set(e, EX_CONFIG, "account %s has no host",
		    a->name);
	timeout_ms = (a->timeout > 0 ? a->timeout : 60) * 1000;
	/* One budget for every host: a timeout per host and one more for
	 * the session start of the host that answers. */
	s->deadline_ms = conn_now_ms() + (long long)timeout_ms *
	    (a->nhosts + 1);
	ehlo_domain(a, domain, sizeof(domain));
	for (i = 0; i < a->nhosts; i++) {
		if (try_host(s, a->hosts[i], timeout_ms, trace, domain,
		    e) == 0) {
			s->open = 1;
			return 0;
		}
		if (e->code != EX_TEMPFAIL || i + 1 == a->nhosts)
			break;
		if (trace != NULL)
			fprintf(trace, "relaymail: %s; trying %s\n", e->msg,
			    a->hosts[i + 1]);
	}
	return -1;
}

/* Best effort: QUIT and its reply; failures do not matter any more. */
void
relay_close(struct relay_session *s)
{
	struct reply r;
	struct err e;

	if (!s->open)
		return;
	err_clear(&e);
	if (smtp_quit(s, &e) == 0 && smtp_flush(s, &e) == 0) {
		if (s->auth_pending)
			(void)smtp_read(s, &r, 1, &e);
		(void)smtp_read(s, &r, 0, &e);
	}
	s->auth_pending = 0;
	conn_close(&s->conn);
	s->open = 0;
}

int
relay_finish_auth(struct relay_session *s, struct err *e)
{
	if (!s->open || !s->auth_pending)
		return 0;
	if (smtp_flush(s, e) == -1 || auth_finish(s, e) == -1) {
		conn_close(&s->conn);
		s->open = 0;
		return -1;
	}
	return 0;
}

void
relay_print_probe(const struct relay_session *s, FILE *out)
{
	const struct conn_tlsinfo *t = &s->conn.tlsinfo;
	int i;

	fprintf(out, "relay: %s\n", s->conn.peer);
	fprintf(out, "capabilities:%s\n", s->caps.esmtp ? "" : " (HELO)");
	for (i = 1; i < s->caps.nlines; i++)
		fprintf(out, "  %s\n", s->caps.lines[i]);
	if (!tls_active(s))
		fprintf(out, "TLS: none\n");
	else {
		fprintf(out, "TLS: %s, %s%s\n", t->version, t->cipher,
		    t->resumed ? " (resumed)" : "");
		fprintf(out, "certificate subject: %s\n", t->subject);
		fprintf(out, "certificate issuer: %s\n", t->issuer);
		fprintf(out, "certificate SHA-256: %s\n", t->fingerprint);
		fprintf(out, "SPKI pin (tls_pin): %s\n", t->spki_pin);
		fprintf(out, "certificate expires in %ld days%s\n",
		    t->days_left, t->days_left < 14 ? " (renew soon!)" : "");
	}
	fprintf(out, "AUTH: %s%s\n", s->auth_used, s->auth_pending ?
	    " (sent; its reply is read with the first message)" : "");
}
