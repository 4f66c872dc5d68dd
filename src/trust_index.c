/*
 * trust_index.c - the index of the system trust bundle (see trust.h):
 * where in the bundle the certificate with a given subject is, so a
 * send decodes only the CAs its chain needs.
 *
 *	relaymail-trust-index 1\n
 *	bundle <dev> <inode> <size> <mtime s> <mtime ns> <path>\n
 *	<hex SHA-256 of the subject's DER> <start> <end>\n	(per CA)
 *
 * The second line must match the bundle as it is now, else the index is
 * rebuilt (update-ca-certificates writes a new file: a new inode, size
 * and time). An entry is only a hint: the certificate found there must
 * carry the wanted subject, or the lookup gives up and the bundle is
 * scanned. A rebuilt index replaces the old one by rename, so
 * concurrent senders read a complete old or new file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "hex.h"
#include "trust_int.h"

#define TRUST_INDEX_MAGIC	"relaymail-trust-index 1\n"
/* Index size cap: about 110 octets per CA. */
#define TRUST_INDEX_MAX		(4L * 1024 * 1024)
#define TRUST_HEX		65

static int
name_hex(const unsigned char *p, size_t len, char out[TRUST_HEX])
{
	unsigned char h[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p, len, h) < 0)
		return -1;
	hex_encode(h, sizeof(h), out);
	return 0;
}

static int
stamp(char *out, size_t len, const struct trust_map *m, const char *path)
{
	int n;

	n = snprintf(out, len, "%sbundle %ju %ju %lld %lld %ld %s\n",
	    TRUST_INDEX_MAGIC, (uintmax_t)m->st.st_dev,
	    (uintmax_t)m->st.st_ino, (long long)m->st.st_size,
	    (long long)m->st.st_mtim.tv_sec, (long)m->st.st_mtim.tv_nsec,
	    path);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* Add block [b, e) if its subject is the wanted one; -1 when not. */
static int
add_block(struct trust *tr, const struct trust_map *m, size_t b, size_t e,
    const struct trust_want *w)
{
	unsigned char buf[TRUST_PREFIX];
	struct trust_name su;
	gnutls_datum_t der;
	int rc = -1;

	if (b >= e || e > m->len)
		return -1;
	if (trust_pem_subject(m, b, e, buf, sizeof(buf), &su) == 0)
		return trust_wanted(w, su.p, su.len) ?
		    trust_add_pem(tr, m, b, e) : -1;
	if (trust_pem_subject_full(m, b, e, &der, &su) == -1)
		return -1;
	if (trust_wanted(w, su.p, su.len))
		rc = trust_add_der(tr, der.data, der.size);
	gnutls_free(der.data);
	return rc;
}

static void
write_index(const char *path, const char *buf, size_t len)
{
	char tmp[sizeof(((struct trust *)0)->index) + 32], *slash;
	struct stat st;
	mode_t mode = 0600;
	ssize_t n;
	size_t off = 0;
	int fd, ok = 1;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp) ||
	    (slash = strrchr(tmp, '/')) == NULL)
		return;
	*slash = '\0';
	if (stat(tmp, &st) == 0 && (st.st_mode & S_IWGRP))
		mode = 0660;	/* the system queue's group (relaymail(8)) */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1)
		return;
	ok = fchmod(fd, mode) == 0;
	while (ok && off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1 &&
		    errno == EINTR)
			continue;
		ok = n > 0;
		off += ok ? (size_t)n : 0;
	}
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1)
		(void)unlink(tmp);
}

/* One bundle entry for a rebuild: its subject's hash, and the CA
 * added when wanted. */
static int
entry(struct trust *tr, const struct trust_map *m, size_t b, size_t e,
    const struct trust_want *w, char hex[TRUST_HEX])
{
	unsigned char buf[TRUST_PREFIX];
	struct trust_name su;
	gnutls_datum_t der = { NULL, 0 };
	int rc;

	if (trust_pem_subject(m, b, e, buf, sizeof(buf), &su) == -1 &&
	    trust_pem_subject_full(m, b, e, &der, &su) == -1)
		return -1;
	if (trust_wanted(w, su.p, su.len))
		(void)trust_add_pem(tr, m, b, e);
	rc = name_hex(su.p, su.len, hex);
	gnutls_free(der.data);
	return rc;
}

/* Walk the whole bundle once: add what is wanted, write a new index. */
static int
rebuild(struct trust *tr, const struct trust_map *m,
    const struct trust_want *w, const char *head, size_t hl)
{
	char hex[TRUST_HEX], *buf;
	size_t cap = TRUST_INDEX_MAX, len = hl, off = 0, b, e;
	int n, ok = 1;

	if ((buf = malloc(cap)) == NULL)
		return -1;
	memcpy(buf, head, hl);
	while (trust_next_pem(m, &off, &b, &e) == 0) {
		if (entry(tr, m, b, e, w, hex) == -1)
			continue;
		n = snprintf(buf + len, cap - len, "%s %zu %zu\n", hex, b, e);
		if (n < 0 || (size_t)n >= cap - len)
			ok = 0;		/* too big: no index */
		else
			len += (size_t)n;
	}
	if (ok)
		write_index(tr->index, buf, len);
	free(buf);
	return 0;
}

/* Read the index; NULL when it is missing or too large. */
static char *
read_index(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > TRUST_INDEX_MAX ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size && ((n = read(fd, buf + got,
	    (size_t)st.st_size - got)) > 0 || (n == -1 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Every entry whose hash is wanted: its certificate must match. */
static int
use_index(struct trust *tr, const struct trust_map *m,
    const struct trust_want *w, const char *lines)
{
	char want[TRUST_WANT][TRUST_HEX], *end;
	const char *p;
	size_t b, e;
	int i;

	for (i = 0; i < w->n; i++)
		if (name_hex(w->name[i].p, w->name[i].len, want[i]) == -1)
			return -1;
	for (p = lines; *p != '\0'; p = end + 1) {
		if ((end = strchr(p, '\n')) == NULL)
			return -1;
		for (i = 0; i < w->n; i++)
			if (strncmp(p, want[i], TRUST_HEX - 1) == 0)
				break;
		if (i == w->n)
			continue;
		errno = 0;
		b = strtoull(p + TRUST_HEX, &end, 10);
		e = strtoull(end, &end, 10);
		if (errno != 0 || *end != '\n' ||
		    add_block(tr, m, b, e, w) == -1)
			return -1;
	}
	return 0;
}

int
trust_index_lookup(struct trust *tr, const struct trust_want *w)
{
	struct trust_map m;
	char head[TRUST_HEX + sizeof(((struct trust *)0)->index) + 128];
	char *idx;
	size_t ilen = 0;
	int hl, rc;

	if (trust_map(tr->bundle, &m) == -1)
		return -1;
	if ((hl = stamp(head, sizeof(head), &m, tr->bundle)) == -1) {
		trust_unmap(&m);
		return -1;
	}
	idx = read_index(tr->index, &ilen);
	if (idx != NULL && ilen >= (size_t)hl &&
	    memcmp(idx, head, (size_t)hl) == 0)
		rc = use_index(tr, &m, w, idx + hl);
	else
		rc = rebuild(tr, &m, w, head, (size_t)hl);
	free(idx);
	trust_unmap(&m);
	return rc;
}
