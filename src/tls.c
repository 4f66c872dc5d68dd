/*
 * tls.c - TLS on the relay connection with GnuTLS: conn_tls_start() and
 * the record I/O conn.c uses (relaymail(8): TLS fails closed). What is
 * checked after the handshake is in tls_verify.c.
 *
 * - Implicit TLS (RFC 8314 §3.3) or after STARTTLS's 220 (RFC 3207 §4.2:
 *   nothing the relay sent before the handshake may be used after it, so
 *   the read buffer must be empty).
 * - RFC 8996: SSL 3.0, TLS 1.0 and 1.1 are never offered, also with a
 *   tls_priority override.
 * - Chain, host name and purpose verification by GnuTLS (RFC 6125 §6,
 *   RFC 5280 §4.2.1.12) against tls_server_name or the host (set up by
 *   tls_verify_purpose in tls_verify.c); an IP literal is matched
 *   against the certificate's IP addresses and is never sent as SNI
 *   (RFC 6066 §3).
 *
 * The transport callbacks keep the first bytes the relay sent so that a
 * plaintext server on an implicit-TLS port is recognised and named.
 *
 * Session resumption (RFC 8446 §2.2, §4.6.1; RFC 5077): a session cached
 * for this account, host, port and name (tls_cache.c) is offered; the
 * relay decides. A resumed session carries no certificate: it is bound
 * to the chain verified when it was made. That verification still holds
 * when the binding stored with the ticket (tls_verify_bind: the chain,
 * the trust anchors its names reach in today's store, the name and the
 * settings) is unchanged and every certificate in it is still valid;
 * otherwise the stored chain is verified again, against today's trust
 * and the same name, exactly as after a full handshake. Either way the
 * resumed session is bound to a verified identity or it is not used. A
 * refused or
 * unusable ticket costs one full handshake (on a new connection when
 * the handshake failed), never a failure. The newest ticket the relay
 * sent is stored when the connection ends.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "tls.h"
#include "tls_cache.h"
#include "tls_int.h"
#include "trust.h"

/*
 * The built-in priority: GnuTLS's NORMAL set, TLS 1.3 and 1.2 only, with
 * X25519 (RFC 7748, RFC 8446 §4.2.7) first among the same groups. Only
 * that one key share is sent (GNUTLS_KEY_SHARE_TOP): every common
 * server supports it, and it costs a third of a P-256 share to make and
 * use; a server without it asks for another share with a
 * HelloRetryRequest (RFC 8446 §4.1.4), at one more round trip.
 */
/* AES-128-GCM first (TLS_AES_128_GCM_SHA256, the suite every TLS 1.3
 * peer must have, RFC 8446 §9.1): its SHA-256 key schedule costs less
 * than AES-256-GCM's SHA-384. Relays that choose by the client's order
 * (Postfix and OpenSSL by default) pick it; the rest is NORMAL's. */
#define TLS_CIPHERS	":-CIPHER-ALL:+AES-128-GCM:+CIPHER-ALL"
/* X25519, then the other groups in NORMAL's order: the same list as
 * naming each one, and cheaper to parse. */
#define TLS_GROUPS	":-GROUP-ALL:+GROUP-X25519:+GROUP-ALL"
#define TLS_PRIO_12	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" TLS_CIPHERS TLS_GROUPS
#define TLS_PRIO_13	"NORMAL:-VERS-ALL:+VERS-TLS1.3" TLS_CIPHERS TLS_GROUPS
#define TLS_NEVER	":-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"

/* Transport state, owned by the session (gnutls_session_get_ptr). */
struct tls_link {
	int			 fd;
	int			 timeout_ms;
	gnutls_session_t	 s;
	unsigned char		 first[16];	/* first bytes received */
	size_t			 nfirst;
	const char		*name;		/* the name verified:
						 * tls_server_name or host */
	gnutls_typed_vdata_st	 vdata[2];	/* name and purpose checked
						 * (tls_verify_purpose) */
	struct tls_cache	 cache;
	struct tls_cache_bind	 bind;		/* loaded with the session */
	struct tls_cache_bind	 now;		/* this connection's, kept
						 * with its ticket */
	int			 offered;	/* a cached session was set */
	int			 done;		/* handshake and checks passed */
	int			 lazy;		/* system trust, loaded lazily */
	struct trust		 trust;
};

static ssize_t
tls_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct tls_link *l = p;
	ssize_t n;

	if ((n = send(l->fd, buf, len, MSG_NOSIGNAL)) == -1)
		gnutls_transport_set_errno(l->s, errno);
	return n;
}

