/*
 * qfile.c - one queued message on disk: creation, locking, atomic
 * replacement and removal (relaymail(8), Queue; the format in qfile.h,
 * the directory in qfile_dir.c, the header section in qfile_format.c).
 *
 * Durability follows the usual rule for POSIX file systems: data is
 * written and fsync'ed to a temporary name, the name is made visible with
 * link(2) or rename(2) (atomic), and the directory is fsync'ed so the new
 * name itself survives a crash. Nothing is ever written in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qfile_int.h"

/* Queue files are private, or group read/write in a group queue. */
static mode_t
file_mode(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0 && (st.st_mode & S_IWGRP))
		return 0660;
	return 0600;
}

static void
make_id(char *id)
{
	unsigned int r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned int)getpid() ^ (unsigned int)clock();
	snprintf(id, QFILE_IDLEN, "%08llX%08X",
	    (unsigned long long)time(NULL) & 0xffffffffULL, r);
}

struct wctx {
	int		 fd;
	const char	*path;
};

/* The msg_write_fn through which a message is written to its file. */
static int
write_fd(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct wctx *w = ctx;

	return qfile_write_all(w->fd, w->path, buf, len, e);
}

/* Write header and message to a new temp file and fsync it. */
static int
fill_tmp(int fd, const char *tmp, const struct qfile *qf,
    qfile_emit_fn emit, void *ctx, struct err *e)
{
	struct wctx w = { fd, tmp };

	if (qfile_write_header(fd, qf, e) == -1)
		return -1;
	if (emit(ctx, write_fd, &w, e) == -1) {
		/* A spool read error is still "cannot queue". */
		if (e->code != EX_TEMPFAIL)
			e->code = EX_CANTCREAT;
		return -1;
	}
	if (fsync(fd) == -1)
		return qfile_write_err(e, errno, "cannot fsync", tmp);
	return 0;
}

