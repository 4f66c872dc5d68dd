/*
 * test_tls_cache.c - the TLS session cache (RFC 8446 §4.6.1): where a
 * session is kept, that it comes back only for the same account, host,
 * port and name and before it expires (at most 7 days), with the
 * binding of its verified chain as stored, that damaged files (and
 * files of the older format) are ignored, and the file and directory
 * modes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "tls_cache.h"

static char dir[] = "/tmp/test_tls_cache.XXXXXX";
static struct tls_params ta;
static char qdir[256];
static unsigned char sess[] = "\x01\x02session bytes\x00\xff and more";
static const gnutls_datum_t sdat = { sess, sizeof(sess) };
static struct tls_cache_bind bd = { .nb = 1700000000, .na = 1800000000,
    .set = 1 };
static const struct tls_cache_bind none;

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&ta, 0, sizeof(ta));
	ta.cache_key = "work";
	ta.session_cache = 1;
	snprintf(qdir, sizeof(qdir), "%s/queue", dir);
	ta.state_dir = qdir;
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
teardown(void)
{
	ta.state_dir = NULL;
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	snprintf(dir, sizeof(dir), "/tmp/test_tls_cache.XXXXXX");
}

static int
load(const struct tls_cache *tc)
{
	struct tls_cache_bind b;
	gnutls_datum_t d;
	int same;

	if (tls_cache_load(tc, &d, &b) == -1)
		return 0;
	same = d.size == sdat.size && memcmp(d.data, sdat.data, d.size) == 0 &&
	    b.set == bd.set && (!b.set || (b.nb == bd.nb && b.na == bd.na &&
	    memcmp(b.digest, bd.digest, sizeof(b.digest)) == 0));
	tls_cache_free(&d);
	return same ? 1 : -1;
}

START_TEST(test_roundtrip_and_modes)
{
	struct tls_cache tc;
	struct stat st;
	char d[300];

	tls_cache_init(&tc, &ta, "smtp.example.com", 465, "smtp.example.com");
	ck_assert_str_ne(tc.path, "");
	ck_assert_int_eq(load(&tc), 0);		/* nothing yet */
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &bd);
	ck_assert_int_eq(load(&tc), 1);
	ck_assert_int_eq(stat(tc.path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	snprintf(d, sizeof(d), "%s/queue/tls", dir);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	tls_cache_drop(&tc);
	ck_assert_int_eq(load(&tc), 0);
}
END_TEST

/* Each of these differs from the stored session's key in one part. */
static const struct {
	const char	*name, *host, *sni;
	int		 port;
} others[] = {
	{ "other", "smtp.example.com", "smtp.example.com", 465 },
	{ "work", "smtp2.example.com", "smtp.example.com", 465 },
	{ "work", "smtp.example.com", "smtp.example.com", 587 },
	{ "work", "smtp.example.com", "mail.example.com", 465 },
};

START_TEST(test_only_same_key)
{
	struct tls_cache tc, o;
	struct tls_params a = ta;

	tls_cache_init(&tc, &ta, "smtp.example.com", 465, "smtp.example.com");
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &bd);
	a.cache_key = others[_i].name;
	tls_cache_init(&o, &a, others[_i].host, others[_i].port,
	    others[_i].sni);
	ck_assert_str_ne(o.path, tc.path);
	ck_assert_int_eq(load(&o), 0);
	/* a file copied over from another key is refused too */
	ck_assert_int_eq(rename(tc.path, o.path), 0);
	ck_assert_int_eq(load(&o), 0);
}
END_TEST

START_TEST(test_expiry)
{
	struct tls_cache tc;
	FILE *f;
	char *buf;
	long len;

	tls_cache_init(&tc, &ta, "h.example", 465, "h.example");
	tls_cache_store(&tc, &sdat, time(NULL) - 1, &bd);
	ck_assert_int_eq(load(&tc), 0);
	/* a lifetime above 7 days is cut to 7 days (RFC 8446 §4.6.1) */
	tls_cache_store(&tc, &sdat, time(NULL) + 30 * 86400, &bd);
	ck_assert_int_eq(load(&tc), 1);
	ck_assert_ptr_nonnull(f = fopen(tc.path, "r"));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(buf = calloc(1, (size_t)len + 1));
	ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	{
		char *p = strstr(buf, "expires ");
		long long t;

		ck_assert_ptr_nonnull(p);
		t = strtoll(p + 8, NULL, 10);
		ck_assert(t <= (long long)time(NULL) + 7 * 86400);
	}
	free(buf);
}
END_TEST

