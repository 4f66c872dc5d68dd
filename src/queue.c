/*
 * queue.c - the durable queue (DESIGN §2, §3, §5; RFC 5321 §4.5.4 retry
 * strategy, §6.1 reliable delivery, §4.5.5 null sender for notices; RFC
 * 1047 duplicates rather than losses; RFC 3464 notices). This file
 * commits messages and runs the queue (-q, and draining after a
 * successful send); the other queue_*.c files (scanning, one delivery,
 * outcomes and retry schedule, notices, mailq and deletion) are listed
 * in queue_int.h.
 *
 * ON-DISK FORMAT (version 1)
 *
 * queue_dir/msg/ID holds one message; queue_dir/tmp/ holds files being
 * written (never read by a queue run; leftovers older than an hour are
 * removed by queue runs). ID is 16 upper-case hex digits (8 of the time
 * of queueing, 8 random). A file is a header section of LF-terminated
 * "key value" lines, an empty line, then the message exactly as it will
 * be sent (RFC 5322, CRLF line endings, not dot-stuffed):
 *
 *   relaymail-queue 1                 format version, always first
 *   id 6560A1B2C3D4E5F6
 *   account work                      account that delivers it
 *   sender <alice@example.com>        <> is the null sender
 *   dsn-notify SUCCESS,FAILURE        RFC 3461 -N  (only when given)
 *   dsn-ret HDRS                      RFC 3461 -R  (only when given)
 *   dsn-envid abc123                  RFC 3461 -V  (only when given)
 *   body 8                            -B: 0 unset, 7, 8
 *   kind message                      or "notice" (never bounced)
 *   queued 1700000000                 first queued (Unix time)
 *   attempts 2                        delivery attempts so far
 *   next-retry 1700000600             not tried before this time
 *   last-error 451 4.3.0 Try later    why the last attempt failed
 *   rcpt pending <bob@example.com> 451 4.3.0 Try later
 *   rcpt sent <carol@example.com> 250 2.1.5 OK
 *   rcpt failed <dave@example.com> 550 5.1.1 No such user
 *   (empty line)
 *   message...
 *
 * "pending" recipients are retried, "sent" ones were accepted by the
 * relay, "failed" ones were refused permanently (or expired) and their
 * notice has already been queued. A file is never modified in place: a
 * new version is written to tmp/, fsync'ed, locked, renamed over the old
 * one and the directory fsync'ed (qfile.c). A message is removed once no
 * recipient is pending.
 *
 * CONCURRENCY: a process owns a message while it holds flock(LOCK_EX) on
 * its file; busy messages are skipped, nothing global is locked, and a
 * message's file is replaced or removed only by its owner. A message is
 * marked sent only after the relay accepted it; a crash between the
 * relay's 250 and that update sends it again (RFC 1047: a duplicate is
 * better than a loss). Notices are committed before the original is
 * updated, for the same reason.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "queue_int.h"

void
queue_set_text(char *dst, size_t cap, const char *src)
{
	/* Diagnostic text only: shortened if need be, never parsed. */
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

