/*
 * conf_value.c - parsing one value of the configuration file into its field of
 * struct account (relaymail.conf(5)), by the key's type in the table of
 * conf_keys.c: strings, paths and the files they name, account names, mail
 * addresses, numbers, durations, booleans, enums, the log target, a GnuTLS
 * priority string and the TLS version. Host names, pins and lists are
 * conf_list.c's.
 *
 * Every parser returns 0, or -1 with the reason in why; the caller
 * prefixes it with file:line and the key's name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <gnutls/gnutls.h>

#include "conf_int.h"

/* Short name within this file. */
#define bad	conf_list_bad

static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
parse_long(const char *v, long min, long max, long *out)
{
	char	*end;
	long	 n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* "5d", "12h", "30m", "90s", "2w" or plain seconds. */
static int
parse_duration(const char *v, long *out)
{
	char	 num[32];
	size_t	 len = strlen(v);
	long	 mult = 1, n;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, v, len + 1);
	switch (num[len - 1]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: mult = 0; break;
	}
	if (mult != 0)
		num[len - 1] = '\0';
	else
		mult = 1;
	if (parse_long(num, 1, CONF_LIFETIME_MAX, &n) == -1 ||
	    n > CONF_LIFETIME_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

/* An address as the envelope needs it: no spaces, brackets, controls. */
static int
check_addr(const char *v)
{
	size_t	 i, len = strlen(v);

	if (len == 0 || len >= BOUNDS_ADDR)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == '<' || v[i] == '>' ||
		    v[i] == ',' || v[i] == 0x7f)
			return -1;
	return 0;
}

/* Absolute path, or ~/ relative to $HOME; anything else depends on the
 * caller's cwd (cron, PHP), so it is refused. */
static int
parse_path(char **out, const char *v, char *why, size_t wlen)
{
	const char	*home;
	char		 buf[BOUNDS_PATH];
	int		 n;

	if (strncmp(v, "~/", 2) == 0) {
		if ((home = getenv("HOME")) == NULL || *home != '/')
			return bad(why, wlen, "~/ used but $HOME is not set");
		n = snprintf(buf, sizeof(buf), "%s%s", home, v + 1);
	} else if (*v == '/')
		n = snprintf(buf, sizeof(buf), "%s", v);
	else
		return bad(why, wlen, "'%s' is not an absolute path", v);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return bad(why, wlen, "path longer than %d bytes", BOUNDS_PATH);
	if ((*out = strdup(buf)) == NULL)
		return bad(why, wlen, "out of memory");
	return 0;
}

/* A file the account names must be readable now, so that --check-config
 * finds it; a secret file must also pass the secret permission rule. */
static int
check_file(const char *path, int secret, int system, char *why, size_t wlen)
{
	struct stat		 st;
	enum conf_open_why	 w;
	int			 fd;

	if ((fd = conf_open_file(path, secret, system, &st, &w)) != -1) {
		close(fd);
		return 0;
	}
	if (w == CONF_OPEN_ERRNO)
		return bad(why, wlen, "cannot read %s: %s", path,
		    strerror(errno));
	if (w == CONF_OPEN_NOTREG)
		return bad(why, wlen, "%s is not a regular file", path);
	return bad(why, wlen, "%s is readable by group or others (mode %04o); "
	    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
}

/* Account (section) names: also used in file names of the queue. */
int
conf_value_name(const char *v)
{
	size_t	 len = strlen(v);

	return len == 0 || len >= BOUNDS_NAME || strspn(v, "abcdefghijklmn"
	    "opqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len ?
	    -1 : 0;
}

static int
parse_log(struct account *a, const char *v, char *why, size_t wlen)
{
	if (strcmp(v, "syslog") == 0)
		a->log = LOGTO_SYSLOG;
	else if (strcmp(v, "none") == 0)
		a->log = LOGTO_NONE;
	else if (strncmp(v, "file:", 5) == 0) {
		if (parse_path(&a->log_path, v + 5, why, wlen) == -1)
			return -1;
		a->log = LOGTO_FILE;
	} else
		return bad(why, wlen, "expected syslog, file:PATH or none");
	return 0;
}

/* Checked now, so that a typo is a config error, not a failed send. */
static int
parse_priority(char **out, const char *v, char *why, size_t wlen)
{
	gnutls_priority_t	 pc;
	const char		*errpos = NULL;

	if (gnutls_priority_init(&pc, v, &errpos) < 0)
		return bad(why, wlen, "GnuTLS rejects the priority string "
		    "near '%.40s'", errpos != NULL ? errpos : v);
	gnutls_priority_deinit(pc);
	if ((*out = strdup(v)) == NULL)
		return bad(why, wlen, "out of memory");
	return 0;
}

static int
parse_enum(const struct key *k, const char *v, int *out, char *why,
    size_t wlen)
{
	char	 list[256];
	size_t	 off = 0;
	int	 i;

	for (i = 0; k->names[i] != NULL; i++)
		if (strcasecmp(v, k->names[i]) == 0)
			return *out = i, 0;
	list[0] = '\0';
	for (i = 0; k->names[i] != NULL && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i > 0 ? " " : "", k->names[i]);
	return bad(why, wlen, "expected one of: %s", list);
}

static int
dup_str(char **out, const char *v, char *why, size_t wlen)
{
	if ((*out = strdup(v)) == NULL)
		return bad(why, wlen, "out of memory");
	return 0;
}

/* The types stored as one checked string. */
static int
set_string(const struct parse *p, const struct key *k, char **sp,
    const char *v, char *why, size_t wlen)
{
	switch (k->type) {
	case K_STR:
		return dup_str(sp, v, why, wlen);
	case K_PATH:
		return parse_path(sp, v, why, wlen);
	case K_FILE:
	case K_SECFILE:
		if (parse_path(sp, v, why, wlen) == -1)
			return -1;
		return check_file(*sp, k->type == K_SECFILE, p->c->system, why,
		    wlen);
	case K_NAME:
		if (conf_value_name(v) == -1)
			return bad(why, wlen, "'%s' is not an account name", v);
		return dup_str(sp, v, why, wlen);
	case K_HOST:
		if (conf_list_hostname(v) == -1)
			return bad(why, wlen, "'%s' is not a host name", v);
		return dup_str(sp, v, why, wlen);
	case K_NOTIFY:
		if (strcmp(v, "none") == 0)
			return dup_str(sp, v, why, wlen);
		/* FALLTHROUGH */
	case K_ADDR:
		if (check_addr(v) == -1)
			return bad(why, wlen, "'%.80s' is not a mail address",
			    v);
		return dup_str(sp, v, why, wlen);
	case K_PINS:
		return conf_list_pins(sp, v, why, wlen);
	case K_PRIORITY:
		return parse_priority(sp, v, why, wlen);
	default:
		return bad(why, wlen, "internal: unknown key type");
	}
}

/* Parse v for key k into a. */
int
conf_value_set(const struct parse *p, struct account *a, const struct key *k,
    const char *v, char *why, size_t wlen)
{
	void		*f = (char *)a + k->off;
	long		 l;
	int		 i = 0;
	struct err	 e;

	switch (k->type) {
	case K_INT:
		if (parse_long(v, k->min, k->max, &l) == -1)
			return bad(why, wlen, "expected a number from %d to %d",
			    k->min, k->max);
		i = (int)l;
		break;
	case K_ENUM:
		if (parse_enum(k, v, &i, why, wlen) == -1)
			return -1;
		break;
	case K_BOOL:
		if (parse_bool(v, &i) == -1)
			return bad(why, wlen, "expected yes or no");
		break;
	case K_TLSVER:
		if (strcmp(v, "1.2") != 0 && strcmp(v, "1.3") != 0)
			return bad(why, wlen, "expected 1.2 or 1.3");
		i = v[2] == '2' ? 12 : 13;
		break;
	case K_DURATION:
		if (parse_duration(v, &l) == -1)
			return bad(why, wlen, "expected a duration such as 5d, "
			    "12h, 30m or seconds, at most 365d");
		memcpy(f, &l, sizeof(l));	/* a long, in seconds */
		return 0;
	case K_HOSTS:
		return conf_list_hosts(a, v, why, wlen);
	case K_GLOBS:
		if (conf_list_split(v, a->match_from, BOUNDS_HOSTS,
		    &a->nmatch_from, why, wlen) == -1)
			return conf_list_free(a->match_from,
			    &a->nmatch_from), -1;
		return 0;
	case K_SECRET:
		if (secret_set(f, v, strlen(v), &e) == -1)
			return bad(why, wlen, "%s", e.msg);
		return 0;
	case K_LOG:
		return parse_log(a, v, why, wlen);
	default:
		return set_string(p, k, f, v, why, wlen);
	}
	memcpy(f, &i, sizeof(i));	/* the int-sized types */
	return 0;
}
