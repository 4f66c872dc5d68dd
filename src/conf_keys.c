/*
 * conf_keys.c - the table of account keys of the configuration file
 * (relaymail.conf(5)): each key's name, type and place in struct account, and
 * what walks the table generically: finding a key by name (INI key names
 * are case-insensitive), freeing and copying one key's value.
 *
 * A new key is one line here (and its field in struct account); parsing
 * its value is conf_value.c's job.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"
#include "secret.h"

static const char *const tls_names[] = { "implicit", "starttls", "none",
	NULL };
const char *const conf_keys_auth_names[] = { "auto", "plain", "login",
	"cram-md5", "scram-sha-256", "xoauth2", "oauthbearer", "external",
	"none", NULL };
const char *const conf_keys_oauth_names[] = { "custom", "microsoft",
	"google", NULL };
static const char *const queue_names[] = { "on-failure", "always", "never",
	NULL };

#define O(f)	offsetof(struct account, f)
/* Keys named like their field in struct account. */
#define K(i, t, f)	[KEY_ ## i] = { #f, t, O(f), 0, 0, NULL }
const struct key conf_keys_table[NKEYS] = {
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
	[KEY_AUTH] = { "auth", K_ENUM, O(auth), 0, 0, conf_keys_auth_names },
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
	[KEY_SMTPD_TIMEOUT] = { "smtpd_timeout", K_INT, O(smtpd_timeout), 1,
	    86400, NULL },
	[KEY_OAUTH_PROVIDER] = { "oauth_provider", K_ENUM, O(oauth_provider),
	    0, 0, conf_keys_oauth_names },
	K(OAUTH_CLIENT_ID, K_STR, oauth_client_id),
	K(OAUTH_CLIENT_SECRET, K_SECRET, oauth_client_secret),
	K(OAUTH_TENANT, K_STR, oauth_tenant),
	K(OAUTH_TOKEN_URL, K_STR, oauth_token_url),
	K(OAUTH_DEVICE_URL, K_STR, oauth_device_url),
	K(OAUTH_AUTH_URL, K_STR, oauth_auth_url),
	K(OAUTH_SCOPE, K_STR, oauth_scope),
	K(OAUTH_CA_FILE, K_FILE, oauth_ca_file),
	K(OAUTH_TOKEN_FILE, K_PATH, oauth_token_file),
	K(TLS_SESSION_CACHE, K_BOOL, tls_session_cache),
};
#undef K
#undef O

/* K_ENUM and K_BOOL values are stored through an int. */
_Static_assert(sizeof(enum tls_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum auth_mech) == sizeof(int), "enum size");
_Static_assert(sizeof(enum queue_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum oauth_provider) == sizeof(int), "enum size");

int
conf_keys_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(name, conf_keys_table[i].name) == 0)
			return (int)i;
	return -1;
}

/* The three sources of the password: only one may be set. */
int
conf_keys_is_secret(int k)
{
	return k == KEY_PASSWORD || k == KEY_PASSWORD_COMMAND ||
	    k == KEY_PASSWORD_FILE;
}

/* The oauth_* keys (the built-in OAuth2 client). */
int
conf_keys_is_oauth(int k)
{
	return k >= KEY_OAUTH_PROVIDER && k <= KEY_OAUTH_TOKEN_FILE;
}

/* Types stored as one heap string (char *). */
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

void
conf_keys_free(struct account *a, const struct key *k)
{
	if (is_string(k->type))
		free_str((char **)(void *)((char *)a + k->off));
	else if (k->type == K_HOSTS)
		conf_list_free(a->hosts, &a->nhosts);
	else if (k->type == K_GLOBS)
		conf_list_free(a->match_from, &a->nmatch_from);
	else if (k->type == K_SECRET)
		secret_wipe((struct secret *)(void *)((char *)a + k->off));
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
int
conf_keys_copy(struct account *dst, const struct account *src,
    const struct key *k, struct err *e)
{
	const void	*sf = (const char *)src + k->off;
	void		*df = (char *)dst + k->off;
	char *const	*ss = sf;
	char		**ds = df;
	int		 rc = 0;

	conf_keys_free(dst, k);
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
		const struct secret *sec = sf;

		if (sec->buf != NULL)
			return secret_set(df, sec->buf, sec->len, e);
	} else if (k->type == K_DURATION)
		memcpy(df, sf, sizeof(long));	/* seconds */
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

/* --relay: a config's OAuth2 client and tokens are not for it. */
void
conf_account_drop_oauth(struct account *a)
{
	int	 k;

	for (k = KEY_OAUTH_PROVIDER; k <= KEY_OAUTH_TOKEN_FILE; k++)
		conf_keys_free(a, &conf_keys_table[k]);
	a->oauth_provider = OAUTH_CUSTOM;
}
