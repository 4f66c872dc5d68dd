/*
 * tls_int.h - what tls.c (session, handshake, record I/O) and
 * tls_verify.c (checks after the handshake, certificate data, pins,
 * the version floor) share; tls.c calls tls_verify.c, never the other
 * way. Private to those two files; tls.h is the interface towards
 * conn.c, conn.h the one for everyone else.
 */
#ifndef RELAYMAIL_TLS_INT_H
#define RELAYMAIL_TLS_INT_H

#include <gnutls/gnutls.h>

#include "conn.h"

/* The system-wide GnuTLS policy file, unless $GNUTLS_SYSTEM_PRIORITY_FILE
 * names another (GnuTLS reads the same). */
#ifndef TLS_SYSTEM_POLICY
#define TLS_SYSTEM_POLICY	"/etc/gnutls/config"
#endif

/* tls_verify.c: the error for a relay that offers only a TLS version below
 * tls_min_version (RFC 8996). Returns -1. */
int	 tls_too_old(const struct conn *, const struct tls_params *,
	    struct err *);

/* tls_verify.c: have the handshake verify the chain, the host name and
 * the purpose "TLS WWW server" (RFC 5280 §4.2.1.12). vdata[2] and name
 * must live as long as the session. */
void	 tls_verify_purpose(gnutls_session_t, const char *name,
	    gnutls_typed_vdata_st *vdata);
/* tls_verify.c: the error for a certificate GnuTLS refused, with its
 * reasons, what the certificate says and the key that fixes it.
 * Returns -1. */
int	 tls_verify_failed(struct conn *, const struct tls_params *,
	    struct err *);
/* tls_verify.c: after the handshake: the version floor, c->tlsinfo's
 * version and cipher (and, for -v and tls_pin, the leaf certificate's
 * data), tls_pin checked. */
int	 tls_verify_after(struct conn *, const struct tls_params *,
	    struct err *);
/* tls_verify.c: the binding of the session's verified chain (tls_cache.h):
 * 0 with *out set, or -1 (no binding: tls_verify = no, a chain that
 * cannot be decoded). lazy: the system store, when it is used. */
struct trust;
struct tls_cache_bind;
int	 tls_verify_bind(gnutls_session_t, const struct tls_params *,
	    const char *name, struct trust *lazy, struct tls_cache_bind *out);
/* tls_verify.c: version, cipher and certificate data on the -v trace. */
void	 tls_verify_trace(const struct conn *, const struct tls_params *);

#endif
