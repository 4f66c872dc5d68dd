/*
 * test_err.c - the exit-code table (relaymail(8)): every stage × reply class,
 * refined by enhanced status codes, and the "worst failure" order.
 */
#include <string.h>

#include "unit.h"
#include "err.h"

static const struct {
	enum stage	 st;
	int		 code;
	const char	*enh;
	int		 want;
} replies[] = {
	{ STAGE_GREETING, 220, NULL, EX_OK },
	{ STAGE_GREETING, 421, NULL, EX_TEMPFAIL },
	{ STAGE_GREETING, 554, NULL, EX_UNAVAILABLE },
	{ STAGE_EHLO, 451, "4.3.0", EX_TEMPFAIL },
	{ STAGE_EHLO, 550, NULL, EX_UNAVAILABLE },
	{ STAGE_STARTTLS, 454, "4.7.0", EX_TEMPFAIL },
	{ STAGE_STARTTLS, 502, "5.5.1", EX_UNAVAILABLE },
	{ STAGE_AUTH, 454, "4.7.0", EX_TEMPFAIL },
	{ STAGE_AUTH, 535, "5.7.8", EX_NOPERM },
	{ STAGE_AUTH, 535, NULL, EX_NOPERM },
	{ STAGE_AUTH, 504, "5.5.4", EX_UNAVAILABLE },
	{ STAGE_AUTH, 534, "5.7.9", EX_UNAVAILABLE },
	{ STAGE_MAIL, 451, NULL, EX_TEMPFAIL },
	{ STAGE_MAIL, 550, "5.7.1", EX_UNAVAILABLE },
	{ STAGE_MAIL, 553, "5.1.7", EX_DATAERR },
	{ STAGE_MAIL, 530, "5.7.0", EX_NOPERM },
	{ STAGE_RCPT, 450, "4.2.0", EX_TEMPFAIL },
	{ STAGE_RCPT, 550, "5.1.1", EX_NOUSER },
	{ STAGE_RCPT, 550, NULL, EX_NOUSER },
	{ STAGE_RCPT, 554, "5.7.1", EX_UNAVAILABLE },
	{ STAGE_DATA, 451, NULL, EX_TEMPFAIL },
	{ STAGE_DATA, 554, "5.5.1", EX_UNAVAILABLE },
	{ STAGE_EOD, 452, "4.3.1", EX_TEMPFAIL },
	{ STAGE_EOD, 552, "5.3.4", EX_DATAERR },
	{ STAGE_EOD, 554, "5.6.0", EX_DATAERR },
	{ STAGE_EOD, 554, "", EX_DATAERR },
	/* a protocol error, not the content: the relay's failure */
	{ STAGE_EOD, 500, "5.5.1", EX_PROTOCOL },
	{ STAGE_EOD, 503, "", EX_PROTOCOL },
	{ STAGE_EOD, 501, "", EX_PROTOCOL },
	{ STAGE_EOD, 554, "5.5.0", EX_PROTOCOL },
	{ STAGE_EOD, 500, "5.6.0", EX_DATAERR },
	{ STAGE_EOD, 535, "5.7.8", EX_NOPERM },
	{ STAGE_MAIL, 600, NULL, EX_PROTOCOL },
	{ STAGE_MAIL, 199, NULL, EX_PROTOCOL },
};

START_TEST(test_reply_table)
{
	int got = err_from_reply(replies[_i].st, replies[_i].code,
	    replies[_i].enh);

	ck_assert_msg(got == replies[_i].want, "%s %d %s: got %d want %d",
	    err_stage_name(replies[_i].st), replies[_i].code,
	    replies[_i].enh ? replies[_i].enh : "-", got, replies[_i].want);
}
END_TEST

static const struct {
	int a, b, want;
} worse[] = {
	{ EX_OK, EX_TEMPFAIL, EX_TEMPFAIL },
	{ EX_TEMPFAIL, EX_NOUSER, EX_NOUSER },
	{ EX_NOUSER, EX_TEMPFAIL, EX_NOUSER },
	{ EX_NOUSER, EX_UNAVAILABLE, EX_UNAVAILABLE },
	{ EX_UNAVAILABLE, EX_PROTOCOL, EX_PROTOCOL },
	{ EX_NOPERM, EX_TEMPFAIL, EX_NOPERM },
	{ EX_CONFIG, EX_NOPERM, EX_CONFIG },
};

START_TEST(test_worse)
{
	ck_assert_int_eq(err_worse(worse[_i].a, worse[_i].b), worse[_i].want);
}
END_TEST

START_TEST(test_set_prefix)
{
	struct err e;

	err_clear(&e);
	ck_assert_int_eq(e.code, 0);
	ck_assert_int_eq(err_set(&e, EX_TEMPFAIL, "timed out after %d s", 3),
	    -1);
	ck_assert_int_eq(e.code, EX_TEMPFAIL);
	ck_assert_str_eq(e.msg, "timed out after 3 s");
	err_prefix(&e, "%s", "greeting");
	ck_assert_str_eq(e.msg, "greeting: timed out after 3 s");
	ck_assert_str_eq(err_code_name(EX_NOPERM), "EX_NOPERM");
	ck_assert_str_eq(err_stage_name(STAGE_RCPT), "RCPT TO");
}
END_TEST

START_TEST(test_long_message_is_bounded)
{
	struct err e;
	char big[4 * BOUNDS_ERRMSG];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, EX_PROTOCOL, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), BOUNDS_ERRMSG - 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_reply_table, 0, NELEM(replies));
	tcase_add_loop_test(tc, test_worse, 0, NELEM(worse));
	tcase_add_test(tc, test_set_prefix);
	tcase_add_test(tc, test_long_message_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
