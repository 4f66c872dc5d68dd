/*
 * queue.c - the durable queue: commit, queue runs, retry schedule,
 * failure notices, mailq and deletion (DESIGN §2, §3, §5; RFC 5321
 * §4.5.4 retry strategy, §6.1 reliable delivery, §4.5.5 null sender for
 * notices; RFC 1047 duplicates rather than losses; RFC 3464 notices).
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "notice.h"
#include "queue.h"

struct qent {
	char		 id[QFILE_IDLEN];
	char		 account[BOUNDS_NAME];
	const char	*dir;
	long long	 next_retry;
	off_t		 size;
};

struct qlist {
	struct qent	*v;
	size_t		 n, cap;
};

/* One pass over one account's messages. */
struct qrun {
	const struct account	*a;
	struct relay_session	*s;
	int			 may_open;	/* -q: open/reopen session */
	int			 open_failed;
	struct err		 open_err;
	int			 force;
	FILE			*trace;
	long long		 now;
	struct qlist		*list;		/* notices are appended */
};

long
queue_backoff(int attempts)
{
	long d = QUEUE_BACKOFF_FIRST;
	int i;

	if (attempts < 1)
		return 0;
	for (i = 1; i < attempts && d < QUEUE_BACKOFF_MAX; i++)
		d *= 2;
	return d < QUEUE_BACKOFF_MAX ? d : QUEUE_BACKOFF_MAX;
}

static void
set_text(char *dst, size_t cap, const char *src)
{
	/* Diagnostic text only: shortened if need be, never parsed. */
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* A whole-message permanent refusal: 5xx to MAIL/DATA/end of data, or a
 * message the relay can never take (too big, unencodable). */
static int
msg_permanent(int rc, const struct err *e, const struct relay_reply *last,
    enum stage stage)
{
	if (rc == 0 || e == NULL || e->code == EX_TEMPFAIL)
		return 0;
	if (e->code == EX_DATAERR)
		return 1;
	return last != NULL && last->code >= 500 && last->code <= 599 &&
	    (stage == STAGE_MAIL || stage == STAGE_DATA || stage == STAGE_EOD);
}

size_t
queue_apply(struct qfile *qf, const struct relay_rcpt *rr, size_t n, int rc,
    const struct err *e, const struct relay_reply *last, enum stage stage)
{
	const char *etext = e != NULL ? e->msg : "";
	int perm = msg_permanent(rc, e, last, stage);
	size_t j, k = 0, nfailed = 0;
	struct qrcpt *q;

	for (j = 0; j < qf->nrcpt && k < n; j++) {
		const struct relay_rcpt *x;

		q = &qf->rcpt[j];
		if (q->state != QR_PENDING)
			continue;
		x = &rr[k++];
		if (rc == 0 && x->state == RCPT_OK) {
			q->state = QR_SENT;
			set_text(q->reply, sizeof(q->reply), x->reply.text);
		} else if (x->state == RCPT_PERM || perm) {
			q->state = QR_FAILED;
			set_text(q->reply, sizeof(q->reply), x->state ==
			    RCPT_PERM ? x->reply.text : last != NULL &&
			    last->code >= 500 ? last->text : etext);
			nfailed++;
		} else
			set_text(q->reply, sizeof(q->reply), x->state ==
			    RCPT_TEMP ? x->reply.text : etext);
	}
	if (rc == -1)
		set_text(qf->last_error, sizeof(qf->last_error), etext);
	else
		for (j = 0; j < qf->nrcpt; j++)
			if (qf->rcpt[j].state == QR_PENDING) {
				set_text(qf->last_error,
				    sizeof(qf->last_error), qf->rcpt[j].reply);
				break;
			}
	return nfailed;
}

/* ------------------------------------------------------------------
 * Notices.
 */

struct notice_emit {
	const struct notice_info *ni;
};

static int
emit_notice(void *ctx, msg_write_fn fn, void *wctx, struct err *e)
{
	struct notice_emit *ne = ctx;

	return notice_write(ne->ni, fn, wctx, e);
}

static int
emit_msg(void *ctx, msg_write_fn fn, void *wctx, struct err *e)
{
	return msg_emit(ctx, 0, fn, wctx, e);
}

/* Who gets a notice about orig, or NULL: never for a notice or the
 * null sender (RFC 5321 §4.5.5, RFC 3464 §2), not with notify = none. */
static const char *
notice_to(const struct account *a, const struct qfile *orig)
{
	if (orig->notice || orig->sender[0] == '\0')
		return NULL;
	if (a->notify != NULL)
		return strcmp(a->notify, "none") == 0 ? NULL : a->notify;
	return orig->sender;
}

static void
fill_info(struct notice_info *ni, const struct account *a,
    const struct qfile *orig, const char *to, char *host, size_t hostlen,
    char *token)
{
	unsigned int r;

	if (a->domain != NULL)
		set_text(host, hostlen, a->domain);
	else
		host_fqdn(host, hostlen);
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned int)getpid();
	snprintf(token, 32, "%08X", r);
	memset(ni, 0, sizeof(*ni));
	ni->reporting_mta = host;
	/* Submission relays often insist that From is the account's own
	 * address; MAILER-DAEMON@host only when the account has none. */
	ni->from = a->from;
	ni->remote_mta = a->nhosts > 0 ? a->hosts[0] : NULL;
	ni->to = to;
	ni->orig_sender = orig->sender;
	ni->envid = orig->dsn_envid;
	ni->id = token;
	ni->arrival = orig->queued;
	ni->now = (long long)time(NULL);
}

