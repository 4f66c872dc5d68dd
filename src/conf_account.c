/*
 * conf_account.c - one account of the configuration (relaymail.conf(5)):
 * its built-in defaults, deep copy and release through the key table of
 * conf_keys.c, what is derived once every key is known (the port from
 * `tls`, the default `queue_dir`), and finding an account by name.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

void
conf_account_init(struct account *a)
{
	memset(a, 0, sizeof(*a));
	a->tls = TLS_IMPLICIT;
	a->tls_verify = 1;
	a->tls_session_cache = 1;
	a->tls_min_version = 12;
	a->auth = AUTH_AUTO;
	a->timeout = 60;
	a->smtpd_timeout = CONF_SMTPD_TIMEOUT;
	a->queue = QUEUE_ON_FAILURE;
	a->queue_lifetime = CONF_LIFETIME_DEFAULT;
	a->log = LOGTO_SYSLOG;
}

void
conf_account_free(struct account *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < NKEYS; i++)
		conf_keys_free(a, &conf_keys_table[i]);
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
		if (conf_keys_copy(dst, src, &conf_keys_table[i], e) == -1) {
			conf_account_free(dst);
			return -1;
		}
	return 0;
}

/* With OAuth2, the token cache defaults to queue_dir/oauth/NAME: the
 * system queue is 2770 root:relaymail, so the group that reads the
 * system config also keeps its tokens (the setgid mode, priv.h). */
static int
token_file_default(struct account *a, struct err *e)
{
	char	 buf[BOUNDS_PATH];
	int	 n;

	if (a->oauth_client_id == NULL || a->oauth_token_file != NULL)
		return 0;
	n = snprintf(buf, sizeof(buf), "%s/oauth/%s", a->queue_dir, a->name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return err_set(e, EX_CONFIG, "account %s: token file path too "
		    "long; set oauth_token_file", a->name);
	if ((a->oauth_token_file = strdup(buf)) == NULL)
		return err_nomem(e);
	return 0;
}

int
conf_account_finish(struct account *a, int system, struct err *e)
{
	char	 buf[BOUNDS_PATH];

	if (a->port == 0)
		a->port = a->tls == TLS_IMPLICIT ? 465 :
		    a->tls == TLS_STARTTLS ? 587 : 25;
	if (a->queue_dir == NULL) {
		if (system)
			snprintf(buf, sizeof(buf), "/var/spool/relaymail");
		else if (conf_xdg_path(buf, sizeof(buf), "XDG_STATE_HOME",
		    ".local/state", "relaymail/queue") == -1)
			return err_set(e, EX_CONFIG, "account %s: cannot find "
			    "a home directory for the queue; set queue_dir",
			    a->name);
		if ((a->queue_dir = strdup(buf)) == NULL)
			return err_nomem(e);
	}
	/* log = syslog: where the lines go when syslog is unreachable. */
	if (a->log == LOGTO_SYSLOG) {
		free(a->log_path);
		a->log_path = NULL;
		if ((size_t)snprintf(buf, sizeof(buf), "%s/log", a->queue_dir)
		    >= sizeof(buf))
			return err_set(e, EX_CONFIG, "account %s: queue_dir too "
			    "long", a->name);
		if ((a->log_path = strdup(buf)) == NULL)
			return err_nomem(e);
	}
	return token_file_default(a, e);
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
