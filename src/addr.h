/*
 * addr.h - RFC 5322 §3.4 address lists and RFC 5321 §4.1.2 envelope
 * addresses: parsing, validation and qualification of bare local names.
 *
 * Parsing understands display names, quoted strings, nested comments,
 * angle addresses (with an obsolete source route, RFC 5322 §4.4), domain
 * literals and groups ("undisclosed-recipients:;"). Bytes above 127 are
 * taken as atext (RFC 6532). The extracted addr-spec is the address with
 * comments and folding white space removed; quoted local parts keep their
 * quotes, so the result can go into MAIL FROM/RCPT TO as is.
 *
 * Memory: strings returned in an addr_list are owned by the list and freed
 * by addr_list_free(); addr_rewrite() returns a new string the caller frees.
 * Errors: EX_DATAERR for an unparsable list or an invalid address,
 * EX_OSERR for memory.
 */
#ifndef RELAYMAIL_ADDR_H
#define RELAYMAIL_ADDR_H

#include <stddef.h>
#include "err.h"

struct addr_list {
	char	**v;
	size_t	  n, cap;
};

void	 addr_list_init(struct addr_list *);
/* Append a copy of addr. */
int	 addr_list_add(struct addr_list *, const char *addr, struct err *);
void	 addr_list_free(struct addr_list *);

/*
 * Append every addr-spec of the address-list in value (a header value,
 * folding allowed, or a recipient argument such as cron's MAILTO
 * "a@x, b@y") to out. Groups contribute their members; an empty group
 * contributes nothing. Each address is checked with addr_check().
 */
int	 addr_parse_list(const char *value, struct addr_list *out,
	    struct err *);

/*
 * Check an address for the envelope: empty, longer than BOUNDS_ADDR, or
 * holding CR, LF, NUL, '<' or '>' is EX_DATAERR "invalid address", so no
 * address can inject an SMTP command or a header.
 */
int	 addr_check(const char *addr, struct err *);

/* 1 when addr has no '@' outside a quoted string (a bare local name). */
int	 addr_is_bare(const char *addr);

/* Pointer to the domain (after the last unquoted '@'), or NULL. */
const char *addr_domain(const char *addr);

/*
 * Write addr to out, with "@domain" appended when it is a bare name and
 * domain is neither NULL nor empty. EX_DATAERR when the result would be
 * longer than BOUNDS_ADDR or outlen.
 */
int	 addr_qualify(const char *addr, const char *domain, char *out,
	    size_t outlen, struct err *);

/*
 * 1 when a and b are the same address: the local part compared exactly
 * (RFC 5321 §2.4), the domain case-insensitively.
 */
int	 addr_equal(const char *a, const char *b);

/*
 * Rewrite a header value (an address-list) so every bare local name gets
 * "@domain", keeping display names, comments, groups, folding and spacing
 * exactly as they were: "root (Cron Daemon)" becomes
 * "root@host.example (Cron Daemon)", "Root <root>" becomes
 * "Root <root@host.example>". A value that does not parse is returned
 * unchanged (it is not ours to fix). *out is a new string; EX_DATAERR when
 * it would exceed BOUNDS_HEADER.
 */
int	 addr_rewrite(const char *value, const char *domain, char **out,
	    struct err *);

#endif
