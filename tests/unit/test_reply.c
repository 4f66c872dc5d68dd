/*
 * test_reply.c - the strict reply parser (RFC 5321 §4.2, RFC 3463
 * enhanced status codes): good single and multi-line replies,
 * inconsistent codes, bad digits and separators, over-long lines, too
 * many lines, enhanced code extraction and class mismatch.
 */
#include <string.h>
#include <sysexits.h>

#include "unit.h"
#include "reply.h"

struct feed_case {
	const char	*lines;		/* '\n'-separated, fed one by one */
	int		 rc;		/* last reply_feed result */
	int		 code;		/* when rc == 1 */
	const char	*enh;
	int		 nlines;
	const char	*text0;		/* text of the first line */
};

static const struct feed_case feed_cases[] = {
	{ "250 OK", 1, 250, "", 1, "OK" },
	{ "220 smtp.example ESMTP", 1, 220, "", 1, "smtp.example ESMTP" },
	{ "250", 1, 250, "", 1, "" },
	{ "354 ", 1, 354, "", 1, "" },
	{ "250-smtp.example\n250-PIPELINING\n250 SIZE 1000", 1, 250, "", 3,
	    "smtp.example" },
	{ "550 5.1.1 no such user", 1, 550, "5.1.1", 1, "5.1.1 no such user" },
	{ "250 2.0.0 Ok", 1, 250, "2.0.0", 1, "2.0.0 Ok" },
	{ "452 4.5.3 too many", 1, 452, "4.5.3", 1, "4.5.3 too many" },
	{ "554 5.7.1", 1, 554, "5.7.1", 1, "5.7.1" },
	{ "535 5.7.139 bad", 1, 535, "5.7.139", 1, "5.7.139 bad" },
	/* class mismatch or malformed: no enhanced code, reply still ok */
	{ "550 4.1.1 mismatch", 1, 550, "", 1, "4.1.1 mismatch" },
	{ "250 5.0.0 mismatch", 1, 250, "", 1, "5.0.0 mismatch" },
	{ "550 5.1.1234 four digits", 1, 550, "", 1, "5.1.1234 four digits" },
	{ "550 5.1.1x", 1, 550, "", 1, "5.1.1x" },
	{ "550 5..1 empty", 1, 550, "", 1, "5..1 empty" },
	{ "550 3.1.1 class 3", 1, 550, "", 1, "3.1.1 class 3" },
	/* enhanced code from a later line of a multi-line reply */
	{ "550-first\n550 5.7.1 second", 1, 550, "5.7.1", 2, "first" },
	/* incomplete multi-line reply */
	{ "250-a\n250-b", 0, 250, "", 2, "a" },
	/* malformed */
	{ "250-a\n251 b", -1, 0, NULL, 0, NULL },
	{ "250-a\n550 b", -1, 0, NULL, 0, NULL },
	{ "25 short", -1, 0, NULL, 0, NULL },
	{ "", -1, 0, NULL, 0, NULL },
	{ "650 first digit", -1, 0, NULL, 0, NULL },
	{ "150 first digit", -1, 0, NULL, 0, NULL },
	{ "2a0 letter", -1, 0, NULL, 0, NULL },
	{ "25a letter", -1, 0, NULL, 0, NULL },
	{ "250x bad separator", -1, 0, NULL, 0, NULL },
	{ "250_bad separator", -1, 0, NULL, 0, NULL },
	{ "2500 four digits", -1, 0, NULL, 0, NULL },
	{ "HTTP/1.1 400 Bad Request", -1, 0, NULL, 0, NULL },
	{ "\x16\x03\x01\x02", -1, 0, NULL, 0, NULL },
	{ "250 ctl\x01char", -1, 0, NULL, 0, NULL },
	{ "250 del\x7f", -1, 0, NULL, 0, NULL },
};

/* Feed the '\n'-separated lines of c; returns the last result. */
static int
feed_all(struct reply *r, const char *lines, struct err *e)
{
	const char *p = lines, *nl;
	int rc;

	reply_init(r);
	for (;;) {
		nl = strchr(p, '\n');
		rc = reply_feed(r, p, nl ? (size_t)(nl - p) : strlen(p), e);
		if (rc != 0 || nl == NULL)
			return rc;
		p = nl + 1;
	}
}

START_TEST(test_feed)
{
	const struct feed_case *c = &feed_cases[_i];
	static struct reply r;
	struct err e;
	int rc;

	err_clear(&e);
	rc = feed_all(&r, c->lines, &e);
	ck_assert_msg(rc == c->rc, "case %d \"%s\": rc %d, want %d (%s)", _i,
	    c->lines, rc, c->rc, e.msg);
	if (rc == -1) {
		ck_assert_int_eq(e.code, EX_PROTOCOL);
		ck_assert(strstr(e.msg, "malformed reply") != NULL);
		return;
	}
	ck_assert_int_eq(r.code, c->code);
	ck_assert_str_eq(r.enh, c->enh);
	ck_assert_int_eq(r.nlines, c->nlines);
	ck_assert_str_eq(r.text[0], c->text0);
	ck_assert_int_eq(r.done, rc == 1);
}
END_TEST

/* Line length: 510 octets + CRLF = 512 is the limit (§4.5.3.1.5). */
static const struct {
	size_t	 len;
	int	 rc;
} len_cases[] = {
	{ 4, 1 }, { 509, 1 }, { 510, 1 }, { 511, -1 }, { 600, -1 },
};

