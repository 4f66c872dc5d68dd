/*
 * conf.c - the configuration file (relaymail.conf(5)): the entry of the
 * conf module, the public API of conf.h. Finding the file, loading it
 * (reading is conf_read.c's, the checks after reading conf_check.c's),
 * secrets from password_file or password_command, and freeing it all.
 * Opening files and their permission rules are conf_file.c's, the
 * account helpers conf_account.c's.
 *
 * The module's files and what they share are listed in conf_int.h;
 * this file calls into them and none of them calls back up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"
#include "secret.h"

static int
put_path(char *out, size_t outlen, const char *path, struct err *e)
{
	size_t	 len = strlen(path);

	if (len >= outlen || len >= BOUNDS_PATH)
		return err_set(e, EX_CONFIG, "config path longer than %zu "
		    "bytes", outlen < BOUNDS_PATH ? outlen : BOUNDS_PATH);
	memcpy(out, path, len + 1);
	return 0;
}

int
conf_find(const char *cli_path, char *out, size_t outlen, struct err *e)
{
	const char	*env = getenv("RELAYMAIL_CONFIG");
	char		 xdg[BOUNDS_PATH];
	struct stat	 st;

	/* A named file (-C or $RELAYMAIL_CONFIG) must be readable by the
	 * real user (access(2) checks the real ids): falling through to
	 * another config would send mail through an unexpected account. */
	if (cli_path != NULL) {
		if (access(cli_path, R_OK) == -1)
			return err_set(e, EX_NOINPUT, "%s: %s", cli_path,
			    strerror(errno));
		return put_path(out, outlen, cli_path, e);
	}
	if (env != NULL && *env != '\0') {
		if (access(env, R_OK) == -1)
			return err_set(e, EX_NOINPUT, "RELAYMAIL_CONFIG=%s: %s",
			    env, strerror(errno));
		return put_path(out, outlen, env, e);
	}
	if (conf_xdg_path(xdg, sizeof(xdg), "XDG_CONFIG_HOME", ".config",
	    "relaymail/config") == 0 && stat(xdg, &st) == 0)
		return put_path(out, outlen, xdg, e);
	/* stat, not access: in the setgid mode only the effective group
	 * can read the system config. */
	if (stat(CONF_SYSTEM_PATH, &st) == 0)
		return put_path(out, outlen, CONF_SYSTEM_PATH, e);
	return err_set(e, EX_CONFIG, "no configuration found (tried %s and "
	    "%s); write one (see relaymail.conf(5)) or use -C or --relay",
	    xdg[0] != '\0' ? xdg : "~/.config/relaymail/config",
	    CONF_SYSTEM_PATH);
}

/* The config itself: opened as a stream with our own stdio buffer. */
static int
conf_open(struct conf *c, struct stat *st, FILE **fp, struct err *e)
{
	enum conf_open_why	 w;
	int			 fd;

	if ((fd = conf_open_file(c->path, 0, c->system, st, &w)) == -1) {
		if (w == CONF_OPEN_ERRNO && c->system && errno == EACCES)
			return err_set(e, EX_NOINPUT, "%s: %s; to send through "
			    "it as this user, install relaymail setgid (make "
			    "install-setgid: the file becomes 0640 "
			    "root:relaymail), or write your own "
			    "~/.config/relaymail/config (relaymail.conf(5))",
			    c->path, strerror(EACCES));
		if (w == CONF_OPEN_ERRNO)
			return err_set(e, EX_NOINPUT, "%s: %s", c->path,
			    strerror(errno));
		return err_set(e, EX_CONFIG, "%s: not a regular file",
		    c->path);
	}
	if ((*fp = fdopen(fd, "r")) == NULL) {
		err_set(e, EX_OSERR, "fdopen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

/* After a problem only path is kept, to name the file. */
static int
fail(struct conf *c)
{
	char	*path = c->path;

	c->path = NULL;
	conf_free(c);
	c->path = path;
	return -1;
}

int
conf_load(struct conf *c, const char *path, FILE *report, struct err *e)
{
	struct parse	 p;
	struct stat	 st;
	char		 iobuf[BUFSIZ];

	memset(c, 0, sizeof(*c));
	conf_account_init(&c->defaults);
	memcpy(c->defaults.name, "defaults", sizeof("defaults"));
	if ((c->path = strdup(path)) == NULL)
		return err_nomem(e);
	c->system = strcmp(path, CONF_SYSTEM_PATH) == 0;
	c->defaults.file = c->path;
	memset(&p, 0, sizeof(p));
	if (conf_open(c, &st, &p.fp, e) == -1) {
		if (report != NULL)
			fprintf(report, "%s\n", e->msg);
		return fail(c);
	}
	/* Our own stdio buffer, so the file's bytes can be wiped. */
	setvbuf(p.fp, iobuf, _IOFBF, sizeof(iobuf));
	p.c = c;
	p.report = report;
	p.e = e;
	p.cur = SECT_TOP;
	err_clear(e);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		conf_read_problem(&p, 0, "writable by group or others (mode "
		    "%04o)", (unsigned)(st.st_mode & 07777));
	conf_read_parse(&p);
	fclose(p.fp);
	secret_bzero(iobuf, sizeof(iobuf));
	conf_check_finish(&p, &st);
	free(p.sects);
	if (p.nerr > 0)
		return fail(c);
	return 0;
}

static int
load_secret_file(struct account *a, struct err *e)
{
	struct stat		 st;
	enum conf_open_why	 w;
	int			 fd, rc, sys;

	sys = a->file != NULL && strcmp(a->file, CONF_SYSTEM_PATH) == 0;
	if ((fd = conf_open_file(a->password_file, 1, sys, &st, &w)) == -1) {
		if (w == CONF_OPEN_ERRNO)
			return err_set(e, EX_CONFIG, "account %s: "
			    "password_file %s: %s", a->name, a->password_file,
			    strerror(errno));
		if (w == CONF_OPEN_NOTREG)
			return err_set(e, EX_CONFIG, "account %s: "
			    "password_file %s is not a regular file", a->name,
			    a->password_file);
		return err_set(e, EX_CONFIG, "account %s: password_file %s is "
		    "readable by group or others (mode %04o); chmod 600 it",
		    a->name, a->password_file, (unsigned)(st.st_mode & 07777));
	}
	if ((rc = secret_read_fd(&a->password, fd, e)) == -1)
		err_prefix(e, "account %s: password_file %s", a->name,
		    a->password_file);
	close(fd);
	return rc;
}

int
conf_load_secret(struct account *a, struct err *e)
{
	if (a->password.buf != NULL)
		return 0;
	if (a->password_command != NULL) {
		if (secret_from_command(&a->password, a->password_command,
		    a->timeout, e) == -1)
			return err_prefix(e, "account %s", a->name);
		return 0;
	}
	if (a->password_file != NULL)
		return load_secret_file(a, e);
	return 0;
}

void
conf_free(struct conf *c)
{
	int	 i;

	for (i = 0; i < c->naccounts; i++)
		conf_account_free(&c->accounts[i]);
	free(c->accounts);
	conf_account_free(&c->defaults);
	free(c->path);
	free(c->default_account);
	memset(c, 0, sizeof(*c));
}
