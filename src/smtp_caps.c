/*
 * smtp_caps.c - the relay's capabilities from its EHLO reply (RFC 5321
 * §4.1.1.1: the first line names the relay, each further line starts
 * with an extension keyword): PIPELINING (RFC 2920), STARTTLS (RFC
 * 3207), 8BITMIME (RFC 6152), DSN (RFC 3461), SMTPUTF8 (RFC 6531),
 * CHUNKING (RFC 3030), ENHANCEDSTATUSCODES (RFC 2034), SIZE (RFC 1870)
 * and AUTH (RFC 4954, and the pre-standard "AUTH=" form some relays
 * still send). Keywords are matched without regard to case (RFC 5321
 * §2.4); unknown ones are ignored.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"

/* Is mech[n] a whole word of the space-separated list (any case)? A
 * substring test would take "PLAIN" as listed after "XPLAIN". */
static int
caps_has_mech(const char *list, const char *mech, size_t n)
{
	size_t w;

	while (*list != '\0') {
		w = strcspn(list, " ");
		if (w == n && strncasecmp(list, mech, n) == 0)
			return 1;
		list += w + (list[w] == ' ');
	}
	return 0;
}

/* Add the mechanisms in list (space-separated) to caps->auth, once each. */
static int
caps_add_auth(struct relay_caps *c, const char *list, struct err *e)
{
	char mech[32];
	size_t n, have;

	while (*list != '\0') {
		list += strspn(list, " \t");
		n = strcspn(list, " \t");
		/* RFC 4422 §3.1: a mechanism name is 1 to 20 characters. */
		if (n > 0 && n <= 20) {
			memcpy(mech, list, n);
			mech[n] = ' ';
			mech[n + 1] = '\0';
			have = strlen(c->auth);
			if (!caps_has_mech(c->auth, mech, n)) {
				if (have + n + 2 > sizeof(c->auth))
					return err_set(e, EX_PROTOCOL, "EHLO "
					    "reply lists too many AUTH "
					    "mechanisms");
				memcpy(c->auth + have, mech, n + 2);
			}
		}
		list += n;
	}
	return 0;
}

/* Does keyword kw start line t (followed by end, space or '=')? */
static const char *
kw_match(const char *t, const char *kw)
{
	size_t n = strlen(kw);

	if (strncasecmp(t, kw, n) != 0)
		return NULL;
	if (t[n] == '\0')
		return t + n;
	if (t[n] == ' ' || t[n] == '=')
		return t + n + 1;
	return NULL;
}

static int
caps_line(struct relay_caps *c, const char *t, struct err *e)
{
	static const struct {
		const char	*kw;
		size_t		 off;
	} flags[] = {
		{ "PIPELINING", offsetof(struct relay_caps, pipelining) },
		{ "STARTTLS", offsetof(struct relay_caps, starttls) },
		{ "8BITMIME", offsetof(struct relay_caps, eightbitmime) },
		{ "DSN", offsetof(struct relay_caps, dsn) },
		{ "SMTPUTF8", offsetof(struct relay_caps, smtputf8) },
		{ "CHUNKING", offsetof(struct relay_caps, chunking) },
		{ "ENHANCEDSTATUSCODES",
		    offsetof(struct relay_caps, enhancedstatuscodes) },
	};
	const char *arg;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (kw_match(t, flags[i].kw) != NULL) {
			*(int *)(void *)((char *)c + flags[i].off) = 1;
			return 0;
		}
	if ((arg = kw_match(t, "SIZE")) != NULL) {
		char *end;
		long long v = strtoll(arg, &end, 10);

		c->has_size = 1;
		/* RFC 1870 §4: no number or 0 means no fixed limit. */
		c->size = (end != arg && v > 0) ? v : 0;
		return 0;
	}
	if ((arg = kw_match(t, "AUTH")) != NULL)
		return caps_add_auth(c, arg, e);
	return 0;
}

void
smtp_caps_clear(struct relay_caps *c)
{
	memset(c, 0, offsetof(struct relay_caps, lines));
}

int
smtp_caps_parse(struct relay_caps *c, const struct reply *r, struct err *e)
{
	int i;

	smtp_caps_clear(c);
	c->esmtp = 1;
	for (i = 0; i < r->nlines; i++) {
		memcpy(c->lines[i], r->text[i], sizeof(c->lines[i]));
		/* Line 0 is the relay's name and greeting, not a keyword. */
		if (i > 0 && caps_line(c, r->text[i], e) == -1)
			return -1;
	}
	c->nlines = r->nlines;
	/* Drop the trailing space kept for whole-word matching. */
	if (c->auth[0] != '\0')
		c->auth[strlen(c->auth) - 1] = '\0';
	return 0;
}
