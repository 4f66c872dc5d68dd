/*
 * tls_verify.c - what is checked and recorded once the TLS handshake is
 * done (relaymail(8): TLS fails closed):
 *
 * - the negotiated version again (RFC 8996: never below TLS 1.2, RFC
 *   5246; TLS 1.3, RFC 8446, when tls_min_version = 1.3);
 * - that the handshake checks the chain, the host name (RFC 6125 §6)
 *   and the purpose: a certificate whose Extended Key Usage does not
 *   allow serverAuth (RFC 5280 §4.2.1.12) is refused;
 * - why GnuTLS refused the chain, the host name or the purpose, in
 *   words, with what the certificate says (its names, issuer, dates)
 *   and the key that fixes it (tls_server_name, tls_ca_file, tls_pin);
 * - pins in the style of RFC 7469 §2.4: "sha256/" and the base64 SHA-256
 *   of the leaf certificate's DER SubjectPublicKeyInfo, checked in
 *   addition to verification (or alone with tls_verify = no);
 * - the connection's tlsinfo: version and cipher for the log, and on
 *   demand (--probe, the -v trace, tls_pin) what the leaf certificate
 *   says: subject, issuer, SHA-256 fingerprint, pin, days left;
 * - the binding of a verified chain, kept with its session ticket: a
 *   resumed session whose binding is unchanged and still within its
 *   validity needs no second verification (see tls_verify_bind).
 *
 * Nothing sensitive is traced: only version, cipher and certificate data.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "tls_cache.h"
#include "tls_int.h"
#include "trust.h"

int
tls_too_old(const struct conn *c, const struct tls_params *tp, struct err *e)
{
	return err_set(e, EX_UNAVAILABLE, "relay offers only TLS < 1.%d (%s)",
	    tp->min_version == 13 ? 3 : 2, c->peer);
}

void
tls_verify_purpose(gnutls_session_t session, const char *name,
    gnutls_typed_vdata_st *d)
{
	memset(d, 0, 2 * sizeof(*d));
	d[0].type = GNUTLS_DT_DNS_HOSTNAME;
	d[0].data = (unsigned char *)(uintptr_t)name;
	d[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	d[1].data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_SERVER;
	gnutls_session_set_verify_cert2(session, d, 2, 0);
}

/* Append printf output to buf[cap] at *n; a full buffer stays cut. */
static void
cat(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n + 1 >= cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = (size_t)k >= cap - *n ? cap - 1 : *n + (size_t)k;
}

/* The names a certificate is for: its DNS and IP subjectAltNames, else
 * its CN (RFC 6125 §6.4.4). */
static void
cert_names(gnutls_x509_crt_t crt, char *out, size_t cap)
{
	char v[256], ip[64];
	size_t n = 0, vlen;
	unsigned i;
	int t;

	out[0] = '\0';
	for (i = 0; i < 16; i++) {
		vlen = sizeof(v) - 1;
		t = gnutls_x509_crt_get_subject_alt_name(crt, i, v, &vlen,
		    NULL);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (t == GNUTLS_SAN_DNSNAME) {
			v[vlen] = '\0';
			cat(out, cap, &n, "%s%s", n ? ", " : "", v);
		} else if (t == GNUTLS_SAN_IPADDRESS && (vlen == 4 ||
		    vlen == 16) && inet_ntop(vlen == 4 ? AF_INET : AF_INET6,
		    v, ip, sizeof(ip)) != NULL)
			cat(out, cap, &n, "%s%s", n ? ", " : "", ip);
	}
	vlen = sizeof(v);
	if (n == 0 && gnutls_x509_crt_get_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, 0, v, &vlen) >= 0)
		cat(out, cap, &n, "CN %s", v);
	if (n == 0)
		cat(out, cap, &n, "no name");
}

static void
utc_date(time_t t, char *out, size_t cap)
{
	struct tm tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, cap, "?");
}

static int tls_spki_pin(gnutls_x509_crt_t, char *, size_t);
static void tls_dn(char *, size_t, gnutls_datum_t *, int);

/* What is wrong with the leaf crt (status from the handshake), and which
 * key fixes it, appended to buf. */