/*
 * Queue a notice for the recipients of orig in state QR_FAILED whose
 * mark[] is set. nid gets the notice's id ("" when none is due).
 */
static int
make_notice(const struct account *a, const struct qfile *orig,
    const struct hdrs *hdrs, const char *mark, int expired, char *nid,
    struct err *e)
{
	char host[BOUNDS_DOMAIN + 1], token[32];
	struct notice_rcpt nr[BOUNDS_RCPTS];
	struct notice_info ni;
	struct notice_emit ne = { &ni };
	struct qfile nq;
	const char *to = notice_to(a, orig);
	size_t i, n = 0;
	int rc;

	nid[0] = '\0';
	for (i = 0; i < orig->nrcpt; i++)
		if (mark[i] && orig->rcpt[i].state == QR_FAILED) {
			nr[n].addr = orig->rcpt[i].addr;
			nr[n++].reply = orig->rcpt[i].reply;
		}
	if (n == 0)
		return 0;
	if (to == NULL) {
		log_msg(LOG_NOTICE, "queue: id=%s %zu recipient(s) failed, no "
		    "notice (%s)", orig->id[0] ? orig->id : "-", n,
		    orig->notice ? "a notice itself: dropped" :
		    orig->sender[0] == '\0' ? "null sender" : "notify = none");
		return 0;
	}
	fill_info(&ni, a, orig, to, host, sizeof(host), token);
	ni.expired = expired;
	ni.rcpt = nr;
	ni.nrcpt = n;
	ni.hdrs = hdrs;
	qfile_init(&nq);
	set_text(nq.account, sizeof(nq.account), a->name);
	nq.notice = 1;
	nq.queued = nq.next_retry = ni.now;
	rc = qfile_add_rcpt(&nq, to, QR_PENDING, "", e);
	if (rc == 0)
		rc = qfile_create(a->queue_dir, &nq, emit_notice, &ne, e);
	if (rc == 0) {
		memcpy(nid, nq.id, QFILE_IDLEN);
		log_msg(LOG_INFO, "queue: id=%s notice id=%s to=<%s> for %zu "
		    "recipient(s)%s", orig->id[0] ? orig->id : "-", nq.id, to,
		    n, expired ? " (expired)" : "");
	}
	qfile_free(&nq);
	return rc;
}

/* ------------------------------------------------------------------
 * Commit.
 */

