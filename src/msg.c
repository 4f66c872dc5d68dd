/*
 * msg.c - reading a message into canonical form, the body spool, and
 * writing the message out (DESIGN §4).
 *
 * RFC 5322 §2.1 and §2.3: lines end in CRLF; CR and LF appear only
 * together. Input ending in LF or CRLF is accepted; a bare CR becomes a
 * space so no byte sequence can later be read as an end of data by a
 * server that is lax about line endings (SMTP smuggling). RFC 5322 §2.2:
 * header fields are "name:value" with folding; RFC 5321 §4.5.2 for the
 * dot-stuffing done on output; RFC 4155 for the mbox "From " line.
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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

#define RD_BLOCK	65536	/* read() size */
#define EM_BLOCK	(2 * BOUNDS_IO_BLOCK)	/* output block: 2 records */

/* ---------------------------------------------------------------- spool */

void
spool_init(struct spool *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

void
spool_free(struct spool *s)
{
	free(s->mem);
	if (s->fd != -1)
		close(s->fd);
	spool_init(s);
}

/* The spill file: created and unlinked at once, so it never outlives us. */
static int
spool_tmp(struct spool *s, struct err *e)
{
	const char *dir = getenv("TMPDIR");
	char path[BOUNDS_PATH];
	int n;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	n = snprintf(path, sizeof(path), "%s/relaymail.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(e, EX_CANTCREAT, "temporary directory name "
		    "too long");
	if ((s->fd = mkostemp(path, O_CLOEXEC)) == -1)
		return err_set(e, EX_CANTCREAT, "cannot create a temporary "
		    "file in %s: %s", dir, strerror(errno));
	unlink(path);
	return 0;
}

static int
write_all(int fd, const char *p, size_t len, struct err *e)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return err_set(e, EX_IOERR, "writing the temporary "
			    "file: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Keep up to BOUNDS_SPOOL_MEM in memory; returns how much was taken. */
static size_t
spool_mem(struct spool *s, const char *p, size_t len, struct err *e)
{
	size_t n = BOUNDS_SPOOL_MEM - s->memlen, ncap;
	char *nm;

	if (n > len)
		n = len;
	if (s->memlen + n > s->memcap) {
		ncap = s->memcap ? s->memcap : 8192;
		while (ncap < s->memlen + n)
			ncap *= 2;
		if (ncap > BOUNDS_SPOOL_MEM)
			ncap = BOUNDS_SPOOL_MEM;
		if ((nm = realloc(s->mem, ncap)) == NULL) {
			err_set(e, EX_OSERR, "out of memory");
			return (size_t)-1;
		}
		s->mem = nm;
		s->memcap = ncap;
	}
	memcpy(s->mem + s->memlen, p, n);
	s->memlen += n;
	s->len += (off_t)n;
	return n;
}

int
spool_write(struct spool *s, const void *buf, size_t len, struct err *e)
{
	const char *p = buf;
	size_t n;

	if ((long long)s->len + (long long)len > BOUNDS_MESSAGE)
		return err_set(e, EX_DATAERR, "message larger than %lld "
		    "octets", (long long)BOUNDS_MESSAGE);
	if (s->fd == -1 && s->memlen < BOUNDS_SPOOL_MEM) {
		if ((n = spool_mem(s, p, len, e)) == (size_t)-1)
			return -1;
		p += n;
		len -= n;
	}
	if (len == 0)
		return 0;
	if (s->fd == -1 && spool_tmp(s, e) == -1)
		return -1;
	if (write_all(s->fd, p, len, e) == -1)
		return -1;
	s->len += (off_t)len;
	return 0;
}

int
spool_rewind(struct spool *s, struct err *e)
{
	(void)e;
	s->pos = 0;
	return 0;
}

ssize_t
spool_read(struct spool *s, void *buf, size_t len, struct err *e)
{
	size_t n;
	ssize_t r;

	if (s->pos < (off_t)s->memlen) {
		n = s->memlen - (size_t)s->pos;
		if (n > len)
			n = len;
		memcpy(buf, s->mem + s->pos, n);
		s->pos += (off_t)n;
		return (ssize_t)n;
	}
	if (s->pos >= s->len || len == 0)
		return 0;
	do
		r = pread(s->fd, buf, len, s->pos - (off_t)s->memlen);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return err_set(e, EX_IOERR, "reading the temporary file: %s",
		    strerror(errno));
	s->pos += r;
	return r;
}

/* ----------------------------------------------------------- the message */

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
	spool_free(&m->body);
	msg_init(m);
}

off_t
msg_size(const struct msg *m)
{
	off_t n = 2 + m->body.len;	/* the empty line and the body */
	size_t i;

	for (i = 0; i < m->hdrs.n; i++)
		n += (off_t)(strlen(m->hdrs.v[i].name) + 1 +
		    strlen(m->hdrs.v[i].value) + 2);
	return n;
}

/* ------------------------------------------------------------ msg_emit */

struct emitter {
	char		 buf[EM_BLOCK];
	size_t		 len;
	int		 bol, stuff;
	msg_write_fn	 fn;
	void		*ctx;
};

static int
em_raw(struct emitter *w, const char *p, size_t n, struct err *e)
{
	size_t k;

	while (n > 0) {
		k = sizeof(w->buf) - w->len;
		if (k > n)
			k = n;
		memcpy(w->buf + w->len, p, k);
		w->len += k;
		p += k;
		n -= k;
		if (w->len == sizeof(w->buf)) {
			if (w->fn(w->ctx, w->buf, w->len, e) == -1)
				return -1;
			w->len = 0;
		}
	}
	return 0;
}

/* Copy with dot-stuffing; bol survives between calls and blocks. */
static int
em_put(struct emitter *w, const char *p, size_t n, struct err *e)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		if (w->stuff && w->bol && *p == '.' &&
		    em_raw(w, ".", 1, e) == -1)
			return -1;
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (em_raw(w, p, k, e) == -1)
			return -1;
		w->bol = nl != NULL;
		p += k;
		n -= k;
	}
	return 0;
}

