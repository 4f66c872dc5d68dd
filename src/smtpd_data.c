/*
 * smtpd_data.c - DATA in relaymail -bs: reading the message text, and
 * the reply to the end of data (RFC 5321 §4.1.1.4, §4.5.2, §4.2.5;
 * RFC 3463 / RFC 2034 enhanced codes; RFC 1870 §6 552 for size).
 *
 * The text is read up to the line holding only "." (RFC 5321 §4.1.1.4;
 * ".\n" too, as bare LF lines are taken), every other line starting
 * with "." losing that first "." (§4.5.2 transparency), and fed to the
 * message reader of a message on stdin (msg.h: canonical CRLF, bare CR
 * made a blank, NUL removed, header section parsed). What is over the
 * size limit is read to the end and dropped: 552, nothing is sent.
 * EOF or the idle limit inside DATA abandons the transaction: nothing
 * is sent or queued.
 *
 * The reply (RFC 5321 §4.2.5: 250 means the server took responsibility)
 * is 250 only when send_txn_run relayed the message or committed it to
 * the queue, and says which: "relayed to HOST: <the relay's reply>" or
 * "queued as ID by relaymail: <why>". A recipient the relay refused or
 * deferred while others got the message is named on its own line of
 * that 250 (its failure notice, or its retry, is the queue's, as for a
 * message on stdin). A failure is answered with the relay's own code
 * when a MAIL/RCPT/DATA/end-of-data reply caused it, else with the code
 * of its exit class, and the text says what failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_int.h"

enum dstate { D_BOL, D_MID, D_DOT, D_DOTCR, D_END };

struct dread {
	struct msg_reader	*mr;
	enum dstate		 st;
	long long		 size;
	int			 toobig;	/* over the limit: dropping */
	struct err		 e;		/* the reader's error */
	int			 failed;
};

static void
feed(struct smtpd *d, struct dread *r, const char *p, size_t n)
{
	r->size += (long long)n;
	if (r->size > d->txn_lim)
		r->toobig = 1;
	if (r->toobig || r->failed)
		return;
	if (msg_reader_feed(r->mr, p, n, &r->e) == -1)
		r->failed = 1;
}

/* One step over the input buffer; the state machine of §4.5.2. */
static void
step(struct smtpd *d, struct dread *r)
{
	const char *p = d->ib + d->ipos, *nl;
	size_t n = d->ilen - d->ipos, k;

	switch (r->st) {
	case D_BOL:
		if (*p == '.') {
			d->ipos++;
			r->st = D_DOT;
		} else
			r->st = D_MID;
		return;
	case D_MID:
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		feed(d, r, p, k);
		d->ipos += k;
		if (nl != NULL)
			r->st = D_BOL;
		return;
	case D_DOT:
		if (*p == '\r' || *p == '\n') {
			d->ipos++;
			r->st = *p == '\n' ? D_END : D_DOTCR;
		} else
			r->st = D_MID;	/* the stuffed "." is gone */
		return;
	case D_DOTCR:
		if (*p == '\n') {
			d->ipos++;
			r->st = D_END;
		} else {
			feed(d, r, "\r", 1);
			r->st = D_MID;
		}
		return;
	case D_END:
		return;
	}
}

/* Read the text to its end: 0, or -1 when the session ended inside. */
static int
read_text(struct smtpd *d, struct dread *r)
{
	while (r->st != D_END) {
		if (smtpd_fill(d) == -1)
			return -1;
		step(d, r);
	}
	if (!r->toobig && !r->failed && msg_reader_end(r->mr, &r->e) == -1)
		r->failed = 1;
	return 0;
}

void
smtpd_txn_clear(struct smtpd *d)
{
	size_t i;

	for (i = 0; i < d->nrcpt; i++)
		free(d->rcpt[i]);
	d->nrcpt = 0;
	d->mail = 0;
	d->sender[0] = '\0';
	d->notify[0] = '\0';
	d->notify_set = 0;
	d->ret[0] = '\0';
	d->envid[0] = '\0';
	d->body = 0;
}

/* The client's reply code and enhanced code for a failure of class ex. */
static int
class_code(int ex, const char **enh)
{
	switch (ex) {
	case EX_NOUSER:		*enh = "5.1.1"; return 550;
	case EX_DATAERR:	*enh = "5.6.0"; return 554;
	case EX_NOHOST:		*enh = "5.4.4"; return 554;
	case EX_UNAVAILABLE:	*enh = "5.0.0"; return 554;
	case EX_NOPERM:		*enh = "5.7.0"; return 554;
	case EX_USAGE:		*enh = "5.5.0"; return 554;
	case EX_CONFIG:		*enh = "4.3.5"; return 451;
	case EX_TEMPFAIL:	*enh = "4.4.0"; return 451;
	case EX_PROTOCOL:	*enh = "4.5.0"; return 451;
	default:		*enh = "4.3.0"; return 451;
	}
}

static void
reply_failure(struct smtpd *d, const struct send_txn *t, const struct err *e)
{
	const char *enh;
	int code, rcl;

	if (t->relayed) {
		/* Some recipients got it and the rest could not be queued:
		 * a 4xx would have the client send it to all again. */
		smtpd_reply(d, 554, 0, "5.3.0", "relayed to %s for some "
		    "recipients only: %s", t->peer, e->msg);
		return;
	}
	code = class_code(e->code, &enh);
	rcl = t->reply.code / 100;
	/* The relay's own answer, when it is what failed the message and
	 * of the same class (421 would close our session: 451 instead). */
	if (t->stage >= STAGE_MAIL && t->stage <= STAGE_EOD &&
	    (rcl == 4 || rcl == 5) && rcl == code / 100) {
		code = t->reply.code == 421 ? 451 : t->reply.code;
		if (t->reply.enh[0] != '\0')
			enh = t->reply.enh;
	}
	if (e->code == EX_DATAERR && t->relay_size > 0 &&
	    (long long)msg_size(&d->s->msg) > t->relay_size) {
		code = 552;
		enh = "5.3.4";
	}
	smtpd_reply(d, code, 0, enh, "not sent: %s", e->msg);
}

