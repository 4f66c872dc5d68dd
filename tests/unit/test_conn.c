/*
 * test_conn.c - Check suite for net.c, conn.c and tls.c: line reading
 * over socketpairs with a forked peer (buffer boundaries, caps, bare LF,
 * NUL, a dripped reply against the absolute deadline, peer close), write
 * buffering, conn_open on loopback (IPv4, IPv6, refused, no such name),
 * and TLS against a forked GnuTLS server using a CA and certificates made
 * with certtool at test time (verification, host name, pins, versions,
 * a plaintext server on an implicit-TLS port).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "conn.h"
#include "unit.h"

/* ---------- helpers ---------- */

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
reap(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	/* SIGKILL: children inherit Check's SIGTERM handler, which would
	 * signal the whole process group */
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
}

/* Write s to fd; '@' stands for a NUL byte. */
static int
send_text(int fd, const char *s)
{
	char buf[4096];
	size_t i, n, len = strlen(s);
	ssize_t w;

	while (len > 0) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = s[i] == '@' ? '\0' : s[i];
		for (i = 0; i < n; i += (size_t)w)
			if ((w = send(fd, buf + i, n - i, MSG_NOSIGNAL)) <= 0)
				return -1;
		s += n;
		len -= n;
	}
	return 0;
}

/* Fork a peer on one end of a socketpair that writes chunks with a pause
 * before each, then closes; the parent keeps sv[0] in c. */
static pid_t
script_peer(struct conn *c, const char *const *chunks, int pause_ms,
    int timeout_ms)
{
	int sv[2], i;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		for (i = 0; chunks[i] != NULL; i++) {
			if (pause_ms > 0)
				sleep_ms(pause_ms);
			if (send_text(sv[1], chunks[i]) == -1)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	conn_attach(c, sv[0], timeout_ms, NULL);
	return pid;
}

/* ---------- conn_readline ---------- */

#define LONG40	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct rl_case {
	const char	*name;
	const char	*chunks[12];
	int		 pause_ms;
	size_t		 cap;
	int		 deadline_ms;	/* relative; 0: the conn's timeout */
	const char	*lines[4];	/* expected, in order */
	int		 code;		/* of the read after them */
	const char	*msg;
} rl_cases[] = {
	{ "one line", { "250 ok\r\n" }, 0, 512, 0, { "250 ok" },
	    EX_TEMPFAIL, "connection closed by relay" },
	{ "two in one chunk", { "250-a\r\n250 b\r\n" }, 0, 512, 0,
	    { "250-a", "250 b" }, EX_TEMPFAIL, "closed" },
	{ "split everywhere", { "25", "0-a\r", "\n250 b", "\r", "\n" }, 20,
	    512, 0, { "250-a", "250 b" }, EX_TEMPFAIL, "closed" },
	{ "empty line", { "\r\n250 x\r\n" }, 0, 512, 0, { "", "250 x" },
	    EX_TEMPFAIL, "closed" },
	{ "exactly cap - 1", { "1234567\r\n" }, 0, 8, 0, { "1234567" },
	    EX_TEMPFAIL, "closed" },
	{ "one over cap", { "12345678\r\n" }, 0, 8, 0, { NULL },
	    EX_PROTOCOL, "reply line too long" },
	{ "long line", { LONG40 "\r\n" }, 0, 16, 0, { NULL }, EX_PROTOCOL,
	    "reply line too long" },
	{ "long line, no LF yet", { LONG40, LONG40 }, 300, 16, 0, { NULL },
	    EX_PROTOCOL, "reply line too long" },
	{ "bare LF", { "250 ok\n" }, 0, 512, 0, { NULL }, EX_PROTOCOL,
	    "bare LF" },
	{ "bare LF after good line", { "250-a\r\n250 b\n" }, 0, 512, 0,
	    { "250-a" }, EX_PROTOCOL, "bare LF" },
	{ "NUL", { "250 o@k\r\n" }, 0, 512, 0, { NULL }, EX_PROTOCOL, "NUL" },
	{ "closed mid-line", { "250 par" }, 0, 512, 0, { NULL },
	    EX_TEMPFAIL, "connection closed by relay" },
	{ "dripped reply", { "2", "5", "0", " ", "s", "l", "o", "w", "\r",
	    "\n" }, 150, 512, 600, { NULL }, EX_TEMPFAIL, "timed out after" },
	{ "slow but in time", { "250 ", "ok\r\n" }, 100, 512, 1500,
	    { "250 ok" }, EX_TEMPFAIL, "closed" },
};

