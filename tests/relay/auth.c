/*
 * auth.c - the server side of SMTP AUTH (RFC 4954) for testrelay:
 * PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login) and CRAM-MD5
 * (RFC 2195), checked against the user and password given with -u/-w, so
 * a client with a wrong password gets the real 535 5.7.8 answer.
 *
 * The transcript keeps the raw lines; nothing is decoded into it. Only
 * auth_leaked() looks inside plaintext chunks, for the test that the
 * password never crosses in the clear.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include "relay.h"

/* Decodes base64 text into a NUL-terminated buffer; -1 when invalid. */
static int
b64dec(const char *in, gnutls_datum_t *out)
{
	gnutls_datum_t	 d = { (unsigned char *)in, (unsigned)strlen(in) };

	out->data = NULL;
	out->size = 0;
	if (d.size == 0)
		return 0;
	return gnutls_base64_decode2(&d, out) < 0 ? -1 : 0;
}

static char *
b64enc(const void *in, size_t len)
{
	gnutls_datum_t	 d = { (unsigned char *)in, (unsigned)len }, out;
	char		*s;

	if (gnutls_base64_encode2(&d, &out) < 0)
		return NULL;
	s = strndup((char *)out.data, out.size);
	gnutls_free(out.data);
	return s;
}

static int
creds_ok(const struct options *o, const char *user, size_t ulen,
    const char *pass, size_t plen)
{
	if (o->user == NULL)
		return 1;
	return ulen == strlen(o->user) && memcmp(user, o->user, ulen) == 0 &&
	    o->password != NULL && plen == strlen(o->password) &&
	    memcmp(pass, o->password, plen) == 0;
}

static int
finish(struct conn *c, const char *mech, int ok)
{
	fprintf(c->log, "--- auth %s mech=%s\n", ok ? "ok" : "failed", mech);
	c->authed = ok;
	fflush(c->log);
	return server_reply(c, NULL, ok ? "235 2.7.0 Authentication successful"
	    : "535 5.7.8 Authentication credentials invalid");
}

/* Sends a 334 challenge and reads the client's answer line. */
static int
challenge(struct conn *c, const char *b64, char *line, size_t cap)
{
	char	 msg[512];

	snprintf(msg, sizeof(msg), "334 %s", b64);
	if (server_reply(c, NULL, msg) == -1 ||
	    server_getline(c, line, cap) != 1)
		return -1;
	if (strcmp(line, "*") == 0) {
		server_reply(c, NULL, "501 5.7.0 Authentication cancelled");
		return -1;
	}
	return 0;
}

static int
auth_plain(struct conn *c, const char *ir)
{
	char		 line[TR_LINE];
	gnutls_datum_t	 d;
	char		*u, *p, *end;
	int		 ok = 0;

	if (ir == NULL) {
		if (challenge(c, "", line, sizeof(line)) == -1)
			return 0;
		ir = line;
	}
	if (b64dec(ir, &d) == -1 || d.size == 0)
		return server_reply(c, NULL, "501 5.5.2 bad base64");
	end = (char *)d.data + d.size;
	u = memchr(d.data, '\0', d.size);
	if (u != NULL && (p = memchr(u + 1, '\0', (size_t)(end - u - 1))))
		ok = creds_ok(c->opt, u + 1, (size_t)(p - u - 1), p + 1,
		    (size_t)(end - p - 1));
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	return finish(c, "PLAIN", ok);
}