static int
commit_fill(struct qfile *qf, const struct account *a,
    const struct envelope *env, const struct relay_rcpt *rcpt,
    const char *reason, struct err *e)
{
	enum qrcpt_state st;
	size_t i;

	set_text(qf->account, sizeof(qf->account), a->name);
	set_text(qf->sender, sizeof(qf->sender), env->sender);
	if (env->dsn_notify != NULL)
		set_text(qf->dsn_notify, sizeof(qf->dsn_notify),
		    env->dsn_notify);
	if (env->dsn_ret != NULL)
		set_text(qf->dsn_ret, sizeof(qf->dsn_ret), env->dsn_ret);
	if (env->dsn_envid != NULL && strlen(env->dsn_envid) < QFILE_ENVID)
		set_text(qf->dsn_envid, sizeof(qf->dsn_envid),
		    env->dsn_envid);
	qf->body = env->body;
	qf->queued = (long long)time(NULL);
	qf->attempts = reason != NULL ? 1 : 0;
	qf->next_retry = qf->queued + queue_backoff(qf->attempts);
	set_text(qf->last_error, sizeof(qf->last_error), reason);
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
		rc = make_notice(a, &qf, &msg->hdrs, mark, 0, nid, e);
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
 * Scanning.
 */

static int
qlist_push(struct qlist *l, const struct qent *q)
{
	struct qent *v;

	if (l->n == l->cap) {
		v = reallocarray(l->v, l->cap == 0 ? 64 : l->cap * 2,
		    sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
	}
	l->v[l->n++] = *q;
	return 0;
}

static int
qent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct qent *)a)->id,
	    ((const struct qent *)b)->id);
}

/* Read the header of one queue file without locking it (a file is
 * never changed in place, so what we read is one whole version). */
static int
peek(const char *dir, const char *id, struct qfile *qf, struct err *e)
{
	char path[BOUNDS_PATH];
	int fd, rc;

	if (qfile_path(path, sizeof(path), dir, "msg", id, e) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_set(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR,
		    "queue: %s: %s", path, strerror(errno));
	rc = qfile_parse(fd, qf, e);
	close(fd);
	return rc;
}

/* Every message in dir, sorted by id (= oldest first). A missing
 * directory is an empty queue. */
static int
scan_dir(const char *dir, struct qlist *l, struct err *e)
{
	char path[BOUNDS_PATH];
	struct dirent *de;
	struct qfile qf;
	struct qent q;
	size_t first = l->n;
	DIR *d;

	if (qfile_path(path, sizeof(path), dir, "msg", NULL, e) == -1)
		return -1;
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, EX_IOERR, "queue: cannot read %s: %s", path,
		    strerror(errno));
	}
	qfile_init(&qf);
	while ((de = readdir(d)) != NULL) {
		if (!qfile_valid_id(de->d_name))
			continue;
		memset(&q, 0, sizeof(q));
		memcpy(q.id, de->d_name, QFILE_IDLEN);
		q.dir = dir;
		if (peek(dir, q.id, &qf, e) == 0) {
			set_text(q.account, sizeof(q.account), qf.account);
			q.next_retry = qf.next_retry;
			q.size = qf.msg_size;
		} else if (e->code != EX_NOINPUT)
			log_msg(LOG_ERR, "%s", e->msg);
		else
			continue;	/* delivered meanwhile */
		if (qlist_push(l, &q) == -1) {
			closedir(d);
			qfile_free(&qf);
			return err_set(e, EX_OSERR, "queue: out of memory");
		}
	}
	closedir(d);
	qfile_free(&qf);
	err_clear(e);
	if (l->n > first)
		qsort(l->v + first, l->n - first, sizeof(*l->v), qent_cmp);
	return 0;
}

/* Each distinct queue directory of the configuration, once. */
static int
first_with_dir(const struct conf *c, int i)
{
	int j;

	if (c->accounts[i].queue_dir == NULL)
		return 0;
	for (j = 0; j < i; j++)
		if (c->accounts[j].queue_dir != NULL &&
		    strcmp(c->accounts[j].queue_dir,
		    c->accounts[i].queue_dir) == 0)
			return 0;
	return 1;
}

static int
scan_all(const struct conf *c, struct qlist *l, int clean, struct err *e)
{
	int i;

	for (i = 0; i < c->naccounts; i++) {
		if (!first_with_dir(c, i))
			continue;
		if (clean)
			qfile_clean_tmp(c->accounts[i].queue_dir, time(NULL),
			    QUEUE_TMP_MAX_AGE);
		if (scan_dir(c->accounts[i].queue_dir, l, e) == -1)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------
 * Delivery of one message.
 */

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
		err_set(&e, EX_OSERR, "queue: out of memory");
		queue_apply(qf, NULL, 0, -1, &e, NULL, STAGE_NONE);
		return 0;
	}
	envelope_init(&env);
	set_text(env.sender, sizeof(env.sender), qf->sender);
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
	queue_apply(qf, rr, env.nrcpt, rc, &e, &r->s->last, r->s->stage);
	log_try(r, qf, m, &env, rc == 0 ? r->s->last.text : e.msg,
	    rc == 0 ? 0 : e.code);
	/* env.rcpt points into qf: not freed here. */
	free(rr);
	return 0;
}

