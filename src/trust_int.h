/*
 * trust_int.h - what the files of the trust module share (private):
 *	trust.c		the entry: names a chain needs, lookup, the scan
 *	trust_index.c	the index file of the bundle
 *	trust_der.c	DER names, the mapped bundle, PEM and base64, adding
 *			one CA (called by both, calls neither)
 */
#ifndef RELAYMAIL_TRUST_INT_H
#define RELAYMAIL_TRUST_INT_H

#include <stddef.h>
#include <sys/stat.h>
#include "trust.h"

/* A bundle larger than this is not mapped (Debian's is about 220 KB for
 * 140 CAs); the CAs of a larger one are not found: verification fails. */
#define TRUST_BUNDLE_MAX	(64L * 1024 * 1024)
/* Names looked up per chain: issuer and subject of each certificate of
 * a chain this long (longer chains are refused by GnuTLS anyway). */
#define TRUST_WANT		(2 * 16)
/* Octets of a certificate decoded to find its subject without decoding
 * all of it: real TBSCertificates reach their subject within 1 KB. */
#define TRUST_PREFIX		2048

struct trust_name {
	const unsigned char	*p;	/* DER of a Name, tag included */
	size_t			 len;
};

struct trust_want {
	struct trust_name	 name[TRUST_WANT];
	int			 n;
};

struct trust_map {
	char			*p;
	size_t			 len;
	struct stat		 st;
};

/* One DER tag-length-value at *p (X.690 §8.1.2-8.1.3, low tags only). */
int	 trust_der_next(const unsigned char **p, const unsigned char *end,
	    unsigned *tag, const unsigned char **val, size_t *len);
/* Issuer and subject Name of a DER certificate (RFC 5280 §4.1). */
int	 trust_cert_names(const unsigned char *der, size_t len,
	    struct trust_name *issuer, struct trust_name *subject);
int	 trust_wanted(const struct trust_want *, const unsigned char *,
	    size_t);
/* Feed one DER certificate to b (trust.h). */
void	 trust_bind_cert(struct trust_bind *b, const unsigned char *der,
	    size_t len);
/* notBefore and notAfter of a DER certificate, Unix seconds. */
int	 trust_cert_validity(const unsigned char *der, size_t len,
	    long long *not_before, long long *not_after);
/* Add one DER certificate to the credentials' trust list (none when
 * tr->cred is NULL), and to tr->bind when that is set. */
int	 trust_add_der(struct trust *, const unsigned char *, size_t);
int	 trust_map(const char *path, struct trust_map *);
void	 trust_unmap(struct trust_map *);
/* The next PEM CERTIFICATE block after *off: [*b, *e) in the map. */
int	 trust_next_pem(const struct trust_map *, size_t *off, size_t *b,
	    size_t *e);
/* Its DER (gnutls_free it). */
int	 trust_pem_der(const struct trust_map *, size_t b, size_t e,
	    gnutls_datum_t *der);
/* The same names from the first octets of a certificate (the outer
 * lengths may run past len). */
int	 trust_cert_names_prefix(const unsigned char *der, size_t len,
	    struct trust_name *issuer, struct trust_name *subject);
/* The subject of block [b, e), from its first cap octets decoded into
 * buf (subject points there); -1 when it is not within them. */
int	 trust_pem_subject(const struct trust_map *, size_t b, size_t e,
	    unsigned char *buf, size_t cap, struct trust_name *subject);
/* The same from the whole block: *der gnutls_malloc'ed, subject in it. */
int	 trust_pem_subject_full(const struct trust_map *, size_t b, size_t e,
	    gnutls_datum_t *der, struct trust_name *subject);
/* Decode block [b, e) and add it to the trust list. */
int	 trust_add_pem(struct trust *, const struct trust_map *, size_t b,
	    size_t e);

/* trust_index.c: the wanted CAs through the index, rebuilding it when
 * the bundle changed. -1: the index cannot answer (scan instead). */
int	 trust_index_lookup(struct trust *, const struct trust_want *);

#endif
