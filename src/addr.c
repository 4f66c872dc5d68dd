/*
 * addr.c - address lists (RFC 5322 §3.4, obsolete forms §4.4, RFC 6532
 * for 8-bit atext) and envelope addresses (RFC 5321 §4.1.2, §4.5.3.1).
 *
 * One scanner walks an address-list and reports each mailbox: the
 * addr-spec with comments and folding removed, and the offset just after
 * its last token, which is where "@domain" goes when the mailbox is a bare
 * local name. Parsing and rewriting share it, so a header is qualified
 * exactly where the parser found the address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/* What the scanner reports for each mailbox. */
typedef int (*mbox_fn)(void *ctx, const char *spec, size_t ins,
    struct err *);

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
seg_end(struct scan *s, mbox_fn fn, void *ctx, struct err *e)
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
special(struct scan *s, mbox_fn fn, void *ctx, struct err *e)
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
			return err_set(e, EX_DATAERR, "nested group in address");
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
scan_token(struct scan *s, mbox_fn fn, void *ctx, struct err *e)
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

static int
scan_list(const char *v, mbox_fn fn, void *ctx, struct err *e)
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

void
addr_list_init(struct addr_list *l)
{
	memset(l, 0, sizeof(*l));
}

int
addr_list_add(struct addr_list *l, const char *a, struct err *e)
{
	char **nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 8;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(a)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	l->n++;
	return 0;
}

void
addr_list_free(struct addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	addr_list_init(l);
}

static long last_at(const char *);

static int
add_checked(void *ctx, const char *spec, size_t ins, struct err *e)
{
	(void)ins;
	if (addr_check(spec, e) == -1)
		return -1;
	return addr_list_add(ctx, spec, e);
}

int
addr_parse_list(const char *value, struct addr_list *out, struct err *e)
{
	return scan_list(value, add_checked, out, e);
}

int
addr_check(const char *a, struct err *e)
{
	size_t len = strlen(a);
	long at;

	if (len == 0)
		return err_set(e, EX_DATAERR, "invalid address: empty");
	if (len > BOUNDS_ADDR)
		return err_set(e, EX_DATAERR, "invalid address: longer than "
		    "%d octets", BOUNDS_ADDR);
	if (strpbrk(a, "\r\n<>") != NULL)
		return err_set(e, EX_DATAERR, "invalid address: it holds CR, "
		    "LF, '<' or '>'");
	at = last_at(a);
	if (at == 0 || (at > 0 && (size_t)at == len - 1))
		return err_set(e, EX_DATAERR, "invalid address: empty %s "
		    "part in %s", at == 0 ? "local" : "domain", a);
	return 0;
}

/* Offset of the last '@' outside quoted strings, or -1. */
static long
last_at(const char *a)
{
	long at = -1, i;
	int q = 0;

	for (i = 0; a[i] != '\0'; i++) {
		if (q && a[i] == '\\' && a[i + 1] != '\0')
			i++;
		else if (a[i] == '"')
			q = !q;
		else if (!q && a[i] == '@')
			at = i;
	}
	return at;
}

int
addr_is_bare(const char *a)
{
	return last_at(a) < 0;
}

const char *
addr_domain(const char *a)
{
	long at = last_at(a);

	return at < 0 ? NULL : a + at + 1;
}

int
addr_qualify(const char *a, const char *domain, char *out, size_t outlen,
    struct err *e)
{
	size_t cap = outlen - 1 < BOUNDS_ADDR ? outlen - 1 : BOUNDS_ADDR;
	int n;

	if (domain != NULL && *domain != '\0' && addr_is_bare(a))
		n = snprintf(out, outlen, "%s@%s", a, domain);
	else
		n = snprintf(out, outlen, "%s", a);
	if (n < 0 || (size_t)n > cap)
		return err_set(e, EX_DATAERR, "invalid address: %.64s... is "
		    "longer than %zu octets", a, cap);
	return 0;
}

int
addr_equal(const char *a, const char *b)
{
	long ia = last_at(a), ib = last_at(b);

	if (ia != ib)
		return 0;
	if (ia < 0)
		return strcmp(a, b) == 0;
	return strncmp(a, b, (size_t)ia) == 0 &&
	    strcasecmp(a + ia, b + ib) == 0;
}

/* Insertion points collected while rewriting. */
struct ins_list {
	size_t	 v[BOUNDS_RCPTS];
	size_t	 n;
};

static int
note_bare(void *ctx, const char *spec, size_t ins, struct err *e)
{
	struct ins_list *l = ctx;

	if (!addr_is_bare(spec))
		return 0;
	if (l->n == BOUNDS_RCPTS)
		return err_set(e, EX_DATAERR, "too many addresses in header");
	l->v[l->n++] = ins;
	return 0;
}

int
addr_rewrite(const char *value, const char *domain, char **out,
    struct err *e)
{
	struct ins_list *l;
	struct err ign;
	size_t vlen = strlen(value), dlen, olen, i, from = 0, o = 0;
	char *s;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	if (domain == NULL || *domain == '\0' ||
	    scan_list(value, note_bare, l, &ign) == -1)
		l->n = 0;		/* unparsable: leave it as it is */
	dlen = domain ? strlen(domain) + 1 : 0;
	olen = vlen + l->n * dlen;
	if (olen > BOUNDS_HEADER) {
		free(l);
		return err_set(e, EX_DATAERR, "header longer than %d octets "
		    "after qualification", BOUNDS_HEADER);
	}
	if ((s = malloc(olen + 1)) == NULL) {
		free(l);
		return err_set(e, EX_OSERR, "out of memory");
	}
	for (i = 0; i < l->n; i++) {
		memcpy(s + o, value + from, l->v[i] - from);
		o += l->v[i] - from;
		s[o++] = '@';
		memcpy(s + o, domain, dlen - 1);
		o += dlen - 1;
		from = l->v[i];
	}
	memcpy(s + o, value + from, vlen - from);
	s[o + vlen - from] = '\0';
	free(l);
	*out = s;
	return 0;
}
