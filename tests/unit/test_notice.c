/*
 * test_notice.c - failure notices: RFC 3463 status derivation, RFC 5322
 * dates, and the RFC 3464 / RFC 6522 multipart/report structure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notice.h"
#include "unit.h"

static const struct {
	const char	*reply;
	int		 expired;
	const char	*want;
} status_tab[] = {
	{ "550 5.1.1 No such user", 0, "5.1.1" },
	{ "550-5.7.1 policy", 0, "5.7.1" },
	{ "552 5.3.4 Message too big", 0, "5.3.4" },
	{ "550 No such user", 0, "5.0.0" },
	{ "554", 0, "5.0.0" },
	{ "451 4.3.0 Try later", 1, "4.3.0" },
	{ "421 closing", 1, "4.0.0" },
	/* an enhanced code of another class is not trusted */
	{ "550 4.1.1 odd", 0, "5.0.0" },
	{ "550 5.1234.1 odd", 0, "5.0.0" },
	{ "550 5.1.1x odd", 0, "5.0.0" },
	{ "connection refused", 1, "4.4.7" },
	{ "connection refused", 0, "5.0.0" },
	{ "", 1, "4.4.7" },
	{ "250 ok", 0, "5.0.0" },
};

START_TEST(test_status)
{
	char out[16];

	notice_status(status_tab[_i].reply, status_tab[_i].expired, out,
	    sizeof(out));
	ck_assert_str_eq(out, status_tab[_i].want);
}
END_TEST

static const struct {
	long long	 t;
	const char	*want;
} date_tab[] = {
	{ 0, "Thu, 1 Jan 1970 00:00:00 +0000" },
	{ 1700000000, "Tue, 14 Nov 2023 22:13:20 +0000" },
	{ 951782400, "Tue, 29 Feb 2000 00:00:00 +0000" },
};

START_TEST(test_date)
{
	char out[64];

	notice_date(date_tab[_i].t, out, sizeof(out));
	ck_assert_str_eq(out, date_tab[_i].want);
}
END_TEST

struct buf {
	char	*p;
	size_t	 len;
	int	 writes;
};

static int
collect(void *ctx, const void *data, size_t len, struct err *e)
{
	struct buf *b = ctx;

	(void)e;
	b->p = realloc(b->p, b->len + len + 1);
	ck_assert_ptr_nonnull(b->p);
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	b->writes++;
	return 0;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static struct hdr orig_v[] = {
	{ "From", " Alice <alice@example.com>" },
	{ "To", " bob@example.com,\r\n\tdave@example.com" },
	{ "Subject", " Quarterly report" },
};

static const struct notice_rcpt rcpts[] = {
	{ "bob@example.com", "550 5.1.1 No such user" },
	{ "dave@example.com", "connection refused" },
};

static void
build(struct buf *b, int expired, const char *envid, const char *from)
{
	struct hdrs h = { orig_v, NELEM(orig_v), NELEM(orig_v) };
	struct notice_info ni;
	struct err e;

	memset(&ni, 0, sizeof(ni));
	ni.reporting_mta = "host.example.com";
	ni.from = from;
	ni.remote_mta = "smtp.example.net";
	ni.to = "alice@example.com";
	ni.orig_sender = "alice@example.com";
	ni.envid = envid;
	ni.id = "ABCDEF01";
	ni.arrival = 1700000000;
	ni.now = 1700003600;
	ni.expired = expired;
	ni.rcpt = rcpts;
	ni.nrcpt = NELEM(rcpts);
	ni.hdrs = &h;
	memset(b, 0, sizeof(*b));
	ck_assert_int_eq(notice_write(&ni, collect, b, &e), 0);
}

START_TEST(test_structure)
{
	struct buf b;
	char *p, *line;
	const char *bnd = "relaymail-ABCDEF01-1700003600";
	char delim[128];

	build(&b, 0, "env42", NULL);
	/* Every line ends in CRLF and fits RFC 5322 §2.1.1. */
	for (line = b.p; (p = strstr(line, "\r\n")) != NULL; line = p + 2)
		ck_assert_int_le(p - line, 998);
	ck_assert_str_eq(line, "");
	ck_assert_ptr_null(strstr(b.p, "\n\n"));
	ck_assert_int_eq(count(b.p, "\n"), count(b.p, "\r\n"));
	ck_assert_int_le(b.writes, 2);
	/* Headers. */
	ck_assert(strncmp(b.p, "From: Mail Delivery System "
	    "<MAILER-DAEMON@host.example.com>\r\n", 60) == 0);
	ck_assert_ptr_nonnull(strstr(b.p, "\r\nTo: <alice@example.com>\r\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\r\nAuto-Submitted: auto-replied"));
	ck_assert_ptr_nonnull(strstr(b.p, "\r\nDate: Tue, 14 Nov 2023 "
	    "23:13:20 +0000\r\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\""));
	/* Three parts and the closing delimiter. */
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", bnd);
	ck_assert_uint_eq(count(b.p, delim), 3);
	snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", bnd);
	ck_assert_uint_eq(count(b.p, delim), 1);
	ck_assert_ptr_nonnull(strstr(b.p, "Content-Type: text/plain"));
	ck_assert_ptr_nonnull(strstr(b.p,
	    "Content-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; host.example.com\r\n"
	    "Original-Envelope-Id: env42\r\n"
	    "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n"
	    "Final-Recipient: rfc822; bob@example.com\r\n"
	    "Action: failed\r\n"
	    "Status: 5.1.1\r\n"
	    "Remote-MTA: dns; smtp.example.net\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n"));
	/* A reply that is not SMTP has no Diagnostic-Code. */
	ck_assert_ptr_nonnull(strstr(b.p,
	    "Final-Recipient: rfc822; dave@example.com\r\n"
	    "Action: failed\r\nStatus: 5.0.0\r\n"
	    "Remote-MTA: dns; smtp.example.net\r\n"
	    "Last-Attempt-Date: "));
	ck_assert_uint_eq(count(b.p, "Diagnostic-Code:"), 1);
	/* The original header section, folding kept, no body. */
	ck_assert_ptr_nonnull(strstr(b.p, "Content-Type: text/rfc822-headers"
	    "\r\n\r\nFrom: Alice <alice@example.com>\r\n"
	    "To: bob@example.com,\r\n\tdave@example.com\r\n"
	    "Subject: Quarterly report\r\n"));
	/* The human part names every recipient with its reason. */
	ck_assert_ptr_nonnull(strstr(b.p,
	    "<bob@example.com>: 550 5.1.1 No such user\r\n"));
	ck_assert_ptr_nonnull(strstr(b.p,
	    "<dave@example.com>: connection refused\r\n"));
	free(b.p);
}
END_TEST

START_TEST(test_expired)
{
	struct buf b;

	build(&b, 1, NULL, "relay-user@example.com");
	ck_assert(strncmp(b.p, "From: Mail Delivery System "
	    "<relay-user@example.com>\r\n", 53) == 0);
	ck_assert_ptr_null(strstr(b.p, "Original-Envelope-Id"));
	ck_assert_ptr_nonnull(strstr(b.p, "too long"));
	ck_assert_ptr_nonnull(strstr(b.p, "dave@example.com\r\n"
	    "Action: failed\r\nStatus: 4.4.7\r\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "Status: 5.1.1\r\n"));
	free(b.p);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("notice");
	TCase *tc = tcase_create("notice");

	tcase_add_loop_test(tc, test_status, 0, NELEM(status_tab));
	tcase_add_loop_test(tc, test_date, 0, NELEM(date_tab));
	tcase_add_test(tc, test_structure);
	tcase_add_test(tc, test_expired);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