static int
em_str(struct emitter *w, const char *s, struct err *e)
{
	return em_put(w, s, strlen(s), e);
}

static int
emit_all(struct msg *m, struct emitter *w, char *rbuf, struct err *e)
{
	ssize_t n;
	size_t i;

	for (i = 0; i < m->hdrs.n; i++)
		if (em_str(w, m->hdrs.v[i].name, e) == -1 ||
		    em_str(w, ":", e) == -1 ||
		    em_str(w, m->hdrs.v[i].value, e) == -1 ||
		    em_str(w, "\r\n", e) == -1)
			return -1;
	if (em_str(w, "\r\n", e) == -1 || spool_rewind(&m->body, e) == -1)
		return -1;
	while ((n = spool_read(&m->body, rbuf, RD_BLOCK, e)) > 0)
		if (em_put(w, rbuf, (size_t)n, e) == -1)
			return -1;
	if (n == -1)
		return -1;
	if (w->len > 0 && w->fn(w->ctx, w->buf, w->len, e) == -1)
		return -1;
	return 0;
}

int
msg_emit(struct msg *m, int flags, msg_write_fn fn, void *ctx, struct err *e)
{
	struct emitter *w;
	char *rbuf;
	int r;

	w = malloc(sizeof(*w));
	rbuf = malloc(RD_BLOCK);
	if (w == NULL || rbuf == NULL) {
		free(w);
		free(rbuf);
		return err_set(e, EX_OSERR, "out of memory");
	}
	w->len = 0;
	w->bol = 1;
	w->stuff = (flags & MSG_EMIT_DOTSTUFF) != 0;
	w->fn = fn;
	w->ctx = ctx;
	r = emit_all(m, w, rbuf, e);
	free(w);
	free(rbuf);
	return r;
}
