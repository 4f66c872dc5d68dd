/*
 * oauth_http.c - HTTPS POSTs to OAuth2 endpoints (RFC 6749 §3.2 token
 * endpoint, §4.1.3 code exchange, §5.1/§5.2 answers, §6 refresh, §10.4
 * and §10.8 credentials only over TLS; RFC 8628 §3.1/§3.4 device flow)
 * with libcurl, and their JSON bodies (RFC 8259) with json-c.
 *
 * The request is pinned down so that no environment variable (proxies,
 * NO_PROXY, .netrc, ...) can send the form elsewhere: the URL's scheme
 * must be https, the proxy is set to none for every host, redirects are
 * not followed, TLS is verified (1.2 at least) against oauth_ca_file or
 * the system store. Form values are encoded here, in our own wiped
 * buffers, not by libcurl.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/printbuf.h>

#include "oauth_http.h"
#include "oauth_lib.h"

#ifndef RELAYMAIL_VERSION	/* set by the Makefile; not by every build */
#define RELAYMAIL_VERSION	"unknown"
#endif

struct body {
	char	*buf;
	size_t	 len;
	int	 over;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n;

	if (len > BOUNDS_OAUTH_REPLY - b->len) {
		b->over = 1;
		return 0;	/* libcurl aborts the transfer */
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	return len;
}

static int
unreserved(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

int
oauth_http_escape(const char *v, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 n = 0;

	for (; *v != '\0'; v++) {
		if (n + 4 > cap)
			return -1;
		if (unreserved((unsigned char)*v))
			out[n++] = *v;
		else {
			out[n++] = '%';
			out[n++] = hex[(unsigned char)*v >> 4];
			out[n++] = hex[(unsigned char)*v & 15];
		}
	}
	if (n >= cap)
		return -1;
	out[n] = '\0';
	return 0;
}

int
oauth_http_form(char *form, size_t cap, size_t *len, const char *name,
    const char *value)
{
	size_t	 n = *len;

	if (n > 0) {
		if (n + 1 >= cap)
			return -1;
		form[n++] = '&';
	}
	if (oauth_http_escape(name, form + n, cap - n) == -1)
		return -1;
	n += strlen(form + n);
	if (n + 1 >= cap)
		return -1;
	form[n++] = '=';
	if (oauth_http_escape(value, form + n, cap - n) == -1)
		return -1;
	*len = n + strlen(form + n);
	return 0;
}

void
oauth_reply_wipe(struct oauth_reply *r)
{
	oauth_tokens_wipe(&r->tok);
	secret_bzero(r, sizeof(*r));
}

/* Everything that could send the form anywhere else is switched off. */
static int
setup(const struct oauth_lib *L, CURL *h, const struct oauth_http *q, const char *form, size_t len,
    struct body *b, struct curl_slist *hdrs, char *errbuf)
{
	CURLcode rc = CURLE_OK;

#define SET(o, v)	if (rc == CURLE_OK) rc = L->easy_setopt(h, o, v)
	SET(CURLOPT_URL, q->url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (q->ca_file != NULL)
		SET(CURLOPT_CAINFO, q->ca_file);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT, (long)q->timeout);
	SET(CURLOPT_CONNECTTIMEOUT, (long)q->timeout);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, form);
	SET(CURLOPT_POSTFIELDSIZE, (long)len);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_USERAGENT, "relaymail/" RELAYMAIL_VERSION);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, b);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

static void
get_str(const struct oauth_lib *L, struct json_object *o, const char *key, char *out, size_t cap)
{
	struct json_object	*v;
	const char		*s;

	char			*c;

	out[0] = '\0';
	if (L->get_ex(o, key, &v) &&
	    L->is_type(v, json_type_string) &&
	    (s = L->get_string(v)) != NULL && strlen(s) < cap)
		memcpy(out, s, strlen(s) + 1);
	/* These are printed and stored one per line: no control
	 * characters from the network (terminal escapes, newlines). */
	for (c = out; *c != '\0'; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
}

static long
get_long(const struct oauth_lib *L, struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!L->get_ex(o, key, &v))
		return 0;
	/* Some providers send numbers as strings ("3599"). */
	if (L->is_type(v, json_type_int) ||
	    L->is_type(v, json_type_string))
		return (long)L->get_int64(v);
	return 0;
}

