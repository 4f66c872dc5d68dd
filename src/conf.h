/*
 * conf.h - the configuration file (relaymail.conf(5)), read with libinih.
 *
 * conf_load() reads one INI file into a struct conf: a top-level
 * `default`, a [defaults] section and one section per account. Every
 * account comes out complete: [defaults] merged in, defaults applied
 * (port from tls, timeout 60, ...), values validated. Strings are owned by
 * the struct conf and freed (secrets wiped) by conf_free().
 *
 * Errors: EX_CONFIG with "file:line: what" for unknown keys, bad values,
 * missing required keys, a config holding a secret that group/others can
 * read (for root too, unless the setgid rule of relaymail(8) applies),
 * EX_NOINPUT when the named file cannot be read.
 */
#ifndef RELAYMAIL_CONF_H
#define RELAYMAIL_CONF_H

#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "bounds.h"
#include "err.h"
#include "secret.h"

/* The system config: the last place searched, and the only file the
 * setgid group may be used for (relaymail(8)). */
#ifndef CONF_SYSTEM_PATH
#define CONF_SYSTEM_PATH	"/etc/relaymail.conf"
#endif
/* The install's group: a 0640 root:CONF_SYSTEM_GROUP system config is
 * read by any process that holds it. */
#define CONF_SYSTEM_GROUP	"relaymail"

enum tls_mode { TLS_IMPLICIT = 0, TLS_STARTTLS, TLS_NONE };
enum auth_mech {
	AUTH_AUTO = 0, AUTH_PLAIN, AUTH_LOGIN, AUTH_CRAM_MD5,
	AUTH_SCRAM_SHA_256, AUTH_XOAUTH2, AUTH_OAUTHBEARER, AUTH_EXTERNAL,
	AUTH_NONE
};
/* -bs: how long the session waits for the client (Postfix's
 * smtpd_timeout, 300 s). */
#define CONF_SMTPD_TIMEOUT	300

enum queue_mode { QUEUE_ON_FAILURE = 0, QUEUE_ALWAYS, QUEUE_NEVER };
enum log_kind { LOGTO_SYSLOG = 0, LOGTO_FILE, LOGTO_NONE }; /* not LOG_*: syslog.h */
/* oauth_provider: which endpoints and scope are filled in (oauth.h). */
enum oauth_provider { OAUTH_CUSTOM = 0, OAUTH_MICROSOFT, OAUTH_GOOGLE };

struct account {
	char		 name[BOUNDS_NAME];
	const char	*file;		/* config file it came from */
	int		 line;		/* line of its [section] header */

	char		*hosts[BOUNDS_HOSTS];	/* `host`, split on commas */
	int		 nhosts;
	int		 port;		/* resolved: 465/587/25 by tls */
	enum tls_mode	 tls;
	char		*tls_ca_file;	/* NULL: system trust store */
	char		*tls_pin;	/* "sha256/B64,sha256/B64" or NULL */
	int		 tls_verify;	/* 1 (default) or 0 */
	char		*tls_cert_file, *tls_key_file;
	int		 tls_min_version; /* 12 or 13 */
	char		*tls_priority;	/* GnuTLS priority override or NULL */
	char		*tls_server_name;
	int		 tls_session_cache; /* 1 (default): resume sessions,
					 * tickets kept in queue_dir/tls */

	enum auth_mech	 auth;
	char		*user;		/* NULL: no AUTH (with auth=auto) */
	struct secret	 password;	/* from password or password_file or
					 * password_command (run lazily) */
	char		*password_command;
	char		*password_file;

	char		*from;
	char		*match_from[BOUNDS_HOSTS]; /* glob patterns */
	int		 nmatch_from;
	int		 force_from;
	char		*domain;	/* EHLO name; NULL: host's FQDN */
	char		*maildomain;	/* NULL: domain of from, else FQDN */
	char		*aliases;	/* path or NULL */
	char		*fallback;	/* account name or NULL */
	int		 timeout;	/* seconds, default 60 */
	int		 smtpd_timeout;	/* -bs idle limit, seconds */

