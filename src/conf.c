/*
 * conf.c - the configuration file (DESIGN §2, §7), read with libinih.
 *
 * One table (keys[]) says for every account key its type and where it is
 * stored; parsing, [defaults] inheritance, copying and freeing all walk
 * that table, so a new key is one line. libinih does the INI syntax; our
 * own line reader in front of it counts lines (Debian builds libinih
 * without INI_HANDLER_LINENO), enforces BOUNDS_CONF_LINE instead of
 * libinih's 200-byte default, sees [section] headers (to catch duplicate
 * and empty sections) and wipes libinih's line buffer, which held the
 * password line, before it is reused or freed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <ini.h>

#include "conf.h"
#include "secret.h"

enum ktype {
	K_STR, K_PATH, K_FILE, K_SECFILE, K_NAME, K_HOST, K_ADDR, K_NOTIFY,
	K_INT, K_ENUM, K_BOOL, K_HOSTS, K_GLOBS, K_SECRET, K_PINS,
	K_DURATION, K_LOG, K_PRIORITY, K_TLSVER
};

struct key {
	const char		*name;
	enum ktype		 type;
	size_t			 off;
	int			 min, max;	/* K_INT range */
	const char *const	*names;		/* K_ENUM, in enum order */
};

static const char *const tls_names[] = { "implicit", "starttls", "none",
	NULL };
static const char *const auth_names[] = { "auto", "plain", "login",
	"cram-md5", "scram-sha-256", "xoauth2", "oauthbearer", "external",
	"none", NULL };
static const char *const queue_names[] = { "on-failure", "always", "never",
	NULL };

#define O(f)	offsetof(struct account, f)
static const struct key keys[] = {
	{ "host",		K_HOSTS,	O(hosts), 0, 0, NULL },
	{ "port",		K_INT,		O(port), 1, 65535, NULL },
	{ "tls",		K_ENUM,		O(tls), 0, 0, tls_names },
	{ "tls_ca_file",	K_FILE,		O(tls_ca_file), 0, 0, NULL },
	{ "tls_pin",		K_PINS,		O(tls_pin), 0, 0, NULL },
	{ "tls_verify",		K_BOOL,		O(tls_verify), 0, 0, NULL },
	{ "tls_cert_file",	K_FILE,		O(tls_cert_file), 0, 0, NULL },
	{ "tls_key_file",	K_FILE,		O(tls_key_file), 0, 0, NULL },
	{ "tls_min_version",	K_TLSVER,	O(tls_min_version), 0, 0, NULL },
	{ "tls_priority",	K_PRIORITY,	O(tls_priority), 0, 0, NULL },
	{ "tls_server_name",	K_HOST,		O(tls_server_name), 0, 0, NULL },
	{ "auth",		K_ENUM,		O(auth), 0, 0, auth_names },
	{ "user",		K_STR,		O(user), 0, 0, NULL },
	{ "password",		K_SECRET,	O(password), 0, 0, NULL },
	{ "password_command",	K_STR,		O(password_command), 0, 0, NULL },
	{ "password_file",	K_SECFILE,	O(password_file), 0, 0, NULL },
	{ "from",		K_ADDR,		O(from), 0, 0, NULL },
	{ "match_from",		K_GLOBS,	O(match_from), 0, 0, NULL },
	{ "force_from",		K_BOOL,		O(force_from), 0, 0, NULL },
	{ "domain",		K_HOST,		O(domain), 0, 0, NULL },
	{ "maildomain",		K_HOST,		O(maildomain), 0, 0, NULL },
	{ "aliases",		K_FILE,		O(aliases), 0, 0, NULL },
	{ "fallback",		K_NAME,		O(fallback), 0, 0, NULL },
	{ "timeout",		K_INT,		O(timeout), 1, 3600, NULL },
	{ "queue",		K_ENUM,		O(queue), 0, 0, queue_names },
	{ "queue_dir",		K_PATH,		O(queue_dir), 0, 0, NULL },
	{ "queue_lifetime",	K_DURATION,	O(queue_lifetime), 0, 0, NULL },
	{ "notify",		K_NOTIFY,	O(notify), 0, 0, NULL },
	{ "log",		K_LOG,		O(log), 0, 0, NULL },
};
#undef O
#define NKEYS		(sizeof(keys) / sizeof(keys[0]))
#define KEY_HOST	0
#define KEY_PORT	1
#define KEY_PIN		4
#define KEY_VERIFY	5
#define KEY_CERT	6
#define KEY_KEY		7
#define KEY_AUTH	11
#define KEY_USER	12
#define KEY_PASSWORD	13
#define KEY_PWCMD	14
#define KEY_PWFILE	15
#define KEY_FORCE	18
#define KEY_FALLBACK	22
#define KEY_QUEUE_DIR	25

