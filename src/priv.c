/*
 * priv.c - dropping the setgid group (relaymail(8)).
 *
 * setresgid() sets the real, effective and saved gid together, so the
 * saved set-group-ID (POSIX setgid(2)) cannot be used to get the group
 * back; we then check that with setegid(), as a failed drop that went
 * unnoticed would hand the system secrets to any local user.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "priv.h"

int
priv_is_setgid(void)
{
	return getegid() != getgid();
}

int
priv_drop_group(struct err *e)
{
	gid_t	 old = getegid(), rgid = getgid();
	gid_t	 r, ef, s;

	if (getresgid(&r, &ef, &s) == -1)
		return err_set(e, EX_OSERR, "getresgid: %s", strerror(errno));
	if (r == rgid && ef == rgid && s == rgid)
		return 0;
	if (setresgid(rgid, rgid, rgid) == -1)
		return err_set(e, EX_OSERR, "cannot drop group %lu: %s",
		    (unsigned long)old, strerror(errno));
	if (getresgid(&r, &ef, &s) == -1 || r != rgid || ef != rgid ||
	    s != rgid)
		return err_set(e, EX_SOFTWARE, "group %lu still held after "
		    "drop", (unsigned long)old);
	/* Root may change groups at will; for anyone else, getting the
	 * old group back must now fail. */
	if (geteuid() != 0 && old != rgid && setegid(old) == 0)
		return err_set(e, EX_SOFTWARE,
		    "group %lu could be regained after drop",
		    (unsigned long)old);
	return 0;
}

int
priv_before_config(const char *cli_path, struct err *e)
{
	const char *env = getenv("RELAYMAIL_CONFIG");

	if (cli_path != NULL || (env != NULL && *env != '\0'))
		return priv_drop_group(e);
	return 0;
}

int
priv_for_relay(struct err *e)
{
	if (getuid() == 0)
		return 0;
	return priv_drop_group(e);
}

int
priv_after_find(const char *path, struct err *e)
{
	if (path == NULL || strcmp(path, CONF_SYSTEM_PATH) != 0)
		return priv_drop_group(e);
	return 0;
}
