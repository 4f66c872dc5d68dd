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
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "tls.h"
#include "tls_int.h"

#define TLS_PRIO_12	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define TLS_PRIO_13	"NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define TLS_NEVER	":-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"

/* Transport state, owned by the session (gnutls_session_get_ptr). */
struct tls_link {
	int			 fd;
	int			 timeout_ms;
	gnutls_session_t	 s;
	unsigned char		 first[16];	/* first bytes received */
	size_t			 nfirst;
	gnutls_typed_vdata_st	 vdata[2];	/* name and purpose checked
						 * (tls_verify_purpose) */
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
	until = conn_now_ms() + ms;
	return conn_wait(l->fd, POLLIN, until);
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

void
tls_end(struct conn *c, int bye)
{
	gnutls_session_t s = c->tls;

	if (s != NULL) {
		if (bye)
			(void)gnutls_bye(s, GNUTLS_SHUT_WR);
		free(gnutls_session_get_ptr(s));
		gnutls_deinit(s);
	}
	if (c->tls_cred != NULL)
		gnutls_certificate_free_credentials(c->tls_cred);
	c->tls = NULL;
	c->tls_cred = NULL;
}

static int
tls_creds(struct conn *c, const struct account *a, struct err *e)
{
	gnutls_certificate_credentials_t cred;
	const char *key;
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return err_set(e, EX_OSERR, "out of memory for TLS");
	c->tls_cred = cred;
	if (a->tls_ca_file != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(cred,
		    a->tls_ca_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0)
			return err_set(e, EX_CONFIG, "tls_ca_file %s: %s",
			    a->tls_ca_file, rc < 0 ? gnutls_strerror(rc) :
			    "no certificates in it");
	} else if (a->tls_verify &&
	    gnutls_certificate_set_x509_system_trust(cred) <= 0)
		return err_set(e, EX_CONFIG, "no system trust store: install "
		    "ca-certificates or set tls_ca_file");
	if (a->tls_cert_file == NULL)
		return 0;
	key = a->tls_key_file != NULL ? a->tls_key_file : a->tls_cert_file;
	rc = gnutls_certificate_set_x509_key_file(cred, a->tls_cert_file,
	    key, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		return err_set(e, EX_CONFIG, "tls_cert_file %s / tls_key_file "
		    "%s: %s", a->tls_cert_file, key, gnutls_strerror(rc));
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
tls_priority(gnutls_session_t s, const struct account *a, struct err *e)
{
	char prio[BOUNDS_CONF_LINE + 64];
	const char *errpos = NULL;
	int n, rc;

	if (a->tls_priority != NULL)
		n = snprintf(prio, sizeof(prio), "%s%s%s", a->tls_priority,
		    TLS_NEVER, a->tls_min_version == 13 ? ":-VERS-TLS1.2" :
		    "");
	else
		n = snprintf(prio, sizeof(prio), "%s",
		    a->tls_min_version == 13 ? TLS_PRIO_13 : TLS_PRIO_12);
	if (n < 0 || (size_t)n >= sizeof(prio))
		return err_set(e, EX_CONFIG, "tls_priority too long");
	if ((rc = gnutls_priority_set_direct(s, prio, &errpos)) < 0)
		return err_set(e, EX_CONFIG, "tls_priority: %s at \"%.40s\"",
		    gnutls_strerror(rc), errpos != NULL ? errpos : "");
	return 0;
}

/* Create the session: priority, credentials, SNI, verification. */
static int
tls_session(struct conn *c, const struct account *a, struct err *e)
{
	gnutls_session_t s;
	struct tls_link *l;
	const char *name;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return err_set(e, EX_OSERR, "out of memory for TLS");
	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0) {
		free(l);
		return err_set(e, EX_OSERR, "cannot set up TLS");
	}
	l->fd = c->fd;
	l->timeout_ms = c->timeout_ms;
	l->s = s;
	gnutls_session_set_ptr(s, l);
	c->tls = s;
	if (tls_priority(s, a, e) == -1)
		return -1;
	if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
	    c->tls_cred) < 0)
		return err_set(e, EX_SOFTWARE, "cannot set TLS credentials");
	name = a->tls_server_name != NULL ? a->tls_server_name : c->host;
	if (!tls_is_ip(name) && gnutls_server_name_set(s, GNUTLS_NAME_DNS,
	    name, strlen(name)) < 0)
		return err_set(e, EX_CONFIG, "bad TLS server name %s", name);
	if (a->tls_verify)
		tls_verify_purpose(s, name, l->vdata);
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
tls_failed(struct conn *c, const struct account *a, int starttls, int rc,
    struct err *e)
{
	const struct tls_link *l = gnutls_session_get_ptr(c->tls);
	int alert;

	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		return tls_verify_failed(c, a, e);
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
			return tls_too_old(c, a, e);
		/* a server without TLS 1.3 often answers a 1.3-only hello
		 * with handshake_failure instead of protocol_version */
		return err_set(e, EX_UNAVAILABLE, "TLS handshake with %s "
		    "failed: the relay sent the alert \"%s\"%s", c->peer,
		    gnutls_alert_get_name((gnutls_alert_description_t)alert),
		    a->tls_min_version == 13 ? " (it may not offer TLS 1.3, "
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
		return tls_too_old(c, a, e);	/* a ServerHello below 1.2 */
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
	long long deadline = conn_now_ms() + c->timeout_ms;
	char secs[32];
	int rc, w;

	for (;;) {
		if ((rc = gnutls_handshake(c->tls)) == GNUTLS_E_SUCCESS)
			return 0;
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(rc))
			return rc;
		w = conn_wait(c->fd, gnutls_record_get_direction(c->tls) ?
		    POLLOUT : POLLIN, deadline);
		if (w == 0) {
			conn_secs(secs, sizeof(secs), c->timeout_ms);
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

int
conn_tls_start(struct conn *c, const struct account *a, int starttls,
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
	if (tls_creds(c, a, e) == -1 || tls_session(c, a, e) == -1)
		goto fail;
	if ((rc = tls_handshake(c, e)) != 0) {
		if (rc < 0)
			tls_failed(c, a, starttls, rc, e);
		goto fail;
	}
	if (tls_verify_after(c, a, e) == -1)
		goto fail;
	tls_verify_trace(c, a);
	return 0;
fail:
	tls_end(c, 0);
	return -1;
}
