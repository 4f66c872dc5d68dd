/*
 * secret.c - the buffer type for passwords and OAuth tokens (DESIGN §7).
 *
 * A secret lives in its own heap allocation so it can be wiped and freed
 * as a unit. Wiping uses gnutls_memset(), which the compiler may not
 * optimise away the way it may a plain memset() before free(). Values with
 * NUL, CR or LF are refused: they would truncate the value or inject an
 * extra line into an SMTP AUTH exchange (RFC 4954 §4).
 */
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>

#include "bounds.h"
#include "err.h"
#include "secret.h"

void
secret_bzero(void *p, size_t len)
{
	if (p != NULL && len > 0)
		gnutls_memset(p, 0, len);
}

void
secret_wipe(struct secret *s)
{
	if (s == NULL)
		return;
	if (s->buf != NULL) {
		secret_bzero(s->buf, s->len + 1);
		free(s->buf);
	}
	s->buf = NULL;
	s->len = 0;
}

int
secret_set(struct secret *s, const char *src, size_t len, struct err *e)
{
	char	*p;

	if (len > BOUNDS_SECRET)
		return err_set(e, EX_CONFIG, "secret longer than %d bytes",
		    BOUNDS_SECRET);
	if (memchr(src, '\0', len) != NULL || memchr(src, '\r', len) != NULL ||
	    memchr(src, '\n', len) != NULL)
		return err_set(e, EX_CONFIG,
		    "secret contains a NUL, CR or LF character");
	if ((p = malloc(len + 1)) == NULL)
		return err_set(e, EX_OSERR, "out of memory for a secret");
	memcpy(p, src, len);
	p[len] = '\0';
	secret_wipe(s);
	s->buf = p;
	s->len = len;
	return 0;
}
