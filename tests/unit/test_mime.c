/*
 * test_mime.c - quoted-printable encoding (qp.c), the Content-Type and
 * folding helpers (mime_ct.c), and the decisions and output of the
 * structure scan (mime.c, mime_emit.c): message text and what the relay
 * offers -> the exact octets msg_emit writes, or the refusal.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mime_int.h"
#include "qp.h"
#include "unit.h"

struct sink {
	char	*buf;
	size_t	 len, cap;
};

static int
sink_write(void *ctx, const void *p, size_t n, struct err *e)
{
	struct sink *s = ctx;

	(void)e;
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		ck_assert_ptr_nonnull(s->buf = realloc(s->buf, s->cap));
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ qp */

static const struct {
	const char	*in, *want;
} qp_tab[] = {
	{ "", "" },
	{ "abc\r\n", "abc\r\n" },
	{ "a=b\r\n", "a=3Db\r\n" },
	{ "trailing \r\n", "trailing=20\r\n" },
	{ "tab\t\r\nx", "tab=09\r\nx" },
	{ "two  \r\n", "two=20=20\r\n" },
	{ "mid dle\r\n", "mid dle\r\n" },
	{ "end ", "end=20" },
	{ "\xc3\xa9t\xc3\xa9\r\n", "=C3=A9t=C3=A9\r\n" },
	{ "bare\rcr", "bare=0Dcr" },
	{ "last\r", "last=0D" },
	{ "\r\r\n", "=0D\r\n" },
	{ ".\r\n", ".\r\n" },		/* dot-stuffing is not QP's */
	{ "\x7f\x01~!\r\n", "=7F=01~!\r\n" },
	/* 75 characters fit on a line; the 76th goes after a soft break */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaa\r\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaa\r\n" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaab\r\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaa=\r\nb\r\n" },
	/* an =XX is never split: 73 + 3 > 75 */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa=\r\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa=\r\n=3D\r\n" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaa=\r\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaa=3D\r\n" },
	/* a blank at the end of a full line is encoded on the next one */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaa \r\n",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaa=\r\n=20\r\n" },
};

static void
qp_run(const char *in, size_t n, size_t piece, struct sink *s)
{
	struct qp q;
	struct err e;
	size_t i, k;

	qp_init(&q, sink_write, s);
	for (i = 0; i < n; i += k) {
		k = n - i < piece ? n - i : piece;
		ck_assert_int_eq(qp_put(&q, in + i, k, &e), 0);
	}
	ck_assert_int_eq(qp_finish(&q, &e), 0);
}

/* Each row fed whole and one octet at a time (state across calls). */
START_TEST(test_qp_table)
{
	size_t piece = _i % 2 ? 1 : 1000;
	struct sink s = { NULL, 0, 0 };

	qp_run(qp_tab[_i / 2].in, strlen(qp_tab[_i / 2].in), piece, &s);
	ck_assert_str_eq(s.buf != NULL ? s.buf : "", qp_tab[_i / 2].want);
	free(s.buf);
}
END_TEST

static int
hexv(char c)
{
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - '0';
}

/* A strict decoder: fails the test on anything RFC 2045 §6.7 forbids
 * (a line over 76, a blank at a line end, lower-case or bad hex). */
static size_t
qp_decode(const char *p, size_t n, char *out)
{
	size_t i, o = 0, col = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			ck_assert(i + 1 < n && p[i + 1] == '\n');
			ck_assert(i == 0 || (p[i - 1] != ' ' &&
			    p[i - 1] != '\t'));
			out[o++] = '\r';
			out[o++] = '\n';
			i++;
			col = 0;
			continue;
		}
		ck_assert_uint_lt(++col, QP_LINE + 1);
		if (p[i] != '=') {
			ck_assert(((unsigned char)p[i] >= 32 &&
			    (unsigned char)p[i] < 127) || p[i] == '\t');
			out[o++] = p[i];
			continue;
		}
		ck_assert_uint_lt(i + 2, n + (p[i + 1] == '\r'));
		if (p[i + 1] == '\r') {		/* soft break */
			ck_assert(p[i + 2] == '\n');
			i += 2;
			col = 0;
			continue;
		}
		ck_assert(strchr("0123456789ABCDEF", p[i + 1]) != NULL &&
		    strchr("0123456789ABCDEF", p[i + 2]) != NULL);
		out[o++] = (char)(hexv(p[i + 1]) * 16 + hexv(p[i + 2]));
		i += 2;
		col += 2;
	}
	if (n > 0)
		ck_assert(p[n - 1] != ' ' && p[n - 1] != '\t');
	return o;
}

