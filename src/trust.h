/*
 * trust.h - the system trust store, loaded lazily (relaymail(8): TLS
 * fails closed). Private to tls.c.
 *
 * Parsing every CA of the system bundle for one send costs far more
 * than the whole handshake. Instead, only the store's certificates whose
 * subject is the issuer or the subject of a certificate the relay
 * presented are added to the credentials' trust list, just before
 * GnuTLS verifies the chain. GnuTLS's chain building only ever looks a
 * trust anchor up by those names (RFC 5280 §6.1: the issuer of a path's
 * last certificate, or a presented certificate that is itself trusted),
 * compared as raw DER, so verification sees the same candidates as with
 * the full store: the same chains and the same failures.
 *
 * The bundle is the file GnuTLS itself uses (TRUST_SYSTEM_BUNDLE, fixed
 * at build time). For tests only, $RELAYMAIL_SYSTEM_TRUST names another
 * file; it is read with secure_getenv(), so a setgid run (which holds
 * the system account's password) never honours it: a user cannot move
 * the system config's trust to a CA of their own.
 *
 * Lookups go through an index file (trust_index.c) rebuilt whenever the
 * bundle's device, inode, size or modification time change; a lookup
 * whose certificate no longer carries the indexed name falls back to a
 * scan of the bundle. Errors while loading only leave the trust list
 * without the CA, so verification fails: never open.
 */
#ifndef RELAYMAIL_TRUST_H
#define RELAYMAIL_TRUST_H

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include "err.h"

#ifndef TRUST_SYSTEM_BUNDLE
#define TRUST_SYSTEM_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"
#endif

/*
 * A binding digest under construction (trust_bind_chain): SHA-256 over
 * certificates, each as a 4-octet length and its DER, and the time in
 * which all of them are valid. bad: one could not be decoded.
 */
struct trust_bind {
	gnutls_hash_hd_t h;
	long long	 nb;			/* latest notBefore */
	long long	 na;			/* earliest notAfter */
	int		 bad;
};

struct trust {
	const char	*bundle;		/* system bundle path */
	char		 index[4096];		/* index file, "" for none */
	gnutls_certificate_credentials_t cred;	/* NULL: add nothing */
	struct trust_bind *bind;		/* during trust_bind_chain() */
};

/*
 * Use the system store for cred: checks that the bundle can be read
 * (EX_CONFIG "no system trust store" otherwise). cache_dir is where the
 * index may live (NULL or "": none, the bundle is scanned).
 */
int	 trust_system(struct trust *, gnutls_certificate_credentials_t cred,
	    const char *cache_dir, struct err *);
/* Start b (SHA-256, an unbounded window): 0, or -1. */
int	 trust_bind_begin(struct trust_bind *b);
/* End b: its digest in out; -1 when b is bad or its window is empty. */
int	 trust_bind_end(struct trust_bind *b, unsigned char out[32]);
/* A CA file (tls_ca_file) read the same way, without an index: only
 * for trust_bind_chain (GnuTLS loads the file itself for verification). */
void	 trust_file(struct trust *, const char *path);
/*
 * Feed b with the chain certs[n] and then with every certificate of the
 * store that trust_add_for() would add for it, in the order found: all
 * that GnuTLS's chain building can use for this chain (see above). A
 * later identical digest means the same chain meets the same
 * candidates; b->nb and b->na bound the time in which all of them are
 * valid. Adds nothing to the trust list. -1 when a certificate cannot
 * be decoded (no binding).
 */
int	 trust_bind_chain(struct trust *, const gnutls_datum_t *certs, unsigned n,
	    struct trust_bind *b);
/* The body of the relay's Certificate handshake message (RFC 8446
 * §4.4.2 when tls13, else RFC 5246 §7.4.2), seen before GnuTLS checks
 * the chain: add the store's CAs for the certificates in it. */
void	 trust_add_for_msg(struct trust *, const gnutls_datum_t *msg,
	    int tls13);
/* Add the store's CAs for these DER certificates (a resumed session's
 * stored chain). */
void	 trust_add_for(struct trust *, const gnutls_datum_t *certs,
	    unsigned n);

#endif
