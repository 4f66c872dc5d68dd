/*
 * test_cli.c - the flag table (relaymail(8)): each accepted, ignored and
 * rejected flag, bundling, attached and separate arguments, argv[0]
 * personalities, and the exit code of bad input.
 */
#include <string.h>

/* Rows for rejected flags only give argv and the exit code. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "unit.h"
#include "cli.h"

#define MAXARGS 20

static const struct {
	const char	*argv[MAXARGS];
	int		 rc;		/* 0 or EX_USAGE */
	int		 mode;
	int		 extract, dots, verbose, body;
	const char	*sender, *fullname, *config, *account;
	const char	*notify, *ret, *envid, *relay;
	int		 nrcpt, nignored;
	const char	*rcpt0;
} cases[] = {
	{ { "sendmail", "-t", "-i", NULL }, 0, CLI_SEND, 1, 1, 0, 0,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "-ti", "a@b", NULL }, 0, CLI_SEND, 1, 1, 0, 0,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 0, "a@b" },
	{ { "sendmail", "-oi", "-f", "root", "x@y", NULL }, 0, CLI_SEND, 0,
	  1, 0, 0, "root", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 0,
	  "x@y" },
	{ { "sendmail", "-froot", "-r", "", "x", NULL }, 0, CLI_SEND, 0, 0,
	  0, 0, "", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 0, "x" },
	/* Debian cron */
	{ { "sendmail", "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root",
	  NULL }, 0, CLI_SEND, 0, 1, 0, 8, NULL, "CronDaemon", NULL, NULL,
	  NULL, NULL, NULL, NULL, 1, 1, "root" },
	/* cronie */
	{ { "sendmail", "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t",
	  "-f", "root", NULL }, 0, CLI_SEND, 1, 1, 0, 0, "root",
	  "CronDaemon", NULL, NULL, NULL, NULL, NULL, NULL, 0, 2, NULL },
	{ { "sendmail", "-C", "/x.conf", "-a", "work", "-v", "--", "-a",
	  NULL }, 0, CLI_SEND, 0, 0, 1, 0, NULL, NULL, "/x.conf", "work",
	  NULL, NULL, NULL, NULL, 1, 0, "-a" },
	{ { "sendmail", "-N", "success,Failure", "-R", "hdrs", "-V",
	  "id.1", "a", NULL }, 0, CLI_SEND, 0, 0, 0, 0, NULL, NULL, NULL,
	  NULL, "SUCCESS,FAILURE", "HDRS", "id.1", NULL, 1, 0, "a" },
	{ { "sendmail", "-Nnever", "-B", "7bit", "a", NULL }, 0, CLI_SEND, 0,
	  0, 0, 7, NULL, NULL, NULL, NULL, "NEVER", NULL, NULL, NULL, 1, 0,
	  "a" },
	{ { "sendmail", "-bp", NULL }, 0, CLI_QUEUE_LIST, 0, 0, 0, 0, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "/usr/bin/mailq", NULL }, 0, CLI_QUEUE_LIST, 0, 0, 0, 0, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "newaliases", NULL }, 0, CLI_NOOP, 0, 0, 0, 0, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "-bi", NULL }, 0, CLI_NOOP, 0, 0, 0, 0, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "-I", NULL }, 0, CLI_NOOP, 0, 0, 0, 0, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "-q15m", NULL }, 0, CLI_QUEUE_RUN, 0, 0, 0, 0, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "-bm", "-h", "17", "-L", "tag", "-X", "/f", "-m",
	  "-n", "-G", "-U", "-d0.1", "-Ac", "-Ooption=x", "a", NULL }, 0,
	  CLI_SEND, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, 1, 10, "a" },
	{ { "sendmail", "--relay=smtps://u@[::1]:465", "--account", "w",
	  "a", NULL }, 0, CLI_SEND, 0, 0, 0, 0, NULL, NULL, NULL, "w", NULL,
	  NULL, NULL, "smtps://u@[::1]:465", 1, 0, "a" },
	{ { "sendmail", "--probe=work", NULL }, 0, CLI_PROBE, 0, 0, 0, 0,
	  NULL, NULL, NULL, "work", NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "--dry-run", "-t", NULL }, 0, CLI_DRY_RUN, 1, 0, 0,
	  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "--check-config", NULL }, 0, CLI_CHECK_CONFIG, 0, 0,
	  0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
	/* Laravel: -bs -i; -a with -bs. */
	{ { "sendmail", "-bs", "-i", "-a", "w", NULL }, 0, CLI_SMTP, 0, 1,
	  0, 0, NULL, NULL, NULL, "w", NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "relaymail", "--authorize=m365", NULL }, 0, CLI_AUTHORIZE, 0, 0,
	  0, 0, NULL, NULL, NULL, "m365", NULL, NULL, NULL, NULL, 0, 0, NULL },
	{ { "relaymail", "-C", "/x.conf", "--authorize", NULL }, 0,
	  CLI_AUTHORIZE, 0, 0, 0, 0, NULL, NULL, "/x.conf", NULL, NULL, NULL,
	  NULL, NULL, 0, 0, NULL },
	{ { "sendmail", "--help", NULL }, 0, CLI_HELP },
	{ { "sendmail", "--version", NULL }, 0, CLI_VERSION },
	/* Rejected. */
	{ { "sendmail", "-Z", NULL }, EX_USAGE },
	{ { "sendmail", "-bs", "-t", NULL }, EX_USAGE },
	{ { "sendmail", "-bs", "a@b", NULL }, EX_USAGE },
	{ { "sendmail", "-bd", NULL }, EX_USAGE },
	{ { "sendmail", "-f", NULL }, EX_USAGE },
	{ { "sendmail", "-N", "sometimes", "a", NULL }, EX_USAGE },
	{ { "sendmail", "-N", "never,success", "a", NULL }, EX_USAGE },
	{ { "sendmail", "-R", "body", "a", NULL }, EX_USAGE },
	{ { "sendmail", "-V", "has space", "a", NULL }, EX_USAGE },
	{ { "sendmail", "-B", "binarymime", "a", NULL }, EX_USAGE },
	{ { "sendmail", "--frobnicate", NULL }, EX_USAGE },
	{ { "sendmail", "--relay", NULL }, EX_USAGE },
	{ { "sendmail", "--force", "a", NULL }, EX_USAGE },
	{ { "sendmail", "--password=x", NULL }, EX_USAGE },
};

