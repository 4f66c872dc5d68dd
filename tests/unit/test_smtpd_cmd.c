/*
 * test_smtpd_cmd.c - the -bs command parser: verbs, MAIL/RCPT paths
 * (brackets, source routes, quoted local parts, what is refused) and
 * ESMTP parameters.
 */
#include <string.h>

#include "smtpd_int.h"
#include "unit.h"

static const struct {
	const char	*line;
	enum smtpd_verb	 verb;
	const char	*arg;
} verb_tab[] = {
	{ "EHLO client.example", SV_EHLO, "client.example" },
	{ "ehlo   x  ", SV_EHLO, "x" },
	{ "HELO x", SV_HELO, "x" },
	{ "MAIL FROM:<a@b>", SV_MAIL, "FROM:<a@b>" },
	{ "rcpt to:<a@b>", SV_RCPT, "to:<a@b>" },
	{ "DATA", SV_DATA, "" },
	{ "RSET", SV_RSET, "" },
	{ "NOOP anything", SV_NOOP, "anything" },
	{ "QUIT", SV_QUIT, "" },
	{ "HELP", SV_HELP, "" },
	{ "VRFY root", SV_VRFY, "root" },
	{ "EXPN list", SV_NOTIMPL, "list" },
	{ "STARTTLS", SV_NOTIMPL, "" },
	{ "AUTH PLAIN x", SV_NOTIMPL, "PLAIN x" },
	{ "BDAT 10 LAST", SV_NOTIMPL, "10 LAST" },
	{ "MAILX", SV_UNKNOWN, "" },
	{ "XYZZY", SV_UNKNOWN, "" },
	{ "", SV_EMPTY, "" },
	{ "   ", SV_EMPTY, "" },
};

START_TEST(test_verbs)
{
	struct smtpd_cmd c;
	char line[128];

	snprintf(line, sizeof(line), "%s", verb_tab[_i].line);
	smtpd_cmd_parse(line, &c);
	ck_assert_int_eq(c.verb, verb_tab[_i].verb);
	ck_assert_str_eq(c.arg, verb_tab[_i].arg);
}
END_TEST

static const struct {
	const char	*arg, *prefix;
	int		 rc;
	const char	*addr, *params;
} path_tab[] = {
	{ "FROM:<a@b.example>", "FROM:", 0, "a@b.example", "" },
	{ "from: <a@b>  SIZE=10 BODY=8BITMIME", "FROM:", 0, "a@b",
	  "SIZE=10 BODY=8BITMIME" },
	{ "FROM:<>", "FROM:", 0, "", "" },
	{ "TO:<@relay1,@relay2:u@d>", "TO:", 0, "u@d", "" },
	{ "TO:<\"a b>c\"@d>", "TO:", 0, "\"a b>c\"@d", "" },
	{ "TO:<root>", "TO:", 0, "root", "" },
	{ "TO:a@b", "TO:", -1, NULL, NULL },
	{ "TO:<a@b", "TO:", -1, NULL, NULL },
	{ "TO:<a b@c>", "TO:", -1, NULL, NULL },
	{ "TO:<a@b,c@d>", "TO:", -1, NULL, NULL },
	{ "TO:<a<b@c>", "TO:", -1, NULL, NULL },
	{ "TO:<a@b>x", "TO:", -1, NULL, NULL },
	{ "TO:<@relay1>", "TO:", -1, NULL, NULL },
	{ "FROM:<a@b>", "TO:", -1, NULL, NULL },
	{ "TO:<a\tb@c>", "TO:", -1, NULL, NULL },
	{ "TO:<\"a\rb\"@c>", "TO:", -1, NULL, NULL },
	{ "TO:<\"a\\\"b\"@c>", "TO:", 0, "\"a\\\"b\"@c", "" },
};

START_TEST(test_paths)
{
	char addr[BOUNDS_ADDR + 1];
	const char *params = NULL;
	int rc;

	rc = smtpd_cmd_path(path_tab[_i].arg, path_tab[_i].prefix, addr,
	    sizeof(addr), &params);
	ck_assert_int_eq(rc, path_tab[_i].rc);
	if (rc == 0) {
		ck_assert_str_eq(addr, path_tab[_i].addr);
		ck_assert_str_eq(params, path_tab[_i].params);
	}
}
END_TEST

/* A path longer than the buffer is an error, not a cut address. */
START_TEST(test_path_too_long)
{
	char arg[BOUNDS_CMD], addr[16];
	const char *params;

	snprintf(arg, sizeof(arg), "TO:<%0100d@example.com>", 0);
	ck_assert_int_eq(smtpd_cmd_path(arg, "TO:", addr, sizeof(addr),
	    &params), -1);
}
END_TEST

START_TEST(test_params)
{
	const char *p = " SIZE=100  BODY=8BITMIME SMTPUTF8 RET=HDRS";
	char k[32], v[64];

	ck_assert_int_eq(smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v)), 1);
	ck_assert_str_eq(k, "SIZE");
	ck_assert_str_eq(v, "100");
	ck_assert_int_eq(smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v)), 1);
	ck_assert_str_eq(k, "BODY");
	ck_assert_str_eq(v, "8BITMIME");
	ck_assert_int_eq(smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v)), 1);
	ck_assert_str_eq(k, "SMTPUTF8");
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v)), 1);
	ck_assert_str_eq(k, "RET");
	ck_assert_int_eq(smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v)), 0);
}
END_TEST

static const char *const bad_params[] = {
	"=x", "SIZE=", "SIZE=a=b", "-X=1", "K\x01=1", "A=\x7f",
	"VERYLONGKEYWORDTHATDOESNOTFITINTHEBUFFER=1",
};

START_TEST(test_bad_params)
{
	const char *p = bad_params[_i];
	char k[32], v[64];

	ck_assert_int_eq(smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v)), -1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("smtpd_cmd");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_verbs, 0, NELEM(verb_tab));
	tcase_add_loop_test(tc, test_paths, 0, NELEM(path_tab));
	tcase_add_test(tc, test_path_too_long);
	tcase_add_test(tc, test_params);
	tcase_add_loop_test(tc, test_bad_params, 0, NELEM(bad_params));
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