void
queue_trace(const struct qrun *r, const char *id, const char *what,
    const char *why)
{
	if (r->trace != NULL)
		fprintf(r->trace, "queue: %s: %s%s%s\n", id, what,
		    why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
}

/* ------------------------------------------------------------------
 * Commit.
 */

static int
emit_msg(void *ctx, msg_write_fn fn, void *wctx, struct err *e)
{
	return msg_emit(ctx, MSG_EMIT_STORED, fn, wctx, e);
}

static int
commit_fill(struct qfile *qf, const struct account *a,
    const struct envelope *env, const struct relay_rcpt *rcpt,
    const char *reason, struct err *e)
{
	enum qrcpt_state st;
	size_t i;

	queue_set_text(qf->account, sizeof(qf->account), a->name);
	queue_set_text(qf->sender, sizeof(qf->sender), env->sender);
	if (env->dsn_notify != NULL)
		queue_set_text(qf->dsn_notify, sizeof(qf->dsn_notify),
		    env->dsn_notify);
	if (env->dsn_ret != NULL)
		queue_set_text(qf->dsn_ret, sizeof(qf->dsn_ret), env->dsn_ret);
	if (env->dsn_envid != NULL && strlen(env->dsn_envid) < QFILE_ENVID)
		queue_set_text(qf->dsn_envid, sizeof(qf->dsn_envid),
		    env->dsn_envid);
	qf->body = env->body;
	qf->queued = (long long)time(NULL);
	qf->attempts = reason != NULL ? 1 : 0;
	qf->next_retry = qf->queued + queue_backoff(qf->attempts);
	queue_set_text(qf->last_error, sizeof(qf->last_error), reason);
	for (i = 0; i < env->nrcpt; i++) {
		st = QR_PENDING;
		if (rcpt != NULL && rcpt[i].state == RCPT_OK)
			st = QR_SENT;
		else if (rcpt != NULL && rcpt[i].state == RCPT_PERM)
			st = QR_FAILED;
		if (qfile_add_rcpt(qf, env->rcpt[i], st, rcpt != NULL ?
		    rcpt[i].reply.text : reason, e) == -1)
			return -1;
	}
	return 0;
}

int
queue_commit(const struct account *a, const struct envelope *env,
    const struct relay_rcpt *rcpt, struct msg *msg, const char *reason,
    char *id, size_t idlen, struct err *e)
{
	char mark[BOUNDS_RCPTS], nid[QFILE_IDLEN];
	struct qfile qf;
	int rc = 0;

	if (idlen < QFILE_IDLEN)
		return err_set(e, EX_SOFTWARE, "queue: id buffer too small");
	id[0] = '\0';
	if (a->queue_dir == NULL)
		return err_set(e, EX_CONFIG, "queue: account %s has no "
		    "queue_dir", a->name);
	qfile_init(&qf);
	if (commit_fill(&qf, a, env, rcpt, reason, e) == -1) {
		qfile_free(&qf);
		return -1;
	}
	/* The notice for refused recipients first, then the message. */
	memset(mark, 1, sizeof(mark));
	if (qfile_count(&qf, QR_FAILED) > 0)
		rc = queue_notice_make(a, &qf, &msg->hdrs, mark, 0, nid, e);
	if (rc == 0 && qfile_count(&qf, QR_PENDING) > 0) {
		rc = qfile_create(a->queue_dir, &qf, emit_msg, msg, e);
		if (rc == 0) {
			memcpy(id, qf.id, QFILE_IDLEN);
			log_msg(LOG_INFO, "queue: id=%s queued account=%s "
			    "from=<%s> rcpts=%zu size=%lld reason=\"%s\"",
			    qf.id, a->name, qf.sender,
			    qfile_count(&qf, QR_PENDING),
			    (long long)msg_size(msg), qf.last_error);
		}
	}
	qfile_free(&qf);
	return rc;
}

/* ------------------------------------------------------------------
 * Queue runs.
 */

/* Deliver the entries of l for account a (index loop: notices made on
 * the way are appended to l). */
static void
run_account(struct qrun *r, struct qlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].account, r->a->name) != 0 ||
		    strcmp(l->v[i].dir, r->a->queue_dir) != 0)
			continue;
		if (!r->force && l->v[i].next_retry > r->now)
			continue;
		if (!r->may_open && !r->s->open)
			break;
		queue_deliver_entry(r, &l->v[i]);
	}
}

static void
qrun_init(struct qrun *r, const struct account *a, struct relay_session *s,
    int force, FILE *trace, struct qlist *l)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
	r->s = s;
	r->force = force;
	r->trace = trace;
	r->now = (long long)time(NULL);
	r->list = l;
}

static int
has_work(const struct qlist *l, const struct account *a, int force,
    long long now)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].account, a->name) == 0 &&
		    strcmp(l->v[i].dir, a->queue_dir) == 0 &&
		    (force || l->v[i].next_retry <= now))
			return 1;
	return 0;
}

static void
warn_orphans(const struct conf *c, const struct qlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (conf_account(c, l->v[i].account) == NULL)
			log_msg(LOG_WARNING, "queue: id=%s: account \"%s\" is "
			    "not in %s; left queued", l->v[i].id,
			    l->v[i].account, c->path != NULL ? c->path : "");
}

int
queue_run(struct conf *c, int force, FILE *trace, struct err *e)
{
	struct relay_session s;
	struct qlist l = { NULL, 0, 0 };
	struct qrun r;
	int i;

	if (queue_scan_all(c, &l, 1, e) == -1) {
		free(l.v);
		return -1;
	}
	for (i = 0; i < c->naccounts; i++) {
		const struct account *a = &c->accounts[i];

		if (a->queue_dir == NULL ||
		    !has_work(&l, a, force, (long long)time(NULL)))
			continue;
		memset(&s, 0, sizeof(s));
		qrun_init(&r, a, &s, force, trace, &l);
		r.may_open = 1;
		run_account(&r, &l);
		if (s.open)
			relay_close(&s);
		if (r.open_failed)
			log_msg(LOG_NOTICE, "queue: account %s: %s", a->name,
			    r.open_err.msg);
	}
	warn_orphans(c, &l);
	free(l.v);
	return 0;
}

int
queue_drain_session(struct relay_session *s, struct conf *c,
    const struct account *a, FILE *trace, struct err *e)
{
	struct qlist l = { NULL, 0, 0 };
	struct qrun r;

	(void)c;
	if (a->queue_dir == NULL || !s->open)
		return 0;
	if (queue_scan_dir(a->queue_dir, &l, e) == -1) {
		free(l.v);
		err_clear(e);
		return 0;	/* draining is a bonus, never a failure */
	}
	qrun_init(&r, a, s, 0, trace, &l);
	run_account(&r, &l);
	free(l.v);
	return 0;
}

int
queue_has_due(const struct account *a)
{
	struct qlist l = { NULL, 0, 0 };
	struct err e;
	int due;

	if (a->queue_dir == NULL ||
	    queue_scan_dir(a->queue_dir, &l, &e) == -1) {
		free(l.v);
		return 0;
	}
	due = has_work(&l, a, 0, (long long)time(NULL));
	free(l.v);
	return due;
}
