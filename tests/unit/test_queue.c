/*
 * test_queue.c - the queue file format (round trip, state updates,
 * malformed files), locking across processes, the back-off schedule,
 * the outcome rules of queue_apply, and commit/list/delete.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "unit.h"

static char dir[256];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rm-queue-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	log_open(LOGTO_NONE, NULL);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	ck_assert_int_eq(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* An emitter that writes fixed bytes as the message. */
static int
emit_text(void *ctx, msg_write_fn fn, void *wctx, struct err *e)
{
	const char *s = ctx;

	return fn(wctx, s, strlen(s), e);
}

static const char body[] = "Subject: hi\r\nTo: b@x\r\n\r\n.dot\r\nline\r\n";

static void
sample(struct qfile *qf)
{
	struct err e;

	qfile_init(qf);
	snprintf(qf->account, sizeof(qf->account), "work");
	snprintf(qf->sender, sizeof(qf->sender), "alice@example.com");
	snprintf(qf->dsn_notify, sizeof(qf->dsn_notify), "FAILURE,DELAY");
	snprintf(qf->dsn_ret, sizeof(qf->dsn_ret), "HDRS");
	snprintf(qf->dsn_envid, sizeof(qf->dsn_envid), "env+2Bid");
	qf->body = 8;
	qf->uid = 1234;
	qf->queued = 1700000000;
	qf->attempts = 3;
	qf->next_retry = 1700001200;
	snprintf(qf->last_error, sizeof(qf->last_error), "451 4.3.0 later");
	ck_assert_int_eq(qfile_add_rcpt(qf, "bob@example.com", QR_PENDING,
	    "451 4.3.0 later", &e), 0);
	ck_assert_int_eq(qfile_add_rcpt(qf, "\"john doe\"@x", QR_SENT,
	    "250 ok", &e), 0);
	ck_assert_int_eq(qfile_add_rcpt(qf, "dave@x", QR_FAILED,
	    "550 5.1.1 no such user", &e), 0);
}

static void
read_msg(int fd, const struct qfile *qf, char *out, size_t cap)
{
	ssize_t n = pread(fd, out, cap - 1, qf->msg_offset);

	ck_assert_int_ge(n, 0);
	out[n] = '\0';
}

static int
count_dir(const char *sub)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL && errno == ENOENT)
		return 0;
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

START_TEST(test_roundtrip)
{
	struct qfile a, b;
	struct err e;
	char got[256];
	int fd;
	size_t i;

	sample(&a);
	ck_assert_int_eq(qfile_create(dir, &a, emit_text, (void *)body, &e),
	    0);
	ck_assert(qfile_valid_id(a.id));
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd, &e), 0);
	qfile_init(&b);
	ck_assert_int_eq(qfile_parse(fd, &b, &e), 0);
	ck_assert_str_eq(b.id, a.id);
	ck_assert_str_eq(b.account, "work");
	ck_assert_str_eq(b.sender, "alice@example.com");
	ck_assert_str_eq(b.dsn_notify, "FAILURE,DELAY");
	ck_assert_str_eq(b.dsn_ret, "HDRS");
	ck_assert_str_eq(b.dsn_envid, "env+2Bid");
	ck_assert_int_eq(b.body, 8);
	ck_assert_int_eq(b.uid, 1234);
	ck_assert_int_eq(b.queued, 1700000000);
	ck_assert_int_eq(b.attempts, 3);
	ck_assert_int_eq(b.next_retry, 1700001200);
	ck_assert_str_eq(b.last_error, "451 4.3.0 later");
	ck_assert_uint_eq(b.nrcpt, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(b.rcpt[i].addr, a.rcpt[i].addr);
		ck_assert_int_eq(b.rcpt[i].state, a.rcpt[i].state);
		ck_assert_str_eq(b.rcpt[i].reply, a.rcpt[i].reply);
	}
	ck_assert_int_eq(b.msg_size, (off_t)strlen(body));
	read_msg(fd, &b, got, sizeof(got));
	ck_assert_str_eq(got, body);
	ck_assert_int_eq(count_dir("tmp"), 0);
	ck_assert_int_eq(count_dir("msg"), 1);
	close(fd);
	qfile_free(&a);
	qfile_free(&b);
}
END_TEST

