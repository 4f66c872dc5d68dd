/*
 * oauth_flow.c - first-time consent, `relaymail --authorize`.
 *
 * Device flow (RFC 8628): §3.1 device authorization request, §3.3 the
 * user is shown the verification URI and user code, §3.4 the token
 * request polled, §3.5 at `interval` seconds (5 when absent), 5 more
 * after each slow_down, until approval, access_denied or expired_token.
 *
 * Authorization-code flow (RFC 6749 §4.1) with PKCE (RFC 7636 §4.1-§4.3:
 * a 256-bit random code_verifier, S256 challenge) and a loopback
 * redirect (RFC 8252 §7.3: http://127.0.0.1:PORT/ on an ephemeral port,
 * §8.9 state checked). The redirected URL may also be pasted on standard
 * input, for a server without a browser.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "conn.h"
#include "hex.h"
#include "oauth.h"
#include "oauth_http.h"
#include "oauth_store.h"

/* How long --authorize waits for the user (RFC 8628 §3.2 expires_in
 * when the provider gives none; the code flow's whole wait). */
#define CONSENT_SECONDS		900
#define REQUEST_SECONDS		10	/* one loopback HTTP request */

struct flow {
	struct account		*a;
	struct oauth_endpoints	 ep;
	struct oauth_http	 q;
	FILE			*out;
};

/* client_id, and client_secret when there is one (RFC 6749 §2.3.1). */
static int
client_form(const struct flow *f, char *form, size_t cap, size_t *len)
{
	if (oauth_http_form(form, cap, len, "client_id",
	    f->a->oauth_client_id) == -1)
		return -1;
	if (f->a->oauth_client_secret.buf != NULL)
		return oauth_http_form(form, cap, len, "client_secret",
		    f->a->oauth_client_secret.buf);
	return 0;
}

static int
post(struct flow *f, const char *url, char *form, size_t len,
    struct oauth_reply *r, struct err *e)
{
	int	 rc;

	f->q.url = url;
	rc = oauth_http_post(&f->q, form, len, r, e);
	secret_bzero(form, len);
	return rc;
}

static int
too_long(const struct flow *f, struct err *e)
{
	return err_set(e, EX_CONFIG, "account %s: OAuth2 request too long",
	    f->a->name);
}

/* The consent is done: store the tokens (under the lock). */
static int
store(struct flow *f, struct oauth_reply *r, struct err *e)
{
	struct oauth_file	 of;
	char			 w[64];
	time_t			 t = (time_t)r->tok.expires_at;
	int			 fd, rc;

	if (r->tok.access.buf == NULL)
		return err_set(e, EX_PROTOCOL, "account %s: the token "
		    "endpoint sent no access_token", f->a->name);
	if (r->tok.scope[0] == '\0')
		snprintf(r->tok.scope, sizeof(r->tok.scope), "%s",
		    f->ep.scope);
	oauth_file_of(f->a, &of);
	if (oauth_store_lock(&of, f->a->timeout * 2 + 5, &fd, e) == -1)
		return -1;
	rc = oauth_store_write(&of, &r->tok, e);
	oauth_store_unlock(fd);
	if (rc == -1)
		return -1;
	if (t == 0 || strftime(w, sizeof(w), "%Y-%m-%d %H:%M:%S UTC",
	    gmtime(&t)) == 0)
		snprintf(w, sizeof(w), "unknown");
	fprintf(f->out, "account %s: authorized; access token valid until "
	    "%s%s\n", f->a->name, w, r->tok.refresh.buf != NULL ? "" :
	    " (no refresh token: the provider will ask again)");
	return 0;
}

/* ---- RFC 8628 device flow ---- */