_Static_assert(sizeof(enum tls_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum auth_mech) == sizeof(int), "enum size");
_Static_assert(sizeof(enum queue_mode) == sizeof(int), "enum size");

#define LIFETIME_DEFAULT	(5L * 86400)
#define LIFETIME_MAX		(365L * 86400)
#define SECT_TOP	(-3)
#define SECT_SKIP	(-2)
#define SECT_DEFAULTS	(-1)

/* Parse-time companion of an account: which keys it set, on which line
 * (2 in set[] = inherited from [defaults]). */
struct sect {
	unsigned char	set[NKEYS];
	int		line[NKEYS];
};

struct parse {
	struct conf	*c;
	FILE		*fp, *report;
	struct err	*e;
	int		 lineno, nerr, cur;
	int		 defaults_line, default_line;
	int		 secret_line;	/* first password = line */
	struct sect	 dsect, *sects;
	int		 cap;
};

/* Report one problem as "file:line: message"; the first stays in err. */
static void
problem(struct parse *p, int line, const char *fmt, ...)
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
			fprintf(p->report, "%s:%d: %s\n", p->c->path, line, msg);
		else
			fprintf(p->report, "%s: %s\n", p->c->path, msg);
	}
}

static int
bad(char *why, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

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
	if (parse_long(num, 1, LIFETIME_MAX, &n) == -1 || n > LIFETIME_MAX /
	    mult)
		return -1;
	*out = n * mult;
	return 0;
}