static ssize_t
tls_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct tls_link *l = p;
	size_t k;
	ssize_t n;

	if ((n = recv(l->fd, buf, len, 0)) == -1)
		gnutls_transport_set_errno(l->s, errno);
	for (k = 0; n > 0 && k < (size_t)n &&
	    l->nfirst < sizeof(l->first); k++)
		l->first[l->nfirst++] = ((unsigned char *)buf)[k];
	return n;
}

/* GnuTLS asks this only with its own timeouts, which we keep off; our
 * own deadline still bounds it. */
static int
tls_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tls_link *l = p;
	long long until;

	if (ms == GNUTLS_INDEFINITE_TIMEOUT || ms > (unsigned)l->timeout_ms)
		ms = (unsigned)l->timeout_ms;
	until = deadline_now_ms() + ms;
	return deadline_wait(l->fd, POLLIN, until);
}

static ssize_t
tls_result(struct conn *c, ssize_t n, short *events, int reading,
    struct err *e)
{
	gnutls_session_t s = c->tls;

	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		*events = gnutls_record_get_direction(s) ? POLLOUT : POLLIN;
		return CONN_AGAIN;
	}
	if (reading && n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	if (!gnutls_error_is_fatal((int)n)) {
		/* a warning alert or a refused renegotiation: go on */
		*events = 0;
		return CONN_AGAIN;
	}
	return err_set(e, EX_TEMPFAIL, "TLS %s relay %s failed: %s",
	    reading ? "read from" : "write to", c->peer,
	    gnutls_strerror((int)n));
}

ssize_t
tls_read(struct conn *c, void *buf, size_t len, short *events,
    struct err *e)
{
	return tls_result(c, gnutls_record_recv(c->tls, buf, len), events, 1,
	    e);
}

ssize_t
tls_write(struct conn *c, const void *buf, size_t len, short *events,
    struct err *e)
{
	return tls_result(c, gnutls_record_send(c->tls, buf, len), events, 0,
	    e);
}

/* Keep the newest ticket the relay sent for the next connection. The
 * expiry GnuTLS records (the ticket lifetime) bounds its use. */
static void
tls_save_session(gnutls_session_t s, const struct tls_link *l)
{
	gnutls_datum_t d = { NULL, 0 };
	time_t exp;

	if (l == NULL || !l->done || l->cache.path[0] == '\0' ||
	    !(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET))
		return;
	if (gnutls_session_get_data2(s, &d) < 0)
		return;
	exp = gnutls_db_check_entry_expire_time(&d);
	if (exp > time(NULL))
		tls_cache_store(&l->cache, &d, exp, &l->now);
	tls_cache_free(&d);
}

void
tls_end(struct conn *c, int bye)
{
	gnutls_session_t s = c->tls;

	if (s != NULL) {
		if (bye)
			(void)gnutls_bye(s, GNUTLS_SHUT_WR);
		tls_save_session(s, gnutls_session_get_ptr(s));
		free(gnutls_session_get_ptr(s));
		gnutls_deinit(s);
	}
	if (c->tls_cred != NULL)
		gnutls_certificate_free_credentials(c->tls_cred);
	c->tls = NULL;
	c->tls_cred = NULL;
}

/* The relay's Certificate message: the system store's CAs its chain
 * needs join the trust list before GnuTLS verifies (trust.h). */
static int
tls_cert_hook(gnutls_session_t s, unsigned htype, unsigned when,
    unsigned incoming, const gnutls_datum_t *msg)
{
	struct tls_link *l = gnutls_session_get_ptr(s);

	(void)when;
	if (incoming && htype == GNUTLS_HANDSHAKE_CERTIFICATE_PKT &&
	    l != NULL && l->lazy)
		trust_add_for_msg(&l->trust, msg,
		    gnutls_protocol_get_version(s) == GNUTLS_TLS1_3);
	return 0;
}

