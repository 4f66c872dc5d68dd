/*
 * test_auth.c - choosing the AUTH mechanism (auth=auto preference with
 * and without TLS, explicit mechanisms the relay does or does not offer,
 * missing user) and the mechanism names.
 */
#include <string.h>
#include <sysexits.h>

#include "unit.h"
#include "auth.h"

static const struct {
	enum auth_mech	 want;
	const char	*user;
	const char	*offered;
	int		 tls;
	int		 rc;
	enum auth_mech	 got;
	int		 code;
} choose_cases[] = {
	{ AUTH_AUTO, NULL, "PLAIN LOGIN", 1, 0, AUTH_NONE, 0 },
	{ AUTH_AUTO, "u", "LOGIN PLAIN", 1, 0, AUTH_PLAIN, 0 },
	{ AUTH_AUTO, "u", "LOGIN", 1, 0, AUTH_LOGIN, 0 },
	{ AUTH_AUTO, "u", "LOGIN PLAIN CRAM-MD5", 1, 0, AUTH_PLAIN, 0 },
	{ AUTH_AUTO, "u", "LOGIN PLAIN CRAM-MD5", 0, 0, AUTH_CRAM_MD5, 0 },
	{ AUTH_AUTO, "u", "PLAIN SCRAM-SHA-256 CRAM-MD5", 1, 0,
	    AUTH_SCRAM_SHA_256, 0 },
	{ AUTH_AUTO, "u", "plain login", 1, 0, AUTH_PLAIN, 0 },
	{ AUTH_AUTO, "u", "XOAUTH2 OAUTHBEARER", 1, -1, AUTH_NONE,
	    EX_UNAVAILABLE },
	{ AUTH_AUTO, "u", "GSSAPI", 1, -1, AUTH_NONE, EX_UNAVAILABLE },
	{ AUTH_AUTO, "u", "", 1, -1, AUTH_NONE, EX_UNAVAILABLE },
	{ AUTH_AUTO, "u", "PLAINX", 1, -1, AUTH_NONE, EX_UNAVAILABLE },
	{ AUTH_NONE, "u", "PLAIN", 1, 0, AUTH_NONE, 0 },
	{ AUTH_LOGIN, "u", "PLAIN LOGIN", 1, 0, AUTH_LOGIN, 0 },
	{ AUTH_CRAM_MD5, "u", "PLAIN", 1, -1, AUTH_NONE, EX_UNAVAILABLE },
	{ AUTH_XOAUTH2, "u", "PLAIN XOAUTH2", 1, 0, AUTH_XOAUTH2, 0 },
	{ AUTH_OAUTHBEARER, "u", "OAUTHBEARER", 1, 0, AUTH_OAUTHBEARER, 0 },
	{ AUTH_EXTERNAL, NULL, "EXTERNAL", 1, 0, AUTH_EXTERNAL, 0 },
	{ AUTH_PLAIN, NULL, "PLAIN", 1, -1, AUTH_NONE, EX_CONFIG },
	{ AUTH_SCRAM_SHA_256, "u", "", 1, -1, AUTH_NONE, EX_UNAVAILABLE },
};

START_TEST(test_choose)
{
	enum auth_mech got;
	struct err e;
	int rc;

	err_clear(&e);
	rc = auth_choose(choose_cases[_i].want, choose_cases[_i].user,
	    choose_cases[_i].offered, choose_cases[_i].tls, &got, &e);
	ck_assert_msg(rc == choose_cases[_i].rc, "case %d: %s", _i, e.msg);
	ck_assert_int_eq(e.code, choose_cases[_i].code);
	if (rc == 0)
		ck_assert_int_eq(got, choose_cases[_i].got);
}
END_TEST

static const struct {
	const char	*list, *name;
	int		 found;
} offered_cases[] = {
	{ "PLAIN LOGIN", "LOGIN", 1 }, { "plain login", "PLAIN", 1 },
	{ "PLAINX LOGIN", "PLAIN", 0 }, { "", "PLAIN", 0 },
	{ "CRAM-MD5", "CRAM", 0 }, { " \tSCRAM-SHA-256 ", "SCRAM-SHA-256", 1 },
};

START_TEST(test_offered)
{
	ck_assert_int_eq(auth_offered(offered_cases[_i].list,
	    offered_cases[_i].name), offered_cases[_i].found);
}
END_TEST

static const struct {
	enum auth_mech	 m;
	const char	*name;
} name_cases[] = {
	{ AUTH_PLAIN, "PLAIN" }, { AUTH_CRAM_MD5, "CRAM-MD5" },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256" }, { AUTH_NONE, "none" },
	{ AUTH_OAUTHBEARER, "OAUTHBEARER" }, { AUTH_EXTERNAL, "EXTERNAL" },
};

START_TEST(test_names)
{
	ck_assert_str_eq(auth_mech_name(name_cases[_i].m),
	    name_cases[_i].name);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("choose");

	tcase_add_loop_test(tc, test_choose, 0, NELEM(choose_cases));
	tcase_add_loop_test(tc, test_offered, 0, NELEM(offered_cases));
	tcase_add_loop_test(tc, test_names, 0, NELEM(name_cases));
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
