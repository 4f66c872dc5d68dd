/*
 * auth.h - SMTP AUTH (RFC 4954) with the SASL mechanisms PLAIN (RFC
 * 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-256 (RFC 7677 / 5802),
 * XOAUTH2, OAUTHBEARER (RFC 7628) and EXTERNAL (RFC 4422 app. A).
 *
 * The encoders are pure functions writing into caller buffers (so they
 * can be tested against the RFC vectors and their output wiped). The
 * caller wipes every buffer that held a secret (secret_bzero). The
 * exchange itself (auth_run, auth_finish) works on a relay session and
 * redacts every SASL line in the transcript.
 *
 * Errors: EX_UNAVAILABLE when the chosen mechanism is not offered or
 * AUTH would cross in plaintext, EX_CONFIG when credentials are missing,
 * EX_NOPERM for 535 / X.7.8, EX_TEMPFAIL for 454, EX_PROTOCOL for a
 * malformed challenge or a SCRAM server signature that does not verify.
 */
#ifndef RELAYMAIL_AUTH_H
#define RELAYMAIL_AUTH_H

#include <stddef.h>
#include "conf.h"
#include "err.h"
#include "relay.h"

/* "PLAIN", "CRAM-MD5", ...; "none" for AUTH_NONE, "auto" for AUTH_AUTO. */
const char *auth_mech_name(enum auth_mech);
/* 1 when mechanism name is in the space-separated list (any case). */
int	 auth_offered(const char *list, const char *name);
/*
 * The mechanism to use: want (from `auth`), whether a user is
 * configured, what the relay offers and whether TLS protects the
 * session. auto: none without user; else the strongest both sides have
 * (SCRAM-SHA-256, then PLAIN before CRAM-MD5 over TLS, CRAM-MD5 before
 * PLAIN without it, then LOGIN); XOAUTH2/OAUTHBEARER/EXTERNAL only when
 * chosen explicitly.
 */
int	 auth_choose(enum auth_mech want, const char *user,
	    const char *offered, int tls, enum auth_mech *out, struct err *);

/* Base64 (RFC 4648 §4). Encode fails when out[cap] is too small
 * (including NUL); decode fails on bad input or a full out. */
int	 auth_b64_encode(const void *in, size_t len, char *out, size_t cap,
	    size_t *olen);
int	 auth_b64_decode(const char *in, size_t len, unsigned char *out,
	    size_t cap, size_t *olen);

/* Raw (not yet base64) client messages; -1 when out[cap] is short. */
int	 auth_plain_msg(const char *user, const char *pass, char *out,
	    size_t cap, size_t *olen);
int	 auth_cram_md5_msg(const char *user, const char *pass, size_t plen,
	    const unsigned char *chal, size_t clen, char *out, size_t cap,
	    size_t *olen);
int	 auth_xoauth2_msg(const char *user, const char *token, char *out,
	    size_t cap, size_t *olen);
int	 auth_oauthbearer_msg(const char *user, const char *host, int port,
	    const char *token, char *out, size_t cap, size_t *olen);

/* SCRAM-SHA-256 client state (RFC 5802 §3). */
struct auth_scram {
	char		 nonce[64];		/* client nonce */
	char		 first_bare[BOUNDS_ADDR * 3 + 80];
	unsigned char	 server_sig[32];	/* expected ServerSignature */
};
/* client-first-message; nonce NULL: a random one. */
int	 auth_scram_first(struct auth_scram *, const char *user,
	    const char *nonce, char *out, size_t cap, size_t *olen,
	    struct err *);
/* client-final-message for server-first sf[sflen]. */
int	 auth_scram_final(struct auth_scram *, const char *pass, size_t plen,
	    const char *sf, size_t sflen, char *out, size_t cap, size_t *olen,
	    struct err *);
/* Verify server-final-message "v=..." (EX_PROTOCOL when it fails). */
int	 auth_scram_verify(const struct auth_scram *, const char *sfinal,
	    size_t len, struct err *);

/*
 * Authenticate the session with mech (not AUTH_NONE). With defer (only
 * for PLAIN with an initial response), the AUTH line is left in the
 * write buffer and s->auth_pending set: auth_finish() reads its reply
 * later (pipelined with MAIL/RCPT/DATA). Sets s->auth_used.
 */
int	 auth_run(struct relay_session *, enum auth_mech, int defer,
	    struct err *);
/* Read the reply to a deferred AUTH (s->auth_pending). */
int	 auth_finish(struct relay_session *, struct err *);
/* 1 when mech can be deferred this way (PLAIN whose line fits). */
int	 auth_can_defer(const struct relay_session *, enum auth_mech);

#endif
