/*
 * send.c - one run of the mailer for the message on stdin (relaymail(8),
 * DESCRIPTION and Delivery): choose the account, read the message through
 * the spool, build the envelope, rewrite the headers, and deliver: every
 * host of the account, then its `fallback` account on a temporary failure.
 * --dry-run prints the plan instead; --probe connects without sending. The
 * SMTP session of -bs (smtpd.c) hands each of its transactions to the same
 * path (send_txn_run), which notes the outcome for the client's reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "diag.h"
#include "hdr.h"
#include "host.h"
#include "log.h"
#include "mime.h"
#include "oauth.h"
#include "priv.h"
#include "queue.h"
#include "relay.h"
#include "send.h"

void
send_init(struct send_ctx *s, const struct cli *c)
{
	memset(s, 0, sizeof(*s));
	s->cli = c;
	msg_init(&s->msg);
	envelope_init(&s->env);
	s->trace = c->verbose ? stderr : NULL;
	host_fqdn(s->fqdn, sizeof(s->fqdn));
	host_user(s->user, sizeof(s->user), s->gecos, sizeof(s->gecos));
}

void
send_free(struct send_ctx *s)
{
	msg_free(&s->msg);
	envelope_free(&s->env);
	if (s->have_url)
		conf_account_free(&s->url_acct);
	conf_free(&s->conf);
}

/* The account: --relay, else -a / match_from / default (relaymail.conf(5)). */
static int
choose_account(struct send_ctx *s, const char *sender, struct err *e)
{
	const struct cli *c = s->cli;
	const struct account *base = NULL;

	if (c->relay_url != NULL) {
		if (c->account != NULL)
			base = conf_account(&s->conf, c->account);
		if (account_from_url(&s->url_acct, c->relay_url,
		    base != NULL ? base : (s->conf.path != NULL ?
		    &s->conf.defaults : NULL), e) == -1)
			return -1;
		s->have_url = 1;
		s->acct = &s->url_acct;
		snprintf(s->why, sizeof(s->why), "--relay %s", c->relay_url);
		return 0;
	}
	return account_select(&s->conf, c->account, sender, &s->acct,
	    s->why, sizeof(s->why), e);
}

/* maildomain, else the domain of `from`, else the host's FQDN. */
static void
resolve_maildomain(struct send_ctx *s)
{
	const struct account *a = s->acct;
	const char *at;

	if (a->maildomain != NULL)
		snprintf(s->maildomain, sizeof(s->maildomain), "%s",
		    a->maildomain);
	else if (a->from != NULL && (at = strrchr(a->from, '@')) != NULL &&
	    at[1] != '\0')
		snprintf(s->maildomain, sizeof(s->maildomain), "%s", at + 1);
	else
		snprintf(s->maildomain, sizeof(s->maildomain), "%s", s->fqdn);
}

/* Envelope and headers of the message in s->msg (the envelope first:
 * -t needs the Bcc that hdr_prepare removes). */
static int
prepare_envelope(struct send_ctx *s, const struct send_txn *t,
    struct err *e)
{
	const struct cli *c = s->cli;
	const struct account *a = s->acct;
	struct envelope_opts eo;
	struct hdr_opts ho;

	if (s->msg.nul_removed > 0)
		fprintf(stderr, "relaymail: warning: removed %zu NUL byte%s "
		    "from the message\n", s->msg.nul_removed,
		    s->msg.nul_removed == 1 ? "" : "s");
	memset(&eo, 0, sizeof(eo));
	eo.argv_rcpt = t->rcpt;
	eo.nargv_rcpt = (int)t->nrcpt;
	eo.from_headers = t->extract;
	eo.sender = t->sender;
	eo.account_from = a->from;
	eo.force_from = a->force_from;
	eo.user = s->user;
	eo.maildomain = s->maildomain;
	eo.aliases = a->aliases;
	if (envelope_build(&s->env, &eo, &s->msg, e) == -1)
		return -1;
	s->env.dsn_notify = t->dsn_notify;
	s->env.dsn_ret = t->dsn_ret;
	s->env.dsn_envid = t->dsn_envid;
	s->env.body = t->body;
	memset(&ho, 0, sizeof(ho));
	ho.sender = s->env.sender;
	ho.fullname = c->fullname != NULL ? c->fullname :
	    (s->gecos[0] != '\0' ? s->gecos : NULL);
	ho.user = s->user;
	ho.maildomain = s->maildomain;
	ho.msgid_domain = s->fqdn;
	ho.force_from = a->force_from ? a->from : NULL;
	ho.now = time(NULL);
	return hdr_prepare(&s->msg, &ho, e);
}

