/*
 * test_oauth.c - the OAuth2 pieces that need no network: form encoding
 * (RFC 6749 appendix B), the token file (round trip, the rotation that
 * keeps the old file until the new one is complete, permission and
 * damage checks, the lock), and the endpoint defaults of the providers.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>

#include "unit.h"
#include "oauth.h"
#include "oauth_http.h"
#include "oauth_store.h"

static const struct form_case {
	const char	*name, *value, *want;
} form_cases[] = {
	{ "grant_type", "refresh_token", "grant_type=refresh_token" },
	{ "scope", "https://mail.google.com/ offline_access",
	    "scope=https%3A%2F%2Fmail.google.com%2F%20offline_access" },
	{ "client_secret", "a&b=c+d%~", "client_secret=a%26b%3Dc%2Bd%25~" },
	{ "x", "\xc3\xa9", "x=%C3%A9" },
};

START_TEST(test_form)
{
	const struct form_case *t = &form_cases[_i];
	char	 form[256] = "";
	size_t	 len = 0;

	ck_assert_int_eq(oauth_http_form(form, sizeof(form), &len, t->name,
	    t->value), 0);
	ck_assert_str_eq(form, t->want);
	ck_assert_uint_eq(len, strlen(t->want));
	ck_assert_int_eq(oauth_http_form(form, sizeof(form), &len, "k", "v"),
	    0);
	ck_assert(len > 4 && strcmp(form + len - 4, "&k=v") == 0);
}
END_TEST

START_TEST(test_form_bounds)
{
	char	 form[16] = "";
	size_t	 len = 0;

	ck_assert_int_eq(oauth_http_form(form, sizeof(form), &len, "name",
	    "0123456789"), -1);
	ck_assert_int_eq(oauth_http_escape("////", form, 12), -1);
	ck_assert_int_eq(oauth_http_escape("///", form, 13), 0);
	ck_assert_str_eq(form, "%2F%2F%2F");
}
END_TEST

static char	 dir[64];
static char	 path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/relaymail-oauth-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* The parent of the token file does not exist yet: made 0700. */
	snprintf(path, sizeof(path), "%s/q/oauth/acct", dir);
}

static void
teardown(void)
{
	unit_rmtree(dir);
}

static void
tokens(struct oauth_tokens *t, const char *at, const char *rt, long long x)
{
	struct err	 e;

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(secret_set(&t->access, at, strlen(at), &e), 0);
	if (rt != NULL)
		ck_assert_int_eq(secret_set(&t->refresh, rt, strlen(rt), &e),
		    0);
	t->expires_at = x;
	snprintf(t->scope, sizeof(t->scope), "https://mail.example/ offline");
}

START_TEST(test_store_round_trip)
{
	struct oauth_file	 f = { path, "acct", 0 };
	struct oauth_tokens	 w, r;
	struct stat		 st;
	struct err		 e;
	int			 fd;

	ck_assert_int_eq(oauth_store_read(&f, &r, &e), -1);
	ck_assert_int_eq(e.code, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "relaymail --authorize acct"));
	ck_assert_int_eq(oauth_store_lock(&f, 5, &fd, &e), 0);
	tokens(&w, "at-1 with space", "rt-1", 1700000000LL);
	ck_assert_int_eq(oauth_store_write(&f, &w, &e), 0);
	ck_assert_int_eq(oauth_store_read(&f, &r, &e), 0);
	ck_assert_str_eq(r.access.buf, "at-1 with space");
	ck_assert_str_eq(r.refresh.buf, "rt-1");
	ck_assert_str_eq(r.scope, "https://mail.example/ offline");
	ck_assert(r.expires_at == 1700000000LL);
	oauth_tokens_wipe(&r);
	oauth_tokens_wipe(&w);
	/* No refresh token: stored as "-", read back as none. */
	tokens(&w, "at-2", NULL, 0);
	ck_assert_int_eq(oauth_store_write(&f, &w, &e), 0);
	ck_assert_int_eq(oauth_store_read(&f, &r, &e), 0);
	ck_assert_ptr_null(r.refresh.buf);
	oauth_tokens_wipe(&r);
	oauth_tokens_wipe(&w);
	oauth_store_unlock(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	snprintf(w.scope, sizeof(w.scope), "%s.new", path);
	ck_assert_int_eq(access(w.scope, F_OK), -1);
}
END_TEST

