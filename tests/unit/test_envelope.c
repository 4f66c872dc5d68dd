/*
 * test_envelope.c - envelope sender and recipients: -f/-t/argv, the
 * Resent- rule, aliases, qualification, duplicates, injection attempts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "unit.h"

static void
load(struct msg *m, const char *text)
{
	struct err e;
	int fd = unit_pipe(text, strlen(text));

	msg_init(m);
	ck_assert_int_eq(msg_read(m, fd, 0, &e), 0);
	close(fd);
}

static const char *
put(const char *text)
{
	static char path[] = "/tmp/test_envelope.XXXXXX";

	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	unit_tmpfile(path, text);
	return path;
}

#define A(...)	{ __VA_ARGS__, NULL }
/* As aliases content: use a file that does not exist. */
#define MISSING	"\001missing"

static const struct {
	const char	*msg;		/* for -t; NULL: no -t */
	const char	*argv[4];
	const char	*sender, *account_from;
	int		 force_from;
	const char	*user, *md, *aliases;
	const char	*want_sender, *want_rcpt;
	int		 code;		/* expected error or 0 */
} tab[] = {
	{ NULL, A("bob@x"), NULL, "me@a", 0, "u", NULL, NULL,
	  "me@a", "bob@x", 0 },
	/* cron's MAILTO comma list in one argument */
	{ NULL, A("a@x, b@y", "c@z"), "s@x", NULL, 0, "u", NULL, NULL,
	  "s@x", "a@x|b@y|c@z", 0 },
	/* Debian cron: -f absent, bare root, aliases, maildomain */
	{ NULL, A("root"), NULL, NULL, 0, "root", "h.example",
	  "root: admin@e.example\n", "root@h.example", "admin@e.example", 0 },
	{ NULL, A("root"), "root", NULL, 0, "x", "h.example", NULL,
	  "root@h.example", "root@h.example", 0 },
	/* -t: To, Cc, Bcc plus argv, duplicates removed */
	{ "To: a@x\nCc: B <b@y>, a@X\nBcc: c@z\nSubject: s\n\nbody\n",
	  A("d@w", "A@x"), "s@x", NULL, 0, "u", NULL, NULL,
	  "s@x", "d@w|A@x|a@x|b@y|c@z", 0 },
	/* -t with a Resent- block: only the topmost block counts */
	{ "Resent-To: r1@x\nResent-Cc: r2@x\nResent-Bcc: r3@x\n"
	  "Resent-From: s@x\nReceived: by x\nResent-To: old@x\n"
	  "To: orig@x\nCc: orig2@x\n\n",
	  A(NULL), "s@x", NULL, 0, "u", NULL, NULL, "s@x", "r1@x|r2@x|r3@x",
	  0 },
	{ "Received: by x\nResent-Date: d\nResent-From: s@x\n"
	  "Resent-To: n@x\nTo: orig@x\n\n",
	  A(NULL), "s@x", NULL, 0, "u", NULL, NULL, "s@x", "n@x", 0 },
	/* cronie: -t with To: root, -f root */
	{ "To: root\nSubject: Cron\n\nout\n", A(NULL), "root", NULL, 0, "root",
	  "h.example", "root: admin@e.example\n", "root@h.example",
	  "admin@e.example", 0 },
	{ "To: Bob <bob>, ops\n\n", A(NULL), "s@x", NULL, 0, "u",
	  "h.example", "ops: alice, z@y\n", "s@x",
	  "bob@h.example|alice@h.example|z@y", 0 },
	/* an address in the maildomain is an alias candidate */
	{ NULL, A("root@h.example"), "s@x", NULL, 0, "u", "h.example",
	  "root: admin@e.example\n", "s@x", "admin@e.example", 0 },
	/* no recipients */
	{ "To: undisclosed-recipients:;\n\n", A(NULL), "s@x", NULL, 0, "u",
	  NULL, NULL, NULL, NULL, EX_USAGE },
	{ NULL, A(NULL), "s@x", NULL, 0, "u", NULL, NULL, NULL, NULL,
	  EX_USAGE },
	/* injection attempts */
	{ NULL, A("a@x\r\nRCPT TO:<b@y>"), "s@x", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ NULL, A("a@x\nDATA"), "s@x", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ NULL, A("a@x> NOTIFY=NEVER"), "s@x", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ NULL, A("<a@x>"), "s@x", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ NULL, A("Bob <b@x>"), "s@x", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ NULL, A("a@x"), "s@x>\r\nRSET", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ NULL, A("a@x"), "s@x> SIZE=1", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ "To: John Smith\n\n", A(NULL), "s@x", NULL, 0, "u", NULL, NULL,
	  NULL, NULL, EX_DATAERR },
	{ NULL, A("root"), "s@x", NULL, 0, "u",
	  "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	  "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	  "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	  "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh.x",
	  NULL, NULL, NULL, EX_DATAERR },
	/* sender rules */
	{ NULL, A("a@x"), "<>", "me@a", 0, "u", "h", NULL, "", "a@x", 0 },
	{ NULL, A("a@x"), "", "me@a", 0, "u", "h", NULL, "", "a@x", 0 },
	{ NULL, A("a@x"), "<s@x>", NULL, 0, "u", "h", NULL, NULL, NULL,
	  EX_DATAERR },
	{ NULL, A("a@x"), NULL, NULL, 0, "alice", "h.example", NULL,
	  "alice@h.example", "a@x", 0 },
	{ NULL, A("a@x"), NULL, NULL, 0, "alice", NULL, NULL,
	  "alice", "a@x", 0 },
	{ NULL, A("a@x"), "other@x", "acct@e", 1, "u", "h", NULL,
	  "acct@e", "a@x", 0 },
	{ NULL, A("a@x"), "", "acct@e", 1, "u", "h", NULL,
	  "acct@e", "a@x", 0 },
	/* duplicates: domain case-insensitive, local part not */
	{ NULL, A("A@X.example", "A@x.EXAMPLE", "a@x.example"), "s@x", NULL,
	  0, "u", NULL, NULL, "s@x", "A@X.example|a@x.example", 0 },
	{ NULL, A("root", "root@h.example"), "s@x", NULL, 0, "u",
	  "h.example", NULL, "s@x", "root@h.example", 0 },
	/* alias errors */
	{ NULL, A("a"), "s@x", NULL, 0, "u", NULL, "a: b\nb: a\n",
	  NULL, NULL, EX_CONFIG },
	{ NULL, A("a"), "s@x", NULL, 0, "u", NULL, MISSING,
	  NULL, NULL, EX_CONFIG },
};

