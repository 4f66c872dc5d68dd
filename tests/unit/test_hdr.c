/*
 * test_hdr.c - header helpers and the rewriting of relaymail(8):
 * input headers + options -> the exact header section that leaves.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hdr.h"
#include "unit.h"

/* 2023-11-14 22:13:20 UTC, a Tuesday. */
#define NOW	((time_t)1700000000)

/* Parse a small message (fits a pipe buffer) with msg_read. */
static void
load(struct msg *m, const char *text)
{
	struct err e;
	int fd = unit_pipe(text, strlen(text));

	msg_init(m);
	ck_assert_msg(msg_read(m, fd, 0, &e) == 0, "%s", e.msg);
	close(fd);
}

/* The header section as it is emitted, in a static buffer. */
static const char *
headers(const struct msg *m)
{
	static char buf[8192];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < m->hdrs.n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s:%s\r\n",
		    m->hdrs.v[i].name, m->hdrs.v[i].value);
	return buf;
}

#define DM "Date: d\nMessage-ID: <m@x>\n"
#define DMC "Date: d\r\nMessage-ID: <m@x>\r\n"

static const struct {
	const char	*in;
	const char	*sender, *fullname, *user, *maildomain, *force;
	const char	*want;
} tab[] = {
	/* qualification keeps names and comments */
	{ "From: root (Cron Daemon)\nTo: root\nSubject: root\n" DM "\nb\n",
	  "root@host.example", NULL, "root", "host.example", NULL,
	  "From: root@host.example (Cron Daemon)\r\nTo: root@host.example\r\n"
	  "Subject: root\r\n" DMC },
	{ "From: Root <root>\nCc: a@x,\n bob\nReply-To: staff: ann;\n"
	  "Sender: s\nX-To: root\n" DM "\n",
	  "root", NULL, "root", "h.example", NULL,
	  "From: Root <root@h.example>\r\nCc: a@x,\r\n bob@h.example\r\n"
	  "Reply-To: staff: ann@h.example;\r\nSender: s@h.example\r\n"
	  "X-To: root\r\n" DMC },
	{ "Resent-From: r\nResent-To: t, u@x\nResent-Cc: c\n"
	  "Resent-Sender: s\nFrom: f@x\n" DM "\n",
	  "f@x", NULL, "f", "h.example", NULL,
	  "Resent-From: r@h.example\r\nResent-To: t@h.example, u@x\r\n"
	  "Resent-Cc: c@h.example\r\nResent-Sender: s@h.example\r\n"
	  "From: f@x\r\n" DMC },
	/* no maildomain: nothing is qualified */
	{ "From: root\nTo: root\n" DM "\n", "root", NULL, "root", NULL, NULL,
	  "From: root\r\nTo: root\r\n" DMC },
	/* Bcc, Resent-Bcc and Return-Path leave */
	{ "Return-Path: <x@y>\nFrom: a@x\nBcc: secret@x\nTo: b@x\n"
	  "Resent-Bcc: s2@x\nbcc: s3@x\n" DM "\n",
	  "a@x", NULL, "a", "h.example", NULL,
	  "From: a@x\r\nTo: b@x\r\n" DMC },
	/* force_from: old From to Reply-To when there is none */
	{ "From: Old <old@x>\nTo: b@x\n" DM "\n",
	  "acct@ex.example", NULL, "u", "h.example", "acct@ex.example",
	  "From: acct@ex.example\r\nReply-To: Old <old@x>\r\nTo: b@x\r\n"
	  DMC },
	{ "From: old\nReply-To: keep@x\nFrom: second@x\n" DM "\n",
	  "acct@ex.example", NULL, "u", "h.example", "acct@ex.example",
	  "From: acct@ex.example\r\nReply-To: keep@x\r\n" DMC },
	{ "From: old\n" DM "\n",
	  "acct@ex.example", NULL, "u", "h.example", "acct@ex.example",
	  "From: acct@ex.example\r\nReply-To: old@h.example\r\n" DMC },
	/* From added when missing */
	{ "To: b@x\n" DM "\n", "alice@x", "Alice Doe", "alice", "h", NULL,
	  "To: b@x\r\n" DMC "From: Alice Doe <alice@x>\r\n" },
	{ DM "\n", "alice@x", NULL, "alice", "h", NULL,
	  DMC "From: alice@x\r\n" },
	{ DM "\n", "", NULL, "bob", "h.example", NULL,
	  DMC "From: bob@h.example\r\n" },
	{ DM "\n", "", "CronDaemon", "root", NULL, NULL,
	  DMC "From: CronDaemon <root>\r\n" },
	{ DM "\n", "a@x", "Doe, John \"JD\"", "a", NULL, NULL,
	  DMC "From: \"Doe, John \\\"JD\\\"\" <a@x>\r\n" },
	{ DM "\n", "a@x", "J\xc3\xa9r\xc3\xb4me", "a", NULL, NULL,
	  DMC "From: =?UTF-8?B?SsOpcsO0bWU=?= <a@x>\r\n" },
	{ DM "\n", "x@y", "Acct", "a", NULL, "acct@ex.example",
	  DMC "From: Acct <acct@ex.example>\r\n" },
	/* Date added: TZ is UTC in this suite */
	{ "From: a@x\nMessage-ID: <m@x>\n\n", "a@x", NULL, "a", NULL, NULL,
	  "From: a@x\r\nMessage-ID: <m@x>\r\n"
	  "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n" },
};

