/*
 * tls.c - TLS on the relay connection with GnuTLS: conn_tls_start() and
 * the record I/O conn.c uses (DESIGN §5, §7: TLS fails closed).
 *
 * - Implicit TLS (RFC 8314 §3.3) or after STARTTLS's 220 (RFC 3207 §4.2:
 *   nothing the relay sent before the handshake may be used after it, so
 *   the read buffer must be empty).
 * - RFC 8996: SSL 3.0, TLS 1.0 and 1.1 are never offered, also with a
 *   tls_priority override, and the negotiated version is checked again
 *   after the handshake (TLS 1.2, RFC 5246, or 1.3, RFC 8446).
 * - Chain and host name verification by GnuTLS (RFC 6125 §6) against
 *   tls_server_name or the host; an IP literal is matched against the
 *   certificate's IP addresses and is never sent as SNI (RFC 6066 §3).
 * - Pins in the style of RFC 7469 §2.4: "sha256/" and the base64 SHA-256
 *   of the leaf certificate's DER SubjectPublicKeyInfo, checked in
 *   addition to verification (or alone with tls_verify = no).
 *
 * The transport callbacks keep the first bytes the relay sent so that a
 * plaintext server on an implicit-TLS port is recognised and named.
 * Nothing sensitive is traced: only version, cipher and certificate data.
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
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "conn.h"
#include "tls.h"

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
		gnutls_session_set_verify_cert(s, name, 0);
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

static int
tls_too_old(const struct conn *c, const struct account *a, struct err *e)
{
	return err_set(e, EX_UNAVAILABLE, "relay offers only TLS < 1.%d (%s)",
	    a->tls_min_version == 13 ? 3 : 2, c->peer);
}

static int
tls_verify_failed(struct conn *c, struct err *e)
{
	gnutls_datum_t out;
	unsigned status;

	status = gnutls_session_get_verify_cert_status(c->tls);
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) < 0)
		return err_set(e, EX_UNAVAILABLE, "TLS certificate of %s not "
		    "accepted", c->peer);
	err_set(e, EX_UNAVAILABLE, "TLS certificate of %s not accepted: %s",
	    c->peer, (const char *)out.data);
	gnutls_free(out.data);
	return -1;
}

/* Map a failed handshake to an exit code and a message with the fix. */
static int
tls_failed(struct conn *c, const struct account *a, int starttls, int rc,
    struct err *e)
{
	const struct tls_link *l = gnutls_session_get_ptr(c->tls);
	int alert;

	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		return tls_verify_failed(c, e);
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		alert = (int)gnutls_alert_get(c->tls);
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
	    rc == GNUTLS_E_NO_CIPHER_SUITES || rc == GNUTLS_E_UNKNOWN_CIPHER_SUITE
	    || rc == GNUTLS_E_NO_COMMON_KEY_SHARE)
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

/* Copy a DN; a long one is cut visibly with "...", never silently. */
static void
tls_dn(char *out, size_t len, gnutls_datum_t *d, int rc)
{
	if (rc < 0) {
		snprintf(out, len, "?");
		return;
	}
	if (d->size < len)
		snprintf(out, len, "%s", (const char *)d->data);
	else
		snprintf(out, len, "%.*s...", (int)(len - 4),
		    (const char *)d->data);
	gnutls_free(d->data);
}

/* "sha256/" + base64(SHA-256(DER SubjectPublicKeyInfo)), RFC 7469 §2.4. */
static int
tls_spki_pin(gnutls_x509_crt_t crt, char *out, size_t len)
{
	unsigned char der[8192], digest[32];
	gnutls_datum_t dd = { digest, sizeof(digest) }, b64;
	gnutls_pubkey_t pub;
	size_t dlen = sizeof(der);
	int rc;

	if (gnutls_pubkey_init(&pub) < 0)
		return -1;
	rc = gnutls_pubkey_import_x509(pub, crt, 0);
	if (rc >= 0)
		rc = gnutls_pubkey_export(pub, GNUTLS_X509_FMT_DER, der, &dlen);
	gnutls_pubkey_deinit(pub);
	if (rc < 0 || gnutls_hash_fast(GNUTLS_DIG_SHA256, der, dlen,
	    digest) < 0 || gnutls_base64_encode2(&dd, &b64) < 0)
		return -1;
	rc = snprintf(out, len, "sha256/%.*s", (int)b64.size,
	    (const char *)b64.data);
	gnutls_free(b64.data);
	return rc < 0 || (size_t)rc >= len ? -1 : 0;
}

static void
tls_fingerprint(gnutls_x509_crt_t crt, char *out, size_t len)
{
	unsigned char fp[32];
	size_t n = sizeof(fp), i, pos = 0;

	out[0] = '\0';
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
	    &n) < 0)
		return;
	for (i = 0; i < n && pos + 4 <= len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%s%02X",
		    i ? ":" : "", fp[i]);
}