START_TEST(test_damaged)
{
	struct tls_cache tc;

	tls_cache_init(&tc, &ta, "h.example", 465, "h.example");
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &bd);
	ck_assert_int_eq(truncate(tc.path, 40), 0);
	ck_assert_int_eq(load(&tc), 0);
	unit_write_file(tc.path, "garbage\n\nxx", 0600);
	ck_assert_int_eq(load(&tc), 0);
}
END_TEST

/* Read the header of the cache file into text[cap]; the offset of what
 * at is returned, -1 when missing. */
static long
find_in(const char *path, const char *what, char *text, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;
	char *p;

	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, cap - 1, f);
	fclose(f);
	text[n] = '\0';	/* the header has no NUL: strstr stays in it */
	p = strstr(text, what);
	return p == NULL ? -1 : (long)(p - text);
}

/* Overwrite one octet of the file, in place. */
static void
poke(const char *path, long off, char c)
{
	FILE *f = fopen(path, "r+");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
	ck_assert_int_ne(fputc(c, f), EOF);
	ck_assert_int_eq(fclose(f), 0);
}

/* The binding comes back as stored, or "none"; a damaged verified line
 * or a file of the first format is not used. */
START_TEST(test_binding)
{
	struct tls_cache tc;
	char text[512];
	long at;
	unsigned i;

	for (i = 0; i < sizeof(bd.digest); i++)
		bd.digest[i] = (unsigned char)(i * 37 + 5);
	tls_cache_init(&tc, &ta, "h.example", 465, "h.example");
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &bd);
	ck_assert_int_eq(load(&tc), 1);
	at = find_in(tc.path, "\nverified 052a", text, sizeof(text));
	ck_assert_int_ge(at, 0);
	ck_assert_ptr_nonnull(strstr(text + at,
	    " 1700000000 1800000000\nlength "));
	/* one hex digit changed: the binding read differs */
	poke(tc.path, at + 11, '6');
	ck_assert_int_eq(load(&tc), -1);
	/* not hex: not used */
	poke(tc.path, at + 11, 'g');
	ck_assert_int_eq(load(&tc), 0);
	/* a window that ends before it starts: not used */
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &bd);
	at = find_in(tc.path, " 1800000000\n", text, sizeof(text));
	ck_assert_int_ge(at, 0);
	poke(tc.path, at + 1, '0');
	ck_assert_int_eq(load(&tc), 0);
	/* the first format had no verified line */
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &bd);
	at = find_in(tc.path, "session 2\n", text, sizeof(text));
	ck_assert_int_ge(at, 0);
	poke(tc.path, at + 8, '1');
	ck_assert_int_eq(load(&tc), 0);
	/* no binding (tls_verify = no) */
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &none);
	ck_assert_int_ge(find_in(tc.path, "\nverified -\n", text,
	    sizeof(text)), 0);
	memset(&bd, 0, sizeof(bd));
	ck_assert_int_eq(load(&tc), 1);
	bd.nb = 1700000000;
	bd.na = 1800000000;
	bd.set = 1;
}
END_TEST

START_TEST(test_disabled_or_no_dir)
{
	struct tls_cache tc;
	const char *q = ta.state_dir;

	ta.session_cache = 0;
	tls_cache_init(&tc, &ta, "h.example", 465, "h.example");
	ck_assert_str_eq(tc.path, "");
	ta.session_cache = 1;
	/* no usable state directory: no cache, and nothing is created
	 * at the top of the file system */
	ta.state_dir = "/nonexistent-relaymail-test/q";
	tls_cache_init(&tc, &ta, "h.example", 465, "h.example");
	ck_assert_str_eq(tc.path, "");
	ck_assert_int_ne(access("/nonexistent-relaymail-test", F_OK), 0);
	tls_cache_store(&tc, &sdat, time(NULL) + 3600, &bd);	/* no-op */
	ta.state_dir = q;
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tls_cache");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip_and_modes);
	tcase_add_loop_test(tc, test_only_same_key, 0, NELEM(others));
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_damaged);
	tcase_add_test(tc, test_binding);
	tcase_add_test(tc, test_disabled_or_no_dir);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
