/*
 * alias.h - the aliases file (relaymail.conf(5) `aliases`), in the
 * aliases(5) syntax that sendmail and Postfix read:
 *
 *	# comment
 *	root: admin@example.com, ops@example.com
 *	postmaster: root
 *	ops:	alice@example.com,
 *		bob@example.com		(continuation: leading white space)
 *	*: catchall@example.com	(any bare name not listed above)
 *
 * Lookup is case-insensitive on the name. An address that has an '@' is
 * looked up by its local part only when its domain is the maildomain
 * (so root@host.example expands like root when maildomain is
 * host.example); other addresses are never expanded. The catch-all `*`
 * applies to bare names only, and what it yields is not caught again.
 * Expansion is recursive; a target naming its own alias ("root: root,
 * x@y") or written "\name" is kept as it is (aliases(5)). A loop between
 * aliases or a chain deeper than BOUNDS_ALIAS_DEPTH is EX_CONFIG with
 * file:line. Pipes, files and :include: are not supported: an alias
 * using one is EX_CONFIG when a message is addressed to it.
 *
 * Memory: owned by struct aliases, freed by alias_free(). Errors:
 * EX_CONFIG for an unreadable or malformed file, EX_OSERR for memory.
 */
#ifndef RELAYMAIL_ALIAS_H
#define RELAYMAIL_ALIAS_H

#include "addr.h"
#include "err.h"

struct alias {
	char		*name;		/* lower case; "*" is the catch-all */
	struct addr_list targets;
	int		 line;
	int		 unsupported;	/* pipe, file or :include: */
};

struct aliases {
	char		*path;
	struct alias	*v;
	size_t		 n, cap;
};

void	 alias_init(struct aliases *);
int	 alias_load(struct aliases *, const char *path, struct err *);
/*
 * Append the expansion of addr to out (addr itself when no alias
 * applies). maildomain may be NULL.
 */
int	 alias_expand(const struct aliases *, const char *addr,
	    const char *maildomain, struct addr_list *out, struct err *);
void	 alias_free(struct aliases *);

#endif