static int
device_start(struct flow *f, struct oauth_reply *r, struct err *e)
{
	char	 form[BOUNDS_OAUTH_FORM];
	size_t	 len = 0;

	if (client_form(f, form, sizeof(form), &len) == -1 ||
	    (f->ep.scope[0] != '\0' && oauth_http_form(form, sizeof(form),
	    &len, "scope", f->ep.scope) == -1))
		return too_long(f, e);
	if (post(f, f->ep.device, form, len, r, e) == -1)
		return -1;
	if (r->error[0] != '\0')
		return oauth_grant_error(f->a, r, e);
	if (r->device_code[0] == '\0' || r->user_code[0] == '\0' ||
	    r->verification_uri[0] == '\0')
		return err_set(e, EX_PROTOCOL, "account %s: the device "
		    "endpoint's answer lacks device_code, user_code or "
		    "verification_uri (RFC 8628 §3.2)", f->a->name);
	fprintf(f->out, "To authorize account %s, open %s\nand enter the "
	    "code %s\n", f->a->name, r->verification_uri, r->user_code);
	if (r->verification_uri_complete[0] != '\0')
		fprintf(f->out, "(or open %s)\n",
		    r->verification_uri_complete);
	fprintf(f->out, "Waiting for the approval...\n");
	fflush(f->out);
	return 0;
}

static int
device_poll(struct flow *f, const char *device_code, struct oauth_reply *r,
    struct err *e)
{
	char	 form[BOUNDS_OAUTH_FORM];
	size_t	 len = 0;

	if (oauth_http_form(form, sizeof(form), &len, "grant_type",
	    "urn:ietf:params:oauth:grant-type:device_code") == -1 ||
	    oauth_http_form(form, sizeof(form), &len, "device_code",
	    device_code) == -1 || client_form(f, form, sizeof(form),
	    &len) == -1)
		return too_long(f, e);
	return post(f, f->ep.token, form, len, r, e);
}

/* §3.5: one answer to a poll. 1: keep polling; 0: done; -1: failed. */
static int
device_answer(struct flow *f, struct oauth_reply *r, long *interval,
    struct err *e)
{
	if (strcmp(r->error, "authorization_pending") == 0)
		return 1;
	if (strcmp(r->error, "slow_down") == 0) {
		*interval += 5;
		return 1;
	}
	if (strcmp(r->error, "expired_token") == 0)
		return err_set(e, EX_TEMPFAIL, "account %s: the code expired "
		    "before it was approved; run relaymail --authorize %s "
		    "again", f->a->name, f->a->name);
	if (strcmp(r->error, "access_denied") == 0)
		return err_set(e, EX_NOPERM, "account %s: the authorization "
		    "was denied", f->a->name);
	if (r->error[0] != '\0')
		return oauth_grant_error(f->a, r, e);
	return store(f, r, e);
}

static int
device_flow(struct flow *f, struct err *e)
{
	struct oauth_reply	 r, p;
	char			 code[BOUNDS_OAUTH_CODE];
	long			 interval;
	long long		 end;
	int			 rc;

	if (device_start(f, &r, e) == -1)
		return -1;
	memcpy(code, r.device_code, sizeof(code));
	interval = r.interval > 0 ? r.interval : 5;
	end = deadline_now_ms() + (r.expires_in > 0 ? r.expires_in :
	    CONSENT_SECONDS) * 1000LL;
	oauth_reply_wipe(&r);
	for (;;) {
		if (deadline_now_ms() + interval * 1000 > end) {
			rc = err_set(e, EX_TEMPFAIL, "account %s: the code "
			    "expired before it was approved; run relaymail "
			    "--authorize %s again", f->a->name, f->a->name);
			break;
		}
		(void)poll(NULL, 0, (int)(interval * 1000));
		if (device_poll(f, code, &p, e) == -1) {
			/* §3.5: back off on a timeout and keep going. */
			if (e->code != EX_TEMPFAIL) {
				rc = -1;
				break;
			}
			interval *= 2;
			continue;
		}
		rc = device_answer(f, &p, &interval, e);
		oauth_reply_wipe(&p);
		if (rc != 1)
			break;
	}
	secret_bzero(code, sizeof(code));
	return rc;
}

/* ---- RFC 6749 §4.1 + RFC 7636 PKCE + RFC 8252 loopback ---- */

struct pkce {
	char	 verifier[64], challenge[64], state[32];
	char	 redirect[64];
	int	 lfd;
};