/* An IP literal, optionally "[...]"-bracketed, with an IPv6 zone. */
static int
check_ip(const char *v, size_t len)
{
	char		 buf[64];
	unsigned char	 addr[16];
	const char	*pct;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		memmove(buf, buf + 5, len - 4);
	if ((pct = strchr(buf, '%')) != NULL) {
		if (pct[1] == '\0' || strspn(pct + 1, "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    strlen(pct + 1))
			return -1;
		buf[pct - buf] = '\0';
	}
	if (inet_pton(AF_INET6, buf, addr) == 1 ||
	    (pct == NULL && inet_pton(AF_INET, buf, addr) == 1))
		return 0;
	return -1;
}

/* RFC 1123 §2.1 host names, or an address literal. */
static int
check_hostname(const char *v)
{
	size_t	 len = strlen(v);

	if (len >= 2 && v[0] == '[' && v[len - 1] == ']')
		return check_ip(v + 1, len - 2);
	if (strchr(v, ':') != NULL)
		return check_ip(v, len);
	if (len == 0 || len > 253 || v[0] == '.' || v[0] == '-' ||
	    strstr(v, "..") != NULL)
		return -1;
	if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != len)
		return -1;
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

/* sha256/ + base64 of 32 bytes (RFC 7469 §2.4 pin format). */
static int
check_pin(const char *v, size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	    "rstuvwxyz0123456789+/";
	size_t	 i;

	if (len != 7 + 44 || strncmp(v, "sha256/", 7) != 0 || v[50] != '=')
		return -1;
	for (i = 7; i < 50; i++)
		if (memchr(b64, v[i], sizeof(b64) - 1) == NULL)
			return -1;
	return 0;
}

/* Split a comma list into trimmed, non-empty items. */
static int
split_list(const char *v, char **items, int max, int *n, char *why,
    size_t wlen)
{
	const char	*p = v, *end, *s, *t;

	*n = 0;
	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		for (s = p; s < end && isspace((unsigned char)*s); s++)
			;
		for (t = end; t > s && isspace((unsigned char)t[-1]); t--)
			;
		if (t == s)
			return bad(why, wlen, "empty item in list");
		if (*n == max)
			return bad(why, wlen, "more than %d items", max);
		if ((items[*n] = strndup(s, (size_t)(t - s))) == NULL)
			return bad(why, wlen, "out of memory");
		(*n)++;
		p = *end == ',' ? end + 1 : end;
		if (*end == ',' && *p == '\0')
			return bad(why, wlen, "empty item in list");
	}
	return 0;
}

static void
free_list(char **items, int *n)
{
	int	 i;

	for (i = 0; i < *n; i++) {
		free(items[i]);
		items[i] = NULL;
	}
	*n = 0;
}

/* Hosts: names, IPv4, IPv6 with or without brackets; stored bare. */
static int
parse_hosts(struct account *a, const char *v, char *why, size_t wlen)
{
	char	*h;
	size_t	 len;
	int	 i;

	if (split_list(v, a->hosts, BOUNDS_HOSTS, &a->nhosts, why, wlen) == -1)
		return free_list(a->hosts, &a->nhosts), -1;
	for (i = 0; i < a->nhosts; i++) {
		h = a->hosts[i];
		len = strlen(h);
		if (h[0] == '[' && len >= 2 && h[len - 1] == ']') {
			if (check_ip(h + 1, len - 2) == -1)
				break;
			memmove(h, h + 1, len - 2);
			h[len - 2] = '\0';
		} else if (check_hostname(h) == -1)
			break;
	}
	if (i < a->nhosts) {
		bad(why, wlen, "'%s' is not a host name or address%s",
		    a->hosts[i], strchr(a->hosts[i], ':') != NULL &&
		    a->hosts[i][0] != '[' ? " (set the port with port =)" : "");
		free_list(a->hosts, &a->nhosts);
		return -1;
	}
	return 0;
}

static int
parse_pins(char **out, const char *v, char *why, size_t wlen)
{
	char	*items[BOUNDS_HOSTS], buf[BOUNDS_HOSTS * 52];
	size_t	 off = 0, len;
	int	 i, n, rc = 0;

	if (split_list(v, items, BOUNDS_HOSTS, &n, why, wlen) == -1)
		return free_list(items, &n), -1;
	for (i = 0; i < n && rc == 0; i++) {
		len = strlen(items[i]);
		if (check_pin(items[i], len) == -1)
			rc = bad(why, wlen, "'%.60s' is not sha256/BASE64 "
			    "of 32 bytes", items[i]);
		else {
			if (off > 0)
				buf[off++] = ',';
			memcpy(buf + off, items[i], len);
			off += len;
		}
	}
	free_list(items, &n);
	if (rc == 0) {
		buf[off] = '\0';
		if ((*out = strdup(buf)) == NULL)
			rc = bad(why, wlen, "out of memory");
	}
	return rc;
}

int
conf_secret_mode_ok(const struct stat *st, int system, gid_t rgid,
    gid_t egid)
{
	if ((st->st_mode & (S_IRGRP | S_IROTH)) == 0)
		return 1;
	/* DESIGN §7: root:relaymail 0640, read through the setgid group. */
	return system && st->st_uid == 0 && (st->st_mode & 0077) == 0040 &&
	    st->st_gid == egid && egid != rgid;
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
	struct stat	 st;
	int		 fd, ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1)
		return bad(why, wlen, "cannot read %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bad(why, wlen, "%s is not a regular file", path);
	}
	close(fd);
	ok = !secret || conf_secret_mode_ok(&st, system, getgid(), getegid());
	if (!ok)
		return bad(why, wlen, "%s is readable by group or others "
		    "(mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

static int
check_name(const char *v)
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
		a->log = LOG_SYSLOG;
	else if (strcmp(v, "none") == 0)
		a->log = LOG_NONE;
	else if (strncmp(v, "file:", 5) == 0) {
		if (parse_path(&a->log_path, v + 5, why, wlen) == -1)
			return -1;
		a->log = LOG_FILE;
	} else
		return bad(why, wlen, "expected syslog, file:PATH or none");
	return 0;
}

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

/* Parse v for key k into a. */
static int
set_value(const struct parse *p, struct account *a, const struct key *k,
    const char *v, char *why, size_t wlen)
{
	void	*f = (char *)a + k->off;
	char	**sp = f;
	long	 l;
	int	 i;
	struct err e;

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
		if (check_name(v) == -1)
			return bad(why, wlen, "'%s' is not an account name", v);
		return dup_str(sp, v, why, wlen);
	case K_HOST:
		if (check_hostname(v) == -1)
			return bad(why, wlen, "'%s' is not a host name", v);
		return dup_str(sp, v, why, wlen);
	case K_NOTIFY:
		if (strcmp(v, "none") == 0)
			return dup_str(sp, v, why, wlen);
		/* FALLTHROUGH */
	case K_ADDR:
		if (check_addr(v) == -1)
			return bad(why, wlen, "'%.80s' is not a mail address", v);
		return dup_str(sp, v, why, wlen);
	case K_INT:
		if (parse_long(v, k->min, k->max, &l) == -1)
			return bad(why, wlen, "expected a number from %d to %d",
			    k->min, k->max);
		i = (int)l;
		memcpy(f, &i, sizeof(i));
		return 0;
	case K_ENUM:
		if (parse_enum(k, v, &i, why, wlen) == -1)
			return -1;
		memcpy(f, &i, sizeof(i));
		return 0;
	case K_BOOL:
		if (parse_bool(v, &i) == -1)
			return bad(why, wlen, "expected yes or no");
		memcpy(f, &i, sizeof(i));
		return 0;
	case K_TLSVER:
		if (strcmp(v, "1.2") != 0 && strcmp(v, "1.3") != 0)
			return bad(why, wlen, "expected 1.2 or 1.3");
		a->tls_min_version = v[2] == '2' ? 12 : 13;
		return 0;
	case K_DURATION:
		if (parse_duration(v, &l) == -1)
			return bad(why, wlen, "expected a duration such as 5d, "
			    "12h, 30m or seconds, at most 365d");
		a->queue_lifetime = l;
		return 0;
	case K_HOSTS:
		return parse_hosts(a, v, why, wlen);
	case K_GLOBS:
		if (split_list(v, a->match_from, BOUNDS_HOSTS, &a->nmatch_from,
		    why, wlen) == -1)
			return free_list(a->match_from, &a->nmatch_from), -1;
		return 0;
	case K_SECRET:
		if (secret_set(&a->password, v, strlen(v), &e) == -1)
			return bad(why, wlen, "%s", e.msg);
		return 0;
	case K_PINS:
		return parse_pins(sp, v, why, wlen);
	case K_LOG:
		return parse_log(a, v, why, wlen);
	case K_PRIORITY:
		return parse_priority(sp, v, why, wlen);
	}
	return bad(why, wlen, "internal: unknown key type");
}