/* Random text (CRLF lines, blanks, 8-bit, "=") round-trips. */
START_TEST(test_qp_roundtrip)
{
	static char in[20000], back[20000];
	struct sink s = { NULL, 0, 0 };
	const char alpha[] = "ab =\t\xe9\xff.";
	size_t i, n = 0, got;
	unsigned seed = (unsigned)_i * 2654435761u + 1;

	while (n < sizeof(in) - 2) {
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 40 == 0) {
			in[n++] = '\r';
			in[n++] = '\n';
		} else
			in[n++] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
	}
	for (i = 1; i <= 7; i += 3) {
		s.len = 0;
		qp_run(in, n, i * 97, &s);
		got = qp_decode(s.buf, s.len, back);
		ck_assert_uint_eq(got, n);
		ck_assert(memcmp(in, back, n) == 0);
	}
	free(s.buf);
}
END_TEST

/* A long run of blanks: only the held ones at the end are encoded. */
START_TEST(test_qp_blank_run)
{
	static char in[300], back[300];
	struct sink s = { NULL, 0, 0 };

	memset(in, ' ', 200);
	memcpy(in + 200, "\r\n", 2);
	qp_run(in, 202, 7, &s);
	ck_assert_uint_eq(qp_decode(s.buf, s.len, back), 202);
	ck_assert(memcmp(in, back, 202) == 0);
	ck_assert_ptr_nonnull(strstr(s.buf, "=20=20"));
	free(s.buf);
}
END_TEST

/* -------------------------------------------------------- Content-Type */

static const struct {
	const char	*in;
	int		 rc;
	const char	*type, *subtype, *boundary;
	int		 has_b, bad_b, charset;
} ct_tab[] = {
	{ "text/plain", 0, "text", "plain", "", 0, 0, 0 },
	{ " Text/HTML; Charset=UTF-8 (c)", 0, "text", "html", "", 0, 0, 1 },
	{ "multipart/mixed; boundary=\"=_a b\"", 0, "multipart", "mixed",
	  "=_a b", 1, 0, 0 },
	{ "multipart/alternative;\r\n\tboundary=xyz;charset=x", 0,
	  "multipart", "alternative", "xyz", 1, 0, 1 },
	{ "multipart/mixed (a comment) ; (b) boundary = \"q\\\"x\"", 0,
	  "multipart", "mixed", "q\"x", 1, 0, 0 },
	{ "multipart/mixed; boundary=\"\"", 0, "multipart", "mixed", "", 1,
	  1, 0 },
	{ "multipart/mixed; boundary=0123456789012345678901234567890123456789"
	  "012345678901234567890123456789X", 0, "multipart", "mixed", NULL, 1,
	  1, 0 },
	{ "text/plain; charset*=utf-8''x", 0, "text", "plain", "", 0, 0, 1 },
	{ "text", -1, "text", "", "", 0, 0, 0 },
	{ "", -1, "", "", "", 0, 0, 0 },
};

START_TEST(test_ct_table)
{
	struct mime_ct ct;

	ck_assert_int_eq(mime_ct_parse(ct_tab[_i].in, strlen(ct_tab[_i].in),
	    &ct), ct_tab[_i].rc);
	if (ct_tab[_i].rc == -1)
		return;
	ck_assert_str_eq(ct.type, ct_tab[_i].type);
	ck_assert_str_eq(ct.subtype, ct_tab[_i].subtype);
	ck_assert_int_eq(ct.has_boundary, ct_tab[_i].has_b);
	ck_assert_int_eq(ct.boundary_bad, ct_tab[_i].bad_b);
	ck_assert_int_eq(ct.has_charset, ct_tab[_i].charset);
	if (ct_tab[_i].boundary != NULL)
		ck_assert_str_eq(ct.boundary, ct_tab[_i].boundary);
}
END_TEST

