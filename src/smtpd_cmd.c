/*
 * smtpd_cmd.c - parsing the command lines a local client sends to
 * relaymail -bs (RFC 5321 §4.1.1 commands, §4.1.2 paths and their
 * syntax, §4.1.1.11 parameters of MAIL and RCPT as RFC 1869/5321 §4.1.2
 * "Mail-parameters" / "Rcpt-parameters": esmtp-keyword ["=" esmtp-value]).
 *
 * Paths are read as the grammar says, with two allowances Postfix also
 * makes for local submitters: blanks after the colon, and a mailbox
 * without a domain (qualified later with maildomain, as on the command
 * line). A quoted local part may hold '>' or blanks but no control
 * character; outside quotes a blank, ',', '<' or control character is a
 * syntax error, so a path never turns into two recipients.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "smtpd_int.h"

static const struct {
	const char	*name;
	enum smtpd_verb	 verb;
} verbs[] = {
	{ "HELO", SV_HELO }, { "EHLO", SV_EHLO }, { "MAIL", SV_MAIL },
	{ "RCPT", SV_RCPT }, { "DATA", SV_DATA }, { "RSET", SV_RSET },
	{ "NOOP", SV_NOOP }, { "QUIT", SV_QUIT }, { "HELP", SV_HELP },
	{ "VRFY", SV_VRFY },
	/* RFC 5321 §4.1.3 EXPN, §4.5.1; extensions not advertised. */
	{ "EXPN", SV_NOTIMPL }, { "AUTH", SV_NOTIMPL },
	{ "STARTTLS", SV_NOTIMPL }, { "BDAT", SV_NOTIMPL },
	{ "ETRN", SV_NOTIMPL }, { "TURN", SV_NOTIMPL }, { "ATRN", SV_NOTIMPL },
	{ "SEND", SV_NOTIMPL }, { "SOML", SV_NOTIMPL }, { "SAML", SV_NOTIMPL },
};

void
smtpd_cmd_parse(char *line, struct smtpd_cmd *c)
{
	size_t i, n;
	char *end;

	c->verb = SV_UNKNOWN;
	c->arg = "";
	/* Trailing blanks are no part of the argument. */
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (line[0] == '\0') {
		c->verb = SV_EMPTY;
		return;
	}
	n = strcspn(line, " \t");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) == n &&
		    strncasecmp(line, verbs[i].name, n) == 0) {
			c->verb = verbs[i].verb;
			break;
		}
	}
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	c->arg = line;
}

/* The mailbox between '<' and '>': quoted strings may hold anything
 * printable; returns the position of '>' or NULL. */
static const char *
mailbox_end(const char *p)
{
	int q = 0;

	for (; *p != '\0'; p++) {
		unsigned char u = (unsigned char)*p;

		/* RFC 5321 §4.1.2 qtextSMTP, quoted-pairSMTP: printable
		 * (UTF-8 allowed, RFC 6531 §3.3), no control characters. */
		if (q && (u < ' ' || u == 127))
			return NULL;
		if (q) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				q = 0;
			continue;
		}
		if (*p == '"')
			q = 1;
		else if (*p == '>')
			return p;
		else if (u <= ' ' || u == 127 || *p == ',' || *p == '<')
			return NULL;
	}
	return NULL;
}

int
smtpd_cmd_path(const char *arg, const char *prefix, char *addr,
    size_t addrlen, const char **params)
{
	const char *p = arg, *end;
	size_t n = strlen(prefix);

	if (strncasecmp(p, prefix, n) != 0)
		return -1;
	p += n;
	while (*p == ' ')
		p++;
	if (*p++ != '<')
		return -1;
	/* RFC 5321 §4.1.2 A-d-l: "@one,@two:" is kept only for history
	 * and MUST be accepted; it is ignored. */
	if (*p == '@') {
		p += strcspn(p, ":>");
		if (*p != ':')
			return -1;
		p++;
	}
	if ((end = mailbox_end(p)) == NULL)
		return -1;
	n = (size_t)(end - p);
	if (n + 1 > addrlen)
		return -1;
	memcpy(addr, p, n);
	addr[n] = '\0';
	p = end + 1;
	if (*p != '\0' && *p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	*params = p;
	return 0;
}

static int
copy_word(char *out, size_t cap, const char *p, size_t n)
{
	if (n + 1 > cap)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
smtpd_cmd_param(const char **pp, char *key, size_t keylen, char *val,
    size_t vallen)
{
	const char *p = *pp, *k;
	size_t n;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	for (k = p; isalnum((unsigned char)*p) || (*p == '-' && p > k); p++)
		;
	if (p == k || copy_word(key, keylen, k, (size_t)(p - k)) == -1)
		return -1;
	val[0] = '\0';
	if (*p == '=') {
		p++;
		/* esmtp-value = 1*(%d33-60 / %d62-126): no '=', no blank */
		n = strcspn(p, " ");
		if (n == 0 || copy_word(val, vallen, p, n) == -1)
			return -1;
		for (k = p; k < p + n; k++)
			if ((unsigned char)*k < 33 || (unsigned char)*k > 126 ||
			    *k == '=')
				return -1;
		p += n;
	}
	if (*p != '\0' && *p != ' ')
		return -1;
	*pp = p;
	return 1;
}
