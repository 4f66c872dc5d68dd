/*
 * test_secret.c - secret buffers, password_command (first line, exit
 * status and stderr summarised, stdout never shown, deadline), reading
 * a secret file, and the setgid group drop of priv.c (relaymail(8)).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "priv.h"
#include "secret.h"
#include "unit.h"

static const struct set_case {
	const char	*src;
	size_t		 len;
	int		 rc, code;
} set_cases[] = {
	{ "hunter2", 7, 0, 0 },
	{ "", 0, 0, 0 },
	{ "a\nb", 3, -1, EX_CONFIG },
	{ "a\rb", 3, -1, EX_CONFIG },
	{ "a\0b", 3, -1, EX_CONFIG },
};

START_TEST(test_set)
{
	const struct set_case *t = &set_cases[_i];
	struct secret	 s = { NULL, 0 };
	struct err	 e;

	ck_assert_int_eq(secret_set(&s, "old", 3, &e), 0);
	ck_assert_int_eq(secret_set(&s, t->src, t->len, &e), t->rc);
	if (t->rc == 0) {
		ck_assert_uint_eq(s.len, t->len);
		ck_assert_int_eq(memcmp(s.buf, t->src, t->len), 0);
		ck_assert_int_eq(s.buf[t->len], '\0');
	} else {
		ck_assert_int_eq(e.code, t->code);
		ck_assert_str_eq(s.buf, "old");	/* unchanged on error */
	}
	secret_wipe(&s);
	ck_assert_ptr_null(s.buf);
	ck_assert_uint_eq(s.len, 0);
	secret_wipe(&s);			/* safe twice */
}
END_TEST

