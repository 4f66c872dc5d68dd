/*
 * mime_emit.c - deciding, per relay, how a message is made sendable,
 * and writing it that way (contract in mime.h): header lines over 998
 * octets folded (RFC 5322 §2.2.3), leaf parts re-encoded as
 * quoted-printable (RFC 2045 §6.7, qp.c) with their
 * Content-Transfer-Encoding replaced (RFC 2045 §6.1) and MIME-Version
 * added (§4), everything else copied from the spool as it is.
 *
 * The spool is read once from the start: the recorded entities are in
 * the order of their offsets, so the copy, the part header rewriting
 * and the encoding follow each other on one pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdr.h"
#include "mime_int.h"
#include "qp.h"

#define RW_READ		65536

/* ------------------------------------------------------------ decide */

static void
scan_free(void *p)
{
	struct mime_scan *s = p;

	if (s != NULL)
		free(s->v);
	free(s);
}

/* Any physical header line over 998 octets (they may have grown since
 * the message was read: bare names qualified). */
static int
headers_long(const struct msg *m)
{
	const char *p, *cr;
	size_t i, len, nl;

	for (i = 0; i < m->hdrs.n; i++) {
		nl = strlen(m->hdrs.v[i].name) + 1;
		for (p = m->hdrs.v[i].value;; p = cr + 2, nl = 0) {
			cr = strstr(p, "\r\n");
			len = nl + (cr != NULL ? (size_t)(cr - p) : strlen(p));
			if (len > BOUNDS_LINE)
				return 1;
			if (cr == NULL)
				break;
		}
	}
	return 0;
}

static const char *
where_text(const struct mime_ent *x, char *buf, size_t len)
{
	if (x->kind == MK_PREAMBLE)
		return "in the preamble of a multipart, which has no "
		    "encoding to change";
	if (x->kind == MK_EPILOGUE)
		return "in the epilogue of a multipart, which has no "
		    "encoding to change";
	if (x->kind == MK_MESSAGE)
		return "inside a message/... part, whose content must not be "
		    "re-encoded (RFC 2046 §5.2)";
	if (x->kind == MK_OPAQUE) {
		snprintf(buf, len, "in %s", x->why_opaque);
		return buf;
	}
	if (x->in_signed)
		return "inside multipart/signed or multipart/encrypted, where "
		    "re-encoding would break the signature (RFC 1847)";
	if (x->cte == CTE_QP)
		return "in a part already declared quoted-printable "
		    "(RFC 2045 §6.7)";
	if (x->cte == CTE_BASE64)
		return "in a part already declared base64 (RFC 2045 §6.8)";
	return "in a part with an unknown Content-Transfer-Encoding";
}

/* Can the body of x be re-encoded? */
static int
can_qp(const struct mime_ent *x)
{
	return x->kind == MK_LEAF && !x->in_signed &&
	    (x->cte == CTE_NONE || x->cte == CTE_IDENTITY);
}

static int
refuse(struct err *e, size_t line, const char *what, const char *where)
{
	return err_set(e, EX_DATAERR, "the message cannot be sent without "
	    "changing what its recipient sees: body line %zu: %s %s", line,
	    what, where);
}

static int
refuse_hdr(struct err *e, const char *name, const char *why)
{
	return err_set(e, EX_DATAERR, "the message cannot be sent without "
	    "changing what its recipient sees: header field %s: %s", name,
	    why);
}

