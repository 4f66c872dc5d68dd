/*
 * relay.h - SMTP sessions and delivery transactions (relaymail(8),
 * RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 2920 PIPELINING,
 * RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3461 DSN).
 *
 * relay_open() connects to the account's relays in order (every address
 * of every host, all under one overall deadline), reads the greeting,
 * EHLO (HELO only when neither TLS nor AUTH is needed), TLS or STARTTLS
 * (buffer checked empty after 220, capabilities forgotten, EHLO again),
 * AUTH (mechanism chosen from what the relay offers; never in plaintext
 * except tls=none to loopback). relay_send() runs one transaction with
 * the fewest round trips: with PIPELINING, AUTH PLAIN's initial response,
 * MAIL, every RCPT and DATA leave in one write; the body leaves in full
 * blocks; with `last`, QUIT leaves in the same write as the end of data
 * when PIPELINING is offered, else after its reply (RFC 2920 §3.1).
 * With CHUNKING too (RFC 3030), a message up to 1 MiB leaves as
 * BDAT n LAST in that same write (when partial, or with one recipient);
 * otherwise BDAT follows the RCPT replies (bdat.c).
 *
 * Per-recipient outcomes are in rcpt[]. When some recipients are refused
 * and `partial` is 0, the transaction is abandoned with RSET (all or
 * nothing) and the error is the worst failure; with `partial` 1 the
 * message goes to the accepted ones and the refused ones keep their own
 * reply (the queue decides what to do with them).
 *
 * With the built-in OAuth2 client (oauth.h), auth = auto is XOAUTH2 (or
 * OAUTHBEARER when that is all the relay offers), and a token the relay
 * refuses is refreshed once and AUTH retried in the session.
 *
 * Nothing here talks to the user (only the -v trace): the session keeps
 * the facts (capabilities, tlsinfo, the AUTH used or refused) and diag.c
 * prints them.
 */
#ifndef RELAYMAIL_RELAY_H
#define RELAYMAIL_RELAY_H

#include <stdio.h>
#include "bounds.h"
#include "conf.h"
#include "conn.h"
#include "envelope.h"
#include "err.h"
#include "msg.h"

/* EHLO capabilities (RFC 5321 §4.1.1.1 and the extension RFCs). */
struct relay_caps {
	int		 esmtp;		/* EHLO was accepted */
	int		 pipelining, starttls, eightbitmime, dsn, smtputf8;
	int		 chunking, enhancedstatuscodes;
	long long	 size;		/* SIZE limit, 0 = none given */
	int		 has_size;
	char		 auth[256];	/* mechanisms offered, space-separated */
	int		 nlines;	/* raw EHLO lines (for --probe) */
	char		 lines[BOUNDS_REPLY_LINES][BOUNDS_REPLY_LINE];	/* last */
};

struct relay_reply {
	int		 code;		/* 0 when none */
	char		 enh[16];	/* "5.1.1" or "" */
	char		 text[BOUNDS_REPLY_LINE]; /* every line, reply_join */
};

enum rcpt_state { RCPT_PENDING = 0, RCPT_OK, RCPT_TEMP, RCPT_PERM };

struct relay_rcpt {
	const char		*addr;
	enum rcpt_state		 state;
	struct relay_reply	 reply;
};

struct relay_session {
	const struct account	*acct;
	char			 auth_used[32];	/* "PLAIN" or "none" */
	int			 open;
	long long		 deadline_ms;	/* overall, for failover */
	struct relay_reply	 last;		/* last reply received */
	enum stage		 stage;		/* stage of the last error */
	unsigned		 transactions;
	int			 auth_pending;	/* AUTH PLAIN buffered, its
						 * reply read by relay_send */
	struct relay_reply	 auth_refused;	/* code 0, or the reply of a
						 * deferred AUTH the relay
						 * refused while it took the
						 * message (relay_send) */
	/* The large parts last: relay_clear() leaves their buffers. */
	struct relay_caps	 caps;
	struct conn		 conn;
};

/* A session with nothing open: every field zero (conn closed), but the
 * buffers of caps and conn, which are never read before written. */
void	 relay_clear(struct relay_session *);

/*
 * Open a session: connect, TLS, EHLO, AUTH. trace is the -v stream or
 * NULL. Errors carry the stage and the relay's reply; the exit code per
 * relaymail(8) (EX_TEMPFAIL for refused/timeouts/4xx, EX_NOPERM for 535,
 * EX_PROTOCOL for garbage or plaintext where TLS was due, ...).
 */
int	 relay_open(struct relay_session *, const struct account *,
	    FILE *trace, struct err *);

/*
 * One transaction. rcpt[] has env->nrcpt entries, addr filled by the
 * caller. last: write QUIT with the end of data and close afterwards.
 * Returns 0 when every recipient (or, with partial, at least one) got the
 * message; -1 otherwise with err set. After a -1 the session may still be
 * open (RSET was sent) or closed (s->open == 0). When a deferred AUTH
 * was refused but the relay still took the message, the outcome follows
 * the relay's replies, s->auth_refused holds the AUTH reply and the
 * session is closed: the caller warns that the credentials are wrong.
 */
int	 relay_send(struct relay_session *, const struct envelope *,
	    struct msg *, struct relay_rcpt *rcpt, int partial, int last,
	    struct err *);

/*
 * With PIPELINING, relay_open leaves AUTH PLAIN unflushed so it leaves
 * with the first transaction; relay_send reads its reply. Callers that
 * need the AUTH outcome without sending (--probe) call this: it flushes
 * and reads the reply (no-op when nothing is pending). On failure the
 * session is closed.
 */
int	 relay_finish_auth(struct relay_session *, struct err *);

/* QUIT (if open) and close. */
void	 relay_close(struct relay_session *);

#endif