static void
cert_advice(gnutls_x509_crt_t crt, unsigned status, const char *expected,
    const struct tls_params *tp, char *buf, size_t cap, size_t *n)
{
	char names[160], issuer[160], when[40], pin[64];
	gnutls_datum_t d;

	/* What the certificate says, whatever is wrong with it. */
	cert_names(crt, names, sizeof(names));
	tls_dn(issuer, sizeof(issuer), &d,
	    gnutls_x509_crt_get_issuer_dn3(crt, &d, 0));
	utc_date(gnutls_x509_crt_get_expiration_time(crt), when, sizeof(when));
	cat(buf, cap, n, "; the certificate is for %s, issued by \"%s\", "
	    "valid until %s", names, issuer, when);
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		cat(buf, cap, n, "; expected %s: set host to one of its "
		    "names, or tls_server_name when host is an address or an "
		    "alias", expected);
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
		if (tls_spki_pin(crt, pin, sizeof(pin)) == -1)
			snprintf(pin, sizeof(pin), "?");
		cat(buf, cap, n, "; that issuer is not in %s%s: set "
		    "tls_ca_file to a PEM file with its CA, or trust this key "
		    "alone with tls_pin = %s and tls_verify = no",
		    tp->ca_file != NULL ? "tls_ca_file " : "the system "
		    "trust store", tp->ca_file != NULL ? tp->ca_file :
		    "", pin);
	}
	if (status & GNUTLS_CERT_EXPIRED)
		cat(buf, cap, n, "; it has expired: check this host's clock, "
		    "and ask the relay's administrator to renew it");
	if (status & GNUTLS_CERT_NOT_ACTIVATED) {
		utc_date(gnutls_x509_crt_get_activation_time(crt), when,
		    sizeof(when));
		cat(buf, cap, n, "; it is not valid before %s: check this "
		    "host's clock", when);
	}
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		cat(buf, cap, n, "; its Extended Key Usage does not allow a "
		    "TLS server (serverAuth, RFC 5280 4.2.1.12): the relay "
		    "must use a server certificate");
}

/*
 * The handshake refused the certificate: GnuTLS's reasons, then, from
 * the leaf, what does not match and the key that fixes it (the expected
 * and the certificate's names, the issuer, the dates).
 */
int
tls_verify_failed(struct conn *c, const struct tls_params *tp, struct err *e)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	gnutls_datum_t out;
	char buf[BOUNDS_ERRMSG - 128];	/* room for the prefix */
	const char *expected;
	unsigned status, ncert = 0;
	size_t n = 0;

	status = gnutls_session_get_verify_cert_status(c->tls);
	expected = tp->server_name != NULL ? tp->server_name : c->host;
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) >= 0) {
		cat(buf, sizeof(buf), &n, "%s", (const char *)out.data);
		gnutls_free(out.data);
	} else
		cat(buf, sizeof(buf), &n, "status 0x%x", status);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '.'))
		buf[--n] = '\0';
	certs = gnutls_certificate_get_peers(c->tls, &ncert);
	if (certs != NULL && ncert > 0 && gnutls_x509_crt_init(&crt) >= 0) {
		if (gnutls_x509_crt_import(crt, &certs[0],
		    GNUTLS_X509_FMT_DER) >= 0)
			cert_advice(crt, status, expected, tp, buf,
			    sizeof(buf), &n);
		gnutls_x509_crt_deinit(crt);
	}
	return err_set(e, EX_UNAVAILABLE, "TLS certificate of %s not "
	    "accepted: %s", c->peer, buf);
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

/* What the leaf certificate says, for --probe, -v and tls_pin. */
static void
tls_fill_cert(struct conn_tlsinfo *ti, gnutls_x509_crt_t crt)
{
	gnutls_datum_t d;
	time_t exp;

	tls_dn(ti->subject, sizeof(ti->subject), &d,
	    gnutls_x509_crt_get_dn3(crt, &d, 0));
	tls_dn(ti->issuer, sizeof(ti->issuer), &d,
	    gnutls_x509_crt_get_issuer_dn3(crt, &d, 0));
	tls_fingerprint(crt, ti->fingerprint, sizeof(ti->fingerprint));
	exp = gnutls_x509_crt_get_expiration_time(crt);
	ti->days_left = exp == (time_t)-1 ? 0 :
	    (long)((exp - time(NULL)) / 86400);
	if (tls_spki_pin(crt, ti->spki_pin, sizeof(ti->spki_pin)) == -1)
		ti->spki_pin[0] = '\0';
}

int
conn_tls_certinfo(struct conn *c)
{
	struct conn_tlsinfo *ti = &c->tlsinfo;
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	int rc;

	if (ti->have_cert)
		return 0;
	if (c->tls == NULL || (certs = gnutls_certificate_get_peers(c->tls,
	    &n)) == NULL || n == 0)
		return -1;
	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return rc;
	if ((rc = gnutls_x509_crt_import(crt, &certs[0],
	    GNUTLS_X509_FMT_DER)) >= 0) {
		tls_fill_cert(ti, crt);
		ti->have_cert = 1;
		rc = 0;
	}
	gnutls_x509_crt_deinit(crt);
	return rc;
}

static void
tls_fill_info(struct conn *c)
{
	struct conn_tlsinfo *ti = &c->tlsinfo;
	char *desc;

	snprintf(ti->version, sizeof(ti->version), "%s",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls)));
	desc = gnutls_session_get_desc(c->tls);
	if (desc != NULL && strlen(desc) < sizeof(ti->cipher))
		snprintf(ti->cipher, sizeof(ti->cipher), "%s", desc);
	else
		snprintf(ti->cipher, sizeof(ti->cipher), "%s",
		    gnutls_cipher_get_name(gnutls_cipher_get(c->tls)));
	gnutls_free(desc);
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
	return err_set(e, EX_UNAVAILABLE, "certificate key of %s does not "
	    "match tls_pin: it is %s (if the relay changed its key on "
	    "purpose, put that in tls_pin)", c->peer, got);
}