static int
is_string(enum ktype t)
{
	return t == K_STR || t == K_PATH || t == K_FILE || t == K_SECFILE ||
	    t == K_NAME || t == K_HOST || t == K_ADDR || t == K_NOTIFY ||
	    t == K_PINS || t == K_PRIORITY;
}

static void
free_str(char **sp)
{
	if (*sp != NULL) {
		/* password_command may hold a token inline. */
		secret_bzero(*sp, strlen(*sp));
		free(*sp);
		*sp = NULL;
	}
}

static void
free_key(struct account *a, const struct key *k)
{
	if (is_string(k->type))
		free_str((char **)(void *)((char *)a + k->off));
	else if (k->type == K_HOSTS)
		free_list(a->hosts, &a->nhosts);
	else if (k->type == K_GLOBS)
		free_list(a->match_from, &a->nmatch_from);
	else if (k->type == K_SECRET)
		secret_wipe(&a->password);
	else if (k->type == K_LOG)
		free_str(&a->log_path);
}

static int
copy_list(char **dst, int *nd, char *const *src, int ns)
{
	for (*nd = 0; *nd < ns; (*nd)++)
		if ((dst[*nd] = strdup(src[*nd])) == NULL)
			return -1;
	return 0;
}

/* Replace dst's value of key k by a copy of src's. */
static int
copy_key(struct account *dst, const struct account *src, const struct key *k,
    struct err *e)
{
	const void	*sf = (const char *)src + k->off;
	void		*df = (char *)dst + k->off;
	char *const	*ss = sf;
	char		**ds = df;
	int		 rc = 0;