START_TEST(test_line_length)
{
	static struct reply r;
	char line[700];
	struct err e;
	int rc;

	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	reply_init(&r);
	err_clear(&e);
	rc = reply_feed(&r, line, len_cases[_i].len, &e);
	ck_assert_int_eq(rc, len_cases[_i].rc);
	if (rc == 1)
		ck_assert_uint_eq(strlen(r.last), len_cases[_i].len);
	else
		ck_assert_int_eq(e.code, EX_PROTOCOL);
}
END_TEST

/* Line count: BOUNDS_REPLY_LINES lines fit, one more does not. */
static const struct {
	int	 nlines;
	int	 rc;
} count_cases[] = {
	{ 2, 1 }, { BOUNDS_REPLY_LINES, 1 }, { BOUNDS_REPLY_LINES + 1, -1 },
	{ 1000, -1 },
};

START_TEST(test_line_count)
{
	static struct reply r;
	struct err e;
	int i, rc = 0, n = count_cases[_i].nlines;

	reply_init(&r);
	err_clear(&e);
	for (i = 0; i < n && rc == 0; i++)
		rc = reply_feed(&r, i + 1 < n ? "250-x" : "250 x", 5, &e);
	ck_assert_int_eq(rc, count_cases[_i].rc);
	if (rc == -1) {
		ck_assert_int_eq(e.code, EX_PROTOCOL);
		ck_assert_int_eq(i, BOUNDS_REPLY_LINES + 1);
	} else
		ck_assert_int_eq(r.nlines, n);
}
END_TEST

static const struct {
	const char	*text;
	int		 first;
	int		 found;
	const char	*enh;
} enh_cases[] = {
	{ "5.1.1 user unknown", 5, 1, "5.1.1" },
	{ "2.0.0", 2, 1, "2.0.0" },
	{ "4.4.2\tbad", 4, 1, "4.4.2" },
	{ "5.123.456 max", 5, 1, "5.123.456" },
	{ "5.1234.1 long subject", 5, 0, "" },
	{ "5.1.1 x", 4, 0, "" },
	{ "3.0.0 x", 3, 0, "" },
	{ "5.1. x", 5, 0, "" },
	{ "5.1", 5, 0, "" },
	{ "x5.1.1", 5, 0, "" },
	{ "", 5, 0, "" },
};

START_TEST(test_enhanced)
{
	char enh[16];

	ck_assert_int_eq(reply_enhanced(enh_cases[_i].text,
	    enh_cases[_i].first, enh), enh_cases[_i].found);
	ck_assert_str_eq(enh, enh_cases[_i].enh);
}
END_TEST

static const struct {
	const char	*in;
	size_t		 cap;
	const char	*out;
} quote_cases[] = {
	{ "250 ok", 80, "250 ok" },
	{ "a\x01\x80z", 80, "a??z" },
	{ "abcdefghijklmnop", 8, "abcd..." },
};

START_TEST(test_quote)
{
	char out[80];

	reply_quote(quote_cases[_i].in, strlen(quote_cases[_i].in), out,
	    quote_cases[_i].cap);
	ck_assert_str_eq(out, quote_cases[_i].out);
}
END_TEST

/* reply_join: every line's text, the enhanced code said once. */
static const struct {
	const char	*lines;
	size_t		 cap;
	const char	*want;
} join_cases[] = {
	{ "250 OK", 64, "250 OK" },
	{ "535-5.7.8 Username and Password not accepted. Learn more at\n"
	  "535 5.7.8  https://support.example/?p=BadCredentials", 200,
	  "535 5.7.8 Username and Password not accepted. Learn more at "
	  "https://support.example/?p=BadCredentials" },
	{ "550-first\n550-\n550 third", 64, "550 first third" },
	{ "554-5.7.1 one\n554 5.7.1", 64, "554 5.7.1 one" },
	{ "250", 64, "250" },
	{ "550-aaaaaaaaaa\n550 bbbbbbbbbb", 16, "550 aaaaaaaa..." },
};

START_TEST(test_join)
{
	struct reply r;
	struct err e;
	char buf[512], out[256];
	char *line, *save = NULL;

	reply_init(&r);
	snprintf(buf, sizeof(buf), "%s", join_cases[_i].lines);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		reply_feed(&r, line, strlen(line), &e);
	ck_assert_int_eq(r.done, 1);
	reply_join(&r, out, join_cases[_i].cap);
	ck_assert_str_eq(out, join_cases[_i].want);
}
END_TEST

START_TEST(test_feed_after_done)
{
	static struct reply r;
	struct err e;

	reply_init(&r);
	ck_assert_int_eq(reply_feed(&r, "250 a", 5, &e), 1);
	ck_assert_int_eq(reply_feed(&r, "250 b", 5, &e), -1);
	ck_assert_int_eq(e.code, EX_SOFTWARE);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_feed, 0, NELEM(feed_cases));
	tcase_add_loop_test(tc, test_line_length, 0, NELEM(len_cases));
	tcase_add_loop_test(tc, test_line_count, 0, NELEM(count_cases));
	tcase_add_loop_test(tc, test_enhanced, 0, NELEM(enh_cases));
	tcase_add_loop_test(tc, test_quote, 0, NELEM(quote_cases));
	tcase_add_loop_test(tc, test_join, 0, NELEM(join_cases));
	tcase_add_test(tc, test_feed_after_done);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