static size_t
count(const struct send_txn *t, enum rcpt_state st)
{
	size_t i, k = 0;

	for (i = 0; i < t->nrr; i++)
		k += t->rr[i].state == st;
	return k;
}

/* Up to this many refused recipients are named in the 250. */
#define LISTED	20

static void
reply_relayed(struct smtpd *d, const struct send_txn *t)
{
	size_t i, ok = count(t, RCPT_OK), listed = 0, rest;

	rest = t->nrr - ok;
	if (rest == 0) {
		smtpd_reply(d, 250, 0, "2.0.0", "relayed to %s: %s", t->peer,
		    t->reply.text);
		return;
	}
	smtpd_reply(d, 250, 1, "2.0.0", "relayed to %s for %zu of %zu "
	    "recipients: %s", t->peer, ok, t->nrr, t->reply.text);
	for (i = 0; i < t->nrr; i++) {
		if (t->rr[i].state == RCPT_OK || listed == LISTED)
			continue;
		listed++;
		if (t->rr[i].state == RCPT_TEMP)
			smtpd_reply(d, 250, listed < rest, "2.0.0", "<%s> "
			    "deferred: %s; queued as %s by relaymail for retry",
			    t->rr[i].addr, t->rr[i].reply.text, t->qid);
		else
			smtpd_reply(d, 250, listed < rest, "2.0.0", "<%s> "
			    "refused: %s; a failure notice goes to the sender",
			    t->rr[i].addr, t->rr[i].reply.text);
	}
	if (listed < rest)
		smtpd_reply(d, 250, 0, "2.0.0", "and %zu more recipients "
		    "refused or deferred", rest - listed);
}

/* Hand the transaction to the stdin path and answer. */
static void
deliver(struct smtpd *d)
{
	struct send_ctx *s = d->s;
	struct send_txn t;
	struct err e;

	memset(&t, 0, sizeof(t));
	t.sender = d->sender;
	t.rcpt = d->rcpt;
	t.nrcpt = d->nrcpt;
	t.dsn_notify = d->notify[0] != '\0' ? d->notify : NULL;
	t.dsn_ret = d->ret[0] != '\0' ? d->ret : NULL;
	t.dsn_envid = d->envid[0] != '\0' ? d->envid : NULL;
	t.body = d->body;
	err_clear(&e);
	/* Nothing waits on the relay; and a client that can no longer
	 * hear the reply would send the message again: not sent. */
	if (smtpd_flush(d) == -1) {
		send_txn_reset(s, &t);
		return;
	}
	if (send_txn_run(s, &t, &e) == -1) {
		fprintf(stderr, "relaymail: %s\n", e.msg);
		d->worst = err_worse(d->worst, e.code != 0 ? e.code :
		    EX_SOFTWARE);
		reply_failure(d, &t, &e);
	} else if (t.relayed)
		reply_relayed(d, &t);
	else
		smtpd_reply(d, 250, 0, "2.0.0", "queued as %s by relaymail, "
		    "not yet relayed: %s", t.qid, t.why_queued);
	if (t.relay_size > 0) {
		d->lim_acct = s->acct;
		d->lim = t.relay_size;
	}
	send_txn_reset(s, &t);
}

/* A message the reader refused (too big, header section over its caps,
 * the spool file): answered here, nothing sent. */
static void
reply_unread(struct smtpd *d, const struct dread *r)
{
	const char *enh;
	int code;

	if (r->toobig || (r->e.code == EX_DATAERR &&
	    r->size > BOUNDS_MESSAGE)) {
		smtpd_reply(d, 552, 0, "5.3.4", "not sent: message larger "
		    "than %lld octets", d->txn_lim);
		d->worst = err_worse(d->worst, EX_DATAERR);
		return;
	}
	code = class_code(r->e.code, &enh);
	smtpd_reply(d, code, 0, enh, "not sent: %s", r->e.msg);
	d->worst = err_worse(d->worst, r->e.code);
}

void
smtpd_data(struct smtpd *d)
{
	struct dread r;

	memset(&r, 0, sizeof(r));
	err_clear(&r.e);
	msg_init(&d->s->msg);
	if (msg_reader_new(&r.mr, &d->s->msg, 0, &r.e) == -1) {
		smtpd_reply(d, 451, 0, "4.3.0", "%s", r.e.msg);
		return;
	}
	smtpd_reply(d, 354, 0, NULL, "End data with <CR><LF>.<CR><LF>");
	r.st = D_BOL;
	if (read_text(d, &r) == -1) {
		/* EOF or idle inside DATA: nothing is sent or queued. */
		msg_reader_free(r.mr);
		send_txn_reset(d->s, NULL);
		smtpd_txn_clear(d);
		return;
	}
	msg_reader_free(r.mr);
	if (r.toobig || r.failed)
		reply_unread(d, &r);
	else
		deliver(d);
	send_txn_reset(d->s, NULL);
	smtpd_txn_clear(d);
}
