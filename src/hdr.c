/*
 * hdr.c - header fields: lookup, unfolding, editing, and the rewriting
 * of relaymail(8) done before a message leaves.
 *
 * RFC 5322 §3.6: origination date and From are required, Message-ID
 * should be present (§3.6.4), so we add what is missing. §3.6.3: Bcc must
 * not reach the other recipients; Resent-Bcc likewise (§3.6.6).
 * RFC 5321 §4.4: Return-Path is added by the final delivery, a copy from
 * the submitter is dropped. §3.3 gives the date format; §3.2.5 the
 * phrase (display name) syntax, RFC 2047 §4.1 its encoding when 8-bit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "addr.h"
#include "base64.h"
#include "hex.h"
#include "hdr.h"

/* Fields whose bare local names get the maildomain. */
static const char *const qualified_fields[] = {
	"From", "To", "Cc", "Reply-To", "Sender",
	"Resent-From", "Resent-To", "Resent-Cc", "Resent-Sender"
};

int
hdr_find(const struct hdrs *h, const char *name, size_t start)
{
	size_t i;

	for (i = start; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return (int)i;
	return -1;
}

char *
hdr_unfold(const struct hdrs *h, size_t i)
{
	const char *v = h->v[i].value;
	char *s, *o;

	if ((s = malloc(strlen(v) + 1)) == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	for (o = s; *v != '\0'; v++)
		if (*v != '\r' && *v != '\n')
			*o++ = *v;
	while (o > s && (o[-1] == ' ' || o[-1] == '\t'))
		o--;
	*o = '\0';
	return s;
}

size_t
hdr_remove(struct hdrs *h, const char *name)
{
	size_t i, o, removed = 0;

	for (i = o = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, name) == 0) {
			free(h->v[i].name);
			free(h->v[i].value);
			removed++;
		} else
			h->v[o++] = h->v[i];
	}
	h->n = o;
	return removed;
}

/* Insert name and a raw value (leading space included) at position at. */
int
hdr_insert(struct hdrs *h, size_t at, const char *name, const char *raw,
    struct err *e)
{
	struct hdr *nv;
	size_t ncap;

	if (h->n >= BOUNDS_HEADER_COUNT)
		return err_set(e, EX_DATAERR, "more than %d header fields",
		    BOUNDS_HEADER_COUNT);
	if (h->n == h->cap) {
		ncap = h->cap ? h->cap * 2 : 16;
		if ((nv = reallocarray(h->v, ncap, sizeof(*nv))) == NULL)
			return err_nomem(e);
		h->v = nv;
		h->cap = ncap;
	}
	memmove(h->v + at + 1, h->v + at, (h->n - at) * sizeof(*h->v));
	h->v[at].name = strdup(name);
	h->v[at].value = strdup(raw);
	if (h->v[at].name == NULL || h->v[at].value == NULL) {
		free(h->v[at].name);
		free(h->v[at].value);
		memmove(h->v + at, h->v + at + 1, (h->n - at) * sizeof(*h->v));
		return err_nomem(e);
	}
	h->n++;
	return 0;
}

/* A field we write: no line breaks (no header injection), sane size. */
static int
hdr_new(struct hdrs *h, size_t at, const char *name, const char *value,
    struct err *e)
{
	char raw[BOUNDS_LINE + 2];
	int n;

	if (strpbrk(name, ": \t\r\n") != NULL || *name == '\0')
		return err_set(e, EX_SOFTWARE, "bad header name \"%s\"", name);
	if (strpbrk(value, "\r\n") != NULL)
		return err_set(e, EX_DATAERR, "%s: value holds a line break",
		    name);
	n = snprintf(raw, sizeof(raw), " %s", value);
	if (n < 0 || (size_t)n + strlen(name) + 1 > BOUNDS_LINE)
		return err_set(e, EX_DATAERR, "%s: value longer than a line",
		    name);
	return hdr_insert(h, at, name, raw, e);
}

