/*
 * oauth.c - OAuth2 access tokens at send time (RFC 6749 §5.1 the token
 * response, §5.2 its errors, §6 refreshing an access token; RFC 7628
 * §3.2.3 a refused token is refreshed once and retried by relay.c), the
 * provider defaults, and what --dry-run, --probe and --check-config say
 * about the token file.
 *
 * Refresh under the token file's lock, re-reading the file once the lock
 * is held: of many senders that find the token expiring at the same
 * moment, the first refreshes and the others use what it stored. The
 * refresh token the provider returns (it may rotate, §6) is stored
 * before the access token is used, atomically (oauth_store.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "oauth.h"
#include "oauth_http.h"
#include "oauth_store.h"

static const struct provider {
	const char	*token, *device, *auth, *scope;
} providers[] = {
	[OAUTH_CUSTOM] = { NULL, NULL, NULL, NULL },
	/* Microsoft identity platform v2.0; %s is the tenant. */
	[OAUTH_MICROSOFT] = {
		"https://login.microsoftonline.com/%s/oauth2/v2.0/token",
		"https://login.microsoftonline.com/%s/oauth2/v2.0/devicecode",
		"https://login.microsoftonline.com/%s/oauth2/v2.0/authorize",
		"https://outlook.office.com/SMTP.Send offline_access" },
	/* Google: its device flow does not grant the mail scope, so the
	 * code flow with a loopback redirect is used. */
	[OAUTH_GOOGLE] = {
		"https://oauth2.googleapis.com/token", NULL,
		"https://accounts.google.com/o/oauth2/v2/auth",
		"https://mail.google.com/" },
};

int
oauth_enabled(const struct account *a)
{
	return a->oauth_client_id != NULL;
}

static int
system_conf(const struct account *a)
{
	return a->file != NULL && strcmp(a->file, CONF_SYSTEM_PATH) == 0;
}

void
oauth_file_of(const struct account *a, struct oauth_file *f)
{
	f->path = a->oauth_token_file;
	f->account = a->name;
	f->system = system_conf(a);
}

