/*
 * sasl.h - SASL client messages without I/O (RFC 4648, 4616, 2195, 7628,
 * 5802, 7677): base64 and the client side of each mechanism relaymail
 * speaks, for auth.c to send. Functions return 0 or -1 (out too small,
 * bad input); the caller wipes outputs that hold secrets.
 */
#ifndef RELAYMAIL_SASL_H
#define RELAYMAIL_SASL_H

#include <stddef.h>
#include "bounds.h"
#include "err.h"

/* Raw (not yet base64) client messages; -1 when out[cap] is short. */
int	 sasl_plain(const char *user, const char *pass, char *out,
	    size_t cap, size_t *olen);
int	 sasl_cram_md5(const char *user, const char *pass, size_t plen,
	    const unsigned char *chal, size_t clen, char *out, size_t cap,
	    size_t *olen);
int	 sasl_xoauth2(const char *user, const char *token, char *out,
	    size_t cap, size_t *olen);
int	 sasl_oauthbearer(const char *user, const char *host, int port,
	    const char *token, char *out, size_t cap, size_t *olen);

/* SCRAM-SHA-256 client state (RFC 5802 §3). */
struct sasl_scram {
	char		 nonce[64];		/* client nonce */
	char		 first_bare[BOUNDS_ADDR * 3 + 80];
	unsigned char	 server_sig[32];	/* expected ServerSignature */
};
/* client-first-message; nonce NULL: a random one. */
int	 sasl_scram_first(struct sasl_scram *, const char *user,
	    const char *nonce, char *out, size_t cap, size_t *olen,
	    struct err *);
/* client-final-message for server-first sf[sflen]. */
int	 sasl_scram_final(struct sasl_scram *, const char *pass, size_t plen,
	    const char *sf, size_t sflen, char *out, size_t cap, size_t *olen,
	    struct err *);
/* Verify server-final-message "v=..." (EX_PROTOCOL when it fails). */
int	 sasl_scram_verify(const struct sasl_scram *, const char *sfinal,
	    size_t len, struct err *);

#endif
