/*
 * oauth_store.c - the OAuth2 token cache (RFC 6749 §6: a refresh token
 * may be replaced by each refresh, so losing the newest one means asking
 * the user for consent again; §10.3/§10.4: tokens are credentials).
 *
 * File format, one "key value" line each, in this order:
 *	relaymail-oauth 1
 *	expires_at SECONDS-SINCE-EPOCH	(0: unknown)
 *	scope SCOPE			(may be empty)
 *	access_token TOKEN
 *	refresh_token TOKEN
 * Writers hold flock(FILE.lock) and write FILE.new (O_EXCL, exact mode),
 * fsync it, rename it over FILE and fsync the directory: a kill -9 at any
 * moment leaves the old file or the new one. For the system config the
 * files are 0660 group relaymail inside the 2770 system queue, created
 * while the setgid group is held (priv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oauth_store.h"

#define MAGIC	"relaymail-oauth 1"

void
oauth_tokens_wipe(struct oauth_tokens *t)
{
	secret_wipe(&t->access);
	secret_wipe(&t->refresh);
	memset(t, 0, sizeof(*t));
}

/* The install's group (priv.h), as for the system queue; the
 * effective group when there is no such group (a test install). */
static gid_t
sys_gid(void)
{
	struct group	*gr = getgrnam("relaymail");

	return gr != NULL ? gr->gr_gid : getegid();
}

static mode_t
file_mode(const struct oauth_file *f)
{
	return f->system ? 0660 : 0600;
}

/* The permission rule: nobody but the owner (and, for the system
 * config, the group) may read or write it. */
static int
mode_ok(const struct oauth_file *f, const struct stat *st)
{
	if (f->system)
		return (st->st_mode & 0007) == 0 && st->st_gid == sys_gid();
	return (st->st_mode & 0077) == 0 && st->st_uid == geteuid();
}

static int
bad_mode(const struct oauth_file *f, const struct stat *st, struct err *e)
{
	return err_set(e, EX_CONFIG, "account %s: token file %s has mode "
	    "%04o owner %ld group %ld; it must be %s", f->account, f->path,
	    (unsigned)(st->st_mode & 07777), (long)st->st_uid,
	    (long)st->st_gid, f->system ? "0660 and group relaymail" :
	    "0600 and yours");
}

static int
no_file(const struct oauth_file *f, struct err *e)
{
	return err_set(e, EX_NOPERM, "account %s: no OAuth2 token yet (%s); "
	    "run relaymail --authorize %s", f->account, f->path, f->account);
}

/* The value of line "key value" at *p; advances *p past the line. */
static int
take(char **p, const char *key, char **val)
{
	size_t	 n = strlen(key);
	char	*nl;

	if (strncmp(*p, key, n) != 0 || (*p)[n] != ' ' ||
	    (nl = strchr(*p, '\n')) == NULL)
		return -1;
	*nl = '\0';
	*val = *p + n + 1;
	*p = nl + 1;
	return 0;
}

int
oauth_store_parse(char *buf, struct oauth_tokens *t, struct err *e)
{
	char	*p = buf, *v, *end;

	if (strncmp(p, MAGIC "\n", sizeof(MAGIC)) != 0)
		return -1;
	p += sizeof(MAGIC);
	if (take(&p, "expires_at", &v) == -1)
		return -1;
	t->expires_at = strtoll(v, &end, 10);
	if (*end != '\0' || t->expires_at < 0)
		return -1;
	if (take(&p, "scope", &v) == -1 || strlen(v) >= sizeof(t->scope))
		return -1;
	memcpy(t->scope, v, strlen(v) + 1);
	if (take(&p, "access_token", &v) == -1 || *v == '\0' ||
	    secret_set(&t->access, v, strlen(v), e) == -1)
		return -1;
	if (take(&p, "refresh_token", &v) == -1 || *p != '\0' || *v == '\0')
		return -1;
	/* A provider may issue no refresh token: then "-" is stored. */
	if (strcmp(v, "-") != 0 &&
	    secret_set(&t->refresh, v, strlen(v), e) == -1)
		return -1;
	return 0;
}

