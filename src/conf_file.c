/*
 * conf_file.c - the files of the configuration (relaymail.conf(5); the
 * setgid rule of relaymail(8)): opening the config and the files it names
 * (a regular file, never our terminal, never blocking on a FIFO), the
 * permission rule for a file that holds a secret, and the per-user paths
 * of the XDG Base Directory specification.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"

/*
 * Whether the process holds gid as the install's group: as the group a
 * setgid binary gave it (egid != rgid), or, for the group named
 * CONF_SYSTEM_GROUP only, as its real, effective or a supplementary
 * group (a systemd unit's Group=relaymail, or an admin in the group).
 */
static int
conf_group_held(gid_t gid, gid_t rgid, gid_t egid)
{
	gid_t		 groups[BOUNDS_GROUPS];
	struct group	*gr;
	int		 i, n;

	if (gid == egid && egid != rgid)
		return 1;
	if ((gr = getgrgid(gid)) == NULL ||
	    strcmp(gr->gr_name, CONF_SYSTEM_GROUP) != 0)
		return 0;
	if (gid == rgid || gid == egid)
		return 1;
	if ((n = getgroups(BOUNDS_GROUPS, groups)) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

int
conf_secret_mode_ok(const struct stat *st, int system, gid_t rgid,
    gid_t egid)
{
	if ((st->st_mode & (S_IRGRP | S_IROTH)) == 0)
		return 1;
	/* relaymail(8): root:relaymail 0640, read through the group. */
	return system && st->st_uid == 0 && (st->st_mode & 0077) == 0040 &&
	    conf_group_held(st->st_gid, rgid, egid);
}

/*
 * Open a file the config is or names: read-only, never as our terminal,
 * never blocking on a FIFO; it must be a regular file and, when it holds
 * a secret, pass the rule above. Returns the fd (st filled), or -1 with
 * why (errno kept for CONF_OPEN_ERRNO).
 */
int
conf_open_file(const char *path, int secret, int system, struct stat *st,
    enum conf_open_why *why)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		*why = CONF_OPEN_ERRNO;
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode))
		*why = CONF_OPEN_NOTREG;
	else if (secret && !conf_secret_mode_ok(st, system, getgid(),
	    getegid()))
		*why = CONF_OPEN_MODE;
	else
		return fd;
	close(fd);
	return -1;
}

/* $XDG_<var> when absolute (XDG Base Directory spec), else
 * $HOME/<fallback>, else the passwd entry's home. */
int
conf_xdg_path(char *out, size_t len, const char *var, const char *fallback,
    const char *tail)
{
	const char	*x = getenv(var), *home = getenv("HOME");
	struct passwd	*pw;
	int		 n;

	if (x != NULL && x[0] == '/')
		n = snprintf(out, len, "%s/%s", x, tail);
	else {
		if (home == NULL || home[0] != '/') {
			if ((pw = getpwuid(getuid())) == NULL ||
			    pw->pw_dir == NULL || pw->pw_dir[0] != '/')
				return -1;
			home = pw->pw_dir;
		}
		n = snprintf(out, len, "%s/%s/%s", home, fallback, tail);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
