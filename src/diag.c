/*
 * diag.c - what relaymail tells the user beyond the exit code:
 * --dry-run's plan and --probe, everything relaymail decided for a
 * message, or everything a relay offers (RFC 5321 §4.1.1.1 EHLO
 * keywords, RFC 4954 AUTH, the TLS session and the certificate), with
 * no mail sent; the aliases check; and the warning for a relay that
 * took a message although it refused the AUTH sent with it. The
 * protocol layer (relay.c, txn.c, bdat.c) only records these facts.
 * Secrets are never printed: only where the password comes from.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "alias.h"
#include "diag.h"
#include "log.h"
#include "oauth.h"
#include "relay.h"
#include "reply.h"

static const char *
tls_name(enum tls_mode m)
{
	return m == TLS_IMPLICIT ? "implicit" : m == TLS_STARTTLS ?
	    "starttls" : "none";
}

static const char *const auth_names[] = {
	"auto", "plain", "login", "cram-md5", "scram-sha-256", "xoauth2",
	"oauthbearer", "external", "none"
};

static const char *
secret_source(const struct account *a)
{
	if (a->password_command != NULL)
		return "from password_command";
	if (a->password_file != NULL)
		return "from password_file";
	if (a->password.buf != NULL)
		return "from the config";
	return "none";
}

/* --dry-run: everything decided, nothing sent. */
void
diag_print_plan(const struct account *a, const char *why,
    const char *maildomain, const struct envelope *env,
    const struct msg *m, FILE *out)
{
	size_t i;
	int h;

	fprintf(out, "account: %s (%s)\n", a->name, why);
	fprintf(out, "relays:");
	for (h = 0; h < a->nhosts; h++)
		fprintf(out, "%s %s port %d", h ? "," : "", a->hosts[h],
		    a->port);
	fprintf(out, "\n");
	if (a->fallback != NULL)
		fprintf(out, "fallback: %s\n", a->fallback);
	fprintf(out, "tls: %s, minimum TLS 1.%d, verify %s%s%s%s%s\n",
	    tls_name(a->tls), a->tls_min_version == 13 ? 3 : 2,
	    a->tls_verify ? "on" : "OFF",
	    a->tls_ca_file != NULL ? ", CA file " : ", system trust store",
	    a->tls_ca_file != NULL ? a->tls_ca_file : "",
	    a->tls_pin != NULL ? ", pins " : "",
	    a->tls_pin != NULL ? a->tls_pin : "");
	if (oauth_enabled(a)) {
		fprintf(out, "auth: %s as %s (OAuth2 token)\n", a->auth ==
		    AUTH_AUTO ? "auto (xoauth2, else oauthbearer)" :
		    auth_names[a->auth], a->user);
		oauth_describe(a, out);
	} else if (a->user != NULL && a->auth != AUTH_NONE)
		fprintf(out, "auth: %s as %s (password %s)\n",
		    auth_names[a->auth], a->user, secret_source(a));
	else
		fprintf(out, "auth: none\n");
	fprintf(out, "maildomain: %s\n", maildomain);
	fprintf(out, "envelope sender: <%s>\n", env->sender);
	for (i = 0; i < env->nrcpt; i++)
		fprintf(out, "recipient: <%s>\n", env->rcpt[i]);
	fprintf(out, "size: %lld octets\nheaders:\n",
	    (long long)msg_size(m));
	for (i = 0; i < m->hdrs.n; i++)
		fprintf(out, "  %s:%s\n", m->hdrs.v[i].name,
		    m->hdrs.v[i].value);
}

/* --probe: capabilities, TLS version and cipher, certificate subject,
 * issuer, fingerprint, pin, days to expiry, the AUTH mechanism used. */