START_TEST(test_cte)
{
	ck_assert_int_eq(mime_cte_parse(" 8BIT", 5), CTE_IDENTITY);
	ck_assert_int_eq(mime_cte_parse("binary", 6), CTE_IDENTITY);
	ck_assert_int_eq(mime_cte_parse("7bit (c)", 8), CTE_IDENTITY);
	ck_assert_int_eq(mime_cte_parse("Quoted-Printable", 16), CTE_QP);
	ck_assert_int_eq(mime_cte_parse("base64", 6), CTE_BASE64);
	ck_assert_int_eq(mime_cte_parse("x-uuencode", 10), CTE_OTHER);
	ck_assert_int_eq(mime_cte_parse("", 0), CTE_NONE);
}
END_TEST

/* Folding: lines of at most 998, the same text once unfolded. */
START_TEST(test_fold)
{
	static char line[5000];
	struct sink s = { NULL, 0, 0 };
	struct err e;
	char *u, *p, *cr;
	size_t i;

	for (i = 0; i < sizeof(line); i++)
		line[i] = i % 7 == 6 ? ' ' : 'w';
	memcpy(line, "Subject:", 8);
	ck_assert_int_eq(mime_fold_line(line, sizeof(line), sink_write, &s,
	    &e), 0);
	for (p = s.buf; (cr = strstr(p, "\r\n")) != NULL; p = cr + 2) {
		ck_assert_uint_le((size_t)(cr - p), BOUNDS_LINE);
		ck_assert(cr[2] == ' ');	/* the folding blank */
	}
	ck_assert_uint_le(strlen(p), BOUNDS_LINE);
	u = mime_unfold(s.buf, s.len);
	ck_assert_uint_eq(strlen(u), sizeof(line));
	ck_assert(memcmp(u, line, sizeof(line)) == 0);
	free(u);
	free(s.buf);
	/* no blank, or blanks only at the start: cannot be folded */
	memset(line, 'x', sizeof(line));
	ck_assert_int_eq(mime_fold_line(line, 1200, NULL, NULL, &e), -1);
	ck_assert_int_eq(e.code, EX_DATAERR);
	memset(line, ' ', 10);
	ck_assert_int_eq(mime_fold_line(line, 1200, NULL, NULL, &e), -1);
	/* a short line passes as it is */
	ck_assert_int_eq(mime_fold_line(line, 998, NULL, NULL, &e), 0);
}
END_TEST

/* ----------------------------------------------------------- decisions */

/*
 * In the tables "@L" stands for a line of 1000 "A"s and "@Q" for its
 * quoted-printable form, "@S" for 1000 blanks; "\n" is written as "\r\n" before comparing.
 */
static char *
expand(const char *t, int crlf)
{
	struct sink s = { NULL, 0, 0 };
	struct err e;
	char a[1000], q[1100];
	size_t i, qn = 0;

	memset(a, 'A', sizeof(a));
	for (i = 0; i < 13; i++) {
		memset(q + qn, 'A', 75);
		memcpy(q + qn + 75, "=\r\n", 3);
		qn += 78;
	}
	memset(q + qn, 'A', 25);
	qn += 25;
	sink_write(&s, "", 0, &e);
	for (; *t != '\0'; t++) {
		if (t[0] == '@' && t[1] == 'L')
			sink_write(&s, a, sizeof(a), &e), t++;
		else if (t[0] == '@' && t[1] == 'Q')
			sink_write(&s, q, qn, &e), t++;
		else if (t[0] == '@' && t[1] == 'S') {
			memset(a, ' ', sizeof(a));
			sink_write(&s, a, sizeof(a), &e), t++;
			memset(a, 'A', sizeof(a));
		}
		else if (*t == '\n' && crlf)
			sink_write(&s, "\r\n", 2, &e);
		else
			sink_write(&s, t, 1, &e);
	}
	return s.buf;
}