START_TEST(test_readline)
{
	const struct rl_case *t = &rl_cases[_i];
	struct conn c;
	struct err e;
	char line[BOUNDS_RBUF];
	long long start, deadline = 0;
	size_t len;
	pid_t pid;
	int i, rc;

	pid = script_peer(&c, t->chunks, t->pause_ms, 3000);
	start = deadline_now_ms();
	if (t->deadline_ms > 0)
		deadline = start + t->deadline_ms;
	for (i = 0; t->lines[i] != NULL; i++) {
		err_clear(&e);
		rc = conn_readline(&c, line, t->cap, &len, deadline, &e);
		ck_assert_msg(rc == 0, "%s: line %d: %s", t->name, i, e.msg);
		ck_assert_str_eq(line, t->lines[i]);
		ck_assert_uint_eq(len, strlen(t->lines[i]));
	}
	err_clear(&e);
	rc = conn_readline(&c, line, t->cap, &len, deadline, &e);
	ck_assert_msg(rc == -1 && e.code == t->code, "%s: rc %d code %d %s",
	    t->name, rc, e.code, e.msg);
	ck_assert_msg(strstr(e.msg, t->msg) != NULL, "%s: \"%s\"", t->name,
	    e.msg);
	if (t->deadline_ms > 0 && t->code == EX_TEMPFAIL &&
	    strstr(t->msg, "timed out") != NULL)
		ck_assert_int_lt(deadline_now_ms() - start,
		    t->deadline_ms + 400);
	conn_close(&c);
	conn_close(&c);		/* safe twice */
	reap(pid);
}
END_TEST

/* Many lines in one write: lines cross the BOUNDS_RBUF boundary. */
START_TEST(test_readline_buffer_wrap)
{
	static char big[64 * 1024];
	const char *chunks[2] = { big, NULL };
	struct conn c;
	struct err e;
	char line[BOUNDS_REPLY_LINE], want[BOUNDS_REPLY_LINE];
	size_t len, off = 0;
	int i, n = 100;
	pid_t pid;

	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "250-%03d %0*d", i, 300 + i, i);
		off += (size_t)snprintf(big + off, sizeof(big) - off,
		    "%s\r\n", want);
	}
	ck_assert_uint_gt(off, 2 * BOUNDS_RBUF);
	pid = script_peer(&c, chunks, 0, 3000);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "250-%03d %0*d", i, 300 + i, i);
		ck_assert_msg(conn_readline(&c, line, sizeof(line), &len, 0,
		    &e) == 0, "line %d: %s", i, e.msg);
		ck_assert_str_eq(line, want);
	}
	ck_assert_uint_eq(conn_pending(&c), 0);
	conn_close(&c);
	reap(pid);
}
END_TEST

/* ---------- conn_write / conn_flush ---------- */

static const struct wr_case {
	size_t		 piece;		/* bytes per conn_write */
	int		 count;
	unsigned	 before;	/* nflush after the writes */
	unsigned	 after;		/* and after conn_flush */
} wr_cases[] = {
	{ 28, 100, 0, 1 },		/* a pipelined group: one send */
	{ 1, 500, 0, 1 },
	{ 1000, 40, 2, 3 },		/* 40000 = 2 full blocks + rest */
	{ BOUNDS_IO_BLOCK, 1, 1, 1 },	/* exactly full: sent at once */
	{ 7, 0, 0, 0 },			/* nothing to send */
};

/* Child: read to EOF, report the byte count and a checksum on a pipe. */
static pid_t
sink(int fd, int other, int report)
{
	unsigned char buf[4096];
	unsigned long sum = 0, total = 0;
	ssize_t n, i;
	pid_t pid;

	if ((pid = fork()) != 0)
		return pid;
	close(other);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++, total++)
			sum = sum * 31 + buf[i];
	dprintf(report, "%lu %lu\n", total, sum);
	_exit(0);
}

START_TEST(test_write_buffering)
{
	const struct wr_case *t = &wr_cases[_i];
	static unsigned char piece[BOUNDS_IO_BLOCK];
	unsigned long sum = 0, total = 0, gtotal = 0, gsum = 0;
	struct conn c;
	struct err e;
	char rep[64];
	int sv[2], pp[2], i;
	size_t k;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(pp), 0);
	pid = sink(sv[1], sv[0], pp[1]);
	ck_assert_int_ge(pid, 0);
	close(sv[1]);
	close(pp[1]);
	conn_attach(&c, sv[0], 5000, NULL);
	for (k = 0; k < t->piece; k++)
		piece[k] = (unsigned char)('a' + k % 26);
	for (i = 0; i < t->count; i++) {
		piece[0] = (unsigned char)('A' + i % 26);
		ck_assert_int_eq(conn_write(&c, piece, t->piece, &e), 0);
		for (k = 0; k < t->piece; k++, total++)
			sum = sum * 31 + piece[k];
	}
	ck_assert_uint_eq(c.nflush, t->before);
	ck_assert_int_eq(conn_flush(&c, &e), 0);
	ck_assert_uint_eq(c.nflush, t->after);
	ck_assert_uint_eq(c.out.len, 0);
	conn_close(&c);
	n = read(pp[0], rep, sizeof(rep) - 1);
	ck_assert_int_gt(n, 0);
	rep[n] = '\0';
	ck_assert_int_eq(sscanf(rep, "%lu %lu", &gtotal, &gsum), 2);
	ck_assert_uint_eq(gtotal, total);
	ck_assert_uint_eq(gsum, sum);
	close(pp[0]);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(test_write_after_peer_close)
{
	static unsigned char block[BOUNDS_IO_BLOCK];
	struct conn c;
	struct err e;
	int sv[2], i, rc = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	conn_attach(&c, sv[0], 1000, NULL);
	for (i = 0; i < 4 && rc == 0; i++)
		rc = conn_write(&c, block, sizeof(block), &e);
	ck_assert_int_eq(rc, -1);	/* and no SIGPIPE */
	ck_assert_int_eq(e.code, EX_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(e.msg, "closed by relay"));
	conn_close(&c);
}
END_TEST

