/*
 * addr.c - address lists (RFC 5322 §3.4) and envelope addresses (RFC
 * 5321 §4.1.2, §4.5.3.1): the list type, parsing a header's addresses
 * with the scanner of addr_scan.c, checks, the domain part (the last '@'
 * outside quotes), qualification of bare local names, comparison, and
 * the rewriting of a header that qualifies them in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr_int.h"

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
			return err_nomem(e);
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(a)) == NULL)
		return err_nomem(e);
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
	return addr_scan_list(value, add_checked, out, e);
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
	/* RFC 5321 §4.1.2: no control characters anywhere in a path (the
	 * queue file and the log would otherwise change what they hold). */
	for (at = 0; a[at] != '\0'; at++)
		if ((unsigned char)a[at] < 0x20 || a[at] == 0x7f)
			return err_set(e, EX_DATAERR, "invalid address: it "
			    "holds control character 0x%02x",
			    (unsigned char)a[at]);
	at = last_at(a);
	if (at == 0 || (at > 0 && (size_t)at == len - 1))
		return err_set(e, EX_DATAERR, "invalid address: empty %s "
		    "part in %s", at == 0 ? "local" : "domain", a);
	return 0;
}

/* Offset of the last '@' outside quoted strings and domain literals,
 * or -1. A '"' inside "[...]" (dtext, RFC 5322 §3.4.1) opens no quote:
 * the scanner takes the literal whole, so must we. */
static long
last_at(const char *a)
{
	long at = -1, i;
	char close = '\0';

	for (i = 0; a[i] != '\0'; i++) {
		if (close && a[i] == '\\' && a[i + 1] != '\0')
			i++;
		else if (close && a[i] == close)
			close = '\0';
		else if (close)
			continue;
		else if (a[i] == '"' || a[i] == '[')
			close = a[i] == '"' ? '"' : ']';
		else if (a[i] == '@')
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
		return err_nomem(e);
	if (domain == NULL || *domain == '\0' ||
	    addr_scan_list(value, note_bare, l, &ign) == -1)
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
		return err_nomem(e);
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