static int
decide_ent(struct mime_ent *x, int conv8, int smtputf8, struct err *e)
{
	char what[128], wbuf[160];
	int body = x->longl || (conv8 && x->eightbit);

	x->act_qp = x->act_hdr = 0;
	x->add_charset = NULL;
	if (x->hdr_8bit && conv8 && !smtputf8)
		return refuse(e, x->hdr_8bit_line, "8-bit octets in a part "
		    "header,", "and the relay offers neither 8BITMIME nor "
		    "SMTPUTF8 (RFC 6152, RFC 6531)");
	if (x->hdr_unfoldable)
		return refuse(e, x->hdr_long_line, "a part header line over "
		    "998 octets with no white space to fold it at", "(RFC 5322 "
		    "§2.2.3)");
	if (x->hdr_long && x->in_signed)
		return refuse(e, x->hdr_long_line, "a part header line over "
		    "998 octets", where_text(x, wbuf, sizeof(wbuf)));
	x->act_hdr = x->hdr_long;
	if (!body)
		return 0;
	if (x->longl)
		snprintf(what, sizeof(what), "a line of %zu octets (at most "
		    "998, RFC 5322 §2.1.1)", x->long_len);
	else
		snprintf(what, sizeof(what), "8-bit octets for a relay "
		    "without 8BITMIME (RFC 6152)");
	if (!can_qp(x))
		return refuse(e, x->longl ? x->long_line : x->eight_line, what,
		    where_text(x, wbuf, sizeof(wbuf)));
	x->act_qp = 1;
	x->act_hdr |= x->hdr_off != -1;
	if (x->eightbit && x->is_text && !x->has_charset)
		x->add_charset = x->utf8_bad ? "unknown-8bit" : "utf-8";
	return 0;
}

/* Choose what to do for a relay; 1 when anything must change. */
static int
decide(struct msg *m, struct mime_scan *s, int conv8, int smtputf8,
    struct err *e)
{
	size_t i;
	int any = s->top_long || headers_long(m);

	if (s->top_unfoldable)
		return refuse_hdr(e, s->top_long_name, "a line over 998 octets "
		    "with no white space to fold it at (RFC 5322 §2.2.3)");
	if (s->top_8bit && conv8 && !smtputf8)
		return refuse_hdr(e, s->top_8bit_name, "8-bit octets, and the "
		    "relay offers neither 8BITMIME nor SMTPUTF8 (RFC 6152, RFC "
		    "6531)");
	if (s->delim_long_line != 0)
		return refuse(e, s->delim_long_line, "a boundary line over 998 "
		    "octets", "(transport padding, RFC 2046 §5.1.1)");
	if (s->too_many)
		return err_set(e, EX_DATAERR, "the message cannot be sent "
		    "without changing it: more than %d MIME parts would "
		    "need re-encoding", BOUNDS_MIME_FIXES);
	for (i = 0; i < s->n; i++) {
		if (decide_ent(&s->v[i], conv8, smtputf8, e) == -1)
			return -1;
		any |= s->v[i].act_qp || s->v[i].act_hdr;
	}
	return any;
}

int
mime_check(struct msg *m, struct err *e)
{
	struct mime_scan *s = m->mime;

	if (s != NULL) {
		if (s->failed)
			*e = s->fail;
		return s->failed ? -1 : 0;
	}
	if (!m->eightbit && m->longest_line <= BOUNDS_LINE &&
	    !headers_long(m))
		return 0;	/* nothing any relay could refuse */
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	if (mime_scan_run(m, s, e) == -1) {
		scan_free(s);
		return -1;
	}
	m->mime = s;
	m->mime_free = scan_free;
	/* What no relay could take: long lines that cannot be fixed. */
	if (decide(m, s, 0, 1, &s->fail) == -1) {
		s->failed = 1;
		*e = s->fail;
		return -1;
	}
	return 0;
}

static int
count_fn(void *ctx, const void *buf, size_t len, struct err *e)
{
	(void)buf;
	(void)e;
	*(off_t *)ctx += (off_t)len;
	return 0;
}

/* For -v: what is changed for this relay. */
static void
note(const struct msg *m, FILE *trace)
{
	const struct mime_scan *s = m->mime;
	size_t i, qp = 0, fold = s->top_long || headers_long(m);

	if (trace == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		qp += s->v[i].act_qp != 0;
		fold += s->v[i].hdr_long != 0;
	}
	fprintf(trace, "relaymail: to be sendable the message goes out with "
	    "%zu part%s re-encoded as quoted-printable and %zu header "
	    "section%s folded\n", qp, qp == 1 ? "" : "s", fold,
	    fold == 1 ? "" : "s");
}

int
mime_prepare(struct msg *m, int eightbitmime, int smtputf8, FILE *trace,
    struct err *e)
{
	off_t size = 0;
	int any;

	m->rewrite = NULL;
	m->rewrite_size = 0;
	if (mime_check(m, e) == -1)
		return -1;
	if (m->mime == NULL)
		return 0;
	if ((any = decide(m, m->mime, !eightbitmime, smtputf8, e)) <= 0)
		return any;
	if (mime_rewrite(m, count_fn, &size, e) == -1)
		return -1;
	m->rewrite = mime_rewrite;
	m->rewrite_size = size;
	note(m, trace);
	return 0;
}

