/*
 * test_conf.c - the configuration file (relaymail.conf(5)): every key's
 * bad values with file:line, good configs to fields, [defaults] inheritance,
 * long values, permission rules, password_file, conf_find's search order.
 * Files are written under a mkdtemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "unit.h"

static char	 dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/relaymail-conf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_STATE_HOME", "/xdg-state", 1);
	setenv("HOME", dir, 1);
	unsetenv("RELAYMAIL_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
}

static void
teardown(void)
{
	unit_rmtree(dir);
}

/* Write text to dir/name with mode; path receives the full name. */
static void
write_file(const char *name, const char *text, mode_t mode, char *path,
    size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	unit_write_file(path, text, mode);
}

static int
load_text(struct conf *c, const char *text, mode_t mode, struct err *e)
{
	char	 path[256];

	write_file("c.conf", text, mode, path, sizeof(path));
	return conf_load(c, path, NULL, e);
}

/* Each bad config: the exit code and the "file:line: ..." it reports. */
static const struct bad_case {
	const char	*text;
	const char	*where;		/* "c.conf:N:" */
	const char	*what;
} bad_cases[] = {
	{ "[a]\nhost = h\nport = 0\n", "c.conf:3:", "port" },
	{ "[a]\nhost = h\nport = 65536\n", "c.conf:3:", "port" },
	{ "[a]\nhost = h\nport = 25x\n", "c.conf:3:", "port" },
	{ "[a]\nhost = h\ntls = ssl\n", "c.conf:3:", "tls" },
	{ "[a]\nhost = h\ntls_ca_file = /nonexistent/ca.pem\n", "c.conf:3:",
	    "cannot read" },
	{ "[a]\nhost = h\ntls_pin = sha256/abc\n", "c.conf:3:", "tls_pin" },
	{ "[a]\nhost = h\ntls_pin = md5/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAA=\n", "c.conf:3:", "tls_pin" },
	{ "[a]\nhost = h\ntls_verify = maybe\n", "c.conf:3:", "yes or no" },
	{ "[a]\nhost = h\ntls_cert_file = /etc/passwd\n", "c.conf:3:",
	    "go together" },
	{ "[a]\nhost = h\ntls_key_file = /etc/passwd\n", "c.conf:3:",
	    "go together" },
	{ "[a]\nhost = h\ntls_min_version = 1.1\n", "c.conf:3:", "1.2 or 1.3" },
	{ "[a]\nhost = h\ntls_priority = BOGUS:!!\n", "c.conf:3:",
	    "priority" },
	{ "[a]\nhost = h\ntls_server_name = a b\n", "c.conf:3:", "host name" },
	{ "[a]\nhost = h\nauth = digest-md5\n", "c.conf:3:", "one of" },
	{ "[a]\nhost = h\nauth = plain\n", "c.conf:3:", "needs user" },
	{ "[a]\nhost = h\nauth = external\n", "c.conf:3:", "tls_cert_file" },
	{ "[a]\nhost = h\nuser = u\n", "c.conf:3:", "none of password" },
	{ "[a]\nhost = h\nuser = u\npassword = p\npassword_command = x\n",
	    "c.conf:5:", "only one of" },
	{ "[a]\nhost = h\nuser = u\npassword_command = x\n"
	    "password_file = /etc/passwd\n", "c.conf:5:", "only one of" },
	{ "[a]\nhost = h\nfrom = a b@c\n", "c.conf:3:", "mail address" },
	{ "[a]\nhost = h\nfrom = <a@b>\n", "c.conf:3:", "mail address" },
	{ "[a]\nhost = h\nmatch_from = *@a,,*@b\n", "c.conf:3:", "empty item" },
	{ "[a]\nhost = h\nforce_from = perhaps\n", "c.conf:3:", "yes or no" },
	{ "[a]\nhost = h\nforce_from = yes\n", "c.conf:3:", "needs from" },
	{ "[a]\nhost = h\ndomain = -bad\n", "c.conf:3:", "host name" },
	{ "[a]\nhost = h\nmaildomain = a..b\n", "c.conf:3:", "host name" },
	{ "[a]\nhost = h\naliases = etc/aliases\n", "c.conf:3:", "absolute" },
	{ "[a]\nhost = h\naliases = /nonexistent/aliases\n", "c.conf:3:",
	    "cannot read" },
	{ "[a]\nhost = h\nfallback = a\n", "c.conf:3:", "itself" },
	{ "[a]\nhost = h\nfallback = nosuch\n", "c.conf:3:", "no account" },
	{ "[a]\nhost = h\nfallback = b\n[b]\nhost = h\nfallback = a\n",
	    "c.conf:3:", "loops" },
	{ "[a]\nhost = h\nfallback = bad name\n", "c.conf:3:", "account name" },
	{ "[a]\nhost = h\ntimeout = 0\n", "c.conf:3:", "timeout" },
	{ "[a]\nhost = h\ntimeout = 3601\n", "c.conf:3:", "timeout" },
	{ "[a]\nhost = h\ntimeout = 10s\n", "c.conf:3:", "timeout" },
	{ "[a]\nhost = h\nsmtpd_timeout = 0\n", "c.conf:3:", "smtpd_timeout" },
	{ "[a]\nhost = h\nqueue = sometimes\n", "c.conf:3:", "on-failure" },
	{ "[a]\nhost = h\nqueue_dir = spool\n", "c.conf:3:", "absolute" },
	{ "[a]\nhost = h\nqueue_lifetime = 5x\n", "c.conf:3:", "duration" },
	{ "[a]\nhost = h\nqueue_lifetime = 0\n", "c.conf:3:", "duration" },
	{ "[a]\nhost = h\nqueue_lifetime = 400d\n", "c.conf:3:", "duration" },
	{ "[a]\nhost = h\nnotify = a b\n", "c.conf:3:", "mail address" },
	{ "[a]\nhost = h\nlog = stderr\n", "c.conf:3:", "syslog" },
	{ "[a]\nhost = h\nlog = file:relative.log\n", "c.conf:3:",
	    "absolute" },
	{ "[a]\nhost = h\ncolour = blue\n", "c.conf:3:", "unknown key" },
	{ "host = h\n[a]\nhost = h\n", "c.conf:1:", "top-level" },
	{ "[a]\nhost = h\n[a]\nhost = h\n", "c.conf:3:", "duplicate section" },
	{ "[defaults]\n[defaults]\n[a]\nhost = h\n", "c.conf:2:",
	    "duplicate section" },
	{ "[a]\nhost = h\nhost = i\n", "c.conf:3:", "duplicate key" },
	{ "[a]\nport = 25\n", "c.conf:1:", "missing required key host" },
	{ "[a]\n[b]\nhost = h\n", "c.conf:1:", "missing required key host" },
	{ "default = nosuch\n[a]\nhost = h\n", "c.conf:1:", "no account" },
	{ "[a]\nhost = h\njust some text\n", "c.conf:3:", "key = value" },
	{ "[a\nhost = h\n", "c.conf:1:", "unterminated" },
	{ "[a]\nhost = h\noauth_scope = s\n", "c.conf:3:",
	    "needs oauth_client_id" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\npassword = p\n",
	    "c.conf:5:", "not with oauth_client_id" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n", "c.conf:1:",
	    "oauth_provider = custom needs oauth_token_url" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_token_url = http://t.example/token\n", "c.conf:5:",
	    "https" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = microsoft\noauth_tenant = a/b\n", "c.conf:6:",
	    "tenant" },
	{ "[a]\nhost = h\noauth_client_id = c\noauth_provider = google\n",
	    "c.conf:3:", "needs user" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = google\nauth = plain\n", "c.conf:6:",
	    "only auto, xoauth2 or oauthbearer" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = yahoo\n", "c.conf:5:", "microsoft" },
	{ "[a b]\nhost = h\n", "c.conf:1:", "section name" },
	{ "[a]\nhost =\n", "c.conf:2:", "empty value" },
	{ "[a]\nhost = smtp.example.com:587\n", "c.conf:2:", "port =" },
	{ "[a]\nhost = [::1\n", "c.conf:2:", "host" },
	{ "[a]\nhost = [example.com]\n", "c.conf:2:", "host" },
	{ "[a]\nhost = h1,h2,h3,h4,h5,h6,h7,h8,h9,h10,h11,h12,h13,h14,h15,"
	    "h16,h17\n", "c.conf:2:", "more than" },
	{ "[a]\nhost = h ; comment\nport : 25 ; x\nfoo ; = bar\n",
	    "c.conf:4:", "key = value" },
};

START_TEST(test_bad)
{
	const struct bad_case *t = &bad_cases[_i];
	struct conf	 c;
	struct err	 e;

	err_clear(&e);
	ck_assert_int_eq(load_text(&c, t->text, 0600, &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
	ck_assert_msg(strstr(e.msg, t->where) != NULL &&
	    strstr(e.msg, t->what) != NULL, "case %d: '%s' lacks '%s' '%s'",
	    _i, e.msg, t->where, t->what);
	ck_assert_ptr_null(c.accounts);		/* freed on error */
	ck_assert_ptr_nonnull(strstr(c.path, "c.conf"));
	conf_free(&c);
}
END_TEST

static void
join(char *out, size_t len, char *const *items, int n)
{
	size_t	 off = 0;
	int	 i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s",
		    i ? "," : "", items[i]);
}

/* One field of an account as text, so good cases can be a table. */
static void
render(const struct account *a, const char *key, char *out, size_t len)
{
#define S(k, f) if (strcmp(key, k) == 0) { snprintf(out, len, "%s", \
	    (f) != NULL ? (f) : "(null)"); return; }
#define N(k, f) if (strcmp(key, k) == 0) { snprintf(out, len, "%ld", \
	    (long)(f)); return; }
	if (strcmp(key, "host") == 0) {
		join(out, len, a->hosts, a->nhosts);
		return;
	}
	if (strcmp(key, "match_from") == 0) {
		join(out, len, a->match_from, a->nmatch_from);
		return;
	}
	N("port", a->port) N("tls", a->tls) N("tls_verify", a->tls_verify)
	N("tls_min_version", a->tls_min_version) N("auth", a->auth)
	N("force_from", a->force_from) N("timeout", a->timeout)
	N("smtpd_timeout", a->smtpd_timeout)
	N("queue", a->queue) N("queue_lifetime", a->queue_lifetime)
	N("log", a->log)
	S("user", a->user) S("password", a->password.buf)
	S("password_command", a->password_command)
	S("password_file", a->password_file)
	S("from", a->from) S("domain", a->domain)
	S("maildomain", a->maildomain) S("queue_dir", a->queue_dir)
	S("notify", a->notify) S("log_path", a->log_path)
	S("tls_pin", a->tls_pin) S("fallback", a->fallback)
	S("aliases", a->aliases) S("tls_server_name", a->tls_server_name)
	S("tls_priority", a->tls_priority) S("tls_ca_file", a->tls_ca_file)
	N("oauth_provider", a->oauth_provider)
	S("oauth_client_id", a->oauth_client_id)
	S("oauth_client_secret", a->oauth_client_secret.buf)
	S("oauth_token_file", a->oauth_token_file)
	ck_abort_msg("render: unknown key %s", key);