/* After the handshake: version floor, certificate data, pins. */
int
tls_verify_after(struct conn *c, const struct tls_params *tp, struct err *e)
{
	const gnutls_datum_t *certs;
	unsigned n = 0;
	int ver, rc;

	ver = (int)gnutls_protocol_get_version(c->tls);
	if (ver < (tp->min_version == 13 ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2))
		return tls_too_old(c, tp, e);
	certs = gnutls_certificate_get_peers(c->tls, &n);
	if (certs == NULL || n == 0)
		return err_set(e, EX_UNAVAILABLE, "relay %s sent no "
		    "certificate", c->peer);
	tls_fill_info(c);
	if (tp->pin == NULL && c->trace == NULL)
		return 0;	/* the rest on demand: conn_tls_certinfo */
	if ((rc = conn_tls_certinfo(c)) < 0)
		return err_set(e, EX_PROTOCOL, "bad certificate from %s: %s",
		    c->peer, gnutls_strerror(rc));
	if (tp->pin != NULL)
		return tls_check_pins(c, tp->pin, e);
	return 0;
}

/* The digest's fields: a string with its NUL, a number as text. */
static void
bind_str(gnutls_hash_hd_t h, const char *s)
{
	(void)gnutls_hash(h, s, strlen(s) + 1);
}

static void
bind_num(gnutls_hash_hd_t h, long long v)
{
	char n[32];

	snprintf(n, sizeof(n), "%lld", v);
	bind_str(h, n);
}

/*
 * GnuTLS's verification of a chain is a function of the chain, the
 * trust anchors its names can reach, the name and purpose checked, the
 * settings (tls_priority, whose profile sets key sizes; the minimum
 * version), the system-wide GnuTLS policy file (which can disable an
 * algorithm) and the time. The binding is a SHA-256 over all of these
 * but the time, and the time in which every certificate involved is
 * valid: the same binding, within that time, gives the same result.
 */
int
tls_verify_bind(gnutls_session_t s, const struct tls_params *tp,
    const char *name, struct trust *lazy, struct tls_cache_bind *out)
{
	const gnutls_datum_t *certs;
	struct trust_bind b;
	struct trust file;
	struct stat st;
	const char *pol;
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	if (!tp->verify || (certs = gnutls_certificate_get_peers(s, &n)) ==
	    NULL || n == 0)
		return -1;
	if (tp->ca_file != NULL) {
		trust_file(&file, tp->ca_file);
		lazy = &file;
	}
	if (lazy == NULL)
		return -1;
	if (trust_bind_begin(&b) == -1)
		return -1;
	bind_str(b.h, "relaymail-tls-bind 1");
	bind_str(b.h, name);
	bind_str(b.h, GNUTLS_KP_TLS_WWW_SERVER);
	bind_str(b.h, tp->priority != NULL ? tp->priority : "");
	bind_num(b.h, tp->min_version);
	pol = secure_getenv("GNUTLS_SYSTEM_PRIORITY_FILE");
	if (pol == NULL)
		pol = TLS_SYSTEM_POLICY;
	bind_str(b.h, pol);
	if (stat(pol, &st) == 0) {
		bind_num(b.h, (long long)st.st_dev);
		bind_num(b.h, (long long)st.st_ino);
		bind_num(b.h, (long long)st.st_size);
		bind_num(b.h, (long long)st.st_mtim.tv_sec);
		bind_num(b.h, (long long)st.st_mtim.tv_nsec);
	}
	(void)trust_bind_chain(lazy, certs, n, &b);
	if (trust_bind_end(&b, out->digest) == -1)
		return -1;
	out->nb = b.nb;
	out->na = b.na;
	out->set = 1;
	return 0;
}

void
tls_verify_trace(const struct conn *c, const struct tls_params *tp)
{
	const struct conn_tlsinfo *ti = &c->tlsinfo;

	if (c->trace == NULL)
		return;
	fprintf(c->trace, "=== %s %s%s\n", ti->version, ti->cipher,
	    ti->resumed ? " (resumed)" : "");
	if (ti->resumed && tp->verify)
		fprintf(c->trace, "=== resumed session: %s\n", ti->bound ?
		    "the chain, its trust anchors and the settings are those "
		    "it was verified with, and all are still valid: not "
		    "verified again" : "its chain was verified again");
	fprintf(c->trace, "=== certificate %s, issuer %s, expires in %ld "
	    "days\n", ti->subject, ti->issuer, ti->days_left);
	fprintf(c->trace, "=== SHA-256 %s, pin %s\n", ti->fingerprint,
	    ti->spki_pin);
	if (!tp->verify)
		fprintf(c->trace, "=== tls_verify = no: the certificate "
		    "chain and host name were NOT verified%s\n",
		    tp->pin != NULL ? " (pin checked)" : "");
	fflush(c->trace);
}