static int
pick(char *out, size_t cap, const char *set, const char *dflt,
    const char *tenant)
{
	int	 n = 0;

	if (set != NULL)
		n = snprintf(out, cap, "%s", set);
	else if (dflt != NULL)
		n = snprintf(out, cap, dflt, tenant);
	else
		out[0] = '\0';
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
oauth_endpoints(const struct account *a, struct oauth_endpoints *ep,
    struct err *e)
{
	const struct provider	*p = &providers[a->oauth_provider];
	const char		*t = a->oauth_tenant != NULL ? a->oauth_tenant :
				    "common";

	if (pick(ep->token, sizeof(ep->token), a->oauth_token_url, p->token,
	    t) == -1 || pick(ep->device, sizeof(ep->device),
	    a->oauth_device_url, p->device, t) == -1 ||
	    pick(ep->auth, sizeof(ep->auth), a->oauth_auth_url, p->auth, t)
	    == -1 || pick(ep->scope, sizeof(ep->scope), a->oauth_scope,
	    p->scope, t) == -1)
		return err_set(e, EX_CONFIG, "account %s: OAuth2 endpoint URL "
		    "too long", a->name);
	if (ep->token[0] == '\0')
		return err_set(e, EX_CONFIG, "account %s: no oauth_token_url",
		    a->name);
	return 0;
}

int
oauth_grant_error(const struct account *a, const struct oauth_reply *r,
    struct err *e)
{
	const char	*d = r->error_desc;
	const char	*sep = d[0] != '\0' ? ": " : "";

	/* §5.2: the grant is no longer good; only new consent helps. */
	if (strcmp(r->error, "invalid_grant") == 0 ||
	    strcmp(r->error, "access_denied") == 0)
		return err_set(e, EX_NOPERM, "account %s: the OAuth2 provider "
		    "refused the refresh token (%s%s%.200s); run relaymail "
		    "--authorize %s", a->name, r->error, sep, d, a->name);
	if (strcmp(r->error, "temporarily_unavailable") == 0 ||
	    strcmp(r->error, "server_error") == 0)
		return err_set(e, EX_TEMPFAIL, "account %s: OAuth2 provider: "
		    "%s%s%.200s", a->name, r->error, sep, d);
	/* invalid_client, unauthorized_client, invalid_scope, ...: the
	 * client configuration is wrong. */
	return err_set(e, EX_CONFIG, "account %s: the OAuth2 provider "
	    "refused the client (%s%s%.200s); check oauth_client_id, "
	    "oauth_client_secret and oauth_scope", a->name, r->error, sep, d);
}

static int
use(struct account *a, const struct oauth_tokens *t, struct err *e)
{
	return secret_set(&a->password, t->access.buf, t->access.len, e);
}

static int
fresh(const struct oauth_tokens *t, long long now)
{
	/* expires_at 0: the provider said nothing; the relay will tell. */
	return t->access.buf != NULL &&
	    (t->expires_at == 0 || t->expires_at - now >= OAUTH_MARGIN);
}

/* §6: the refresh request; form wiped by the caller. */
static int
refresh_form(const struct account *a, const struct oauth_endpoints *ep,
    const struct oauth_tokens *old, char *form, size_t cap, size_t *len)
{
	*len = 0;
	if (oauth_http_form(form, cap, len, "grant_type", "refresh_token") ||
	    oauth_http_form(form, cap, len, "refresh_token",
	    old->refresh.buf) ||
	    oauth_http_form(form, cap, len, "client_id", a->oauth_client_id))
		return -1;
	if (a->oauth_client_secret.buf != NULL && oauth_http_form(form, cap,
	    len, "client_secret", a->oauth_client_secret.buf) == -1)
		return -1;
	if (ep->scope[0] != '\0' && oauth_http_form(form, cap, len, "scope",
	    ep->scope) == -1)
		return -1;
	return 0;
}

/* Refresh, store, and leave the new tokens in old. Lock held. */
static int
refresh(struct account *a, struct oauth_tokens *old, FILE *trace,
    struct err *e)
{
	struct oauth_endpoints	 ep;
	struct oauth_http	 q;
	struct oauth_reply	 r;
	struct oauth_file	 f;
	char			 form[BOUNDS_OAUTH_FORM];
	size_t			 len = 0;
	int			 rc = -1;

	if (old->refresh.buf == NULL)
		return err_set(e, EX_NOPERM, "account %s: the OAuth2 token "
		    "expired and there is no refresh token; run relaymail "
		    "--authorize %s", a->name, a->name);
	if (oauth_endpoints(a, &ep, e) == -1)
		return -1;
	if (refresh_form(a, &ep, old, form, sizeof(form), &len) == -1) {
		secret_bzero(form, sizeof(form));
		return err_set(e, EX_CONFIG, "account %s: OAuth2 request too "
		    "long", a->name);
	}
	q.url = ep.token;
	q.ca_file = a->oauth_ca_file;
	q.timeout = a->timeout;
	q.trace = trace;
	if (trace != NULL)
		fprintf(trace, "relaymail: OAuth2: refreshing the token of "
		    "account %s\n", a->name);
	if (oauth_http_post(&q, form, len, &r, e) == 0) {
		if (r.error[0] != '\0')
			oauth_grant_error(a, &r, e);
		else if (r.tok.access.buf == NULL)
			err_set(e, EX_PROTOCOL, "account %s: the token endpoint "
			    "sent no access_token", a->name);
		else
			rc = 0;
	}
	secret_bzero(form, sizeof(form));
	if (rc == 0) {
		/* §6: no new refresh token means the old one stays. */
		if (r.tok.refresh.buf == NULL)
			r.tok.refresh = old->refresh, old->refresh.buf = NULL;
		if (r.tok.scope[0] == '\0')
			memcpy(r.tok.scope, old->scope, sizeof(r.tok.scope));
		oauth_file_of(a, &f);
		rc = oauth_store_write(&f, &r.tok, e);
		oauth_tokens_wipe(old);
		*old = r.tok;
		memset(&r.tok, 0, sizeof(r.tok));
	}
	oauth_reply_wipe(&r);
	return rc;
}

/* Under the lock: re-read, and refresh only when still needed. */
static int
locked(struct account *a, int force, FILE *trace, struct err *e)
{
	struct oauth_tokens	 t;
	struct oauth_file	 f;
	int			 fd, rc;

	oauth_file_of(a, &f);
	if (oauth_store_lock(&f, a->timeout * 2 + 5, &fd, e) == -1)
		return -1;
	rc = oauth_store_read(&f, &t, e);
	if (rc == 0 && (!fresh(&t, (long long)time(NULL)) || (force &&
	    a->password.buf != NULL && strcmp(a->password.buf,
	    t.access.buf) == 0)))
		rc = refresh(a, &t, trace, e);
	oauth_store_unlock(fd);
	if (rc == 0)
		rc = use(a, &t, e);
	oauth_tokens_wipe(&t);
	return rc;
}

int
oauth_token(struct account *a, int force, FILE *trace, struct err *e)
{
	struct oauth_tokens	 t;
	struct oauth_file	 f;
	int			 rc;

	if (!oauth_enabled(a))
		return 0;
	oauth_file_of(a, &f);
	/* Most sends: the cached token is good, no lock needed (the file
	 * is only ever renamed into place). */
	if (oauth_store_read(&f, &t, e) == -1)
		return -1;
	if (!force && fresh(&t, (long long)time(NULL))) {
		rc = use(a, &t, e);
		oauth_tokens_wipe(&t);
		return rc;
	}
	oauth_tokens_wipe(&t);
	return locked(a, force, trace, e);
}

static void
when(long long at, char *out, size_t cap)
{
	time_t		 t = (time_t)at;
	struct tm	 tm;

	if (at == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, cap, "unknown");
}

void
oauth_describe(const struct account *a, FILE *out)
{
	struct oauth_tokens	 t;
	struct oauth_file	 f;
	struct err		 e;
	char			 w[64];
	long long		 left;

	oauth_file_of(a, &f);
	if (oauth_store_read(&f, &t, &e) == -1) {
		fprintf(out, "OAuth2 token: %s\n", e.msg);
		return;
	}
	when(t.expires_at, w, sizeof(w));
	left = t.expires_at - (long long)time(NULL);
	fprintf(out, "OAuth2 token: %s, expires %s", f.path, w);
	if (t.expires_at != 0)
		fprintf(out, " (%s%lld s)", left < OAUTH_MARGIN ?
		    "refreshed before use, " : "in ", left);
	fprintf(out, ", scope %s, refresh token %s\n",
	    t.scope[0] != '\0' ? t.scope : "(none given)",
	    t.refresh.buf != NULL ? "stored" : "none");
	oauth_tokens_wipe(&t);
}

int
oauth_check_files(const struct conf *cf, FILE *out)
{
	struct oauth_file	 f;
	struct err		 e;
	int			 i, exists, problems = 0;

	for (i = 0; i < cf->naccounts; i++) {
		if (!oauth_enabled(&cf->accounts[i]))
			continue;
		oauth_file_of(&cf->accounts[i], &f);
		if (oauth_store_check(&f, &exists, &e) == -1) {
			fprintf(out, "%s:%d: %s\n", cf->path,
			    cf->accounts[i].line, e.msg);
			problems++;
		} else if (!exists)
			fprintf(out, "%s:%d: note: [%s] no OAuth2 token yet; "
			    "run relaymail --authorize %s\n", cf->path,
			    cf->accounts[i].line, f.account, f.account);
	}
	return problems;
}
