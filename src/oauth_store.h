/*
 * oauth_store.h - the OAuth2 token cache file and its lock (RFC 6749 §6
 * refresh tokens, §10.3/§10.4 token confidentiality).
 *
 * One file per account holds the access token, its expiry, its scope and
 * the refresh token. It is a secret (secret.h): 0600 owned by the user,
 * or 0660 group relaymail under the system queue for the system config.
 * Writers hold an exclusive lock on FILE.lock and replace the file
 * atomically (FILE.new written, fsync, rename, fsync of the directory),
 * so a crash at any point leaves either the old or the new file, and
 * never a reader's view of half of one.
 *
 * Tokens read are in secret buffers; oauth_tokens_wipe() wipes them.
 * Errors: EX_NOPERM when there is no token file yet (the message names
 * `relaymail --authorize ACCOUNT`), EX_CONFIG when the file is not a
 * regular file, is readable by others or is malformed, EX_TEMPFAIL when
 * the lock is not granted in time, EX_CANTCREAT/EX_IOERR when writing
 * fails.
 */
#ifndef RELAYMAIL_OAUTH_STORE_H
#define RELAYMAIL_OAUTH_STORE_H

#include <stdio.h>
#include "bounds.h"
#include "err.h"
#include "secret.h"

struct oauth_tokens {
	struct secret	 access, refresh;
	long long	 expires_at;	/* seconds since the epoch; 0 unknown */
	char		 scope[BOUNDS_OAUTH_SCOPE];
};

/* Where the file is and whose rules apply. */
struct oauth_file {
	const char	*path;
	const char	*account;	/* for messages */
	int		 system;	/* the system config: group relaymail */
};

void	 oauth_tokens_wipe(struct oauth_tokens *);
/* Read the file (no lock needed: it is only ever renamed into place). */
int	 oauth_store_read(const struct oauth_file *, struct oauth_tokens *,
	    struct err *);
/* The file's text (NUL-terminated, modified) into t; -1 when it is not
 * well formed (t then may hold part: wipe it). For the fuzz target. */
int	 oauth_store_parse(char *buf, struct oauth_tokens *, struct err *);
/* Replace the file with t (call with the lock held). */
int	 oauth_store_write(const struct oauth_file *,
	    const struct oauth_tokens *, struct err *);
/* Take FILE.lock, waiting up to timeout seconds; *fd to unlock with. */
int	 oauth_store_lock(const struct oauth_file *, int timeout, int *fd,
	    struct err *);
void	 oauth_store_unlock(int fd);
/*
 * --check-config: the file's mode and owner. Returns 0 when fine or
 * absent (*exists says which), -1 with the problem in err otherwise.
 */
int	 oauth_store_check(const struct oauth_file *, int *exists,
	    struct err *);

#endif
