/*
 * oauth.h - OAuth2 built in (RFC 6749, RFC 8628 device flow, RFC 7636
 * PKCE, RFC 8252 loopback redirect, RFC 7628 / XOAUTH2 at the relay).
 *
 * An account with oauth_client_id authenticates with an access token
 * instead of a password. oauth_token() puts a usable one in a->password:
 * the cached token when it is valid for at least OAUTH_MARGIN more
 * seconds, else a fresh one from the refresh token (RFC 6749 §6), taken
 * under the token file's lock so that concurrent senders refresh once.
 * oauth_authorize() is the first-time consent (--authorize).
 *
 * Errors: EX_TEMPFAIL when the token endpoint is unreachable, times out
 * or answers 5xx; EX_NOPERM for invalid_grant (consent revoked, refresh
 * token expired) or no token yet, with a message naming `relaymail
 * --authorize ACCOUNT`; EX_CONFIG for invalid_client and other client
 * configuration errors; the oauth_store.h errors for the token file.
 */
#ifndef RELAYMAIL_OAUTH_H
#define RELAYMAIL_OAUTH_H

#include <stdio.h>
#include "conf.h"
#include "err.h"

/* A token must stay valid this long after we start using it. */
#define OAUTH_MARGIN	60

/* Whether the account uses the built-in OAuth2 client. */
int	 oauth_enabled(const struct account *);
/*
 * Fill a->password with an access token. force: the relay refused the
 * one in a->password (RFC 7628 §3.2.3); take the cached one when another
 * sender has already replaced it, else refresh. system: a->file is the
 * system config (token file rules of oauth_store.h).
 */
int	 oauth_token(struct account *a, int force, FILE *trace, struct err *);
/*
 * --authorize: the device flow (RFC 8628) when the account has a device
 * endpoint, else the authorization-code flow with PKCE on a loopback
 * redirect, also accepting the redirected URL pasted on in. Prints the
 * instructions to out; stores the tokens.
 */
int	 oauth_authorize(struct account *a, FILE *in, FILE *out, FILE *trace,
	    struct err *);
/* --dry-run, --probe: the token file, expiry and scope; never a token. */
void	 oauth_describe(const struct account *a, FILE *out);
/* --check-config: problems with the token file of every OAuth2 account
 * are printed to out; returns how many. */
int	 oauth_check_files(const struct conf *, FILE *out);

/* Shared by oauth.c and oauth_flow.c: the endpoints and scope after the
 * provider defaults, and the class of a token endpoint error. */
struct oauth_endpoints {
	char	 token[BOUNDS_OAUTH_URL], device[BOUNDS_OAUTH_URL];
	char	 auth[BOUNDS_OAUTH_URL], scope[BOUNDS_OAUTH_SCOPE];
};
int	 oauth_endpoints(const struct account *, struct oauth_endpoints *,
	    struct err *);
struct oauth_reply;
struct oauth_file;
void	 oauth_file_of(const struct account *, struct oauth_file *);
/* Map an RFC 6749 §5.2 error of the token endpoint to an exit code. */
int	 oauth_grant_error(const struct account *, const struct oauth_reply *,
	    struct err *);

#endif
