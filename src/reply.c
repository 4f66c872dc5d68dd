/*
 * reply.c - strict SMTP reply parsing.
 *
 * RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 * Reply-code [ SP textstring ] CRLF, Reply-code = %x32-35 %x30-35 %x30-39
 * (we accept any second/third digit: codes like 554 and 530 exist, and
 * RFC 5321 §4.2.1 only defines the first two digits' meaning loosely).
 * Every line of a multi-line reply carries the same code (§4.2.1). A
 * reply line is at most 512 octets with its CRLF (§4.5.3.1.5); we also
 * cap the number of lines (bounds.h). RFC 3463 / RFC 2034: when the
 * relay offers ENHANCEDSTATUSCODES, the text starts with class.subject.
 * detail whose class equals the reply's first digit.
 *
 * A peer that is not an SMTP server (a TLS server on a STARTTLS port, a
 * web server) fails here with EX_PROTOCOL rather than being misread.
 */
#include <string.h>

#include "log.h"
#include "reply.h"

void
reply_init(struct reply *r)
{
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
	r->done = 0;
	r->last[0] = '\0';
}

void
reply_quote(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;

	if (cap == 0)
		return;
	for (i = 0; i < len && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		out[n++] = (c < 32 || c > 126) ? '?' : (char)c;
	}
	out[n] = '\0';
	/* Mark a cut so a shortened quote is never mistaken for the whole. */
	if (i < len && cap > 4)
		memcpy(out + cap - 4, "...", 4);
}

void
reply_join(const struct reply *r, char *out, size_t cap)
{
	size_t n, k, el = strlen(r->enh);
	const char *t;
	int i;

	if (cap == 0)
		return;
	if (r->nlines == 0) {
		snprintf(out, cap, "%s", r->last);
		return;
	}
	n = (size_t)snprintf(out, cap, "%03d", r->code);
	for (i = 0; i < r->nlines && n < cap; i++) {
		t = r->text[i];
		/* The enhanced code repeated on every line is said once. */
		if (i > 0 && el > 0 && strncmp(t, r->enh, el) == 0 &&
		    (t[el] == ' ' || t[el] == '\0'))
			t += el;
		while (*t == ' ')
			t++;
		if (*t == '\0')
			continue;
		k = strlen(t);
		if (n + 1 + k >= cap) {
			/* Marked, never cut silently. */
			snprintf(out + n, cap - n, " %.*s", (int)(cap - n), t);
			if (cap > 4)
				memcpy(out + cap - 4, "...", 4);
			return;
		}
		out[n++] = ' ';
		memcpy(out + n, t, k + 1);
		n += k;
	}
}

/* Digits d[0..n) of a dotted part: 1 to max digits. Returns length. */
static size_t
digits(const char *p, size_t max)
{
	size_t n = 0;

	while (n < max && p[n] >= '0' && p[n] <= '9')
		n++;
	return n;
}

int
reply_enhanced(const char *text, int first, char *enh)
{
	const char *p = text;
	size_t n;

	enh[0] = '\0';
	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return 0;
	if (p[1] != '.' || p[0] - '0' != first)
		return 0;
	p += 2;
	/* RFC 3463 §2: subject and detail are 1 to 3 digits. */
	if ((n = digits(p, 3)) == 0 || p[n] != '.')
		return 0;
	p += n + 1;
	if ((n = digits(p, 3)) == 0)
		return 0;
	p += n;
	if (*p != '\0' && *p != ' ' && *p != '\t')
		return 0;
	memcpy(enh, text, (size_t)(p - text));
	enh[p - text] = '\0';
	return 1;
}

/* Octets a reply text may hold: no controls except HT (§4.2 textstring;
 * 8-bit allowed for RFC 6531 relays). */
static int
text_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 32 && c != '\t') || c == 127)
			return 0;
	}
	return 1;
}

static int
bad_line(const char *line, size_t len, const char *why, struct err *e)
{
	char q[80];

	reply_quote(line, len, q, sizeof(q));
	return err_set(e, EX_PROTOCOL, "malformed reply from relay (%s): "
	    "\"%s\"", why, q);
}

/* Check the "NNN" and separator of one line; returns the code or -1. */
static int
line_code(const char *line, size_t len, int *final, struct err *e)
{
	if (len > BOUNDS_REPLY_LINE - 2)
		return bad_line(line, len, "line longer than 512 octets", e);
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return bad_line(line, len, "no 3-digit reply code", e);
	if (len == 3 || line[3] == ' ')
		*final = 1;
	else if (line[3] == '-')
		*final = 0;
	else
		return bad_line(line, len, "bad separator after code", e);
	if (!text_ok(line, len))
		return bad_line(line, len, "control characters", e);
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

int
reply_feed(struct reply *r, const char *line, size_t len, struct err *e)
{
	int code, final = 0;
	size_t tl;

	if (r->done)
		return err_set(e, EX_SOFTWARE, "reply_feed after last line");
	if ((code = line_code(line, len, &final, e)) == -1)
		return -1;
	if (r->nlines > 0 && code != r->code)
		return bad_line(line, len, "reply code changed within a "
		    "multi-line reply", e);
	if (r->nlines >= BOUNDS_REPLY_LINES)
		return err_set(e, EX_PROTOCOL, "malformed reply from relay: "
		    "more than %d lines", BOUNDS_REPLY_LINES);
	r->code = code;
	tl = len > 4 ? len - 4 : 0;
	memcpy(r->text[r->nlines], line + (len - tl), tl);
	r->text[r->nlines][tl] = '\0';
	memcpy(r->last, line, len);
	r->last[len] = '\0';
	if (r->enh[0] == '\0')
		reply_enhanced(r->text[r->nlines], code / 100, r->enh);
	r->nlines++;
	r->done = final;
	return final;
}

int
reply_read(struct conn *c, struct reply *r, long long deadline_ms,
    int redact, struct err *e)
{
	/* One more than a legal line, so an over-long one is seen as such
	 * by reply_feed rather than cut by conn_readline. */
	char line[BOUNDS_REPLY_LINE + 1];
	size_t len;
	int rc;

	reply_init(r);
	do {
		if (conn_readline(c, line, sizeof(line), &len, deadline_ms,
		    e) == -1)
			return -1;
		/* Only SASL challenges (334) carry mechanism data; the
		 * final 235/535 is worth seeing. */
		log_trace(c->trace, '<', line, len, redact && len >= 3 &&
		    memcmp(line, "334", 3) == 0);
		rc = reply_feed(r, line, len, e);
	} while (rc == 0);
	return rc == 1 ? 0 : -1;
}

int
reply_check_empty(const struct conn *c, const char *what, struct err *e)
{
	if (conn_pending(c) == 0)
		return 0;
	return err_set(e, EX_PROTOCOL, "relay sent data %s (possible "
	    "injection attack)", what);
}