static int
auth_login(struct conn *c, const char *ir)
{
	char		 line[TR_LINE];
	gnutls_datum_t	 u = { NULL, 0 }, p = { NULL, 0 };
	int		 ok;

	if (ir == NULL) {
		if (challenge(c, "VXNlcm5hbWU6", line, sizeof(line)) == -1)
			return 0;
		ir = line;
	}
	if (b64dec(ir, &u) == -1)
		return server_reply(c, NULL, "501 5.5.2 bad base64");
	if (challenge(c, "UGFzc3dvcmQ6", line, sizeof(line)) == -1) {
		gnutls_free(u.data);
		return 0;
	}
	if (b64dec(line, &p) == -1) {
		gnutls_free(u.data);
		return server_reply(c, NULL, "501 5.5.2 bad base64");
	}
	ok = creds_ok(c->opt, (char *)u.data, u.size, (char *)p.data, p.size);
	if (p.data != NULL)
		gnutls_memset(p.data, 0, p.size);
	gnutls_free(u.data);
	gnutls_free(p.data);
	return finish(c, "LOGIN", ok);
}

/* RFC 2195 §2: digest = HMAC-MD5(password, challenge), in lower hex. */
static int
auth_cram(struct conn *c)
{
	char		 chal[128], line[TR_LINE], hex[33], *b, *sp;
	unsigned char	 mac[16];
	const char	*pw = c->opt->password ? c->opt->password : "";
	gnutls_datum_t	 d;
	int		 ok = 0;

	snprintf(chal, sizeof(chal), "<%ld.%lld@testrelay>", (long)getpid(),
	    now_ms());
	if ((b = b64enc(chal, strlen(chal))) == NULL)
		return -1;
	if (challenge(c, b, line, sizeof(line)) == -1) {
		free(b);
		return 0;
	}
	free(b);
	if (b64dec(line, &d) == -1 || d.size == 0)
		return server_reply(c, NULL, "501 5.5.2 bad base64");
	gnutls_hmac_fast(GNUTLS_MAC_MD5, pw, strlen(pw), chal, strlen(chal),
	    mac);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	sp = memrchr(d.data, ' ', d.size);
	if (sp != NULL && (char *)d.data + d.size - sp - 1 == 32 &&
	    memcmp(sp + 1, hex, 32) == 0)
		ok = creds_ok(c->opt, (char *)d.data,
		    (size_t)(sp - (char *)d.data), pw, strlen(pw));
	gnutls_free(d.data);
	return finish(c, "CRAM-MD5", ok);
}

/* -O FILE: "TOKEN EXPIRY" lines from tests/oauth/provider.py; a token
 * is good when listed and not expired. */
static int
token_ok(const struct options *o, const char *tok, size_t len)
{
	char	 line[TR_LINE], *sp;
	FILE	*fp;
	int	 ok = 0;

	if ((fp = fopen(o->oauth_tokens, "r")) == NULL)
		return 0;
	while (!ok && fgets(line, sizeof(line), fp) != NULL) {
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		ok = strlen(line) == len && memcmp(line, tok, len) == 0 &&
		    strtoll(sp + 1, NULL, 10) > (long long)time(NULL);
	}
	fclose(fp);
	return ok;
}

/* The value after key in d[n] up to the byte end, or NULL. */
static const char *
field(const char *d, size_t n, const char *key, int end, size_t *len)
{
	const char	*p = memmem(d, n, key, strlen(key)), *q;

	if (p == NULL)
		return NULL;
	p += strlen(key);
	if ((q = memchr(p, end, (size_t)(d + n - p))) == NULL)
		return NULL;
	*len = (size_t)(q - p);
	return p;
}

/* XOAUTH2 "user=U^Aauth=Bearer T^A^A"; OAUTHBEARER (RFC 7628 §3.1)
 * "n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A". A bad token gets the
 * 334 error JSON of RFC 7628 §3.2.2, the client's answer, then 535. */
