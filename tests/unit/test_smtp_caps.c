/*
 * test_smtp_caps.c - the EHLO capability parser (smtp_caps.c, RFC 5321
 * §4.1.1.1; RFC 4954 AUTH and its pre-standard "AUTH=" form, RFC 1870
 * SIZE, RFC 2920/3207/6152/3461/6531/3030/2034 keywords): what a reply
 * offers, each AUTH mechanism once (whole words, any case), the
 * greeting line never taken as a keyword.
 */
#include <string.h>

#include "unit.h"
#include "smtp.h"

struct caps_case {
	const char	*lines;		/* '\n'-separated EHLO reply */
	const char	*auth;		/* caps.auth after parsing */
	int		 pipelining, starttls, chunking;
	int		 has_size;
	long long	 size;
};

static const struct caps_case caps_cases[] = {
	{ "250-mx.example\n250-PIPELINING\n250-SIZE 1000\n250 AUTH PLAIN "
	    "LOGIN", "PLAIN LOGIN", 1, 0, 0, 1, 1000 },
	{ "250-mx.example\n250-starttls\n250 chunking", "", 0, 1, 1, 0, 0 },
	{ "250-mx.example\n250-AUTH=LOGIN PLAIN\n250 AUTH PLAIN LOGIN",
	    "LOGIN PLAIN", 0, 0, 0, 0, 0 },
	/* SIZE without a number or 0: no fixed limit (RFC 1870 §4). */
	{ "250-mx.example\n250 SIZE", "", 0, 0, 0, 1, 0 },
	{ "250-mx.example\n250 SIZE -5", "", 0, 0, 0, 1, 0 },
	/* The greeting line is the relay's name, not a keyword. */
	{ "250-PIPELINING AUTH PLAIN\n250 8BITMIME", "", 0, 0, 0, 0, 0 },
	{ "250-mx.example\n250-PIPELININGX\n250 AUTHX PLAIN", "", 0, 0, 0,
	    0, 0 },
	/* Regression (fuzz_caps): a mechanism that is the tail of one
	 * already listed was taken as listed ("-MD5" in "CRAM-MD5"). */
	{ "250-mx.example\n250-AUTH=CRAM-MD5\n250 AUTH=-MD5",
	    "CRAM-MD5 -MD5", 0, 0, 0, 0, 0 },
	{ "250-mx.example\n250 AUTH XPLAIN PLAIN", "XPLAIN PLAIN", 0, 0, 0,
	    0, 0 },
	/* Once each, in any case (RFC 5321 §2.4). */
	{ "250-mx.example\n250 AUTH plain PLAIN Plain", "plain", 0, 0, 0, 0,
	    0 },
	/* Names over 20 characters (RFC 4422 §3.1) are ignored. */
	{ "250-mx.example\n250 AUTH ABCDEFGHIJKLMNOPQRSTU PLAIN", "PLAIN", 0,
	    0, 0, 0, 0 },
};

START_TEST(test_caps)
{
	const struct caps_case *t = &caps_cases[_i];
	static struct reply r;
	static struct relay_caps c;
	const char *p = t->lines, *nl;
	struct err e;
	int rc = 0;

	reply_init(&r);
	while (rc == 0) {
		nl = strchr(p, '\n');
		rc = reply_feed(&r, p, nl ? (size_t)(nl - p) : strlen(p), &e);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(smtp_caps_parse(&c, &r, &e), 0);
	ck_assert_str_eq(c.auth, t->auth);
	ck_assert_int_eq(c.pipelining, t->pipelining);
	ck_assert_int_eq(c.starttls, t->starttls);
	ck_assert_int_eq(c.chunking, t->chunking);
	ck_assert_int_eq(c.has_size, t->has_size);
	ck_assert_int_eq(c.size, t->size);
	ck_assert_int_eq(c.nlines, r.nlines);
	ck_assert_int_eq(c.esmtp, 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("smtp_caps");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_caps, 0, NELEM(caps_cases));
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