/* RFC 7636 appendix A: base64url without padding. */
static void
b64url(const unsigned char *in, size_t len, char *out, size_t cap)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t	 i, n = 0;
	unsigned v;

	for (i = 0; i < len && n + 5 < cap; i += 3) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = t[(v >> 18) & 63];
		out[n++] = t[(v >> 12) & 63];
		if (i + 1 < len)
			out[n++] = t[(v >> 6) & 63];
		if (i + 2 < len)
			out[n++] = t[v & 63];
	}
	out[n] = '\0';
}

static int
pkce_init(struct pkce *p, struct err *e)
{
	unsigned char		 rnd[32], dig[32];
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);

	/* §4.1: 32 octets of entropy, 43 characters; §4.2 S256. */
	if (gnutls_rnd(GNUTLS_RND_KEY, rnd, sizeof(rnd)) < 0)
		return err_set(e, EX_SOFTWARE, "no random numbers");
	b64url(rnd, sizeof(rnd), p->verifier, sizeof(p->verifier));
	gnutls_hash_fast(GNUTLS_DIG_SHA256, p->verifier, strlen(p->verifier),
	    dig);
	b64url(dig, sizeof(dig), p->challenge, sizeof(p->challenge));
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, 16) < 0)
		return err_set(e, EX_SOFTWARE, "no random numbers");
	b64url(rnd, 16, p->state, sizeof(p->state));
	secret_bzero(rnd, sizeof(rnd));
	/* RFC 8252 §7.3, §8.3: the loopback address, not "localhost". */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(p->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(p->lfd, 4) == -1 ||
	    getsockname(p->lfd, (struct sockaddr *)&sin, &sl) == -1)
		return err_set(e, EX_OSERR, "loopback listener: %s",
		    strerror(errno));
	snprintf(p->redirect, sizeof(p->redirect), "http://127.0.0.1:%u/",
	    (unsigned)ntohs(sin.sin_port));
	return 0;
}

/* RFC 6749 §4.1.1 with RFC 7636 §4.3: the address the user opens. */
static int
auth_url(const struct flow *f, const struct pkce *p, char *url, size_t cap)
{
	char	 q[BOUNDS_OAUTH_URL];
	size_t	 n = 0;
	int	 k;

	if (oauth_http_form(q, sizeof(q), &n, "response_type", "code") ||
	    oauth_http_form(q, sizeof(q), &n, "client_id",
	    f->a->oauth_client_id) || oauth_http_form(q, sizeof(q), &n,
	    "redirect_uri", p->redirect) || oauth_http_form(q, sizeof(q), &n,
	    "scope", f->ep.scope) || oauth_http_form(q, sizeof(q), &n, "state",
	    p->state) || oauth_http_form(q, sizeof(q), &n, "code_challenge",
	    p->challenge) || oauth_http_form(q, sizeof(q), &n,
	    "code_challenge_method", "S256"))
		return -1;
	/* Google issues a refresh token only when asked for offline use. */
	if (f->a->oauth_provider == OAUTH_GOOGLE &&
	    (oauth_http_form(q, sizeof(q), &n, "access_type", "offline") ||
	    oauth_http_form(q, sizeof(q), &n, "prompt", "consent")))
		return -1;
	k = snprintf(url, cap, "%s%c%s", f->ep.auth,
	    strchr(f->ep.auth, '?') != NULL ? '&' : '?', q);
	return k < 0 || (size_t)k >= cap ? -1 : 0;
}

/* The value of name in query q (up to '#', ' ' or the end), decoded. */
static int
query_get(const char *q, const char *name, char *out, size_t cap)
{
	size_t	 nl = strlen(name), n = 0;
	unsigned char b;

	while (q != NULL && *q != '\0' && *q != '#' && *q != ' ') {
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			for (q += nl + 1; *q != '\0' && *q != '&' && *q != '#'
			    && *q != ' ' && *q != '\r' && *q != '\n'; q++) {
				if (n + 1 >= cap)
					return -1;
				if (*q == '%' && hex_decode(q + 1, &b, 1) == 0) {
					out[n++] = (char)b;
					q += 2;
				} else
					out[n++] = *q == '+' ? ' ' : *q;
			}
			out[n] = '\0';
			return 0;
		}
		q = strchr(q, '&');
		if (q != NULL)
			q++;
	}
	return -1;
}

