/*
 * trust_der.c - the parts of the lazy trust store that trust.c and
 * trust_index.c both use (contract in trust_int.h): the outer DER of a
 * certificate (X.690 §8.1 tag-length-value) and its issuer and subject
 * Names (RFC 5280 §4.1), the bundle mapped read-only, its PEM blocks
 * (RFC 7468 §2) and their base64 (RFC 4648 §4), a certificate's
 * validity (RFC 5280 §4.1.2.5) and its part of a binding digest, and
 * adding one CA to the trust list. It calls neither of those files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "trust.h"
#include "trust_int.h"

/* The length octets at *q (X.690 §8.1.3: definite form, here at most
 * four octets long) in *len; *q moves past them. */
static int
der_len(const unsigned char **q, const unsigned char *end, size_t *len)
{
	const unsigned char *r = *q;
	size_t l, nb;

	if (r >= end)
		return -1;
	l = *r++;
	if (l & 0x80) {
		nb = l & 0x7f;
		if (nb == 0 || nb > 4 || (size_t)(end - r) < nb)
			return -1;
		for (l = 0; nb > 0; nb--)
			l = (l << 8) | *r++;
	}
	*q = r;
	*len = l;
	return 0;
}

int
trust_der_next(const unsigned char **p, const unsigned char *end,
    unsigned *tag, const unsigned char **val, size_t *len)
{
	const unsigned char *q = *p;
	size_t l;

	if (end - q < 2 || (q[0] & 0x1f) == 0x1f)
		return -1;
	*tag = *q++;
	if (der_len(&q, end, &l) == -1 || (size_t)(end - q) < l)
		return -1;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

/* The header of a SEQUENCE at *p; its content ends at *vend, clipped
 * to end when only a prefix of the certificate is at hand. */
static int
der_open(const unsigned char **p, const unsigned char *end, int prefix,
    const unsigned char **vend)
{
	const unsigned char *q = *p;
	size_t l;

	if (end - q < 2 || q[0] != 0x30)
		return -1;
	q++;
	if (der_len(&q, end, &l) == -1)
		return -1;
	if ((size_t)(end - q) < l) {
		if (!prefix)
			return -1;
		l = (size_t)(end - q);
	}
	*p = q;
	*vend = q + l;
	return 0;
}

/* The first six fields of a TBSCertificate (RFC 5280 §4.1): version
 * (empty for a v1 certificate), serialNumber, signature, issuer,
 * validity, subject, each with its tag and length. */
static int
tbs_fields(const unsigned char *der, size_t len, int prefix,
    struct trust_name f[6])
{
	const unsigned char *p = der, *end = der + len, *v, *start;
	unsigned tag;
	size_t l;
	int i;

	/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... } } */
	if (der_open(&p, end, prefix, &end) == -1 ||
	    der_open(&p, end, prefix, &end) == -1)
		return -1;
	for (i = 0; i < 6; i++) {
		start = p;
		if (trust_der_next(&p, end, &tag, &v, &l) == -1)
			return -1;
		if (i == 0 && tag != 0xa0) {
			f[0].p = start;		/* v1: no version field */
			f[0].len = 0;
			i++;
		}
		if ((i == 3 || i == 4 || i == 5) && tag != 0x30)
			return -1;
		f[i].p = start;
		f[i].len = (size_t)(p - start);
	}
	return 0;
}

static int
cert_names(const unsigned char *der, size_t len, int prefix,
    struct trust_name *issuer, struct trust_name *subject)
{
	struct trust_name f[6];

	if (tbs_fields(der, len, prefix, f) == -1)
		return -1;
	*issuer = f[3];
	*subject = f[5];
	return 0;
}

