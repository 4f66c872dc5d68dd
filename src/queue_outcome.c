/*
 * queue_outcome.c - what one delivery attempt leaves in the queue file
 * (DESIGN §5): each recipient sent, failed or still pending, the retry
 * schedule (RFC 5321 §4.5.4.1), the notice for those that failed (RFC
 * 5321 §6.1: a message accepted for relaying and then refused is
 * reported to its sender), and then removal, expiry after
 * queue_lifetime, or a new version of the file.
 */
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "queue_int.h"

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
	if (e->code == EX_UNAVAILABLE && stage == STAGE_MAIL)
		return 1;	/* e.g. SMTPUTF8 needed and not offered */
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
			queue_set_text(q->reply, sizeof(q->reply),
			    x->reply.text);
		} else if (x->state == RCPT_PERM || perm) {
			q->state = QR_FAILED;
			queue_set_text(q->reply, sizeof(q->reply),
			    x->state == RCPT_PERM ? x->reply.text :
			    last != NULL && last->code >= 500 ? last->text :
			    etext);
			nfailed++;
		} else
			queue_set_text(q->reply, sizeof(q->reply),
			    x->state == RCPT_TEMP ? x->reply.text : etext);
	}
	if (rc == -1)
		queue_set_text(qf->last_error, sizeof(qf->last_error),
		    etext);
	else
		for (j = 0; j < qf->nrcpt; j++)
			if (qf->rcpt[j].state == QR_PENDING) {
				queue_set_text(qf->last_error,
				    sizeof(qf->last_error), qf->rcpt[j].reply);
				break;
			}
	return nfailed;
}

/* Queue the notice for newly failed recipients; a notice just made is
 * delivered in this same pass. */
static int
notify(struct qrun *r, const struct qfile *qf, const struct msg *m,
    const char *mark, int expired, struct err *e)
{
	char nid[QFILE_IDLEN];
	struct qent q;

	if (queue_notice_make(r->a, qf, &m->hdrs, mark, expired, nid,
	    e) == -1)
		return -1;
	if (nid[0] != '\0' && r->list != NULL) {
		memset(&q, 0, sizeof(q));
		memcpy(q.id, nid, QFILE_IDLEN);
		queue_set_text(q.account, sizeof(q.account), r->a->name);
		q.dir = r->a->queue_dir;
		q.next_retry = r->now;
		(void)queue_scan_push(r->list, &q);
	}
	return 0;
}

int
queue_outcome_finish(struct qrun *r, int *fd, struct qfile *qf,
    const struct msg *m, const char *was_pending, struct err *e)
{
	char mark[BOUNDS_RCPTS];
	size_t j;

	for (j = 0; j < qf->nrcpt; j++)
		mark[j] = was_pending[j] && qf->rcpt[j].state == QR_FAILED;
	if (notify(r, qf, m, mark, 0, e) == -1)
		return -1;
	if (qfile_count(qf, QR_PENDING) == 0) {
		queue_trace(r, qf->id, "done", NULL);
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
		queue_trace(r, qf->id, "expired", qf->last_error);
		log_msg(LOG_NOTICE, "queue: id=%s expired after %lld s: %s",
		    qf->id, r->now - qf->queued, qf->last_error);
		if (notify(r, qf, m, mark, 1, e) == -1)
			return -1;
		return qfile_remove(r->a->queue_dir, qf->id, *fd, e) == -1 ?
		    -1 : (*fd = -1, 0);
	}
	qf->next_retry = r->now + queue_backoff(qf->attempts);
	queue_trace(r, qf->id, "deferred", qf->last_error);
	log_msg(LOG_INFO, "queue: id=%s deferred, attempt %d, next in %ld s: "
	    "%s", qf->id, qf->attempts, queue_backoff(qf->attempts),
	    qf->last_error);
	return qfile_replace(r->a->queue_dir, fd, qf, qf->msg_offset, e);
}
