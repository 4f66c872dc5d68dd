/*
 * test_account.c - account selection (-a, match_from with +detail,
 * default, the only account), match_from globs, and --relay URLs.
 */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "conf.h"
#include "unit.h"

static char	 dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/relaymail-acct-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_STATE_HOME", "/xdg-state", 1);
}

static void
teardown(void)
{
	unit_rmtree(dir);
}

static void
load(struct conf *c, const char *text)
{
	char		 path[128];
	struct err	 e;

	snprintf(path, sizeof(path), "%s/c.conf", dir);
	unit_write_file(path, text, 0600);
	if (conf_load(c, path, NULL, &e) == -1)
		ck_abort_msg("%s", e.msg);
}

static const char three[] =
    "default = other\n"
    "[work]\nhost = w\nmatch_from = *@work.example, *@*.work.example\n"
    "[home]\nhost = h\nmatch_from = alice@home.example\n"
    "[other]\nhost = o\n";
static const char two[] = "[a]\nhost = a\n[b]\nhost = b\n";
static const char one[] = "[solo]\nhost = s\n";

static const struct sel_case {
	const char	*conf, *cli, *sender;
	int		 rc;
	const char	*want, *why;
} sel_cases[] = {
	{ three, "home", "bob@work.example", 0, "home", "-a home" },
	{ three, NULL, "bob@work.example", 0, "work",
	    "sender bob@work.example matches *@work.example in [work]" },
	{ three, NULL, "bob@mx.work.example", 0, "work", "*@*.work.example" },
	{ three, NULL, "BOB@WORK.EXAMPLE", 0, "work", "[work]" },
	{ three, NULL, "alice@home.example", 0, "home", "[home]" },
	{ three, NULL, "alice+lists@home.example", 0, "home", "[home]" },
	{ three, NULL, "Alice+x@Home.Example", 0, "home", "[home]" },
	{ three, NULL, "alicex@home.example", 0, "other", "default = other" },
	{ three, NULL, "bob@else.example", 0, "other", "default = other" },
	{ three, NULL, "", 0, "other", "default = other" },
	{ three, NULL, NULL, 0, "other", "default = other" },
	{ three, "nosuch", "bob@work.example", -1, NULL,
	    "no account [nosuch]" },
	{ two, NULL, "x@y", -1, NULL, "no account chosen" },
	{ two, "b", NULL, 0, "b", "-a b" },
	{ one, NULL, "x@y", 0, "solo", "only account" },
};

START_TEST(test_select)
{
	const struct sel_case *t = &sel_cases[_i];
	struct conf	 c;
	struct account	*a;
	struct err	 e;
	char		 why[256];

	load(&c, t->conf);
	ck_assert_int_eq(account_select(&c, t->cli, t->sender, &a, why,
	    sizeof(why), &e), t->rc);
	if (t->rc == 0) {
		ck_assert_str_eq(a->name, t->want);
		ck_assert_msg(strstr(why, t->why) != NULL, "why '%s'", why);
	} else {
		ck_assert_ptr_null(a);
		ck_assert_int_eq(e.code, EX_CONFIG);
		ck_assert_msg(strstr(e.msg, t->why) != NULL, "'%s'", e.msg);
	}
	conf_free(&c);
}
END_TEST

static const struct match_case {
	const char	*pattern, *addr;
	int		 match;
} match_cases[] = {
	{ "*@example.com", "a@example.com", 1 },
	{ "*@example.com", "a@EXAMPLE.COM", 1 },
	{ "*@example.com", "a@example.org", 0 },
	{ "*@example.com", "a@sub.example.com", 0 },
	{ "alice@example.com", "alice+tag@example.com", 1 },
	{ "alice@example.com", "alice+@example.com", 1 },
	{ "alice@example.com", "alicex@example.com", 0 },
	{ "alice+tag@example.com", "alice+tag@example.com", 1 },
	{ "alice+tag@example.com", "alice@example.com", 0 },
	{ "alice@example.com", "+tag@example.com", 0 },
	{ "a?ice@example.com", "alice@example.com", 1 },
	{ "[ab]*@x", "bob@x", 1 },
	{ "root", "root", 1 },
	{ "root", "root+cron", 1 },
	{ "*", "", 0 },
	{ "x@y+z", "x@y+z", 1 },
	{ "x@y", "x@y+z", 0 },
};

START_TEST(test_match)
{
	const struct match_case *t = &match_cases[_i];

	ck_assert_msg(account_match_from(t->pattern, t->addr) == t->match,
	    "'%s' vs '%s'", t->pattern, t->addr);
}
END_TEST

