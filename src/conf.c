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
	const char *const	*names;	/* K_ENUM, in enum order */
};

static const char *const tls_names[] = { "implicit", "starttls", "none",
	NULL };
static const char *const auth_names[] = { "auto", "plain", "login",
	"cram-md5", "scram-sha-256", "xoauth2", "oauthbearer", "external",
	"none", NULL };
static const char *const queue_names[] = { "on-failure", "always", "never",
	NULL };

/* Index of each key in keys[]. */
enum kidx {
	KEY_HOST, KEY_PORT, KEY_TLS, KEY_TLS_CA_FILE, KEY_TLS_PIN,
	KEY_TLS_VERIFY, KEY_TLS_CERT_FILE, KEY_TLS_KEY_FILE,
	KEY_TLS_MIN_VERSION, KEY_TLS_PRIORITY, KEY_TLS_SERVER_NAME, KEY_AUTH,
	KEY_USER, KEY_PASSWORD, KEY_PASSWORD_COMMAND, KEY_PASSWORD_FILE,
	KEY_FROM, KEY_MATCH_FROM, KEY_FORCE_FROM, KEY_DOMAIN, KEY_MAILDOMAIN,
	KEY_ALIASES, KEY_FALLBACK, KEY_TIMEOUT, KEY_QUEUE, KEY_QUEUE_DIR,
	KEY_QUEUE_LIFETIME, KEY_NOTIFY, KEY_LOG, NKEYS
};

#define O(f)	offsetof(struct account, f)
/* Keys named like their field in struct account. */
#define K(i, t, f)	[KEY_ ## i] = { #f, t, O(f), 0, 0, NULL }
static const struct key keys[NKEYS] = {
	[KEY_HOST] = { "host", K_HOSTS, O(hosts), 0, 0, NULL },
	[KEY_PORT] = { "port", K_INT, O(port), 1, 65535, NULL },
	[KEY_TLS] = { "tls", K_ENUM, O(tls), 0, 0, tls_names },
	K(TLS_CA_FILE, K_FILE, tls_ca_file),
	K(TLS_PIN, K_PINS, tls_pin),
	K(TLS_VERIFY, K_BOOL, tls_verify),
	K(TLS_CERT_FILE, K_FILE, tls_cert_file),
	K(TLS_KEY_FILE, K_FILE, tls_key_file),
	K(TLS_MIN_VERSION, K_TLSVER, tls_min_version),
	K(TLS_PRIORITY, K_PRIORITY, tls_priority),
	K(TLS_SERVER_NAME, K_HOST, tls_server_name),
	[KEY_AUTH] = { "auth", K_ENUM, O(auth), 0, 0, auth_names },
	K(USER, K_STR, user),
	K(PASSWORD, K_SECRET, password),
	K(PASSWORD_COMMAND, K_STR, password_command),
	K(PASSWORD_FILE, K_SECFILE, password_file),
	K(FROM, K_ADDR, from),
	K(MATCH_FROM, K_GLOBS, match_from),
	K(FORCE_FROM, K_BOOL, force_from),
	K(DOMAIN, K_HOST, domain),
	K(MAILDOMAIN, K_HOST, maildomain),
	K(ALIASES, K_FILE, aliases),
	K(FALLBACK, K_NAME, fallback),
	[KEY_TIMEOUT] = { "timeout", K_INT, O(timeout), 1, 3600, NULL },
	[KEY_QUEUE] = { "queue", K_ENUM, O(queue), 0, 0, queue_names },
	K(QUEUE_DIR, K_PATH, queue_dir),
	K(QUEUE_LIFETIME, K_DURATION, queue_lifetime),
	K(NOTIFY, K_NOTIFY, notify),
	K(LOG, K_LOG, log),
};
#undef K
#undef O

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
			fprintf(p->report, "%s:%d: %s\n", p->c->path, line,
			    msg);
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
	int	 i = 0;
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
			return bad(why, wlen, "'%.80s' is not a mail address",
			    v);
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
	a->log = LOGTO_SYSLOG;
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

static int
find_key(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(name, keys[i].name) == 0)
			return (int)i;
	return -1;
}

static int
is_secret_key(int k)
{
	return k == KEY_PASSWORD || k == KEY_PASSWORD_COMMAND ||
	    k == KEY_PASSWORD_FILE;
}