static int
get_secret(const struct oauth_lib *L, struct json_object *o, const char *key, struct secret *s,
    struct err *e)
{
	struct json_object	*v;
	const char		*p;

	if (!L->get_ex(o, key, &v) ||
	    !L->is_type(v, json_type_string) ||
	    (p = L->get_string(v)) == NULL || *p == '\0')
		return 0;
	return secret_set(s, p, strlen(p), e);
}

/* The fields of §5.1, §5.2 and RFC 8628 §3.2. */
static int
fields(const struct oauth_lib *L, struct json_object *o, struct oauth_reply *r, struct err *e)
{
	long	 exp;

	get_str(L, o, "error", r->error, sizeof(r->error));
	get_str(L, o, "error_description", r->error_desc,
	    sizeof(r->error_desc));
	if (get_secret(L, o, "access_token", &r->tok.access, e) == -1 ||
	    get_secret(L, o, "refresh_token", &r->tok.refresh, e) == -1)
		return -1;
	get_str(L, o, "scope", r->tok.scope, sizeof(r->tok.scope));
	if ((exp = get_long(L, o, "expires_in")) > 0)
		r->tok.expires_at = (long long)time(NULL) + exp;
	get_str(L, o, "device_code", r->device_code, sizeof(r->device_code));
	get_str(L, o, "user_code", r->user_code, sizeof(r->user_code));
	get_str(L, o, "verification_uri", r->verification_uri,
	    sizeof(r->verification_uri));
	if (r->verification_uri[0] == '\0')	/* Google's older name */
		get_str(L, o, "verification_url", r->verification_uri,
		    sizeof(r->verification_uri));
	get_str(L, o, "verification_uri_complete", r->verification_uri_complete,
	    sizeof(r->verification_uri_complete));
	r->expires_in = exp;
	r->interval = get_long(L, o, "interval");
	return 0;
}

/* json-c keeps copies of the strings: wipe the credentials before
 * freeing, and the tokener's buffer that held the text. */
static void
wipe_json(const struct oauth_lib *L, struct json_object *o,
    struct json_tokener *tok)
{
	static const char *const keys[] = { "access_token", "refresh_token",
		"id_token", "device_code" };
	struct json_object	*v;
	size_t			 i;

	for (i = 0; o != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (L->get_ex(o, keys[i], &v) &&
		    L->is_type(v, json_type_string))
			secret_bzero((char *)(uintptr_t)L->get_string(v),
			    (size_t)L->get_string_len(v));
	if (tok != NULL && tok->pb != NULL && tok->pb->buf != NULL)
		secret_bzero(tok->pb->buf, (size_t)tok->pb->size);
}

/* Nothing but white space (RFC 8259 §2) after the object. */
static int
only_space(const struct body *b, size_t from)
{
	for (; from < b->len; from++)
		if (b->buf[from] != ' ' && b->buf[from] != '\t' &&
		    b->buf[from] != '\r' && b->buf[from] != '\n')
			return 0;
	return 1;
}

static int
parse_body(const struct oauth_lib *L, const struct oauth_http *q, const struct body *b,
    struct oauth_reply *r, struct err *e)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	int			 rc = -1;

	if ((tok = L->tok_new()) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	o = L->tok_parse_ex(tok, b->buf, (int)b->len);
	if (o == NULL || !L->is_type(o, json_type_object) ||
	    !only_space(b, L->tok_parse_end(tok)))
		err_set(e, r->status / 100 == 2 ? EX_PROTOCOL : EX_UNAVAILABLE,
		    "OAuth2 endpoint %s answered HTTP %ld without a JSON "
		    "object", q->url, r->status);
	else if (fields(L, o, r, e) == 0)
		rc = 0;
	wipe_json(L, o, tok);
	L->put(o);
	L->tok_free(tok);
	return rc;
}

static int
curl_failed(const struct oauth_lib *L, const struct oauth_http *q, CURLcode c, const char *errbuf,
    struct err *e)
{
	const char	*why = errbuf[0] != '\0' ? errbuf : L->easy_strerror(c);