/* Read stdin, then envelope and headers. */
static int
prepare_message(struct send_ctx *s, struct err *e)
{
	const struct cli *c = s->cli;
	struct send_txn t;

	if (msg_read(&s->msg, STDIN_FILENO, c->ignore_dots ? 0 : MSG_DOT_ENDS,
	    e) == -1)
		return -1;
	memset(&t, 0, sizeof(t));
	t.sender = c->sender;
	t.rcpt = c->rcpt;
	t.nrcpt = (size_t)c->nrcpt;
	t.extract = c->extract;
	t.dsn_notify = c->dsn_notify[0] != '\0' ? c->dsn_notify : NULL;
	t.dsn_ret = c->dsn_ret;
	t.dsn_envid = c->dsn_envid;
	t.body = c->body;
	return prepare_envelope(s, &t, e);
}

/* Comma-separated recipient list for the log line. */
static void
rcpt_list(const struct envelope *env, char *out, size_t len)
{
	size_t i, n = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < env->nrcpt && n < len; i++) {
		w = snprintf(out + n, len - n, "%s<%s>", i ? "," : "",
		    env->rcpt[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static void
log_result(struct send_ctx *s, const struct account *a,
    const struct relay_session *rs, const char *reply, const char *qid,
    int code)
{
	struct log_attempt la;
	char rcpts[BOUNDS_ERRMSG];

	rcpt_list(&s->env, rcpts, sizeof(rcpts));
	memset(&la, 0, sizeof(la));
	la.account = a->name;
	la.relay = rs != NULL && rs->conn.peer[0] != '\0' ? rs->conn.peer :
	    NULL;
	la.tls = rs != NULL && rs->conn.tlsinfo.version[0] != '\0' ?
	    rs->conn.tlsinfo.version : "none";
	la.tls_resumed = rs != NULL && rs->conn.tlsinfo.resumed;
	la.auth = rs != NULL && rs->auth_used[0] != '\0' ? rs->auth_used :
	    "none";
	la.size = msg_size(&s->msg);
	la.sender = s->env.sender;
	la.rcpts = rcpts;
	la.reply = reply;
	la.queue_id = qid;
	la.exit_code = code;
	log_attempt(&la);
}

/* Recipients the relay refused while others got the message. */
static size_t
count_state(const struct relay_rcpt *rcpt, size_t n, enum rcpt_state st)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += rcpt[i].state == st;
	return k;
}

/*
 * After a partial success: 5xx recipients get a failure notice, 4xx
 * ones are queued for retry (relaymail(8)). Both go through the queue.
 */
static int
queue_rest(struct send_ctx *s, const struct account *a,
    const struct relay_rcpt *rcpt, char *qid, size_t qidlen, struct err *e)
{
	size_t i, perm, temp;

	perm = count_state(rcpt, s->env.nrcpt, RCPT_PERM);
	temp = count_state(rcpt, s->env.nrcpt, RCPT_TEMP);
	if (perm + temp == 0)
		return 0;
	for (i = 0; i < s->env.nrcpt; i++)
		if (rcpt[i].state == RCPT_PERM || rcpt[i].state == RCPT_TEMP)
			fprintf(stderr, "relaymail: <%s>: %s%s\n", rcpt[i].addr,
			    rcpt[i].reply.text, rcpt[i].state == RCPT_PERM ?
			    " (a failure notice goes to the sender)" :
			    " (queued for retry)");
	return queue_commit(a, &s->env, rcpt, &s->msg, "recipient deferred",
	    qid, qidlen, e);
}

/* The relay's reply to the end of data (kept per accepted recipient;
 * the session's last reply may be QUIT's 221). */
static const char *
final_reply(const struct relay_session *rs, const struct relay_rcpt *rcpt,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rcpt[i].state == RCPT_OK && rcpt[i].reply.text[0] != '\0')
			return rcpt[i].reply.text;
	return rs->last.text;
}

/*
 * -bs: what the attempt left for the client's reply: the relay's answer
 * to the end of data, or the refusal that made it fail (a recipient's
 * in the class of the error, else the last reply), and every
 * recipient's outcome.
 */
static void
note_attempt(struct send_ctx *s, const struct relay_session *rs,
    const struct relay_rcpt *rcpt, int rc, const struct err *e)
{
	struct send_txn *t = s->txn;
	const struct relay_reply *r = NULL;
	enum rcpt_state want;
	size_t i, n = s->env.nrcpt;

	if (t == NULL)
		return;
	snprintf(t->peer, sizeof(t->peer), "%s", rs->conn.peer);
	t->relayed = rc == 0;
	t->stage = rs->stage;
	t->relay_size = rs->caps.size;
	want = rc == 0 ? RCPT_OK : e->code == EX_TEMPFAIL ? RCPT_TEMP :
	    RCPT_PERM;
	for (i = 0; rcpt != NULL && i < n && r == NULL; i++)
		if (rcpt[i].state == want && rcpt[i].reply.code != 0)
			r = &rcpt[i].reply;
	if (r == NULL && rc == -1 && rs->last.code >= 400)
		r = &rs->last;
	if (r != NULL)
		t->reply = *r;
	else
		memset(&t->reply, 0, sizeof(t->reply));
	free(t->rr);
	t->rr = NULL;
	t->nrr = 0;
	if (rcpt != NULL && (t->rr = calloc(n, sizeof(*t->rr))) != NULL) {
		memcpy(t->rr, rcpt, n * sizeof(*t->rr));
		t->nrr = n;
	}
}

/*
 * One account: open, send, close. rs keeps the session's facts (peer,
 * TLS, AUTH) for the log line even after it is closed. With the queue
 * enabled the transaction is partial (accepted recipients get the
 * message) and, when the account has due queued messages, they go over
 * the same session before QUIT.
 */
static int
deliver_account(struct send_ctx *s, struct account *a,
    struct relay_session *rs, struct relay_rcpt *rcpt, struct err *e)
{
	char qid[QFILE_IDLEN] = "";
	int rc, partial, drain;

	partial = a->queue != QUEUE_NEVER && !s->have_url;
	drain = partial && queue_has_due(a);
	if (relay_open(rs, a, s->trace, e) == -1) {
		note_attempt(s, rs, NULL, -1, e);
		log_result(s, a, rs, e->msg, NULL, e->code);
		return -1;
	}
	rc = relay_send(rs, &s->env, &s->msg, rcpt, partial, !drain, e);
	diag_auth_warn(rs);
	note_attempt(s, rs, rcpt, rc, e);
	if (rc == 0 && partial &&
	    queue_rest(s, a, rcpt, qid, sizeof(qid), e) == -1) {
		/* Some got it: never report a retryable failure that would
		 * make the caller send it again to everyone. */
		log_result(s, a, rs, e->msg, NULL, e->code);
		relay_close(rs);
		return -1;
	}
	if (s->txn != NULL)
		snprintf(s->txn->qid, sizeof(s->txn->qid), "%s", qid);
	log_result(s, a, rs, rc == 0 ? final_reply(rs, rcpt, s->env.nrcpt) :
	    e->msg, qid[0] != '\0' ? qid : NULL, rc == 0 ? 0 : e->code);
	if (rc == 0 && drain && rs->open) {
		struct err de;

		err_clear(&de);
		(void)queue_drain_session(rs, &s->conf, a, s->trace, &de);
	}
	relay_close(rs);
	return rc;
}

/* Commit to the queue; the exit is 0 only once it is durable. */
static int
enqueue(struct send_ctx *s, const struct account *a, const char *reason,
    struct err *e)
{
	char qid[QFILE_IDLEN] = "", cause[BOUNDS_ERRMSG];
	struct err qe;

	/* reason may be e->msg itself, which err_set below rewrites: the
	 * cause is copied first (formatting a buffer into itself is
	 * undefined behaviour). */
	if (reason != NULL) {
		snprintf(cause, sizeof(cause), "%s", reason);
		reason = cause;
	}
	err_clear(&qe);
	if (queue_commit(a, &s->env, NULL, &s->msg, reason, qid, sizeof(qid),
	    &qe) == -1) {
		if (reason != NULL)
			err_set(e, qe.code, "%s; and the message could not be "
			    "queued: %s", reason, qe.msg);
		else
			*e = qe;
		log_result(s, a, NULL, e->msg, NULL, e->code);
		return -1;
	}
	if (s->txn != NULL) {
		snprintf(s->txn->qid, sizeof(s->txn->qid), "%s", qid);
		snprintf(s->txn->why_queued, sizeof(s->txn->why_queued), "%s",
		    reason != NULL ? reason : "queue = always");
	}
	fprintf(stderr, "relaymail: queued as %s%s%s\n", qid,
	    reason != NULL ? ": " : " (queue = always)",
	    reason != NULL ? reason : "");
	log_result(s, a, NULL, reason != NULL ? reason : "queued", qid, 0);
	return 0;
}

/* The account, then its fallback chain on temporary failures; then the
 * queue (relaymail(8)). */
static int
deliver(struct send_ctx *s, struct err *e)
{
	struct relay_session rs;
	struct relay_rcpt *rcpt;
	struct account *a = s->acct;
	size_t i;
	int rc, hops = 0;

	if (a->queue == QUEUE_ALWAYS && !s->have_url)
		return enqueue(s, a, NULL, e);
	if ((rcpt = calloc(s->env.nrcpt, sizeof(*rcpt))) == NULL)
		return err_nomem(e);
	for (;;) {
		for (i = 0; i < s->env.nrcpt; i++) {
			memset(&rcpt[i], 0, sizeof(rcpt[i]));
			rcpt[i].addr = s->env.rcpt[i];
		}
		relay_clear(&rs);
		rc = deliver_account(s, a, &rs, rcpt, e);
		if (rc == 0 || e->code != EX_TEMPFAIL || a->fallback == NULL ||
		    s->have_url || ++hops > s->conf.naccounts)
			break;
		fprintf(stderr, "relaymail: %s; trying fallback account "
		    "%s\n", e->msg, a->fallback);
		if ((a = conf_account(&s->conf, a->fallback)) == NULL)
			break;
	}
	/* A temporary failure, or one recipient deferred while none got
	 * it, is queued whole; --relay is one-shot (no account to retry it
	 * with later). The queue run sends notices for the refused ones. */
	if (rc == -1 && !s->have_url && s->acct->queue == QUEUE_ON_FAILURE &&
	    (e->code == EX_TEMPFAIL ||
	    count_state(rcpt, s->env.nrcpt, RCPT_TEMP) > 0))
		rc = enqueue(s, s->acct, e->msg, e);
	free(rcpt);
	return rc;
}

/*
 * Secrets of the account and of its fallback chain are read while the
 * setgid group (relaymail(8)) may still be needed to read them; --dry-run
 * runs no password_command.
 */
static int
load_secrets(struct send_ctx *s, struct err *e)
{
	struct account *a = s->acct;
	int hops = 0;

	while (a != NULL && hops++ <= s->conf.naccounts) {
		/* The OAuth2 token is refreshed now, before connecting. */
		if ((oauth_enabled(a) && !s->have_url ?
		    oauth_token(a, 0, s->trace, e) :
		    conf_load_secret(a, e)) == -1)
			return -1;
		if (a->fallback == NULL || s->have_url)
			break;
		a = conf_account(&s->conf, a->fallback);
	}
	return 0;
}

/*
 * An OAuth2 token that cannot be refreshed now (endpoint unreachable,
 * timeout, 5xx) is a temporary failure like a relay that is down: with
 * queue = on-failure the message is queued and the queue run refreshes.
 */
static int
secrets_deferred(const struct send_ctx *s, const struct err *e)
{
	return e->code == EX_TEMPFAIL && oauth_enabled(s->acct) &&
	    !s->have_url && s->acct->queue == QUEUE_ON_FAILURE &&
	    s->cli->mode == CLI_SEND;
}

int
send_run(struct send_ctx *s, struct err *e)
{
	struct err deferred;

	err_clear(&deferred);
	if (choose_account(s, s->cli->sender, e) == -1)
		return -1;
	log_open(s->acct->log, s->acct->log_path);
	if (s->cli->mode != CLI_DRY_RUN && load_secrets(s, e) == -1) {
		if (!secrets_deferred(s, e))
			return -1;
		deferred = *e;
		err_clear(e);
	}
	/*
	 * Config and secrets are read: the group (relaymail(8)) is dropped now
	 * unless the message may have to go to the system queue, which is
	 * 2770 root:relaymail, or an OAuth2 token refused by the relay may
	 * have to be refreshed into its token file there. Nothing opened
	 * from here on is chosen by the caller except the spool file in
	 * $TMPDIR, created O_EXCL.
	 */
	if ((!s->conf.system || s->have_url || (s->acct->queue == QUEUE_NEVER
	    && !oauth_enabled(s->acct)) || s->cli->mode != CLI_SEND) &&
	    priv_drop_group(e) == -1)
		return -1;
	if (s->cli->mode == CLI_PROBE) {
		if (diag_probe(s->acct, s->why, s->trace, stdout, e) == -1)
			return -1;
		s->exit_code = EX_OK;
		return 0;
	}
	resolve_maildomain(s);
	if (prepare_message(s, e) == -1)
		return -1;
	/* What no relay could take fails now, before a connection. */
	if (mime_check(&s->msg, e) == -1)
		return -1;
	if (s->cli->mode == CLI_DRY_RUN) {
		diag_print_plan(s->acct, s->why, s->maildomain, &s->env,
		    &s->msg, stdout);
		s->exit_code = EX_OK;
		return 0;
	}
	if ((deferred.code != 0 ? enqueue(s, s->acct, deferred.msg, e) :
	    deliver(s, e)) == -1)
		return -1;
	s->exit_code = EX_OK;
	return 0;
}

/* ------------------------------------------------- -bs (smtpd.c) */

int
send_session(struct send_ctx *s, struct err *e)
{
	struct err ae;

	/* The account -a or `default` names, for the log and the idle
	 * timeout; a sender may choose another one at MAIL. */
	err_clear(&ae);
	if (choose_account(s, NULL, &ae) == -1) {
		if (s->cli->account != NULL || s->cli->relay_url != NULL) {
			*e = ae;
			return -1;
		}
		s->acct = NULL;
	}
	if (s->acct != NULL)
		log_open(s->acct->log, s->acct->log_path);
	else if (s->conf.naccounts > 0)
		log_open(s->conf.accounts[0].log, s->conf.accounts[0].log_path);
	/* Any transaction may need the system config's secrets or queue:
	 * the group is kept for the session then, else dropped now. */
	if ((!s->conf.system || s->have_url) && priv_drop_group(e) == -1)
		return -1;
	return 0;
}

int
send_txn_account(struct send_ctx *s, const char *sender, struct err *e)
{
	if (s->have_url)	/* --relay: one account for the session */
		return 0;
	if (choose_account(s, sender, e) == -1)
		return -1;
	log_open(s->acct->log, s->acct->log_path);	/* its own log */
	return 0;
}

int
send_txn_run(struct send_ctx *s, struct send_txn *t, struct err *e)
{
	int rc;

	if (load_secrets(s, e) == -1)
		return -1;
	resolve_maildomain(s);
	if (prepare_envelope(s, t, e) == -1)
		return -1;
	s->txn = t;
	rc = deliver(s, e);
	s->txn = NULL;
	return rc;
}

void
send_txn_reset(struct send_ctx *s, struct send_txn *t)
{
	msg_free(&s->msg);
	envelope_free(&s->env);
	envelope_init(&s->env);
	if (t != NULL) {
		free(t->rr);
		memset(t, 0, sizeof(*t));
	}
}