static int
read_all(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t	 n;

	*len = 0;
	while ((n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || (*len += (size_t)n) == cap)
			return -1;
	}
	buf[*len] = '\0';
	return 0;
}

int
oauth_store_read(const struct oauth_file *f, struct oauth_tokens *t,
    struct err *e)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	int		 fd, rc = -1;

	memset(t, 0, sizeof(*t));
	if ((fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return no_file(f, e);
		return err_set(e, EX_CONFIG, "account %s: token file %s: %s",
		    f->account, f->path, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, EX_CONFIG, "account %s: token file %s is not "
		    "a regular file", f->account, f->path);
	}
	if (!mode_ok(f, &st)) {
		close(fd);
		return bad_mode(f, &st, e);
	}
	if ((buf = malloc(BOUNDS_OAUTH_FILE + 1)) == NULL) {
		close(fd);
		return err_set(e, EX_OSERR, "out of memory");
	}
	if (read_all(fd, buf, BOUNDS_OAUTH_FILE, &len) == 0 &&
	    oauth_store_parse(buf, t, e) == 0)
		rc = 0;
	else {
		oauth_tokens_wipe(t);
		err_set(e, EX_CONFIG, "account %s: token file %s is damaged; "
		    "run relaymail --authorize %s", f->account, f->path,
		    f->account);
	}
	secret_bzero(buf, len);
	free(buf);
	close(fd);
	return rc;
}

/* The parent directory of path into dir[cap]. */
static int
dir_of(const char *path, char *dir, size_t cap)
{
	const char	*sl = strrchr(path, '/');
	size_t		 n;

	if (sl == NULL)
		return snprintf(dir, cap, ".") < 0 ? -1 : 0;
	n = sl == path ? 1 : (size_t)(sl - path);
	if (n >= cap)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/* A directory just made: the exact mode (the umask must not take the
 * group's write bit), and the group for the system config. */
static int
set_dir(const struct oauth_file *f, const char *dir, mode_t m)
{
	if (f->system && chown(dir, (uid_t)-1, sys_gid()) == -1)
		return -1;
	return chmod(dir, m);
}

/* The directory, and its parent when missing (queue_dir/oauth). */
static int
make_dir(const struct oauth_file *f, const char *dir, int depth)
{
	char	 up[BOUNDS_PATH];
	mode_t	 m = f->system ? 02770 : 0700;

	if (mkdir(dir, m) == 0)
		return set_dir(f, dir, m);
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT || depth > 0 || dir_of(dir, up, sizeof(up)) == -1
	    || make_dir(f, up, depth + 1) == -1)
		return -1;
	if (mkdir(dir, m) == 0)
		return set_dir(f, dir, m);
	return errno == EEXIST ? 0 : -1;
}