static int
auth_bearer(struct conn *c, const char *mech, const char *ir)
{
	static const char json[] = "{\"status\":\"401\",\"schemes\":"
	    "\"bearer\",\"scope\":\"https://mail.example/\"}";
	char		 line[TR_LINE], msg[256];
	gnutls_datum_t	 d;
	const char	*u, *t;
	size_t		 ul = 0, tl = 0;
	int		 ob = strcasecmp(mech, "OAUTHBEARER") == 0, ok = 0;
	char		*b;

	if (c->opt->oauth_tokens == NULL)
		return server_reply(c, NULL, "504 5.5.4 mechanism not supported");
	/* RFC 4954 §4: too long for the AUTH line, it follows a 334. */
	if (ir == NULL) {
		if (challenge(c, "", line, sizeof(line)) == -1)
			return 0;
		ir = line;
	}
	if (b64dec(ir, &d) == -1 || d.size == 0)
		return server_reply(c, NULL, "501 5.5.2 bad base64");
	u = field((char *)d.data, d.size, ob ? "n,a=" : "user=", ob ? ',' :
	    '\001', &ul);
	t = field((char *)d.data, d.size, "auth=Bearer ", '\001', &tl);
	if (u != NULL && t != NULL && c->opt->user != NULL &&
	    ul == strlen(c->opt->user) && memcmp(u, c->opt->user, ul) == 0)
		ok = token_ok(c->opt, t, tl);
	gnutls_free(d.data);
	if (!ok && !c->opt->oauth_535) {
		if ((b = b64enc(json, strlen(json))) == NULL)
			return -1;
		snprintf(msg, sizeof(msg), "334 %s", b);
		free(b);
		if (server_reply(c, NULL, msg) == -1 ||
		    server_getline(c, line, sizeof(line)) != 1)
			return -1;
	}
	return finish(c, ob ? "OAUTHBEARER" : "XOAUTH2", ok);
}

int
auth_run(struct conn *c, const char *args)
{
	char		 mech[64];
	const char	*ir = NULL, *sp;
	size_t		 n;

	sp = strchr(args, ' ');
	n = sp ? (size_t)(sp - args) : strlen(args);
	if (n == 0 || n >= sizeof(mech))
		return server_reply(c, NULL, "501 5.5.4 syntax: AUTH mech");
	memcpy(mech, args, n);
	mech[n] = '\0';
	if (sp != NULL)
		ir = sp + 1;
	if (ir != NULL && strcmp(ir, "=") == 0)
		ir = "";	/* RFC 4954 §4: "=" is an empty response */
	if (strcasecmp(mech, "PLAIN") == 0)
		return auth_plain(c, ir);
	if (strcasecmp(mech, "LOGIN") == 0)
		return auth_login(c, ir);
	if (strcasecmp(mech, "CRAM-MD5") == 0 && ir == NULL)
		return auth_cram(c);
	if (strcasecmp(mech, "XOAUTH2") == 0 ||
	    strcasecmp(mech, "OAUTHBEARER") == 0)
		return auth_bearer(c, mech, ir);
	return server_reply(c, NULL, "504 5.5.4 mechanism not supported");
}

/* Does any base64 word in buf decode to something holding the password? */
static int
b64_words_leak(const char *pw, const char *buf, size_t len)
{
	char		 w[TR_LINE];
	size_t		 i = 0, n;
	gnutls_datum_t	 d;
	int		 hit;

	while (i < len) {
		for (n = 0; i + n < len && n < sizeof(w) - 1 &&
		    (isalnum((unsigned char)buf[i + n]) || buf[i + n] == '+' ||
		    buf[i + n] == '/' || buf[i + n] == '='); n++)
			w[n] = buf[i + n];
		w[n] = '\0';
		hit = 0;
		if (n >= 4 && b64dec(w, &d) == 0 && d.data != NULL) {
			hit = memmem(d.data, d.size, pw, strlen(pw)) != NULL;
			gnutls_free(d.data);
		}
		if (hit)
			return 1;
		i += n + 1;
	}
	return 0;
}

int
auth_leaked(const struct options *o, const char *buf, size_t len)
{
	if (o->password == NULL || o->password[0] == '\0')
		return 0;
	if (memmem(buf, len, o->password, strlen(o->password)) != NULL)
		return 1;
	return b64_words_leak(o->password, buf, len);
}
