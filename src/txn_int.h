/*
 * txn_int.h - private to the transaction files: the pieces of one mail
 * transaction (RFC 5321 §3.3) that the DATA path and the CHUNKING path
 * (RFC 3030) share. Not for other modules: the public entry point is
 * relay_send() in relay.h.
 *
 *	txn.c		relay_send() and the DATA path
 *	bdat.c		the CHUNKING path
 *	txn_common.c	what both share: MAIL, RCPT, verdicts, RSET, drop
 *
 * A file calls only files listed below it.
 */
#ifndef RELAYMAIL_TXN_INT_H
#define RELAYMAIL_TXN_INT_H

#include "relay.h"
#include "reply.h"

/* txn_common.c */
/* Copy a reply into the per-recipient/session form. */
void	 txn_keep_reply(struct relay_reply *, const struct reply *);
/* Close without QUIT (state unknown or mid-data); returns -1. */
int	 txn_drop(struct relay_session *);
/* The last transaction is answered: QUIT (unless sent already with the
 * end of data), its reply, close. */
void	 txn_quit(struct relay_session *, int sent);
/* A read or write failed: prefix e with what, record the stage, drop. */
int	 txn_lost(struct relay_session *, enum stage, const char *what,
	    struct err *);
/* RSET and its reply; drops the session when that fails. */
void	 txn_reset(struct relay_session *);
/* Record one RCPT reply; -1 (e set) for a reply that is no answer. */
int	 txn_rcpt_result(struct relay_session *, struct relay_rcpt *,
	    const struct reply *, struct err *);
/* 0 to go on; -1 with e = the worst refusal when no recipient was
 * accepted, or some were refused and !partial. */
int	 txn_rcpt_verdict(struct relay_session *, struct relay_rcpt *,
	    size_t n, int partial, struct err *);
/* Give every (only_ok: every accepted) recipient the reply r. */
void	 txn_rcpt_all(struct relay_rcpt *, size_t n, const struct reply *,
	    int only_ok);
/* MAIL refused: every recipient shares r; e is the MAIL error. */
int	 txn_mail_refused(struct relay_session *, const struct envelope *,
	    struct relay_rcpt *, const struct reply *, struct err *);
/*
 * MAIL and every RCPT (pipelined when offered, with the deferred AUTH),
 * their replies read and judged. With data, DATA is sent too and 0 means
 * the relay waits for the body (354). Without, 0 means the recipients
 * allow the transaction to go on. On -1 the transaction was reset or the
 * session dropped.
 */
int	 txn_envelope(struct relay_session *, const struct envelope *,
	    struct msg *, struct relay_rcpt *, int partial, int data,
	    struct err *);

/* bdat.c: the whole transaction with BDAT ... LAST (relay_send when the
 * relay offers CHUNKING). */
int	 bdat_send(struct relay_session *, const struct envelope *,
	    struct msg *, struct relay_rcpt *, int partial, int last,
	    struct err *);

#endif
