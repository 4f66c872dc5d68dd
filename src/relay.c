/*
 * relay.c - opening and closing SMTP sessions (relaymail(8)).
 *
 * RFC 5321 §3.1 (greeting), §4.1.1.1 (EHLO, HELO fallback), RFC 8314
 * (implicit TLS), RFC 3207 (STARTTLS: buffer empty after 220, §4.2
 * capabilities forgotten, EHLO again), RFC 4954 (AUTH, never in
 * plaintext except tls=none to loopback). The hosts of an account are
 * tried in order under one overall deadline so that timeouts do not
 * multiply; only temporary failures move on to the next host (a refused
 * password or a bad certificate would fail there too). The transaction
 * itself is in txn.c.
 *
 * Two mistakes are permanent, never queued: STARTTLS to port 465 (RFC
 * 8314 §3.3: implicit TLS; the greeting would never come), refused
 * before connecting; and a relay with only TLS 1.0/1.1 (RFC 8996),
 * which may answer our handshake with an alert or just close: after
 * such a failure a second connection asks its version (tls_probe.c)
 * and the error names it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "host.h"
#include "oauth.h"
#include "relay.h"
#include "smtp.h"

/* The name for SNI (never an address literal, RFC 6066 §3), or NULL. */
static const char *
tls_sni(const struct account *a, const char *host)
{
	const char *name = a->tls_server_name != NULL ? a->tls_server_name :
	    host;

	return strchr(name, ':') != NULL || strspn(name, "0123456789.") ==
	    strlen(name) ? NULL : name;
}

/* What the TLS layer needs of the account: the transport (conn.h)
 * knows nothing of the configuration. */
static void
fill_tls_params(const struct account *a, struct tls_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ca_file = a->tls_ca_file;
	p->pin = a->tls_pin;
	p->cert_file = a->tls_cert_file;
	p->key_file = a->tls_key_file;
	p->priority = a->tls_priority;
	p->server_name = a->tls_server_name;
	p->state_dir = a->queue_dir;
	p->cache_key = a->name;
	p->port = a->port;
	p->verify = a->tls_verify;
	p->min_version = a->tls_min_version;
	p->session_cache = a->tls_session_cache;
}

static int
tls_handshake(struct relay_session *s, int starttls, struct err *e)
{
	struct tls_params p;

	fill_tls_params(s->acct, &p);
	return conn_tls_start(&s->conn, &p, starttls, e);
}

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

/* With the built-in OAuth2 client, auth = auto means XOAUTH2, or
 * OAUTHBEARER (RFC 7628) when that is all the relay offers. */
static enum auth_mech
wanted_mech(const struct relay_session *s)
{
	const struct account *a = s->acct;

	if (!oauth_enabled(a) || a->auth != AUTH_AUTO)
		return a->auth;
	if (!auth_offered(s->caps.auth, "XOAUTH2") &&
	    auth_offered(s->caps.auth, "OAUTHBEARER"))
		return AUTH_OAUTHBEARER;
	return AUTH_XOAUTH2;
}

/* RFC 7628 §3.2.3: a refused token (535, or the error JSON of a 334)
 * is refreshed once and AUTH is tried again in the same session. */
static int
oauth_retry(struct relay_session *s, struct account *a, enum auth_mech m,
    struct err *e)
{
	if (s->conn.trace != NULL)
		fprintf(s->conn.trace, "relaymail: %s; refreshing the OAuth2 "
		    "token once\n", e->msg);
	if (oauth_token(a, 1, s->conn.trace, e) == -1)
		return -1;
	return auth_run(s, m, 0, e);
}

static int
session_auth(struct relay_session *s, struct err *e)
{
	struct account *a = (struct account *)(uintptr_t)s->acct;
	enum auth_mech m;
	int rc;

	s->stage = STAGE_AUTH;
	if (auth_choose(wanted_mech(s), a->user, s->caps.auth, tls_active(s),
	    &m, e) == -1)
		return err_prefix(e, "%s", s->conn.peer);
	if (m == AUTH_NONE)
		return 0;
	/* relaymail(8): the password never crosses in the clear. */
	if (!tls_active(s) && !(a->tls == TLS_NONE && s->conn.loopback))
		return err_set(e, EX_UNAVAILABLE, "refusing to send AUTH %s "
		    "credentials in plaintext to %s (use tls = starttls or "
		    "tls = implicit)", auth_mech_name(m), s->conn.peer);
	/* The secret is loaded lazily (password_command may be slow);
	 * these only fill the account's secret cache. */
	if ((oauth_enabled(a) ? oauth_token(a, 0, s->conn.trace, e) :
	    conf_load_secret(a, e)) == -1)
		return -1;
	rc = auth_run(s, m, auth_can_defer(s, m), e);
	if (rc == -1 && e->code == EX_NOPERM && oauth_enabled(a))
		return oauth_retry(s, a, m, e);
	return rc;
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
	if (tls_handshake(s, 1, e) == -1)
		return -1;
	/* RFC 3207 §4.2: what was said in plaintext is forgotten. */
	smtp_caps_clear(&s->caps);
	return smtp_ehlo(s, domain, 0, e);
}

