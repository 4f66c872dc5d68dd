/*
 * notice.h - failure notices (RFC 3464 delivery status notifications,
 * RFC 3462/6522 multipart/report, RFC 3463 status codes).
 *
 * A notice is composed here and then queued like any other message, with
 * the null sender (RFC 5321 §4.5.5) so that it can never cause another
 * notice. notice_write() only writes bytes: it does no I/O of its own and
 * keeps no state, so it is unit tested on its output.
 */
#ifndef RELAYMAIL_NOTICE_H
#define RELAYMAIL_NOTICE_H

#include <stddef.h>
#include "err.h"
#include "msg.h"

struct notice_rcpt {
	const char	*addr;
	const char	*reply;		/* relay's reply or our error, or "" */
};

struct notice_info {
	const char	*reporting_mta;	/* our FQDN (Reporting-MTA) */
	const char	*from;		/* From address; NULL: MAILER-DAEMON@
					 * reporting_mta */
	const char	*remote_mta;	/* relay host name, or NULL */
	const char	*to;		/* who gets the notice */
	const char	*orig_sender;	/* envelope sender of the original */
	const char	*envid;		/* RFC 3461 ENVID, or NULL/"" */
	const char	*id;		/* queue id: boundary, Message-ID */
	long long	 arrival;	/* when the original was accepted */
	long long	 now;
	int		 expired;	/* queue_lifetime ran out */
	const struct notice_rcpt *rcpt;
	size_t		 nrcpt;
	const struct hdrs *hdrs;	/* the original's header section */
};

/*
 * Write the complete notice (header section, empty line, body) in
 * canonical CRLF form through write_fn. EX_DATAERR when a field would
 * not fit in a line.
 */
int	 notice_write(const struct notice_info *, msg_write_fn, void *ctx,
	    struct err *);
/*
 * RFC 3463 status for a reply: its enhanced code when present and of the
 * reply's class; else X.0.0 from the reply code; for a reply without a
 * code, 4.4.7 (delivery time expired) when expired, else 5.0.0.
 */
void	 notice_status(const char *reply, int expired, char *out,
	    size_t len);
/* RFC 5322 §3.3 date-time in UTC, locale-independent. */
void	 notice_date(long long t, char *out, size_t len);

#endif
