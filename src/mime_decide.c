/*
 * mime_decide.c - what a message needs, and whether it can have it,
 * for one relay (contract in mime.h): a line over 998 octets (RFC 5322
 * §2.1.1) anywhere, 8-bit octets for a relay without 8BITMIME (RFC
 * 6152), 8-bit header text for a relay with neither 8BITMIME nor
 * SMTPUTF8 (RFC 6531). Each recorded entity of the scan (mime.c) is
 * either left alone, folded (RFC 5322 §2.2.3), re-encoded as
 * quoted-printable (RFC 2045 §6.7), or the reason the message is
 * refused; the writing is mime_emit.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime_int.h"

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