/* ---------- conn_open ---------- */

/* A listening socket on addr, port 0; the port it got. */
static int
listener(int family, const char *addr, int *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		inet_pton(AF_INET, addr, &s4->sin_addr);
		sl = sizeof(*s4);
	} else {
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		sl = sizeof(*s6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, sl), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	sl = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

static const struct open_case {
	const char	*host;
	int		 family;	/* of the listener; 0: none */
	const char	*bind;
	int		 listen;	/* 0: port is closed */
	int		 expired;	/* deadline already passed */
	int		 code;
	const char	*msg;		/* in e.msg, or in c.peer on success */
} open_cases[] = {
	{ "127.0.0.1", AF_INET, "127.0.0.1", 1, 0, 0, "[127.0.0.1]:" },
	{ "localhost", AF_INET, "127.0.0.1", 1, 0, 0,
	    "localhost [127.0.0.1]:" },
	{ "::1", AF_INET6, "::1", 1, 0, 0, "[::1]:" },
	{ "[::1]", AF_INET6, "::1", 1, 0, 0, "[::1]:" },
	{ "127.0.0.1", AF_INET, "127.0.0.1", 0, 0, EX_TEMPFAIL,
	    "cannot connect to 127.0.0.1 [127.0.0.1]:" },
	{ "[::1]", AF_INET6, "::1", 0, 0, EX_TEMPFAIL, "[::1]:" },
	{ "nonexistent.invalid", 0, NULL, 0, 0, EX_NOHOST,
	    "host nonexistent.invalid does not exist" },
	{ "127.0.0.1", AF_INET, "127.0.0.1", 1, 1, EX_TEMPFAIL, "" },
	{ "[]", 0, NULL, 0, 0, EX_CONFIG, "empty" },
};

START_TEST(test_open)
{
	const struct open_case *t = &open_cases[_i];
	struct conn c;
	struct err e;
	char portstr[16];
	int lfd = -1, port = 25, rc;

	if (t->family != 0)
		lfd = listener(t->family, t->bind, &port);
	if (!t->listen && lfd != -1) {
		close(lfd);	/* now nothing listens: refused */
		lfd = -1;
	}
	err_clear(&e);
	rc = conn_open(&c, t->host, port, 2000, t->expired ?
	    deadline_now_ms() - 1 : 0, NULL, &e);
	snprintf(portstr, sizeof(portstr), ":%d", port);
	if (t->code == 0) {
		ck_assert_msg(rc == 0, "%s: %s", t->host, e.msg);
		ck_assert_int_eq(c.loopback, 1);
		ck_assert_ptr_nonnull(strstr(c.peer, t->msg));
		ck_assert_ptr_nonnull(strstr(c.peer, portstr));
		ck_assert_str_eq(c.host, t->host[0] == '[' ? "::1" : t->host);
		ck_assert_int_eq(fcntl(c.fd, F_GETFD) & FD_CLOEXEC,
		    FD_CLOEXEC);
		conn_close(&c);
	} else {
		ck_assert_msg(rc == -1 && e.code == t->code, "%s: %d %s",
		    t->host, e.code, e.msg);
		ck_assert_msg(strstr(e.msg, t->msg) != NULL, "%s", e.msg);
		if (t->family != 0 && !t->expired)
			ck_assert_ptr_nonnull(strstr(e.msg, portstr));
		conn_close(&c);	/* no-op after a failed open */
	}
	if (lfd != -1)
		close(lfd);
}
END_TEST

/* A listener whose backlog is full drops SYNs: connect() hangs, and
 * both the per-attempt timeout and the overall deadline must end it. */
static const struct hang_case {
	int		 timeout_ms;
	int		 deadline_ms;	/* relative; 0: none */
	const char	*msg;
} hang_cases[] = {
	{ 300, 0, "timed out after 0.3 s" },
	{ 5000, 400, "out of time" },
};

START_TEST(test_open_hang)
{
	const struct hang_case *t = &hang_cases[_i];
	struct sockaddr_in sin;
	struct conn c;
	struct err e;
	long long start;
	int lfd, fill, port;

	lfd = listener(AF_INET, "127.0.0.1", &port);
	ck_assert_int_eq(listen(lfd, 0), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fill = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fill, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	start = deadline_now_ms();
	ck_assert_int_eq(conn_open(&c, "127.0.0.1", port, t->timeout_ms,
	    t->deadline_ms ? start + t->deadline_ms : 0, NULL, &e), -1);
	ck_assert_int_eq(e.code, EX_TEMPFAIL);
	ck_assert_msg(strstr(e.msg, t->msg) != NULL, "%s", e.msg);
	ck_assert_int_ge(deadline_now_ms() - start, (t->deadline_ms ?
	    t->deadline_ms : t->timeout_ms) - 10);
	ck_assert_int_lt(deadline_now_ms() - start, (t->deadline_ms ?
	    t->deadline_ms : t->timeout_ms) + 500);
	close(fill);
	close(lfd);
}
END_TEST

/* STARTTLS: bytes that arrived with the 220 must not survive the
 * handshake (RFC 3207 §4.2). */
START_TEST(test_starttls_pending)
{
	const char *chunks[] = { "220 go ahead\r\n250 injected\r\n", NULL };
	struct tls_params a;
	struct conn c;
	struct err e;
	char line[BOUNDS_REPLY_LINE];
	size_t len;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	a.verify = 1;
	a.min_version = 12;
	pid = script_peer(&c, chunks, 0, 2000);
	ck_assert_int_eq(conn_readline(&c, line, sizeof(line), &len, 0, &e),
	    0);
	sleep_ms(50);
	ck_assert_uint_gt(conn_pending(&c), 0);
	ck_assert_int_eq(conn_tls_start(&c, &a, 1, &e), -1);
	ck_assert_int_eq(e.code, EX_PROTOCOL);
	ck_assert_ptr_null(c.tls);
	conn_close(&c);
	reap(pid);
}
END_TEST

/* ---------- TLS ---------- */

static char tdir[64];
static char pin_ok[128];

static void
tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tdir, name);
}

