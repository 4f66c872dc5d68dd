/*
 * msg.c - reading a message into canonical form and parsing its header
 * section (relaymail(8)). The body goes to a spool (spool.c); writing the
 * message out is msg_emit.c's.
 *
 * RFC 5322 §2.1 and §2.3: lines end in CRLF; CR and LF appear only
 * together. Input ending in LF or CRLF is accepted; a bare CR becomes a
 * space so no byte sequence can later be read as an end of data by a
 * server that is lax about line endings (SMTP smuggling). RFC 5322 §2.2:
 * header fields are "name:value" with folding; RFC 4155 for the mbox
 * "From " line.
 *
 * Where the header section ends: at the empty line, or at the first line
 * that is neither a header field (a name of printable characters followed
 * by a colon, RFC 5322 §2.2/§3.6.8, white space before the colon allowed
 * as in §4.5) nor a continuation. That line and everything after it is
 * body, and has_body_sep is 0 (msg_emit writes the empty line anyway, so
 * the text is not read as a header by the next hop). So a message whose
 * first line is not a header field has no headers at all: all of it is
 * body, as Postfix and sendmail treat it.
 *
 * Input is read in 64 KiB blocks and pushed through a byte state machine
 * (with a fast path for runs of ordinary body bytes), so a line or a lone
 * "." split across blocks is handled like any other.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hdr.h"
#include "msg.h"

#define RD_BLOCK	65536	/* read() size */

void
msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	spool_init(&m->body);
}

void
msg_free(struct msg *m)
{
	size_t i;

	for (i = 0; i < m->hdrs.n; i++) {
		free(m->hdrs.v[i].name);
		free(m->hdrs.v[i].value);
	}
	free(m->hdrs.v);
	if (m->mime != NULL && m->mime_free != NULL)
		m->mime_free(m->mime);
	spool_free(&m->body);
	msg_init(m);
}

/* ------------------------------------------------------------ msg_read */

enum phase { PH_HDR, PH_SKIP, PH_BODY, PH_DONE };
/* Where we are in a physical line of the header section. */
enum lstate { L_START, L_NAME, L_WSP, L_VALUE };

struct msg_reader {
	struct msg	*m;
	int		 dot_ends, raw;
	enum phase	 phase;
	enum lstate	 ls;
	int		 first;		/* on the first line of input */
	int		 pending_cr;
	int		 midline;	/* content seen since the last EOL */
	size_t		 linelen;
	/* header section: the field being read, folding kept */
	char		*fld;
	size_t		 flen, fcap, hdrtotal;
	/* body */
	int		 bol, dot_held;
	char		 out[RD_BLOCK];
	size_t		 olen;
	char		 in[RD_BLOCK];
};

static int
out_flush(struct msg_reader *r, struct err *e)
{
	if (r->olen > 0 && spool_write(&r->m->body, r->out, r->olen, e) == -1)
		return -1;
	r->olen = 0;
	return 0;
}

static int
out_put(struct msg_reader *r, const char *p, size_t n, struct err *e)
{
	if (r->olen + n > sizeof(r->out) && out_flush(r, e) == -1)
		return -1;
	memcpy(r->out + r->olen, p, n);	/* n is at most one block */
	r->olen += n;
	return 0;
}

static int
body_byte(struct msg_reader *r, char c, struct err *e)
{
	if (r->dot_held) {
		r->dot_held = 0;
		if (out_put(r, ".", 1, e) == -1)
			return -1;
	} else if (r->bol && c == '.' && r->dot_ends) {
		r->bol = 0;
		r->dot_held = 1;	/* a lone "." unless more follows */
		return 0;
	}
	r->bol = 0;
	return out_put(r, &c, 1, e);
}

static int
body_eol(struct msg_reader *r, struct err *e)
{
	if (r->dot_held) {
		r->dot_held = 0;
		r->phase = PH_DONE;	/* the lone-dot line ends input */
		return 0;
	}
	r->bol = 1;
	return out_put(r, "\r\n", 2, e);
}

static int
fld_add(struct msg_reader *r, const char *p, size_t n, struct err *e)
{
	size_t ncap;
	char *nf;

	if (r->flen + n > BOUNDS_HEADER)
		return err_set(e, EX_DATAERR, "header field longer than %d "
		    "octets", BOUNDS_HEADER);
	if (r->hdrtotal + r->flen + n > BOUNDS_HEADERS_TOTAL)
		return err_set(e, EX_DATAERR, "header section larger than %d "
		    "octets", BOUNDS_HEADERS_TOTAL);
	if (r->flen + n + 1 > r->fcap) {
		ncap = r->fcap ? r->fcap * 2 : 256;
		while (ncap < r->flen + n + 1)
			ncap *= 2;
		if ((nf = realloc(r->fld, ncap)) == NULL)
			return err_nomem(e);
		r->fld = nf;
		r->fcap = ncap;
	}
	memcpy(r->fld + r->flen, p, n);
	r->flen += n;
	r->fld[r->flen] = '\0';
	return 0;
}