	enum queue_mode	 queue;
	char		*queue_dir;	/* resolved default if unset */
	long		 queue_lifetime; /* seconds, default 5d */
	char		*notify;	/* NULL: envelope sender; "none" */
	enum log_kind	 log;
	char		*log_path;	/* LOGTO_FILE's file; for LOGTO_SYSLOG
					 * <queue_dir>/log, used when syslog
					 * is unreachable */

	/* OAuth2 (oauth.h), in use when oauth_client_id is set; then
	 * password holds the access token, filled by oauth_token(). */
	enum oauth_provider oauth_provider;
	char		*oauth_client_id;
	struct secret	 oauth_client_secret;
	char		*oauth_tenant;	/* NULL: "common" */
	char		*oauth_token_url, *oauth_device_url, *oauth_auth_url;
	char		*oauth_scope;	/* NULL: the provider's */
	char		*oauth_ca_file;	/* NULL: system trust store */
	char		*oauth_token_file; /* resolved: queue_dir/oauth/NAME */
};

struct conf {
	char		*path;		/* file actually read */
	char		*default_account; /* top-level `default` or NULL */
	struct account	 defaults;	/* [defaults], for reference */
	struct account	*accounts;	/* in file order */
	int		 naccounts;
	int		 system;	/* 1 when path is the system config */
};

/*
 * Find the config to use (relaymail.conf(5) search order): cli_path (-C), then
 * $RELAYMAIL_CONFIG, $XDG_CONFIG_HOME/relaymail/config (default
 * ~/.config/relaymail/config), /etc/relaymail.conf. Writes the first that
 * exists into out. EX_CONFIG when none exists (message lists the paths
 * tried); EX_NOINPUT when cli_path is given and cannot be read.
 */
int	 conf_find(const char *cli_path, char *out, size_t outlen, struct err *);

/*
 * Load and validate path. When report is not NULL, every problem is
 * written to it as "file:line: message\n" and loading continues to the
 * end (for --check-config); the first problem is also left in err.
 * Returns 0, or -1 when there was any problem; then every problem,
 * including an unreadable file, has been written to report, and the
 * conf holds only path (call conf_free() as after success).
 */
int	 conf_load(struct conf *, const char *path, FILE *report, struct err *);

/* Find an account by name, or NULL. */
struct account *conf_account(const struct conf *, const char *name);

/*
 * Make sure a->password holds the secret: runs password_command (first
 * line of its output; EX_CONFIG with its stderr summarised, never the
 * secret, when it fails) or reads password_file (permission-checked).
 * No-op when already set or no secret is configured.
 */
int	 conf_load_secret(struct account *a, struct err *);

/*
 * 1 when a file with mode/owner st may hold a secret: not readable by
 * group or others, except the setgid rule of relaymail(8) (system is 1 for
 * the system config and the files it names: owned by root, mode 0640,
 * and either group egid with egid != rgid (a setgid run), or the group
 * named CONF_SYSTEM_GROUP held as rgid, egid or a supplementary group of
 * this process). Added for unit tests and --check-config.
 */
int	 conf_secret_mode_ok(const struct stat *st, int system, gid_t rgid,
	    gid_t egid);

/*
 * Account helpers, also used for --relay (added for account.c):
 * conf_account_init() sets the built-in defaults (allocates nothing);
 * conf_account_copy() deep-copies src into dst (dst need not be
 * initialised; EX_OSERR on allocation failure, dst then empty);
 * conf_account_finish() resolves what depends on other keys: port from
 * tls when 0, queue_dir's default (system: /var/spool/relaymail, else
 * $XDG_STATE_HOME/relaymail/queue), and for log = syslog the fallback
 * file <queue_dir>/log in log_path; with oauth_client_id the default
 * oauth_token_file, queue_dir/oauth/NAME.
 * conf_account_drop_oauth() forgets every oauth_* key (for --relay,
 * which never uses a config's tokens).
 */
void	 conf_account_init(struct account *);
int	 conf_account_copy(struct account *dst, const struct account *src,
	    struct err *);
int	 conf_account_finish(struct account *, int system, struct err *);
void	 conf_account_drop_oauth(struct account *);

void	 conf_free(struct conf *);
/* Free what an account owns (also one built by account_from_url). */
void	 conf_account_free(struct account *);

#endif
