/*
 * conf_check.c - what is done after the configuration file has been read
 * (relaymail.conf(5)): [defaults] inherited by each account, the defaults that
 * depend on other keys resolved, and the checks that need the whole file:
 * required keys, keys that go together, fallback chains, the `default`
 * account, and the permission rule for a file holding a password.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_int.h"

/* Short name within this file. */
#define problem	conf_read_problem

static void
inherit(struct parse *p, struct account *a, struct sect *s)
{
	struct err	 e;
	size_t		 k;
	int		 own = s->set[KEY_PASSWORD] ||
			    s->set[KEY_PASSWORD_COMMAND] ||
			    s->set[KEY_PASSWORD_FILE];

	for (k = 0; k < NKEYS; k++) {
		if (s->set[k] || !p->dsect.set[k])
			continue;
		/* An account's own secret source replaces the inherited:
		 * its password, or its OAuth2 client (and the other way). */
		if ((own || s->set[KEY_OAUTH_CLIENT_ID]) &&
		    conf_keys_is_secret((int)k))
			continue;
		if (own && conf_keys_is_oauth((int)k))
			continue;
		/* [defaults] fallback = X must not make X fall back to X. */
		if (k == KEY_FALLBACK && p->c->defaults.fallback != NULL &&
		    strcmp(p->c->defaults.fallback, a->name) == 0)
			continue;
		if (conf_keys_copy(a, &p->c->defaults, &conf_keys_table[k],
		    &e) == -1) {
			problem(p, a->line, "%s", e.msg);
			continue;
		}
		s->set[k] = 2;
		s->line[k] = p->dsect.line[k];
	}
}

/* Where to point at for key k: its line, else the [section] header. */
static int
line_of(const struct account *a, const struct sect *s, int k)
{
	return s->set[k] ? s->line[k] : a->line;
}

static void
check_auth(struct parse *p, const struct account *a, const struct sect *s)
{
	int	 secret = a->password.buf != NULL || a->password_command !=
		    NULL || a->password_file != NULL;

	if (a->auth != AUTH_AUTO && a->auth != AUTH_NONE &&
	    a->auth != AUTH_EXTERNAL && a->user == NULL)
		problem(p, line_of(a, s, KEY_AUTH), "[%s] auth = %s needs "
		    "user", a->name, conf_keys_auth_names[a->auth]);
	if (a->auth == AUTH_EXTERNAL && a->tls_cert_file == NULL)
		problem(p, line_of(a, s, KEY_AUTH), "[%s] auth = external "
		    "needs tls_cert_file", a->name);
	if (a->user != NULL && !secret && a->auth != AUTH_NONE &&
	    a->auth != AUTH_EXTERNAL && a->oauth_client_id == NULL)
		problem(p, line_of(a, s, KEY_USER), "[%s] user is set but none "
		    "of password, password_command, password_file", a->name);
}

/*
 * RFC 8314 §3.3 / RFC 6409: 465 is implicit TLS, 587 STARTTLS. STARTTLS
 * to 465 can never work (the relay waits for our TLS handshake, we for
 * its greeting): an error. Implicit TLS to 587 fails at the handshake
 * with a message naming the fix, and a relay may really run TLS there:
 * a warning, from --check-config only.
 */
static void
check_port(struct parse *p, const struct account *a, const struct sect *s)
{
	if (a->tls == TLS_STARTTLS && a->port == 465)
		problem(p, line_of(a, s, s->set[KEY_PORT] ? KEY_PORT :
		    KEY_TLS), "[%s] port 465 is the implicit-TLS port but "
		    "tls = starttls: set tls = implicit, or port = 587",
		    a->name);
	if (a->tls == TLS_IMPLICIT && a->port == 587 && p->report != NULL)
		fprintf(p->report, "%s:%d: warning: [%s] port 587 is the "
		    "STARTTLS port but tls = implicit: set tls = starttls "
		    "unless this relay really speaks TLS on 587\n",
		    p->c->path, line_of(a, s, KEY_PORT), a->name);
}

/* An endpoint: https only (the token and the client secret go there),
 * no white space or control characters. */
static int
https_url(const char *u)
{
	const char	*c;

	if (strncasecmp(u, "https://", 8) != 0 || u[8] == '\0' ||
	    u[8] == '/')
		return -1;
	for (c = u; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;
	return 0;
}

static int
tenant_ok(const char *t)
{
	return t[strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	    "VWXYZ0123456789.-_")] == '\0';
}

static void
check_oauth_keys(struct parse *p, const struct account *a,
    const struct sect *s)
{
	static const int urls[] = { KEY_OAUTH_TOKEN_URL, KEY_OAUTH_DEVICE_URL,
		KEY_OAUTH_AUTH_URL };
	const char	*v;
	size_t		 i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		v = *(char *const *)(const void *)((const char *)a +
		    conf_keys_table[urls[i]].off);
		if (v != NULL && https_url(v) == -1)
			problem(p, line_of(a, s, urls[i]), "[%s] %s: expected "
			    "an https:// URL", a->name,
			    conf_keys_table[urls[i]].name);
	}
	if (a->oauth_tenant != NULL && !tenant_ok(a->oauth_tenant))
		problem(p, line_of(a, s, KEY_OAUTH_TENANT), "[%s] "
		    "oauth_tenant: expected a tenant name or id", a->name);
	if (a->oauth_provider == OAUTH_CUSTOM && a->oauth_token_url == NULL)
		problem(p, line_of(a, s, KEY_OAUTH_PROVIDER), "[%s] "
		    "oauth_provider = custom needs oauth_token_url", a->name);
}

