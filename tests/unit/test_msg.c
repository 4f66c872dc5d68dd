/*
 * test_msg.c - msg_read canonicalisation (CRLF, bare CR, NUL, From_,
 * lone dot, header section), msg_emit dot-stuffing and blocking, and the
 * spool spilling to a file, with input fed through a pipe or a
 * SOCK_SEQPACKET socket (each write arrives as exactly one read, so the
 * block boundaries fall exactly where the chunk size puts them).
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "unit.h"

struct sink {
	char	*buf;
	size_t	 len, cap;
	size_t	 calls, small;	/* writes below BOUNDS_IO_BLOCK */
	size_t	 lastlen;
};

static int
sink_write(void *ctx, const void *p, size_t n, struct err *e)
{
	struct sink *s = ctx;

	(void)e;
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
		ck_assert_ptr_nonnull(s->buf);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	s->calls++;
	if (n < BOUNDS_IO_BLOCK)
		s->small++;
	s->lastlen = n;
	return 0;
}

/* A child writes in in chunks of chunk octets; returns the read end. */
static int
feed(const char *in, size_t len, size_t chunk, int seqpacket, pid_t *pid)
{
	int fds[2];
	size_t o, k;

	if (seqpacket)
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds),
		    0);
	else
		ck_assert_int_eq(pipe(fds), 0);
	*pid = fork();
	ck_assert_int_ne(*pid, -1);
	if (*pid == 0) {
		close(fds[0]);
		for (o = 0; o < len; o += k) {
			k = len - o < chunk ? len - o : chunk;
			if (write(fds[1], in + o, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

static void
reap(int fd, pid_t pid)
{
	char drain[4096];
	int st;

	while (read(fd, drain, sizeof(drain)) > 0)
		;			/* after a lone dot the rest is unread */
	close(fd);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

#define NUL_IN "Subj\0ect: a\0b\n\nc\0d\r\0\ne\n"

static const struct {
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	int		 flags;
	const char	*want;		/* msg_emit(DOTSTUFF) output */
	size_t		 nhdrs;
	int		 sep, bare_cr;
	size_t		 nul;
} tab[] = {
	/* LF input, dot-stuffing, unterminated last line */
	{ "Subject: hi\nTo: a@x\n\nline1\n.dot\n..two\nlast", 0, 0,
	  "Subject: hi\r\nTo: a@x\r\n\r\nline1\r\n..dot\r\n...two\r\nlast\r\n",
	  2, 1, 0, 0 },
	/* CRLF input is kept */
	{ "Subject: hi\r\n\r\na\r\n.\r\nb\r\n", 0, 0,
	  "Subject: hi\r\n\r\na\r\n..\r\nb\r\n", 1, 1, 0, 0 },
	/* the lone-dot rule */
	{ "Subject: a\n\nbody\n.\nafter\n", 0, MSG_DOT_ENDS,
	  "Subject: a\r\n\r\nbody\r\n", 1, 1, 0, 0 },
	{ "Subject: a\r\n\r\nbody\r\n.\r\nafter\r\n", 0, MSG_DOT_ENDS,
	  "Subject: a\r\n\r\nbody\r\n", 1, 1, 0, 0 },
	{ "Subject: a\n\n.x\n. \n..\n", 0, MSG_DOT_ENDS,
	  "Subject: a\r\n\r\n..x\r\n.. \r\n...\r\n", 1, 1, 0, 0 },
	{ "Subject: a\n\nbody\n.", 0, MSG_DOT_ENDS,
	  "Subject: a\r\n\r\nbody\r\n", 1, 1, 0, 0 },
	/* a lone dot in the header section ends input too */
	{ "Subject: a\n.\nTo: b\n", 0, MSG_DOT_ENDS,
	  "Subject: a\r\n\r\n", 1, 0, 0, 0 },
	/* smuggling: bare CR never forms a line ending */
	{ "Subject: a\n\nab\rcd\r\n", 0, 0,
	  "Subject: a\r\n\r\nab cd\r\n", 1, 1, 1, 0 },
	{ "Subject: a\n\nx\r.\r\nQUIT\r\n", 0, MSG_DOT_ENDS,
	  "Subject: a\r\n\r\nx .\r\nQUIT\r\n", 1, 1, 1, 0 },
	{ "Subject: a\n\nx\n.\rMAIL\r\n", 0, MSG_DOT_ENDS,
	  "Subject: a\r\n\r\nx\r\n.. MAIL\r\n", 1, 1, 1, 0 },
	{ "Subject: a\n\nx\r\r\ny\r", 0, 0,
	  "Subject: a\r\n\r\nx \r\ny \r\n", 1, 1, 1, 0 },
	/* NUL removed and counted; CR NUL LF is still a line ending */
	{ NUL_IN, sizeof(NUL_IN) - 1, 0,
	  "Subject: ab\r\n\r\ncd\r\ne\r\n", 1, 1, 0, 4 },
	/* mbox From_ line dropped, only first */
	{ "From alice@x Mon Jan  1 00:00:00 2024\nSubject: a\n\nb\n", 0, 0,
	  "Subject: a\r\n\r\nb\r\n", 1, 1, 0, 0 },
	{ "Subject: a\nFrom x\n\n", 0, 0,
	  "Subject: a\r\n\r\nFrom x\r\n\r\n", 1, 0, 0, 0 },
	/* MSG_RAW: no From_ dropping and no lone-dot rule */
	{ "From x\r\n.\r\n", 0, MSG_RAW | MSG_DOT_ENDS,
	  "\r\nFrom x\r\n..\r\n", 0, 0, 0, 0 },
	/* no header section: everything is body */
	{ "hello world\nmore\n", 0, 0,
	  "\r\nhello world\r\nmore\r\n", 0, 0, 0, 0 },
	{ " indented\n", 0, 0, "\r\n indented\r\n", 0, 0, 0, 0 },
	{ "", 0, 0, "\r\n", 0, 0, 0, 0 },
	{ "\nbody\n", 0, 0, "\r\nbody\r\n", 0, 1, 0, 0 },
	/* folding kept; "Name :" form; body starting without separator */
	{ "Subject: a\n b\n\tc\nTo : x\n\nbody", 0, 0,
	  "Subject: a\r\n b\r\n\tc\r\nTo: x\r\n\r\nbody\r\n", 2, 1, 0, 0 },
	{ "Subject: a\nthis is body\n", 0, 0,
	  "Subject: a\r\n\r\nthis is body\r\n", 1, 0, 0, 0 },
	{ "Subject: a", 0, 0, "Subject: a\r\n\r\n", 1, 0, 0, 0 },
	/* a field name starting with "." is stuffed too */
	{ ".odd: x\n\n", 0, 0, "..odd: x\r\n\r\n", 1, 1, 0, 0 },
};

/* Undo RFC 5321 §4.5.2 stuffing: the reference for unstuffed output. */
static char *
unstuff(const char *w)
{
	char *out = malloc(strlen(w) + 1), *o = out;
	int bol = 1;

	for (; *w != '\0'; w++) {
		if (bol && *w == '.')
			w++;
		bol = *w == '\n';
		*o++ = *w;
	}
	*o = '\0';
	return out;
}

/* Chunk sizes: 1-byte writes and sizes that split CRLF, ".\r\n" etc. */
static const size_t chunks[] = { 1, 2, 3, 5, 7, 65536 };
#define NCHUNK NELEM(chunks)

static void
check_case(size_t t, size_t chunk, int seqpacket)
{
	const char *in = tab[t].in;
	size_t len = tab[t].inlen ? tab[t].inlen : strlen(in);
	struct sink s = { 0 }, s0 = { 0 };
	char *unstuffed;
	struct msg m;
	struct err e;
	pid_t pid;
	int fd;

	msg_init(&m);
	fd = feed(in, len, chunk, seqpacket, &pid);
	ck_assert_msg(msg_read(&m, fd, tab[t].flags, &e) == 0, "%s", e.msg);
	reap(fd, pid);
	ck_assert_int_eq(msg_emit(&m, MSG_EMIT_DOTSTUFF, sink_write, &s, &e),
	    0);
	ck_assert_msg(s.len == strlen(tab[t].want) &&
	    memcmp(s.buf, tab[t].want, s.len) == 0,
	    "case %zu chunk %zu: got \"%.*s\"", t, chunk, (int)s.len, s.buf);
	ck_assert_uint_eq(m.hdrs.n, tab[t].nhdrs);
	ck_assert_int_eq(m.has_body_sep, tab[t].sep);
	ck_assert_int_eq(m.bare_cr, tab[t].bare_cr);
	ck_assert_uint_eq(m.nul_removed, tab[t].nul);
	/* without stuffing: the canonical message, msg_size octets */
	ck_assert_int_eq(msg_emit(&m, 0, sink_write, &s0, &e), 0);
	unstuffed = unstuff(tab[t].want);
	ck_assert_str_eq(s0.buf, unstuffed);
	ck_assert_int_eq(msg_size(&m), (off_t)s0.len);
	free(unstuffed);
	free(s.buf);
	free(s0.buf);
	msg_free(&m);
}

START_TEST(test_table_seqpacket)
{
	check_case((size_t)_i / NCHUNK, chunks[_i % NCHUNK], 1);
}
END_TEST

START_TEST(test_table_pipe)
{
	check_case((size_t)_i / NCHUNK, chunks[_i % NCHUNK], 0);
}
END_TEST

/* The same input in pieces through msg_reader_feed (the -bs path): the
 * same message as msg_read makes of it. */
START_TEST(test_table_pieces)
{
	size_t t = (size_t)_i / NCHUNK, chunk = chunks[_i % NCHUNK];
	const char *in = tab[t].in;
	size_t len = tab[t].inlen ? tab[t].inlen : strlen(in), off, n;
	struct sink s = { 0 };
	struct msg_reader *mr;
	struct msg m;
	struct err e;

	msg_init(&m);
	ck_assert_int_eq(msg_reader_new(&mr, &m, tab[t].flags, &e), 0);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		ck_assert_int_eq(msg_reader_feed(mr, in + off, n, &e), 0);
	}
	ck_assert_int_eq(msg_reader_end(mr, &e), 0);
	msg_reader_free(mr);
	ck_assert_int_eq(msg_emit(&m, MSG_EMIT_DOTSTUFF, sink_write, &s, &e),
	    0);
	ck_assert_msg(s.len == strlen(tab[t].want) &&
	    memcmp(s.buf, tab[t].want, s.len) == 0,
	    "case %zu chunk %zu: got \"%.*s\"", t, chunk, (int)s.len, s.buf);
	ck_assert_uint_eq(m.hdrs.n, tab[t].nhdrs);
	ck_assert_uint_eq(m.nul_removed, tab[t].nul);
	free(s.buf);
	msg_free(&m);
}
END_TEST

/* msg_size is the undotstuffed size; emit twice gives the same bytes. */
START_TEST(test_size_and_reemit)
{
	const char *in = "Subject: a\n\n.a\n.b\n";
	const char *plain = "Subject: a\r\n\r\n.a\r\n.b\r\n";
	struct sink s1 = { 0 }, s2 = { 0 };
	struct msg m;
	struct err e;
	pid_t pid;
	int fd;

	msg_init(&m);
	fd = feed(in, strlen(in), 4, 0, &pid);
	ck_assert_int_eq(msg_read(&m, fd, 0, &e), 0);
	reap(fd, pid);
	ck_assert_int_eq(msg_emit(&m, 0, sink_write, &s1, &e), 0);
	ck_assert_int_eq(msg_emit(&m, 0, sink_write, &s2, &e), 0);
	ck_assert_uint_eq(s1.len, strlen(plain));
	ck_assert(memcmp(s1.buf, plain, s1.len) == 0);
	ck_assert(s2.len == s1.len && memcmp(s1.buf, s2.buf, s1.len) == 0);
	ck_assert_int_eq(msg_size(&m), (off_t)strlen(plain));
	free(s1.buf);
	free(s2.buf);
	msg_free(&m);
}
END_TEST

static const struct {
	const char *in;
	int eightbit;
	size_t longest;
} attr_tab[] = {
	{ "Subject: a\n\nabc\n", 0, 10 },
	{ "Subject: caf\xc3\xa9\n\nx\n", 1, 14 },
	{ "S: a\n\n\xff\n", 1, 4 },
	{ "S: a\r\n\r\n0123456789012345\r\n", 0, 16 },
};

START_TEST(test_attrs)
{
	struct msg m;
	struct err e;
	pid_t pid;
	int fd;

	msg_init(&m);
	fd = feed(attr_tab[_i].in, strlen(attr_tab[_i].in), 3, 1, &pid);
	ck_assert_int_eq(msg_read(&m, fd, 0, &e), 0);
	reap(fd, pid);
	ck_assert_int_eq(m.eightbit, attr_tab[_i].eightbit);
	ck_assert_uint_eq(m.longest_line, attr_tab[_i].longest);
	msg_free(&m);
}
END_TEST

/* A header field over BOUNDS_HEADER is an error, never truncated. */
START_TEST(test_header_too_long)
{
	size_t len = BOUNDS_HEADER + 100, i;
	char *in = malloc(len + 1);
	struct msg m;
	struct err e;
	pid_t pid;
	int fd;

	memcpy(in, "Subject: ", 9);
	for (i = 9; i < len; i++)
		in[i] = (i % 70 == 0) ? '\n' : (i % 70 == 1 ? ' ' : 'x');
	msg_init(&m);
	fd = feed(in, len, 65536, 0, &pid);
	ck_assert_int_eq(msg_read(&m, fd, 0, &e), -1);
	ck_assert_int_eq(e.code, EX_DATAERR);
	reap(fd, pid);
	msg_free(&m);
	free(in);
}
END_TEST

/*
 * A multi-MB message: every body line starts with "." and is 64 octets
 * in canonical form, so each 64 KiB spool block starts with a dot that
 * must be stuffed; the input arrives in odd chunk sizes; the body spills
 * to the temporary file; every write but the last is a full block.
 */
START_TEST(test_big_spill)
{
	const size_t nlines = 50000;	/* 3.2 MB */
	const char *hdr = "Subject: big\n\n";
	size_t inlen = strlen(hdr) + nlines * 63, i, o;
	char *in = malloc(inlen), *want;
	size_t wantlen = strlen(hdr) + 2 + nlines * 65;
	struct sink s = { 0 };
	struct msg m;
	struct err e;
	pid_t pid;
	int fd;

	want = malloc(wantlen);
	memcpy(in, hdr, strlen(hdr));
	memcpy(want, "Subject: big\r\n\r\n", 16);
	for (i = 0, o = strlen(hdr); i < nlines; i++, o += 63) {
		memset(in + o, 'a' + (int)(i % 26), 62);
		in[o] = '.';
		in[o + 62] = '\n';
		memcpy(want + 16 + i * 65 + 1, in + o, 62);
		want[16 + i * 65] = '.';
		memcpy(want + 16 + i * 65 + 63, "\r\n", 2);
	}
	msg_init(&m);
	fd = feed(in, inlen, 4093, 0, &pid);
	ck_assert_msg(msg_read(&m, fd, MSG_DOT_ENDS, &e) == 0, "%s", e.msg);
	reap(fd, pid);
	ck_assert_int_ne(m.body.fd, -1);
	ck_assert_uint_le(m.body.memcap, BOUNDS_SPOOL_MEM);
	ck_assert_int_eq(m.body.len, (off_t)(nlines * 64));
	ck_assert_int_eq(msg_emit(&m, MSG_EMIT_DOTSTUFF, sink_write, &s, &e),
	    0);
	ck_assert_uint_eq(s.len, wantlen);
	ck_assert(memcmp(s.buf, want, wantlen) == 0);
	/* large blocks only: at most the last write is short */
	ck_assert_uint_le(s.small, 1);
	ck_assert_uint_lt(s.calls, wantlen / BOUNDS_IO_BLOCK + 2);
	free(s.buf);
	free(in);
	free(want);
	msg_free(&m);
}
END_TEST

/* The spool primitives on their own, across the memory/file border. */
START_TEST(test_spool)
{
	static char buf[BOUNDS_SPOOL_MEM + 5000], back[sizeof(buf)];
	struct spool sp;
	struct err e;
	size_t i, got = 0;
	ssize_t n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	spool_init(&sp);
	ck_assert_int_eq(spool_write(&sp, buf, 1000, &e), 0);
	ck_assert_int_eq(spool_write(&sp, buf + 1000, sizeof(buf) - 1000, &e),
	    0);
	ck_assert_uint_eq(sp.memlen, BOUNDS_SPOOL_MEM);
	ck_assert_int_ne(sp.fd, -1);
	ck_assert_int_eq(spool_rewind(&sp, &e), 0);
	while ((n = spool_read(&sp, back + got, 3000, &e)) > 0)
		got += (size_t)n;
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(got, sizeof(buf));
	ck_assert(memcmp(buf, back, sizeof(buf)) == 0);
	spool_free(&sp);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_table_seqpacket, 0,
	    (int)(NELEM(tab) * NCHUNK));
	tcase_add_loop_test(tc, test_table_pipe, 0, (int)(NELEM(tab) * NCHUNK));
	tcase_add_loop_test(tc, test_table_pieces, 0,
	    (int)(NELEM(tab) * NCHUNK));
	tcase_add_test(tc, test_size_and_reemit);
	tcase_add_loop_test(tc, test_attrs, 0, NELEM(attr_tab));
	tcase_add_test(tc, test_header_too_long);
	tcase_add_test(tc, test_big_spill);
	tcase_add_test(tc, test_spool);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
