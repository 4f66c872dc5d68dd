/*
 * account.c - choosing the account for a message (relaymail.conf(5)),
 * and the ad-hoc account of --relay=URL (relaymail(8)).
 *
 * Selection order: -a NAME; the first account (in file order) with a
 * match_from glob matching the envelope sender; the top-level default;
 * the only account. Globs use fnmatch(3) with FNM_CASEFOLD: domains are
 * case-insensitive (RFC 5321 §2.4) and in practice so are the local
 * parts of the mailboxes people configure. A subaddress
 * (user+detail@domain, RFC 5233) also matches what user@domain matches.
 *
 * URLs follow RFC 3986 §3.2: smtps://[user@]host[:port] is implicit TLS
 * (RFC 8314 §3.3), smtp:// is STARTTLS (RFC 3207; never plaintext), IPv6
 * literals in brackets (RFC 3986 §3.2.2), user may be %-encoded.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "conf.h"

int
account_match_from(const char *pattern, const char *addr)
{
	char		 buf[BOUNDS_ADDR];
	const char	*plus, *at;
	size_t		 len = strlen(addr);

	if (len == 0 || len >= sizeof(buf))
		return 0;
	if (fnmatch(pattern, addr, FNM_CASEFOLD) == 0)
		return 1;
	/* user+detail@dom -> user@dom (the '+' must follow a user part). */
	at = strrchr(addr, '@');
	plus = strchr(addr, '+');
	if (plus == NULL || plus == addr || (at != NULL && plus > at))
		return 0;
	memcpy(buf, addr, (size_t)(plus - addr));
	buf[plus - addr] = '\0';
	if (at != NULL)
		memcpy(buf + (plus - addr), at, strlen(at) + 1);
	return fnmatch(pattern, buf, FNM_CASEFOLD) == 0;
}

static int
by_sender(const struct conf *c, const char *sender, struct account **out,
    char *why, size_t whylen)
{
	int	 i, j;

	for (i = 0; i < c->naccounts; i++)
		for (j = 0; j < c->accounts[i].nmatch_from; j++) {
			if (!account_match_from(c->accounts[i].match_from[j],
			    sender))
				continue;
			*out = &c->accounts[i];
			if (snprintf(why, whylen, "sender %s matches %s in "
			    "[%s]", sender, c->accounts[i].match_from[j],
			    c->accounts[i].name) >= (int)whylen)
				snprintf(why, whylen, "match_from in [%s]",
				    c->accounts[i].name);
			return 1;
		}
	return 0;
}

int
account_select(const struct conf *c, const char *cli_name,
    const char *sender, struct account **out, char *why, size_t whylen,
    struct err *e)
{
	*out = NULL;
	if (whylen > 0)
		why[0] = '\0';
	if (cli_name != NULL) {
		if ((*out = conf_account(c, cli_name)) == NULL)
			return err_set(e, EX_CONFIG, "%s: no account [%s]",
			    c->path != NULL ? c->path : "config", cli_name);
		snprintf(why, whylen, "-a %s", cli_name);
		return 0;
	}
	if (sender != NULL && *sender != '\0' &&
	    by_sender(c, sender, out, why, whylen))
		return 0;
	if (c->default_account != NULL) {
		if ((*out = conf_account(c, c->default_account)) == NULL)
			return err_set(e, EX_CONFIG, "%s: default names no "
			    "account [%s]", c->path != NULL ? c->path :
			    "config", c->default_account);
		snprintf(why, whylen, "default = %s", c->default_account);
		return 0;
	}
	if (c->naccounts == 1) {
		*out = &c->accounts[0];
		snprintf(why, whylen, "the only account, [%s]", (*out)->name);
		return 0;
	}
	return err_set(e, EX_CONFIG, "%s: no account chosen: %d accounts, "
	    "no match_from matches %s and no default; use -a or set default",
	    c->path != NULL ? c->path : "config", c->naccounts,
	    sender != NULL && *sender != '\0' ? sender : "the null sender");
}

/* %XX decoding of the user part (RFC 3986 §2.1). */
static int
url_decode(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t	 i, n = 0;
	unsigned int v;

	for (i = 0; i < len; i++) {
		if (n + 1 >= dstlen)
			return -1;
		if (src[i] != '%') {
			if ((unsigned char)src[i] <= ' ' || src[i] == 0x7f)
				return -1;
			dst[n++] = src[i];
			continue;
		}
		if (i + 2 >= len || !isxdigit((unsigned char)src[i + 1]) ||
		    !isxdigit((unsigned char)src[i + 2]) ||
		    sscanf(src + i + 1, "%2x", &v) != 1 || v < 0x21 ||
		    v == 0x7f)
			return -1;
		dst[n++] = (char)v;
		i += 2;
	}
	dst[n] = '\0';
	return 0;
}