/* Two decimal digits at s. */
static int
dd(const unsigned char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* A UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime
 * (YYYYMMDDHHMMSSZ), the only forms RFC 5280 §4.1.2.5 allows, as Unix
 * seconds. */
static int
der_time(const unsigned char **p, const unsigned char *end, long long *out)
{
	const unsigned char *v;
	unsigned tag;
	size_t l;
	int f[5], i, y, c;
	struct tm tm;

	if (trust_der_next(p, end, &tag, &v, &l) == -1 ||
	    !((tag == 0x17 && l == 13) || (tag == 0x18 && l == 15)) ||
	    v[l - 1] != 'Z' || (y = dd(v)) == -1)
		return -1;
	if (tag == 0x18) {
		if ((c = dd(v + 2)) == -1)
			return -1;
		y = y * 100 + c;
		v += 4;
	} else {
		y += y < 50 ? 2000 : 1900;
		v += 2;
	}
	for (i = 0; i < 5; i++)
		if ((f[i] = dd(v + 2 * i)) == -1)
			return -1;
	if (f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 ||
	    f[3] > 59 || f[4] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = f[0] - 1;
	tm.tm_mday = f[1];
	tm.tm_hour = f[2];
	tm.tm_min = f[3];
	tm.tm_sec = f[4];
	*out = (long long)timegm(&tm);
	return 0;
}

int
trust_cert_validity(const unsigned char *der, size_t len, long long *nb,
    long long *na)
{
	struct trust_name f[6];
	const unsigned char *p, *end;
	unsigned tag;
	const unsigned char *v;
	size_t l;

	if (tbs_fields(der, len, 0, f) == -1)
		return -1;
	p = f[4].p;
	if (trust_der_next(&p, f[4].p + f[4].len, &tag, &v, &l) == -1)
		return -1;
	p = v;
	end = v + l;
	return der_time(&p, end, nb) == -1 || der_time(&p, end, na) == -1 ||
	    p != end ? -1 : 0;
}

void
trust_bind_cert(struct trust_bind *b, const unsigned char *der,
    size_t len)
{
	unsigned char n[4] = { (unsigned char)(len >> 24),
	    (unsigned char)(len >> 16), (unsigned char)(len >> 8),
	    (unsigned char)len };
	long long nb, na;

	if (trust_cert_validity(der, len, &nb, &na) == -1) {
		b->bad = 1;
		return;
	}
	if (nb > b->nb)
		b->nb = nb;
	if (na < b->na)
		b->na = na;
	if (gnutls_hash(b->h, n, sizeof(n)) < 0 ||
	    gnutls_hash(b->h, der, len) < 0)
		b->bad = 1;
}

int
trust_cert_names(const unsigned char *der, size_t len,
    struct trust_name *issuer, struct trust_name *subject)
{
	return cert_names(der, len, 0, issuer, subject);
}

int
trust_cert_names_prefix(const unsigned char *der, size_t len,
    struct trust_name *issuer, struct trust_name *subject)
{
	return cert_names(der, len, 1, issuer, subject);
}

int
trust_wanted(const struct trust_want *w, const unsigned char *p,
    size_t len)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->name[i].len == len && memcmp(w->name[i].p, p,
		    len) == 0)
			return 1;
	return 0;
}

int
trust_add_der(struct trust *tr, const unsigned char *der, size_t len)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };

	if (tr->bind != NULL)
		trust_bind_cert(tr->bind, der, len);
	if (tr->cred == NULL)
		return 0;
	gnutls_certificate_get_trust_list(tr->cred, &tl);
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -1;
	}
	/* The list owns crt from here, also a duplicate (it frees that). */
	if (gnutls_x509_trust_list_add_cas(tl, &crt, 1,
	    GNUTLS_TL_NO_DUPLICATES) < 0)
		return -1;
	return 0;
}

/* Map the bundle read-only; its size is capped (trust_int.h). */
int
trust_map(const char *path, struct trust_map *m)
{
	struct stat st;
	int fd;

	memset(m, 0, sizeof(*m));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > TRUST_BUNDLE_MAX) {
		close(fd);
		return -1;
	}
	m->len = (size_t)st.st_size;
	m->st = st;
	m->p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m->p == MAP_FAILED) {
		m->p = NULL;
		return -1;
	}
	return 0;
}