START_TEST(test_set_bounds)
{
	static char	 big[BOUNDS_SECRET + 1];
	struct secret	 s = { NULL, 0 };
	struct err	 e;

	memset(big, 'k', sizeof(big));
	ck_assert_int_eq(secret_set(&s, big, BOUNDS_SECRET, &e), 0);
	ck_assert_uint_eq(s.len, BOUNDS_SECRET);
	ck_assert_int_eq(secret_set(&s, big, BOUNDS_SECRET + 1, &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
	secret_wipe(&s);
	secret_bzero(big, sizeof(big));
	ck_assert_int_eq(big[0] | big[BOUNDS_SECRET], 0);
}
END_TEST

/* password_command outcomes. want: the secret, or a part of the error;
 * never: what must not appear in the error (the command's stdout). */
static const struct cmd_case {
	const char	*cmd;
	int		 timeout, rc;
	const char	*want, *never;
	int		 max_secs;
} cmd_cases[] = {
	{ "printf 'tok\\n'", 5, 0, "tok", NULL, 5 },
	{ "printf 'tok'", 5, 0, "tok", NULL, 5 },
	{ "printf 'tok\\r\\nsecond\\n'", 5, 0, "tok", NULL, 5 },
	{ "echo 'with spaces'; echo junk >&2", 5, 0, "with spaces", NULL, 5 },
	{ "echo SECRETOUT; echo 'gpg: decryption failed' >&2; exit 3", 5, -1,
	    "password_command failed (exit 3): gpg: decryption failed",
	    "SECRETOUT", 5 },
	{ "echo SECRETOUT; exit 1", 5, -1,
	    "password_command failed (exit 1): no error output", "SECRETOUT",
	    5 },
	{ "true", 5, -1, "password_command failed (exit 0): no output", NULL,
	    5 },
	{ "echo; echo SECRETOUT", 5, -1, "failed (exit 0)", "SECRETOUT", 5 },
	{ "head -c 100000 /dev/zero | tr '\\0' x", 5, -1, "failed (exit 0)",
	    "xxxx", 5 },
	{ "head -c 3000 /dev/zero | tr '\\0' e >&2; exit 1", 5, -1,
	    "(exit 1): eeee", NULL, 5 },
	{ "kill -9 $$", 5, -1, "(signal 9)", NULL, 5 },
	{ "/nonexistent/cmd", 5, -1, "(exit 127)", NULL, 5 },
	{ "echo SECRETOUT; sleep 30", 1, -1, "timed out after 1 s",
	    "SECRETOUT", 4 },
	{ "exec >&- 2>&-; sleep 30", 1, -1, "timed out", NULL, 4 },
	{ "cat; echo eof-seen", 5, 0, "eof-seen", NULL, 5 },
};

START_TEST(test_command)
{
	const struct cmd_case *t = &cmd_cases[_i];
	struct secret	 s = { NULL, 0 };
	struct err	 e;
	time_t		 start = time(NULL);

	err_clear(&e);
	ck_assert_int_eq(secret_from_command(&s, t->cmd, t->timeout, &e),
	    t->rc);
	ck_assert_int_le(time(NULL) - start, t->max_secs);
	if (t->rc == 0)
		ck_assert_str_eq(s.buf, t->want);
	else {
		ck_assert_ptr_null(s.buf);
		ck_assert_int_eq(e.code, EX_CONFIG);
		ck_assert_msg(strstr(e.msg, t->want) != NULL, "case %d: '%s'",
		    _i, e.msg);
		if (t->never != NULL)
			ck_assert_ptr_null(strstr(e.msg, t->never));
		ck_assert_uint_lt(strlen(e.msg), 300);	/* summarised */
	}
	secret_wipe(&s);
}
END_TEST

static const struct fd_case {
	const char	*content;
	size_t		 len;
	int		 rc;
	const char	*want;
} fd_cases[] = {
	{ "pw\n", 3, 0, "pw" },
	{ "pw\r\nmore\n", 9, 0, "pw" },
	{ "pw", 2, 0, "pw" },
	{ "\n", 1, -1, NULL },
	{ "", 0, -1, NULL },
	{ "p\0w\n", 4, -1, NULL },
};

START_TEST(test_read_fd)
{
	const struct fd_case *t = &fd_cases[_i];
	struct secret	 s = { NULL, 0 };
	struct err	 e;
	int		 fd = unit_pipe(t->content, t->len);

	ck_assert_int_eq(secret_read_fd(&s, fd, &e), t->rc);
	close(fd);
	if (t->rc == 0)
		ck_assert_str_eq(s.buf, t->want);
	else
		ck_assert_int_eq(e.code, EX_CONFIG);
	secret_wipe(&s);
}
END_TEST

/* Without a setgid binary the drop is a no-op; as root we can make the
 * process look setgid (egid != rgid) and watch the group go. */
START_TEST(test_priv)
{
	struct err	 e;
	gid_t		 r, ef, sv;

	ck_assert_int_eq(priv_is_setgid(), getegid() != getgid());
	ck_assert_int_eq(priv_after_find(CONF_SYSTEM_PATH, &e), 0);
	if (geteuid() != 0 || getgid() != 0)
		return;
	ck_assert_int_eq(setresgid(0, 4242, 4242), 0);
	ck_assert_int_eq(priv_is_setgid(), 1);
	ck_assert_int_eq(priv_after_find(CONF_SYSTEM_PATH, &e), 0);
	ck_assert_int_eq(priv_is_setgid(), 1);	/* kept for /etc */
	ck_assert_int_eq(priv_before_config(NULL, &e), 0);
	ck_assert_int_eq(priv_is_setgid(), 1);	/* nothing user-chosen */
	ck_assert_int_eq(priv_before_config("/tmp/x.conf", &e), 0);
	ck_assert_int_eq(getresgid(&r, &ef, &sv), 0);
	ck_assert(r == 0 && ef == 0 && sv == 0);
	ck_assert_int_eq(setresgid(0, 4242, 4242), 0);
	ck_assert_int_eq(priv_after_find("/home/u/.config/relaymail/config",
	    &e), 0);
	ck_assert_int_eq(getegid(), 0);
	ck_assert_int_eq(setresgid(0, 4242, 4242), 0);
	ck_assert_int_eq(priv_drop_group(&e), 0);
	ck_assert_int_eq(getresgid(&r, &ef, &sv), 0);
	ck_assert(r == 0 && ef == 0 && sv == 0);
}
END_TEST


static Suite *
suite(void)
{
	Suite	*s = suite_create("secret");
	TCase	*tc = tcase_create("secret");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_set, 0, (int)NELEM(set_cases));
	tcase_add_test(tc, test_set_bounds);
	tcase_add_loop_test(tc, test_command, 0, (int)NELEM(cmd_cases));
	tcase_add_loop_test(tc, test_read_fd, 0, (int)NELEM(fd_cases));
	tcase_add_test(tc, test_priv);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
