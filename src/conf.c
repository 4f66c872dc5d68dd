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

#include "conf_val.inc"
