/*
 * conf_int.h - what the files of the conf module share (private; the
 * public contract is conf.h).
 *
 *	conf.c		the public API: find, load, secrets, free
 *	conf_check.c	after reading: [defaults] inheritance, checks
 *	conf_read.c	the line reader in front of libinih, sections, keys
 *	conf_account.c	one account: defaults, copy, free, derived keys
 *	conf_keys.c	the key table: find, free and copy a key's value
 *	conf_value.c	parsing one value (numbers, enums, paths, ...)
 *	conf_list.c	host names, TLS pins and comma lists
 *	conf_file.c	opening the files, the secret permission rule,
 *			XDG paths
 *
 * A file calls only files listed below it.
 *
 * One table (conf_keys_table) says for every account key its type and
 * where it is stored; parsing, [defaults] inheritance, copying and
 * freeing all walk that table, so a new key is one line in conf_keys.c.
 */
#ifndef RELAYMAIL_CONF_INT_H
#define RELAYMAIL_CONF_INT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "conf.h"

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

/* Index of each key in conf_keys_table. */
enum kidx {
	KEY_HOST, KEY_PORT, KEY_TLS, KEY_TLS_CA_FILE, KEY_TLS_PIN,
	KEY_TLS_VERIFY, KEY_TLS_CERT_FILE, KEY_TLS_KEY_FILE,
	KEY_TLS_MIN_VERSION, KEY_TLS_PRIORITY, KEY_TLS_SERVER_NAME, KEY_AUTH,
	KEY_USER, KEY_PASSWORD, KEY_PASSWORD_COMMAND, KEY_PASSWORD_FILE,
	KEY_FROM, KEY_MATCH_FROM, KEY_FORCE_FROM, KEY_DOMAIN, KEY_MAILDOMAIN,
	KEY_ALIASES, KEY_FALLBACK, KEY_TIMEOUT, KEY_QUEUE, KEY_QUEUE_DIR,
	KEY_QUEUE_LIFETIME, KEY_NOTIFY, KEY_LOG, KEY_SMTPD_TIMEOUT,
	KEY_OAUTH_PROVIDER, KEY_OAUTH_CLIENT_ID, KEY_OAUTH_CLIENT_SECRET,
	KEY_OAUTH_TENANT, KEY_OAUTH_TOKEN_URL, KEY_OAUTH_DEVICE_URL,
	KEY_OAUTH_AUTH_URL, KEY_OAUTH_SCOPE, KEY_OAUTH_CA_FILE,
	KEY_OAUTH_TOKEN_FILE, KEY_TLS_SESSION_CACHE, NKEYS
};

#define CONF_LIFETIME_DEFAULT	(5L * 86400)
#define CONF_LIFETIME_MAX	(365L * 86400)

/* Values of parse.cur other than an account index. */
#define SECT_TOP	(-3)
#define SECT_SKIP	(-2)
#define SECT_DEFAULTS	(-1)

/* Parse-time companion of an account: which keys it set, on which line
 * (2 in set[] = inherited from [defaults]). */
struct sect {
	unsigned char	set[NKEYS];
	int		line[NKEYS];
};

/* One conf_load() run. */
struct parse {
	struct conf	*c;
	FILE		*fp, *report;
	struct err	*e;
	int		 lineno, nerr, cur;
	int		 defaults_line, default_line;
	int		 secret_line;	/* first password = line */
	int		 secret_key;	/* its key: KEY_PASSWORD or
					 * KEY_OAUTH_CLIENT_SECRET */
	size_t		 linelen;	/* last line read (textline_read) */
	struct sect	 dsect, *sects;
	int		 cap;
};

/* conf_file.c */
int	 conf_xdg_path(char *out, size_t len, const char *var,
	    const char *fallback, const char *tail);
/* Why conf_open_file() failed. */
enum conf_open_why { CONF_OPEN_ERRNO = 1, CONF_OPEN_NOTREG, CONF_OPEN_MODE };
int	 conf_open_file(const char *path, int secret, int system,
	    struct stat *st, enum conf_open_why *why);

/* conf_read.c */
void	 conf_read_problem(struct parse *, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 conf_read_parse(struct parse *);

/* conf_check.c */
void	 conf_check_finish(struct parse *, const struct stat *);

/* conf_keys.c */
extern const struct key		 conf_keys_table[NKEYS];
extern const char *const	 conf_keys_auth_names[];
extern const char *const	 conf_keys_oauth_names[];
int	 conf_keys_find(const char *name);
int	 conf_keys_is_secret(int k);
int	 conf_keys_is_oauth(int k);
void	 conf_keys_free(struct account *, const struct key *);
int	 conf_keys_copy(struct account *dst, const struct account *src,
	    const struct key *, struct err *);

/* conf_value.c: why receives the reason for -1 (wlen bytes). */
int	 conf_value_name(const char *v);
int	 conf_value_set(const struct parse *, struct account *,
	    const struct key *, const char *v, char *why, size_t wlen);

/* conf_list.c; conf_list_bad() writes a reason into why (len bytes) for
 * the value parsers here and in conf_value.c, and returns -1. */
int	 conf_list_bad(char *why, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 conf_list_hostname(const char *v);
int	 conf_list_split(const char *v, char **items, int max, int *n,
	    char *why, size_t wlen);
void	 conf_list_free(char **items, int *n);
int	 conf_list_hosts(struct account *, const char *v, char *why,
	    size_t wlen);
int	 conf_list_pins(char **out, const char *v, char *why, size_t wlen);

#endif
