/*
 * addr_scan.c - the scanner of address lists (RFC 5322 §3.4, obsolete
 * forms such as routes §4.4, RFC 6532 for 8-bit atext).
 * It walks an address-list token by token (atoms, quoted strings, domain
 * literals, comments and folding white space, §3.2) and reports each
 * mailbox: the addr-spec with comments and folding removed, and the
 * offset just after its last token, which is where "@domain" goes when
 * the mailbox is a bare local name. Parsing and rewriting (addr.c) share
 * it, so a header is qualified exactly where the parser found the
 * address.
 */
#include <string.h>

#include "addr_int.h"

struct scan {
	const char	*v;
	size_t		 i;
	char		 spec[BOUNDS_ADDR + 1];
	size_t		 len;
	int		 toolong;
	size_t		 ins;		/* offset after last addr token */
	int		 lastword;	/* last collected token was a word */
	int		 lastdot;	/* ... and it ended with '.' */
	int		 gap;		/* CFWS since the last token */
	int		 multiword;	/* words not joined: a phrase */
	int		 in_angle, angle_done, in_group;
};

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_special(unsigned char c)
{
	return strchr("()<>[]:;@,\"", c) != NULL && c != '\0';
}

static void
seg_reset(struct scan *s)
{
	s->len = 0;
	s->toolong = 0;
	s->ins = 0;
	s->lastword = s->lastdot = s->gap = s->multiword = 0;
}

/* Collect v[start..end) into the spec. */
static void
collect(struct scan *s, size_t start, size_t end, int word)
{
	size_t n = end - start;

	if (word && s->lastword && s->gap && !s->lastdot &&
	    s->v[start] != '.')
		s->multiword = 1;
	if (s->len + n > BOUNDS_ADDR)
		s->toolong = 1;
	else {
		memcpy(s->spec + s->len, s->v + start, n);
		s->len += n;
	}
	s->ins = end;
	s->lastword = word;
	s->lastdot = word && s->v[end - 1] == '.';
	s->gap = 0;
}

/* Skip a comment (nested, with quoted-pairs); s->i is at '('. */
static int
skip_comment(struct scan *s, struct err *e)
{
	int depth = 0;

	for (; s->v[s->i] != '\0'; s->i++) {
		if (s->v[s->i] == '\\' && s->v[s->i + 1] != '\0')
			s->i++;
		else if (s->v[s->i] == '(')
			depth++;
		else if (s->v[s->i] == ')' && --depth == 0) {
			s->i++;
			return 0;
		}
	}
	return err_set(e, EX_DATAERR, "unterminated comment in address");
}

/* End of a quoted string or domain literal starting at s->i. */
static int
delimited(struct scan *s, char close, struct err *e)
{
	size_t start = s->i;

	for (s->i++; s->v[s->i] != '\0'; s->i++) {
		if (s->v[s->i] == '\\' && s->v[s->i + 1] != '\0')
			s->i++;
		else if (s->v[s->i] == close) {
			s->i++;
			collect(s, start, s->i, 1);
			return 0;
		}
	}
	return err_set(e, EX_DATAERR, "unterminated %s in address",
	    close == '"' ? "quoted string" : "domain literal");
}

/* A mailbox ended (at ',', ';' or the end): report it. */
static int
seg_end(struct scan *s, addr_scan_fn fn, void *ctx, struct err *e)
{
	int r = 0;

	if (s->in_angle)
		return err_set(e, EX_DATAERR, "unterminated <> in address");
	if (s->len > 0 || s->toolong) {
		if (s->toolong)
			r = err_set(e, EX_DATAERR, "invalid address: longer "
			    "than %d octets", BOUNDS_ADDR);
		else if (s->multiword && !s->angle_done)
			r = err_set(e, EX_DATAERR, "invalid address: \"%.*s\" "
			    "is a name without <address>", (int)s->len,
			    s->spec);
		else {
			s->spec[s->len] = '\0';
			r = fn(ctx, s->spec, s->ins, e);
		}
	} else if (s->multiword)
		r = err_set(e, EX_DATAERR, "invalid address list");
	seg_reset(s);
	s->angle_done = 0;
	return r;
}

/* A special character outside quotes and comments. */
static int
special(struct scan *s, addr_scan_fn fn, void *ctx, struct err *e)
{
	char c = s->v[s->i++];

	if (s->angle_done && c != ',' && c != ';')
		return err_set(e, EX_DATAERR, "text after <address>");
	switch (c) {
	case '<':
		if (s->in_angle)
			return err_set(e, EX_DATAERR, "nested < in address");
		seg_reset(s);		/* what came before was the name */
		s->in_angle = 1;
		return 0;
	case '>':
		if (!s->in_angle)
			return err_set(e, EX_DATAERR, "stray > in address");
		s->in_angle = 0;
		s->angle_done = 1;
		return 0;
	case ':':
		if (s->in_angle) {	/* end of an obsolete route */
			seg_reset(s);
			return 0;
		}
		if (s->in_group)
			return err_set(e, EX_DATAERR, "nested group in "
			    "address");
		s->in_group = 1;	/* what came before: the group name */
		seg_reset(s);
		return 0;
	case ';':
		if (s->in_angle)
			return err_set(e, EX_DATAERR, "; inside <> in address");
		/* Outside a group some clients separate with ';': a comma. */
		s->in_group = 0;
		return seg_end(s, fn, ctx, e);
	case ',':
		if (s->in_angle)	/* route "@a,@b:" */
			return 0;
		return seg_end(s, fn, ctx, e);
	case '@':
		collect(s, s->i - 1, s->i, 0);
		return 0;
	}
	return err_set(e, EX_DATAERR, "unexpected '%c' in address", c);
}

static int
scan_token(struct scan *s, addr_scan_fn fn, void *ctx, struct err *e)
{
	unsigned char c = (unsigned char)s->v[s->i];
	size_t start;

	if (is_wsp(c)) {
		s->i++;
		s->gap = 1;
		return 0;
	}
	if (c == '(') {
		s->gap = 1;
		return skip_comment(s, e);
	}
	if (s->angle_done && c != ',' && c != ';')
		return err_set(e, EX_DATAERR, "text after <address>");
	if (c == '"')
		return delimited(s, '"', e);
	if (c == '[')
		return delimited(s, ']', e);
	if (is_special(c))
		return special(s, fn, ctx, e);
	start = s->i;
	while (s->v[s->i] != '\0' && !is_wsp((unsigned char)s->v[s->i]) &&
	    !is_special((unsigned char)s->v[s->i]))
		s->i++;
	collect(s, start, s->i, 1);
	return 0;
}

int
addr_scan_list(const char *v, addr_scan_fn fn, void *ctx, struct err *e)
{
	struct scan s;

	memset(&s, 0, sizeof(s));
	s.v = v;
	while (v[s.i] != '\0')
		if (scan_token(&s, fn, ctx, e) == -1)
			return -1;
	if (s.in_group)
		return err_set(e, EX_DATAERR, "group without ; in address");
	return seg_end(&s, fn, ctx, e);
}

