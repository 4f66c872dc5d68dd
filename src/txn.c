/*
 * txn.c - one mail transaction on an open session: relay_send()
 * (RFC 5321 §3.3, §4.1.1.4; RFC 2920 PIPELINING) and its DATA path,
 * above both strategies: MAIL, RCPT and DATA with their replies are
 * txn_common.c's (shared with bdat.c), then the body follows in full
 * blocks, dot-stuffed by msg_emit; with `last` and PIPELINING, QUIT
 * leaves in the same write as the end of data (RFC 2920 §3.1 allows QUIT
 * after it in a group). Without PIPELINING QUIT waits for the
 * end-of-data reply like every other command: a strict server
 * (OpenSMTPD) answers an early QUIT with 500 and discards the message.
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

#include "log.h"
#include "mime.h"
#include "relay.h"
#include "smtp.h"
#include "txn_int.h"

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
	int ok, quit = last && s->caps.pipelining;

	s->stage = STAGE_DATA;
	if (msg_emit(m, MSG_EMIT_DOTSTUFF, body_write, &s->conn, e) == -1) {
		/* Never "." after a partial body: drop instead. */
		err_prefix(e, "sending the message to %s", s->conn.peer);
		return txn_drop(s);
	}
	if (smtp_write_line(s, ".", 1, 0, e) == -1 ||
	    (quit && smtp_quit(s, e) == -1) || smtp_flush(s, e) == -1)
		return txn_lost(s, STAGE_DATA, "sending the message", e);
	if (smtp_read(s, &r, 0, e) == -1)
		return txn_lost(s, STAGE_EOD, "end of data (the message may "
		    "have been accepted; it will be sent again)", e);
	txn_rcpt_all(rcpt, n, &r, 1);
	s->transactions++;
	if ((ok = r.code / 100 == 2) == 0)
		smtp_refused(s, STAGE_EOD, "message", &r, e);
	if (last)
		txn_quit(s, quit);
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
	memset(&s->auth_refused, 0, sizeof(s->auth_refused));
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