START_TEST(test_null_sender_and_minimal)
{
	struct qfile a, b;
	struct err e;
	int fd;

	qfile_init(&a);
	snprintf(a.account, sizeof(a.account), "x");
	a.notice = 1;
	ck_assert_int_eq(qfile_add_rcpt(&a, "r@x", QR_PENDING, "", &e), 0);
	ck_assert_int_eq(qfile_create(dir, &a, emit_text, (void *)body, &e),
	    0);
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd, &e), 0);
	qfile_init(&b);
	ck_assert_int_eq(qfile_parse(fd, &b, &e), 0);
	ck_assert_str_eq(b.sender, "");
	ck_assert_int_eq(b.notice, 1);
	ck_assert_str_eq(b.dsn_notify, "");
	ck_assert_str_eq(b.rcpt[0].reply, "");
	close(fd);
	qfile_free(&a);
	qfile_free(&b);
}
END_TEST

/* Free text with line breaks cannot forge header lines. */
START_TEST(test_no_injection)
{
	struct qfile a, b;
	struct err e;
	int fd;

	sample(&a);
	snprintf(a.last_error, sizeof(a.last_error),
	    "bad\nrcpt sent <evil@x> 250\n\nbody");
	snprintf(a.rcpt[0].reply, sizeof(a.rcpt[0].reply), "x\r\nattempts 0");
	ck_assert_int_eq(qfile_create(dir, &a, emit_text, (void *)body, &e),
	    0);
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd, &e), 0);
	qfile_init(&b);
	ck_assert_int_eq(qfile_parse(fd, &b, &e), 0);
	ck_assert_uint_eq(b.nrcpt, 3);
	ck_assert_int_eq(b.attempts, 3);
	ck_assert_ptr_null(strchr(b.last_error, '\n'));
	close(fd);
	qfile_free(&a);
	qfile_free(&b);
}
END_TEST

START_TEST(test_bad_rcpt)
{
	struct qfile a;
	struct err e;

	qfile_init(&a);
	ck_assert_int_eq(qfile_add_rcpt(&a, "a>b@x", QR_PENDING, "", &e), -1);
	ck_assert_int_eq(qfile_add_rcpt(&a, "a\n@x", QR_PENDING, "", &e), -1);
	ck_assert_int_eq(qfile_add_rcpt(&a, "", QR_PENDING, "", &e), -1);
	ck_assert_uint_eq(a.nrcpt, 0);
	qfile_free(&a);
}
END_TEST

/* Malformed files: every one is refused with EX_DATAERR. */
static const char *bad_files[] = {
	"",
	"relaymail-queue 2\nid 0000000000000001\naccount a\nsender <>\n"
	    "rcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "rcpt pending <r@x> \nmsg without blank line",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "rcpt bogus <r@x> \n\nmsg",
	"relaymail-queue 1\naccount a\nsender <>\nrcpt pending <r@x> \n\nm",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "\n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "colour blue\nrcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "attempts -1\nrcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "queued 12x\nrcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender a@x\n"
	    "rcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "rcpt pending r@x\n\nmsg",
	"relaymail-queue 1\nid ../../etc/pas\naccount a\nsender <>\n"
	    "rcpt pending <r@x> \n\nmsg",
	/* Regression (fuzz_qfile): what the writer refuses was accepted,
	 * so the rewrite after each attempt failed and the file stuck. */
	"relaymail-queue 1\nid 0000000000000001\naccount a b\nsender <>\n"
	    "rcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <a<b>\n"
	    "rcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\n"
	    "sender <a\rb>\nrcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\031b\n"
	    "sender <>\nrcpt pending <r@x> \n\nmsg",
	"relaymail-queue 1\nid 0000000000000001\naccount a\nsender <>\n"
	    "rcpt pending <r\001@x> \n\nmsg",
};