static void
trace_line(const struct qrun *r, const char *id, const char *what,
    const char *why)
{
	if (r->trace != NULL)
		fprintf(r->trace, "queue: %s: %s%s%s\n", id, what,
		    why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
}

/* Queue the notice for newly failed recipients; a notice just made is
 * delivered in this same pass. */
static int
notify(struct qrun *r, const struct qfile *qf, const struct msg *m,
    const char *mark, int expired, struct err *e)
{
	char nid[QFILE_IDLEN];
	struct qent q;

	if (make_notice(r->a, qf, &m->hdrs, mark, expired, nid, e) == -1)
		return -1;
	if (nid[0] != '\0' && r->list != NULL) {
		memset(&q, 0, sizeof(q));
		memcpy(q.id, nid, QFILE_IDLEN);
		set_text(q.account, sizeof(q.account), r->a->name);
		q.dir = r->a->queue_dir;
		q.next_retry = r->now;
		(void)qlist_push(r->list, &q);
	}
	return 0;
}

/* After an attempt: notices, then remove, expire or reschedule. */
static int
finish(struct qrun *r, int *fd, struct qfile *qf, const struct msg *m,
    const char *was_pending, struct err *e)
{
	char mark[BOUNDS_RCPTS];
	size_t j;

	for (j = 0; j < qf->nrcpt; j++)
		mark[j] = was_pending[j] && qf->rcpt[j].state == QR_FAILED;
	if (notify(r, qf, m, mark, 0, e) == -1)
		return -1;
	if (qfile_count(qf, QR_PENDING) == 0) {
		trace_line(r, qf->id, "done", NULL);
		log_msg(LOG_INFO, "queue: id=%s done (%zu sent, %zu failed)",
		    qf->id, qfile_count(qf, QR_SENT), qfile_count(qf,
		    QR_FAILED));
		return qfile_remove(r->a->queue_dir, qf->id, *fd, e) == -1 ?
		    -1 : (*fd = -1, 0);
	}
	qf->attempts++;
	if (r->now - qf->queued >= r->a->queue_lifetime) {
		for (j = 0; j < qf->nrcpt; j++) {
			mark[j] = qf->rcpt[j].state == QR_PENDING;
			if (mark[j])
				qf->rcpt[j].state = QR_FAILED;
		}
		trace_line(r, qf->id, "expired", qf->last_error);
		log_msg(LOG_NOTICE, "queue: id=%s expired after %lld s: %s",
		    qf->id, r->now - qf->queued, qf->last_error);
		if (notify(r, qf, m, mark, 1, e) == -1)
			return -1;
		return qfile_remove(r->a->queue_dir, qf->id, *fd, e) == -1 ?
		    -1 : (*fd = -1, 0);
	}
	qf->next_retry = r->now + queue_backoff(qf->attempts);
	trace_line(r, qf->id, "deferred", qf->last_error);
	log_msg(LOG_INFO, "queue: id=%s deferred, attempt %d, next in %ld s: "
	    "%s", qf->id, qf->attempts, queue_backoff(qf->attempts),
	    qf->last_error);
	return qfile_replace(r->a->queue_dir, fd, qf, qf->msg_offset, e);
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

static void
deliver_entry(struct qrun *r, const struct qent *q)
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
	if (finish(r, &fd, &qf, &m, was, &e) == -1)
		goto out;
	err_clear(&e);
out:
	if (e.code != 0) {
		trace_line(r, q->id, "error", e.msg);
		log_msg(LOG_ERR, "queue: id=%s: %s", q->id, e.msg);
	}
	if (fd != -1)
		close(fd);
	msg_free(&m);
	qfile_free(&qf);
}

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
		deliver_entry(r, &l->v[i]);
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

	if (scan_all(c, &l, 1, e) == -1) {
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
	if (scan_dir(a->queue_dir, &l, e) == -1) {
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

	if (a->queue_dir == NULL || scan_dir(a->queue_dir, &l, &e) == -1) {
		free(l.v);
		return 0;
	}
	due = has_work(&l, a, 0, (long long)time(NULL));
	free(l.v);
	return due;
}

/* ------------------------------------------------------------------
 * mailq and deletion.
 */

static void
fmt_age(long long secs, char *out, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, len, "%llds", secs);
	else if (secs < 2 * 3600)
		snprintf(out, len, "%lldm", secs / 60);
	else if (secs < 2 * 86400)
		snprintf(out, len, "%lldh", secs / 3600);
	else
		snprintf(out, len, "%lldd", secs / 86400);
}

static void
list_one(FILE *out, const struct qent *q, long long now)
{
	char age[32], next[32];
	struct qfile qf;
	struct err e;
	size_t j;

	qfile_init(&qf);
	if (peek(q->dir, q->id, &qf, &e) == -1) {
		if (e.code != EX_NOINPUT)
			fprintf(out, "%s  (unreadable: %s)\n", q->id, e.msg);
		return;
	}
	fmt_age(now - qf.queued, age, sizeof(age));
	if (qf.next_retry <= now)
		snprintf(next, sizeof(next), "now");
	else {
		next[0] = '+';
		fmt_age(qf.next_retry - now, next + 1, sizeof(next) - 1);
	}
	fprintf(out, "%-16s %10lld %5s  <%s>%s\n", qf.id,
	    (long long)qf.msg_size, age, qf.sender,
	    qf.notice ? "  (failure notice)" : "");
	fprintf(out, "    account %s, %d attempt%s, next retry %s\n",
	    qf.account, qf.attempts, qf.attempts == 1 ? "" : "s", next);
	if (qf.last_error[0] != '\0')
		fprintf(out, "    last error: %s\n", qf.last_error);
	for (j = 0; j < qf.nrcpt; j++)
		fprintf(out, "    %-7s <%s>%s%s\n",
		    qfile_state_name(qf.rcpt[j].state), qf.rcpt[j].addr,
		    qf.rcpt[j].reply[0] ? "  " : "", qf.rcpt[j].reply);
	qfile_free(&qf);
}

int
queue_list(struct conf *c, FILE *out, struct err *e)
{
	struct qlist l = { NULL, 0, 0 };
	long long now = (long long)time(NULL), total = 0;
	size_t i;

	if (scan_all(c, &l, 0, e) == -1) {
		free(l.v);
		return -1;
	}
	if (l.n == 0) {
		fprintf(out, "Mail queue is empty\n");
		free(l.v);
		return 0;
	}
	fprintf(out, "%-16s %10s %5s  %s\n", "Queue ID", "Size", "Age",
	    "Sender / Recipients");
	for (i = 0; i < l.n; i++) {
		list_one(out, &l.v[i], now);
		total += (long long)l.v[i].size;
	}
	fprintf(out, "-- %zu message%s, %lld bytes\n", l.n,
	    l.n == 1 ? "" : "s", total);
	free(l.v);
	return 0;
}

static int
delete_in(const char *dir, const char *id, struct err *e)
{
	char path[BOUNDS_PATH];
	int fd, rc;

	if ((rc = qfile_lock(dir, id, &fd, e)) == -1)
		return -1;
	if (rc == 1) {
		if (qfile_path(path, sizeof(path), dir, "msg", id, e) == -1)
			return -1;
		if (access(path, F_OK) == 0)
			return err_set(e, EX_TEMPFAIL, "queue: %s is being "
			    "delivered now; try again", id);
		return 1;
	}
	if (qfile_remove(dir, id, fd, e) == -1)
		return -1;
	log_msg(LOG_NOTICE, "queue: id=%s deleted by uid %ld", id,
	    (long)getuid());
	return 0;
}

int
queue_delete(struct conf *c, const char *id, struct err *e)
{
	int i, rc;

	if (!qfile_valid_id(id))
		return err_set(e, EX_NOINPUT, "queue: no message %s (an id is "
		    "16 hex digits, see mailq)", id);
	for (i = 0; i < c->naccounts; i++) {
		if (!first_with_dir(c, i))
			continue;
		rc = delete_in(c->accounts[i].queue_dir, id, e);
		if (rc != 1)
			return rc;
	}
	return err_set(e, EX_NOINPUT, "queue: no message %s", id);
}