static int
tls_creds(struct conn *c, const struct tls_params *tp, struct err *e)
{
	gnutls_certificate_credentials_t cred;
	struct tls_link *l = gnutls_session_get_ptr(c->tls);
	char dir[BOUNDS_PATH];
	const char *key;
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return err_set(e, EX_OSERR, "out of memory for TLS");
	c->tls_cred = cred;
	if (tp->ca_file != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(cred,
		    tp->ca_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0)
			return err_set(e, EX_CONFIG, "tls_ca_file %s: %s",
			    tp->ca_file, rc < 0 ? gnutls_strerror(rc) :
			    "no certificates in it");
	} else if (tp->verify) {
		if (trust_system(&l->trust, cred, tls_cache_dir(tp, dir,
		    sizeof(dir)) == 0 ? dir : NULL, e) == -1)
			return -1;
		l->lazy = 1;
		gnutls_handshake_set_hook_function(c->tls,
		    GNUTLS_HANDSHAKE_CERTIFICATE_PKT, GNUTLS_HOOK_POST,
		    tls_cert_hook);
	}
	if (gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		return err_set(e, EX_SOFTWARE, "cannot set TLS credentials");
	if (tp->cert_file == NULL)
		return 0;
	key = tp->key_file != NULL ? tp->key_file : tp->cert_file;
	rc = gnutls_certificate_set_x509_key_file(cred, tp->cert_file,
	    key, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		return err_set(e, EX_CONFIG, "tls_cert_file %s / tls_key_file "
		    "%s: %s", tp->cert_file, key, gnutls_strerror(rc));
	return 0;
}

static int
tls_is_ip(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1;
}

static int
tls_priority(gnutls_session_t s, const struct tls_params *tp, struct err *e)
{
	char prio[BOUNDS_CONF_LINE + 64];
	const char *errpos = NULL;
	int n, rc;

	if (tp->priority != NULL)
		n = snprintf(prio, sizeof(prio), "%s%s%s", tp->priority,
		    TLS_NEVER, tp->min_version == 13 ? ":-VERS-TLS1.2" :
		    "");
	else
		n = snprintf(prio, sizeof(prio), "%s",
		    tp->min_version == 13 ? TLS_PRIO_13 : TLS_PRIO_12);
	if (n < 0 || (size_t)n >= sizeof(prio))
		return err_set(e, EX_CONFIG, "tls_priority too long");
	if ((rc = gnutls_priority_set_direct(s, prio, &errpos)) < 0)
		return err_set(e, EX_CONFIG, "tls_priority: %s at \"%.40s\"",
		    gnutls_strerror(rc), errpos != NULL ? errpos : "");
	return 0;
}

/* Offer the session cached for this account, host, port and name. */
static void
tls_offer_session(struct tls_link *l, const struct tls_params *tp,
    const char *host, const char *name)
{
	gnutls_datum_t d;

	tls_cache_init(&l->cache, tp, host, tp->port, name);
	if (tls_cache_load(&l->cache, &d, &l->bind) == -1)
		return;
	if (gnutls_session_set_data(l->s, d.data, d.size) == 0)
		l->offered = 1;
	else
		tls_cache_drop(&l->cache);
	tls_cache_free(&d);
}

/* Create the session: priority, credentials, SNI, verification. */
static int
tls_session(struct conn *c, const struct tls_params *tp, struct err *e)
{
	gnutls_session_t s;
	struct tls_link *l;
	const char *name;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return err_set(e, EX_OSERR, "out of memory for TLS");
	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL | (tp->priority == NULL ?
	    GNUTLS_KEY_SHARE_TOP : 0) | (tp->session_cache ? 0 :
	    GNUTLS_NO_TICKETS)) < 0) {
		free(l);
		return err_set(e, EX_OSERR, "cannot set up TLS");
	}
	l->fd = c->fd;
	l->timeout_ms = c->timeout_ms;
	l->s = s;
	gnutls_session_set_ptr(s, l);
	c->tls = s;
	if (tls_priority(s, tp, e) == -1)
		return -1;
	name = tp->server_name != NULL ? tp->server_name : c->host;
	l->name = name;
	if (!tls_is_ip(name) && gnutls_server_name_set(s, GNUTLS_NAME_DNS,
	    name, strlen(name)) < 0)
		return err_set(e, EX_CONFIG, "bad TLS server name %s", name);
	if (tp->verify)
		tls_verify_purpose(s, name, l->vdata);
	tls_offer_session(l, tp, c->host, name);
	gnutls_transport_set_ptr(s, l);
	gnutls_transport_set_push_function(s, tls_push);
	gnutls_transport_set_pull_function(s, tls_pull);
	gnutls_transport_set_pull_timeout_function(s, tls_pull_timeout);
	gnutls_handshake_set_timeout(s, 0);
	return 0;
}

/* The relay's first bytes are printable text, not a TLS record. */
static int
tls_plaintext(const struct tls_link *l)
{
	size_t i;

	if (l->nfirst < 3)
		return 0;
	for (i = 0; i < l->nfirst; i++)
		if ((l->first[i] < 0x20 || l->first[i] > 0x7e) &&
		    l->first[i] != '\r' && l->first[i] != '\n')
			return 0;
	return 1;
}