static void
load(struct msg *m, const char *text)
{
	struct err e;
	int fd = memfd_create("msg", 0);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	msg_init(m);
	ck_assert_msg(msg_read(m, fd, 0, &e) == 0, "%s", e.msg);
	close(fd);
}

#define MP	"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
#define SIG	"Content-Type: multipart/signed; boundary=s\n\n"
#define CTE_QPH	"Content-Transfer-Encoding: quoted-printable\n"

static const struct {
	const char	*in;
	int		 eightbitmime, smtputf8;
	int		 check;		/* 0, or the code mime_check fails with */
	int		 prep;		/* same for mime_prepare */
	const char	*want;		/* output, or a part of the error */
} tab[] = {
	/* nothing to do: as is */
	{ "Subject: s\n\nplain\n", 0, 0, 0, 0, "Subject: s\n\nplain\n" },
	{ "Subject: s\n\ncaf\xc3\xa9\n", 1, 0, 0, 0,
	  "Subject: s\n\ncaf\xc3\xa9\n" },
	/* single part */
	{ "Subject: s\n\nx\n@L\n", 1, 0, 0, 0,
	  "Subject: s\nMIME-Version: 1.0\n" CTE_QPH "\nx\n@Q\n" },
	{ "Subject: s\n\ncaf\xc3\xa9\n", 0, 0, 0, 0,
	  "Subject: s\nMIME-Version: 1.0\nContent-Type: text/plain; "
	  "charset=utf-8\n" CTE_QPH "\ncaf=C3=A9\n" },
	{ "Subject: s\nContent-Type: text/plain\nContent-Transfer-Encoding: "
	  "8bit\nMIME-Version: 1.0\n\n\xe9\n", 0, 0, 0, 0,
	  "Subject: s\nContent-Type: text/plain; charset=unknown-8bit\n"
	  "MIME-Version: 1.0\n" CTE_QPH "\n=E9\n" },
	{ "Content-Type: text/html; charset=koi8-r\n\n\xe9\n", 0, 0, 0, 0,
	  "Content-Type: text/html; charset=koi8-r\nMIME-Version: 1.0\n"
	  CTE_QPH "\n=E9\n" },
	{ "Content-Type: application/x-thing\n\n\xe9\n", 0, 0, 0, 0,
	  "Content-Type: application/x-thing\nMIME-Version: 1.0\n" CTE_QPH
	  "\n=E9\n" },
	{ CTE_QPH "\n@L\n", 1, 0, EX_DATAERR, 0,
	  "body line 1: a line of 1000 octets" },
	{ "Content-Transfer-Encoding: base64\n\n\xe9\n", 0, 0, 0,
	  EX_DATAERR, "body line 1: 8-bit octets for a relay without 8BITMIME "
	  "(RFC 6152) in a part already declared base64" },
	{ "Content-Transfer-Encoding: x-uue\n\n@L\n", 1, 0, EX_DATAERR, 0,
	  "unknown Content-Transfer-Encoding" },
	{ "Content-Type: message/rfc822\n\nSubject: x\n\n@L\n", 1, 0,
	  EX_DATAERR, 0, "body line 3: a line of 1000 octets (at most 998, RFC "
	  "5322 §2.1.1) inside a message/" },
	/* multipart */
	{ MP "pre\n--b\n\nshort\n--b\nContent-Type: text/html\n\n@L\n--b--\n"
	  "post\n", 1, 0, 0, 0,
	  MP "pre\n--b\n\nshort\n--b\nContent-Type: text/html\n" CTE_QPH "\n"
	  "@Q\n--b--\npost\n" },
	{ MP "--b \nContent-Transfer-Encoding: 8bit\n\n\xe9\n--b--  \n", 0, 0,
	  0, 0, MP "--b \nContent-Type: text/plain; charset=unknown-8bit\n"
	  CTE_QPH "\n=E9\n--b--  \n" },
	{ MP "--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\n"
	  "@L\n--c\n\nok\n--b--\n", 1, 0, 0, 0,
	  MP "--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n"
	  CTE_QPH "\n@Q\n--c\n\nok\n--b--\n" },
	{ MP "@L\n--b\n\nx\n--b--\n", 1, 0, EX_DATAERR, 0,
	  "body line 1: a line of 1000 octets (at most 998, RFC 5322 §2.1.1) in "
	  "the preamble" },
	{ MP "--b\n\nx\n--b--\n\xe9\n", 0, 0, 0, EX_DATAERR,
	  "body line 5: 8-bit octets for a relay without 8BITMIME (RFC 6152) in "
	  "the epilogue" },
	{ MP "--b\n" SIG "--s\n\n@L\n--s--\n--b--\n", 1, 0, EX_DATAERR, 0,
	  "body line 6: a line of 1000 octets (at most 998, RFC 5322 §2.1.1) "
	  "inside multipart/signed" },
	{ MP "--b\n" SIG "--s\n\n\xe9\n--s--\n--b--\n", 1, 0, 0, 0,
	  MP "--b\n" SIG "--s\n\n\xe9\n--s--\n--b--\n" },
	{ MP "--b\n" SIG "--s\n\n\xe9\n--s--\n--b--\n", 0, 1, 0, EX_DATAERR,
	  "inside multipart/signed" },
	{ "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: x\n\n"
	  "@L\n--d--\n", 1, 0, EX_DATAERR, 0, "inside a message/" },
	{ "Content-Type: multipart/mixed; boundary=012345678901234567890123456"
	  "78901234567890123456789012345678901234567890X\n\n@L\n", 1, 0,
	  EX_DATAERR, 0, "boundary is missing or over 70 characters" },
	{ MP "--b\n\nx\n--b--@S\n", 1, 0, EX_DATAERR, 0,
	  "body line 4: a boundary line over 998 octets" },
	/* headers */
	{ "Subject: caf\xc3\xa9\n\nx\n", 0, 1, 0, 0,
	  "Subject: caf\xc3\xa9\n\nx\n" },
	{ "To: a\nSubject: caf\xc3\xa9\n\nx\n", 0, 0, 0, EX_DATAERR,
	  "header field Subject: 8-bit octets, and the relay offers neither "
	  "8BITMIME nor SMTPUTF8" },
	{ "Subject: caf\xc3\xa9\n\nx\n", 1, 0, 0, 0,
	  "Subject: caf\xc3\xa9\n\nx\n" },
	{ MP "--b\nContent-Disposition: attachment; filename=\xe9\n\nx\n--b--"
	  "\n", 0, 0, 0, EX_DATAERR, "body line 2: 8-bit octets in a part header" },
	{ MP "--b\nX-Long: @L\n\nx\n--b--\n", 1, 0, EX_DATAERR, 0,
	  "body line 2: a part header line over 998 octets with no white space" },
	{ MP "--b\nX-Long: a @L\n--b--\n", 1, 0, EX_DATAERR, 0,
	  "body line 2: a part header line over 998 octets with no white space" },
	{ "X: a\nX-Long: @L\n\nx\n", 1, 0, EX_DATAERR, 0,
	  "header field X-Long: a line over 998 octets with no white space" },
};