/* OAuth2 (oauth.h): the client id turns it on; the token replaces the
 * password, so the two cannot both be configured. */
static void
check_oauth(struct parse *p, const struct account *a, const struct sect *s)
{
	int	 k;

	if (a->oauth_client_id == NULL) {
		for (k = KEY_OAUTH_PROVIDER; k <= KEY_OAUTH_TOKEN_FILE; k++)
			if (s->set[k]) {
				problem(p, s->line[k], "[%s] %s needs "
				    "oauth_client_id", a->name,
				    conf_keys_table[k].name);
				return;
			}
		return;
	}
	for (k = KEY_PASSWORD; k <= KEY_PASSWORD_FILE; k++)
		if (s->set[k])
			problem(p, s->line[k], "[%s] %s: not with "
			    "oauth_client_id (the OAuth2 token is the "
			    "credential)", a->name, conf_keys_table[k].name);
	if (a->auth != AUTH_AUTO && a->auth != AUTH_XOAUTH2 &&
	    a->auth != AUTH_OAUTHBEARER)
		problem(p, line_of(a, s, KEY_AUTH), "[%s] auth = %s: with "
		    "oauth_client_id only auto, xoauth2 or oauthbearer",
		    a->name, conf_keys_auth_names[a->auth]);
	if (a->user == NULL)
		problem(p, line_of(a, s, KEY_OAUTH_CLIENT_ID), "[%s] "
		    "oauth_client_id needs user (the mailbox the token is "
		    "for)", a->name);
	check_oauth_keys(p, a, s);
}

static void
check_account(struct parse *p, struct account *a, struct sect *s)
{
	FILE	*w = p->report != NULL ? p->report : stderr;

	if (!s->set[KEY_HOST])
		problem(p, a->line, "[%s] missing required key host", a->name);
	if (!s->set[KEY_TLS_CERT_FILE] != !s->set[KEY_TLS_KEY_FILE])
		problem(p, line_of(a, s, s->set[KEY_TLS_CERT_FILE] ?
		    KEY_TLS_CERT_FILE : KEY_TLS_KEY_FILE),
		    "[%s] tls_cert_file and tls_key_file go together",
		    a->name);
	if (a->force_from && a->from == NULL)
		problem(p, line_of(a, s, KEY_FORCE_FROM), "[%s] force_from = "
		    "yes needs from", a->name);
	check_auth(p, a, s);
	check_port(p, a, s);
	check_oauth(p, a, s);
	/* Decided (relaymail.conf(5)): tls_verify = no is accepted, but unless a
	 * pin still ties the relay to a key, say loudly what it means. */
	if (!a->tls_verify && a->tls_pin == NULL && a->tls != TLS_NONE)
		fprintf(w, "%s:%d: warning: [%s] tls_verify = no without "
		    "tls_pin: the relay's identity is NOT checked and anyone "
		    "on the path can read the password and the mail\n",
		    p->c->path, line_of(a, s, KEY_TLS_VERIFY), a->name);
}

static void
check_fallback(struct parse *p, int i)
{
	struct account	*a = &p->c->accounts[i], *f = a;
	int		 n;

	if (a->fallback == NULL)
		return;
	if (strcmp(a->fallback, a->name) == 0) {
		problem(p, p->sects[i].line[KEY_FALLBACK], "[%s] fallback "
		    "names the account itself", a->name);
		return;
	}
	for (n = 0; f != NULL && f->fallback != NULL; n++) {
		f = conf_account(p->c, f->fallback);
		if (f == NULL) {
			if (n == 0)
				problem(p, p->sects[i].line[KEY_FALLBACK],
				    "[%s] fallback: no account [%s]", a->name,
				    a->fallback);
			return;
		}
		if (f == a || n > p->c->naccounts) {
			problem(p, p->sects[i].line[KEY_FALLBACK], "[%s] "
			    "fallback chain loops back to [%s]", a->name,
			    f->name);
			return;
		}
	}
}

/* st: the config file's, for the password permission rule. */
void
conf_check_finish(struct parse *p, const struct stat *st)
{
	struct err	 e;
	int		 i;

	for (i = 0; i < p->c->naccounts; i++) {
		inherit(p, &p->c->accounts[i], &p->sects[i]);
		if (conf_account_finish(&p->c->accounts[i], p->c->system,
		    &e) == -1)
			problem(p, p->c->accounts[i].line, "%s", e.msg);
		check_account(p, &p->c->accounts[i], &p->sects[i]);
	}
	for (i = 0; i < p->c->naccounts; i++)
		check_fallback(p, i);
	if (p->c->default_account != NULL &&
	    conf_account(p->c, p->c->default_account) == NULL)
		problem(p, p->default_line, "default: no account [%s]",
		    p->c->default_account);
	if (p->secret_line != 0 &&
	    !conf_secret_mode_ok(st, p->c->system, getgid(), getegid()))
		problem(p, p->secret_line, "%s in a file that group or "
		    "others can read (mode %04o): chmod 600 %s%s",
		    conf_keys_table[p->secret_key].name,
		    (unsigned)(st->st_mode & 07777), p->c->path,
		    p->secret_key == KEY_PASSWORD ? ", or use password_command "
		    "or password_file" : "");
}