static int
session_start(struct relay_session *s, const char *domain, struct err *e)
{
	const struct account *a = s->acct;

	if (a->tls == TLS_IMPLICIT) {
		s->stage = STAGE_TLS;
		if (tls_handshake(s, 0, e) == -1)
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

/*
 * The TLS handshake failed as it does with a relay that has only an
 * older TLS: ask it, on a second connection (conn_tls_probe), which
 * version it has. When that is below our minimum, the failure is
 * permanent and e says so with the version; otherwise e is unchanged.
 */
static void
probe_old_tls(struct relay_session *s, const char *host, int timeout_ms,
    const char *domain, struct err *e)
{
	struct relay_session *p;
	const struct account *a = s->acct;
	struct tls_params tp;
	char ver[32];
	struct err pe;
	long long deadline = deadline_now_ms() + timeout_ms;
	int ok;

	if (s->deadline_ms > 0 && s->deadline_ms < deadline)
		deadline = s->deadline_ms;
	if ((p = calloc(1, sizeof(*p))) == NULL)	/* large: heap */
		return;
	p->conn.fd = -1;
	p->acct = a;
	p->deadline_ms = deadline;
	err_clear(&pe);
	if (s->conn.trace != NULL)
		fprintf(s->conn.trace, "relaymail: asking %s which TLS version "
		    "it offers\n", s->conn.peer);
	ok = conn_open(&p->conn, host, a->port, timeout_ms, deadline, NULL,
	    &pe) == 0;
	if (ok && a->tls == TLS_STARTTLS)
		ok = smtp_greeting(p, &pe) == 0 &&
		    smtp_ehlo(p, domain, 0, &pe) == 0 &&
		    smtp_starttls(p, &pe) == 0;
	fill_tls_params(a, &tp);
	ok = ok && conn_tls_probe(&p->conn, &tp, tls_sni(a, host), deadline,
	    ver, sizeof(ver)) == 0;
	conn_close(&p->conn);
	free(p);
	if (!ok)
		return;
	if (a->tls_min_version == 13 && strcmp(ver, "TLS 1.2") == 0)
		err_set(e, EX_UNAVAILABLE, "relay %s offers only TLS 1.2, but "
		    "tls_min_version = 1.3 requires TLS 1.3: set "
		    "tls_min_version = 1.2", s->conn.peer);
	else
		err_set(e, EX_UNAVAILABLE, "relay %s offers only %s, which "
		    "relaymail never uses (RFC 8996 retired TLS 1.0 and 1.1; "
		    "TLS 1.2 is the least): the relay must be upgraded; no "
		    "setting lowers this", s->conn.peer, ver);
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
		conn_clear(&s->conn);
		smtp_caps_clear(&s->caps);
		s->stage = STAGE_CONNECT;
		if (conn_open(&s->conn, host, s->acct->port, timeout_ms,
		    s->deadline_ms, trace, e) == -1)
			return -1;
		s->conn.trace = trace;
		if (session_start(s, domain, e) == 0)
			return 0;
		retry = s->conn.tls_retry;
		/* first: the relay may serve one at a time */
		conn_close(&s->conn);
		if (!retry)
			break;
		if (trace != NULL)
			fprintf(trace, "relaymail: %s; the cached TLS session "
			    "is dropped, connecting again\n", e->msg);
		err_clear(e);
	}
	if (s->stage == STAGE_TLS && s->conn.tlsinfo.old_version)
		probe_old_tls(s, host, timeout_ms, domain, e);
	return -1;
}

void
relay_clear(struct relay_session *s)
{
	memset(s, 0, offsetof(struct relay_session, caps));
	smtp_caps_clear(&s->caps);
	conn_clear(&s->conn);
}

int
relay_open(struct relay_session *s, const struct account *a, FILE *trace,
    struct err *e)
{
	char domain[BOUNDS_DOMAIN + 1];
	int i, timeout_ms;

	relay_clear(s);
	s->acct = a;
	snprintf(s->auth_used, sizeof(s->auth_used), "none");
	if (a->nhosts <= 0)
		return err_set(e, EX_CONFIG, "account %s has no host",
		    a->name);
	/* RFC 8314 §3.3: 465 speaks TLS from the first byte; a STARTTLS
	 * client would wait out the timeout for a greeting that never
	 * comes, and queue for days. Our configuration: fail now. */
	if (a->tls == TLS_STARTTLS && a->port == 465)
		return err_set(e, EX_CONFIG, "account %s: port 465 is the "
		    "implicit-TLS port (RFC 8314) but tls = starttls: set "
		    "tls = implicit, or port = 587 for STARTTLS", a->name);
	timeout_ms = (a->timeout > 0 ? a->timeout : 60) * 1000;
	/* One budget for every host: a timeout per host and one more for
	 * the session start of the host that answers. */
	s->deadline_ms = deadline_now_ms() + (long long)timeout_ms *
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