START_TEST(test_prepare)
{
	struct hdr_opts o = { 0 };
	struct msg m;
	struct err e;

	load(&m, tab[_i].in);
	o.sender = tab[_i].sender;
	o.fullname = tab[_i].fullname;
	o.user = tab[_i].user;
	o.maildomain = tab[_i].maildomain;
	o.force_from = tab[_i].force;
	o.msgid_domain = "id.example";
	o.now = NOW;
	ck_assert_msg(hdr_prepare(&m, &o, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(headers(&m), tab[_i].want);
	msg_free(&m);
}
END_TEST

/* Injection through -F or a from value fails, nothing is added. */
static const struct {
	const char *fullname, *force;
} bad_tab[] = {
	{ "Evil\r\nBcc: victim@x", NULL },
	{ "Evil\nX: y", NULL },
	{ "Evil <x@y>", NULL },
	{ NULL, "a@x\r\nBcc: v@x" },
};

START_TEST(test_prepare_injection)
{
	struct hdr_opts o = { 0 };
	struct msg m;
	struct err e;

	load(&m, bad_tab[_i].force ? "From: a@x\n\n" : "To: a@x\n\n");
	o.sender = "a@x";
	o.user = "a";
	o.fullname = bad_tab[_i].fullname;
	o.force_from = bad_tab[_i].force;
	o.now = NOW;
	ck_assert_int_eq(hdr_prepare(&m, &o, &e), -1);
	ck_assert_int_eq(e.code, EX_DATAERR);
	ck_assert_int_eq(hdr_find(&m.hdrs, "Bcc", 0), -1);
	ck_assert_int_eq(hdr_find(&m.hdrs, "X", 0), -1);
	msg_free(&m);
}
END_TEST

/* RFC 5322 §3.3: numeric zone from the local time zone. */
static const struct {
	const char *tz, *want;
} date_tab[] = {
	{ "UTC0", " Tue, 14 Nov 2023 22:13:20 +0000" },
	{ "EST5", " Tue, 14 Nov 2023 17:13:20 -0500" },
	{ "IST-5:30", " Wed, 15 Nov 2023 03:43:20 +0530" },
};

START_TEST(test_date)
{
	struct hdr_opts o = { 0 };
	struct msg m;
	struct err e;
	int i;

	setenv("TZ", date_tab[_i].tz, 1);
	tzset();
	load(&m, "From: a@x\nMessage-ID: <m@x>\n\n");
	o.now = NOW;
	ck_assert_int_eq(hdr_prepare(&m, &o, &e), 0);
	ck_assert_int_ge(i = hdr_find(&m.hdrs, "Date", 0), 0);
	ck_assert_str_eq(m.hdrs.v[i].value, date_tab[_i].want);
	setenv("TZ", "UTC0", 1);
	tzset();
	msg_free(&m);
}
END_TEST

/* <24 hex digits . time @ domain>, different each time. */
START_TEST(test_msgid)
{
	struct hdr_opts o = { 0 };
	struct msg m1, m2;
	struct err e;
	const char *v;
	int i, k;

	load(&m1, "From: a@x\nDate: d\n\n");
	load(&m2, "From: a@x\nDate: d\n\n");
	o.now = NOW;
	o.maildomain = "h.example";
	o.msgid_domain = "id.example";
	ck_assert_int_eq(hdr_prepare(&m1, &o, &e), 0);
	ck_assert_int_eq(hdr_prepare(&m2, &o, &e), 0);
	ck_assert_int_ge(i = hdr_find(&m1.hdrs, "message-id", 0), 0);
	v = m1.hdrs.v[i].value;
	ck_assert_uint_eq(strlen(v), strlen(" <.1700000000@id.example>") + 24);
	ck_assert(v[0] == ' ' && v[1] == '<');
	for (k = 2; k < 26; k++)
		ck_assert(strchr("0123456789abcdef", v[k]) != NULL);
	ck_assert_str_eq(v + 26, ".1700000000@id.example>");
	ck_assert_str_ne(v, m2.hdrs.v[hdr_find(&m2.hdrs, "Message-ID", 0)].value);
	msg_free(&m1);
	msg_free(&m2);
}
END_TEST

START_TEST(test_helpers)
{
	struct msg m;
	struct err e;
	char *u;

	load(&m, "Subject:  folded\n\tvalue  \nX: 1\nx: 2\nY: 3\n\n");
	ck_assert_int_eq(hdr_find(&m.hdrs, "x", 0), 1);
	ck_assert_int_eq(hdr_find(&m.hdrs, "X", 2), 2);
	ck_assert_int_eq(hdr_find(&m.hdrs, "Z", 0), -1);
	u = hdr_unfold(&m.hdrs, 0);
	ck_assert_str_eq(u, "folded\tvalue");
	free(u);
	ck_assert_uint_eq(hdr_remove(&m.hdrs, "X"), 2);
	ck_assert_uint_eq(m.hdrs.n, 2);
	ck_assert_int_eq(hdr_prepend(&m.hdrs, "Received", "from x", &e), 0);
	ck_assert_int_eq(hdr_add(&m.hdrs, "Z", "last", &e), 0);
	ck_assert_str_eq(headers(&m), "Received: from x\r\n"
	    "Subject:  folded\r\n\tvalue  \r\nY: 3\r\nZ: last\r\n");
	ck_assert_int_eq(hdr_add(&m.hdrs, "Z", "a\r\nBcc: x", &e), -1);
	ck_assert_int_eq(e.code, EX_DATAERR);
	msg_free(&m);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("hdr");
	TCase *tc = tcase_create("hdr");

	setenv("TZ", "UTC0", 1);
	tzset();
	tcase_add_loop_test(tc, test_prepare, 0, NELEM(tab));
	tcase_add_loop_test(tc, test_prepare_injection, 0, NELEM(bad_tab));
	tcase_add_loop_test(tc, test_date, 0, NELEM(date_tab));
	tcase_add_test(tc, test_msgid);
	tcase_add_test(tc, test_helpers);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
