/*
 * host.h - facts about the local host: its FQDN (for EHLO, RFC 5321
 * §4.1.1.1, Message-ID and the default maildomain) and the invoking user.
 */
#ifndef RELAYMAIL_HOST_H
#define RELAYMAIL_HOST_H

#include <stddef.h>

/* The host's fully qualified name (gethostname, then the canonical name
 * from the resolver when it has a dot); "localhost.localdomain" when
 * nothing better is known. Never fails. */
void	 host_fqdn(char *out, size_t len);
/* Login name of the real uid ("nobody" if unknown) and the full name
 * from GECOS (first comma-separated field; "" if none). */
void	 host_user(char *name, size_t namelen, char *full, size_t fulllen);

#endif
