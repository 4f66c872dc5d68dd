/*
 * txn.c - one mail transaction on an open session: relay_send()
 * (RFC 5321 §3.3, §4.1.1.2-4.1.1.4; RFC 2920 PIPELINING; RFC 4954 §4).
 *
 * With PIPELINING the deferred AUTH PLAIN, MAIL, every RCPT and DATA
 * leave in one write and their replies are read in order (RFC 2920
 * §3.1: DATA is the last command of the group). Without it, one command
 * per round trip, and DATA is only sent when the recipients allow.
 * The body follows in full blocks, dot-stuffed by msg_emit; with `last`
 * QUIT leaves in the same write as the end of data.
 *
 * When the relay offers CHUNKING (RFC 3030) the transaction goes through
 * bdat.c instead: BDAT ... LAST, no 354 to wait for.
 *
 * Aborting: before DATA's 354 the transaction is reset with RSET; once
 * the relay waits for the body we cannot take DATA back, so we drop the
 * connection without the final "." (RFC 5321 §3.8: a transaction
 * closed without end of data is discarded) rather than deliver a
 * partial or empty message. A drop after the end of data but before its
 * reply is EX_TEMPFAIL: the message may be delivered twice, never lost.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "mime.h"
#include "relay.h"
#include "smtp.h"
#include "txn_int.h"

void
txn_keep_reply(struct relay_reply *out, const struct reply *r)
{
	out->code = r->code;
	memcpy(out->enh, r->enh, sizeof(out->enh));
	memcpy(out->text, r->last, sizeof(out->text));
}

/* Abandon the connection (state unknown or mid-DATA). */
int
txn_drop(struct relay_session *s)
{
	conn_close(&s->conn);
	s->open = 0;
	s->auth_pending = 0;
	return -1;
}

/* A read or write failed: the session is unusable. */
int
txn_lost(struct relay_session *s, enum stage st, const char *what,
    struct err *e)
{
	s->stage = st;
	err_prefix(e, "%s at %s", what, s->conn.peer);
	return txn_drop(s);
}

/* RSET after a refusal before DATA (RFC 5321 §4.1.1.5). */
void
txn_reset(struct relay_session *s)
{
	struct reply r;
	struct err e2;

	err_clear(&e2);
	if (smtp_rset(s, &e2) == -1 || smtp_flush(s, &e2) == -1 ||
	    smtp_read(s, &r, 0, &e2) == -1 || r.code / 100 != 2)
		txn_drop(s);
}

/* Record a RCPT reply; returns 0 or -1 for a reply that is no answer. */
int
txn_rcpt_result(struct relay_session *s, struct relay_rcpt *rc,
    const struct reply *r, struct err *e)
{
	txn_keep_reply(&rc->reply, r);
	if (r->code / 100 == 2)
		rc->state = RCPT_OK;
	else if (r->code / 100 == 4)
		rc->state = RCPT_TEMP;
	else if (r->code / 100 == 5)
		rc->state = RCPT_PERM;
	else {
		char what[BOUNDS_ADDR + 16];

		smtp_what(what, sizeof(what), "RCPT TO", rc->addr);
		return smtp_refused(s, STAGE_RCPT, what, r, e);
	}
	return 0;
}

/*
 * The recipients' verdict: 0 to go on, -1 with e set to the worst
 * failure when none was accepted or some were refused and !partial.
 */
int
txn_rcpt_verdict(struct relay_session *s, struct relay_rcpt *rcpt, size_t n,
    int partial, struct err *e)
{
	struct reply r;
	size_t i, ok = 0, bad = 0, worst = 0;
	int code, wcode = EX_OK;
	char what[BOUNDS_ADDR + 16];

	for (i = 0; i < n; i++) {
		if (rcpt[i].state == RCPT_OK) {
			ok++;
			continue;
		}
		bad++;
		code = err_from_reply(STAGE_RCPT, rcpt[i].reply.code,
		    rcpt[i].reply.enh);
		if (err_worse(wcode, code) != wcode || wcode == EX_OK) {
			wcode = err_worse(wcode, code);
			worst = i;
		}
	}
	if (bad == 0 || (ok > 0 && partial))
		return 0;
	reply_init(&r);
	r.code = rcpt[worst].reply.code;
	memcpy(r.enh, rcpt[worst].reply.enh, sizeof(r.enh));
	memcpy(r.last, rcpt[worst].reply.text, sizeof(r.last));
	smtp_what(what, sizeof(what), "RCPT TO", rcpt[worst].addr);
	smtp_refused(s, STAGE_RCPT, what, &r, e);
	if (bad > 1) {
		char one[BOUNDS_ERRMSG];

		memcpy(one, e->msg, sizeof(one));
		err_set(e, e->code, "%.900s (%zu of %zu recipients refused)",
		    one, bad, n);
	}
	return -1;
}