static const struct url_case {
	const char	*url;
	int		 code;
	const char	*host;
	int		 port, tls;
	const char	*user;
} url_cases[] = {
	{ "smtps://mail.example.com", 0, "mail.example.com", 465,
	    TLS_IMPLICIT, NULL },
	{ "smtp://mail.example.com", 0, "mail.example.com", 587, TLS_STARTTLS,
	    NULL },
	{ "SMTPS://mx.example:2465/", 0, "mx.example", 2465, TLS_IMPLICIT,
	    NULL },
	{ "smtp://alice@mx.example:25", 0, "mx.example", 25, TLS_STARTTLS,
	    "alice" },
	{ "smtps://alice%40example.com@mx.example", 0, "mx.example", 465,
	    TLS_IMPLICIT, "alice@example.com" },
	{ "smtps://alice@example.com@mx.example", 0, "mx.example", 465,
	    TLS_IMPLICIT, "alice@example.com" },
	{ "smtp://[::1]:2525", 0, "::1", 2525, TLS_STARTTLS, NULL },
	{ "smtps://u@[2001:db8::1]", 0, "2001:db8::1", 465, TLS_IMPLICIT,
	    "u" },
	{ "smtp://127.0.0.1:2525", 0, "127.0.0.1", 2525, TLS_STARTTLS, NULL },
	{ "http://mx.example", EX_USAGE, NULL, 0, 0, NULL },
	{ "mx.example", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtps://", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtps://u:secret@mx.example", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtps://@mx.example", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtps://mx.example:0", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtps://mx.example:65536", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtps://mx.example:", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtps://mx.example:25x", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://::1:25", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://[::1", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://[mx.example]", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://[::1]x", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://mx.example/path", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://mx.example?x", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://mx example", EX_USAGE, NULL, 0, 0, NULL },
	{ "smtp://u%0d%0aRCPT@mx", EX_USAGE, NULL, 0, 0, NULL },
};

START_TEST(test_url)
{
	const struct url_case *t = &url_cases[_i];
	struct account	 a;
	struct err	 e;
	int		 rc;

	err_clear(&e);
	rc = account_from_url(&a, t->url, NULL, &e);
	if (t->code != 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.code, t->code);
		ck_assert_ptr_null(strstr(e.msg, "secret"));
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", t->url, e.msg);
	ck_assert_int_eq(a.nhosts, 1);
	ck_assert_str_eq(a.hosts[0], t->host);
	ck_assert_int_eq(a.port, t->port);
	ck_assert_int_eq((int)a.tls, t->tls);
	if (t->user == NULL)
		ck_assert_ptr_null(a.user);
	else
		ck_assert_str_eq(a.user, t->user);
	ck_assert_int_eq(a.timeout, 60);
	ck_assert_str_eq(a.queue_dir, "/xdg-state/relaymail/queue");
	conf_account_free(&a);
}
END_TEST

/* With a base account, other keys come from it; host/port/tls/user
 * from the URL; the base is untouched. */
START_TEST(test_url_base)
{
	struct conf	 c;
	struct account	 a;
	struct err	 e;

	load(&c, "[w]\nhost = a, b\ntls = starttls\nport = 2587\nuser = base\n"
	    "password = pw\ntimeout = 7\nfrom = me@x.example\nfallback = v\n"
	    "[v]\nhost = v\n");
	ck_assert_int_eq(account_from_url(&a, "smtps://[::1]",
	    &c.accounts[0], &e), 0);
	ck_assert_int_eq(a.nhosts, 1);
	ck_assert_str_eq(a.hosts[0], "::1");
	ck_assert_int_eq(a.port, 465);
	ck_assert_int_eq(a.tls, TLS_IMPLICIT);
	ck_assert_str_eq(a.user, "base");
	ck_assert_str_eq(a.password.buf, "pw");
	ck_assert_ptr_ne(a.password.buf, c.accounts[0].password.buf);
	ck_assert_int_eq(a.timeout, 7);
	ck_assert_str_eq(a.from, "me@x.example");
	ck_assert_ptr_null(a.fallback);
	conf_account_free(&a);
	ck_assert_int_eq(c.accounts[0].nhosts, 2);
	ck_assert_str_eq(c.accounts[0].fallback, "v");
	ck_assert_int_eq(account_from_url(&a, "smtp://u2@h:26",
	    &c.accounts[0], &e), 0);
	ck_assert_str_eq(a.user, "u2");
	ck_assert_int_eq(a.port, 26);
	conf_account_free(&a);
	conf_free(&c);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("account");
	TCase	*tc = tcase_create("account");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_select, 0, (int)NELEM(sel_cases));
	tcase_add_loop_test(tc, test_match, 0, (int)NELEM(match_cases));
	tcase_add_loop_test(tc, test_url, 0, (int)NELEM(url_cases));
	tcase_add_test(tc, test_url_base);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
