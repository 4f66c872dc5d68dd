/*
 * tls_cache.c - cached TLS sessions for resumption (RFC 8446 §2.2 and
 * §4.6.1 session tickets; RFC 5077 tickets for TLS 1.2). The contract
 * is in tls_cache.h; tls.c decides when to offer and when to store.
 *
 * A cache file, queue_dir/tls/<SHA-256 of the id, hex>:
 *
 *	relaymail-tls-session 2\n
 *	id <account> <host> <port> <name>\n
 *	expires <unix seconds>\n
 *	verified <SHA-256 hex> <not before> <not after>\n   or   verified -\n
 *	length <octets>\n
 *	\n
 *	<octets of GnuTLS session data (gnutls_session_get_data2)>
 *
 * The id line must match exactly (a hash collision or a file copied
 * from another account is never used), the expiry must lie in the
 * future and at most 7 days ahead (RFC 8446 §4.6.1: clients MUST NOT
 * cache tickets longer), and the length must be that of the rest of the
 * file (a torn or truncated file is ignored). The verified line is
 * tls.c's binding of the chain to the trust it was verified against
 * (tls_cache.h); a file of an older format is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "hex.h"
#include "qfile.h"
#include "secret.h"
#include "tls_cache.h"

#define TLS_CACHE_MAGIC		"relaymail-tls-session 2\n"
#define TLS_CACHE_MAX_AGE	(7 * 86400)	/* RFC 8446 §4.6.1 */
#define TLS_CACHE_HEAD		(BOUNDS_PATH + 128)

/* Whether creating dir would create no top-level directory: a HOME
 * that does not exist (HOME=/nonexistent) gives no cache, not a new
 * directory under /. */
static int
cache_may_create(const char *dir)
{
	char path[BOUNDS_PATH];
	struct stat st;
	char *slash;
	size_t len = strlen(dir);

	if (len >= sizeof(path))
		return 0;
	memcpy(path, dir, len + 1);
	while ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (stat(path, &st) == 0)
			return S_ISDIR(st.st_mode);
	}
	return 0;
}

/* queue_dir/tls with the queue directory's own mode (0700, or 2770 for
 * the system queue, whose setgid bit gives new files its group). */
int
tls_cache_dir(const struct tls_params *tp, char *out, size_t len)
{
	const char *queue_dir = tp->state_dir;
	struct stat st;
	struct err e;
	int n;

	if (queue_dir == NULL || queue_dir[0] != '/')
		return -1;
	if (stat(queue_dir, &st) == -1 && (!cache_may_create(queue_dir) ||
	    qfile_mkdirs(queue_dir, &e) == -1))
		return -1;
	if (stat(queue_dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return -1;
	n = snprintf(out, len, "%s/tls", queue_dir);
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (mkdir(out, 0700) == 0)
		(void)chmod(out, st.st_mode & 07777);
	else if (errno != EEXIST)
		return -1;
	return 0;
}

void
tls_cache_init(struct tls_cache *tc, const struct tls_params *tp,
    const char *host, int port, const char *name)
{
	unsigned char h[32];
	char dir[BOUNDS_PATH];
	int n;

	memset(tc, 0, sizeof(*tc));
	if (!tp->session_cache)
		return;
	n = snprintf(tc->id, sizeof(tc->id), "%s %s %d %s", tp->cache_key, host,
	    port, name);
	if (n < 0 || (size_t)n >= sizeof(tc->id) ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, tc->id, (size_t)n, h) < 0 ||
	    tls_cache_dir(tp, dir, sizeof(dir)) == -1)
		return;
	n = snprintf(tc->path, sizeof(tc->path), "%s/", dir);
	if (n < 0 || (size_t)n + 2 * sizeof(h) >= sizeof(tc->path)) {
		tc->path[0] = '\0';
		return;
	}
	hex_encode(h, sizeof(h), tc->path + n);
}

void
tls_cache_free(gnutls_datum_t *data)
{
	if (data->data != NULL) {
		secret_bzero(data->data, data->size);
		gnutls_free(data->data);
	}
	data->data = NULL;
	data->size = 0;
}

/* Read the whole file (at most the header and BOUNDS_TLS_SESSION). */
static ssize_t
cache_read(const char *path, unsigned char *buf, size_t cap)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || (size_t)st.st_size > cap) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* "verified HEX NB NA\n" or "verified -\n" at p: *b, and the end. */
static const char *
cache_bind_line(const char *p, struct tls_cache_bind *b)
{
	char *q;

	memset(b, 0, sizeof(*b));
	if (strncmp(p, "verified ", 9) != 0)
		return NULL;
	p += 9;
	if (strncmp(p, "-\n", 2) == 0)
		return p + 2;
	if (hex_decode(p, b->digest, sizeof(b->digest)) == -1)
		return NULL;
	p += 2 * sizeof(b->digest);
	errno = 0;
	if (*p != ' ')
		return NULL;
	b->nb = strtoll(p + 1, &q, 10);
	if (errno != 0 || *q != ' ')
		return NULL;
	b->na = strtoll(q + 1, &q, 10);
	if (errno != 0 || *q != '\n' || b->nb >= b->na)
		return NULL;
	b->set = 1;
	return q + 1;
}

