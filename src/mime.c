/*
 * mime.c - the structure scan behind mime.h: which entities of a
 * message hold a line over 998 octets (RFC 5322 §2.1.1) or 8-bit
 * octets (RFC 6152), and what they are (RFC 2045 §5, §6; RFC 2046 §5.1
 * multipart: a delimiter is CRLF "--" boundary, then "--" for the last
 * one, then transport padding; a boundary of an enclosing multipart
 * also ends the inner ones; the CRLF before a delimiter belongs to it).
 *
 * The body spool is read once, in blocks, line by line: only the first
 * octets of a line are kept (enough to recognise a delimiter) and a
 * part's header section (up to BOUNDS_HEADER), so memory does not grow
 * with the message. Entities with nothing to fix are not recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "mime_int.h"

#define SC_READ		65536
#define SC_LBUF		(2 + BOUNDS_MIME_BOUNDARY + 2)

struct frame {
	char	 bnd[BOUNDS_MIME_BOUNDARY + 1];
	size_t	 blen;
	int	 is_signed, is_digest;
};

struct scanner {
	struct mime_scan *s;
	struct frame	 st[BOUNDS_MIME_DEPTH];
	int		 depth;
	struct mime_ent	 cur;		/* the entity being read */
	int		 in_hdr;	/* in a part's header section */
	char		*hbuf;
	size_t		 hlen;
	int		 hover;
	/* the line being read */
	off_t		 off, lstart;
	size_t		 llen, lastnw, lineno;
	int		 l8, lastcr;
	char		 lbuf[SC_LBUF];
	struct mime_utf8 u;		/* UTF-8 of the current entity */
};

static void
ent_begin(struct scanner *sc, enum mime_kind k, off_t hdr_off, off_t body)
{
	memset(&sc->cur, 0, sizeof(sc->cur));
	sc->cur.kind = k;
	sc->cur.hdr_off = hdr_off;
	sc->cur.body_off = body;
	sc->cur.end_off = body;
	sc->cur.in_signed = sc->depth > 0 && sc->st[sc->depth - 1].is_signed;
	memset(&sc->u, 0, sizeof(sc->u));
}