	free_key(dst, k);
	if (is_string(k->type)) {
		if (*ss != NULL && (*ds = strdup(*ss)) == NULL)
			rc = -1;
	} else if (k->type == K_HOSTS)
		rc = copy_list(dst->hosts, &dst->nhosts, src->hosts,
		    src->nhosts);
	else if (k->type == K_GLOBS)
		rc = copy_list(dst->match_from, &dst->nmatch_from,
		    src->match_from, src->nmatch_from);
	else if (k->type == K_SECRET) {
		if (src->password.buf != NULL)
			return secret_set(&dst->password, src->password.buf,
			    src->password.len, e);
	} else if (k->type == K_DURATION)
		dst->queue_lifetime = src->queue_lifetime;
	else {
		memcpy(df, sf, sizeof(int));
		if (k->type == K_LOG && src->log_path != NULL &&
		    (dst->log_path = strdup(src->log_path)) == NULL)
			rc = -1;
	}
	if (rc == -1)
		return err_set(e, EX_OSERR, "out of memory copying %s",
		    k->name);
	return 0;
}

void
conf_account_init(struct account *a)
{
	memset(a, 0, sizeof(*a));
	a->tls = TLS_IMPLICIT;
	a->tls_verify = 1;
	a->tls_min_version = 12;
	a->auth = AUTH_AUTO;
	a->timeout = 60;
	a->queue = QUEUE_ON_FAILURE;
	a->queue_lifetime = LIFETIME_DEFAULT;
	a->log = LOG_SYSLOG;
}

void
conf_account_free(struct account *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < NKEYS; i++)
		free_key(a, &keys[i]);
}

int
conf_account_copy(struct account *dst, const struct account *src,
    struct err *e)
{
	size_t	 i;

	conf_account_init(dst);
	memcpy(dst->name, src->name, sizeof(dst->name));
	dst->file = src->file;
	dst->line = src->line;
	for (i = 0; i < NKEYS; i++)
		if (copy_key(dst, src, &keys[i], e) == -1) {
			conf_account_free(dst);
			return -1;
		}
	return 0;
}

/* $XDG_<var> when absolute (XDG Base Directory spec), else
 * $HOME/<fallback>, else the passwd entry's home. */
static int
xdg_path(char *out, size_t len, const char *var, const char *fallback,
    const char *tail)
{
	const char	*x = getenv(var), *home = getenv("HOME");
	struct passwd	*pw;
	int		 n;

	if (x != NULL && x[0] == '/')
		n = snprintf(out, len, "%s/%s", x, tail);
	else {
		if (home == NULL || home[0] != '/') {
			if ((pw = getpwuid(getuid())) == NULL ||
			    pw->pw_dir == NULL || pw->pw_dir[0] != '/')
				return -1;
			home = pw->pw_dir;
		}
		n = snprintf(out, len, "%s/%s/%s", home, fallback, tail);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
conf_account_finish(struct account *a, int system, struct err *e)
{
	char	 buf[BOUNDS_PATH];

	if (a->port == 0)
		a->port = a->tls == TLS_IMPLICIT ? 465 :
		    a->tls == TLS_STARTTLS ? 587 : 25;
	if (a->queue_dir != NULL)
		return 0;
	if (system)
		snprintf(buf, sizeof(buf), "/var/spool/relaymail");
	else if (xdg_path(buf, sizeof(buf), "XDG_STATE_HOME",
	    ".local/state", "relaymail/queue") == -1)
		return err_set(e, EX_CONFIG, "account %s: cannot find a "
		    "home directory for the queue; set queue_dir", a->name);
	if ((a->queue_dir = strdup(buf)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	return 0;
}