START_TEST(test_table)
{
	struct sink s = { NULL, 0, 0 };
	struct msg m;
	struct err e;
	char *in = expand(tab[_i].in, 0), *want = expand(tab[_i].want, 1);
	int rc;

	load(&m, in);
	err_clear(&e);
	rc = mime_check(&m, &e);
	if (tab[_i].check != 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.code, tab[_i].check);
		ck_assert_msg(strstr(e.msg, tab[_i].want) != NULL, "%s",
		    e.msg);
		goto out;
	}
	ck_assert_msg(rc == 0, "%s", e.msg);
	rc = mime_prepare(&m, tab[_i].eightbitmime, tab[_i].smtputf8, NULL,
	    &e);
	if (tab[_i].prep != 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.code, tab[_i].prep);
		ck_assert_msg(strstr(e.msg, tab[_i].want) != NULL, "%s",
		    e.msg);
		goto out;
	}
	ck_assert_msg(rc == 0, "%s", e.msg);
	ck_assert_int_eq(msg_emit(&m, 0, sink_write, &s, &e), 0);
	ck_assert_str_eq(s.buf, want);
	ck_assert_int_eq(msg_size(&m), (off_t)s.len);
	/* the queue's copy stays as stored */
	s.len = 0;
	ck_assert_int_eq(msg_emit(&m, MSG_EMIT_STORED, sink_write, &s, &e),
	    0);
	free(want);
	want = expand(tab[_i].in, 1);
	if (strstr(want, "\r\n\r\n") == NULL)
		goto out;
	ck_assert_str_eq(s.buf, want);