int
hdr_add(struct hdrs *h, const char *name, const char *value, struct err *e)
{
	return hdr_new(h, h->n, name, value, e);
}

int
hdr_prepend(struct hdrs *h, const char *name, const char *value,
    struct err *e)
{
	return hdr_new(h, 0, name, value, e);
}

/* ------------------------------------------------------------ hdr_prepare */

static int
qualify_all(struct hdrs *h, const char *domain, struct err *e)
{
	size_t i, k;
	char *nv;

	for (i = 0; i < h->n; i++)
		for (k = 0; k < sizeof(qualified_fields) /
		    sizeof(qualified_fields[0]); k++) {
			if (strcasecmp(h->v[i].name, qualified_fields[k]) != 0)
				continue;
			if (addr_rewrite(h->v[i].value, domain, &nv, e) == -1)
				return err_prefix(e, "%s", h->v[i].name);
			free(h->v[i].value);
			h->v[i].value = nv;
			break;
		}
	return 0;
}

static void
hdr_drop(struct hdrs *h, size_t i)
{
	free(h->v[i].name);
	free(h->v[i].value);
	memmove(h->v + i, h->v + i + 1, (h->n - i - 1) * sizeof(*h->v));
	h->n--;
}

/* force_from: From becomes the account's address; the old one is kept
 * as Reply-To so answers still reach the author. */
static int
force_from(struct hdrs *h, const char *from, struct err *e)
{
	int i = hdr_find(h, "From", 0), j;
	char raw[BOUNDS_ADDR + 2];
	char *old;

	if (i < 0)
		return 0;		/* the From added later uses it */
	if (strpbrk(from, "\r\n") != NULL || strlen(from) > BOUNDS_ADDR)
		return err_set(e, EX_DATAERR, "invalid from address");
	while ((j = hdr_find(h, "From", (size_t)i + 1)) >= 0)
		hdr_drop(h, (size_t)j);	/* one From only (§3.6) */
	snprintf(raw, sizeof(raw), " %s", from);
	old = h->v[i].value;
	if ((h->v[i].value = strdup(raw)) == NULL) {
		h->v[i].value = old;
		return err_nomem(e);
	}
	if (hdr_find(h, "Reply-To", 0) < 0 &&
	    hdr_insert(h, (size_t)i + 1, "Reply-To", old, e) == -1) {
		free(old);
		return -1;
	}
	free(old);
	return 0;
}

/* RFC 5322 §3.3 date-time, local time with a numeric zone; the names are
 * our own tables so a locale cannot change them. */
static int
add_date(struct hdrs *h, time_t now, struct err *e)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	char buf[64];
	struct tm tm;
	long off;

	if (localtime_r(&now, &tm) == NULL)
		return err_set(e, EX_SOFTWARE, "cannot convert the time");
	off = tm.tm_gmtoff / 60;
	snprintf(buf, sizeof(buf), "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
	return hdr_add(h, "Date", buf, e);
}

/* RFC 5322 §3.6.4: <random.time@domain>; 96 random bits make it unique. */
static int
add_msgid(struct hdrs *h, const char *domain, time_t now, struct err *e)
{
	unsigned char rnd[12];
	char hex[2 * sizeof(rnd) + 1], buf[BOUNDS_LINE];
	int n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return err_set(e, EX_OSERR, "getrandom failed");
	hex_encode(rnd, sizeof(rnd), hex);
	if (domain == NULL || *domain == '\0')
		domain = "localhost";
	if (strpbrk(domain, "<> \t\r\n") != NULL)
		return err_set(e, EX_DATAERR, "bad Message-ID domain");
	n = snprintf(buf, sizeof(buf), "<%s.%lld@%s>", hex, (long long)now,
	    domain);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return err_set(e, EX_DATAERR, "Message-ID domain too long");
	return hdr_add(h, "Message-ID", buf, e);
}

