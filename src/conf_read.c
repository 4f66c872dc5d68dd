/*
 * conf_read.c - reading the configuration file (relaymail.conf(5)) with
 * libinih: our line reader in front of it, the [section] headers, and the
 * handler that stores each key = value of an account.
 *
 * libinih does the INI syntax; our own line reader in front of it counts
 * lines (Debian builds libinih without INI_HANDLER_LINENO), enforces
 * BOUNDS_CONF_LINE instead of libinih's 200-byte default, sees [section]
 * headers (to catch duplicate and empty sections) and wipes libinih's
 * line buffer, which held the password line, before it is reused or
 * freed. Every problem is reported as "file:line: message" and reading
 * goes on, so that --check-config lists them all.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>

#include "conf_int.h"
#include "textline.h"

/* Report one problem as "file:line: message"; the first stays in err. */
void
conf_read_problem(struct parse *p, int line, const char *fmt, ...)
{
	char	 msg[BOUNDS_ERRMSG];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->nerr++ == 0) {
		if (line > 0)
			err_set(p->e, EX_CONFIG, "%s:%d: %s", p->c->path, line,
			    msg);
		else
			err_set(p->e, EX_CONFIG, "%s: %s", p->c->path, msg);
	}
	if (p->report != NULL) {
		if (line > 0)
			fprintf(p->report, "%s:%d: %s\n", p->c->path, line,
			    msg);
		else
			fprintf(p->report, "%s: %s\n", p->c->path, msg);
	}
}

/* Short name within this file. */
#define problem	conf_read_problem

/* Room for one more account and its struct sect. */
static int
grow(struct parse *p)
{
	struct account	*na;
	struct sect	*ns;

	if (p->c->naccounts < p->cap)
		return 0;
	p->cap = p->cap == 0 ? 8 : p->cap * 2;
	na = reallocarray(p->c->accounts, (size_t)p->cap, sizeof(*na));
	if (na != NULL)
		p->c->accounts = na;
	ns = reallocarray(p->sects, (size_t)p->cap, sizeof(*ns));
	if (ns != NULL)
		p->sects = ns;
	if (na == NULL || ns == NULL) {
		p->cap = p->c->naccounts;
		problem(p, p->lineno, "out of memory");
		return -1;
	}
	return 0;
}

static void
open_section(struct parse *p, const char *name, size_t len)
{
	char		 buf[BOUNDS_NAME];
	struct account	*na;
	int		 i;

	p->cur = SECT_SKIP;
	if (len >= sizeof(buf)) {
		problem(p, p->lineno, "section name longer than %d bytes",
		    BOUNDS_NAME - 1);
		return;
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (strcmp(buf, "defaults") == 0) {
		if (p->defaults_line != 0)
			problem(p, p->lineno, "duplicate section [defaults] "
			    "(first on line %d)", p->defaults_line);
		else {
			p->defaults_line = p->lineno;
			p->cur = SECT_DEFAULTS;
		}
		return;
	}
	if (conf_value_name(buf) == -1) {
		problem(p, p->lineno, "bad section name [%s]: use letters, "
		    "digits, '.', '_' and '-'", buf);
		return;
	}
	for (i = 0; i < p->c->naccounts; i++)
		if (strcmp(p->c->accounts[i].name, buf) == 0) {
			problem(p, p->lineno, "duplicate section [%s] (first "
			    "on line %d)", buf, p->c->accounts[i].line);
			return;
		}
	if (grow(p) == -1)
		return;
	na = &p->c->accounts[p->c->naccounts];
	conf_account_init(na);
	memcpy(na->name, buf, len + 1);
	na->file = p->c->path;
	na->line = p->lineno;
	memset(&p->sects[p->c->naccounts], 0, sizeof(struct sect));
	p->cur = p->c->naccounts++;
}

/* libinih would call nothing for a malformed line, only note its number;
 * we check the shape ourselves so that every bad line is reported. */
static void
check_line(struct parse *p, char *str)
{
	char	*s = str, *end, *t;

	if (p->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == ';' || *s == '#')
		return;
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			problem(p, p->lineno, "unterminated [section] header");
			memcpy(str, "\n", 2);
			return;
		}
		for (t = end + 1; isspace((unsigned char)*t); t++)
			;
		if (*t != '\0' && *t != ';' && *t != '#')
			problem(p, p->lineno, "text after [section] header");
		open_section(p, s + 1, (size_t)(end - s - 1));
		return;
	}
	for (t = s; *t != '\0' && *t != '=' && *t != ':'; t++)
		if (*t == ';' && t > s && isspace((unsigned char)t[-1]))
			break;
	if (*t != '=' && *t != ':') {
		problem(p, p->lineno, "expected key = value");
		memcpy(str, "\n", 2);
	}
}