static void
tls_fill_info(struct conn *c, gnutls_x509_crt_t crt)
{
	struct conn_tlsinfo *ti = &c->tlsinfo;
	gnutls_datum_t d;
	char *desc;
	time_t exp;

	snprintf(ti->version, sizeof(ti->version), "%s",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls)));
	desc = gnutls_session_get_desc(c->tls);
	if (desc != NULL && strlen(desc) < sizeof(ti->cipher))
		snprintf(ti->cipher, sizeof(ti->cipher), "%s", desc);
	else
		snprintf(ti->cipher, sizeof(ti->cipher), "%s",
		    gnutls_cipher_get_name(gnutls_cipher_get(c->tls)));
	gnutls_free(desc);
	tls_dn(ti->subject, sizeof(ti->subject), &d,
	    gnutls_x509_crt_get_dn3(crt, &d, 0));
	tls_dn(ti->issuer, sizeof(ti->issuer), &d,
	    gnutls_x509_crt_get_issuer_dn3(crt, &d, 0));
	tls_fingerprint(crt, ti->fingerprint, sizeof(ti->fingerprint));
	exp = gnutls_x509_crt_get_expiration_time(crt);
	ti->days_left = exp == (time_t)-1 ? 0 :
	    (long)((exp - time(NULL)) / 86400);
	ti->resumed = gnutls_session_is_resumed(c->tls) != 0;
}

/* Compare the leaf's pin with each "sha256/..." of tls_pin. */
static int
tls_check_pins(const struct conn *c, const char *pins, struct err *e)
{
	const char *p = pins, *end, *got = c->tlsinfo.spki_pin;
	size_t n;

	if (got[0] == '\0')
		return err_set(e, EX_UNAVAILABLE, "cannot compute the "
		    "certificate pin of %s", c->peer);
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != ','; end++)
			;
		for (n = (size_t)(end - p); n > 0 && (p[n - 1] == ' ' ||
		    p[n - 1] == '\t'); n--)
			;
		if (n < 8 || strncmp(p, "sha256/", 7) != 0)
			return err_set(e, EX_CONFIG, "tls_pin: \"%.*s\" is not "
			    "sha256/BASE64", (int)n, p);
		if (n == strlen(got) && memcmp(p, got, n) == 0)
			return 0;
		p = end;
	}
	return err_set(e, EX_UNAVAILABLE, "certificate pin mismatch (got %s)",
	    got);
}

/* After the handshake: version floor, certificate data, pins. */
static int
tls_after(struct conn *c, const struct account *a, struct err *e)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	int ver, rc;

	ver = (int)gnutls_protocol_get_version(c->tls);
	if (ver < (a->tls_min_version == 13 ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2))
		return tls_too_old(c, a, e);
	certs = gnutls_certificate_get_peers(c->tls, &n);
	if (certs == NULL || n == 0)
		return err_set(e, EX_UNAVAILABLE, "relay %s sent no "
		    "certificate", c->peer);
	if (gnutls_x509_crt_init(&crt) < 0)
		return err_set(e, EX_OSERR, "out of memory for TLS");
	if ((rc = gnutls_x509_crt_import(crt, &certs[0],
	    GNUTLS_X509_FMT_DER)) < 0) {
		gnutls_x509_crt_deinit(crt);
		return err_set(e, EX_PROTOCOL, "bad certificate from %s: %s",
		    c->peer, gnutls_strerror(rc));
	}
	tls_fill_info(c, crt);
	if (tls_spki_pin(crt, c->tlsinfo.spki_pin,
	    sizeof(c->tlsinfo.spki_pin)) == -1)
		c->tlsinfo.spki_pin[0] = '\0';
	gnutls_x509_crt_deinit(crt);
	if (a->tls_pin != NULL)
		return tls_check_pins(c, a->tls_pin, e);
	return 0;
}

static void
tls_trace(const struct conn *c, const struct account *a)
{
	const struct conn_tlsinfo *ti = &c->tlsinfo;

	if (c->trace == NULL)
		return;
	fprintf(c->trace, "=== %s %s%s\n", ti->version, ti->cipher,
	    ti->resumed ? " (resumed)" : "");
	fprintf(c->trace, "=== certificate %s, issuer %s, expires in %ld "
	    "days\n", ti->subject, ti->issuer, ti->days_left);
	fprintf(c->trace, "=== SHA-256 %s, pin %s\n", ti->fingerprint,
	    ti->spki_pin);
	if (!a->tls_verify)
		fprintf(c->trace, "=== tls_verify = no: the certificate "
		    "chain and host name were NOT verified%s\n",
		    a->tls_pin != NULL ? " (pin checked)" : "");
	fflush(c->trace);
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
	if (c->wlen != 0)
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
	if (tls_after(c, a, e) == -1)
		goto fail;
	tls_trace(c, a);
	return 0;
fail:
	tls_end(c, 0);
	return -1;
}
