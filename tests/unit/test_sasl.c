/*
 * test_sasl.c - SASL messages against the RFC test vectors: RFC 4648
 * base64, RFC 4616 PLAIN, RFC 2195 CRAM-MD5, RFC 7677 SCRAM-SHA-256
 * (and forged or malformed server messages), RFC 7628 OAUTHBEARER,
 * Google's XOAUTH2 example.
 */
#include <string.h>
#include <sysexits.h>

#include "unit.h"
#include "base64.h"
#include "sasl.h"

/* RFC 4648 §10. */
static const struct {
	const char	*raw, *b64;
} b64_cases[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_b64)
{
	char enc[64];
	unsigned char dec[64];
	size_t n;

	ck_assert_int_eq(base64_encode(b64_cases[_i].raw,
	    strlen(b64_cases[_i].raw), enc, sizeof(enc), &n), 0);
	ck_assert_str_eq(enc, b64_cases[_i].b64);
	ck_assert_uint_eq(n, strlen(b64_cases[_i].b64));
	ck_assert_int_eq(base64_decode(b64_cases[_i].b64,
	    strlen(b64_cases[_i].b64), dec, sizeof(dec), &n), 0);
	ck_assert_uint_eq(n, strlen(b64_cases[_i].raw));
	ck_assert(memcmp(dec, b64_cases[_i].raw, n) == 0);
}
END_TEST

static const char *const b64_bad[] = {
	"Zm9", "Zm=v", "Z!==", "Zg==Zg==", "=Zg=", "Zm9v\r\n", "Zg= ",
};

START_TEST(test_b64_bad)
{
	unsigned char dec[64];
	size_t n;

	ck_assert_int_eq(base64_decode(b64_bad[_i], strlen(b64_bad[_i]),
	    dec, sizeof(dec), &n), -1);
}
END_TEST

START_TEST(test_b64_caps)
{
	char enc[9];
	unsigned char dec[5];
	size_t n;

	/* "foobar" needs 8 + NUL; one less must fail, not truncate. */
	ck_assert_int_eq(base64_encode("foobar", 6, enc, 9, &n), 0);
	ck_assert_int_eq(base64_encode("foobar", 6, enc, 8, &n), -1);
	ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, dec, 5, &n), -1);
}
END_TEST