/* ------------------------------------------------------------ write */

struct rw {
	struct msg	*m;
	msg_write_fn	 fn;
	void		*ctx;
	char		*buf;		/* spool block */
	size_t		 len, pos;
	off_t		 off;		/* spool offset of buf[pos] */
	char		*hbuf;		/* a part header section */
	size_t		 hlen;
	struct qp	 qp;
};

enum sink { TO_OUT, TO_QP, TO_HBUF };

/* Pass the spool octets up to offset `to` to a sink. */
static int
rw_feed(struct rw *w, off_t to, enum sink k, struct err *e)
{
	ssize_t n;
	size_t c;
	int rc;

	while (w->off < to) {
		if (w->pos == w->len) {
			if ((n = spool_read(&w->m->body, w->buf, RW_READ,
			    e)) == -1)
				return -1;
			if (n == 0)
				return err_set(e, EX_SOFTWARE, "the body "
				    "spool ended early");
			w->len = (size_t)n;
			w->pos = 0;
		}
		c = w->len - w->pos;
		if ((off_t)c > to - w->off)
			c = (size_t)(to - w->off);
		if (k == TO_OUT)
			rc = w->fn(w->ctx, w->buf + w->pos, c, e);
		else if (k == TO_QP)
			rc = qp_put(&w->qp, w->buf + w->pos, c, e);
		else if (w->hlen + c > BOUNDS_HEADER)
			rc = err_set(e, EX_SOFTWARE, "part header grew");
		else {
			memcpy(w->hbuf + w->hlen, w->buf + w->pos, c);
			w->hlen += c;
			rc = 0;
		}
		if (rc == -1)
			return -1;
		w->pos += c;
		w->off += (off_t)c;
	}
	return 0;
}

static int
out(struct rw *w, const char *s, struct err *e)
{
	return w->fn(w->ctx, s, strlen(s), e);
}

/* Field text p[0..n) (folding CRLFs inside, none after): each physical
 * line over 998 octets folded, then the final CRLF. */
static int
field_out(struct rw *w, const char *p, size_t n, const char *charset,
    struct err *e)
{
	const char *end = p + n, *cr;
	size_t len;

	for (;;) {
		cr = memmem(p, (size_t)(end - p), "\r\n", 2);
		len = cr != NULL ? (size_t)(cr - p) : (size_t)(end - p);
		if (cr == NULL && charset != NULL) {
			/* "; charset=" on the last line, then fold it */
			char *t;
			int rc;

			if ((t = malloc(len + 32)) == NULL)
				return err_set(e, EX_OSERR, "out of memory");
			memcpy(t, p, len);
			len += (size_t)snprintf(t + len, 32, "; charset=%s",
			    charset);
			rc = mime_fold_line(t, len, w->fn, w->ctx, e);
			free(t);
			if (rc == -1)
				return -1;
		} else if (mime_fold_line(p, len, w->fn, w->ctx, e) == -1)
			return -1;
		if (out(w, "\r\n", e) == -1)
			return -1;
		if (cr == NULL)
			return 0;
		p = cr + 2;
	}
}

static int
is_field(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(p, name, k) != 0)
		return 0;
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	return k < n && p[k] == ':';
}

/* The MIME fields a re-encoded entity gets after its own. */
static int
add_fields(struct rw *w, const struct mime_ent *x, int has_ct,
    int has_mv, struct err *e)
{
	char line[96];

	if (!has_mv && out(w, "MIME-Version: 1.0\r\n", e) == -1)
		return -1;
	if (x->add_charset != NULL && !has_ct) {
		snprintf(line, sizeof(line), "Content-Type: text/plain; "
		    "charset=%s\r\n", x->add_charset);
		if (out(w, line, e) == -1)
			return -1;
	}
	return out(w, "Content-Transfer-Encoding: quoted-printable\r\n", e);
}

