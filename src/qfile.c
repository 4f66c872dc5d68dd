/*
 * qfile.c - one queued message on disk: creation, locking, atomic
 * replacement and removal. The header format (documented at the top of
 * queue.c) is written and parsed by the functions at the end of this file.
 *
 * Durability follows the usual rule for POSIX file systems: data is
 * written and fsync'ed to a temporary name, the name is made visible with
 * link(2) or rename(2) (atomic), and the directory is fsync'ed so the new
 * name itself survives a crash. Nothing is ever written in place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qfile.h"

/* The system queue (DESIGN §2) and its group (DESIGN §7). */
#define QFILE_SYSTEM_DIR	"/var/spool/relaymail"
#define QFILE_SYSTEM_GROUP	"relaymail"

/* A full disk is temporary (the caller may retry, exit 75); any other
 * failure to write the queue is EX_CANTCREAT (73). */
static int
wr_err(struct err *e, int errnum, const char *what, const char *path)
{
	return err_set(e, errnum == ENOSPC || errnum == EDQUOT ?
	    EX_TEMPFAIL : EX_CANTCREAT, "queue: %s %s: %s", what, path,
	    strerror(errnum));
}

int
qfile_path(char *out, size_t len, const char *dir, const char *sub,
    const char *name, struct err *e)
{
	int n;

	if (name != NULL)
		n = snprintf(out, len, "%s/%s/%s", dir, sub, name);
	else
		n = snprintf(out, len, "%s/%s", dir, sub);
	if (n < 0 || (size_t)n >= len)
		return err_set(e, EX_CANTCREAT, "queue: path too long: %s",
		    dir);
	return 0;
}

static int
fsync_dir(const char *dir, const char *sub, struct err *e)
{
	char path[BOUNDS_PATH];
	int fd, rc;

	if (qfile_path(path, sizeof(path), dir, sub, NULL, e) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return wr_err(e, errno, "cannot open", path);
	rc = fsync(fd);
	close(fd);
	if (rc == -1)
		return wr_err(e, errno, "cannot fsync", path);
	return 0;
}

/* mkdir that sets the exact mode whatever the umask. */
static int
mkdir_mode(const char *path, mode_t mode, gid_t gid, struct err *e)
{
	if (mkdir(path, 0700) == -1) {
		if (errno == EEXIST)
			return 0;
		return wr_err(e, errno, "cannot create", path);
	}
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1)
		return wr_err(e, errno, "cannot chown", path);
	if (chmod(path, mode) == -1)
		return wr_err(e, errno, "cannot chmod", path);
	return 0;
}

/* Missing parents of the queue directory ($XDG_STATE_HOME/relaymail)
 * are created private. */
static int
mkparents(const char *dir, struct err *e)
{
	char path[BOUNDS_PATH];
	size_t i, len = strlen(dir);

	if (len >= sizeof(path))
		return err_set(e, EX_CANTCREAT, "queue: path too long");
	memcpy(path, dir, len + 1);
	for (i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			path[i] = '/';
			return wr_err(e, errno, "cannot create", path);
		}
		path[i] = '/';
	}
	return 0;
}

int
qfile_mkdirs(const char *dir, struct err *e)
{
	char path[BOUNDS_PATH];
	struct stat st;
	struct group *gr;
	mode_t mode = 0700;
	gid_t gid = (gid_t)-1;

	if (dir == NULL || dir[0] != '/')
		return err_set(e, EX_CANTCREAT, "queue: queue_dir must be an "
		    "absolute path");
	if (stat(dir, &st) == -1) {
		/* The system queue is shared through the setgid group:
		 * 2770 root:relaymail, so files inherit the group. */
		if (strcmp(dir, QFILE_SYSTEM_DIR) == 0 &&
		    (gr = getgrnam(QFILE_SYSTEM_GROUP)) != NULL) {
			mode = 02770;
			gid = gr->gr_gid;
		}
		if (mkparents(dir, e) == -1 ||
		    mkdir_mode(dir, mode, gid, e) == -1)
			return -1;
		if (stat(dir, &st) == -1)
			return wr_err(e, errno, "cannot stat", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return err_set(e, EX_CANTCREAT, "queue: %s is not a directory",
		    dir);
	/* msg/ and tmp/ get the queue directory's own mode. */
	mode = st.st_mode & 07777;
	if (qfile_path(path, sizeof(path), dir, "msg", NULL, e) == -1 ||
	    mkdir_mode(path, mode, (gid_t)-1, e) == -1)
		return -1;
	if (qfile_path(path, sizeof(path), dir, "tmp", NULL, e) == -1 ||
	    mkdir_mode(path, mode, (gid_t)-1, e) == -1)
		return -1;
	return 0;
}

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

int
qfile_valid_id(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'A' && id[i] <= 'F')))
			return 0;
	return i == QFILE_IDLEN - 1;
}

