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

#endif
