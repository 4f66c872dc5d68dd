/*
 * test_log.c - the -v transcript's redaction of AUTH payloads and the
 * one log line per attempt (relaymail(8)): what reaches the transcript
 * and the log file, and that secrets do not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "unit.h"
#include "log.h"

static const struct {
	char		 dir;
	const char	*line;
	int		 redact;
	const char	*want;
} traces[] = {
	{ '>', "MAIL FROM:<a@b.example>", 0, "> MAIL FROM:<a@b.example>\n" },
	{ '<', "250 2.1.0 Ok", 0, "< 250 2.1.0 Ok\n" },
	{ '>', "AUTH PLAIN AGFsaWNlAHMzY3JldA==", 1,
	  "> AUTH PLAIN <redacted>\n" },
	{ '>', "AUTH LOGIN", 1, "> AUTH LOGIN <redacted>\n" },
	{ '>', "YWxpY2U=", 1, "> <redacted>\n" },
	{ '<', "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
	  1, "< <redacted>\n" },
	{ '>', "auth xoauth2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRo", 1,
	  "> auth xoauth2 <redacted>\n" },
};

START_TEST(test_trace)
{
	char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	ck_assert_ptr_nonnull(f);
	log_trace(f, traces[_i].dir, traces[_i].line,
	    strlen(traces[_i].line), traces[_i].redact);
	fclose(f);
	ck_assert_str_eq(buf, traces[_i].want);
}
END_TEST

START_TEST(test_trace_null_stream)
{
	/* No -v: nothing happens, nothing crashes. */
	log_trace(NULL, '>', "QUIT", 4, 0);
}
END_TEST

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_attempt_line)
{
	char dir[] = "/tmp/test_log.XXXXXX", path[256];
	struct log_attempt a;
	char *text;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	log_open(LOGTO_FILE, path);
	memset(&a, 0, sizeof(a));
	a.account = "work";
	a.relay = "smtp.example [192.0.2.1]:465";
	a.tls = "TLS1.3";
	a.auth = "PLAIN";
	a.size = 1234;
	a.sender = "";
	a.rcpts = "<x@y.example>";
	a.reply = "250 2.0.0 Ok: queued as 4Bx";
	a.exit_code = 0;
	log_attempt(&a);
	a.queue_id = "6560A1B2C3D4E5F6";
	a.reply = "connection refused";
	a.exit_code = 0;
	log_attempt(&a);
	log_msg(LOG_WARNING, "queue run: %d due", 3);
	log_close();
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, "account=work relay=smtp.example "
	    "[192.0.2.1]:465 tls=TLS1.3 auth=PLAIN size=1234 from=<> "
	    "to=<x@y.example> reply=\"250 2.0.0 Ok: queued as 4Bx\" exit=0\n"));
	ck_assert_ptr_nonnull(strstr(text, " queue_id=6560A1B2C3D4E5F6 "
	    "exit=0\n"));
	ck_assert_ptr_nonnull(strstr(text, "queue run: 3 due\n"));
	/* Three lines, each with a timestamp and the pid. */
	ck_assert_ptr_nonnull(strstr(text, "relaymail["));
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_long_line_is_marked)
{
	char dir[] = "/tmp/test_log.XXXXXX", path[256], big[4096];
	char *text;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_open(LOGTO_FILE, path);
	log_msg(LOG_INFO, "%s", big);
	log_close();
	text = slurp(path);
	/* Cut, and says so, on exactly one line. */
	ck_assert_ptr_nonnull(strstr(text, "...\n"));
	ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_loop_test(tc, test_trace, 0, NELEM(traces));
	tcase_add_test(tc, test_trace_null_stream);
	tcase_add_test(tc, test_attempt_line);
	tcase_add_test(tc, test_long_line_is_marked);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
