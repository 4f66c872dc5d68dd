/*
 * tls_verify.c - what is checked and recorded once the TLS handshake is
 * done (relaymail(8): TLS fails closed):
 *
 * - the negotiated version again (RFC 8996: never below TLS 1.2, RFC
 *   5246; TLS 1.3, RFC 8446, when tls_min_version = 1.3);
 * - why GnuTLS refused the chain or the host name (RFC 6125 §6), in
 *   words;
 * - pins in the style of RFC 7469 §2.4: "sha256/" and the base64 SHA-256
 *   of the leaf certificate's DER SubjectPublicKeyInfo, checked in
 *   addition to verification (or alone with tls_verify = no);
 * - the connection's tlsinfo (version, cipher, subject, issuer, SHA-256
 *   fingerprint, days left) for the log, --probe and the -v trace.
 *
 * Nothing sensitive is traced: only version, cipher and certificate data.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "tls_int.h"

int
tls_too_old(const struct conn *c, const struct account *a, struct err *e)
{
	return err_set(e, EX_UNAVAILABLE, "relay offers only TLS < 1.%d (%s)",
	    a->tls_min_version == 13 ? 3 : 2, c->peer);
}

int
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
int
tls_verify_after(struct conn *c, const struct account *a, struct err *e)
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

void
tls_verify_trace(const struct conn *c, const struct account *a)
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