/* One field of a header section: dropped, extended or folded. */
static int
one_field(struct rw *w, const struct mime_ent *x, const char *p, size_t n,
    int *has_ct, int *has_mv, struct err *e)
{
	const char *cs = NULL;

	if (x != NULL && x->act_qp) {
		if (is_field(p, n, "Content-Transfer-Encoding"))
			return 0;
		if (is_field(p, n, "Content-Type")) {
			*has_ct = 1;
			cs = x->add_charset;
		}
		if (is_field(p, n, "MIME-Version"))
			*has_mv = 1;
	}
	return field_out(w, p, n, cs, e);
}

static int
top_out(struct rw *w, const struct mime_ent *top, struct err *e)
{
	const struct hdrs *h = &w->m->hdrs;
	int has_ct = 0, has_mv = 0, rc;
	size_t i;
	char *f;

	for (i = 0; i < h->n; i++) {
		if ((f = mime_field_text(&h->v[i])) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		rc = one_field(w, top, f, strlen(f), &has_ct, &has_mv, e);
		free(f);
		if (rc == -1)
			return -1;
	}
	if (top != NULL && add_fields(w, top, has_ct, has_mv, e) == -1)
		return -1;
	return out(w, "\r\n", e);
}

/* A part header section in w->hbuf, rewritten. MIME-Version is for the
 * message only (RFC 2045 §4), so parts never get one. */
static int
part_out(struct rw *w, const struct mime_ent *x, struct err *e)
{
	const char *p = w->hbuf, *end = w->hbuf + w->hlen, *q;
	int has_ct = 0, has_mv = 1;

	while (p < end) {
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			if (x->act_qp && add_fields(w, x, has_ct, has_mv,
			    e) == -1)
				return -1;
			return w->fn(w->ctx, p, (size_t)(end - p), e);
		}
		/* the field runs to a CRLF not followed by a blank */
		for (q = p; (q = memmem(q, (size_t)(end - q), "\r\n", 2)) !=
		    NULL && q + 2 < end && (q[2] == ' ' || q[2] == '\t');
		    q += 2)
			;
		if (q == NULL)
			q = end;
		if (one_field(w, x, p, (size_t)(q - p), &has_ct, &has_mv,
		    e) == -1)
			return -1;
		p = q + 2 <= end ? q + 2 : end;
	}
	return 0;
}

static int
ent_out(struct rw *w, const struct mime_ent *x, struct err *e)
{
	if (x->hdr_off >= 0) {
		if (rw_feed(w, x->hdr_off, TO_OUT, e) == -1)
			return -1;
		if (!x->act_hdr) {
			if (rw_feed(w, x->body_off, TO_OUT, e) == -1)
				return -1;
		} else {
			w->hlen = 0;
			if (rw_feed(w, x->body_off, TO_HBUF, e) == -1 ||
			    part_out(w, x, e) == -1)
				return -1;
		}
	}
	if (!x->act_qp)
		return rw_feed(w, x->end_off, TO_OUT, e);
	if (rw_feed(w, x->body_off, TO_OUT, e) == -1)
		return -1;
	qp_init(&w->qp, w->fn, w->ctx);
	if (rw_feed(w, x->end_off, TO_QP, e) == -1)
		return -1;
	return qp_finish(&w->qp, e);
}

static int
rewrite_all(struct rw *w, struct err *e)
{
	struct mime_scan *s = w->m->mime;
	const struct mime_ent *top = NULL;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].hdr_off == -1 && s->v[i].act_qp)
			top = &s->v[i];
	if (top_out(w, top, e) == -1 || spool_rewind(&w->m->body, e) == -1)
		return -1;
	for (i = 0; i < s->n; i++)
		if ((s->v[i].act_qp || s->v[i].act_hdr) &&
		    ent_out(w, &s->v[i], e) == -1)
			return -1;
	return rw_feed(w, w->m->body.len, TO_OUT, e);
}

int
mime_rewrite(struct msg *m, msg_write_fn fn, void *ctx, struct err *e)
{
	struct rw *w;
	int rc = -1;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	w->m = m;
	w->fn = fn;
	w->ctx = ctx;
	w->buf = malloc(RW_READ);
	w->hbuf = malloc(BOUNDS_HEADER);
	if (w->buf == NULL || w->hbuf == NULL)
		err_set(e, EX_OSERR, "out of memory");
	else
		rc = rewrite_all(w, e);
	free(w->buf);
	free(w->hbuf);
	free(w);
	return rc;
}