/* Each malformed file is refused with EX_DATAERR. With stale set, the
 * caller's err holds an old EX_NOINPUT first: regression (fuzz_qfile),
 * a malformed line left it in place, and queue_scan_dir then took a bad
 * file for one delivered meanwhile and skipped it silently. */
static void
parse_bad(int i, int stale)
{
	char path[512];
	struct qfile q;
	struct err e;
	int fd;

	snprintf(path, sizeof(path), "%s/bad", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bad_files[i], strlen(bad_files[i])),
	    (ssize_t)strlen(bad_files[i]));
	qfile_init(&q);
	if (stale)
		err_set(&e, EX_NOINPUT, "stale");
	else
		err_clear(&e);
	ck_assert_msg(qfile_parse(fd, &q, &e) == -1, "accepted #%d", i);
	ck_assert_int_eq(e.code, EX_DATAERR);
	ck_assert_str_ne(e.msg, "stale");
	close(fd);
	qfile_free(&q);
}

START_TEST(test_malformed_stale_err)
{
	parse_bad(_i, 1);
}
END_TEST

START_TEST(test_malformed)
{
	parse_bad(_i, 0);
}
END_TEST

/* A state update replaces the file atomically, keeps the message
 * bytes, and the new version is locked by its owner. */
START_TEST(test_replace)
{
	struct qfile a, b;
	struct err e;
	char got[256];
	struct stat st1, st2;
	int fd, fd2;

	sample(&a);
	ck_assert_int_eq(qfile_create(dir, &a, emit_text, (void *)body, &e),
	    0);
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd, &e), 0);
	ck_assert_int_eq(qfile_parse(fd, &a, &e), 0);
	fstat(fd, &st1);
	a.attempts = 4;
	a.rcpt[0].state = QR_SENT;
	snprintf(a.last_error, sizeof(a.last_error), "%s", "");
	ck_assert_int_eq(qfile_replace(dir, &fd, &a, a.msg_offset, &e), 0);
	fstat(fd, &st2);
	ck_assert(st1.st_ino != st2.st_ino);
	/* Still ours: a second open cannot lock it. */
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd2, &e), 1);
	qfile_init(&b);
	ck_assert_int_eq(qfile_parse(fd, &b, &e), 0);
	ck_assert_int_eq(b.attempts, 4);
	ck_assert_int_eq(b.rcpt[0].state, QR_SENT);
	ck_assert_str_eq(b.last_error, "");
	read_msg(fd, &b, got, sizeof(got));
	ck_assert_str_eq(got, body);
	ck_assert_int_eq(count_dir("tmp"), 0);
	ck_assert_int_eq(qfile_remove(dir, a.id, fd, &e), 0);
	ck_assert_int_eq(count_dir("msg"), 0);
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd2, &e), 1);
	qfile_free(&a);
	qfile_free(&b);
}
END_TEST

/* Two processes: while a child holds the lock the parent is refused;
 * once the child replaced the file and exited, the parent gets the new
 * version. A lock on an inode that was replaced is refused too. */