static void
open_section(struct parse *p, const char *name, size_t len)
{
	char		 buf[BOUNDS_NAME];
	struct account	*na;
	struct sect	*ns;
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
	if (check_name(buf) == -1) {
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
	if (p->c->naccounts == p->cap) {
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
			return;
		}
	}
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
 * perhaps a password, so it is wiped first.
 */
static char *
reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	size_t		 cap = (size_t)num - 1, len = 0, content;
	int		 c, nul = 0, over = 0;

	secret_bzero(str, (size_t)num);
	if ((c = getc(p->fp)) == EOF)
		return NULL;
	do {
		if (c == '\0')
			nul = 1;
		if (len < cap)
			str[len++] = (char)c;
		else
			over = 1;
	} while (c != '\n' && (c = getc(p->fp)) != EOF);
	str[len] = '\0';
	p->lineno++;
	content = len;
	if (content > 0 && str[content - 1] == '\n')
		content--;
	if (content > 0 && str[content - 1] == '\r')
		content--;
	if (over || content > BOUNDS_CONF_LINE || nul) {
		problem(p, p->lineno, nul ? "NUL byte in line" :
		    "line longer than %d bytes", BOUNDS_CONF_LINE);
		secret_bzero(str, len);
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
	else if (check_name(value) == -1)
		problem(p, p->lineno, "default: '%s' is not an account name",
		    value);
	else if ((p->c->default_account = strdup(value)) == NULL)
		problem(p, p->lineno, "out of memory");
	else
		p->default_line = p->lineno;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
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
	if ((k = find_key(name)) == -1)
		return problem(p, p->lineno, "unknown key '%s'", name), 1;
	if (s->set[k])
		return problem(p, p->lineno, "duplicate key '%s' (first on "
		    "line %d)", keys[k].name, s->line[k]), 1;
	if (*value == '\0')
		return problem(p, p->lineno, "%s: empty value",
		    keys[k].name), 1;
	for (o = KEY_PASSWORD; is_secret_key(k) && o <= KEY_PASSWORD_FILE; o++)
		if (s->set[o])
			return problem(p, p->lineno, "%s: only one of "
			    "password, password_command and password_file "
			    "may be set "
			    "(%s on line %d)", keys[k].name, keys[o].name,
			    s->line[o]), 1;
	if (set_value(p, a, &keys[k], value, why, sizeof(why)) == -1) {
		free_key(a, &keys[k]);
		return problem(p, p->lineno, "%s: %s", keys[k].name, why), 1;
	}
	s->set[k] = 1;
	s->line[k] = p->lineno;
	if (k == KEY_PASSWORD && p->secret_line == 0)
		p->secret_line = p->lineno;
	return 1;
}

static void
inherit(struct parse *p, struct account *a, struct sect *s)
{
	struct err	 e;
	size_t		 k;
	int		 own = s->set[KEY_PASSWORD] ||
			    s->set[KEY_PASSWORD_COMMAND] ||
			    s->set[KEY_PASSWORD_FILE];

	for (k = 0; k < NKEYS; k++) {
		if (s->set[k] || !p->dsect.set[k])
			continue;
		/* An account's own secret source replaces the inherited. */
		if (own && is_secret_key((int)k))
			continue;
		/* [defaults] fallback = X must not make X fall back to X. */
		if (k == KEY_FALLBACK && p->c->defaults.fallback != NULL &&
		    strcmp(p->c->defaults.fallback, a->name) == 0)
			continue;
		if (copy_key(a, &p->c->defaults, &keys[k], &e) == -1) {
			problem(p, a->line, "%s", e.msg);
			continue;
		}
		s->set[k] = 2;
		s->line[k] = p->dsect.line[k];
	}
}

static int
line_of(const struct account *a, const struct sect *s, int k)
{
	return s->set[k] ? s->line[k] : a->line;
}

static void
check_auth(struct parse *p, const struct account *a, const struct sect *s)
{
	int	 secret = a->password.buf != NULL || a->password_command !=
		    NULL || a->password_file != NULL;

	if (a->auth != AUTH_AUTO && a->auth != AUTH_NONE &&
	    a->auth != AUTH_EXTERNAL && a->user == NULL)
		problem(p, line_of(a, s, KEY_AUTH), "[%s] auth = %s needs "
		    "user", a->name, auth_names[a->auth]);
	if (a->auth == AUTH_EXTERNAL && a->tls_cert_file == NULL)
		problem(p, line_of(a, s, KEY_AUTH), "[%s] auth = external "
		    "needs tls_cert_file", a->name);
	if (a->user != NULL && !secret && a->auth != AUTH_NONE &&
	    a->auth != AUTH_EXTERNAL)
		problem(p, line_of(a, s, KEY_USER), "[%s] user is set but none "
		    "of password, password_command, password_file", a->name);
}

static void
check_account(struct parse *p, struct account *a, struct sect *s)
{
	FILE	*w = p->report != NULL ? p->report : stderr;

	if (!s->set[KEY_HOST])
		problem(p, a->line, "[%s] missing required key host", a->name);
	if (!s->set[KEY_TLS_CERT_FILE] != !s->set[KEY_TLS_KEY_FILE])
		problem(p, line_of(a, s, s->set[KEY_TLS_CERT_FILE] ?
		    KEY_TLS_CERT_FILE : KEY_TLS_KEY_FILE),
		    "[%s] tls_cert_file and tls_key_file go together",
		    a->name);
	if (a->force_from && a->from == NULL)
		problem(p, line_of(a, s, KEY_FORCE_FROM), "[%s] force_from = "
		    "yes needs from", a->name);
	check_auth(p, a, s);
	/* Decided (DESIGN §2): tls_verify = no is accepted, but unless a
	 * pin still ties the relay to a key, say loudly what it means. */
	if (!a->tls_verify && a->tls_pin == NULL && a->tls != TLS_NONE)
		fprintf(w, "%s:%d: warning: [%s] tls_verify = no without "
		    "tls_pin: the relay's identity is NOT checked and anyone "
		    "on the path can read the password and the mail\n",
		    p->c->path, line_of(a, s, KEY_TLS_VERIFY), a->name);
}

static void
check_fallback(struct parse *p, int i)
{
	struct account	*a = &p->c->accounts[i], *f = a;
	int		 n;

	if (a->fallback == NULL)
		return;
	if (strcmp(a->fallback, a->name) == 0) {
		problem(p, p->sects[i].line[KEY_FALLBACK], "[%s] fallback "
		    "names the account itself", a->name);
		return;
	}
	for (n = 0; f != NULL && f->fallback != NULL; n++) {
		f = conf_account(p->c, f->fallback);
		if (f == NULL) {
			if (n == 0)
				problem(p, p->sects[i].line[KEY_FALLBACK],
				    "[%s] fallback: no account [%s]", a->name,
				    a->fallback);
			return;
		}
		if (f == a || n > p->c->naccounts) {
			problem(p, p->sects[i].line[KEY_FALLBACK], "[%s] "
			    "fallback chain loops back to [%s]", a->name,
			    f->name);
			return;
		}
	}
}

static void
finish(struct parse *p, const struct stat *st)
{
	struct err	 e;
	int		 i;

	for (i = 0; i < p->c->naccounts; i++) {
		inherit(p, &p->c->accounts[i], &p->sects[i]);
		if (conf_account_finish(&p->c->accounts[i], p->c->system,
		    &e) == -1)
			problem(p, p->c->accounts[i].line, "%s", e.msg);
		check_account(p, &p->c->accounts[i], &p->sects[i]);
	}
	for (i = 0; i < p->c->naccounts; i++)
		check_fallback(p, i);
	if (p->c->default_account != NULL &&
	    conf_account(p->c, p->c->default_account) == NULL)
		problem(p, p->default_line, "default: no account [%s]",
		    p->c->default_account);
	if (p->secret_line != 0 &&
	    !conf_secret_mode_ok(st, p->c->system, getgid(), getegid()))
		problem(p, p->secret_line, "password in a file that group or "
		    "others can read (mode %04o): chmod 600 %s, or use "
		    "password_command or password_file",
		    (unsigned)(st->st_mode & 07777), p->c->path);
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

static int
put_path(char *out, size_t outlen, const char *path, struct err *e)
{
	size_t	 len = strlen(path);

	if (len >= outlen || len >= BOUNDS_PATH)
		return err_set(e, EX_CONFIG, "config path longer than %zu "
		    "bytes", outlen < BOUNDS_PATH ? outlen : BOUNDS_PATH);
	memcpy(out, path, len + 1);
	return 0;
}

int
conf_find(const char *cli_path, char *out, size_t outlen, struct err *e)
{
	const char	*env = getenv("RELAYMAIL_CONFIG");
	char		 xdg[BOUNDS_PATH];
	struct stat	 st;

	/* A named file (-C or $RELAYMAIL_CONFIG) must be readable by the
	 * real user (access(2) checks the real ids): falling through to
	 * another config would send mail through an unexpected account. */
	if (cli_path != NULL) {
		if (access(cli_path, R_OK) == -1)
			return err_set(e, EX_NOINPUT, "%s: %s", cli_path,
			    strerror(errno));
		return put_path(out, outlen, cli_path, e);
	}
	if (env != NULL && *env != '\0') {
		if (access(env, R_OK) == -1)
			return err_set(e, EX_NOINPUT, "RELAYMAIL_CONFIG=%s: %s",
			    env, strerror(errno));
		return put_path(out, outlen, env, e);
	}
	if (xdg_path(xdg, sizeof(xdg), "XDG_CONFIG_HOME", ".config",
	    "relaymail/config") == 0 && stat(xdg, &st) == 0)
		return put_path(out, outlen, xdg, e);
	/* stat, not access: in the setgid mode only the effective group
	 * can read the system config. */
	if (stat(CONF_SYSTEM_PATH, &st) == 0)
		return put_path(out, outlen, CONF_SYSTEM_PATH, e);
	return err_set(e, EX_CONFIG, "no configuration found (tried %s and "
	    "%s); write one (see relaymail.conf(5)) or use -C or --relay",
	    xdg[0] != '\0' ? xdg : "~/.config/relaymail/config",
	    CONF_SYSTEM_PATH);
}

static int
conf_open(struct conf *c, struct stat *st, struct err *e)
{
	int	 fd;

	if ((fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return err_set(e, EX_NOINPUT, "%s: %s", c->path,
		    strerror(errno));
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return err_set(e, EX_CONFIG, "%s: not a regular file",
		    c->path);
	}
	return fd;
}

/* After a problem only path is kept, to name the file. */
static int
fail(struct conf *c)
{
	char	*path = c->path;

	c->path = NULL;
	conf_free(c);
	c->path = path;
	return -1;
}

int
conf_load(struct conf *c, const char *path, FILE *report, struct err *e)
{
	struct parse	 p;
	struct stat	 st;
	char		 iobuf[BUFSIZ];
	int		 fd, rc;

	memset(c, 0, sizeof(*c));
	conf_account_init(&c->defaults);
	memcpy(c->defaults.name, "defaults", sizeof("defaults"));
	if ((c->path = strdup(path)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	c->system = strcmp(path, CONF_SYSTEM_PATH) == 0;
	c->defaults.file = c->path;
	if ((fd = conf_open(c, &st, e)) == -1 ||
	    (p.fp = fdopen(fd, "r")) == NULL) {
		if (fd != -1) {
			err_set(e, EX_OSERR, "fdopen: %s", strerror(errno));
			close(fd);
		}
		if (report != NULL)
			fprintf(report, "%s\n", e->msg);
		return fail(c);
	}
	/* Our own stdio buffer, so the file's bytes can be wiped. */
	setvbuf(p.fp, iobuf, _IOFBF, sizeof(iobuf));
	memset(&p.dsect, 0, sizeof(p.dsect));
	p.c = c;
	p.report = report;
	p.e = e;
	p.lineno = p.nerr = p.defaults_line = p.default_line = 0;
	p.secret_line = p.cap = 0;
	p.sects = NULL;
	p.cur = SECT_TOP;
	err_clear(e);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		problem(&p, 0, "writable by group or others (mode %04o)",
		    (unsigned)(st.st_mode & 07777));
	ini_setup();
	rc = ini_parse_stream(reader, &p, handler, &p);
	if (rc == -2)
		problem(&p, 0, "out of memory");
	if (ferror(p.fp))
		problem(&p, p.lineno, "read error");
	fclose(p.fp);
	secret_bzero(iobuf, sizeof(iobuf));
	finish(&p, &st);
	free(p.sects);
	if (p.nerr > 0)
		return fail(c);
	return 0;
}

struct account *
conf_account(const struct conf *c, const char *name)
{
	int	 i;

	for (i = 0; name != NULL && i < c->naccounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

static int
load_secret_file(struct account *a, struct err *e)
{
	struct stat	 st;
	int		 fd, rc, sys;

	sys = a->file != NULL && strcmp(a->file, CONF_SYSTEM_PATH) == 0;
	if ((fd = open(a->password_file, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return err_set(e, EX_CONFIG, "account %s: password_file %s: %s",
		    a->name, a->password_file, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		rc = err_set(e, EX_CONFIG, "account %s: password_file %s is "
		    "not a regular file", a->name, a->password_file);
	else if (!conf_secret_mode_ok(&st, sys, getgid(), getegid()))
		rc = err_set(e, EX_CONFIG, "account %s: password_file %s is "
		    "readable by group or others (mode %04o); chmod 600 it",
		    a->name, a->password_file, (unsigned)(st.st_mode & 07777));
	else if ((rc = secret_read_fd(&a->password, fd, e)) == -1)
		err_prefix(e, "account %s: password_file %s", a->name,
		    a->password_file);
	close(fd);
	return rc;
}

int
conf_load_secret(struct account *a, struct err *e)
{
	if (a->password.buf != NULL)
		return 0;
	if (a->password_command != NULL) {
		if (secret_from_command(&a->password, a->password_command,
		    a->timeout, e) == -1)
			return err_prefix(e, "account %s", a->name);
		return 0;
	}
	if (a->password_file != NULL)
		return load_secret_file(a, e);
	return 0;
}

void
conf_free(struct conf *c)
{
	int	 i;

	for (i = 0; i < c->naccounts; i++)
		conf_account_free(&c->accounts[i]);
	free(c->accounts);
	conf_account_free(&c->defaults);
	free(c->path);
	free(c->default_account);
	memset(c, 0, sizeof(*c));
}
