/*
 * envelope.h - envelope sender and recipients (relaymail(8)).
 */
#ifndef RELAYMAIL_ENVELOPE_H
#define RELAYMAIL_ENVELOPE_H

#include "bounds.h"
#include "err.h"
#include "msg.h"

struct envelope {
	char	 sender[BOUNDS_ADDR + 1];	/* "" = null sender <> */
	char	*rcpt[BOUNDS_RCPTS];		/* owned, deduplicated */
	size_t	 nrcpt;
	/* DSN (RFC 3461) from -N/-R/-V; NULL when not given. */
	const char *dsn_notify;		/* "SUCCESS,FAILURE" / "NEVER" */
	const char *dsn_ret;		/* "FULL" / "HDRS" */
	const char *dsn_envid;
	int	 body;			/* 0 unset, 7 (-B 7BIT), 8 (8BITMIME) */
};

struct envelope_opts {
	char * const	*argv_rcpt;	/* recipient arguments, may hold
					 * comma lists (cron's MAILTO) */
	int		 nargv_rcpt;
	int		 from_headers;	/* -t: To/Cc/Bcc, or the topmost
					 * Resent- block when there is one */
	const char	*sender;	/* -f/-r value as given, NULL if none;
					 * "" or "<>" is the null sender */
	const char	*account_from;	/* account's `from`, or NULL */
	int		 force_from;	/* sender becomes account_from */
	const char	*user;		/* login name for user@maildomain */
	const char	*maildomain;	/* qualifies bare names; NULL: none */
	const char	*aliases;	/* aliases file path or NULL */
};

void	 envelope_init(struct envelope *);
/*
 * Build the envelope: sender = -f/-r, else account_from, else
 * user@maildomain; recipients = argv (comma lists split) plus, with -t,
 * the header addresses; aliases applied (EX_CONFIG on a loop or an
 * unreadable aliases file), bare names qualified, duplicates removed.
 * Addresses holding CR, LF, NUL, '<', '>' or longer than BOUNDS_ADDR, or
 * unparsable, fail with EX_DATAERR; no recipient at all is EX_USAGE.
 * Must be called before hdr_prepare (which removes Bcc).
 */
int	 envelope_build(struct envelope *, const struct envelope_opts *,
	    const struct msg *, struct err *);
/* Check the sender only (so -f injection fails before reading stdin). */
int	 envelope_check_addr(const char *addr, struct err *);
void	 envelope_free(struct envelope *);

#endif
