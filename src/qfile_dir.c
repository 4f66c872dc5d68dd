/*
 * qfile_dir.c - the queue directory D (layout in qfile.h; `queue_dir` in
 * relaymail.conf(5), the system queue in relaymail(8)): D, D/msg and D/tmp
 * created with exact modes, paths inside it, the directory fsync that makes a
 * new or removed name durable, and the removal of what a crash left in D/tmp.
 * Also the helpers below the rest of the module: the write error and the
 * full write every queue file uses, and the check of a queue id (a name in
 * D/msg).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qfile_int.h"

/* The system queue (relaymail.conf(5)) and its group (relaymail(8)). */
#define QFILE_SYSTEM_DIR	"/var/spool/relaymail"
#define QFILE_SYSTEM_GROUP	"relaymail"

/* A full disk is temporary (the caller may retry, exit 75); any other
 * failure to write the queue is EX_CANTCREAT (73). */
int
qfile_write_err(struct err *e, int errnum, const char *what,
    const char *path)
{
	return err_set(e, errnum == ENOSPC || errnum == EDQUOT ?
	    EX_TEMPFAIL : EX_CANTCREAT, "queue: %s %s: %s", what, path,
	    strerror(errnum));
}

int
qfile_write_all(int fd, const char *path, const void *buf, size_t len,
    struct err *e)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return qfile_write_err(e, errno, "cannot write", path);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A queue id: QFILE_IDLEN - 1 upper-case hex digits (qfile.h), so it is
 * also a safe name inside the directory. */
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

int
qfile_dir_fsync(const char *dir, const char *sub, struct err *e)
{
	char path[BOUNDS_PATH];
	int fd, rc;

	if (qfile_path(path, sizeof(path), dir, sub, NULL, e) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return qfile_write_err(e, errno, "cannot open", path);
	rc = fsync(fd);
	close(fd);
	if (rc == -1)
		return qfile_write_err(e, errno, "cannot fsync", path);
	return 0;
}

/* mkdir that sets the exact mode whatever the umask. */
static int
mkdir_mode(const char *path, mode_t mode, uid_t uid, gid_t gid,
    struct err *e)
{
	if (mkdir(path, 0700) == -1) {
		if (errno == EEXIST)
			return 0;
		return qfile_write_err(e, errno, "cannot create", path);
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    lchown(path, uid, gid) == -1)
		return qfile_write_err(e, errno, "cannot chown", path);
	if (chmod(path, mode) == -1)
		return qfile_write_err(e, errno, "cannot chmod", path);
	return 0;
}

/*
 * D/sub with D's owner, group and mode (st is D's). Whoever owns msg/
 * may remove or replace any message in it, so in a queue shared
 * through the setgid group it must stay root's: only root (who gives
 * it D's owner) or D's owner may create it. A user running the setgid
 * binary is refused (73) with what to do rather than become its owner;
 * the install creates both.
 */
static int
mksub(const char *dir, const char *sub, const struct stat *st,
    struct err *e)
{
	char path[BOUNDS_PATH];
	struct stat sst;
	uid_t me = geteuid();

	if (qfile_path(path, sizeof(path), dir, sub, NULL, e) == -1)
		return -1;
	if (lstat(path, &sst) == 0)
		return 0;
	if (errno != ENOENT)
		return qfile_write_err(e, errno, "cannot stat", path);
	if (me != 0 && me != st->st_uid)
		return err_set(e, EX_CANTCREAT, "queue: %s is missing, and only "
		    "root or the owner of %s (uid %lu) may create it; for the "
		    "system queue: install -d -o root -g relaymail -m 2770 %s "
		    "(make install-setgid does)", path, dir,
		    (unsigned long)st->st_uid, path);
	if (me == 0)
		return mkdir_mode(path, st->st_mode & 07777, st->st_uid,
		    st->st_gid, e);
	return mkdir_mode(path, st->st_mode & 07777, (uid_t)-1, (gid_t)-1, e);
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
			return qfile_write_err(e, errno, "cannot create", path);
		}
		path[i] = '/';
	}
	return 0;
}

int
qfile_mkdirs(const char *dir, struct err *e)
{
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
		    mkdir_mode(dir, mode, (uid_t)-1, gid, e) == -1)
			return -1;
		if (stat(dir, &st) == -1)
			return qfile_write_err(e, errno, "cannot stat", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return err_set(e, EX_CANTCREAT, "queue: %s is not a directory",
		    dir);
	if (mksub(dir, "msg", &st, e) == -1 || mksub(dir, "tmp", &st, e) == -1)
		return -1;
	return 0;
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