#undef S
#undef N
}

#define PIN_A	"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define PIN_B	"sha256/abcdefghijklmnopqrstuvwxyz+/0123456789ABCDE="
static const struct good_case {
	const char	*text;
	const char	*account, *key, *want;
} good_cases[] = {
	{ "[a]\nhost = h.example\n", "a", "port", "465" },
	{ "[a]\nhost = h.example\ntls = starttls\n", "a", "port", "587" },
	{ "[a]\nhost = h.example\ntls = none\n", "a", "port", "25" },
	{ "[a]\nhost = h\ntls = STARTTLS\nport = 2525\n", "a", "port", "2525" },
	{ "[a]\nhost = [::1], 192.0.2.1 , mx.example\n", "a", "host",
	    "::1,192.0.2.1,mx.example" },
	{ "[a]\nhost = 2001:db8::1\n", "a", "host", "2001:db8::1" },
	{ "[a]\nhost = fe80::1%eth0\n", "a", "host", "fe80::1%eth0" },
	{ "[a]\nhost = h\n", "a", "tls_verify", "1" },
	{ "[a]\nhost = h\ntls_verify = off\ntls_pin = " PIN_A "\n", "a",
	    "tls_verify", "0" },
	{ "[a]\nhost = h\ntls_pin = " PIN_A " ,  " PIN_B "\n", "a",
	    "tls_pin", PIN_A "," PIN_B },
	{ "[a]\nhost = h\n", "a", "tls_min_version", "12" },
	{ "[a]\nhost = h\ntls_min_version = 1.3\n", "a", "tls_min_version",
	    "13" },
	{ "[a]\nhost = h\ntls_priority = NORMAL:-VERS-TLS1.2\n", "a",
	    "tls_priority", "NORMAL:-VERS-TLS1.2" },
	{ "[a]\nhost = 192.0.2.7\ntls_server_name = mx.example\n", "a",
	    "tls_server_name", "mx.example" },
	{ "[a]\nhost = h\ntls_ca_file = /etc/passwd\n", "a", "tls_ca_file",
	    "/etc/passwd" },
	{ "[a]\nhost = h\nuser = u\npassword = p\nauth = SCRAM-SHA-256\n",
	    "a", "auth", "4" },
	{ "[a]\nhost = h\nuser = u\npassword = ab;cd\n", "a", "password",
	    "ab;cd" },
	{ "[a]\nhost = h\nuser = u\npassword = ab ; comment\n", "a",
	    "password", "ab" },
	{ "[a]\nhost = h\nuser = u\npassword_command = pass show x | head\n",
	    "a", "password_command", "pass show x | head" },
	{ "[a]\nhost = h\n", "a", "auth", "0" },
	{ "[a]\nhost = h\nfrom = a@b.example\nforce_from = TRUE\n", "a",
	    "force_from", "1" },
	{ "[a]\nhost = h\nmatch_from = *@a.example, bob@b.example\n", "a",
	    "match_from", "*@a.example,bob@b.example" },
	{ "[a]\nhost = h\ndomain = client.example\n", "a", "domain",
	    "client.example" },
	{ "[a]\nhost = h\nmaildomain = host.example\n", "a", "maildomain",
	    "host.example" },
	{ "[a]\nhost = h\naliases = /etc/passwd\n", "a", "aliases",
	    "/etc/passwd" },
	{ "[a]\nhost = h\nfallback = b\n[b]\nhost = i\n", "a", "fallback",
	    "b" },
	{ "[a]\nhost = h\n", "a", "timeout", "60" },
	{ "[a]\nhost = h\ntimeout = 3600\n", "a", "timeout", "3600" },
	{ "[a]\nhost = h\n", "a", "smtpd_timeout", "300" },
	{ "[defaults]\nsmtpd_timeout = 30\n[a]\nhost = h\n", "a",
	    "smtpd_timeout", "30" },
	{ "[a]\nhost = h\n", "a", "queue", "0" },
	{ "[a]\nhost = h\nqueue = never\n", "a", "queue", "2" },
	{ "[a]\nhost = h\n", "a", "queue_dir", "/xdg-state/relaymail/queue" },
	{ "[a]\nhost = h\nqueue_dir = /var/tmp/q\n", "a", "queue_dir",
	    "/var/tmp/q" },
	{ "[a]\nhost = h\n", "a", "queue_lifetime", "432000" },
	{ "[a]\nhost = h\nqueue_lifetime = 12h\n", "a", "queue_lifetime",
	    "43200" },
	{ "[a]\nhost = h\nqueue_lifetime = 30m\n", "a", "queue_lifetime",
	    "1800" },
	{ "[a]\nhost = h\nqueue_lifetime = 3600\n", "a", "queue_lifetime",
	    "3600" },
	{ "[a]\nhost = h\nqueue_lifetime = 2w\n", "a", "queue_lifetime",
	    "1209600" },
	{ "[a]\nhost = h\nnotify = none\n", "a", "notify", "none" },
	{ "[a]\nhost = h\nnotify = admin@example.com\n", "a", "notify",
	    "admin@example.com" },
	{ "[a]\nhost = h\n", "a", "log", "0" },
	{ "[a]\nhost = h\nlog = none\n", "a", "log", "2" },
	{ "[a]\nhost = h\nlog = file:/var/log/rm.log\n", "a", "log_path",
	    "/var/log/rm.log" },
	{ "[a]\nhost = h\nlog = file:~/rm.log\n", "a", "log", "1" },
	{ "\xef\xbb\xbf# comment\n; another\n[a]\r\nHost = h\r\n", "a", "host",
	    "h" },
	{ "[a]\nhost = h\nport = 2525 ; inline comment\n", "a", "port",
	    "2525" },
	{ "[a]\n  host = h\n  port = 26\n", "a", "port", "26" },
	{ "[defaults]\nport = 2526\nuser = u\npassword = dp\n"
	    "[a]\nhost = h\n", "a", "password", "dp" },
	{ "[a]\nhost = h\n[defaults]\nport = 2526\n", "a", "port", "2526" },
	{ "[defaults]\nport = 2526\n[a]\nhost = h\nport = 1\n", "a", "port",
	    "1" },
	{ "[defaults]\nuser = u\npassword = dp\n[a]\nhost = h\n"
	    "password_command = echo x\n", "a", "password", "(null)" },
	{ "[defaults]\nuser = u\npassword = dp\n[a]\nhost = h\n"
	    "password_command = echo x\n", "a", "password_command", "echo x" },
	{ "[defaults]\nhost = shared.example\nmatch_from = *@x\n[a]\n", "a",
	    "match_from", "*@x" },
	{ "[defaults]\nfallback = b\n[a]\nhost = h\n[b]\nhost = i\n", "b",
	    "fallback", "(null)" },
	{ "[defaults]\nfallback = b\n[a]\nhost = h\n[b]\nhost = i\n", "a",
	    "fallback", "b" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = Microsoft\n", "a", "oauth_provider", "1" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = google\noauth_client_secret = s;x\n", "a",
	    "oauth_client_secret", "s;x" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = google\n", "a", "oauth_token_file",
	    "/xdg-state/relaymail/queue/oauth/a" },
	{ "[a]\nhost = h\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = google\nqueue_dir = /q\n", "a",
	    "oauth_token_file", "/q/oauth/a" },
	{ "[a]\nhost = h\nuser = u\npassword = p\n", "a", "oauth_token_file",
	    "(null)" },
	/* An OAuth2 account inherits no password, and the other way. */
	{ "[defaults]\nuser = u\npassword = dp\n[a]\nhost = h\n"
	    "oauth_client_id = c\noauth_provider = google\n", "a",
	    "password", "(null)" },
	{ "[defaults]\nuser = u\noauth_client_id = c\n"
	    "oauth_provider = google\n[a]\nhost = h\npassword = p\n", "a",
	    "oauth_client_id", "(null)" },
};