/* Map a failed handshake to an exit code and a message with the fix. */
static int
tls_failed(struct conn *c, const struct tls_params *tp, int starttls, int rc,
    struct err *e)
{
	const struct tls_link *l = gnutls_session_get_ptr(c->tls);
	int alert;

	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		return tls_verify_failed(c, tp, e);
	/* What a relay with only an older TLS answers (or does): an alert
	 * or a close right after our ClientHello. */
	alert = rc == GNUTLS_E_FATAL_ALERT_RECEIVED ?
	    (int)gnutls_alert_get(c->tls) : -1;
	c->tlsinfo.old_version = alert == GNUTLS_A_PROTOCOL_VERSION ||
	    alert == GNUTLS_A_HANDSHAKE_FAILURE ||
	    alert == GNUTLS_A_INSUFFICIENT_SECURITY ||
	    rc == GNUTLS_E_UNSUPPORTED_VERSION_PACKET ||
	    ((rc == GNUTLS_E_PREMATURE_TERMINATION ||
	    rc == GNUTLS_E_PULL_ERROR) && l->nfirst == 0);
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		if (alert == GNUTLS_A_PROTOCOL_VERSION)
			return tls_too_old(c, tp, e);
		/* a server without TLS 1.3 often answers a 1.3-only hello
		 * with handshake_failure instead of protocol_version */
		return err_set(e, EX_UNAVAILABLE, "TLS handshake with %s "
		    "failed: the relay sent the alert \"%s\"%s", c->peer,
		    gnutls_alert_get_name((gnutls_alert_description_t)alert),
		    tp->min_version == 13 ? " (it may not offer TLS 1.3, "
		    "which tls_min_version = 1.3 requires)" : "");
	}
	if (tls_plaintext(l)) {
		if (starttls)
			return err_set(e, EX_PROTOCOL, "relay %s answered the "
			    "TLS handshake after STARTTLS in plaintext",
			    c->peer);
		return err_set(e, EX_PROTOCOL, "relay answered in plaintext "
		    "on an implicit-TLS port: set tls = starttls (port 587) "
		    "or use port 465");
	}
	if (rc == GNUTLS_E_UNSUPPORTED_VERSION_PACKET && l->nfirst > 0 &&
	    l->first[0] == 0x16)
		return tls_too_old(c, tp, e);	/* a ServerHello below 1.2 */
	if (rc == GNUTLS_E_PREMATURE_TERMINATION || rc == GNUTLS_E_PULL_ERROR ||
	    rc == GNUTLS_E_PUSH_ERROR)
		return err_set(e, EX_TEMPFAIL, "connection to %s lost during "
		    "the TLS handshake", c->peer);
	if (rc == GNUTLS_E_INSUFFICIENT_SECURITY ||
	    rc == GNUTLS_E_NO_CIPHER_SUITES ||
	    rc == GNUTLS_E_UNKNOWN_CIPHER_SUITE ||
	    rc == GNUTLS_E_NO_COMMON_KEY_SHARE)
		return err_set(e, EX_UNAVAILABLE, "TLS handshake with %s "
		    "failed: %s", c->peer, gnutls_strerror(rc));
	return err_set(e, EX_PROTOCOL, "TLS handshake with %s failed: %s",
	    c->peer, gnutls_strerror(rc));
}

static int
tls_handshake(struct conn *c, struct err *e)
{
	long long deadline = deadline_now_ms() + c->timeout_ms;
	char secs[32];
	int rc, w;

	for (;;) {
		if ((rc = gnutls_handshake(c->tls)) == GNUTLS_E_SUCCESS)
			return 0;
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(rc))
			return rc;
		w = deadline_wait(c->fd, gnutls_record_get_direction(c->tls) ?
		    POLLOUT : POLLIN, deadline);
		if (w == 0) {
			deadline_secs(secs, sizeof(secs), c->timeout_ms);
			err_set(e, EX_TEMPFAIL, "TLS handshake with %s timed "
			    "out after %s", c->peer, secs);
			return 1;
		}
		if (w == -1) {
			err_set(e, EX_OSERR, "poll: %s", strerror(errno));
			return 1;
		}
	}
}

/* Why the chain of a resumed session is refused, in GnuTLS's words. */
static int
tls_verify_status(struct conn *c, unsigned status, struct err *e)
{
	gnutls_datum_t out;

	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) < 0)
		return err_set(e, EX_UNAVAILABLE, "TLS certificate of %s not "
		    "accepted", c->peer);
	err_set(e, EX_UNAVAILABLE, "TLS certificate of %s not accepted: %s",
	    c->peer, (const char *)out.data);
	gnutls_free(out.data);
	return -1;
}