static void
print_probe(struct relay_session *s, FILE *out)
{
	const struct conn_tlsinfo *t = &s->conn.tlsinfo;
	int i;

	fprintf(out, "relay: %s\n", s->conn.peer);
	fprintf(out, "capabilities:%s\n", s->caps.esmtp ? "" : " (HELO)");
	for (i = 1; i < s->caps.nlines; i++)
		fprintf(out, "  %s\n", s->caps.lines[i]);
	if (s->conn.tls == NULL)
		fprintf(out, "TLS: none\n");
	else {
		(void)conn_tls_certinfo(&s->conn);
		fprintf(out, "TLS: %s, %s%s\n", t->version, t->cipher,
		    t->resumed ? " (resumed)" : "");
		fprintf(out, "certificate subject: %s\n", t->subject);
		fprintf(out, "certificate issuer: %s\n", t->issuer);
		fprintf(out, "certificate SHA-256: %s\n", t->fingerprint);
		fprintf(out, "SPKI pin (tls_pin): %s\n", t->spki_pin);
		fprintf(out, "certificate expires in %ld days%s\n",
		    t->days_left, t->days_left < 14 ? " (renew soon!)" : "");
	}
	fprintf(out, "AUTH: %s%s\n", s->auth_used, s->auth_pending ?
	    " (sent; its reply is read with the first message)" : "");
}

int
diag_probe(struct account *a, const char *why, FILE *trace, FILE *out,
    struct err *e)
{
	struct relay_session rs;

	relay_clear(&rs);
	fprintf(out, "account: %s (%s)\n", a->name, why);
	if (relay_open(&rs, a, trace, e) == -1)
		return -1;
	/* AUTH may still sit in the pipeline buffer: confirm it now. */
	if (relay_finish_auth(&rs, e) == -1) {
		relay_close(&rs);
		return -1;
	}
	print_probe(&rs, out);
	if (oauth_enabled(a))
		oauth_describe(a, out);
	relay_close(&rs);
	return 0;
}

void
diag_auth_warn(const struct relay_session *s)
{
	char q[BOUNDS_REPLY_LINE];

	if (s->auth_refused.code == 0)
		return;
	reply_quote(s->auth_refused.text, strlen(s->auth_refused.text), q,
	    sizeof(q));
	fprintf(stderr, "relaymail: warning: authentication failed (%s) but "
	    "the relay %s accepted the message; check the account's "
	    "credentials\n", q, s->conn.peer);
	log_msg(LOG_WARNING, "authentication failed (%s) but the relay %s "
	    "accepted the message", q, s->conn.peer);
}

/* Each aliases file once: load it, then expand every name so a loop or
 * an unsupported target is found now rather than when mail arrives. */
static int
check_alias_file(const char *path, FILE *out)
{
	struct aliases al;
	struct addr_list res;
	struct err e;
	size_t i;
	int problems = 0;

	alias_init(&al);
	err_clear(&e);
	if (alias_load(&al, path, &e) == -1) {
		fprintf(out, "%s\n", e.msg);
		alias_free(&al);
		return 1;
	}
	for (i = 0; i < al.n; i++) {
		if (strcmp(al.v[i].name, "*") == 0)
			continue;
		addr_list_init(&res);
		if (alias_expand(&al, al.v[i].name, NULL, &res, &e) == -1) {
			fprintf(out, "%s\n", e.msg);
			problems++;
		}
		addr_list_free(&res);
	}
	alias_free(&al);
	return problems;
}

int
diag_check_aliases(const struct conf *cf, FILE *out)
{
	const char *seen[BOUNDS_HOSTS * 4];
	int i, j, nseen = 0, problems = 0;

	for (i = 0; i < cf->naccounts; i++) {
		const char *p = cf->accounts[i].aliases;

		if (p == NULL)
			continue;
		for (j = 0; j < nseen && strcmp(seen[j], p) != 0; j++)
			;
		if (j < nseen)
			continue;
		if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
			seen[nseen++] = p;
		problems += check_alias_file(p, out);
	}
	return problems;
}
