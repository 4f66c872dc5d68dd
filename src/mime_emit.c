/*
 * mime_emit.c - writing a message the way mime_decide.c chose for a
 * relay (contract in mime.h): header lines over 998 octets folded (RFC
 * 5322 §2.2.3), leaf parts re-encoded as quoted-printable (RFC 2045
 * §6.7, qp.c) with their Content-Transfer-Encoding replaced (RFC 2045
 * §6.1) and MIME-Version added (§4), everything else copied from the
 * spool as it is.
 *
 * The spool is read once from the start: the recorded entities are in
 * the order of their offsets, so the copy, the part header rewriting
 * and the encoding follow each other on one pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_int.h"
#include "qp.h"

#define RW_READ		65536

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