/* A handshake that offered a cached session failed (not by our own
 * timeout): forget the session; the caller retries with a full one. */
static void
tls_refused_session(struct conn *c, int retry)
{
	struct tls_link *l = gnutls_session_get_ptr(c->tls);

	if (l == NULL || !l->offered)
		return;
	tls_cache_drop(&l->cache);
	c->tls_retry = retry;
}

/* This connection's binding (tls_verify_bind) into l->now: 0, or -1. */
static int
tls_bind(struct conn *c, const struct tls_params *tp)
{
	struct tls_link *l = gnutls_session_get_ptr(c->tls);

	return tls_verify_bind(c->tls, tp, l->name, l->lazy ? &l->trust :
	    NULL, &l->now);
}

/*
 * After the handshake: a session that was offered and not resumed is
 * forgotten (the relay refused its ticket: this connection paid the
 * full handshake, and stores the new ticket). A resumed session whose
 * binding still holds needs nothing more; otherwise its stored chain is
 * verified again for the same name, as the full handshake did. On
 * failure the connection fails closed and the caller retries with a
 * full handshake, whose verification decides.
 */
static int
tls_resumed_check(struct conn *c, const struct tls_params *tp, struct err *e)
{
	struct tls_link *l = gnutls_session_get_ptr(c->tls);
	const gnutls_datum_t *certs;
	unsigned status = 0, n = 0;
	long long now;
	int rc;

	if (!l->offered)
		return 0;
	if (!gnutls_session_is_resumed(c->tls)) {
		tls_cache_drop(&l->cache);
		return 0;
	}
	if (!tp->verify)
		return 0;
	now = (long long)time(NULL);
	if (l->bind.set && tls_bind(c, tp) == 0 && memcmp(l->now.digest,
	    l->bind.digest, sizeof(l->bind.digest)) == 0 &&
	    now >= l->bind.nb && now < l->bind.na) {
		c->tlsinfo.bound = 1;
		return 0;
	}
	if (l->lazy && (certs = gnutls_certificate_get_peers(c->tls,
	    &n)) != NULL)
		trust_add_for(&l->trust, certs, n);
	/* The same name and purpose (TLS WWW server) as the full handshake
	 * checked: l->vdata, set by tls_verify_purpose. */
	rc = gnutls_certificate_verify_peers(c->tls, l->vdata, 2, &status);
	if (rc == 0 && status == 0) {
		if (!l->now.set)
			(void)tls_bind(c, tp);
		return 0;
	}
	if (rc < 0)
		return err_set(e, EX_UNAVAILABLE, "TLS certificate of %s not "
		    "accepted (resumed session): %s", c->peer,
		    gnutls_strerror(rc));
	return tls_verify_status(c, status, e);
}

/* A full handshake verified the chain: its binding goes with the
 * ticket, when there is a cache to keep it in. */
static void
tls_bind_full(struct conn *c, const struct tls_params *tp)
{
	const struct tls_link *l = gnutls_session_get_ptr(c->tls);

	if (!gnutls_session_is_resumed(c->tls) && tp->verify &&
	    l->cache.path[0] != '\0')
		(void)tls_bind(c, tp);
}

int
conn_tls_start(struct conn *c, const struct tls_params *tp, int starttls,
    struct err *e)
{
	int rc;

	if (!c->live || c->tls != NULL)
		return err_set(e, EX_SOFTWARE, "conn_tls_start: no plain "
		    "connection");
	if (conn_pending(c) != 0)
		return err_set(e, EX_PROTOCOL, "relay %s sent data before the "
		    "TLS handshake (possible command injection)", c->peer);
	if (c->out.len != 0)
		return err_set(e, EX_SOFTWARE, "unsent data before the TLS "
		    "handshake");
	memset(&c->tlsinfo, 0, sizeof(c->tlsinfo));
	if (tls_session(c, tp, e) == -1 || tls_creds(c, tp, e) == -1)
		goto fail;
	if ((rc = tls_handshake(c, e)) != 0) {
		if (rc < 0)
			tls_failed(c, tp, starttls, rc, e);
		tls_refused_session(c, rc < 0);
		goto fail;
	}
	if (tls_resumed_check(c, tp, e) == -1) {
		tls_refused_session(c, 1);
		goto fail;
	}
	if (tls_verify_after(c, tp, e) == -1)
		goto fail;
	tls_bind_full(c, tp);
	((struct tls_link *)gnutls_session_get_ptr(c->tls))->done = 1;
	tls_verify_trace(c, tp);
	return 0;
fail:
	tls_end(c, 0);
	return -1;
}