/* The entity ends at end: keep it when something in it needs fixing. */
static int
ent_end(struct scanner *sc, off_t end, struct err *e)
{
	struct mime_scan *s = sc->s;
	struct mime_ent *nv;
	size_t ncap;

	if (end < sc->cur.body_off)
		end = sc->cur.body_off;
	sc->cur.end_off = end;
	if (sc->u.need > 0)
		sc->cur.utf8_bad = 1;	/* a sequence cut short */
	if (!sc->cur.longl && !sc->cur.eightbit && !sc->cur.hdr_long &&
	    !sc->cur.hdr_8bit)
		return 0;
	if (s->n == BOUNDS_MIME_FIXES) {
		s->too_many = 1;
		return 0;
	}
	if (s->n == s->cap) {
		ncap = s->cap ? s->cap * 2 : 8;
		if ((nv = realloc(s->v, ncap * sizeof(*nv))) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = sc->cur;
	return 0;
}

/* Push a multipart frame; 0, or 1 when it cannot be followed (why). */
static int
push_frame(struct scanner *sc, const struct mime_ct *ct, const char **why)
{
	struct frame *f;
	int sig;

	if (!ct->has_boundary || ct->boundary_bad) {
		*why = "a multipart part whose boundary is missing or over "
		    "70 characters (RFC 2046 §5.1.1)";
		return 1;
	}
	if (sc->depth == BOUNDS_MIME_DEPTH) {
		*why = "MIME parts nested too deep";
		return 1;
	}
	sig = strcmp(ct->subtype, "signed") == 0 ||
	    strcmp(ct->subtype, "encrypted") == 0;
	f = &sc->st[sc->depth];
	f->blen = strlen(ct->boundary);
	memcpy(f->bnd, ct->boundary, f->blen + 1);
	f->is_signed = sig || (sc->depth > 0 &&
	    sc->st[sc->depth - 1].is_signed);
	f->is_digest = strcmp(ct->subtype, "digest") == 0;
	sc->depth++;
	return 0;
}

/*
 * What the entity is, once its header section is known (cte/ct spans
 * may be NULL). A multipart pushes a frame and its preamble begins;
 * its own header facts are kept as an entity of its own.
 */
static int
classify(struct scanner *sc, const char *ctv, size_t ctn, const char *ctev,
    size_t cten, int top, struct err *e)
{
	struct mime_ct ct;
	const char *why = NULL;
	int have = ctv != NULL && mime_ct_parse(ctv, ctn, &ct) == 0;
	int digest = sc->depth > 0 && sc->st[sc->depth - 1].is_digest;

	sc->cur.has_ct = have;
	sc->cur.cte = ctev != NULL ? mime_cte_parse(ctev, cten) : CTE_NONE;
	if (have && strcmp(ct.type, "multipart") == 0) {
		if (push_frame(sc, &ct, &why) == 0) {
			off_t body = sc->cur.body_off;

			sc->cur.is_multi = 1;
			if (!top && ent_end(sc, body, e) == -1)
				return -1;
			ent_begin(sc, MK_PREAMBLE, body, body);
			return 0;
		}
		sc->cur.kind = MK_OPAQUE;
		sc->cur.why_opaque = why;
	} else if ((have && strcmp(ct.type, "message") == 0) ||
	    (!have && digest))
		sc->cur.kind = MK_MESSAGE;	/* RFC 2046 §5.1.5 default */
	else {
		sc->cur.kind = MK_LEAF;
		sc->cur.is_text = !have || strcmp(ct.type, "text") == 0;
		sc->cur.has_charset = have && ct.has_charset;
	}
	return 0;
}

/* The empty line ended a part's header section. */
static int
part_headers_done(struct scanner *sc, struct err *e)
{
	const char *ctv, *ctev;
	size_t ctn = 0, cten = 0;

	sc->in_hdr = 0;
	sc->cur.body_off = sc->off;
	memset(&sc->u, 0, sizeof(sc->u));
	if (sc->hover) {
		sc->cur.kind = MK_OPAQUE;
		sc->cur.why_opaque = "a part header section over the size "
		    "limit";
		return 0;
	}
	ctv = mime_part_field(sc->hbuf, sc->hlen, "Content-Type", &ctn);
	ctev = mime_part_field(sc->hbuf, sc->hlen, "Content-Transfer-Encoding",
	    &cten);
	return classify(sc, ctv, ctn, ctev, cten, 0, e);
}

/* Index of the frame whose delimiter the line is, or -1; *close for
 * the close delimiter. */
static int
delimiter(const struct scanner *sc, int *close)
{
	size_t n = sc->lastnw;
	int k;

	if (n < 3 || n > SC_LBUF || sc->lbuf[0] != '-' || sc->lbuf[1] != '-')
		return -1;
	for (k = sc->depth - 1; k >= 0; k--) {
		const struct frame *f = &sc->st[k];

		if (n != f->blen + 2 && n != f->blen + 4)
			continue;
		if (memcmp(sc->lbuf + 2, f->bnd, f->blen) != 0)
			continue;
		if (n == f->blen + 4 && memcmp(sc->lbuf + 2 + f->blen, "--",
		    2) != 0)
			continue;
		*close = n == f->blen + 4;
		return k;
	}
	return -1;
}

/* Can the part header line just read (the end of hbuf) be folded? */
static int
folds(const struct scanner *sc)
{
	struct err fe;

	if (sc->hover || sc->hlen < sc->llen + 2)
		return 0;
	return mime_fold_line(sc->hbuf + sc->hlen - sc->llen - 2, sc->llen,
	    NULL, NULL, &fe) == 0;
}

static int
line_done(struct scanner *sc, struct err *e)
{
	int k, close = 0;

	sc->lineno++;
	if ((k = delimiter(sc, &close)) >= 0) {
		if (sc->llen > BOUNDS_LINE && sc->s->delim_long_line == 0)
			sc->s->delim_long_line = sc->lineno;
		/* a header section cut short by the delimiter takes the
		 * CRLF before it (there is no body to end) */
		if (sc->in_hdr)
			sc->cur.body_off = sc->lstart;
		if (ent_end(sc, sc->lstart - 2, e) == -1)
			return -1;
		sc->depth = close ? k : k + 1;
		sc->in_hdr = !close;
		sc->hlen = 0;
		sc->hover = 0;
		ent_begin(sc, close ? MK_EPILOGUE : MK_LEAF, sc->off, sc->off);
		return 0;
	}
	if (sc->in_hdr) {
		if (sc->llen > BOUNDS_LINE && !sc->cur.hdr_long) {
			sc->cur.hdr_long = 1;
			sc->cur.hdr_long_line = sc->lineno;
		}
		if (sc->llen > BOUNDS_LINE && !sc->cur.hdr_unfoldable &&
		    !folds(sc)) {
			sc->cur.hdr_unfoldable = 1;
			sc->cur.hdr_long_line = sc->lineno;
		}
		if (sc->l8 && !sc->cur.hdr_8bit) {
			sc->cur.hdr_8bit = 1;
			sc->cur.hdr_8bit_line = sc->lineno;
		}
		return sc->llen == 0 ? part_headers_done(sc, e) : 0;
	}
	if (sc->llen > BOUNDS_LINE && !sc->cur.longl) {
		sc->cur.longl = 1;
		sc->cur.long_line = sc->lineno;
		sc->cur.long_len = sc->llen;
	}
	if (sc->l8 && !sc->cur.eightbit) {
		sc->cur.eightbit = 1;
		sc->cur.eight_line = sc->lineno;
	}
	return 0;
}

static void
hdr_append(struct scanner *sc, const void *p, size_t n)
{
	if (sc->hlen + n > BOUNDS_HEADER)
		sc->hover = 1;
	else {
		memcpy(sc->hbuf + sc->hlen, p, n);
		sc->hlen += n;
	}
}

/* Octets p[0..n) of the current line (no LF; a CR may be among them). */
static void
line_bytes(struct scanner *sc, const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	sc->lastcr = p[n - 1] == '\r';
	for (i = 0; i < n; i++) {
		if (sc->llen < SC_LBUF)
			sc->lbuf[sc->llen] = (char)p[i];
		sc->llen++;
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			sc->lastnw = sc->llen;
		if (p[i] > 127)
			sc->l8 = 1;
		if (!sc->in_hdr && !sc->cur.utf8_bad &&
		    mime_utf8_feed(&sc->u, p[i]) == -1)
			sc->cur.utf8_bad = 1;
	}
	if (sc->in_hdr)
		hdr_append(sc, p, n);
}

static int
scan_block(struct scanner *sc, const char *buf, size_t n, struct err *e)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		nl = memchr(buf, '\n', n);
		k = nl != NULL ? (size_t)(nl - buf) : n;
		line_bytes(sc, (const unsigned char *)buf, k);
		sc->off += (off_t)k;
		if (nl == NULL)
			return 0;
		if (sc->in_hdr)
			hdr_append(sc, "\n", 1);
		sc->off++;
		if (sc->llen > 0 && sc->lastcr)
			sc->llen--;	/* the CR of the CRLF */
		if (line_done(sc, e) == -1)
			return -1;
		sc->lstart = sc->off;
		sc->llen = sc->lastnw = 0;
		sc->l8 = sc->lastcr = 0;
		buf += k + 1;
		n -= k + 1;
	}
	return 0;
}