START_TEST(test_lock_two_processes)
{
	struct qfile a;
	struct err e;
	int p1[2], p2[2], fd, old, st;
	char c;
	pid_t pid;

	sample(&a);
	ck_assert_int_eq(qfile_create(dir, &a, emit_text, (void *)body, &e),
	    0);
	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe(p2), 0);
	/* The parent opens the old inode before the child replaces it. */
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/msg/%s", dir, a.id);
		old = open(path, O_RDONLY);
		ck_assert_int_ge(old, 0);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int cfd;

		if (qfile_lock(dir, a.id, &cfd, &e) != 0)
			_exit(1);
		(void)!write(p1[1], "L", 1);
		(void)!read(p2[0], &c, 1);
		if (qfile_parse(cfd, &a, &e) != 0)
			_exit(2);
		a.attempts = 9;
		if (qfile_replace(dir, &cfd, &a, a.msg_offset, &e) != 0)
			_exit(3);
		(void)!write(p1[1], "R", 1);
		(void)!read(p2[0], &c, 1);
		_exit(0);
	}
	ck_assert_int_eq(read(p1[0], &c, 1), 1);
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd, &e), 1);
	ck_assert_int_eq(write(p2[1], "go", 1), 1);
	ck_assert_int_eq(read(p1[0], &c, 1), 1);
	ck_assert_int_eq(c, 'R');
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd, &e), 1);
	ck_assert_int_eq(write(p2[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	/* The old inode is free to lock but no longer the message. */
	ck_assert_int_eq(flock(old, LOCK_EX | LOCK_NB), 0);
	ck_assert_int_eq(qfile_lock(dir, a.id, &fd, &e), 0);
	ck_assert_int_eq(qfile_parse(fd, &a, &e), 0);
	ck_assert_int_eq(a.attempts, 9);
	close(fd);
	close(old);
	qfile_free(&a);
}
END_TEST

static const struct {
	int attempts;
	long want;
} backoff_tab[] = {
	{ -1, 0 }, { 0, 0 }, { 1, 300 }, { 2, 600 }, { 3, 1200 },
	{ 4, 2400 }, { 5, 4800 }, { 6, 9600 }, { 7, 14400 }, { 8, 14400 },
	{ 50, 14400 }, { 1000000, 14400 },
};

START_TEST(test_backoff)
{
	ck_assert_int_eq(queue_backoff(backoff_tab[_i].attempts),
	    backoff_tab[_i].want);
}
END_TEST

/*
 * queue_apply: three pending recipients (plus one already sent that
 * must not move) and the result of one attempt. States are letters:
 * o RCPT_OK, t RCPT_TEMP, p RCPT_PERM, - RCPT_PENDING (no reply);
 * results: P pending, S sent, F failed.
 */
static const struct {
	const char	*rr;
	int		 rc;
	int		 ecode;
	int		 lastcode;
	enum stage	 stage;
	const char	*want;
	size_t		 nfailed;
} apply_tab[] = {
	{ "ooo", 0, 0, 250, STAGE_EOD, "SSS", 0 },
	{ "opt", 0, 0, 250, STAGE_EOD, "SFP", 1 },
	{ "ttt", -1, EX_TEMPFAIL, 451, STAGE_RCPT, "PPP", 0 },
	{ "ppp", -1, EX_NOUSER, 550, STAGE_RCPT, "FFF", 3 },
	{ "ptt", -1, EX_NOUSER, 451, STAGE_RCPT, "FPP", 1 },
	/* a drop after the end of data: the RFC 1047 case, all kept */
	{ "ooo", -1, EX_TEMPFAIL, 354, STAGE_EOD, "PPP", 0 },
	/* 554 to the end of data: the message is refused for all */
	{ "ooo", -1, EX_UNAVAILABLE, 554, STAGE_EOD, "FFF", 3 },
	{ "---", -1, EX_UNAVAILABLE, 550, STAGE_MAIL, "FFF", 3 },
	{ "---", -1, EX_TEMPFAIL, 421, STAGE_MAIL, "PPP", 0 },
	{ "---", -1, EX_TEMPFAIL, 0, STAGE_CONNECT, "PPP", 0 },
	{ "---", -1, EX_PROTOCOL, 0, STAGE_MAIL, "PPP", 0 },
	{ "---", -1, EX_DATAERR, 250, STAGE_MAIL, "FFF", 3 },
	{ "oto", -1, EX_TEMPFAIL, 451, STAGE_DATA, "PPP", 0 },
};

START_TEST(test_apply)
{
	struct relay_rcpt rr[3];
	struct relay_reply last;
	struct qfile q;
	struct err e;
	size_t i, n;
	const char *s = apply_tab[_i].rr;

	qfile_init(&q);
	qfile_add_rcpt(&q, "done@x", QR_SENT, "250 earlier", &e);
	qfile_add_rcpt(&q, "a@x", QR_PENDING, "", &e);
	qfile_add_rcpt(&q, "b@x", QR_PENDING, "", &e);
	qfile_add_rcpt(&q, "c@x", QR_PENDING, "", &e);
	memset(rr, 0, sizeof(rr));
	for (i = 0; i < 3; i++) {
		rr[i].addr = q.rcpt[i + 1].addr;
		switch (s[i]) {
		case 'o': rr[i].state = RCPT_OK; rr[i].reply.code = 250;
			snprintf(rr[i].reply.text, 64, "250 2.1.5 ok"); break;
		case 't': rr[i].state = RCPT_TEMP; rr[i].reply.code = 451;
			snprintf(rr[i].reply.text, 64, "451 4.2.0 later");
			break;
		case 'p': rr[i].state = RCPT_PERM; rr[i].reply.code = 550;
			snprintf(rr[i].reply.text, 64, "550 5.1.1 unknown");
			break;
		default: rr[i].state = RCPT_PENDING; break;
		}
	}
	memset(&last, 0, sizeof(last));
	last.code = apply_tab[_i].lastcode;
	snprintf(last.text, sizeof(last.text), "%d last", last.code);
	err_clear(&e);
	if (apply_tab[_i].rc == -1)
		err_set(&e, apply_tab[_i].ecode, "the error");
	n = queue_apply(&q, rr, 3, apply_tab[_i].rc, &e, &last,
	    apply_tab[_i].stage);
	ck_assert_uint_eq(n, apply_tab[_i].nfailed);
	ck_assert_int_eq(q.rcpt[0].state, QR_SENT);
	ck_assert_str_eq(q.rcpt[0].reply, "250 earlier");
	for (i = 0; i < 3; i++) {
		const char w = apply_tab[_i].want[i];

		ck_assert_int_eq(q.rcpt[i + 1].state, w == 'S' ? QR_SENT :
		    w == 'F' ? QR_FAILED : QR_PENDING);
		ck_assert_msg(q.rcpt[i + 1].reply[0] != '\0',
		    "row %d rcpt %zu has no reply", _i, i);
	}
	if (apply_tab[_i].rc == -1)
		ck_assert_str_eq(q.last_error, "the error");
	qfile_free(&q);
}
END_TEST

START_TEST(test_clean_tmp)
{
	char path[512];
	struct timespec ts[2];
	struct err e;
	int fd;

	ck_assert_int_eq(qfile_mkdirs(dir, &e), 0);
	snprintf(path, sizeof(path), "%s/tmp/old", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 7200;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	snprintf(path, sizeof(path), "%s/tmp/fresh", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	qfile_clean_tmp(dir, time(NULL), QUEUE_TMP_MAX_AGE);
	ck_assert_int_eq(count_dir("tmp"), 1);
	ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_mkdirs_modes)
{
	char q[512], p[600];
	struct stat st;
	struct err e;
	mode_t old = umask(0);

	snprintf(q, sizeof(q), "%s/a/b/queue", dir);
	ck_assert_int_eq(qfile_mkdirs(q, &e), 0);
	umask(old);
	ck_assert_int_eq(stat(q, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/msg", q);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/tmp", q);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/a", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(qfile_mkdirs("relative/q", &e), -1);
	ck_assert_int_eq(e.code, EX_CANTCREAT);
}
END_TEST

/*
 * msg/ and tmp/ belong to the queue directory's owner: root creating
 * them in a directory owned by someone else gives them that owner; a
 * user who owns neither is refused and creates nothing (whoever owns
 * msg/ could remove every message in it).
 */
START_TEST(test_mkdirs_owner)
{
	char q[512], p[600];
	struct stat st;
	struct err e;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return;		/* needs root to chown; see the scenario */
	snprintf(q, sizeof(q), "%s/owned", dir);
	ck_assert_int_eq(mkdir(q, 0700), 0);
	ck_assert_int_eq(chown(q, 65534, 65534), 0);
	ck_assert_int_eq(chmod(q, 02770), 0);
	ck_assert_int_eq(qfile_mkdirs(q, &e), 0);
	snprintf(p, sizeof(p), "%s/msg", q);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);
	ck_assert_int_eq(st.st_gid, 65534);
	ck_assert_int_eq(st.st_mode & 07777, 02770);
	snprintf(p, sizeof(p), "%s/tmp", q);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);

	/* A root-owned queue open to all: another uid may not make its
	 * subdirectories. */
	snprintf(q, sizeof(q), "%s/shared", dir);
	ck_assert_int_eq(mkdir(q, 0777), 0);
	ck_assert_int_eq(chmod(q, 0777), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	if ((pid = fork()) == 0) {
		if (setresgid(65534, 65534, 65534) == -1 ||
		    setresuid(65534, 65534, 65534) == -1)
			_exit(2);
		err_clear(&e);
		if (qfile_mkdirs(q, &e) != -1 || e.code != EX_CANTCREAT ||
		    strstr(e.msg, "only root") == NULL)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	snprintf(p, sizeof(p), "%s/msg", q);
	ck_assert_int_eq(lstat(p, &st), -1);
	/* Root then creates them root's. */
	ck_assert_int_eq(qfile_mkdirs(q, &e), 0);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 0);
}
END_TEST

START_TEST(test_unwritable)
{
	char q[512];
	struct qfile a;
	struct err e;

	if (geteuid() == 0)
		return;		/* root writes anywhere: see the scenario */
	snprintf(q, sizeof(q), "%s/ro", dir);
	ck_assert_int_eq(mkdir(q, 0500), 0);
	sample(&a);
	ck_assert_int_eq(qfile_create(q, &a, emit_text, (void *)body, &e), -1);
	ck_assert_int_eq(e.code, EX_CANTCREAT);
	qfile_free(&a);
}
END_TEST

/* queue_commit with per-recipient outcomes, then mailq and delete. */
static void
make_msg(struct msg *m)
{
	static const char text[] = "From: a@x\r\nSubject: t\r\n"
	    "Message-ID: <m1@x>\r\n\r\nbody\r\n";
	struct err e;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], text, sizeof(text) - 1),
	    (ssize_t)sizeof(text) - 1);
	close(p[1]);
	msg_init(m);
	ck_assert_int_eq(msg_read(m, p[0], MSG_RAW, &e), 0);
	close(p[0]);
}

START_TEST(test_commit_list_delete)
{
	struct account acct;
	struct conf c;
	struct envelope env;
	struct relay_rcpt rr[3];
	struct msg m;
	struct err e;
	char id[QFILE_IDLEN], out[8192], qd[512];
	FILE *f;
	size_t len;

	snprintf(qd, sizeof(qd), "%s/q", dir);
	memset(&acct, 0, sizeof(acct));
	snprintf(acct.name, sizeof(acct.name), "work");
	acct.queue_dir = qd;
	acct.queue_lifetime = 5 * 86400;
	memset(&c, 0, sizeof(c));
	c.accounts = &acct;
	c.naccounts = 1;
	envelope_init(&env);
	snprintf(env.sender, sizeof(env.sender), "a@x");
	env.rcpt[0] = "ok@x";
	env.rcpt[1] = "perm@x";
	env.rcpt[2] = "temp@x";
	env.nrcpt = 3;
	memset(rr, 0, sizeof(rr));
	rr[0].state = RCPT_OK;
	rr[1].state = RCPT_PERM;
	snprintf(rr[1].reply.text, 64, "550 5.1.1 unknown");
	rr[2].state = RCPT_TEMP;
	snprintf(rr[2].reply.text, 64, "451 4.2.0 later");
	make_msg(&m);

	f = fmemopen(out, sizeof(out), "w");
	ck_assert_int_eq(queue_list(&c, f, &e), 0);
	fclose(f);
	ck_assert_str_eq(out, "Mail queue is empty\n");

	ck_assert_int_eq(queue_commit(&acct, &env, rr, &m, "451 4.2.0 later",
	    id, sizeof(id), &e), 0);
	ck_assert(qfile_valid_id(id));
	/* The message, and a notice for perm@x to the sender. */
	ck_assert_int_eq(count_dir("q/msg"), 2);
	ck_assert_int_eq(queue_has_due(&acct), 1);	/* the notice */

	memset(out, 0, sizeof(out));
	f = fmemopen(out, sizeof(out), "w");
	ck_assert_int_eq(queue_list(&c, f, &e), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, id));
	ck_assert_ptr_nonnull(strstr(out, "pending <temp@x>  451 4.2.0"));
	ck_assert_ptr_nonnull(strstr(out, "sent    <ok@x>"));
	ck_assert_ptr_nonnull(strstr(out, "failed  <perm@x>  550 5.1.1"));
	ck_assert_ptr_nonnull(strstr(out, "(failure notice)"));
	ck_assert_ptr_nonnull(strstr(out, "pending <a@x>"));
	ck_assert_ptr_nonnull(strstr(out, "-- 2 messages"));
	len = strlen(out);
	ck_assert_uint_gt(len, 0);

	ck_assert_int_eq(queue_delete(&c, id, &e), 0);
	ck_assert_int_eq(count_dir("q/msg"), 1);
	ck_assert_int_eq(queue_delete(&c, id, &e), -1);
	ck_assert_int_eq(e.code, EX_NOINPUT);
	ck_assert_int_eq(queue_delete(&c, "../../etc/passwd", &e), -1);
	ck_assert_int_eq(e.code, EX_NOINPUT);
	msg_free(&m);
}
END_TEST