/* Every recipient gets the transaction-wide reply r (MAIL, DATA, EOD). */
void
txn_rcpt_all(struct relay_rcpt *rcpt, size_t n, const struct reply *r,
    int only_ok)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (only_ok && rcpt[i].state != RCPT_OK)
			continue;
		txn_keep_reply(&rcpt[i].reply, r);
		rcpt[i].state = r->code / 100 == 2 ? RCPT_OK :
		    r->code / 100 == 4 ? RCPT_TEMP : RCPT_PERM;
	}
}

int
txn_mail_refused(struct relay_session *s, const struct envelope *env,
    struct relay_rcpt *rcpt, const struct reply *r, struct err *e)
{
	char what[BOUNDS_ADDR + 16];

	txn_rcpt_all(rcpt, env->nrcpt, r, 0);
	smtp_what(what, sizeof(what), "MAIL FROM", env->sender);
	return smtp_refused(s, STAGE_MAIL, what, r, e);
}

/* DATA was not answered with 354: the recipients share its reply. */
static int
data_refused(struct relay_session *s, struct relay_rcpt *rcpt, size_t n,
    const struct reply *r, struct err *e)
{
	txn_rcpt_all(rcpt, n, r, 1);
	smtp_refused(s, STAGE_DATA, "DATA", r, e);
	if (r->code / 100 == 2)		/* 2xx to DATA: a broken relay */
		return txn_drop(s);
	txn_reset(s);
	return -1;
}

/* RFC 2920 §3.1: AUTH (deferred), MAIL, RCPT... (and DATA) in one
 * write, then the replies in order. */
static int
envelope_pipelined(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct relay_rcpt *rcpt, int partial, int data,
    struct err *e)
{
	struct reply r;
	struct err merr;
	size_t i;
	int mail_ok;

	if (smtp_mail(s, env, m, e) == -1)
		return -1;
	for (i = 0; i < env->nrcpt; i++)
		if (smtp_rcpt(s, env, rcpt[i].addr, e) == -1)
			return txn_drop(s);
	if ((data && smtp_data(s, e) == -1) || smtp_flush(s, e) == -1)
		return txn_lost(s, STAGE_MAIL, "sending MAIL/RCPT/DATA", e);
	/* An AUTH failure leaves the relay with our MAIL/RCPT/DATA: drop
	 * so that nothing of it can turn into a transaction. */
	if (s->auth_pending && auth_finish(s, e) == -1)
		return txn_drop(s);
	if (smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_MAIL, "MAIL FROM", e);
	err_clear(&merr);
	if (!(mail_ok = r.code / 100 == 2))
		txn_mail_refused(s, env, rcpt, &r, &merr);
	for (i = 0; i < env->nrcpt; i++) {
		if (smtp_read(s, &r, 0, e) == -1)
			return txn_lost(s, STAGE_RCPT, "RCPT TO", e);
		if (mail_ok && txn_rcpt_result(s, &rcpt[i], &r, e) == -1)
			return txn_drop(s);
	}
	if (data && smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_DATA, "DATA", e);
	if (!mail_ok ||
	    txn_rcpt_verdict(s, rcpt, env->nrcpt, partial, e) == -1) {
		if (!mail_ok)
			*e = merr;
		/* The relay waits for the body: it cannot be reset. */
		if (data && r.code == 354)
			return txn_drop(s);
		txn_reset(s);
		return -1;
	}
	if (data && r.code != 354)
		return data_refused(s, rcpt, env->nrcpt, &r, e);
	return 0;
}

/* Without PIPELINING: one command per round trip. */
static int
envelope_serial(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct relay_rcpt *rcpt, int partial, int data,
    struct err *e)
{
	struct reply r;
	size_t i;