START_TEST(test_good)
{
	const struct good_case *t = &good_cases[_i];
	struct conf	 c;
	struct err	 e;
	struct account	*a;
	char		 got[512];

	if (load_text(&c, t->text, 0600, &e) == -1)
		ck_abort_msg("case %d: %s", _i, e.msg);
	a = conf_account(&c, t->account);
	ck_assert_ptr_nonnull(a);
	render(a, t->key, got, sizeof(got));
	ck_assert_msg(strcmp(got, t->want) == 0, "case %d: %s = '%s', want "
	    "'%s'", _i, t->key, got, t->want);
	conf_free(&c);
}
END_TEST

/* A 5000-byte password and password_command (OAuth tokens, long
 * commands) survive; a line over BOUNDS_CONF_LINE is an error. */
static const struct long_case {
	const char	*key;
	size_t		 len;
	int		 rc;
} long_cases[] = {
	{ "password", 5000, 0 },
	{ "password_command", 5000, 0 },
	{ "password", BOUNDS_CONF_LINE - 11, 0 },
	{ "password", BOUNDS_CONF_LINE + 10, -1 },
	{ "password_command", 100000, -1 },
};

START_TEST(test_long)
{
	const struct long_case *t = &long_cases[_i];
	struct conf	 c;
	struct err	 e;
	struct account	*a;
	char		*text, *v;
	size_t		 cap = t->len + 128;

	text = malloc(cap);
	v = malloc(t->len + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(v);
	memset(v, 'T', t->len);
	v[t->len] = '\0';
	snprintf(text, cap, "[a]\nhost = h\nuser = u\n%s = %s\nport = 2525\n",
	    t->key, v);
	ck_assert_int_eq(load_text(&c, text, 0600, &e), t->rc);
	if (t->rc == 0) {
		a = conf_account(&c, "a");
		ck_assert_ptr_nonnull(a);
		ck_assert_str_eq(strcmp(t->key, "password") == 0 ?
		    a->password.buf : a->password_command, v);
		ck_assert_int_eq(a->port, 2525);	/* next line intact */
		conf_free(&c);
	} else {
		ck_assert_int_eq(e.code, EX_CONFIG);
		ck_assert_ptr_nonnull(strstr(e.msg, "c.conf:4: line longer"));
		ck_assert_ptr_null(strstr(e.msg, "TTTT"));
		conf_free(&c);
	}
	free(text);
	free(v);
}
END_TEST

/* --check-config: every problem reported, each with its line. */
START_TEST(test_report_all)
{
	struct conf	 c;
	struct err	 e;
	char		 path[256], *buf = NULL;
	size_t		 len = 0;
	FILE		*rep;

	write_file("c.conf", "bogus = 1\n[a]\nhost = h\nport = x\ntls = y\n"
	    "[b]\nwhat = ever\n", 0600, path, sizeof(path));
	rep = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(conf_load(&c, path, rep, &e), -1);
	fclose(rep);
	ck_assert_ptr_nonnull(strstr(e.msg, "c.conf:1:"));	/* first */
	ck_assert_ptr_nonnull(strstr(buf, "c.conf:1: unknown top-level"));
	ck_assert_ptr_nonnull(strstr(buf, "c.conf:4: port"));
	ck_assert_ptr_nonnull(strstr(buf, "c.conf:5: tls"));
	ck_assert_ptr_nonnull(strstr(buf, "c.conf:7: unknown key 'what'"));
	ck_assert_ptr_nonnull(strstr(buf, "c.conf:6: [b] missing required"));
	conf_free(&c);
	free(buf);
}
END_TEST

START_TEST(test_default_and_order)
{
	struct conf	 c;
	struct err	 e;

	ck_assert_int_eq(load_text(&c, "default = b ; the second\n[a]\nhost = "
	    "h\n[b]\nhost = i\n", 0600, &e), 0);
	ck_assert_str_eq(c.default_account, "b");
	ck_assert_int_eq(c.naccounts, 2);
	ck_assert_str_eq(c.accounts[0].name, "a");
	ck_assert_int_eq(c.accounts[1].line, 4);
	ck_assert_ptr_nonnull(strstr(c.accounts[1].file, "c.conf"));
	ck_assert_ptr_null(conf_account(&c, "defaults"));
	conf_free(&c);
	ck_assert_ptr_null(c.accounts);
}
END_TEST

/* A config with password = must not be readable by group or others. */
static const struct perm_case {
	const char	*text;
	mode_t		 mode;
	int		 rc;
} perm_cases[] = {
	{ "[a]\nhost = h\nuser = u\npassword = p\n", 0600, 0 },
	{ "[a]\nhost = h\nuser = u\npassword = p\n", 0400, 0 },
	{ "[a]\nhost = h\nuser = u\npassword = p\n", 0644, -1 },
	{ "[a]\nhost = h\nuser = u\npassword = p\n", 0640, -1 },
	{ "[a]\nhost = h\nuser = u\npassword = p\n", 0604, -1 },
	{ "[defaults]\npassword = p\nuser = u\n[a]\nhost = h\n", 0644, -1 },
	{ "[a]\nhost = h\nuser = u\npassword_command = echo p\n", 0644, 0 },
	{ "[a]\nhost = h\n", 0644, 0 },
	{ "[a]\nhost = h\n", 0666, -1 },	/* writable by others */
	{ "[a]\nhost = h\n", 0620, -1 },
};

START_TEST(test_perm)
{
	const struct perm_case *t = &perm_cases[_i];
	struct conf	 c;
	struct err	 e;
	int		 rc;

	rc = load_text(&c, t->text, t->mode, &e);
	ck_assert_msg(rc == t->rc, "case %d: rc %d: %s", _i, rc, e.msg);
	conf_free(&c);
	if (rc == -1)
		ck_assert_int_eq(e.code, EX_CONFIG);
	if (rc == -1 && (t->mode & 0022) == 0)
		ck_assert_ptr_nonnull(strstr(e.msg, "chmod 600"));
}
END_TEST

/* The setgid rule (relaymail(8)) as a pure function. */
static const struct mode_case {
	mode_t	 mode;
	uid_t	 uid;
	gid_t	 gid;
	int	 system;
	gid_t	 rgid, egid;
	int	 ok;
} mode_cases[] = {
	{ 0600, 1000, 1000, 0, 1000, 1000, 1 },
	{ 0640, 1000, 1000, 0, 1000, 1000, 0 },
	{ 0640, 0, 120, 1, 1000, 120, 1 },	/* the setgid install */
	{ 0640, 0, 120, 0, 1000, 120, 0 },	/* not the system config */
	{ 0640, 5, 120, 1, 1000, 120, 0 },	/* not owned by root */
	{ 0644, 0, 120, 1, 1000, 120, 0 },	/* others can read */
	{ 0660, 0, 120, 1, 1000, 120, 0 },	/* group can write */
	{ 0640, 0, 121, 1, 1000, 120, 0 },	/* another group */
	/* Not running setgid: a group not named relaymail (64999 is
	 * in no test machine's group file) is not the install's group. */
	{ 0640, 0, 64999, 1, 64999, 64999, 0 },
	{ 0640, 0, 0, 1, 0, 0, 0 },		/* root:root 0640, as root */
	{ 0400, 0, 0, 1, 0, 0, 1 },
};

START_TEST(test_mode_rule)
{
	const struct mode_case *t = &mode_cases[_i];
	struct stat	 st;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | t->mode;
	st.st_uid = t->uid;
	st.st_gid = t->gid;
	ck_assert_int_eq(conf_secret_mode_ok(&st, t->system, t->rgid,
	    t->egid), t->ok);
}
END_TEST

static const struct pwfile_case {
	const char	*content;
	mode_t		 mode;
	int		 load_rc, secret_rc;
	const char	*want;		/* secret, or message part */
} pwfile_cases[] = {
	{ "s3cret\n", 0600, 0, 0, "s3cret" },
	{ "s3cret\r\nsecond line\n", 0400, 0, 0, "s3cret" },
	{ "no-newline", 0600, 0, 0, "no-newline" },
	{ "s3cret\n", 0644, -1, 0, "readable by group or others" },
	{ "s3cret\n", 0640, -1, 0, "readable by group or others" },
	{ "\nsecond\n", 0600, 0, -1, "empty first line" },
	{ "", 0600, 0, -1, "empty first line" },
};

START_TEST(test_password_file)
{
	const struct pwfile_case *t = &pwfile_cases[_i];
	struct conf	 c;
	struct err	 e;
	char		 pw[256], text[512];

	write_file("pw", t->content, t->mode, pw, sizeof(pw));
	snprintf(text, sizeof(text), "[a]\nhost = h\nuser = u\n"
	    "password_file = %s\n", pw);
	ck_assert_int_eq(load_text(&c, text, 0644, &e), t->load_rc);
	if (t->load_rc == -1) {
		ck_assert_ptr_nonnull(strstr(e.msg, "c.conf:4:"));
		ck_assert_ptr_nonnull(strstr(e.msg, t->want));
		conf_free(&c);
		return;
	}
	ck_assert_int_eq(conf_load_secret(&c.accounts[0], &e), t->secret_rc);
	if (t->secret_rc == 0)
		ck_assert_str_eq(c.accounts[0].password.buf, t->want);
	else {
		ck_assert_int_eq(e.code, EX_CONFIG);
		ck_assert_ptr_nonnull(strstr(e.msg, t->want));
	}
	/* Made readable after loading: refused when the secret is read. */
	secret_wipe(&c.accounts[0].password);
	ck_assert_int_eq(chmod(pw, 0644), 0);
	ck_assert_int_eq(conf_load_secret(&c.accounts[0], &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "readable by group"));
	conf_free(&c);
}
END_TEST

/* conf_load_secret runs password_command lazily, once. */
START_TEST(test_password_command)
{
	struct conf	 c;
	struct err	 e;
	char		 text[512], flag[256];

	snprintf(flag, sizeof(flag), "%s/ran", dir);
	snprintf(text, sizeof(text), "[a]\nhost = h\nuser = u\ntimeout = 5\n"
	    "password_command = echo x >> %s; printf 'tok en\\n'\n"
	    "[b]\nhost = h\nuser = u\npassword_command = echo OUT; "
	    "echo bad key >&2; exit 2\n", flag);
	ck_assert_int_eq(load_text(&c, text, 0600, &e), 0);
	ck_assert_int_eq(access(flag, F_OK), -1);	/* not at load */
	ck_assert_int_eq(conf_load_secret(&c.accounts[0], &e), 0);
	ck_assert_str_eq(c.accounts[0].password.buf, "tok en");
	ck_assert_int_eq(conf_load_secret(&c.accounts[0], &e), 0);
	ck_assert_int_eq(conf_load_secret(&c.accounts[1], &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "account b"));
	ck_assert_ptr_nonnull(strstr(e.msg, "failed (exit 2): bad key"));
	ck_assert_ptr_null(strstr(e.msg, "OUT"));
	conf_free(&c);
	/* It ran exactly once. */
	{
		FILE	*fp = fopen(flag, "r");
		char	 line[16];
		int	 n = 0;

		ck_assert_ptr_nonnull(fp);
		while (fgets(line, sizeof(line), fp) != NULL)
			n++;
		fclose(fp);
		ck_assert_int_eq(n, 1);
	}
}
END_TEST

/* Search order (relaymail.conf(5)). "@" at the start of a path stands for the
 * test directory; files lists what exists. */
static const struct find_case {
	const char	*cli, *env, *xdg;
	const char	*files[3];
	int		 code;
	const char	*want;
} find_cases[] = {
	{ "@/c", NULL, NULL, { "c", "e" }, 0, "@/c" },
	{ "@/c", "@/e", NULL, { "c", "e" }, 0, "@/c" },
	{ "@/nope", NULL, NULL, { "c" }, EX_NOINPUT, NULL },
	{ NULL, "@/e", NULL, { "e", ".config/relaymail/config" }, 0, "@/e" },
	{ NULL, "@/nope", NULL, { ".config/relaymail/config" }, EX_NOINPUT,
	    NULL },
	{ NULL, "", NULL, { ".config/relaymail/config" }, 0,
	    "@/.config/relaymail/config" },
	{ NULL, NULL, "@/x", { "x/relaymail/config",
	    ".config/relaymail/config" }, 0, "@/x/relaymail/config" },
	{ NULL, NULL, "relative", { ".config/relaymail/config" }, 0,
	    "@/.config/relaymail/config" },
	{ NULL, NULL, NULL, { ".config/relaymail/config" }, 0,
	    "@/.config/relaymail/config" },
	{ NULL, NULL, NULL, { "other" }, -1, CONF_SYSTEM_PATH },
};

static const char *
at_dir(const char *s, char *buf, size_t len)
{
	if (s == NULL || s[0] != '@')
		return s;
	snprintf(buf, len, "%s%s", dir, s + 1);
	return buf;
}

static void
make_path(const char *rel)
{
	char	 path[512], *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = path + strlen(dir) + 1; (slash = strchr(slash, '/')) !=
	    NULL; slash++) {
		*slash = '\0';
		ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
		*slash = '/';
	}
	ck_assert_int_eq(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
}

START_TEST(test_find)
{
	const struct find_case *t = &find_cases[_i];
	char		 b1[512], b2[512], b3[512], want[512];
	char		 out[BOUNDS_PATH];
	struct err	 e;
	int		 i, rc, sys = access(CONF_SYSTEM_PATH, F_OK) == 0;

	for (i = 0; i < 3 && t->files[i] != NULL; i++)
		make_path(t->files[i]);
	if (t->env != NULL)
		setenv("RELAYMAIL_CONFIG", at_dir(t->env, b1, sizeof(b1)), 1);
	if (t->xdg != NULL)
		setenv("XDG_CONFIG_HOME", at_dir(t->xdg, b2, sizeof(b2)), 1);
	rc = conf_find(at_dir(t->cli, b3, sizeof(b3)), out, sizeof(out), &e);
	if (t->code == -1) {	/* falls through to the system config */
		if (sys)
			ck_assert_str_eq(out, CONF_SYSTEM_PATH);
		else {
			ck_assert_int_eq(rc, -1);
			ck_assert_int_eq(e.code, EX_CONFIG);
			ck_assert_ptr_nonnull(strstr(e.msg, CONF_SYSTEM_PATH));
		}
	} else if (t->code != 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.code, t->code);
	} else {
		ck_assert_msg(rc == 0, "case %d: %s", _i, e.msg);
		ck_assert_str_eq(out, at_dir(t->want, want, sizeof(want)));
	}
	ck_assert_int_eq(conf_find("/etc/passwd", out, 5, &e), -1);
}
END_TEST

