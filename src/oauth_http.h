/*
 * oauth_http.h - one POST to an OAuth2 endpoint and its JSON answer
 * (RFC 6749 §4.1.3, §5.1, §5.2, §6; RFC 8628 §3.1-§3.5), with libcurl
 * and json-c.
 *
 * Only https, verified TLS (the account's oauth_ca_file or the system
 * store), no redirects, no proxy and nothing from the environment: the
 * form carries the refresh token and the client secret, so nothing but
 * the configured URL may receive it. Bodies are never traced; every
 * buffer that held one is wiped.
 *
 * oauth_http_post() returns 0 for a 2xx answer (fields filled) and for a
 * 4xx answer carrying an RFC 6749 §5.2 error (r->error set); -1 with
 * EX_TEMPFAIL for an unreachable endpoint, a timeout, 5xx or 429,
 * EX_UNAVAILABLE for a TLS verification failure or a 4xx without an
 * error, EX_PROTOCOL for a body that is not a JSON object.
 */
#ifndef RELAYMAIL_OAUTH_HTTP_H
#define RELAYMAIL_OAUTH_HTTP_H

#include <stdio.h>
#include "bounds.h"
#include "err.h"
#include "oauth_store.h"

struct oauth_http {
	const char	*url;
	const char	*ca_file;	/* NULL: system trust store */
	int		 timeout;	/* seconds for the whole request */
	FILE		*trace;		/* -v, or NULL */
};

struct oauth_reply {
	long		 status;		/* HTTP status */
	char		 error[64];		/* RFC 6749 §5.2, "" */
	char		 error_desc[256];
	struct oauth_tokens tok;		/* §5.1; expires_at from
						 * expires_in, 0 if absent */
	/* RFC 8628 §3.2 device authorization response. */
	char		 device_code[BOUNDS_OAUTH_CODE];
	char		 user_code[128];
	char		 verification_uri[BOUNDS_OAUTH_URL];
	char		 verification_uri_complete[BOUNDS_OAUTH_URL];
	long		 expires_in, interval;	/* 0 when absent */
};

int	 oauth_http_post(const struct oauth_http *, const char *form,
	    size_t len, struct oauth_reply *, struct err *);
/* The JSON body of an answer with HTTP status into r (what
 * oauth_http_post does after the transfer). For the fuzz target. */
int	 oauth_http_parse(const char *url, long status, const char *body,
	    size_t len, struct oauth_reply *, struct err *);
/* Wipe what a reply holds (tokens, device code). */
void	 oauth_reply_wipe(struct oauth_reply *);
/*
 * Append "name=value" (with "&" when form is not empty), both
 * application/x-www-form-urlencoded (RFC 6749 appendix B), to form[cap]
 * at *len. -1 when it does not fit.
 */
int	 oauth_http_form(char *form, size_t cap, size_t *len,
	    const char *name, const char *value);
/* Percent-encode value into out[cap] (for URLs we print). -1: short. */
int	 oauth_http_escape(const char *value, char *out, size_t cap);

#endif
