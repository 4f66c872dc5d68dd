/*
 * test_alias.c - the aliases file: parsing, recursive expansion, loops,
 * depth, catch-all and the maildomain rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias.h"
#include "unit.h"

static const char main_file[] =
	"# comment\n"
	"\n"
	"root: admin@example.com\n"
	"postmaster: root\n"
	"Abuse:\tpostmaster, extra@x\n"
	"ops: alice@example.com,\n"
	"\tBob <bob@example.com>\n"
	"  # a comment inside is fine\n"
	"self: self, other@x\n"
	"esc: \\esc, z@x\n"
	"a1: a2\n"
	"a2: a3\n"
	"a3: a1\n"
	"pipe: |/usr/bin/procmail\n"
	"*: catch@example.com\n";

/* Write text to a new temporary file; the caller unlinks and frees. */
static char *
put(const char *text)
{
	char *path = strdup("/tmp/test_alias.XXXXXX");

	ck_assert_ptr_nonnull(path);
	unit_tmpfile(path, text);
	return path;
}

/* "d0: d1\n" ... "d(n-1): final@x\n": a chain n aliases deep. */
static char *
chain(int n)
{
	char *s = malloc(64 * (size_t)(n + 1));
	size_t o = 0;
	int i;

	for (i = 0; i < n - 1; i++)
		o += (size_t)snprintf(s + o, 64, "d%d: d%d\n", i, i + 1);
	snprintf(s + o, 64, "d%d: final@x\n", n - 1);
	return s;
}

static void
join(const struct addr_list *l, char *out, size_t outlen)
{
	size_t k;

	out[0] = '\0';
	for (k = 0; k < l->n; k++) {
		if (k > 0)
			strncat(out, "|", outlen - strlen(out) - 1);
		strncat(out, l->v[k], outlen - strlen(out) - 1);
	}
}

/* file (NULL: main_file), address, maildomain -> result or error. */
static const struct {
	const char	*file;
	const char	*addr, *md;
	const char	*want;		/* joined expansion */
	int		 code;		/* expected error, 0 for none */
	const char	*errpart;
} tab[] = {
	{ NULL, "root", NULL, "admin@example.com", 0, NULL },
	{ NULL, "ROOT", NULL, "admin@example.com", 0, NULL },
	{ NULL, "postmaster", NULL, "admin@example.com", 0, NULL },
	{ NULL, "abuse", NULL, "admin@example.com|extra@x", 0, NULL },
	{ NULL, "ops", NULL, "alice@example.com|bob@example.com", 0, NULL },
	{ NULL, "root@host.example", "host.example", "admin@example.com", 0,
	  NULL },
	{ NULL, "root@HOST.example", "host.example", "admin@example.com", 0,
	  NULL },
	{ NULL, "root@other.example", "host.example", "root@other.example",
	  0, NULL },
	{ NULL, "root@host.example", NULL, "root@host.example", 0, NULL },
	{ NULL, "self", NULL, "self|other@x", 0, NULL },
	{ NULL, "esc", NULL, "esc|z@x", 0, NULL },
	/* catch-all: bare names only */
	{ NULL, "nobody", NULL, "catch@example.com", 0, NULL },
	{ NULL, "nobody@x", NULL, "nobody@x", 0, NULL },
	{ NULL, "nobody@host.example", "host.example", "nobody@host.example",
	  0, NULL },
	{ NULL, "a1", NULL, NULL, EX_CONFIG, ":11: alias loop: a1 -> a2 -> "
	  "a3 -> a1" },
	{ NULL, "pipe", NULL, NULL, EX_CONFIG, ":14: alias pipe: pipes" },
	/* what the catch-all yields may be an alias, but is not caught */
	{ "*: staff\nstaff: s1@x, s2@x\n", "zzz", NULL, "s1@x|s2@x", 0, NULL },
	{ "*: other\n", "zzz", NULL, "other", 0, NULL },
	{ "x: y\n", "zzz", NULL, "zzz", 0, NULL },
	{ "x: \"q, r\"@y, t@u\n", "X", NULL, "\"q, r\"@y|t@u", 0, NULL },
	{ "x: y\r\ny: z@w\r\n", "x", NULL, "z@w", 0, NULL },
};

START_TEST(test_expand)
{
	struct aliases a;
	struct addr_list out;
	struct err e;
	char got[1024], *path;
	int r;

	path = put(tab[_i].file ? tab[_i].file : main_file);
	addr_list_init(&out);
	err_clear(&e);
	ck_assert_msg(alias_load(&a, path, &e) == 0, "%s", e.msg);
	r = alias_expand(&a, tab[_i].addr, tab[_i].md, &out, &e);
	if (tab[_i].code == 0) {
		ck_assert_msg(r == 0, "%s", e.msg);
		join(&out, got, sizeof(got));
		ck_assert_str_eq(got, tab[_i].want);
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(e.code, tab[_i].code);
		ck_assert_msg(strstr(e.msg, tab[_i].errpart) != NULL &&
		    strstr(e.msg, path) != NULL, "%s", e.msg);
	}
	addr_list_free(&out);
	alias_free(&a);
	unlink(path);
	free(path);
}
END_TEST

/* BOUNDS_ALIAS_DEPTH aliases deep works, one more is an error. */
static const struct {
	int depth, ok;
} depth_tab[] = {
	{ 2, 1 },
	{ BOUNDS_ALIAS_DEPTH, 1 },
	{ BOUNDS_ALIAS_DEPTH + 1, 0 },
	{ BOUNDS_ALIAS_DEPTH * 3, 0 },
};