/* The field in r->fld is complete: split it at the colon into hdrs. */
static int
fld_push(struct msg_reader *r, struct err *e)
{
	char *colon, *end;

	if (r->flen == 0)
		return 0;
	colon = strchr(r->fld, ':');
	/* RFC 5322 §4.5 (obsolete syntax): blanks before the colon. */
	for (end = colon; end > r->fld && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	*end = '\0';
	if (hdr_insert(&r->m->hdrs, r->m->hdrs.n, r->fld, colon + 1, e) == -1)
		return -1;
	r->hdrtotal += r->flen;
	r->flen = 0;
	return 0;
}

/* The line being read is not a header field: it and the rest is body. */
static int
to_body(struct msg_reader *r, struct err *e)
{
	size_t i;

	r->phase = PH_BODY;
	r->bol = 1;
	for (i = 0; i < r->flen; i++)
		if (body_byte(r, r->fld[i], e) == -1)
			return -1;
	r->flen = 0;
	return 0;
}

static int
hdr_name_byte(struct msg_reader *r, char c, struct err *e)
{
	unsigned char u = (unsigned char)c;

	if (c == ':' && r->flen > 0) {
		r->ls = L_VALUE;
		return fld_add(r, &c, 1, e);
	}
	if ((c == ' ' || c == '\t') && r->flen > 0) {
		if (r->first && !r->raw && r->flen == 4 &&
		    memcmp(r->fld, "From", 4) == 0) {
			r->phase = PH_SKIP;	/* mbox "From " line */
			r->flen = 0;
			return 0;
		}
		r->ls = L_WSP;
		return fld_add(r, &c, 1, e);
	}
	if (u > 32 && u < 127 && c != ':' && r->flen < BOUNDS_LINE)
		return fld_add(r, &c, 1, e);
	return to_body(r, e) == -1 ? -1 : body_byte(r, c, e);
}

static int
hdr_byte(struct msg_reader *r, char c, struct err *e)
{
	switch (r->ls) {
	case L_START:
		if (c == ' ' || c == '\t') {
			if (r->flen == 0)	/* nothing to continue */
				return to_body(r, e) == -1 ? -1 :
				    body_byte(r, c, e);
			r->ls = L_VALUE;
			return fld_add(r, "\r\n", 2, e) == -1 ? -1 :
			    fld_add(r, &c, 1, e);
		}
		if (fld_push(r, e) == -1)
			return -1;
		r->ls = L_NAME;
		return hdr_name_byte(r, c, e);
	case L_NAME:
		return hdr_name_byte(r, c, e);
	case L_WSP:
		if (c == ' ' || c == '\t' || c == ':') {
			if (c == ':')
				r->ls = L_VALUE;
			return fld_add(r, &c, 1, e);
		}
		return to_body(r, e) == -1 ? -1 : body_byte(r, c, e);
	case L_VALUE:
		return fld_add(r, &c, 1, e);
	}
	return 0;
}

static int
hdr_eol(struct msg_reader *r, struct err *e)
{
	switch (r->ls) {
	case L_START:			/* the empty line */
		r->m->has_body_sep = 1;
		r->phase = PH_BODY;
		r->bol = 1;
		return fld_push(r, e);
	case L_NAME:
	case L_WSP:
		return to_body(r, e) == -1 ? -1 : body_eol(r, e);
	case L_VALUE:
		r->ls = L_START;	/* the field may continue */
		return 0;
	}
	return 0;
}

static int
rd_byte(struct msg_reader *r, char c, struct err *e)
{
	r->midline = 1;
	r->linelen++;
	if ((unsigned char)c > 127)
		r->m->eightbit = 1;
	if (r->phase == PH_HDR)
		return hdr_byte(r, c, e);
	if (r->phase == PH_BODY)
		return body_byte(r, c, e);
	return 0;
}

static int
rd_eol(struct msg_reader *r, struct err *e)
{
	int rc = 0;

	if (r->phase != PH_SKIP && r->linelen > r->m->longest_line)
		r->m->longest_line = r->linelen;
	r->linelen = 0;
	r->midline = 0;
	if (r->phase == PH_HDR)
		rc = hdr_eol(r, e);
	else if (r->phase == PH_BODY)
		rc = body_eol(r, e);
	else if (r->phase == PH_SKIP) {
		r->phase = PH_HDR;
		r->ls = L_START;
	}
	r->first = 0;
	return rc;
}

/* Bytes of w equal to zero have their high bit set in the result (the
 * classic "has zero byte" test, exact when no byte is >= 0x80). */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL
#define ZERO_BYTES(w)	(((w) - ONES) & ~(w) & HIGHS)

/* Length of the run of ordinary body bytes at p (no CR, LF, NUL): eight
 * bytes at a time while none of them is special or 8-bit. */
static size_t
plain_run(struct msg_reader *r, const unsigned char *p, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if ((w & HIGHS) != 0 || ZERO_BYTES(w) != 0 ||
		    ZERO_BYTES(w ^ (ONES * '\n')) != 0 ||
		    ZERO_BYTES(w ^ (ONES * '\r')) != 0)
			break;
	}
	for (; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			break;
		if (p[i] > 127)
			r->m->eightbit = 1;
	}
	return i;
}