/* Null sender: no notice; every recipient sent: nothing queued. */
START_TEST(test_commit_no_notice)
{
	struct account acct;
	struct envelope env;
	struct relay_rcpt rr[2];
	struct msg m;
	struct err e;
	char id[QFILE_IDLEN], qd[512];

	snprintf(qd, sizeof(qd), "%s/q", dir);
	memset(&acct, 0, sizeof(acct));
	snprintf(acct.name, sizeof(acct.name), "work");
	acct.queue_dir = qd;
	envelope_init(&env);
	env.rcpt[0] = "ok@x";
	env.rcpt[1] = "perm@x";
	env.nrcpt = 2;
	memset(rr, 0, sizeof(rr));
	rr[0].state = RCPT_OK;
	rr[1].state = RCPT_PERM;
	make_msg(&m);
	ck_assert_int_eq(queue_commit(&acct, &env, rr, &m, "x", id,
	    sizeof(id), &e), 0);
	ck_assert_str_eq(id, "");
	ck_assert_int_eq(count_dir("q/msg"), 0);
	/* notify = none: same with a real sender. */
	snprintf(env.sender, sizeof(env.sender), "a@x");
	acct.notify = "none";
	ck_assert_int_eq(queue_commit(&acct, &env, rr, &m, "x", id,
	    sizeof(id), &e), 0);
	ck_assert_int_eq(count_dir("q/msg"), 0);
	/* No attempt (queue = always): due at once, attempts 0. */
	ck_assert_int_eq(queue_commit(&acct, &env, NULL, &m, NULL, id,
	    sizeof(id), &e), 0);
	ck_assert(qfile_valid_id(id));
	ck_assert_int_eq(queue_has_due(&acct), 1);
	msg_free(&m);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("queue");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_null_sender_and_minimal);
	tcase_add_test(tc, test_no_injection);
	tcase_add_test(tc, test_bad_rcpt);
	tcase_add_loop_test(tc, test_malformed, 0, NELEM(bad_files));
	tcase_add_loop_test(tc, test_malformed_stale_err, 0,
	    NELEM(bad_files));
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_lock_two_processes);
	tcase_add_loop_test(tc, test_backoff, 0, NELEM(backoff_tab));
	tcase_add_loop_test(tc, test_apply, 0, NELEM(apply_tab));
	tcase_add_test(tc, test_clean_tmp);
	tcase_add_test(tc, test_mkdirs_modes);
	tcase_add_test(tc, test_mkdirs_owner);
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_commit_list_delete);
	tcase_add_test(tc, test_commit_no_notice);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
