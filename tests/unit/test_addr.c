/*
 * test_addr.c - address-list parsing, validation, qualification and
 * header rewriting (RFC 5322 §3.4, RFC 5321 §4.1.2).
 */
#include <string.h>

#include "addr.h"
#include "unit.h"

/* Input list -> the addresses extracted, joined with "|"; NULL = error. */
static const struct {
	const char *in;
	const char *want;
} parse_tab[] = {
	{ "a@x", "a@x" },
	{ "a@x, b@y", "a@x|b@y" },
	{ "a@x,b@y,,c@z", "a@x|b@y|c@z" },
	{ "root", "root" },
	{ "root (Cron Daemon)", "root" },
	{ "Root <root>", "root" },
	{ "\"Doe, John\" <jd@x.example>", "jd@x.example" },
	{ "John Doe <jd@x>, Jane <jane@y>", "jd@x|jane@y" },
	{ "undisclosed-recipients:;", "" },
	{ "friends: a@x, B <b@y>;, c@z", "a@x|b@y|c@z" },
	{ "a@x (comment (nested) here)", "a@x" },
	{ "(lead) a @ x . example", "a@x.example" },
	{ "\"john doe\"@x", "\"john doe\"@x" },
	{ "a@[192.0.2.1]", "a@[192.0.2.1]" },
	{ " <@route1,@route2:a@x>", "a@x" },
	{ " a@x,\r\n\tb@y", "a@x|b@y" },
	{ "a@x; b@y", "a@x|b@y" },
	{ "J\xc3\xa9r\xc3\xb4me <j@x>", "j@x" },
	{ "Name <>", "" },
	{ "", "" },
	{ "John Smith", NULL },
	{ "a@x>", NULL },
	{ "<a@x", NULL },
	{ "<a<b@x>>", NULL },
	{ "a@x (unclosed", NULL },
	{ "\"unclosed@x", NULL },
	{ "<a@x> trailing", NULL },
	{ "\"a<b\"@x", NULL },
	{ "g: a@x", NULL },
	{ "@x", NULL },
	{ "a@", NULL },
};

START_TEST(test_parse)
{
	struct addr_list l;
	struct err e;
	char got[1024];
	size_t k;
	int r;

	addr_list_init(&l);
	err_clear(&e);
	r = addr_parse_list(parse_tab[_i].in, &l, &e);
	if (parse_tab[_i].want == NULL) {
		ck_assert_msg(r == -1, "'%s' parsed", parse_tab[_i].in);
		ck_assert_int_eq(e.code, EX_DATAERR);
	} else {
		ck_assert_msg(r == 0, "'%s': %s", parse_tab[_i].in, e.msg);
		got[0] = '\0';
		for (k = 0; k < l.n; k++) {
			if (k > 0)
				strncat(got, "|", sizeof(got) - strlen(got) - 1);
			strncat(got, l.v[k], sizeof(got) - strlen(got) - 1);
		}
		ck_assert_str_eq(got, parse_tab[_i].want);
	}
	addr_list_free(&l);
}
END_TEST

/* Envelope validation: injection attempts and limits. */
static const struct {
	const char *in;
	int ok;
} check_tab[] = {
	{ "a@x.example", 1 },
	{ "root", 1 },
	{ "\"odd local\"@x", 1 },
	{ "", 0 },
	{ "a@x\r\nRCPT TO:<evil@y>", 0 },
	{ "a@x\nDATA", 0 },
	{ "a@x\r", 0 },
	{ "a@x>", 0 },
	{ "<a@x", 0 },
	{ "a@x> SIZE=1", 0 },
	{ "a\001b@x", 0 },
	{ "a@x\tb", 0 },
	{ "a@x\x7f", 0 },
	{ "caf\xc3\xa9@x.example", 1 },
};

START_TEST(test_check)
{
	struct err e;

	err_clear(&e);
	if (check_tab[_i].ok)
		ck_assert_int_eq(addr_check(check_tab[_i].in, &e), 0);
	else {
		ck_assert_int_eq(addr_check(check_tab[_i].in, &e), -1);
		ck_assert_int_eq(e.code, EX_DATAERR);
		ck_assert_ptr_nonnull(strstr(e.msg, "invalid address"));
	}
}
END_TEST