struct wctx {
	int		 fd;
	const char	*path;
};

static int
write_fd(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct wctx *w = ctx;
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(w->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return wr_err(e, errno, "cannot write", w->path);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
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
		return wr_err(e, errno, "cannot fsync", tmp);
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
		return errno == EEXIST ? 1 : wr_err(e, errno, "cannot create",
		    tmp);
	if (fchmod(fd, file_mode(dir)) == -1 ||
	    fill_tmp(fd, tmp, qf, emit, ctx, e) == -1) {
		if (e->code == 0)
			wr_err(e, errno, "cannot chmod", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		wr_err(e, errno, "cannot write", tmp);
		unlink(tmp);
		return -1;
	}
	/* link(2) refuses to replace: an id collision just retries. */
	rc = link(tmp, dst);
	if (rc == -1) {
		int saved = errno;

		unlink(tmp);
		return saved == EEXIST ? 1 : wr_err(e, saved, "cannot link",
		    dst);
	}
	unlink(tmp);
	return fsync_dir(dir, "msg", e);
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
qfile_lock(const char *dir, const char *id, int *fdp, struct err *e)
{
	char path[BOUNDS_PATH];
	struct stat a, b;
	int fd;

	if (qfile_path(path, sizeof(path), dir, "msg", id, e) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		return err_set(e, EX_IOERR, "queue: cannot open %s: %s", path,
		    strerror(errno));
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
	struct wctx w = { dst, dpath };
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
		if (write_fd(&w, buf, (size_t)n, e) == -1)
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
		return wr_err(e, errno, "cannot chmod", tmp);
	if (flock(nfd, LOCK_EX | LOCK_NB) == -1)
		return wr_err(e, errno, "cannot lock", tmp);
	if (qfile_write_header(nfd, qf, e) == -1)
		return -1;
	if ((off = lseek(nfd, 0, SEEK_CUR)) == -1)
		return wr_err(e, errno, "cannot seek", tmp);
	if (copy_from(nfd, tmp, ofd, old_offset, e) == -1)
		return -1;
	if (fsync(nfd) == -1)
		return wr_err(e, errno, "cannot fsync", tmp);
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
		return wr_err(e, errno, "cannot create", tmp);
	if (replace_fill(nfd, tmp, *fdp, qf, old_offset, &newoff, e) == -1) {
		close(nfd);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, dst) == -1) {
		wr_err(e, errno, "cannot rename to", dst);
		close(nfd);
		unlink(tmp);
		return -1;
	}
	close(*fdp);
	*fdp = nfd;
	qf->msg_offset = newoff;
	return fsync_dir(dir, "msg", e);
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
		wr_err(e, errno, "cannot remove", path);
		close(fd);
		return -1;
	}
	close(fd);
	return fsync_dir(dir, "msg", e);
}

void
qfile_clean_tmp(const char *dir, time_t now, long max_age)
{
	char path[BOUNDS_PATH];
	struct dirent *de;
	struct stat st;
	struct err e;
	DIR *d;

	if (qfile_path(path, sizeof(path), dir, "tmp", NULL, &e) == -1 ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((long long)now - (long long)st.st_mtime > max_age)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* ------------------------------------------------------------------
 * The header section (format: top of queue.c).
 */

void
qfile_init(struct qfile *qf)
{
	memset(qf, 0, sizeof(*qf));
}

void
qfile_free(struct qfile *qf)
{
	free(qf->rcpt);
	qf->rcpt = NULL;
	qf->nrcpt = 0;
}

const char *
qfile_state_name(enum qrcpt_state s)
{
	switch (s) {
	case QR_SENT:
		return "sent";
	case QR_FAILED:
		return "failed";
	default:
		return "pending";
	}
}

/* Copy text into a fixed field; over the cap is an error. */
static int
setfield(char *dst, size_t cap, const char *src, const char *what,
    struct err *e)
{
	size_t len = strlen(src);

	if (len >= cap)
		return err_set(e, EX_DATAERR, "queue: %s too long", what);
	memcpy(dst, src, len + 1);
	return 0;
}

int
qfile_add_rcpt(struct qfile *qf, const char *addr, enum qrcpt_state state,
    const char *reply, struct err *e)
{
	struct qrcpt *r;

	if (qf->nrcpt >= BOUNDS_RCPTS)
		return err_set(e, EX_DATAERR, "queue: too many recipients");
	if (addr[0] == '\0' || strpbrk(addr, "<>\r\n") != NULL)
		return err_set(e, EX_DATAERR, "queue: bad recipient address");
	if ((qf->nrcpt & 15) == 0) {
		r = reallocarray(qf->rcpt, qf->nrcpt + 16, sizeof(*r));
		if (r == NULL)
			return err_set(e, EX_OSERR, "queue: out of memory");
		qf->rcpt = r;
	}
	r = &qf->rcpt[qf->nrcpt];
	memset(r, 0, sizeof(*r));
	if (setfield(r->addr, sizeof(r->addr), addr, "address", e) == -1)
		return -1;
	r->state = state;
	/* A reply longer than a reply line is ours to shorten: it is
	 * diagnostic text only. */
	snprintf(r->reply, sizeof(r->reply), "%s", reply != NULL ? reply : "");
	qf->nrcpt++;
	return 0;
}

size_t
qfile_count(const struct qfile *qf, enum qrcpt_state s)
{
	size_t i, n = 0;

	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].state == s)
			n++;
	return n;
}

struct hbuf {
	char	*p;
	size_t	 len, cap;
};

/* Append one "key value\n" line; control characters in free text
 * become spaces so a line can never be split or forged. */
static int
hline(struct hbuf *b, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
hline(struct hbuf *b, struct err *e, const char *fmt, ...)
{
	char line[QFILE_LINE];
	va_list ap;
	size_t i;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return err_set(e, EX_DATAERR, "queue: header line too long");
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	if (b->len + (size_t)n + 2 > b->cap) {
		size_t cap = b->cap == 0 ? 4096 : b->cap * 2;
		char *p;

		while (cap < b->len + (size_t)n + 2)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return err_set(e, EX_OSERR, "queue: out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, line, (size_t)n);
	b->len += (size_t)n;
	b->p[b->len++] = '\n';
	return 0;
}

static int
header_lines(struct hbuf *b, const struct qfile *qf, struct err *e)
{
	size_t i;

	if (hline(b, e, "relaymail-queue %d", QFILE_VERSION) == -1 ||
	    hline(b, e, "id %s", qf->id) == -1 ||
	    hline(b, e, "account %s", qf->account) == -1 ||
	    hline(b, e, "sender <%s>", qf->sender) == -1 ||
	    (qf->dsn_notify[0] && hline(b, e, "dsn-notify %s",
	    qf->dsn_notify) == -1) ||
	    (qf->dsn_ret[0] && hline(b, e, "dsn-ret %s", qf->dsn_ret) == -1) ||
	    (qf->dsn_envid[0] && hline(b, e, "dsn-envid %s",
	    qf->dsn_envid) == -1) ||
	    hline(b, e, "body %d", qf->body) == -1 ||
	    hline(b, e, "kind %s", qf->notice ? "notice" : "message") == -1 ||
	    hline(b, e, "queued %lld", qf->queued) == -1 ||
	    hline(b, e, "attempts %d", qf->attempts) == -1 ||
	    hline(b, e, "next-retry %lld", qf->next_retry) == -1 ||
	    hline(b, e, "last-error %s", qf->last_error) == -1)
		return -1;
	for (i = 0; i < qf->nrcpt; i++)
		if (hline(b, e, "rcpt %s <%s> %s",
		    qfile_state_name(qf->rcpt[i].state), qf->rcpt[i].addr,
		    qf->rcpt[i].reply) == -1)
			return -1;
	return hline(b, e, "%s", "");
}

int
qfile_write_header(int fd, const struct qfile *qf, struct err *e)
{
	struct hbuf b = { NULL, 0, 0 };
	struct wctx w = { fd, "queue file" };
	int rc;

	if (strpbrk(qf->sender, "<>\r\n") != NULL ||
	    strpbrk(qf->account, " \r\n") != NULL)
		return err_set(e, EX_DATAERR, "queue: bad sender or account");
	rc = header_lines(&b, qf, e);
	if (rc == 0)
		rc = write_fd(&w, b.p, b.len, e);
	free(b.p);
	return rc;
}

/* Read the header section (up to and including the empty line). */
static int
read_header(int fd, char **out, size_t *hlen, struct err *e)
{
	size_t len = 0, cap = 0;
	char *p = NULL, *q, *end;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			if (cap >= QFILE_HEADER_MAX)
				break;
			cap = cap == 0 ? 8192 : cap * 2;
			if ((q = realloc(p, cap + 1)) == NULL) {
				free(p);
				return err_set(e, EX_OSERR, "queue: no memory");
			}
			p = q;
		}
		n = pread(fd, p + len, cap - len, (off_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		p[len] = '\0';
		if ((end = strstr(p, "\n\n")) != NULL) {
			*hlen = (size_t)(end - p) + 2;
			*out = p;
			return 0;
		}
	}
	free(p);
	return err_set(e, EX_DATAERR, "queue: file has no complete header");
}

static int
parse_num(const char *v, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno != 0 || end == v || *end != '\0' || *out < 0 ? -1 : 0;
}

/* "<addr>" or "<addr> rest": addr into dst, *rest after it. */
static int
parse_angle(const char *v, char *dst, size_t cap, const char **rest)
{
	const char *gt;

	if (v[0] != '<' || (gt = strchr(v, '>')) == NULL ||
	    (size_t)(gt - v - 1) >= cap)
		return -1;
	memcpy(dst, v + 1, (size_t)(gt - v - 1));
	dst[gt - v - 1] = '\0';
	gt++;
	if (*gt == ' ')
		gt++;
	else if (*gt != '\0')
		return -1;
	*rest = gt;
	return 0;
}

static int
parse_rcpt(struct qfile *qf, const char *v, struct err *e)
{
	char addr[BOUNDS_ADDR + 1];
	const char *rest;
	enum qrcpt_state s;

	if (strncmp(v, "pending ", 8) == 0)
		s = QR_PENDING, v += 8;
	else if (strncmp(v, "sent ", 5) == 0)
		s = QR_SENT, v += 5;
	else if (strncmp(v, "failed ", 7) == 0)
		s = QR_FAILED, v += 7;
	else
		return -1;
	if (parse_angle(v, addr, sizeof(addr), &rest) == -1)
		return -1;
	return qfile_add_rcpt(qf, addr, s, rest, e);
}

static int
parse_line(struct qfile *qf, const char *k, const char *v, struct err *e)
{
	long long n;
	const char *rest;

	if (strcmp(k, "rcpt") == 0)
		return parse_rcpt(qf, v, e);
	if (strcmp(k, "id") == 0)
		return setfield(qf->id, sizeof(qf->id), v, k, e);
	if (strcmp(k, "account") == 0)
		return setfield(qf->account, sizeof(qf->account), v, k, e);
	if (strcmp(k, "sender") == 0)
		return parse_angle(v, qf->sender, sizeof(qf->sender), &rest) ||
		    *rest != '\0' ? -1 : 0;
	if (strcmp(k, "dsn-notify") == 0)
		return setfield(qf->dsn_notify, sizeof(qf->dsn_notify), v, k, e);
	if (strcmp(k, "dsn-ret") == 0)
		return setfield(qf->dsn_ret, sizeof(qf->dsn_ret), v, k, e);
	if (strcmp(k, "dsn-envid") == 0)
		return setfield(qf->dsn_envid, sizeof(qf->dsn_envid), v, k, e);
	if (strcmp(k, "last-error") == 0)
		return setfield(qf->last_error, sizeof(qf->last_error), v, k,
		    e);
	if (strcmp(k, "kind") == 0) {
		if (strcmp(v, "notice") != 0 && strcmp(v, "message") != 0)
			return -1;
		qf->notice = strcmp(v, "notice") == 0;
		return 0;
	}
	if (parse_num(v, &n) == -1)
		return -1;
	if (strcmp(k, "body") == 0 && (n == 0 || n == 7 || n == 8))
		qf->body = (int)n;
	else if (strcmp(k, "queued") == 0)
		qf->queued = n;
	else if (strcmp(k, "attempts") == 0 && n < 1000000)
		qf->attempts = (int)n;
	else if (strcmp(k, "next-retry") == 0)
		qf->next_retry = n;
	else
		return -1;
	return 0;
}

static int
parse_lines(struct qfile *qf, char *p, struct err *e)
{
	char *line, *nl, *sp;
	int lineno = 0;

	for (line = p; *line != '\n'; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "relaymail-queue 1") != 0)
				return err_set(e, EX_DATAERR, "queue: unknown "
				    "format \"%.40s\"", line);
			continue;
		}
		if ((sp = strchr(line, ' ')) == NULL)
			return err_set(e, EX_DATAERR, "queue: line %d: no "
			    "value", lineno);
		*sp = '\0';
		if (parse_line(qf, line, sp + 1, e) == -1) {
			if (e->code == 0 || e->code == EX_DATAERR)
				err_set(e, EX_DATAERR, "queue: line %d: bad "
				    "%s", lineno, line);
			return -1;
		}
	}
	if (!qfile_valid_id(qf->id) || qf->account[0] == '\0' ||
	    qf->nrcpt == 0)
		return err_set(e, EX_DATAERR, "queue: id, account or "
		    "recipients missing");
	return 0;
}

int
qfile_parse(int fd, struct qfile *qf, struct err *e)
{
	struct stat st;
	size_t hlen = 0;
	char *p = NULL;
	int rc;

	qfile_free(qf);
	qfile_init(qf);
	if (read_header(fd, &p, &hlen, e) == -1)
		return -1;
	rc = parse_lines(qf, p, e);
	free(p);
	if (rc == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		return err_set(e, EX_IOERR, "queue: fstat: %s",
		    strerror(errno));
	qf->msg_offset = (off_t)hlen;
	qf->msg_size = st.st_size - (off_t)hlen;
	return 0;
}
