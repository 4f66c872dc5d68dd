/*
 * secret.h - the one buffer type that holds passwords and tokens.
 *
 * A secret is heap memory owned by the struct; secret_wipe() overwrites it
 * (gnutls_memset, which the compiler may not elide) and frees it. Secrets
 * are never logged nor written to the -v transcript.
 */
#ifndef RELAYMAIL_SECRET_H
#define RELAYMAIL_SECRET_H

#include <stddef.h>
#include "err.h"

struct secret {
	char	*buf;		/* NUL-terminated; NULL when unset */
	size_t	 len;
};

/* Copy len bytes of src into s (replacing and wiping any old value).
 * Fails (EX_CONFIG) above BOUNDS_SECRET or on NUL/CR/LF in the value,
 * EX_OSERR on allocation failure. */
int	 secret_set(struct secret *s, const char *src, size_t len, struct err *);
/* Overwrite and free; safe on an unset secret. */
void	 secret_wipe(struct secret *s);
/* Wipe any plain buffer (for temporaries that held a secret). */
void	 secret_bzero(void *p, size_t len);

/*
 * Added for conf_load_secret(): the first line (CR/LF stripped) of a
 * regular file (secret_read_fd) or of the standard output of
 * `/bin/sh -c cmd` (secret_from_command, stdin /dev/null, killed after
 * timeout seconds). Both fail with EX_CONFIG on an empty first line or
 * one above BOUNDS_SECRET; a failing command's message holds its exit
 * status and the first line of its stderr, never its stdout.
 * EX_OSERR when pipes or fork fail. Temporaries are wiped.
 */
int	 secret_read_fd(struct secret *s, int fd, struct err *);
int	 secret_from_command(struct secret *s, const char *cmd, int timeout,
	    struct err *);

#endif