/* Run certtool with args; stdout to out (or /dev/null). */
static int
certtool(const char *out, const char *const *args)
{
	char *argv[16];
	pid_t pid;
	int i, st, fd;

	argv[0] = (char *)"certtool";
	for (i = 0; args[i] != NULL && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	if ((pid = fork()) == 0) {
		fd = open(out != NULL ? out : "/dev/null",
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp("certtool", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
write_file(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	tpath(p, sizeof(p), name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
must(const char *out, const char *const *args)
{
	ck_assert_msg(certtool(out, args) == 0, "certtool %s failed", args[0]);
}

/* pin-sha256 of a certificate as certtool computes it: the oracle. */
static void
read_pin(const char *info, char *pin, size_t len)
{
	char buf[16384], *p, *q;
	size_t n;
	FILE *f;

	f = fopen(info, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "pin-sha256:");
	ck_assert_ptr_nonnull(p);
	p += strlen("pin-sha256:");
	for (q = p; *q != '\0' && *q != '\n' && *q != ' '; q++)
		;
	snprintf(pin, len, "sha256/%.*s", (int)(q - p), p);
}

static void
tls_setup(void)
{
	char ca_key[128], ca[128], key[128], crt[128], old[128], tmpl[128],
	    info[128], stmpl[128], otmpl[128];

	snprintf(tdir, sizeof(tdir), "/tmp/relaymail-test-conn-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	tpath(ca_key, sizeof(ca_key), "ca-key.pem");
	tpath(ca, sizeof(ca), "ca.pem");
	tpath(key, sizeof(key), "key.pem");
	tpath(crt, sizeof(crt), "server.pem");
	tpath(old, sizeof(old), "expired.pem");
	tpath(tmpl, sizeof(tmpl), "ca.tmpl");
	tpath(stmpl, sizeof(stmpl), "server.tmpl");
	tpath(otmpl, sizeof(otmpl), "expired.tmpl");
	tpath(info, sizeof(info), "info.txt");
	write_file("ca.tmpl", "cn = \"relaymail test CA\"\nca\n"
	    "cert_signing_key\nexpiration_days = 30\n");
	write_file("server.tmpl", "cn = \"localhost\"\n"
	    "dns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n"
	    "ip_address = \"::1\"\ntls_www_server\nsigning_key\n"
	    "encryption_key\nexpiration_days = 30\n");
	write_file("expired.tmpl", "cn = \"localhost\"\n"
	    "dns_name = \"localhost\"\ntls_www_server\nsigning_key\n"
	    "activation_date = \"2019-01-01 00:00:00 UTC\"\n"
	    "expiration_date = \"2020-01-01 00:00:00 UTC\"\n");
	must(NULL, (const char *const[]){ "--generate-privkey",
	    "--key-type=ecdsa", "--outfile", ca_key, NULL });
	must(NULL, (const char *const[]){ "--generate-self-signed",
	    "--load-privkey", ca_key, "--template", tmpl, "--outfile", ca,
	    NULL });
	must(NULL, (const char *const[]){ "--generate-privkey",
	    "--key-type=rsa", "--bits=2048", "--outfile", key, NULL });
	must(NULL, (const char *const[]){ "--generate-certificate",
	    "--load-privkey", key, "--load-ca-certificate", ca,
	    "--load-ca-privkey", ca_key, "--template", stmpl, "--outfile",
	    crt, NULL });
	must(NULL, (const char *const[]){ "--generate-certificate",
	    "--load-privkey", key, "--load-ca-certificate", ca,
	    "--load-ca-privkey", ca_key, "--template", otmpl, "--outfile",
	    old, NULL });
	must(info, (const char *const[]){ "-i", "--infile", crt, NULL });
	read_pin(info, pin_ok, sizeof(pin_ok));
}

static void
tls_teardown(void)
{
	const char *files[] = { "ca-key.pem", "ca.pem", "key.pem",
	    "server.pem", "expired.pem", "ca.tmpl", "server.tmpl",
	    "expired.tmpl", "info.txt" };
	char p[128];
	size_t i;

	for (i = 0; i < NELEM(files); i++) {
		tpath(p, sizeof(p), files[i]);
		unlink(p);
	}
	rmdir(tdir);
}

/* Count what the client sends up to and including "QUIT\r\n", then
 * answer "221 <octets>"; a check that bulk writes arrive whole. */
static void
tls_count(gnutls_session_t s)
{
	char buf[4096], tail[7] = "", reply[64];
	unsigned long total = 0;
	ssize_t n, i;
	int len;

	while ((n = gnutls_record_recv(s, buf, sizeof(buf))) > 0 ||
	    n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		for (i = 0; i < n; i++, total++) {
			memmove(tail, tail + 1, 5);
			tail[5] = buf[i];
		}
		if (n > 0 && strcmp(tail, "QUIT\r\n") == 0) {
			len = snprintf(reply, sizeof(reply), "221 %lu\r\n",
			    total);
			gnutls_record_send(s, reply, (size_t)len);
		}
	}
}

/* Child: accept one client and speak TLS (or plaintext SMTP) to it. */
#define SERVE_STARTTLS	1	/* plaintext greeting and STARTTLS first */
#define SERVE_CLIENT	2	/* require a client certificate */

static void
tls_serve(int lfd, const char *prio, const char *certname, int flags)
{
	int starttls = flags & SERVE_STARTTLS;
	unsigned n = 0;

	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	struct timeval tv = { 5, 0 };
	struct pollfd pfd = { lfd, POLLIN, 0 };
	char crt[128], key[128], buf[256];
	int fd, rc;

	if (poll(&pfd, 1, 10000) != 1 || (fd = accept(lfd, NULL, NULL)) < 0)
		_exit(2);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (prio == NULL || starttls)
		(void)send_text(fd, "220 plain.example ESMTP\r\n");
	if (starttls && read(fd, buf, sizeof(buf)) > 0)
		(void)send_text(fd, "220 2.0.0 go ahead\r\n");
	if (prio == NULL) {
		if (starttls && read(fd, buf, sizeof(buf)) > 0)
			(void)send_text(fd, "500 5.5.2 what?\r\n");
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	tpath(crt, sizeof(crt), certname);
	tpath(key, sizeof(key), "key.pem");
	gnutls_certificate_allocate_credentials(&cred);
	if (gnutls_certificate_set_x509_key_file(cred, crt, key,
	    GNUTLS_X509_FMT_PEM) < 0)
		_exit(3);
	gnutls_init(&s, GNUTLS_SERVER);
	if (gnutls_priority_set_direct(s, prio, NULL) < 0)
		_exit(4);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (flags & SERVE_CLIENT)
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	gnutls_transport_set_int(s, fd);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		/* as OpenSSL and Postfix do: tell the client why */
		gnutls_alert_send_appropriate(s, rc);
		_exit(5);
	}
	if ((flags & SERVE_CLIENT) && (gnutls_certificate_get_peers(s,
	    &n) == NULL || n == 0))
		gnutls_record_send(s, "554 no client certificate\r\n", 27);
	else
		gnutls_record_send(s, "220 tls.example ESMTP\r\n", 23);
	tls_count(s);
	_exit(0);
}

#define WRONG_PIN "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static const struct tls_case {
	const char	*name;
	const char	*prio;		/* server's; NULL: plaintext server */
	const char	*cert;		/* server's certificate file */
	const char	*host;
	const char	*server_name;
	int		 ca;		/* tls_ca_file = our CA */
	int		 verify;
	const char	*pin;		/* "OK" stands for the right pin */
	int		 min;
	const char	*priority;	/* client tls_priority */
	int		 code;
	const char	*msg;		/* in e.msg, or tlsinfo.version */
	int		 starttls;	/* plaintext greeting and STARTTLS */
} tls_cases[] = {
	{ "verified", "NORMAL", "server.pem", "localhost", NULL, 1, 1, NULL,
	    12, NULL, 0, "TLS1.3", 0 },
	{ "IPv4 literal", "NORMAL", "server.pem", "127.0.0.1", NULL, 1, 1,
	    NULL, 12, NULL, 0, "TLS1.3", 0 },
	{ "IPv6 literal", "NORMAL", "server.pem", "[::1]", NULL, 1, 1, NULL,
	    12, NULL, 0, "TLS1.3", 0 },
	{ "server name for an address", "NORMAL", "server.pem", "127.0.0.1",
	    "localhost", 1, 1, NULL, 12, NULL, 0, "TLS1.3", 0 },
	{ "wrong host name", "NORMAL", "server.pem", "127.0.0.1",
	    "wrong.example", 1, 1, NULL, 12, NULL, EX_UNAVAILABLE,
	    "does not match", 0 },
	{ "unknown CA", "NORMAL", "server.pem", "localhost", NULL, 0, 1, NULL,
	    12, NULL, EX_UNAVAILABLE, "issuer is unknown", 0 },
	{ "expired", "NORMAL", "expired.pem", "localhost", NULL, 1, 1, NULL,
	    12, NULL, EX_UNAVAILABLE, "expired", 0 },
	{ "pin match", "NORMAL", "server.pem", "localhost", NULL, 1, 1, "OK",
	    12, NULL, 0, "TLS1.3", 0 },
	{ "pin mismatch", "NORMAL", "server.pem", "localhost", NULL, 1, 1,
	    WRONG_PIN, 12, NULL, EX_UNAVAILABLE,
	    "does not match tls_pin: it is sha256/", 0 },
	{ "second pin matches", "NORMAL", "server.pem", "localhost", NULL, 1,
	    1, WRONG_PIN ", OK", 12, NULL, 0, "TLS1.3", 0 },
	{ "bad pin syntax", "NORMAL", "server.pem", "localhost", NULL, 1, 1,
	    "md5/xyz", 12, NULL, EX_CONFIG, "tls_pin", 0 },
	{ "no verify, pin", "NORMAL", "server.pem", "wrong.example.invalid",
	    NULL, 0, 0, "OK", 12, NULL, -1, "TLS1.3", 0 },
	{ "no verify, wrong pin", "NORMAL", "server.pem", "localhost", NULL,
	    0, 0, WRONG_PIN, 12, NULL, EX_UNAVAILABLE, "match tls_pin", 0 },
	{ "TLS 1.2 server", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "server.pem",
	    "localhost", NULL, 1, 1, NULL, 12, NULL, 0, "TLS1.2", 0 },
	{ "TLS 1.2 server, 1.3 required", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
	    "server.pem", "localhost", NULL, 1, 1, NULL, 13, NULL,
	    EX_UNAVAILABLE, "may not offer TLS 1.3", 0 },
	{ "TLS 1.1 server", "NORMAL:-VERS-ALL:+VERS-TLS1.1", "server.pem",
	    "localhost", NULL, 1, 1, NULL, 12, NULL, EX_UNAVAILABLE,
	    "relay offers only TLS < 1.2", 0 },
	{ "TLS 1.1 server, priority asks for 1.1",
	    "NORMAL:-VERS-ALL:+VERS-TLS1.1", "server.pem", "localhost", NULL,
	    1, 1, NULL, 12, "NORMAL:+VERS-TLS1.1", EX_UNAVAILABLE,
	    "relay offers only TLS < 1.2", 0 },
	{ "bad priority", "NORMAL", "server.pem", "localhost", NULL, 1, 1,
	    NULL, 12, "NORMAL:+NOSUCHTHING", EX_CONFIG, "tls_priority", 0 },
	{ "plaintext server", NULL, "server.pem", "localhost", NULL, 1, 1,
	    NULL, 12, NULL, EX_PROTOCOL, "relay answered in plaintext on an "
	    "implicit-TLS port: set tls = starttls (port 587) or use port 465",
	    0 },
	{ "STARTTLS", "NORMAL", "server.pem", "localhost", NULL, 1, 1, "OK",
	    12, NULL, 0, "TLS1.3", 1 },
	{ "STARTTLS, plaintext answer", NULL, "server.pem", "localhost", NULL,
	    1, 1, NULL, 12, NULL, EX_PROTOCOL, "answered the TLS handshake "
	    "after STARTTLS in plaintext", 1 },
};

/* Send many lines and QUIT over TLS; the server reports the count. */
static void
tls_bulk(struct conn *c, const char *name)
{
	static char text[1001];
	char line[BOUNDS_REPLY_LINE], want[64];
	unsigned long total = 0;
	unsigned blocks, before = c->nflush;
	struct err e;
	size_t len;
	int i;

	memset(text, 'x', sizeof(text) - 3);
	memcpy(text + sizeof(text) - 3, "\r\n", 3);
	for (i = 0; i < 150; i++) {
		ck_assert_int_eq(conn_write(c, text, sizeof(text) - 1, &e), 0);
		total += sizeof(text) - 1;
	}
	ck_assert_int_eq(conn_write(c, "QUIT\r\n", 6, &e), 0);
	total += 6;
	ck_assert_msg(conn_flush(c, &e) == 0, "%s: %s", name, e.msg);
	blocks = (unsigned)((total + BOUNDS_IO_BLOCK - 1) / BOUNDS_IO_BLOCK);
	ck_assert_uint_eq(c->nflush - before, blocks);
	ck_assert_msg(conn_readline(c, line, sizeof(line), &len, 0, &e) == 0,
	    "%s: %s", name, e.msg);
	snprintf(want, sizeof(want), "221 %lu", total);
	ck_assert_str_eq(line, want);
}

static void
tls_check_ok(const struct tls_case *t, struct conn *c, const char *pin)
{
	char line[BOUNDS_REPLY_LINE];
	struct err e;
	size_t len;

	ck_assert_str_eq(c->tlsinfo.version, t->msg);
	/* The certificate's data are read at the handshake only for -v and
	 * tls_pin; otherwise on demand (--probe). */
	ck_assert_int_eq(c->tlsinfo.have_cert, c->trace != NULL);
	ck_assert_int_eq(conn_tls_certinfo(c), 0);
	ck_assert_int_eq(c->tlsinfo.have_cert, 1);
	ck_assert_str_eq(c->tlsinfo.spki_pin, pin);
	ck_assert_ptr_nonnull(strstr(c->tlsinfo.subject, "CN=localhost"));
	ck_assert_ptr_nonnull(strstr(c->tlsinfo.issuer, "relaymail test CA"));
	ck_assert_int_ge(c->tlsinfo.days_left, 28);
	ck_assert_int_le(c->tlsinfo.days_left, 30);
	ck_assert_uint_eq(strlen(c->tlsinfo.fingerprint), 95);
	ck_assert_ptr_nonnull(strstr(c->tlsinfo.cipher, t->msg));
	ck_assert_msg(conn_readline(c, line, sizeof(line), &len, 0, &e) == 0,
	    "%s: %s", t->name, e.msg);
	ck_assert_str_eq(line, "220 tls.example ESMTP");
	tls_bulk(c, t->name);
}

/* The plaintext part of RFC 3207 §4: greeting, STARTTLS, 220. */
static void
starttls(struct conn *c)
{
	char line[BOUNDS_REPLY_LINE];
	struct err e;
	size_t len;

	ck_assert_int_eq(conn_readline(c, line, sizeof(line), &len, 0, &e), 0);
	ck_assert_str_eq(line, "220 plain.example ESMTP");
	ck_assert_int_eq(conn_write(c, "STARTTLS\r\n", 10, &e), 0);
	ck_assert_int_eq(conn_flush(c, &e), 0);
	ck_assert_int_eq(conn_readline(c, line, sizeof(line), &len, 0, &e), 0);
	ck_assert_str_eq(line, "220 2.0.0 go ahead");
	ck_assert_uint_eq(conn_pending(c), 0);
}

START_TEST(test_tls)
{
	const struct tls_case *t = &tls_cases[_i];
	struct tls_params a;
	struct conn c;
	struct err e;
	char ca[128], pin[512], *tr = NULL, want[64];
	size_t trlen = 0;
	const char *ok;
	int lfd, port, rc;
	FILE *trace;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	tpath(ca, sizeof(ca), "ca.pem");
	a.ca_file = t->ca ? ca : NULL;
	a.verify = t->verify;
	a.min_version = t->min;
	a.server_name = (char *)t->server_name;
	a.priority = (char *)t->priority;
	if (t->pin != NULL) {
		ok = strstr(t->pin, "OK");
		snprintf(pin, sizeof(pin), "%.*s%s", ok != NULL ?
		    (int)(ok - t->pin) : (int)strlen(t->pin), t->pin,
		    ok != NULL ? pin_ok : "");
		a.pin = pin;
	}
	lfd = listener(strchr(t->host, ':') ? AF_INET6 : AF_INET,
	    strchr(t->host, ':') ? "::1" : "127.0.0.1", &port);
	if ((pid = fork()) == 0) {
		signal(SIGTERM, SIG_DFL);
		tls_serve(lfd, t->prio, t->cert,
		    t->starttls ? SERVE_STARTTLS : 0);
	}
	ck_assert_int_ge(pid, 0);
	close(lfd);
	/* "no verify": connect by address, the name is only for SNI */
	trace = open_memstream(&tr, &trlen);
	ck_assert_ptr_nonnull(trace);
	ck_assert_int_eq(conn_open(&c, t->code == -1 ? "127.0.0.1" : t->host,
	    port, 5000, 0, trace, &e), 0);
	if (t->code == -1)
		a.server_name = (char *)t->host;
	if (t->starttls)
		starttls(&c);
	err_clear(&e);
	rc = conn_tls_start(&c, &a, t->starttls, &e);
	if (t->code <= 0) {
		ck_assert_msg(rc == 0, "%s: %s", t->name, e.msg);
		tls_check_ok(t, &c, pin_ok);
		/* the TLS parameters are noted, the SMTP lines are not */
		fflush(trace);
		snprintf(want, sizeof(want), "=== %s ", t->msg);
		ck_assert_ptr_nonnull(strstr(tr, want));
		ck_assert_ptr_nonnull(strstr(tr, pin_ok));
		ck_assert_ptr_null(strstr(tr, "220 tls.example"));
		ck_assert_ptr_null(strstr(tr, "QUIT"));
	} else {
		ck_assert_msg(rc == -1 && e.code == t->code, "%s: %d %s",
		    t->name, e.code, e.msg);
		ck_assert_msg(strstr(e.msg, t->msg) != NULL, "%s: %s",
		    t->name, e.msg);
		ck_assert_ptr_null(c.tls);
	}
	conn_close(&c);
	fclose(trace);
	free(tr);
	reap(pid);
}
END_TEST

/* A client certificate from tls_cert_file/tls_key_file is presented. */
START_TEST(test_tls_client_cert)
{
	static const struct tls_case t = { "client certificate", "NORMAL",
	    "server.pem", "localhost", NULL, 1, 1, NULL, 12, NULL, 0, "TLS1.3",
	    0 };
	char ca[128], crt[128], key[128];
	struct tls_params a;
	struct conn c;
	struct err e;
	int lfd, port;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	tpath(ca, sizeof(ca), "ca.pem");
	tpath(crt, sizeof(crt), "server.pem");
	tpath(key, sizeof(key), "key.pem");
	a.ca_file = ca;
	a.verify = 1;
	a.min_version = 12;
	a.cert_file = crt;
	a.key_file = key;
	lfd = listener(AF_INET, "127.0.0.1", &port);
	if ((pid = fork()) == 0)
		tls_serve(lfd, t.prio, t.cert, SERVE_CLIENT);
	close(lfd);
	ck_assert_int_eq(conn_open(&c, "localhost", port, 5000, 0, NULL, &e),
	    0);
	ck_assert_msg(conn_tls_start(&c, &a, 0, &e) == 0, "%s", e.msg);
	tls_check_ok(&t, &c, pin_ok);
	conn_close(&c);
	reap(pid);
}
END_TEST

/* A relay that accepts the connection but never answers the ClientHello:
 * the handshake ends at the conn's timeout. A missing key file is a
 * configuration error. */
START_TEST(test_tls_stall)
{
	struct tls_params a;
	struct conn c;
	struct err e;
	long long start;
	int lfd, port;

	memset(&a, 0, sizeof(a));
	a.verify = 0;
	a.min_version = 12;
	lfd = listener(AF_INET, "127.0.0.1", &port);
	ck_assert_int_eq(conn_open(&c, "127.0.0.1", port, 300, 0, NULL, &e),
	    0);
	start = deadline_now_ms();
	ck_assert_int_eq(conn_tls_start(&c, &a, 0, &e), -1);
	ck_assert_int_eq(e.code, EX_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(e.msg, "timed out after 0.3 s"));
	ck_assert_int_lt(deadline_now_ms() - start, 800);
	conn_close(&c);

	a.cert_file = (char *)"/nonexistent/cert.pem";
	ck_assert_int_eq(conn_open(&c, "127.0.0.1", port, 300, 0, NULL, &e),
	    0);
	ck_assert_int_eq(conn_tls_start(&c, &a, 0, &e), -1);
	ck_assert_int_eq(e.code, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "tls_cert_file"));
	conn_close(&c);
	close(lfd);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc;

	tc = tcase_create("io");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_readline, 0, NELEM(rl_cases));
	tcase_add_test(tc, test_readline_buffer_wrap);
	tcase_add_loop_test(tc, test_write_buffering, 0, NELEM(wr_cases));
	tcase_add_test(tc, test_write_after_peer_close);
	tcase_add_test(tc, test_starttls_pending);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_open, 0, NELEM(open_cases));
	tcase_add_loop_test(tc, test_open_hang, 0, NELEM(hang_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, tls_setup, tls_teardown);
	tcase_add_loop_test(tc, test_tls, 0, NELEM(tls_cases));
	tcase_add_test(tc, test_tls_client_cert);
	tcase_add_test(tc, test_tls_stall);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