static int
rd_block(struct msg_reader *r, const char *buf, size_t n, struct err *e)
{
	size_t i = 0, k;
	char c;

	while (i < n && r->phase != PH_DONE) {
		if (r->phase == PH_BODY && !r->dot_held && !r->pending_cr &&
		    (!r->bol || buf[i] != '.') &&
		    (k = plain_run(r, (const unsigned char *)buf + i,
		    n - i > RD_BLOCK ? RD_BLOCK : n - i)) > 0) {
			if (out_put(r, buf + i, k, e) == -1)
				return -1;
			r->bol = 0;
			r->linelen += k;
			r->midline = 1;
			i += k;
			continue;
		}
		c = buf[i++];
		if (c == '\0') {
			r->m->nul_removed++;
			continue;
		}
		if (r->pending_cr) {
			r->pending_cr = 0;
			if (c == '\n') {
				if (rd_eol(r, e) == -1)
					return -1;
				continue;
			}
			r->m->bare_cr = 1;
			if (rd_byte(r, ' ', e) == -1)
				return -1;
			if (r->phase == PH_DONE)
				break;
		}
		if (c == '\r')
			r->pending_cr = 1;
		else if ((c == '\n' ? rd_eol(r, e) : rd_byte(r, c, e)) == -1)
			return -1;
	}
	return 0;
}

/* End of input: finish the last line and the header section. */
static int
rd_finish(struct msg_reader *r, struct err *e)
{
	if (r->phase == PH_DONE)
		return out_flush(r, e);
	if (r->pending_cr) {
		r->pending_cr = 0;
		r->m->bare_cr = 1;
		if (rd_byte(r, ' ', e) == -1)
			return -1;
	}
	if (r->midline && rd_eol(r, e) == -1)
		return -1;
	if (r->phase == PH_HDR && fld_push(r, e) == -1)
		return -1;
	return out_flush(r, e);
}

static int
rd_fd(struct msg_reader *r, int fd, struct err *e)
{
	ssize_t n;

	while (r->phase != PH_DONE) {
		n = read(fd, r->in, sizeof(r->in));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return err_set(e, errno == EBADF ? EX_NOINPUT :
			    EX_IOERR, "reading the message: %s",
			    strerror(errno));
		if (n == 0)
			break;
		if (rd_block(r, r->in, (size_t)n, e) == -1)
			return -1;
	}
	return rd_finish(r, e);
}

int
msg_reader_new(struct msg_reader **out, struct msg *m, int flags,
    struct err *e)
{
	struct msg_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_nomem(e);
	r->m = m;
	r->raw = (flags & MSG_RAW) != 0;
	r->dot_ends = (flags & MSG_DOT_ENDS) != 0 && !r->raw;
	r->phase = PH_HDR;
	r->ls = L_START;
	r->first = 1;
	*out = r;
	return 0;
}

int
msg_reader_feed(struct msg_reader *mr, const void *buf, size_t n,
    struct err *e)
{
	return rd_block(mr, buf, n, e);
}

int
msg_reader_end(struct msg_reader *mr, struct err *e)
{
	return rd_finish(mr, e);
}

void
msg_reader_free(struct msg_reader *mr)
{
	struct msg_reader *r = mr;

	if (r == NULL)
		return;
	free(r->fld);
	free(r);
}

/*
 * Reading stdin has no deadline on purpose: the caller may be a person
 * typing or a program producing the message slowly, and sendmail waits
 * for them too; everything on the network side has one.
 */
int
msg_read(struct msg *m, int fd, int flags, struct err *e)
{
	struct msg_reader *mr;
	int rc;

	if (msg_reader_new(&mr, m, flags, e) == -1)
		return -1;
	rc = rd_fd(mr, fd, e);
	msg_reader_free(mr);
	return rc;
}
