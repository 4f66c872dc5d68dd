/*
 * bdat.c - a mail transaction with CHUNKING (RFC 3030 §2, §4.1; RFC
 * 2920 PIPELINING; RFC 4954 §4 AUTH with an initial response), for
 * relay_send() when the relay offers CHUNKING (relaymail(8): fewest round
 * trips).
 *
 * The message leaves as one "BDAT <size> LAST" chunk of its canonical
 * octets (msg_emit without dot-stuffing: BDAT is counted, not
 * terminated). There is no 354 to wait for, so with PIPELINING the
 * deferred AUTH, MAIL, every RCPT, BDAT, the message and (with `last`)
 * QUIT leave in one write and the replies are read in order: one round
 * trip for the whole transaction. That is only done when
 *  - the message is small (BDAT_PIPE_MAX): a refused envelope would
 *    otherwise waste the upload, and
 *  - committing the body cannot break all-or-nothing: partial delivery
 *    is allowed, or there is a single recipient (then "some recipients
 *    only" cannot happen; RFC 3030 §2: BDAT with no valid recipient is
 *    refused and nothing is delivered).
 * Otherwise MAIL/RCPT are answered first (txn_common.c) and BDAT, the
 * message and QUIT follow in one write.
 *
 * A deferred AUTH can fail while the relay still takes MAIL, RCPT and
 * BDAT (it accepts mail for that recipient without AUTH): the message
 * was then delivered, so the outcome follows the relay's replies and
 * s->auth_refused keeps the AUTH reply, for the caller's warning that
 * the credentials are wrong (diag_auth_warn). When the envelope is
 * refused after the AUTH failure (the normal case), the error is the
 * AUTH failure and BDAT's reply only closes the transaction.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "smtp.h"
#include "txn_int.h"

/*
 * Bodies up to this size ride in the write with MAIL/RCPT. 1 MiB takes
 * about as long as a round trip on a slow uplink, so pipelining a larger
 * body saves less than a refused envelope would waste.
 */
#define BDAT_PIPE_MAX		((off_t)1024 * 1024)

/* After a failed write, how long the AUTH reply may take to be read. */
#define BDAT_SALVAGE_MS		2000

#define EOD_LOST	"end of data (the message may have been accepted; " \
			"it will be sent again)"

struct chunk_out {
	struct conn	*conn;
	off_t		 left;		/* octets the BDAT line announced */
};

/* Never more octets than announced: the excess would read as commands. */
static int
chunk_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct chunk_out *o = ctx;

	if ((off_t)len > o->left)
		return err_set(e, EX_SOFTWARE, "message longer than its BDAT "
		    "size");
	o->left -= (off_t)len;
	return conn_write(o->conn, buf, len, e);
}

/* "BDAT n LAST", the n octets, with last and PIPELINING QUIT (without
 * PIPELINING, QUIT waits for BDAT's reply: RFC 2920 §3.1), then flush
 * (with what the caller buffered before). On -1 the session must be
 * dropped. */
static int
chunk_send(struct relay_session *s, struct msg *m, int last, struct err *e)
{
	struct chunk_out o;

	o.conn = &s->conn;
	o.left = msg_size(m);
	if (smtp_bdat_last(s, (long long)o.left, e) == -1 ||
	    msg_emit(m, 0, chunk_write, &o, e) == -1)
		return -1;
	if (o.left != 0)
		return err_set(e, EX_SOFTWARE, "message shorter than its BDAT "
		    "size");
	if (last && s->caps.pipelining && smtp_quit(s, e) == -1)
		return -1;
	return smtp_flush(s, e);
}

/* BDAT LAST's reply is the end-of-data reply for the accepted ones. */
static int
eod_apply(struct relay_session *s, struct relay_rcpt *rcpt, size_t n,
    const struct reply *r, struct err *e)
{
	txn_rcpt_all(rcpt, n, r, 1);
	s->transactions++;
	if (r->code / 100 == 2)
		return 0;
	return smtp_refused(s, STAGE_EOD, "message", r, e);
}

/*
 * The transaction is over (BDAT LAST was answered). With last, QUIT
 * (when it did not go with BDAT), its reply (no matter) and close;
 * after a failure otherwise, RSET so that the next transaction starts
 * clean, keeping the failure as the session's last reply (the queue
 * judges it).
 */
static int
finish(struct relay_session *s, int last, int rc)
{
	struct relay_reply keep;

	if (!s->open)
		return rc;
	if (last)
		txn_quit(s, s->caps.pipelining);
	else if (rc == -1) {
		keep = s->last;
		txn_reset(s);
		s->last = keep;
	}
	return rc;
}

/* Envelope answered first (large message, all-or-nothing, or no
 * PIPELINING), then BDAT + message (+ QUIT) in one write. */
static int
bdat_after(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct relay_rcpt *rcpt, int partial, int last,
    struct err *e)
{
	struct reply r;

	if (txn_envelope(s, env, m, rcpt, partial, 0, e) == -1)
		return -1;
	if (chunk_send(s, m, last, e) == -1)
		return txn_lost(s, STAGE_DATA, "sending the message", e);
	if (smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_EOD, EOD_LOST, e);
	return finish(s, last, eod_apply(s, rcpt, env->nrcpt, &r, e));
}