START_TEST(test_plain)
{
	char raw[64], enc[64];
	size_t n, m;

	ck_assert_int_eq(sasl_plain("tim", "tanstaaftanstaaf", raw,
	    sizeof(raw), &n), 0);
	ck_assert_uint_eq(n, 21);
	ck_assert(memcmp(raw, "\0tim\0tanstaaftanstaaf", 21) == 0);
	base64_encode(raw, n, enc, sizeof(enc), &m);
	ck_assert_str_eq(enc, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	ck_assert_int_eq(sasl_plain("tim", "tanstaaftanstaaf", raw, 21,
	    &n), -1);
}
END_TEST

/* RFC 2195 §2 example. */
START_TEST(test_cram_md5)
{
	static const char chal[] =
	    "<1896.697170952@postoffice.reston.mci.net>";
	char out[128], enc[128];
	size_t n, m;

	ck_assert_int_eq(sasl_cram_md5("tim", "tanstaaftanstaaf", 16,
	    (const unsigned char *)chal, strlen(chal), out, sizeof(out), &n),
	    0);
	ck_assert_str_eq(out, "tim b913a602c7eda7a495b4e6e7334d3890");
	base64_encode(out, n, enc, sizeof(enc), &m);
	ck_assert_str_eq(enc, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
}
END_TEST

/* Google's XOAUTH2 protocol page example. */
START_TEST(test_xoauth2)
{
	char raw[256], enc[256];
	size_t n, m;

	ck_assert_int_eq(sasl_xoauth2("someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", raw, sizeof(raw),
	    &n), 0);
	base64_encode(raw, n, enc, sizeof(enc), &m);
	ck_assert_str_eq(enc, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJl"
	    "YXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0"
	    "Q2cBAQ==");
}
END_TEST

/* RFC 7628 §4.1 example. */
START_TEST(test_oauthbearer)
{
	static const char want[] = "n,a=user@example.com,\001host=server."
	    "example.com\001port=143\001auth=Bearer vF9dft4qmTc2Nvb3Rlck"
	    "BhdHRhdmlzdGEuY29tCg==\001\001";
	char raw[256];
	size_t n;

	ck_assert_int_eq(sasl_oauthbearer("user@example.com",
	    "server.example.com", 143,
	    "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==", raw, sizeof(raw),
	    &n), 0);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_str_eq(raw, want);
}
END_TEST

/* RFC 7677 §3 example: user "user", password "pencil". */
START_TEST(test_scram_sha256)
{
	static const char sfirst[] = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCA"
	    "fuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
	static const char cfinal[] = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWU"
	    "a2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7"
	    "AndVQ=";
	static const char sfinal[] =
	    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	static const char forged[] =
	    "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	struct sasl_scram st;
	char out[512];
	size_t n;
	struct err e;

	ck_assert_int_eq(sasl_scram_first(&st, "user", "rOprNGfwEbeRWgbNEkqO",
	    out, sizeof(out), &n, &e), 0);
	ck_assert_str_eq(out, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
	ck_assert_int_eq(sasl_scram_final(&st, "pencil", 6, sfirst,
	    strlen(sfirst), out, sizeof(out), &n, &e), 0);
	ck_assert_str_eq(out, cfinal);
	ck_assert_int_eq(sasl_scram_verify(&st, sfinal, strlen(sfinal), &e),
	    0);
	ck_assert_int_eq(sasl_scram_verify(&st, forged, strlen(forged), &e),
	    -1);
	ck_assert_int_eq(e.code, EX_PROTOCOL);
	ck_assert_int_eq(sasl_scram_verify(&st, "e=invalid-proof", 15, &e),
	    -1);
	ck_assert_int_eq(e.code, EX_NOPERM);
}
END_TEST

/* A server nonce that does not extend ours, or a silly iteration count,
 * is refused before any work. */
static const char *const scram_bad_first[] = {
	"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	"r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
	"r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999",
	"r=abcXYZ,s=!!!!,i=4096",
	"r=abcXYZ,i=4096",
	"m=ext,r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
};

START_TEST(test_scram_bad)
{
	struct sasl_scram st;
	char out[512];
	size_t n;
	struct err e;

	ck_assert_int_eq(sasl_scram_first(&st, "u", "abc", out, sizeof(out),
	    &n, &e), 0);
	ck_assert_int_eq(sasl_scram_final(&st, "p", 1, scram_bad_first[_i],
	    strlen(scram_bad_first[_i]), out, sizeof(out), &n, &e), -1);
	ck_assert_int_eq(e.code, EX_PROTOCOL);
}
END_TEST

START_TEST(test_scram_saslname)
{
	struct sasl_scram st;
	char out[512];
	size_t n;
	struct err e;

	ck_assert_int_eq(sasl_scram_first(&st, "a,b=c", "N", out,
	    sizeof(out), &n, &e), 0);
	ck_assert_str_eq(out, "n,,n=a=2Cb=3Dc,r=N");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc = tcase_create("vectors");

	tcase_add_loop_test(tc, test_b64, 0, NELEM(b64_cases));
	tcase_add_loop_test(tc, test_b64_bad, 0, NELEM(b64_bad));
	tcase_add_test(tc, test_b64_caps);
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_cram_md5);
	tcase_add_test(tc, test_xoauth2);
	tcase_add_test(tc, test_oauthbearer);
	tcase_add_test(tc, test_scram_sha256);
	tcase_add_loop_test(tc, test_scram_bad, 0, NELEM(scram_bad_first));
	tcase_add_test(tc, test_scram_saslname);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