struct url {
	enum tls_mode	 tls;
	char		 user[BOUNDS_ADDR];
	char		 host[BOUNDS_DOMAIN + 1];
	int		 port;
};

static int
url_port(const char *s, int *port)
{
	long	 n = 0;

	if (*s == '\0' || strlen(s) > 5 || strspn(s, "0123456789") !=
	    strlen(s))
		return -1;
	n = strtol(s, NULL, 10);
	if (n < 1 || n > 65535)
		return -1;
	*port = (int)n;
	return 0;
}

/* host or [v6], then optional :port; hp is NUL-terminated. */
static int
url_hostport(struct url *u, char *hp)
{
	unsigned char	 a[16];
	char		*close, *colon;
	size_t		 len;

	if (*hp == '[') {
		if ((close = strchr(hp, ']')) == NULL)
			return -1;
		*close = '\0';
		if (inet_pton(AF_INET6, hp + 1, a) != 1)
			return -1;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (colon == NULL && close[1] != '\0')
			return -1;
		hp++;
	} else {
		colon = strchr(hp, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return -1;	/* IPv6 without brackets */
		if (colon != NULL)
			*colon = '\0';
		if (strspn(hp, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
		    "TUVWXYZ0123456789.-_") != strlen(hp) || *hp == '-' ||
		    *hp == '.')
			return -1;
	}
	if (colon != NULL && url_port(colon + 1, &u->port) == -1)
		return -1;
	len = strlen(hp);
	if (len == 0 || len >= sizeof(u->host))
		return -1;
	memcpy(u->host, hp, len + 1);
	return 0;
}

static int
url_parse(const char *url, struct url *u, struct err *e)
{
	char		 auth[BOUNDS_ADDR + BOUNDS_DOMAIN + 16];
	const char	*rest, *end;
	char		*at;
	size_t		 len;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "smtps://", 8) == 0) {
		u->tls = TLS_IMPLICIT;
		rest = url + 8;
	} else if (strncasecmp(url, "smtp://", 7) == 0) {
		u->tls = TLS_STARTTLS;
		rest = url + 7;
	} else
		return err_set(e, EX_USAGE, "--relay: '%.80s': expected "
		    "smtps://[user@]host[:port] or smtp://[user@]host[:port]",
		    url);
	end = strchr(rest, '/');
	len = end != NULL ? (size_t)(end - rest) : strlen(rest);
	if ((end != NULL && strcmp(end, "/") != 0) || len == 0 ||
	    len >= sizeof(auth) || strpbrk(rest, "?#") != NULL)
		return err_set(e, EX_USAGE, "--relay: bad URL '%.80s'", url);
	memcpy(auth, rest, len);
	auth[len] = '\0';
	if ((at = strrchr(auth, '@')) != NULL) {
		*at = '\0';
		if (strchr(auth, ':') != NULL)
			return err_set(e, EX_USAGE, "--relay: a password "
			    "never goes in the URL; use password_command");
		if (at == auth || url_decode(u->user, sizeof(u->user), auth,
		    strlen(auth)) == -1)
			return err_set(e, EX_USAGE, "--relay: bad user in "
			    "'%.80s'", url);
	}
	if (url_hostport(u, at != NULL ? at + 1 : auth) == -1)
		return err_set(e, EX_USAGE, "--relay: bad host or port in "
		    "'%.80s' (IPv6 goes in brackets)", url);
	return 0;
}

static int
url_apply(struct account *a, const struct url *u, struct err *e)
{
	int	 i;

	for (i = 0; i < a->nhosts; i++)
		free(a->hosts[i]);
	a->nhosts = 0;
	free(a->fallback);	/* a fallback belongs to a named account */
	a->fallback = NULL;
	conf_account_drop_oauth(a);	/* and so do its OAuth2 tokens */
	snprintf(a->name, sizeof(a->name), "relay");
	a->tls = u->tls;
	a->port = u->port;	/* 0: resolved from tls */
	if ((a->hosts[0] = strdup(u->host)) == NULL)
		return err_nomem(e);
	a->nhosts = 1;
	if (u->user[0] != '\0') {
		free(a->user);
		if ((a->user = strdup(u->user)) == NULL)
			return err_nomem(e);
	}
	return 0;
}

int
account_from_url(struct account *out, const char *url,
    const struct account *base, struct err *e)
{
	struct url	 u;
	int		 system;

	if (url_parse(url, &u, e) == -1)
		return -1;
	if (base != NULL) {
		if (conf_account_copy(out, base, e) == -1)
			return -1;
	} else
		conf_account_init(out);
	system = out->file != NULL && strcmp(out->file, CONF_SYSTEM_PATH) == 0;
	if (url_apply(out, &u, e) == -1 ||
	    conf_account_finish(out, system, e) == -1) {
		conf_account_free(out);
		return -1;
	}
	return 0;
}
