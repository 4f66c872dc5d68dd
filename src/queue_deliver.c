/*
 * queue_deliver.c - one delivery attempt of one queued message (relaymail(8),
 * Queue; RFC 5321 §4.5.4.1 retries, RFC 1047 a duplicate rather than a loss):
 * lock the file, load the message, send it to the recipients still pending
 * over the run's session, log the attempt, and hand the outcome to
 * queue_outcome.c. A busy message (locked by another process) is skipped, a
 * message deferred meanwhile by another run is left alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "log.h"
#include "queue_int.h"

static void
log_try(const struct qrun *r, const struct qfile *qf, const struct msg *m,
    const struct envelope *env, const char *reply, int code)
{
	char rcpts[BOUNDS_ERRMSG];
	struct log_attempt la;
	size_t i, len = 0;
	int n;

	rcpts[0] = '\0';
	for (i = 0; i < env->nrcpt; i++) {
		n = snprintf(rcpts + len, sizeof(rcpts) - len, "%s<%s>",
		    i > 0 ? "," : "", env->rcpt[i]);
		if (n < 0 || (size_t)n >= sizeof(rcpts) - len)
			break;		/* the log line names the first ones */
		len += (size_t)n;
	}
	memset(&la, 0, sizeof(la));
	la.account = r->a->name;
	la.relay = r->s->conn.peer;
	la.tls = r->s->conn.tls != NULL ? r->s->conn.tlsinfo.version : "none";
	la.tls_resumed = r->s->conn.tls != NULL && r->s->conn.tlsinfo.resumed;
	la.auth = r->s->auth_used;
	la.size = msg_size(m);
	la.sender = qf->sender;
	la.rcpts = rcpts;
	la.reply = reply;
	la.queue_id = qf->id;
	la.exit_code = code;
	log_attempt(&la);
}

/*
 * One attempt over the session (opened here when allowed). Returns -1
 * when the attempt could not be made at all and must not count
 * (draining over a session that has closed).
 */
static int
attempt(struct qrun *r, struct qfile *qf, struct msg *m)
{
	struct relay_rcpt *rr;
	struct envelope env;
	struct err e;
	size_t j;
	int rc;

	if (!r->s->open) {
		if (!r->may_open)
			return -1;
		if (!r->open_failed && relay_open(r->s, r->a, r->trace,
		    &r->open_err) == -1)
			r->open_failed = 1;
		if (r->open_failed) {
			queue_apply(qf, NULL, 0, -1, &r->open_err, NULL,
			    STAGE_CONNECT);
			return 0;
		}
	}
	/* Replies are large: on the heap, not the stack. */
	if ((rr = calloc(qf->nrcpt, sizeof(*rr))) == NULL) {
		err_nomem(&e);
		queue_apply(qf, NULL, 0, -1, &e, NULL, STAGE_NONE);
		return 0;
	}
	envelope_init(&env);
	queue_set_text(env.sender, sizeof(env.sender), qf->sender);
	env.dsn_notify = qf->dsn_notify[0] ? qf->dsn_notify : NULL;
	env.dsn_ret = qf->dsn_ret[0] ? qf->dsn_ret : NULL;
	env.dsn_envid = qf->dsn_envid[0] ? qf->dsn_envid : NULL;
	env.body = qf->body;
	for (j = 0; j < qf->nrcpt; j++)
		if (qf->rcpt[j].state == QR_PENDING) {
			rr[env.nrcpt].addr = qf->rcpt[j].addr;
			env.rcpt[env.nrcpt++] = qf->rcpt[j].addr;
		}
	err_clear(&e);
	rc = relay_send(r->s, &env, m, rr, 1, 0, &e);
	diag_auth_warn(r->s);
	queue_apply(qf, rr, env.nrcpt, rc, &e, &r->s->last, r->s->stage);
	log_try(r, qf, m, &env, rc == 0 ? r->s->last.text : e.msg,
	    rc == 0 ? 0 : e.code);
	/* env.rcpt points into qf: not freed here. */
	free(rr);
	return 0;
}

static int
load(int fd, struct qfile *qf, struct msg *m, struct err *e)
{
	if (qfile_parse(fd, qf, e) == -1)
		return -1;
	if (lseek(fd, qf->msg_offset, SEEK_SET) == -1)
		return err_set(e, EX_IOERR, "queue: seek: %s", strerror(errno));
	return msg_read(m, fd, MSG_RAW, e);
}

void
queue_deliver_entry(struct qrun *r, const struct qent *q)
{
	char was[BOUNDS_RCPTS];
	struct qfile qf;
	struct msg m;
	struct err e;
	size_t j;
	int fd = -1;

	err_clear(&e);
	if (qfile_lock(q->dir, q->id, &fd, &e) != 0) {
		if (e.code != 0)
			log_msg(LOG_ERR, "%s", e.msg);
		return;		/* busy, or done by someone else */
	}
	qfile_init(&qf);
	msg_init(&m);
	/* A long run must see notices it made (due "now") as due. */
	r->now = (long long)time(NULL);
	if (load(fd, &qf, &m, &e) == -1)
		goto out;
	if (!r->force && qf.next_retry > r->now)
		goto out;	/* another run deferred it meanwhile */
	for (j = 0; j < qf.nrcpt; j++)
		was[j] = qf.rcpt[j].state == QR_PENDING;
	if (qfile_count(&qf, QR_PENDING) > 0 && attempt(r, &qf, &m) == -1)
		goto out;
	if (queue_outcome_finish(r, &fd, &qf, &m, was, &e) == -1)
		goto out;
	err_clear(&e);
out:
	if (e.code != 0) {
		queue_trace(r, q->id, "error", e.msg);
		log_msg(LOG_ERR, "queue: id=%s: %s", q->id, e.msg);
	}
	if (fd != -1)
		close(fd);
	msg_free(&m);
	qfile_free(&qf);
}