START_TEST(test_build)
{
	struct envelope_opts o = { 0 };
	struct envelope env;
	struct msg m;
	struct err e;
	char got[2048];
	const char *path = NULL;
	size_t k;
	int r, n;

	if (tab[_i].aliases != NULL)
		path = strcmp(tab[_i].aliases, MISSING) == 0 ?
		    "/nonexistent/aliases" : put(tab[_i].aliases);
	for (n = 0; tab[_i].argv[n] != NULL; n++)
		;
	o.argv_rcpt = (char * const *)tab[_i].argv;
	o.nargv_rcpt = n;
	o.from_headers = tab[_i].msg != NULL;
	o.sender = tab[_i].sender;
	o.account_from = tab[_i].account_from;
	o.force_from = tab[_i].force_from;
	o.user = tab[_i].user;
	o.maildomain = tab[_i].md;
	o.aliases = path;
	load(&m, tab[_i].msg ? tab[_i].msg : "Subject: x\n\n");
	envelope_init(&env);
	err_clear(&e);
	r = envelope_build(&env, &o, &m, &e);
	if (tab[_i].code != 0) {
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(e.code, tab[_i].code);
		ck_assert_uint_eq(env.nrcpt, 0);
	} else {
		ck_assert_msg(r == 0, "%s", e.msg);
		ck_assert_str_eq(env.sender, tab[_i].want_sender);
		got[0] = '\0';
		for (k = 0; k < env.nrcpt; k++) {
			if (k > 0)
				strncat(got, "|", sizeof(got) - strlen(got) - 1);
			strncat(got, env.rcpt[k], sizeof(got) - strlen(got) - 1);
		}
		ck_assert_str_eq(got, tab[_i].want_rcpt);
	}
	envelope_free(&env);
	msg_free(&m);
	if (path != NULL && strcmp(path, "/nonexistent/aliases") != 0)
		unlink(path);
}
END_TEST

static const struct {
	const char *addr;
	int ok;
} check_tab[] = {
	{ "", 1 },
	{ "<>", 1 },
	{ "a@x", 1 },
	{ "<a@x>", 0 },
	{ "root", 1 },
	{ "a@x\n", 0 },
	{ "a@x\r\nMAIL FROM:<b@y>", 0 },
	{ "a>b@x", 0 },
	{ "<a@x", 0 },
	{ "<<a@x>>", 0 },
};

START_TEST(test_check_addr)
{
	struct err e;

	err_clear(&e);
	if (check_tab[_i].ok)
		ck_assert_int_eq(envelope_check_addr(check_tab[_i].addr, &e), 0);
	else {
		ck_assert_int_eq(envelope_check_addr(check_tab[_i].addr, &e),
		    -1);
		ck_assert_int_eq(e.code, EX_DATAERR);
	}
}
END_TEST

/* More than BOUNDS_RCPTS distinct recipients is an error. */
START_TEST(test_too_many)
{
	struct envelope_opts o = { 0 };
	struct envelope env;
	char **argv = calloc(BOUNDS_RCPTS + 1, sizeof(*argv));
	struct msg m;
	struct err e;
	int i;

	for (i = 0; i <= BOUNDS_RCPTS; i++) {
		argv[i] = malloc(32);
		snprintf(argv[i], 32, "r%d@x", i);
	}
	o.argv_rcpt = argv;
	o.nargv_rcpt = BOUNDS_RCPTS;
	o.sender = "s@x";
	msg_init(&m);
	envelope_init(&env);
	ck_assert_int_eq(envelope_build(&env, &o, &m, &e), 0);
	ck_assert_uint_eq(env.nrcpt, BOUNDS_RCPTS);
	o.nargv_rcpt = BOUNDS_RCPTS + 1;
	ck_assert_int_eq(envelope_build(&env, &o, &m, &e), -1);
	ck_assert_int_eq(e.code, EX_DATAERR);
	envelope_free(&env);
	msg_free(&m);
	for (i = 0; i <= BOUNDS_RCPTS; i++)
		free(argv[i]);
	free(argv);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("envelope");
	TCase *tc = tcase_create("envelope");

	tcase_add_loop_test(tc, test_build, 0, NELEM(tab));
	tcase_add_loop_test(tc, test_check_addr, 0, NELEM(check_tab));
	tcase_add_test(tc, test_too_many);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
