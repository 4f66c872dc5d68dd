/*
 * qp.c - quoted-printable encoding of canonical text (RFC 2045 §6.7),
 * used to make long lines and 8-bit text sendable (RFC 5322 §2.1.1,
 * RFC 6152). Contract in qp.h.
 *
 * Only the rules of RFC 2045 §6.7 that keep the content are used: rule
 * 1 (=XX for any octet), rule 2 (literal printable ASCII), rule 3
 * (blanks literal except at the end of a line), rule 4 (CRLF as a hard
 * line break) and rule 5 (soft line breaks, lines of at most 76
 * characters). Each line is filled to 75 characters and the soft break
 * "=" makes the 76th.
 */
#include <string.h>

#include "qp.h"

static const char qp_hex[] = "0123456789ABCDEF";

void
qp_init(struct qp *q, qp_write_fn fn, void *ctx)
{
	memset(q, 0, sizeof(*q));
	q->fn = fn;
	q->ctx = ctx;
}

static int
out_flush(struct qp *q, struct err *e)
{
	size_t n = q->olen;

	q->olen = 0;
	return n > 0 ? q->fn(q->ctx, q->out, n, e) : 0;
}

/* Raw output octets (at most 5 at a time: "=\r\n" or "=XX"). */
static int
out_raw(struct qp *q, const char *s, size_t n, struct err *e)
{
	if (q->olen + n > sizeof(q->out) && out_flush(q, e) == -1)
		return -1;
	memcpy(q->out + q->olen, s, n);
	q->olen += n;
	return 0;
}

/* One encoded unit of width w (1 or 3), after a soft break if the line
 * would grow past 75 characters (the "=" of a soft break is the 76th). */
static int
out_unit(struct qp *q, const char *s, size_t w, struct err *e)
{
	if (q->col + w > QP_LINE - 1) {
		if (out_raw(q, "=\r\n", 3, e) == -1)
			return -1;
		q->col = 0;
	}
	q->col += w;
	return out_raw(q, s, w, e);
}

static int
out_hex(struct qp *q, unsigned char c, struct err *e)
{
	char u[3];

	u[0] = '=';
	u[1] = qp_hex[c >> 4];
	u[2] = qp_hex[c & 0x0f];
	return out_unit(q, u, 3, e);
}

/* Held blanks: literal when more follows on their line, else encoded. */
static int
flush_ws(struct qp *q, int at_eol, struct err *e)
{
	size_t i, n = q->nws;

	q->nws = 0;
	for (i = 0; i < n; i++)
		if ((at_eol ? out_hex(q, (unsigned char)q->ws[i], e) :
		    out_unit(q, &q->ws[i], 1, e)) == -1)
			return -1;
	return 0;
}

/* Hold a blank; when the hold is full its oldest one goes out literal
 * (it is not the last of its line). */
static int
hold_ws(struct qp *q, char c, struct err *e)
{
	if (q->nws == sizeof(q->ws)) {
		if (out_unit(q, &q->ws[0], 1, e) == -1)
			return -1;
		memmove(q->ws, q->ws + 1, sizeof(q->ws) - 1);
		q->nws--;
	}
	q->ws[q->nws++] = c;
	return 0;
}

static int
put_octet(struct qp *q, unsigned char c, struct err *e)
{
	char lit;

	if (q->cr) {
		q->cr = 0;
		if (c == '\n') {	/* a hard line break */
			if (flush_ws(q, 1, e) == -1 ||
			    out_raw(q, "\r\n", 2, e) == -1)
				return -1;
			q->col = 0;
			return 0;
		}
		/* A CR alone is data (not in canonical text, but kept). */
		if (flush_ws(q, 0, e) == -1 || out_hex(q, '\r', e) == -1)
			return -1;
	}
	if (c == '\r') {
		q->cr = 1;
		return 0;
	}
	if (c == ' ' || c == '\t')
		return hold_ws(q, (char)c, e);
	if (flush_ws(q, 0, e) == -1)
		return -1;
	if (c >= 33 && c <= 126 && c != '=') {
		lit = (char)c;
		return out_unit(q, &lit, 1, e);
	}
	return out_hex(q, c, e);
}

int
qp_put(struct qp *q, const void *p, size_t n, struct err *e)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (put_octet(q, s[i], e) == -1)
			return -1;
	return 0;
}

int
qp_finish(struct qp *q, struct err *e)
{
	if (q->cr) {
		q->cr = 0;
		if (flush_ws(q, 0, e) == -1 || out_hex(q, '\r', e) == -1)
			return -1;
	}
	if (flush_ws(q, 1, e) == -1)
		return -1;
	return out_flush(q, e);
}