/* The header: returns its length, the expiry, binding and session
 * length. */
static int
cache_header(const struct tls_cache *tc, const unsigned char *buf,
    size_t len, long long *expires, struct tls_cache_bind *b, size_t *dlen)
{
	char head[TLS_CACHE_HEAD], want[sizeof(tc->id) + 8];
	const unsigned char *end;
	unsigned long long l;
	const char *r;
	char *p, *q;
	size_t hl;

	if ((end = memmem(buf, len < sizeof(head) ? len : sizeof(head),
	    "\n\n", 2)) == NULL)
		return -1;
	hl = (size_t)(end - buf) + 2;
	memcpy(head, buf, hl - 1);
	head[hl - 1] = '\0';
	snprintf(want, sizeof(want), "id %s\n", tc->id);
	p = head + strlen(TLS_CACHE_MAGIC);
	if (strncmp(head, TLS_CACHE_MAGIC, strlen(TLS_CACHE_MAGIC)) != 0 ||
	    strncmp(p, want, strlen(want)) != 0)
		return -1;
	p += strlen(want);
	if (strncmp(p, "expires ", 8) != 0)
		return -1;
	errno = 0;
	*expires = strtoll(p + 8, &q, 10);
	if (errno != 0 || *q != '\n' ||
	    (r = cache_bind_line(q + 1, b)) == NULL ||
	    strncmp(r, "length ", 7) != 0)
		return -1;
	l = strtoull(r + 7, &p, 10);
	if (errno != 0 || *p != '\n' || p[1] != '\0' || l == 0 ||
	    l != len - hl)
		return -1;
	*dlen = (size_t)l;
	return (int)hl;
}

int
tls_cache_load(const struct tls_cache *tc, gnutls_datum_t *data,
    struct tls_cache_bind *b)
{
	unsigned char *buf;
	long long expires, now = (long long)time(NULL);
	size_t cap = TLS_CACHE_HEAD + BOUNDS_TLS_SESSION, dlen;
	ssize_t len;
	int hl, rc = -1;

	data->data = NULL;
	data->size = 0;
	if (tc->path[0] == '\0' || (buf = malloc(cap)) == NULL)
		return -1;
	if ((len = cache_read(tc->path, buf, cap)) > 0 &&
	    (hl = cache_header(tc, buf, (size_t)len, &expires, b,
	    &dlen)) > 0 &&
	    expires > now && expires <= now + TLS_CACHE_MAX_AGE &&
	    (data->data = gnutls_malloc(dlen)) != NULL) {
		memcpy(data->data, buf + hl, dlen);
		data->size = (unsigned)dlen;
		rc = 0;
	}
	if (len > 0)
		secret_bzero(buf, (size_t)len);
	free(buf);
	return rc;
}

static int
cache_write(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The verified line's value (cache_bind_line reads it). */
static void
cache_bind_text(const struct tls_cache_bind *b, char *out, size_t len)
{
	char hex[2 * sizeof(b->digest) + 1];

	if (!b->set) {
		snprintf(out, len, "-");
		return;
	}
	hex_encode(b->digest, sizeof(b->digest), hex);
	snprintf(out, len, "%s %lld %lld", hex, b->nb, b->na);
}

void
tls_cache_store(const struct tls_cache *tc, const gnutls_datum_t *data,
    time_t expires, const struct tls_cache_bind *b)
{
	char tmp[BOUNDS_PATH + 32], head[TLS_CACHE_HEAD], bind[128];
	struct stat st;
	mode_t mode = 0600;
	int fd, n, hl, ok;

	if (tc->path[0] == '\0' || data->size == 0 ||
	    data->size > BOUNDS_TLS_SESSION)
		return;
	if (expires > time(NULL) + TLS_CACHE_MAX_AGE)
		expires = time(NULL) + TLS_CACHE_MAX_AGE;
	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", tc->path, (long)getpid());
	cache_bind_text(b, bind, sizeof(bind));
	hl = snprintf(head, sizeof(head), "%sid %s\nexpires %lld\nverified "
	    "%s\nlength %u\n\n", TLS_CACHE_MAGIC, tc->id, (long long)expires,
	    bind, data->size);
	if (n < 0 || (size_t)n >= sizeof(tmp) || hl < 0 ||
	    (size_t)hl >= sizeof(head))
		return;
	/* The system queue's directory is group-writable: so is the file,
	 * for the group only (relaymail(8)). */
	*strrchr(tmp, '/') = '\0';
	if (stat(tmp, &st) == 0 && (st.st_mode & S_IWGRP))
		mode = 0660;
	tmp[strlen(tmp)] = '/';
	(void)unlink(tmp);	/* a leftover of a crashed process */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1)
		return;
	ok = fchmod(fd, mode) == 0 &&
	    cache_write(fd, (unsigned char *)head, (size_t)hl) == 0 &&
	    cache_write(fd, data->data, data->size) == 0;
	if (close(fd) == -1 || !ok || rename(tmp, tc->path) == -1)
		(void)unlink(tmp);
}

void
tls_cache_drop(const struct tls_cache *tc)
{
	if (tc->path[0] != '\0')
		(void)unlink(tc->path);
}