/* RFC 2047 §4.1 "B" encoded-words of at most 75 octets (45 input octets,
 * never splitting a UTF-8 character), separated by spaces. */
static int
encode_words(const char *s, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), k, o = 0, n;

	while (len > 0) {
		k = len > 45 ? 45 : len;
		while (k < len && k > 1 && (p[k] & 0xC0) == 0x80)
			k--;
		if (o + 16 + (k + 2) / 3 * 4 >= outlen)
			return -1;
		o += (size_t)snprintf(out + o, outlen - o, "%s=?UTF-8?B?",
		    o ? " " : "");
		if (base64_encode(p, k, out + o, outlen - o, &n) == -1)
			return -1;
		o += n;
		o += (size_t)snprintf(out + o, outlen - o, "?=");
		p += k;
		len -= k;
	}
	out[o] = '\0';
	return 0;
}

/* The display name as an RFC 5322 §3.2.5 phrase. */
static int
phrase(const char *name, char *out, size_t outlen, struct err *e)
{
	const unsigned char *p;
	int plain = 1, eight = 0;
	size_t o = 0;

	/* CR, LF, '<' or '>' in -F is refused, not quoted. */
	if (strpbrk(name, "\r\n<>") != NULL)
		return err_set(e, EX_DATAERR, "invalid full name: it holds CR, "
		    "LF, '<' or '>'");
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p > 127)
			eight = 1;
		else if (*p < 32 || strchr("()<>[]:;@\\,.\"", *p) != NULL)
			plain = 0;
	}
	if (eight) {
		if (encode_words(name, out, outlen) == -1)
			return err_set(e, EX_DATAERR, "full name too long");
		return 0;
	}
	if (plain && strlen(name) < outlen) {
		memcpy(out, name, strlen(name) + 1);
		return 0;
	}
	out[o++] = '"';
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (o + 4 >= outlen)
			return err_set(e, EX_DATAERR, "full name too long");
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = (char)*p;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

static int
add_from(struct hdrs *h, const struct hdr_opts *o, struct err *e)
{
	char addr[BOUNDS_ADDR + 1], name[BOUNDS_LINE / 2], val[BOUNDS_LINE];
	const char *a = o->force_from ? o->force_from : o->sender;
	int n;

	if (a == NULL || *a == '\0')
		a = o->user != NULL ? o->user : "MAILER-DAEMON";
	if (addr_qualify(a, o->maildomain, addr, sizeof(addr), e) == -1 ||
	    addr_check(addr, e) == -1)
		return err_prefix(e, "From");
	if (o->fullname == NULL || *o->fullname == '\0')
		return hdr_add(h, "From", addr, e);
	if (phrase(o->fullname, name, sizeof(name), e) == -1)
		return -1;
	n = snprintf(val, sizeof(val), "%s <%s>", name, addr);
	if (n < 0 || (size_t)n >= sizeof(val))
		return err_set(e, EX_DATAERR, "From: too long");
	return hdr_add(h, "From", val, e);
}

int
hdr_prepare(struct msg *m, const struct hdr_opts *o, struct err *e)
{
	struct hdrs *h = &m->hdrs;

	hdr_remove(h, "Bcc");
	hdr_remove(h, "Resent-Bcc");
	hdr_remove(h, "Return-Path");
	if (o->force_from != NULL && force_from(h, o->force_from, e) == -1)
		return -1;
	if (o->maildomain != NULL && *o->maildomain != '\0' &&
	    qualify_all(h, o->maildomain, e) == -1)
		return -1;
	if (hdr_find(h, "From", 0) < 0 && add_from(h, o, e) == -1)
		return -1;
	if (hdr_find(h, "Date", 0) < 0 && add_date(h, o->now, e) == -1)
		return -1;
	if (hdr_find(h, "Message-ID", 0) < 0 &&
	    add_msgid(h, o->msgid_domain != NULL ? o->msgid_domain :
	    o->maildomain, o->now, e) == -1)
		return -1;
	return 0;
}