	/* TLS fails closed and permanently, as for the relay (69). */
	if (c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE
	    || c == CURLE_SSL_CERTPROBLEM || c == CURLE_UNSUPPORTED_PROTOCOL)
		return err_set(e, EX_UNAVAILABLE, "OAuth2 endpoint %s: %s",
		    q->url, why);
	if (c == CURLE_OPERATION_TIMEDOUT)
		return err_set(e, EX_TEMPFAIL, "OAuth2 endpoint %s timed out "
		    "after %d s", q->url, q->timeout);
	return err_set(e, EX_TEMPFAIL, "OAuth2 endpoint %s: %s", q->url, why);
}

static int
classify(const struct oauth_lib *L, const struct oauth_http *q, struct body *b, struct oauth_reply *r,
    struct err *e)
{
	if (r->status >= 500 || r->status == 429)
		return err_set(e, EX_TEMPFAIL, "OAuth2 endpoint %s answered "
		    "HTTP %ld; will retry", q->url, r->status);
	if (r->status / 100 != 2 && r->status / 100 != 4)
		return err_set(e, EX_UNAVAILABLE, "OAuth2 endpoint %s answered "
		    "HTTP %ld", q->url, r->status);
	if (parse_body(L, q, b, r, e) == -1)
		return -1;
	if (r->status / 100 == 4 && r->error[0] == '\0')
		return err_set(e, EX_UNAVAILABLE, "OAuth2 endpoint %s answered "
		    "HTTP %ld without an OAuth2 error", q->url, r->status);
	return 0;
}

int
oauth_http_parse(const char *url, long status, const char *text,
    size_t len, struct oauth_reply *r, struct err *e)
{
	struct oauth_http	 q = { url, NULL, 0, NULL };
	struct body		 b = { (char *)(uintptr_t)text, len, 0 };
	struct oauth_lib	 L;

	memset(r, 0, sizeof(*r));
	r->status = status;
	if (oauth_lib_open(&L, e) == -1)
		return -1;
	return parse_body(&L, &q, &b, r, e);
}

int
oauth_http_post(const struct oauth_http *q, const char *form, size_t len,
    struct oauth_reply *r, struct err *e)
{
	char			 errbuf[CURL_ERROR_SIZE] = "";
	struct body		 b = { NULL, 0, 0 };
	struct curl_slist	*hdrs = NULL;
	CURL			*h;
	CURLcode		 c;
	struct oauth_lib	 L;
	int			 rc = -1;

	memset(r, 0, sizeof(*r));
	if (oauth_lib_open(&L, e) == -1)
		return -1;
	if (L.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h = L.easy_init()) == NULL)
		return err_set(e, EX_OSERR, "libcurl cannot start");
	hdrs = L.slist_append(NULL, "Accept: application/json");
	if (hdrs == NULL || (b.buf = malloc(BOUNDS_OAUTH_REPLY)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		goto out;
	}
	if (setup(&L, h, q, form, len, &b, hdrs, errbuf) == -1) {
		err_set(e, EX_SOFTWARE, "libcurl refused an option");
		goto out;
	}
	if (q->trace != NULL)
		fprintf(q->trace, "relaymail: OAuth2: POST %s\n", q->url);
	if ((c = L.easy_perform(h)) != CURLE_OK) {
		if (b.over)
			err_set(e, EX_PROTOCOL, "OAuth2 endpoint %s: answer "
			    "longer than %d octets", q->url,
			    BOUNDS_OAUTH_REPLY);
		else
			curl_failed(&L, q, c, errbuf, e);
		goto out;
	}
	L.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	rc = classify(&L, q, &b, r, e);
	if (q->trace != NULL)
		fprintf(q->trace, "relaymail: OAuth2: HTTP %ld%s%s\n",
		    r->status, r->error[0] != '\0' ? ", error " : "",
		    r->error);
out:
	if (b.buf != NULL) {
		secret_bzero(b.buf, b.len);
		free(b.buf);
	}
	L.slist_free_all(hdrs);
	L.easy_cleanup(h);
	if (rc == -1)
		oauth_reply_wipe(r);
	return rc;
}