void
trust_unmap(struct trust_map *m)
{
	if (m->p != NULL)
		munmap(m->p, m->len);
	m->p = NULL;
}

/* The next PEM certificate at or after *off: its block [*b, *e). */
int
trust_next_pem(const struct trust_map *m, size_t *off, size_t *b,
    size_t *e)
{
	static const char beg[] = "-----BEGIN CERTIFICATE-----";
	static const char fin[] = "-----END CERTIFICATE-----";
	const char *base = m->p, *s, *t;

	if (*off >= m->len)
		return -1;
	if ((s = memmem(base + *off, m->len - *off, beg, sizeof(beg) - 1))
	    == NULL)
		return -1;
	t = memmem(s, m->len - (size_t)(s - base), fin, sizeof(fin) - 1);
	if (t == NULL)
		return -1;
	*b = (size_t)(s - base);
	*e = (size_t)(t - base) + sizeof(fin) - 1;
	*off = *e;
	return 0;
}

int
trust_pem_der(const struct trust_map *m, size_t b, size_t e,
    gnutls_datum_t *der)
{
	gnutls_datum_t pem = { (unsigned char *)m->p + b, (unsigned)(e - b) };

	return gnutls_pem_base64_decode2("CERTIFICATE", &pem, der) < 0 ?
	    -1 : 0;
}

/* RFC 4648 §4 base64 digits: 0-63, 64 for white space (RFC 7468 §2:
 * line breaks inside a PEM body), 65 for anything else. */
static const unsigned char b64_tab[256] = {
	65, 65, 65, 65, 65, 65, 65, 65, 65, 64, 64, 65, 65, 64, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	64, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 62, 65, 65, 65, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 65, 65, 65, 65, 65, 65,
	65,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 65, 65, 65, 65, 65,
	65, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
};

/* The base64 of a PEM body from s up to the first other character (the
 * '=' pad or the END line), at most cap octets. */
static size_t
b64_decode(const char *s, const char *end, unsigned char *out, size_t cap)
{
	unsigned v = 0, bits = 0, d;
	size_t n = 0;

	for (; s < end && n < cap; s++) {
		if ((d = b64_tab[(unsigned char)*s]) >= 64) {
			if (d == 64)
				continue;
			break;
		}
		v = (v << 6) | d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return n;
}

int
trust_pem_subject(const struct trust_map *m, size_t b, size_t e,
    unsigned char *buf, size_t cap, struct trust_name *subject)
{
	const char *s = m->p + b, *end = m->p + e;
	struct trust_name is;
	size_t n, want;

	/* the body starts after the BEGIN line */
	if ((s = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return -1;
	/* the subject is usually within the first 512 octets */
	for (want = 512; ; want *= 2) {
		if (want > cap)
			want = cap;
		n = b64_decode(s + 1, end, buf, want);
		if (trust_cert_names_prefix(buf, n, &is, subject) == 0)
			return 0;
		if (n < want || want == cap)
			return -1;
	}
}

int
trust_pem_subject_full(const struct trust_map *m, size_t b, size_t e,
    gnutls_datum_t *der, struct trust_name *subject)
{
	struct trust_name is;

	if (trust_pem_der(m, b, e, der) == -1)
		return -1;
	if (trust_cert_names(der->data, der->size, &is, subject) == -1) {
		gnutls_free(der->data);
		der->data = NULL;
		return -1;
	}
	return 0;
}

/* Decode the whole block and add it. */
int
trust_add_pem(struct trust *tr, const struct trust_map *m, size_t b,
    size_t e)
{
	gnutls_datum_t der;
	int rc;

	if (trust_pem_der(m, b, e, &der) == -1)
		return -1;
	rc = trust_add_der(tr, der.data, der.size);
	gnutls_free(der.data);
	return rc;
}