START_TEST(test_store_checks)
{
	struct oauth_file	 f = { path, "acct", 0 };
	struct oauth_tokens	 w, r;
	struct err		 e;
	int			 fd, exists;

	ck_assert_int_eq(oauth_store_check(&f, &exists, &e), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(oauth_store_lock(&f, 5, &fd, &e), 0);
	tokens(&w, "at", "rt", 0);
	ck_assert_int_eq(oauth_store_write(&f, &w, &e), 0);
	oauth_tokens_wipe(&w);
	oauth_store_unlock(fd);
	ck_assert_int_eq(oauth_store_check(&f, &exists, &e), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(oauth_store_check(&f, &exists, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "mode 0640"));
	ck_assert_int_eq(oauth_store_read(&f, &r, &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
	/* A damaged file is reported, never half used. */
	unit_write_file(path, "relaymail-oauth 1\nexpires_at 12\nscope \n"
	    "access_token at\n", 0600);
	ck_assert_int_eq(oauth_store_read(&f, &r, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "damaged"));
	ck_assert_ptr_null(r.access.buf);
}
END_TEST

/* A second holder waits for the lock, then times out (75). */
START_TEST(test_store_lock)
{
	struct oauth_file	 f = { path, "acct", 0 };
	struct err		 e;
	char			 lp[160];
	int			 fd, fd2;

	ck_assert_int_eq(oauth_store_lock(&f, 5, &fd, &e), 0);
	snprintf(lp, sizeof(lp), "%s.lock", path);
	ck_assert_int_ne(fd2 = open(lp, O_RDWR), -1);
	ck_assert_int_eq(flock(fd2, LOCK_EX | LOCK_NB), -1);
	close(fd2);
	ck_assert_int_eq(oauth_store_lock(&f, 0, &fd2, &e), -1);
	ck_assert_int_eq(e.code, EX_TEMPFAIL);
	oauth_store_unlock(fd);
	ck_assert_int_eq(oauth_store_lock(&f, 0, &fd2, &e), 0);
	oauth_store_unlock(fd2);
}
END_TEST

static const struct ep_case {
	enum oauth_provider	 p;
	const char		*tenant, *token, *device, *scope;
} ep_cases[] = {
	{ OAUTH_MICROSOFT, NULL,
	    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	    "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	    "https://outlook.office.com/SMTP.Send offline_access" },
	{ OAUTH_MICROSOFT, "contoso.example",
	    "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/"
	    "token", "https://login.microsoftonline.com/contoso.example/"
	    "oauth2/v2.0/devicecode",
	    "https://outlook.office.com/SMTP.Send offline_access" },
	{ OAUTH_GOOGLE, NULL, "https://oauth2.googleapis.com/token", "",
	    "https://mail.google.com/" },
};

START_TEST(test_endpoints)
{
	const struct ep_case	*t = &ep_cases[_i];
	struct oauth_endpoints	 ep;
	struct account		 a;
	struct err		 e;

	conf_account_init(&a);
	a.oauth_provider = t->p;
	a.oauth_tenant = (char *)(uintptr_t)t->tenant;
	ck_assert_int_eq(oauth_endpoints(&a, &ep, &e), 0);
	ck_assert_str_eq(ep.token, t->token);
	ck_assert_str_eq(ep.device, t->device);
	ck_assert_str_eq(ep.scope, t->scope);
	a.oauth_provider = OAUTH_CUSTOM;
	a.oauth_tenant = NULL;
	ck_assert_int_eq(oauth_endpoints(&a, &ep, &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("oauth");
	TCase	*tc = tcase_create("oauth");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_form, 0, (int)NELEM(form_cases));
	tcase_add_test(tc, test_form_bounds);
	tcase_add_test(tc, test_store_round_trip);
	tcase_add_test(tc, test_store_checks);
	tcase_add_test(tc, test_store_lock);
	tcase_add_loop_test(tc, test_endpoints, 0, (int)NELEM(ep_cases));
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