/* The message's own header section: long and 8-bit fields, whether
 * each long line can be folded. */
static int
top_headers(struct msg *m, struct mime_scan *s, struct err *e)
{
	size_t i, len;
	const char *p, *cr;
	char *f;
	struct err fe;

	for (i = 0; i < m->hdrs.n; i++) {
		if ((f = mime_field_text(&m->hdrs.v[i])) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		for (p = f;; p = cr + 2) {
			cr = strstr(p, "\r\n");
			len = cr != NULL ? (size_t)(cr - p) : strlen(p);
			if (len > BOUNDS_LINE)
				s->top_long = 1;
			if (len > BOUNDS_LINE && !s->top_unfoldable &&
			    mime_fold_line(p, len, NULL, NULL, &fe) == -1) {
				s->top_unfoldable = 1;
				snprintf(s->top_long_name,
				    sizeof(s->top_long_name), "%s",
				    m->hdrs.v[i].name);
			}
			if (cr == NULL)
				break;
		}
		free(f);
		if (!s->top_8bit && mime_field_8bit(&m->hdrs.v[i])) {
			s->top_8bit = 1;
			snprintf(s->top_8bit_name, sizeof(s->top_8bit_name),
			    "%s", m->hdrs.v[i].name);
		}
	}
	return 0;
}

/* The message's own Content-Type decides what the body is. */
static int
top_entity(struct msg *m, struct scanner *sc, struct err *e)
{
	char *ct = NULL, *cte = NULL;
	int i, rc;

	ent_begin(sc, MK_LEAF, -1, 0);
	if ((i = hdr_find(&m->hdrs, "Content-Type", 0)) >= 0 &&
	    (ct = hdr_unfold(&m->hdrs, (size_t)i)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	if ((i = hdr_find(&m->hdrs, "Content-Transfer-Encoding", 0)) >= 0 &&
	    (cte = hdr_unfold(&m->hdrs, (size_t)i)) == NULL) {
		free(ct);
		return err_set(e, EX_OSERR, "out of memory");
	}
	rc = classify(sc, ct, ct != NULL ? strlen(ct) : 0, cte,
	    cte != NULL ? strlen(cte) : 0, 1, e);
	free(ct);
	free(cte);
	return rc;
}

static int
scan_body(struct msg *m, struct scanner *sc, char *buf, struct err *e)
{
	ssize_t n;

	if (spool_rewind(&m->body, e) == -1)
		return -1;
	while ((n = spool_read(&m->body, buf, SC_READ, e)) > 0)
		if (scan_block(sc, buf, (size_t)n, e) == -1)
			return -1;
	if (n == -1)
		return -1;
	if (sc->llen > 0 && line_done(sc, e) == -1)
		return -1;
	if (sc->in_hdr)
		sc->cur.body_off = sc->off;
	return ent_end(sc, sc->off, e);
}

int
mime_scan_run(struct msg *m, struct mime_scan *s, struct err *e)
{
	struct scanner *sc;
	char *buf;
	int rc = -1;

	sc = calloc(1, sizeof(*sc));
	buf = malloc(SC_READ);
	if (sc == NULL || buf == NULL ||
	    (sc->hbuf = malloc(BOUNDS_HEADER)) == NULL) {
		rc = err_set(e, EX_OSERR, "out of memory");
		goto out;
	}
	sc->s = s;
	if (top_headers(m, s, e) == -1 || top_entity(m, sc, e) == -1)
		goto out;
	sc->lineno = 0;		/* body lines count from 1 */
	rc = scan_body(m, sc, buf, e);
out:
	if (sc != NULL)
		free(sc->hbuf);
	free(sc);
	free(buf);
	return rc;
}