/*
 * A redirect (request line or pasted URL) in text: 1 with the code, 0
 * when it is not ours (wrong state, no code), -1 for an error answer.
 */
static int
redirect_parse(struct flow *f, const struct pkce *p, const char *text,
    char *code, size_t cap, struct err *e)
{
	const char	*q = strchr(text, '?');
	char		 state[64], error[64];

	if (q == NULL)
		return 0;
	q++;
	if (query_get(q, "state", state, sizeof(state)) == -1 ||
	    strcmp(state, p->state) != 0) {
		fprintf(f->out, "relaymail: ignoring a redirect whose state "
		    "does not match this request\n");
		return 0;
	}
	if (query_get(q, "error", error, sizeof(error)) == 0)
		return err_set(e, EX_NOPERM, "account %s: the authorization "
		    "was refused (%s)", f->a->name, error);
	return query_get(q, "code", code, cap) == 0 ? 1 : 0;
}

/* One loopback HTTP request, read within REQUEST_SECONDS. */
static int
loopback(struct flow *f, const struct pkce *p, char *code, size_t cap,
    struct err *e)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain"
	    "\r\nConnection: close\r\n\r\nrelaymail: authorization received; "
	    "you can close this window.\r\n";
	static const char no[] = "HTTP/1.0 404 Not Found\r\nConnection: "
	    "close\r\n\r\n";
	struct pollfd	 pf;
	char		 req[BOUNDS_OAUTH_URL];
	size_t		 n = 0;
	ssize_t		 r;
	long long	 end = deadline_now_ms() + REQUEST_SECONDS * 1000;
	int		 fd, rc = 0;

	req[0] = '\0';
	if ((fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return 0;
	pf.fd = fd;
	pf.events = POLLIN;
	while (n + 1 < sizeof(req) && memchr(req, '\n', n) == NULL &&
	    deadline_now_ms() < end && poll(&pf, 1,
	    (int)(end - deadline_now_ms())) == 1 &&
	    (r = read(fd, req + n, sizeof(req) - 1 - n)) > 0)
		n += (size_t)r;
	req[n] = '\0';
	if (strncmp(req, "GET ", 4) == 0 && memchr(req, '\n', n) != NULL)
		rc = redirect_parse(f, p, req + 4, code, cap, e);
	(void)!write(fd, rc == 0 ? no : ok, rc == 0 ? sizeof(no) - 1 :
	    sizeof(ok) - 1);
	close(fd);
	secret_bzero(req, sizeof(req));
	return rc;
}

/* A line on standard input (the pasted redirect URL). */
static int
pasted(struct flow *f, const struct pkce *p, int in, char *line,
    size_t *len, char *code, size_t cap, struct err *e)
{
	ssize_t	 r;
	char	*nl;
	int	 rc;

	r = read(in, line + *len, BOUNDS_OAUTH_URL - 1 - *len);
	if (r <= 0)
		return r == 0 ? -2 : 0;		/* -2: end of input */
	*len += (size_t)r;
	line[*len] = '\0';
	if ((nl = strchr(line, '\n')) == NULL)
		return *len + 1 >= BOUNDS_OAUTH_URL ? (*len = 0, 0) : 0;
	*nl = '\0';
	rc = redirect_parse(f, p, line, code, cap, e);
	if (rc == 0)
		fprintf(f->out, "relaymail: that is not the redirected "
		    "address (it holds ?code=...&state=...)\n");
	*len = 0;
	return rc;
}

static int
wait_code(struct flow *f, struct pkce *p, FILE *in, char *code, size_t cap,
    struct err *e)
{
	struct pollfd	 pf[2];
	char		 line[BOUNDS_OAUTH_URL];
	size_t		 len = 0;
	long long	 end = deadline_now_ms() + CONSENT_SECONDS * 1000LL;
	int		 rc = 0, n = 2;

	pf[0].fd = p->lfd;
	pf[1].fd = fileno(in);
	pf[0].events = pf[1].events = POLLIN;
	while (rc == 0) {
		if (deadline_now_ms() >= end)
			return err_set(e, EX_TEMPFAIL, "account %s: no "
			    "authorization within %d s", f->a->name,
			    CONSENT_SECONDS);
		if (poll(pf, (nfds_t)n, (int)(end - deadline_now_ms())) <= 0)
			continue;
		if (pf[0].revents & POLLIN)
			rc = loopback(f, p, code, cap, e);
		else if (n == 2 && (pf[1].revents & (POLLIN | POLLHUP))) {
			rc = pasted(f, p, pf[1].fd, line, &len, code, cap, e);
			if (rc == -2) {		/* stdin closed: wait on */
				n = 1;
				rc = 0;
			}
		}
	}
	secret_bzero(line, sizeof(line));
	return rc == 1 ? 0 : -1;
}

static int
code_exchange(struct flow *f, const struct pkce *p, const char *code,
    struct err *e)
{
	struct oauth_reply	 r;
	char			 form[BOUNDS_OAUTH_FORM];
	size_t			 len = 0;
	int			 rc;

	/* RFC 6749 §4.1.3 with RFC 7636 §4.5's code_verifier. */
	if (oauth_http_form(form, sizeof(form), &len, "grant_type",
	    "authorization_code") || oauth_http_form(form, sizeof(form),
	    &len, "code", code) || oauth_http_form(form, sizeof(form), &len,
	    "redirect_uri", p->redirect) || oauth_http_form(form,
	    sizeof(form), &len, "code_verifier", p->verifier) ||
	    client_form(f, form, sizeof(form), &len))
		return too_long(f, e);
	if (post(f, f->ep.token, form, len, &r, e) == -1)
		return -1;
	rc = r.error[0] != '\0' ? oauth_grant_error(f->a, &r, e) :
	    store(f, &r, e);
	oauth_reply_wipe(&r);
	return rc;
}

static int
code_flow(struct flow *f, FILE *in, struct err *e)
{
	struct pkce	 p;
	char		 url[BOUNDS_OAUTH_URL], code[BOUNDS_OAUTH_CODE];
	int		 rc = -1;

	memset(&p, 0, sizeof(p));
	p.lfd = -1;
	if (f->ep.auth[0] == '\0')
		err_set(e, EX_CONFIG, "account %s: neither oauth_device_url "
		    "nor oauth_auth_url", f->a->name);
	else if (pkce_init(&p, e) == 0) {
		if (auth_url(f, &p, url, sizeof(url)) == -1)
			too_long(f, e);
		else {
			fprintf(f->out, "To authorize account %s, open this "
			    "address in a browser:\n\n  %s\n\nWaiting for the "
			    "browser on %s ; without a browser here, paste the "
			    "address it was sent to (%s?code=...):\n",
			    f->a->name, url, p.redirect, p.redirect);
			fflush(f->out);
			if (wait_code(f, &p, in, code, sizeof(code), e) == 0)
				rc = code_exchange(f, &p, code, e);
			secret_bzero(code, sizeof(code));
		}
	}
	if (p.lfd != -1)
		close(p.lfd);
	secret_bzero(&p, sizeof(p));
	return rc;
}

int
oauth_authorize(struct account *a, FILE *in, FILE *out, FILE *trace,
    struct err *e)
{
	struct flow	 f;

	memset(&f, 0, sizeof(f));
	f.a = a;
	f.out = out;
	f.q.ca_file = a->oauth_ca_file;
	f.q.timeout = a->timeout;
	f.q.trace = trace;
	if (oauth_endpoints(a, &f.ep, e) == -1)
		return -1;
	if (f.ep.device[0] != '\0')
		return device_flow(&f, e);
	return code_flow(&f, in, e);
}