	if (smtp_mail(s, env, m, e) == -1)
		return -1;
	if (smtp_flush(s, e) == -1 || smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_MAIL, "MAIL FROM", e);
	if (r.code / 100 != 2) {
		txn_mail_refused(s, env, rcpt, &r, e);
		txn_reset(s);
		return -1;
	}
	for (i = 0; i < env->nrcpt; i++) {
		if (smtp_rcpt(s, env, rcpt[i].addr, e) == -1)
			return txn_drop(s);
		if (smtp_flush(s, e) == -1 || smtp_read(s, &r, 0, e) == -1)
			return txn_lost(s, STAGE_RCPT, "RCPT TO", e);
		if (txn_rcpt_result(s, &rcpt[i], &r, e) == -1)
			return txn_drop(s);
	}
	if (txn_rcpt_verdict(s, rcpt, env->nrcpt, partial, e) == -1) {
		txn_reset(s);
		return -1;
	}
	if (!data)
		return 0;
	if (smtp_data(s, e) == -1 || smtp_flush(s, e) == -1 ||
	    smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_DATA, "DATA", e);
	if (r.code != 354)
		return data_refused(s, rcpt, env->nrcpt, &r, e);
	return 0;
}

int
txn_envelope(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct relay_rcpt *rcpt, int partial, int data,
    struct err *e)
{
	if (s->caps.pipelining)
		return envelope_pipelined(s, env, m, rcpt, partial, data, e);
	return envelope_serial(s, env, m, rcpt, partial, data, e);
}

static int
body_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	return conn_write(ctx, buf, len, e);
}

/* The body in full blocks, ".", and with last QUIT, in as few writes as
 * the buffer allows; then the end-of-data reply. */
static int
body(struct relay_session *s, struct msg *m, struct relay_rcpt *rcpt,
    size_t n, int last, struct err *e)
{
	struct reply r;
	struct err qe;
	int ok;

	s->stage = STAGE_DATA;
	if (msg_emit(m, MSG_EMIT_DOTSTUFF, body_write, &s->conn, e) == -1) {
		/* Never "." after a partial body: drop instead. */
		err_prefix(e, "sending the message to %s", s->conn.peer);
		return txn_drop(s);
	}
	if (smtp_write_line(s, ".", 1, 0, e) == -1 ||
	    (last && smtp_quit(s, e) == -1) || smtp_flush(s, e) == -1)
		return txn_lost(s, STAGE_DATA, "sending the message", e);
	if (smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_EOD, "end of data (the message may "
		    "have been accepted; it will be sent again)", e);
	txn_rcpt_all(rcpt, n, &r, 1);
	s->transactions++;
	if ((ok = r.code / 100 == 2) == 0)
		smtp_refused(s, STAGE_EOD, "message", &r, e);
	if (last) {
		err_clear(&qe);
		(void)smtp_read(s, &r, 0, &qe);	/* QUIT's 221: no matter */
		txn_drop(s);
	}
	return ok ? 0 : -1;
}

int
relay_send(struct relay_session *s, const struct envelope *env,
    struct msg *m, struct relay_rcpt *rcpt, int partial, int last,
    struct err *e)
{
	size_t i;

	if (!s->open)
		return err_set(e, EX_SOFTWARE, "relay_send on a closed "
		    "session");
	if (env->nrcpt == 0)
		return err_set(e, EX_USAGE, "no recipients");
	for (i = 0; i < env->nrcpt; i++) {
		rcpt[i].state = RCPT_PENDING;
		memset(&rcpt[i].reply, 0, sizeof(rcpt[i].reply));
	}
	/* Made sendable for this relay (8BITMIME known now), or refused
	 * before anything of the transaction leaves. */
	if (mime_prepare(m, s->caps.eightbitmime, s->caps.smtputf8,
	    s->conn.trace, e) == -1)
		return -1;
	/* RFC 3030: BDAT carries the octets as they are, with no 354 to
	 * wait for and no dot-stuffing. */
	if (s->caps.chunking)
		return bdat_send(s, env, m, rcpt, partial, last, e);
	if (txn_envelope(s, env, m, rcpt, partial, 1, e) == -1)
		return -1;
	return body(s, m, rcpt, env->nrcpt, last, e);
}
