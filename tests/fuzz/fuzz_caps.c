/*
 * fuzz_caps.c - libFuzzer target for the EHLO capability parser
 * (smtp_caps.c, RFC 5321 §4.1.1.1 and the extension RFCs). The input is
 * a relay's EHLO reply: lines split at LF (a CR before it dropped, as
 * conn_readline does), fed to reply_feed() until the reply is complete,
 * then smtp_caps_parse(). Invariants:
 *  - no crash, no UB (the caps struct is fixed-size: no leak possible);
 *  - caps.auth is NUL-terminated inside its array, has no leading,
 *    trailing or double space, and lists every mechanism only once;
 *  - each mechanism (1..20 characters) named on an AUTH or AUTH= line
 *    is reported as offered by auth_offered() when parsing succeeded,
 *    and every mechanism in caps.auth came from such a line;
 *  - a flag is set only when a line (after the first) starts with its
 *    keyword; SIZE is never negative; nlines equals the reply's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "fuzz.h"
#include "smtp.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Does some line after the first start with keyword kw (then end,
 * space or '=')? */
static int
has_kw(const struct reply *r, const char *kw)
{
	size_t n = strlen(kw);
	int i;

	for (i = 1; i < r->nlines; i++)
		if (strncasecmp(r->text[i], kw, n) == 0 &&
		    (r->text[i][n] == '\0' || r->text[i][n] == ' ' ||
		    r->text[i][n] == '='))
			return 1;
	return 0;
}

/* Every mechanism on the AUTH lines is offered. */
static void
check_auth_lines(const struct reply *r, const struct relay_caps *c)
{
	char mech[32];
	const char *p;
	size_t n;
	int i;

	for (i = 1; i < r->nlines; i++) {
		if (strncasecmp(r->text[i], "AUTH", 4) != 0 ||
		    (r->text[i][4] != ' ' && r->text[i][4] != '='))
			continue;
		for (p = r->text[i] + 5; *p != '\0'; p += n) {
			p += strspn(p, " \t");
			n = strcspn(p, " \t");
			if (n == 0 || n > 20)
				continue;
			memcpy(mech, p, n);
			mech[n] = '\0';
			if (!auth_offered(c->auth, mech))
				abort();
		}
	}
}

/* caps.auth: "A B C", words once each, each from an AUTH line. */
static void
check_auth_list(const struct reply *r, const struct relay_caps *c)
{
	char mech[32], line[BOUNDS_REPLY_LINE + 2];
	const char *p = c->auth;
	size_t n, len;
	int i, found;

	if ((len = strnlen(c->auth, sizeof(c->auth))) == sizeof(c->auth))
		abort();
	if (len > 0 && (c->auth[0] == ' ' || c->auth[len - 1] == ' ' ||
	    strstr(c->auth, "  ") != NULL))
		abort();
	for (; *p != '\0'; p += n + (p[n] == ' ')) {
		n = strcspn(p, " ");
		if (n == 0 || n > 20)
			abort();
		memcpy(mech, p, n);
		mech[n] = '\0';
		/* Once only: the next occurrence is the word itself. */
		if (auth_offered(p + n, mech))
			abort();
		for (i = 1, found = 0; i < r->nlines && !found; i++) {
			if (strncasecmp(r->text[i], "AUTH", 4) != 0 ||
			    (r->text[i][4] != ' ' && r->text[i][4] != '='))
				continue;
			memcpy(line, r->text[i] + 5, sizeof(r->text[i]) - 5);
			found = auth_offered(line, mech);
		}
		if (!found)
			abort();
	}
}

static void
parse(const struct reply *r)
{
	static struct relay_caps c;
	struct err e;

	if (smtp_caps_parse(&c, r, &e) != 0) {
		if (e.code != EX_PROTOCOL)
			abort();
		return;
	}
	if (c.nlines != r->nlines || c.size < 0 ||
	    (c.pipelining && !has_kw(r, "PIPELINING")) ||
	    (c.starttls && !has_kw(r, "STARTTLS")) ||
	    (c.eightbitmime && !has_kw(r, "8BITMIME")) ||
	    (c.dsn && !has_kw(r, "DSN")) ||
	    (c.smtputf8 && !has_kw(r, "SMTPUTF8")) ||
	    (c.chunking && !has_kw(r, "CHUNKING")) ||
	    (c.enhancedstatuscodes && !has_kw(r, "ENHANCEDSTATUSCODES")) ||
	    (c.has_size && !has_kw(r, "SIZE")))
		abort();
	check_auth_list(r, &c);
	check_auth_lines(r, &c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reply r;
	const char *p = (const char *)data, *end = p + size, *line;
	struct err e;
	size_t len;
	int rc;

	reply_init(&r);
	while (fuzz_next_line(&p, end, &line, &len)) {
		/* conn_readline never returns a NUL inside a line. */
		if (memchr(line, '\0', len) != NULL)
			return 0;
		rc = reply_feed(&r, line, len, &e);
		if (rc == 1) {
			parse(&r);
			reply_init(&r);
		} else if (rc == -1)
			reply_init(&r);
	}
	return 0;
}