static int
path_plus(char *out, size_t cap, const char *path, const char *ext)
{
	int	 n = snprintf(out, cap, "%s%s", path, ext);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* A new file (O_EXCL) with the exact mode, and the group for the
 * system config. */
static int
create(const struct oauth_file *f, const char *path, int flags)
{
	int	 fd;

	fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    file_mode(f));
	if (fd == -1)
		return -1;
	if (fchmod(fd, file_mode(f)) == -1 ||
	    (f->system && fchown(fd, (uid_t)-1, sys_gid()) == -1)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The lock file: opened as it is when it exists (for the system config
 * it may be another user's, 0660 group relaymail), else created. */
static int
open_lock(const struct oauth_file *f, const char *path)
{
	int	 fd, i;

	for (i = 0; i < 3; i++) {
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1 || errno != ENOENT)
			return fd;
		if ((fd = create(f, path, O_RDWR)) != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
oauth_store_lock(const struct oauth_file *f, int timeout, int *fdp,
    struct err *e)
{
	char		 lp[BOUNDS_PATH], dir[BOUNDS_PATH];
	struct timespec	 t0, t;
	int		 fd;

	if (path_plus(lp, sizeof(lp), f->path, ".lock") == -1 ||
	    dir_of(f->path, dir, sizeof(dir)) == -1)
		return err_set(e, EX_CONFIG, "token file path too long");
	if (make_dir(f, dir, 0) == -1 || (fd = open_lock(f, lp)) == -1)
		return err_set(e, EX_CANTCREAT, "account %s: token lock %s: %s",
		    f->account, lp, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* flock has no timeout of its own: poll it, within the deadline. */
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    t.tv_sec - t0.tv_sec > timeout) {
			close(fd);
			return err_set(e, EX_TEMPFAIL, "account %s: token file "
			    "%s is locked by another relaymail", f->account,
			    f->path);
		}
		(void)poll(NULL, 0, 20);
	}
	*fdp = fd;
	return 0;
}

void
oauth_store_unlock(int fd)
{
	if (fd != -1)
		close(fd);	/* releases the flock */
}

static int
format(const struct oauth_tokens *t, char *buf, size_t cap, size_t *len)
{
	int	 n;

	n = snprintf(buf, cap, MAGIC "\nexpires_at %lld\nscope %s\n"
	    "access_token %s\nrefresh_token %s\n", t->expires_at, t->scope,
	    t->access.buf, t->refresh.buf != NULL ? t->refresh.buf : "-");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	*len = (size_t)n;
	return 0;
}

/*
 * For the crash test only: stop this long in the middle of writing
 * FILE.new. secure_getenv: never honoured when setgid; and never for
 * the system config.
 */
static void
test_delay(const struct oauth_file *f)
{
	const char	*v = secure_getenv("RELAYMAIL_TEST_TOKEN_WRITE_DELAY_MS");

	if (v != NULL && !f->system)
		(void)poll(NULL, 0, (int)strtol(v, NULL, 10));
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_new(const struct oauth_file *f, const char *np, const char *buf,
    size_t len)
{
	int	 fd, rc = -1;

	/* A FILE.new left by a crash is ours (we hold the lock). */
	if (unlink(np) == -1 && errno != ENOENT)
		return -1;
	if ((fd = create(f, np, O_WRONLY)) == -1)
		return -1;
	if (write_all(fd, buf, len / 2) == 0 && fsync(fd) == 0) {
		test_delay(f);
		if (write_all(fd, buf + len / 2, len - len / 2) == 0 &&
		    fsync(fd) == 0)
			rc = 0;
	}
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

static int
fsync_dir(const char *dir)
{
	int	 fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
oauth_store_write(const struct oauth_file *f, const struct oauth_tokens *t,
    struct err *e)
{
	char	 np[BOUNDS_PATH], dir[BOUNDS_PATH], *buf;
	size_t	 len = 0;
	int	 rc = -1;

	if (path_plus(np, sizeof(np), f->path, ".new") == -1 ||
	    dir_of(f->path, dir, sizeof(dir)) == -1)
		return err_set(e, EX_CONFIG, "token file path too long");
	if (t->access.buf == NULL)
		return err_set(e, EX_SOFTWARE, "no access token to store");
	if ((buf = malloc(BOUNDS_OAUTH_FILE)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	if (format(t, buf, BOUNDS_OAUTH_FILE, &len) == -1)
		err_set(e, EX_SOFTWARE, "tokens too long to store");
	else if (make_dir(f, dir, 0) == -1 || write_new(f, np, buf, len) == -1
	    || rename(np, f->path) == -1 || fsync_dir(dir) == -1)
		err_set(e, EX_CANTCREAT, "account %s: writing token file %s: "
		    "%s", f->account, f->path, strerror(errno));
	else
		rc = 0;
	secret_bzero(buf, len);
	free(buf);
	if (rc == -1)
		(void)unlink(np);
	return rc;
}

int
oauth_store_check(const struct oauth_file *f, int *exists, struct err *e)
{
	struct stat	 st;

	*exists = 0;
	if (lstat(f->path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, EX_CONFIG, "account %s: token file %s: %s",
		    f->account, f->path, strerror(errno));
	}
	*exists = 1;
	if (!S_ISREG(st.st_mode))
		return err_set(e, EX_CONFIG, "account %s: token file %s is not "
		    "a regular file", f->account, f->path);
	if (!mode_ok(f, &st))
		return bad_mode(f, &st, e);
	return 0;
}