START_TEST(test_check_length)
{
	char a[BOUNDS_ADDR + 2];
	struct err e;

	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	a[10] = '@';
	ck_assert_int_eq(addr_check(a, &e), -1);	/* 257 octets */
	ck_assert_int_eq(e.code, EX_DATAERR);
	a[BOUNDS_ADDR] = '\0';				/* 256 octets */
	ck_assert_int_eq(addr_check(a, &e), 0);
}
END_TEST

/* Qualification: address, domain -> result (NULL = error). */
static const struct {
	const char *in, *dom, *want;
} qual_tab[] = {
	{ "root", "host.example", "root@host.example" },
	{ "root@other.example", "host.example", "root@other.example" },
	{ "root", NULL, "root" },
	{ "root", "", "root" },
	{ "\"a@b\"", "host.example", "\"a@b\"@host.example" },
	{ "\"a@b\"@c", "host.example", "\"a@b\"@c" },
	/* Regression (fuzz_addr): a '"' inside a domain literal opened a
	 * quote, so the '@' added was taken as quoted and the address
	 * still looked bare: qualification was not idempotent. */
	{ "m[\"]x", "host.example", "m[\"]x@host.example" },
	{ "m[\"]x@host.example", "host.example", "m[\"]x@host.example" },
	{ "a@[1.2.3.4]", "host.example", "a@[1.2.3.4]" },
};

START_TEST(test_qualify)
{
	char out[BOUNDS_ADDR + 1];
	struct err e;

	ck_assert_int_eq(addr_qualify(qual_tab[_i].in, qual_tab[_i].dom, out,
	    sizeof(out), &e), 0);
	ck_assert_str_eq(out, qual_tab[_i].want);
}
END_TEST

START_TEST(test_qualify_too_long)
{
	char a[BOUNDS_ADDR], out[BOUNDS_ADDR + 1];
	struct err e;

	memset(a, 'r', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';	/* 255 octets + "@x" is 257 */
	ck_assert_int_eq(addr_qualify(a, "x", out, sizeof(out), &e), -1);
	ck_assert_int_eq(e.code, EX_DATAERR);
}
END_TEST

/* Header rewriting keeps everything but adds the domain. */
static const struct {
	const char *in, *want;
} rewrite_tab[] = {
	{ " root (Cron Daemon)", " root@host.example (Cron Daemon)" },
	{ " Root <root>", " Root <root@host.example>" },
	{ " root", " root@host.example" },
	{ " a@x, root,\r\n\tadmin", " a@x, root@host.example,\r\n\t"
	    "admin@host.example" },
	{ " staff: root, b@y;", " staff: root@host.example, b@y;" },
	{ " undisclosed-recipients:;", " undisclosed-recipients:;" },
	{ " \"Doe, J\" <jd>", " \"Doe, J\" <jd@host.example>" },
	{ " <root (the admin)>", " <root@host.example (the admin)>" },
	{ " John Smith", " John Smith" },	/* unparsable: unchanged */
	{ " a@x", " a@x" },
	/* Regression (fuzz_addr): rewriting twice adds nothing more. */
	{ " m[\"]x@host.example", " m[\"]x@host.example" },
};

START_TEST(test_rewrite)
{
	struct err e;
	char *out;

	ck_assert_int_eq(addr_rewrite(rewrite_tab[_i].in, "host.example",
	    &out, &e), 0);
	ck_assert_str_eq(out, rewrite_tab[_i].want);
	free(out);
}
END_TEST

static const struct {
	const char *a, *b;
	int eq;
} equal_tab[] = {
	{ "a@x.example", "a@X.EXAMPLE", 1 },
	{ "a@x", "A@x", 0 },
	{ "root", "root", 1 },
	{ "root", "root@x", 0 },
};

START_TEST(test_equal)
{
	ck_assert_int_eq(addr_equal(equal_tab[_i].a, equal_tab[_i].b),
	    equal_tab[_i].eq);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_parse, 0, NELEM(parse_tab));
	tcase_add_loop_test(tc, test_check, 0, NELEM(check_tab));
	tcase_add_test(tc, test_check_length);
	tcase_add_loop_test(tc, test_qualify, 0, NELEM(qual_tab));
	tcase_add_test(tc, test_qualify_too_long);
	tcase_add_loop_test(tc, test_rewrite, 0, NELEM(rewrite_tab));
	tcase_add_loop_test(tc, test_equal, 0, NELEM(equal_tab));
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