static int
create_once(const char *dir, struct qfile *qf, qfile_emit_fn emit,
    void *ctx, struct err *e)
{
	char tmp[BOUNDS_PATH], dst[BOUNDS_PATH], name[64];
	int fd, rc;

	make_id(qf->id);
	snprintf(name, sizeof(name), "%s.%ld", qf->id, (long)getpid());
	if (qfile_path(tmp, sizeof(tmp), dir, "tmp", name, e) == -1 ||
	    qfile_path(dst, sizeof(dst), dir, "msg", qf->id, e) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return errno == EEXIST ? 1 : qfile_write_err(e, errno,
		    "cannot create", tmp);
	if (fchmod(fd, file_mode(dir)) == -1 ||
	    fill_tmp(fd, tmp, qf, emit, ctx, e) == -1) {
		if (e->code == 0)
			qfile_write_err(e, errno, "cannot chmod", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		qfile_write_err(e, errno, "cannot write", tmp);
		unlink(tmp);
		return -1;
	}
	/* link(2) refuses to replace: an id collision just retries. */
	rc = link(tmp, dst);
	if (rc == -1) {
		int saved = errno;

		unlink(tmp);
		return saved == EEXIST ? 1 : qfile_write_err(e, saved,
		    "cannot link", dst);
	}
	unlink(tmp);
	return qfile_dir_fsync(dir, "msg", e);
}

int
qfile_create(const char *dir, struct qfile *qf, qfile_emit_fn emit,
    void *ctx, struct err *e)
{
	int i, rc;

	if (qfile_mkdirs(dir, e) == -1)
		return -1;
	for (i = 0; i < 8; i++) {
		err_clear(e);
		if ((rc = create_once(dir, qf, emit, ctx, e)) != 1)
			return rc;
	}
	return err_set(e, EX_CANTCREAT, "queue: cannot find a free id in %s",
	    dir);
}

int
qfile_open(const char *dir, const char *id, struct err *e)
{
	char path[BOUNDS_PATH];
	struct stat st;
	int fd;

	if (qfile_path(path, sizeof(path), dir, "msg", id, e) == -1)
		return -1;
	/* O_NONBLOCK only matters for a FIFO (open would wait for a
	 * writer); reads of a regular file ignore it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY);
	if (fd == -1)
		return err_set(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR,
		    "queue: cannot open %s: %s", path, errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, EX_IOERR, "queue: %s is not a regular file",
		    path);
	}
	return fd;
}

int
qfile_lock(const char *dir, const char *id, int *fdp, struct err *e)
{
	char path[BOUNDS_PATH];
	struct stat a, b;
	int fd;

	if (qfile_path(path, sizeof(path), dir, "msg", id, e) == -1)
		return -1;
	if ((fd = qfile_open(dir, id, e)) == -1) {
		if (e->code == EX_NOINPUT) {
			err_clear(e);
			return 1;
		}
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		if (errno == EWOULDBLOCK || errno == EINTR)
			return 1;
		return err_set(e, EX_IOERR, "queue: cannot lock %s: %s", path,
		    strerror(errno));
	}
	/* Locked an inode that was delivered/replaced meanwhile: skip. */
	if (fstat(fd, &a) == -1 || a.st_nlink == 0 || stat(path, &b) == -1 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return 1;
	}
	*fdp = fd;
	return 0;
}

static int
copy_from(int dst, const char *dpath, int src, off_t off, struct err *e)
{
	char buf[BOUNDS_IO_BLOCK * 4];
	ssize_t n;

	for (;;) {
		n = pread(src, buf, sizeof(buf), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return err_set(e, EX_IOERR, "queue: cannot read: %s",
			    strerror(errno));
		if (n == 0)
			return 0;
		if (qfile_write_all(dst, dpath, buf, (size_t)n, e) == -1)
			return -1;
		off += n;
	}
}

static int
replace_fill(int nfd, const char *tmp, int ofd, struct qfile *qf,
    off_t old_offset, off_t *newoff, struct err *e)
{
	struct stat st;
	off_t off;

	if (fstat(ofd, &st) == -1 || fchmod(nfd, st.st_mode & 0777) == -1)
		return qfile_write_err(e, errno, "cannot chmod", tmp);
	if (flock(nfd, LOCK_EX | LOCK_NB) == -1)
		return qfile_write_err(e, errno, "cannot lock", tmp);
	if (qfile_write_header(nfd, qf, e) == -1)
		return -1;
	if ((off = lseek(nfd, 0, SEEK_CUR)) == -1)
		return qfile_write_err(e, errno, "cannot seek", tmp);
	if (copy_from(nfd, tmp, ofd, old_offset, e) == -1)
		return -1;
	if (fsync(nfd) == -1)
		return qfile_write_err(e, errno, "cannot fsync", tmp);
	*newoff = off;
	return 0;
}

int
qfile_replace(const char *dir, int *fdp, struct qfile *qf, off_t old_offset,
    struct err *e)
{
	char tmp[BOUNDS_PATH], dst[BOUNDS_PATH], name[64];
	off_t newoff = 0;
	int nfd;

	snprintf(name, sizeof(name), "%s.%ld.r", qf->id, (long)getpid());
	if (qfile_path(tmp, sizeof(tmp), dir, "tmp", name, e) == -1 ||
	    qfile_path(dst, sizeof(dst), dir, "msg", qf->id, e) == -1)
		return -1;
	/* A leftover of a crashed process that had our pid is garbage. */
	(void)unlink(tmp);
	nfd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (nfd == -1)
		return qfile_write_err(e, errno, "cannot create", tmp);
	if (replace_fill(nfd, tmp, *fdp, qf, old_offset, &newoff, e) == -1) {
		close(nfd);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, dst) == -1) {
		qfile_write_err(e, errno, "cannot rename to", dst);
		close(nfd);
		unlink(tmp);
		return -1;
	}
	close(*fdp);
	*fdp = nfd;
	qf->msg_offset = newoff;
	return qfile_dir_fsync(dir, "msg", e);
}

int
qfile_remove(const char *dir, const char *id, int fd, struct err *e)
{
	char path[BOUNDS_PATH];

	if (qfile_path(path, sizeof(path), dir, "msg", id, e) == -1) {
		close(fd);
		return -1;
	}
	/* Unlink while still holding the lock, then make it durable. */
	if (unlink(path) == -1 && errno != ENOENT) {
		qfile_write_err(e, errno, "cannot remove", path);
		close(fd);
		return -1;
	}
	close(fd);
	return qfile_dir_fsync(dir, "msg", e);
}