static void
check_str(const char *what, const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: got %s, want NULL", what, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
		    "%s: got %s, want %s", what, got ? got : "NULL", want);
}

START_TEST(test_flags)
{
	struct cli c;
	struct err e;
	char *argv[MAXARGS], *rcpt[MAXARGS];
	int argc;

	for (argc = 0; cases[_i].argv[argc] != NULL; argc++)
		argv[argc] = (char *)cases[_i].argv[argc];
	argv[argc] = NULL;
	err_clear(&e);
	if (cases[_i].rc != 0) {
		ck_assert_int_eq(cli_parse(&c, argc, argv, rcpt, &e), -1);
		ck_assert_int_eq(e.code, cases[_i].rc);
		ck_assert(e.msg[0] != '\0');
		return;
	}
	ck_assert_msg(cli_parse(&c, argc, argv, rcpt, &e) == 0, "case %d: %s",
	    _i, e.msg);
	ck_assert_int_eq(c.mode, cases[_i].mode);
	if (cases[_i].mode == CLI_HELP || cases[_i].mode == CLI_VERSION)
		return;
	ck_assert_int_eq(c.extract, cases[_i].extract);
	ck_assert_int_eq(c.ignore_dots, cases[_i].dots);
	ck_assert_int_eq(c.verbose, cases[_i].verbose);
	ck_assert_int_eq(c.body, cases[_i].body);
	check_str("sender", c.sender, cases[_i].sender);
	check_str("fullname", c.fullname, cases[_i].fullname);
	check_str("config", c.config, cases[_i].config);
	check_str("account", c.account, cases[_i].account);
	check_str("notify", c.dsn_notify[0] ? c.dsn_notify : NULL,
	    cases[_i].notify);
	check_str("ret", c.dsn_ret, cases[_i].ret);
	check_str("envid", c.dsn_envid, cases[_i].envid);
	check_str("relay", c.relay_url, cases[_i].relay);
	ck_assert_int_eq(c.nrcpt, cases[_i].nrcpt);
	ck_assert_int_eq(c.nignored, cases[_i].nignored);
	if (cases[_i].rcpt0 != NULL)
		ck_assert_str_eq(c.rcpt[0], cases[_i].rcpt0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("flags");

	tcase_add_loop_test(tc, test_flags, 0, NELEM(cases));
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
