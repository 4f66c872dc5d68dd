/*
 * mime_ct.c - the header field syntax the structure scan needs: the
 * Content-Type field with its parameters (RFC 2045 §5.1, RFC 2046
 * §5.1.1 boundary, RFC 2231 parameter names), the
 * Content-Transfer-Encoding field (RFC 2045 §6.1), folding a long
 * header line at white space (RFC 5322 §2.2.3), finding a field in a
 * part header section, and UTF-8 well-formedness (RFC 3629 §4) for the
 * charset a re-encoded part is labelled with. Contract in mime_int.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_int.h"

/* RFC 2045 §5.1: tspecials. */
static int
is_token(unsigned char c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skip white space, line breaks and (nested) comments (RFC 5322 §3.2.2). */
static size_t
skip_cfws(const char *p, size_t i, size_t n)
{
	int depth = 0;

	for (; i < n; i++) {
		if (depth > 0 && p[i] == '\\' && i + 1 < n)
			i++;
		else if (p[i] == '(')
			depth++;
		else if (depth > 0 && p[i] == ')')
			depth--;
		else if (depth == 0 && p[i] != ' ' && p[i] != '\t' &&
		    p[i] != '\r' && p[i] != '\n')
			break;
	}
	return i;
}

/* A token into out (lower-cased, cap bytes with the NUL); returns the
 * index after it, out empty when there is none. */
static size_t
get_token(const char *p, size_t i, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (; i < n && is_token((unsigned char)p[i]); i++)
		if (k + 1 < cap) {
			char c = p[i];

			out[k++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
	out[k] = '\0';
	return i;
}

/* A parameter value (token or quoted-string) into out; *over is set
 * when it does not fit. */
static size_t
get_value(const char *p, size_t i, size_t n, char *out, size_t cap,
    int *over)
{
	size_t k = 0;

	*over = 0;
	if (i < n && p[i] == '"') {
		for (i++; i < n && p[i] != '"'; i++) {
			if (p[i] == '\\' && i + 1 < n)
				i++;
			if (p[i] == '\r' || p[i] == '\n')
				continue;	/* folding inside the quotes */
			if (k + 1 < cap)
				out[k++] = p[i];
			else
				*over = 1;
		}
		out[k] = '\0';
		return i < n ? i + 1 : i;
	}
	for (; i < n && is_token((unsigned char)p[i]); i++)
		if (k + 1 < cap)
			out[k++] = p[i];
		else
			*over = 1;
	out[k] = '\0';
	return i;
}

static void
ct_param(struct mime_ct *ct, const char *name, const char *val, int over)
{
	if (strcmp(name, "boundary") == 0) {
		ct->has_boundary = 1;
		ct->boundary_bad = over || val[0] == '\0';
		memcpy(ct->boundary, val, strlen(val) + 1);
	} else if (strcmp(name, "charset") == 0 ||
	    strncmp(name, "charset*", 8) == 0)	/* RFC 2231 forms */
		ct->has_charset = 1;
}

int
mime_ct_parse(const char *p, size_t n, struct mime_ct *ct)
{
	char name[64], val[BOUNDS_MIME_BOUNDARY + 1];
	size_t i;
	int over;

	memset(ct, 0, sizeof(*ct));
	i = skip_cfws(p, 0, n);
	i = get_token(p, i, n, ct->type, sizeof(ct->type));
	i = skip_cfws(p, i, n);
	if (ct->type[0] == '\0' || i >= n || p[i] != '/')
		return -1;
	i = skip_cfws(p, i + 1, n);
	i = get_token(p, i, n, ct->subtype, sizeof(ct->subtype));
	if (ct->subtype[0] == '\0')
		return -1;
	for (;;) {
		i = skip_cfws(p, i, n);
		if (i >= n || p[i] != ';')
			break;
		i = skip_cfws(p, i + 1, n);
		i = get_token(p, i, n, name, sizeof(name));
		i = skip_cfws(p, i, n);
		if (name[0] == '\0' || i >= n || p[i] != '=')
			break;
		i = skip_cfws(p, i + 1, n);
		i = get_value(p, i, n, val, sizeof(val), &over);
		ct_param(ct, name, val, over);
	}
	return 0;
}

enum mime_cte
mime_cte_parse(const char *p, size_t n)
{
	char tok[32];
	size_t i;

	i = skip_cfws(p, 0, n);
	(void)get_token(p, i, n, tok, sizeof(tok));
	if (strcmp(tok, "7bit") == 0 || strcmp(tok, "8bit") == 0 ||
	    strcmp(tok, "binary") == 0)
		return CTE_IDENTITY;
	if (strcmp(tok, "quoted-printable") == 0)
		return CTE_QP;
	if (strcmp(tok, "base64") == 0)
		return CTE_BASE64;
	return tok[0] == '\0' ? CTE_NONE : CTE_OTHER;
}

/*
 * RFC 5322 §2.2.3: fold by putting a CRLF before white space, so that
 * unfolding (removing the CRLF) gives the field back. Each line gets as
 * much as fits in 998 octets: the break goes before the last blank that
 * leaves it at most 998 long and not blank only.
 */
int
mime_fold_line(const char *p, size_t n, msg_write_fn fn, void *ctx,
    struct err *e)
{
	size_t i, cut, start = 0;
	int seen;

	while (n - start > BOUNDS_LINE) {
		cut = 0;
		seen = 0;
		for (i = start; i <= start + BOUNDS_LINE; i++) {
			if ((p[i] == ' ' || p[i] == '\t') && seen)
				cut = i;
			else if (p[i] != ' ' && p[i] != '\t')
				seen = 1;
		}
		if (cut == 0)
			return err_set(e, EX_DATAERR, "no white space to "
			    "fold at in its first %d octets", BOUNDS_LINE);
		if (fn != NULL && (fn(ctx, p + start, cut - start, e) == -1 ||
		    fn(ctx, "\r\n", 2, e) == -1))
			return -1;
		start = cut;
	}
	return fn != NULL ? fn(ctx, p + start, n - start, e) : 0;
}

char *
mime_unfold(const char *p, size_t n)
{
	char *s;
	size_t i, k = 0;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			s[k++] = p[i];
	s[k] = '\0';
	return s;
}

char *
mime_field_text(const struct hdr *h)
{
	size_t nl = strlen(h->name), vl = strlen(h->value);
	char *s;

	if ((s = malloc(nl + vl + 2)) == NULL)
		return NULL;
	memcpy(s, h->name, nl);
	s[nl] = ':';
	memcpy(s + nl + 1, h->value, vl + 1);
	return s;
}

/* RFC 3629 §4 well-formedness, one octet at a time. */
int
mime_utf8_feed(struct mime_utf8 *u, unsigned char c)
{
	if (u->need > 0) {
		if (c < u->lo || c > u->hi) {
			u->need = 0;
			return -1;
		}
		u->lo = 0x80;
		u->hi = 0xbf;
		u->need--;
		return 0;
	}
	if (c < 0x80)
		return 0;
	u->lo = 0x80;
	u->hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		u->need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		u->need = 2;
		if (c == 0xe0)
			u->lo = 0xa0;		/* no overlong forms */
		else if (c == 0xed)
			u->hi = 0x9f;		/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		u->need = 3;
		if (c == 0xf0)
			u->lo = 0x90;
		else if (c == 0xf4)
			u->hi = 0x8f;		/* at most U+10FFFF */
	} else
		return -1;
	return 0;
}

/* The span of the first field named name in the part header section,
 * value only (after the colon), or NULL. */
const char *
mime_part_field(const char *h, size_t n, const char *name, size_t *vlen)
{
	size_t i = 0, nl = strlen(name), j, k;

	while (i < n) {
		for (j = i; j < n && h[j] != '\n'; j++)
			;
		k = i;
		if (j - i > nl && strncasecmp(h + i, name, nl) == 0) {
			for (k = i + nl; k < j && (h[k] == ' ' ||
			    h[k] == '\t'); k++)
				;
		}
		if (k > i && k < j && h[k] == ':') {
			/* the value runs over the continuation lines */
			for (i = k + 1; j + 1 < n && (h[j + 1] == ' ' ||
			    h[j + 1] == '\t');)
				for (j++; j < n && h[j] != '\n'; j++)
					;
			*vlen = j - (k + 1);
			return h + k + 1;
		}
		i = j + 1;
	}
	return NULL;
}

int
mime_field_8bit(const struct hdr *h)
{
	const unsigned char *p;

	for (p = (const unsigned char *)h->value; *p != '\0'; p++)
		if (*p > 127)
			return 1;
	for (p = (const unsigned char *)h->name; *p != '\0'; p++)
		if (*p > 127)
			return 1;
	return 0;
}

int
mime_headers_8bit(const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->hdrs.n; i++)
		if (mime_field_8bit(&m->hdrs.v[i]))
			return 1;
	return 0;
}