out:
	free(s.buf);
	free(in);
	free(want);
	msg_free(&m);
}
END_TEST

/* Nesting past BOUNDS_MIME_DEPTH with a long line inside is refused;
 * within it, the line is fixed. */
START_TEST(test_depth)
{
	struct sink s = { NULL, 0, 0 };
	struct msg m;
	struct err e;
	int i, depth = _i ? BOUNDS_MIME_DEPTH + 1 : BOUNDS_MIME_DEPTH;
	char line[128], *in;

	sink_write(&s, "", 0, &e);
	for (i = 0; i < depth; i++) {
		snprintf(line, sizeof(line), "%sContent-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i ? "" : "", i, i);
		sink_write(&s, line, strlen(line), &e);
	}
	in = expand("\n@L\n", 0);
	sink_write(&s, in, strlen(in), &e);
	free(in);
	load(&m, s.buf);
	if (_i) {
		ck_assert_int_eq(mime_check(&m, &e), -1);
		ck_assert_ptr_nonnull(strstr(e.msg, "nested too deep"));
	} else {
		ck_assert_msg(mime_check(&m, &e) == 0, "%s", e.msg);
		ck_assert_int_eq(mime_prepare(&m, 1, 0, NULL, &e), 0);
		ck_assert_ptr_nonnull(m.rewrite);
	}
	free(s.buf);
	msg_free(&m);
}
END_TEST

/* A header line over 998 octets is folded; the body is not touched. */
START_TEST(test_header_fold)
{
	struct sink s = { NULL, 0, 0 };
	struct msg m;
	struct err e;
	char *in, *p, *cr;
	size_t i;

	in = malloc(4000);
	memcpy(in, "To: ", 4);
	for (i = 4; i < 3000; i++)
		in[i] = i % 10 == 9 ? ' ' : 'a';
	memcpy(in + 3000, "\n\nbody\n", 8);
	load(&m, in);
	ck_assert_int_eq(mime_check(&m, &e), 0);
	ck_assert_int_eq(mime_prepare(&m, 1, 0, NULL, &e), 0);
	ck_assert_int_eq(msg_emit(&m, 0, sink_write, &s, &e), 0);
	for (p = s.buf; (cr = strstr(p, "\r\n")) != NULL; p = cr + 2)
		ck_assert_uint_le((size_t)(cr - p), BOUNDS_LINE);
	ck_assert_ptr_nonnull(strstr(s.buf, "\r\n\r\nbody\r\n"));
	ck_assert_int_eq(msg_size(&m), (off_t)s.len);
	free(s.buf);
	free(in);
	msg_free(&m);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_qp_table, 0, (int)NELEM(qp_tab) * 2);
	tcase_add_loop_test(tc, test_qp_roundtrip, 0, 4);
	tcase_add_test(tc, test_qp_blank_run);
	tcase_add_loop_test(tc, test_ct_table, 0, (int)NELEM(ct_tab));
	tcase_add_test(tc, test_cte);
	tcase_add_test(tc, test_fold);
	tcase_add_loop_test(tc, test_table, 0, (int)NELEM(tab));
	tcase_add_loop_test(tc, test_depth, 0, 2);
	tcase_add_test(tc, test_header_fold);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