/* What the pipelined replies said. */
struct piped {
	int			 auth_bad;	/* deferred AUTH refused */
	struct err		 aerr;
	struct relay_reply	 areply;
	int			 mail_ok;
	struct err		 merr;
	struct reply		 eod;		/* BDAT LAST's reply */
};

/*
 * Read the deferred AUTH's reply (if any). -1 only when it could not be
 * read; a refusal is recorded in p and the other replies are still read.
 */
static int
read_auth(struct relay_session *s, struct piped *p, struct err *e)
{
	err_clear(&p->aerr);
	if (!s->auth_pending)
		return 0;
	s->last.code = 0;
	if (auth_finish(s, &p->aerr) == 0)
		return 0;
	if (s->last.code == 0) {		/* no reply: connection lost */
		*e = p->aerr;
		return txn_drop(s);
	}
	p->auth_bad = 1;
	p->areply = s->last;
	return 0;
}

/* MAIL's, every RCPT's and BDAT's replies, in order. -1 (dropped, e
 * set) when one could not be read or was no answer. */
static int
read_replies(struct relay_session *s, const struct envelope *env,
    struct relay_rcpt *rcpt, struct piped *p, struct err *e)
{
	struct reply r;
	size_t i;

	if (smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_MAIL, "MAIL FROM", e);
	err_clear(&p->merr);
	if (!(p->mail_ok = r.code / 100 == 2))
		txn_mail_refused(s, env, rcpt, &r, &p->merr);
	for (i = 0; i < env->nrcpt; i++) {
		if (smtp_read(s, &r, 0, e) == -1)
			return txn_lost(s, STAGE_RCPT, "RCPT TO", e);
		if (p->mail_ok && txn_rcpt_result(s, &rcpt[i], &r, e) == -1)
			return txn_drop(s);
	}
	if (smtp_read(s, &p->eod, 0, e) == -1)
		return txn_lost(s, STAGE_EOD, EOD_LOST, e);
	return 0;
}

/* The transaction failed because AUTH did: the recipients were not
 * judged by the relay (MAIL was refused for want of AUTH), so they stay
 * pending and the error is the AUTH failure. */
static int
auth_failed(struct relay_session *s, struct relay_rcpt *rcpt, size_t n,
    const struct piped *p, struct err *e)
{
	size_t i;

	for (i = 0; i < n; i++) {
		rcpt[i].state = RCPT_PENDING;
		memset(&rcpt[i].reply, 0, sizeof(rcpt[i].reply));
	}
	*e = p->aerr;
	s->stage = STAGE_AUTH;
	s->last = p->areply;
	return txn_drop(s);
}

/* After a failed write: if the deferred AUTH was refused, that is the
 * error (a relay may close after 535); its reply, if sent, is here. */
static int
send_failed(struct relay_session *s, struct err *e)
{
	struct piped p;
	struct err e2;
	int rc, saved = s->conn.timeout_ms;

	memset(&p, 0, sizeof(p));
	if (s->auth_pending) {
		if (s->conn.timeout_ms > BDAT_SALVAGE_MS)
			s->conn.timeout_ms = BDAT_SALVAGE_MS;
		err_clear(&e2);
		rc = read_auth(s, &p, &e2);
		s->conn.timeout_ms = saved;
		if (rc == 0 && p.auth_bad) {
			*e = p.aerr;
			s->stage = STAGE_AUTH;
			return txn_drop(s);
		}
	}
	return txn_lost(s, STAGE_DATA, "sending the message", e);
}

/* One write for the whole transaction, then the replies in order. */
static int
bdat_pipelined(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct relay_rcpt *rcpt, int partial, int last,
    struct err *e)
{
	struct piped p;
	size_t i, n = env->nrcpt;
	int rc;

	memset(&p, 0, sizeof(p));
	if (smtp_mail(s, env, m, e) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (smtp_rcpt(s, env, rcpt[i].addr, e) == -1)
			return txn_drop(s);
	if (chunk_send(s, m, last, e) == -1)
		return send_failed(s, e);
	if (read_auth(s, &p, e) == -1)
		return -1;
	if (read_replies(s, env, rcpt, &p, e) == -1)
		return p.auth_bad ? auth_failed(s, rcpt, n, &p, e) : -1;
	if (p.auth_bad && !(p.mail_ok && p.eod.code / 100 == 2 &&
	    txn_rcpt_verdict(s, rcpt, n, 1, e) == 0))
		return auth_failed(s, rcpt, n, &p, e);
	if (!p.mail_ok) {
		*e = p.merr;
		return finish(s, last, -1);
	}
	/* BDAT's 554 "no valid recipients" must not hide why. */
	if (txn_rcpt_verdict(s, rcpt, n, partial, e) == -1)
		return finish(s, last, -1);
	rc = finish(s, last, eod_apply(s, rcpt, n, &p.eod, e));
	if (p.auth_bad) {
		s->auth_refused = p.areply;	/* the caller warns */
		relay_close(s);		/* not authenticated: no more mail */
	}
	return rc;
}

int
bdat_send(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct relay_rcpt *rcpt, int partial, int last,
    struct err *e)
{
	if (s->caps.pipelining && msg_size(m) <= BDAT_PIPE_MAX &&
	    (partial || env->nrcpt == 1))
		return bdat_pipelined(s, env, m, rcpt, partial, last, e);
	return bdat_after(s, env, m, rcpt, partial, last, e);
}
