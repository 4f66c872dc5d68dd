/*
 * script.c - the testrelay script: what to answer at each SMTP stage.
 *
 * One directive per line, '#' starts a comment:
 *
 *	[@N] STAGE ACTION [TEXT]
 *	cap KEYWORD [PARAMS]	offer an extra EHLO keyword (RFC 5321 §4.1.1.1)
 *	nocap KEYWORD		do not offer a default keyword
 *	auth-before-tls		offer AUTH before STARTTLS too (a bad server)
 *	auth-optional		take MAIL without AUTH (else 530 when -u is set)
 *	tls-intolerant		close, without an alert, on a ClientHello
 *				above TLS 1.1 (a version-intolerant server)
 *	lax-sync		without PIPELINING, take commands sent before
 *				their turn (else 500 and drop, as OpenSMTPD)
 *
 * STAGE is greeting, ehlo, helo, starttls, auth, mail, rcpt, rcpt:N (the
 * N-th RCPT, 1-based), rcpt:<addr>, data, eod (end of data), bdat, rset,
 * quit. ACTION is reply TEXT, drop, stall, drip [TEXT], garbage, oversize,
 * toomany, inject [TEXT]; a bare reply code ("mail 451 4.3.0 later") is
 * short for "reply". TEXT understands \r \n \\ \xHH; CRLF is appended when
 * missing, so a multi-line reply is "250-a\r\n250 b". "@N" limits the
 * directive to the N-th connection.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "relay.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Expands escapes and makes sure the text ends in CRLF. */
int
script_unescape(const char *in, char **out)
{
	size_t	 n = strlen(in), o = 0;
	char	*s;

	if ((s = malloc(n + 3)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (in[i] != '\\' || i + 1 == n) {
			s[o++] = in[i];
			continue;
		}
		i++;
		switch (in[i]) {
		case 'r': s[o++] = '\r'; break;
		case 'n': s[o++] = '\n'; break;
		case 't': s[o++] = '\t'; break;
		case 'x':
			if (i + 2 < n && hexval(in[i + 1]) >= 0 &&
			    hexval(in[i + 2]) >= 0) {
				s[o++] = (char)(hexval(in[i + 1]) * 16 +
				    hexval(in[i + 2]));
				i += 2;
			} else
				s[o++] = 'x';
			break;
		default: s[o++] = in[i]; break;
		}
	}
	if (o < 2 || s[o - 2] != '\r' || s[o - 1] != '\n') {
		s[o++] = '\r';
		s[o++] = '\n';
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

static const struct {
	const char	*name;
	enum tr_action	 act;
} actions[] = {
	{ "reply", ACT_REPLY }, { "drop", ACT_DROP }, { "stall", ACT_STALL },
	{ "drip", ACT_DRIP }, { "garbage", ACT_GARBAGE },
	{ "oversize", ACT_OVERSIZE }, { "toomany", ACT_TOOMANY },
	{ "inject", ACT_INJECT },
};

/* Splits off the first blank-separated word of *p. */
static char *
word(char **p)
{
	char	*s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	w = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	*p = s;
	return w;
}

static int
parse_directive(struct script *sc, int conn, const char *stage, char *rest)
{
	struct directive *d;
	char		*act;
	size_t		 i;

	if (sc->nd == TR_DIRECTIVES || strlen(stage) >= sizeof(d->stage))
		return -1;
	d = &sc->d[sc->nd];
	memset(d, 0, sizeof(*d));
	d->conn = conn;
	memcpy(d->stage, stage, strlen(stage) + 1);
	if (isdigit((unsigned char)rest[0])) {
		d->action = ACT_REPLY;
		sc->nd++;
		return script_unescape(rest, &d->text);
	}
	act = word(&rest);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(act, actions[i].name) == 0)
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return -1;
	d->action = actions[i].act;
	sc->nd++;
	if (*rest != '\0')
		return script_unescape(rest, &d->text);
	return d->action == ACT_REPLY ? -1 : 0;
}

static int
parse_line(struct script *sc, char *p)
{
	char	*w;
	int	 conn = 0;

	w = word(&p);
	if (*w == '\0' || *w == '#')
		return 0;
	if (*w == '@') {
		conn = (int)strtol(w + 1, NULL, 10);
		w = word(&p);
	}
	if (strcmp(w, "cap") == 0 && sc->ncaps_add < TR_CAPS)
		return (sc->caps_add[sc->ncaps_add++] = strdup(p)) ? 0 : -1;
	if (strcmp(w, "nocap") == 0 && sc->ncaps_del < TR_CAPS)
		return (sc->caps_del[sc->ncaps_del++] = strdup(p)) ? 0 : -1;
	if (strcmp(w, "auth-optional") == 0) {
		sc->auth_optional = 1;
		return 0;
	}
	if (strcmp(w, "tls-intolerant") == 0) {
		sc->tls_intolerant = 1;
		return 0;
	}
	if (strcmp(w, "lax-sync") == 0) {
		sc->lax_sync = 1;
		return 0;
	}
	if (strcmp(w, "auth-before-tls") == 0) {
		sc->auth_before_tls = 1;
		return 0;
	}
	return parse_directive(sc, conn, w, p);
}

int
script_load(struct script *sc, const char *path)
{
	FILE	*f;
	char	 line[TR_TEXT];
	int	 lineno = 0;

	memset(sc, 0, sizeof(*sc));
	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (parse_line(sc, line) == -1) {
			fprintf(stderr, "testrelay: %s:%d: bad directive\n",
			    path, lineno);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* A connection-specific directive wins over one for every connection. */
const struct directive *
script_find(const struct script *sc, int conn, const char *stage)
{
	const struct directive *any = NULL;

	for (int i = 0; i < sc->nd; i++) {
		if (strcasecmp(sc->d[i].stage, stage) != 0)
			continue;
		if (sc->d[i].conn == conn)
			return &sc->d[i];
		if (sc->d[i].conn == 0 && any == NULL)
			any = &sc->d[i];
	}
	return any;
}

int
script_cap_deleted(const struct script *sc, const char *cap)
{
	size_t	 n;

	for (int i = 0; i < sc->ncaps_del; i++) {
		n = strlen(sc->caps_del[i]);
		if (strncasecmp(cap, sc->caps_del[i], n) == 0 &&
		    (cap[n] == '\0' || cap[n] == ' '))
			return 1;
	}
	return 0;
}
