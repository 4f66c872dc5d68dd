/*
 * fuzz_oauth.c - libFuzzer target for what relaymail reads in the OAuth2
 * path: the token cache file (oauth_store.c) and the JSON answers of the
 * token and device endpoints (oauth_http.c, RFC 6749 §5.1/§5.2, RFC 8628
 * §3.2). The first byte picks the parser (even: token file, odd: JSON
 * with HTTP status 200 or 400). Checks the invariants the callers rely
 * on: tokens hold no CR, LF or NUL and fit BOUNDS_SECRET; the strings
 * that are printed or stored hold no control characters.
 *
 * Built and run by `make fuzz` (tests/fuzz/fuzz_oauth).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_http.h"
#include "oauth_store.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_secret(const struct secret *s)
{
	if (s->buf == NULL)
		return;
	if (s->len == 0 || s->len > BOUNDS_SECRET || strlen(s->buf) != s->len ||
	    strpbrk(s->buf, "\r\n") != NULL)
		abort();
}

static void
check_text(const char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < ' ' || *t == 0x7f)
			abort();
}

static void
token_file(const uint8_t *data, size_t size)
{
	struct oauth_tokens	 t;
	struct err		 e;
	char			*buf;

	if ((buf = malloc(size + 1)) == NULL)
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&t, 0, sizeof(t));
	if (oauth_store_parse(buf, &t, &e) == 0) {
		check_secret(&t.access);
		check_secret(&t.refresh);
		if (t.access.buf == NULL || t.expires_at < 0 ||
		    strchr(t.scope, '\n') != NULL)
			abort();
	}
	oauth_tokens_wipe(&t);
	free(buf);
}

static void
json_body(const uint8_t *data, size_t size)
{
	static struct oauth_reply	 r;
	struct err			 e;

	if (oauth_http_parse("https://fuzz.example/token", size % 2 ? 400 :
	    200, (const char *)data, size, &r, &e) == 0) {
		check_secret(&r.tok.access);
		check_secret(&r.tok.refresh);
		check_text(r.error);
		check_text(r.error_desc);
		check_text(r.tok.scope);
		check_text(r.user_code);
		check_text(r.verification_uri);
		check_text(r.verification_uri_complete);
	}
	oauth_reply_wipe(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		token_file(data + 1, size - 1);
	else
		json_body(data + 1, size - 1);
	return 0;
}
