/*
 * trust.c - lazy loading of the system trust store (contract in
 * trust.h): the names a chain needs, found in the relay's Certificate
 * message (RFC 8446 §4.4.2; RFC 5246 §7.4.2) or a resumed session's
 * stored chain, and the store's certificates with those subjects added
 * to the trust list GnuTLS verifies against.
 *
 * Names are the DER of the issuer and subject fields of the
 * TBSCertificate (RFC 5280 §4.1), compared byte for byte as GnuTLS does
 * when it looks a trust anchor up. Only the outer structure is walked
 * here (X.690 §8.1 tag-length-value); GnuTLS still parses and checks
 * every certificate it uses.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "trust.h"
#include "trust_int.h"

/* The names to look up for one presented certificate. */
static void
want_cert(struct trust_want *w, const unsigned char *der, size_t len)
{
	struct trust_name is, su;

	if (trust_cert_names(der, len, &is, &su) == -1 ||
	    w->n + 2 > TRUST_WANT)
		return;
	w->name[w->n++] = is;
	w->name[w->n++] = su;
}

/* Without an index: the start of every certificate of the bundle is
 * decoded, up to its subject, and only the wanted ones are handed to
 * GnuTLS (a subject beyond TRUST_PREFIX octets: the whole block). */
static void
trust_scan(struct trust *tr, const struct trust_want *w)
{
	unsigned char buf[TRUST_PREFIX];
	struct trust_map m;
	struct trust_name su;
	gnutls_datum_t der;
	size_t off = 0, b, e;

	if (trust_map(tr->bundle, &m) == -1)
		return;
	while (trust_next_pem(&m, &off, &b, &e) == 0) {
		if (trust_pem_subject(&m, b, e, buf, sizeof(buf), &su) == 0) {
			if (trust_wanted(w, su.p, su.len))
				(void)trust_add_pem(tr, &m, b, e);
		} else if (trust_pem_subject_full(&m, b, e, &der, &su) == 0) {
			if (trust_wanted(w, su.p, su.len))
				(void)trust_add_der(tr, der.data, der.size);
			gnutls_free(der.data);
		}
	}
	trust_unmap(&m);
}

static void
trust_lookup(struct trust *tr, const struct trust_want *w)
{
	if (w->n == 0)
		return;
	if (tr->index[0] != '\0' && trust_index_lookup(tr, w) == 0)
		return;
	trust_scan(tr, w);
}

void
trust_add_for(struct trust *tr, const gnutls_datum_t *certs, unsigned n)
{
	struct trust_want w;
	unsigned i;

	w.n = 0;
	for (i = 0; i < n; i++)
		want_cert(&w, certs[i].data, certs[i].size);
	trust_lookup(tr, &w);
}

void
trust_file(struct trust *tr, const char *path)
{
	memset(tr, 0, sizeof(*tr));
	tr->bundle = path;
}

int
trust_bind_begin(struct trust_bind *b)
{
	memset(b, 0, sizeof(*b));
	b->nb = LLONG_MIN;
	b->na = LLONG_MAX;
	return gnutls_hash_init(&b->h, GNUTLS_DIG_SHA256) < 0 ? -1 : 0;
}

int
trust_bind_end(struct trust_bind *b, unsigned char out[32])
{
	gnutls_hash_deinit(b->h, out);
	return b->bad || b->nb >= b->na ? -1 : 0;
}

int
trust_bind_chain(struct trust *tr, const gnutls_datum_t *certs, unsigned n,
    struct trust_bind *b)
{
	gnutls_certificate_credentials_t cred = tr->cred;
	unsigned i;

	for (i = 0; i < n; i++)
		trust_bind_cert(b, certs[i].data, certs[i].size);
	tr->cred = NULL;
	tr->bind = b;
	trust_add_for(tr, certs, n);
	tr->cred = cred;
	tr->bind = NULL;
	return b->bad ? -1 : 0;
}

/* 24-bit and 16-bit lengths of the TLS presentation language. */
static size_t
be(const unsigned char *p, int n)
{
	size_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

void
trust_add_for_msg(struct trust *tr, const gnutls_datum_t *msg, int tls13)
{
	const unsigned char *p = msg->data, *end = msg->data + msg->size;
	struct trust_want w;
	size_t l;

	w.n = 0;
	if (tls13) {		/* certificate_request_context<0..2^8-1> */
		if (end - p < 1 || (size_t)(end - p) < 1 + (size_t)p[0])
			return;
		p += 1 + p[0];
	}
	if (end - p < 3 || (l = be(p, 3)) != (size_t)(end - p - 3))
		return;
	for (p += 3; end - p >= 3; p += l) {
		l = be(p, 3);
		p += 3;
		if ((size_t)(end - p) < l)
			return;
		want_cert(&w, p, l);
		if (!tls13)
			continue;
		p += l;		/* extensions<0..2^16-1> */
		if (end - p < 2 || (size_t)(end - p - 2) < be(p, 2))
			return;
		l = 2 + be(p, 2);
	}
	trust_lookup(tr, &w);
}

int
trust_system(struct trust *tr, gnutls_certificate_credentials_t cred,
    const char *cache_dir, struct err *e)
{
	const char *env = secure_getenv("RELAYMAIL_SYSTEM_TRUST");
	int n;

	memset(tr, 0, sizeof(*tr));
	tr->cred = cred;
	tr->bundle = env != NULL && env[0] == '/' ? env : TRUST_SYSTEM_BUNDLE;
	if (access(tr->bundle, R_OK) == -1)
		return err_set(e, EX_CONFIG, "no system trust store (%s: %s): "
		    "install ca-certificates or set tls_ca_file", tr->bundle,
		    strerror(errno));
	if (cache_dir != NULL && cache_dir[0] != '\0') {
		n = snprintf(tr->index, sizeof(tr->index), "%s/trust-index",
		    cache_dir);
		if (n < 0 || (size_t)n >= sizeof(tr->index))
			tr->index[0] = '\0';
	}
	return 0;
}
