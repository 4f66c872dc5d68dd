/*
 * spool.c - the body spool (see spool.h): memory up to BOUNDS_SPOOL_MEM,
 * then an unlinked temporary file, so a message of any size up to
 * BOUNDS_MESSAGE (RFC 1870 SIZE is what the relay accepts; we enforce
 * our own cap) is held in bounded memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

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
			err_nomem(e);
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