/*
 * libinih's line reader. num is the size of libinih's line buffer (we
 * size it in ini_setup()); the buffer still holds the previous line,
 * perhaps a password, so textline_read() wipes it first (p->linelen
 * bytes: inih only writes inside the line). A bad line is
 * handed on as an empty one, after it has been reported.
 */
static char *
reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	int		 rc;

	if ((rc = textline_read(p->fp, str, (size_t)num, BOUNDS_CONF_LINE,
	    &p->linelen)) == TEXTLINE_EOF)
		return NULL;
	p->lineno++;
	if (rc == TEXTLINE_NUL)
		problem(p, p->lineno, "NUL byte in line");
	else if (rc == TEXTLINE_LONG)
		problem(p, p->lineno, "line longer than %d bytes",
		    BOUNDS_CONF_LINE);
	if (rc != TEXTLINE_OK) {
		memcpy(str, "\n", 2);
		return str;
	}
	check_line(p, str);
	return str;
}

static void
top_level(struct parse *p, const char *name, const char *value)
{
	if (strcasecmp(name, "default") != 0)
		problem(p, p->lineno, "unknown top-level key '%s' (account "
		    "keys go in [defaults] or an account section)", name);
	else if (p->default_line != 0)
		problem(p, p->lineno, "duplicate key 'default' (first on line "
		    "%d)", p->default_line);
	else if (conf_value_name(value) == -1)
		problem(p, p->lineno, "default: '%s' is not an account name",
		    value);
	else if ((p->c->default_account = strdup(value)) == NULL)
		problem(p, p->lineno, "out of memory");
	else
		p->default_line = p->lineno;
}

/* The key of another password source already set when k is one, else
 * -1. */
static int
other_secret(const struct sect *s, int k)
{
	int	 o;

	for (o = KEY_PASSWORD; conf_keys_is_secret(k) &&
	    o <= KEY_PASSWORD_FILE; o++)
		if (s->set[o])
			return o;
	return -1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	const struct key *keys = conf_keys_table;
	struct parse	*p = user;
	struct account	*a;
	struct sect	*s;
	char		 why[BOUNDS_ERRMSG / 2];
	int		 k, o;

	(void)section;		/* p->cur, set by the reader, is ours */
	if (p->cur == SECT_SKIP)
		return 1;
	if (p->cur == SECT_TOP)
		return top_level(p, name, value), 1;
	a = p->cur == SECT_DEFAULTS ? &p->c->defaults :
	    &p->c->accounts[p->cur];
	s = p->cur == SECT_DEFAULTS ? &p->dsect : &p->sects[p->cur];
	if ((k = conf_keys_find(name)) == -1)
		return problem(p, p->lineno, "unknown key '%s'", name), 1;
	if (s->set[k])
		return problem(p, p->lineno, "duplicate key '%s' (first on "
		    "line %d)", keys[k].name, s->line[k]), 1;
	if (*value == '\0')
		return problem(p, p->lineno, "%s: empty value",
		    keys[k].name), 1;
	if ((o = other_secret(s, k)) != -1)
		return problem(p, p->lineno, "%s: only one of password, "
		    "password_command and password_file may be set (%s on "
		    "line %d)", keys[k].name, keys[o].name, s->line[o]), 1;
	if (conf_value_set(p, a, &keys[k], value, why, sizeof(why)) == -1) {
		conf_keys_free(a, &keys[k]);
		return problem(p, p->lineno, "%s: %s", keys[k].name, why), 1;
	}
	s->set[k] = 1;
	s->line[k] = p->lineno;
	if ((k == KEY_PASSWORD || k == KEY_OAUTH_CLIENT_SECRET) &&
	    p->secret_line == 0) {
		p->secret_line = p->lineno;
		p->secret_key = k;
	}
	return 1;
}

/* libinih's behaviour is set at run time in Debian's build: lines up to
 * our own cap (long OAuth tokens and commands), no continuation lines
 * (an indented line is a line of its own), heap buffer we can wipe. */
static void
ini_setup(void)
{
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = BOUNDS_CONF_LINE + 3;	/* CR, LF, NUL */
	ini_initial_alloc = BOUNDS_CONF_LINE + 3;
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_allow_no_value = false;
	ini_stop_on_first_error = false;
	ini_allow_bom = true;
}

/* Read all of p->fp into p->c; problems are counted in p->nerr. */
int
conf_read_parse(struct parse *p)
{
	int	 rc;

	ini_setup();
	rc = ini_parse_stream(reader, p, handler, p);
	if (rc == -2)
		problem(p, 0, "out of memory");
	if (ferror(p->fp))
		problem(p, p->lineno, "read error");
	return p->nerr > 0 ? -1 : 0;
}