START_TEST(test_no_file)
{
	struct conf	 c;
	struct err	 e;
	char		 path[256];

	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(conf_load(&c, path, NULL, &e), -1);
	ck_assert_int_eq(e.code, EX_NOINPUT);
	ck_assert_str_eq(c.path, path);
	conf_free(&c);
	ck_assert_int_eq(conf_load(&c, dir, NULL, &e), -1);	/* a dir */
	ck_assert_int_eq(e.code, EX_CONFIG);
	conf_free(&c);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a regular file"));
}
END_TEST

/* A tls_verify = no without a pin loads, with a warning in the report. */
START_TEST(test_verify_warning)
{
	struct conf	 c;
	struct err	 e;
	char		 path[256], *buf = NULL;
	size_t		 len = 0;
	FILE		*rep;

	write_file("c.conf", "[a]\nhost = h\ntls_verify = no\n", 0600, path,
	    sizeof(path));
	rep = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(conf_load(&c, path, rep, &e), 0);
	fclose(rep);
	ck_assert_ptr_nonnull(strstr(buf, "c.conf:3: warning"));
	ck_assert_int_eq(c.accounts[0].tls_verify, 0);
	conf_free(&c);
	free(buf);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_bad, 0, (int)NELEM(bad_cases));
	tcase_add_loop_test(tc, test_good, 0, (int)NELEM(good_cases));
	tcase_add_loop_test(tc, test_long, 0, (int)NELEM(long_cases));
	tcase_add_test(tc, test_report_all);
	tcase_add_test(tc, test_default_and_order);
	tcase_add_loop_test(tc, test_perm, 0, (int)NELEM(perm_cases));
	tcase_add_loop_test(tc, test_mode_rule, 0, (int)NELEM(mode_cases));
	tcase_add_loop_test(tc, test_password_file, 0,
	    (int)NELEM(pwfile_cases));
	tcase_add_test(tc, test_password_command);
	tcase_add_loop_test(tc, test_find, 0, (int)NELEM(find_cases));
	tcase_add_test(tc, test_no_file);
	tcase_add_test(tc, test_verify_warning);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
