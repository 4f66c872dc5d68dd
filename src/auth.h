/*
 * auth.h - SMTP AUTH (RFC 4954) with the SASL mechanisms PLAIN (RFC
 * 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-256 (RFC 7677 / 5802),
 * XOAUTH2, OAUTHBEARER (RFC 7628) and EXTERNAL (RFC 4422 app. A).
 *
 * The messages are built by sasl.c; here the mechanism is chosen and the
 * exchange (auth_run, auth_finish) runs on a relay session, redacting
 * every SASL line in the transcript and wiping every buffer that held a
 * secret.
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
 * chosen explicitly (relay.c passes XOAUTH2 or OAUTHBEARER for auto when
 * the account has the built-in OAuth2 client). A refusal's message holds
 * every line of the reply, and, for a password_command secret sent with
 * auto to a relay offering XOAUTH2/OAUTHBEARER, a hint to set auth.
 */
int	 auth_choose(enum auth_mech want, const char *user,
	    const char *offered, int tls, enum auth_mech *out, struct err *);

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
