/*
 * tls_int.h - what tls.c (session, handshake, record I/O) and
 * tls_verify.c (checks after the handshake, certificate data, pins,
 * the version floor) share; tls.c calls tls_verify.c, never the other
 * way. Private to those two files; tls.h is the interface towards
 * conn.c, conn.h the one for everyone else.
 */
#ifndef RELAYMAIL_TLS_INT_H
#define RELAYMAIL_TLS_INT_H

#include "conn.h"

/* tls_verify.c: the error for a relay that offers only a TLS version below
 * tls_min_version (RFC 8996). Returns -1. */
int	 tls_too_old(const struct conn *, const struct account *,
	    struct err *);

/* tls_verify.c: the error for a certificate GnuTLS refused, with its
 * reasons. Returns -1. */
int	 tls_verify_failed(struct conn *, struct err *);
/* tls_verify.c: after the handshake: the version floor, c->tlsinfo
 * filled from the leaf certificate, tls_pin checked. */
int	 tls_verify_after(struct conn *, const struct account *,
	    struct err *);
/* tls_verify.c: version, cipher and certificate data on the -v trace. */
void	 tls_verify_trace(const struct conn *, const struct account *);

#endif