START_TEST(test_depth)
{
	char *text = chain(depth_tab[_i].depth), *path = put(text);
	struct addr_list out;
	struct aliases a;
	struct err e;

	addr_list_init(&out);
	ck_assert_int_eq(alias_load(&a, path, &e), 0);
	if (depth_tab[_i].ok) {
		ck_assert_int_eq(alias_expand(&a, "d0", NULL, &out, &e), 0);
		ck_assert_uint_eq(out.n, 1);
		ck_assert_str_eq(out.v[0], "final@x");
	} else {
		ck_assert_int_eq(alias_expand(&a, "d0", NULL, &out, &e), -1);
		ck_assert_int_eq(e.code, EX_CONFIG);
		ck_assert_ptr_nonnull(strstr(e.msg, "deeper"));
	}
	addr_list_free(&out);
	alias_free(&a);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

/* Fan-out: "b" lists "a" fan times, "a" lists leaf fan times; the
 * expansion of b is fan * fan addresses, over BOUNDS_RCPTS an error.
 * Regression (fuzz_alias): "\x" targets bypassed the cap, so a few
 * lines could expand to millions of recipients. */
static const struct {
	const char	*leaf;
	int		 fan;
	size_t		 n;		/* 0: EX_DATAERR */
} fan_tab[] = {
	{ "x@y", 10, 100 },
	{ "\\x", 10, 100 },
	{ "x@y", 40, 0 },
	{ "\\x", 40, 0 },
};

START_TEST(test_fanout)
{
	char text[2048], *path;
	size_t o = 0;
	struct addr_list out;
	struct aliases a;
	struct err e;
	int k;

	o += (size_t)snprintf(text + o, sizeof(text) - o, "a: ");
	for (k = 0; k < fan_tab[_i].fan; k++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s",
		    k ? ", " : "", fan_tab[_i].leaf);
	o += (size_t)snprintf(text + o, sizeof(text) - o, "\nb: ");
	for (k = 0; k < fan_tab[_i].fan; k++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%sa",
		    k ? ", " : "");
	ck_assert_uint_lt(o, sizeof(text) - 2);
	text[o++] = '\n';
	text[o] = '\0';
	path = put(text);
	addr_list_init(&out);
	ck_assert_int_eq(alias_load(&a, path, &e), 0);
	if (fan_tab[_i].n > 0) {
		ck_assert_int_eq(alias_expand(&a, "b", NULL, &out, &e), 0);
		ck_assert_uint_eq(out.n, fan_tab[_i].n);
		ck_assert_str_eq(out.v[0], fan_tab[_i].leaf[0] == '\\' ?
		    fan_tab[_i].leaf + 1 : fan_tab[_i].leaf);
	} else {
		ck_assert_int_eq(alias_expand(&a, "b", NULL, &out, &e), -1);
		ck_assert_int_eq(e.code, EX_DATAERR);
		ck_assert_uint_le(out.n, BOUNDS_RCPTS);
	}
	addr_list_free(&out);
	alias_free(&a);
	unlink(path);
	free(path);
}
END_TEST

/* Malformed files: EX_CONFIG naming the file and line. */
static const struct {
	const char *file, *errpart;
} bad_tab[] = {
	{ "no colon here\n", ":1: expected" },
	{ "  cont: x\n", ":1: continuation" },
	{ "a b: x\n", ":1: alias name" },
	{ "# c\n\nok: x@y\nbad:\n", ":4: alias bad has no address" },
	{ "a: <x\n", ":1: alias a: " },
	{ "ok: x@y\nb: John Smith\n", ":2: alias b: " },
	{ ": x\n", ":1: empty alias name" },
};

START_TEST(test_bad_file)
{
	char *path = put(bad_tab[_i].file);
	struct aliases a;
	struct err e;

	ck_assert_int_eq(alias_load(&a, path, &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
	ck_assert_msg(strstr(e.msg, bad_tab[_i].errpart) != NULL &&
	    strncmp(e.msg, path, strlen(path)) == 0, "%s", e.msg);
	alias_free(&a);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_unreadable)
{
	struct aliases a;
	struct err e;

	ck_assert_int_eq(alias_load(&a, "/nonexistent/aliases", &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/aliases"));
	alias_free(&a);
}
END_TEST

/* The shipped example file loads and means what it says. */
START_TEST(test_example_file)
{
	struct addr_list out;
	struct aliases a;
	struct err e;
	char got[512];

	addr_list_init(&out);
	ck_assert_msg(alias_load(&a, "conf/aliases.example", &e) == 0, "%s",
	    e.msg);
	ck_assert_int_eq(alias_expand(&a, "mailer-daemon", NULL, &out, &e), 0);
	ck_assert_int_eq(alias_expand(&a, "ops", NULL, &out, &e), 0);
	ck_assert_int_eq(alias_expand(&a, "cronuser", NULL, &out, &e), 0);
	join(&out, got, sizeof(got));
	ck_assert_str_eq(got, "admin@example.com|alice@example.com|"
	    "bob@example.com|admin@example.com");
	addr_list_free(&out);
	alias_free(&a);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("alias");
	TCase *tc = tcase_create("alias");

	tcase_add_loop_test(tc, test_expand, 0, NELEM(tab));
	tcase_add_loop_test(tc, test_depth, 0, NELEM(depth_tab));
	tcase_add_loop_test(tc, test_fanout, 0, NELEM(fan_tab));
	tcase_add_loop_test(tc, test_bad_file, 0, NELEM(bad_tab));
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_example_file);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
