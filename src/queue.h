/*
 * queue.h - the durable queue (relaymail(8), Queue). The on-disk format
 * and the storage primitives are in qfile.h, the failure notices in
 * notice.h.
 *
 * What the caller (send.c for a send, main.c for the queue commands)
 * does:
 *  - a temporary failure (or queue = always): queue_commit(); exit 0
 *    when it returns 0, else the error's code (73 or 75, never 0);
 *  - a successful send: queue_drain_session() over the same session
 *    (send with last = !queue_has_due(acct) so the session stays open
 *    only when there is something to drain);
 *  - -q: queue_run(); -bp/mailq: queue_list(); --queue-delete: queue_delete().
 *
 * Retry schedule (queue_backoff): 5 minutes after the first failed
 * attempt, doubling after each further one, at most 4 hours:
 * 5m 10m 20m 40m 80m 160m 240m 240m ... until queue_lifetime, after which
 * a failure notice goes out and the message is removed.
 *
 * Errors: EX_CANTCREAT (queue cannot be written), EX_TEMPFAIL (disk
 * full), EX_IOERR (cannot read the queue), EX_NOINPUT (no such id),
 * EX_CONFIG (account without queue_dir), EX_NOPERM (deleting another
 * user's message).
 */
#ifndef RELAYMAIL_QUEUE_H
#define RELAYMAIL_QUEUE_H

#include <stdio.h>
#include "conf.h"
#include "envelope.h"
#include "err.h"
#include "msg.h"
#include "qfile.h"
#include "relay.h"

/* Stale temp files (a crash mid-write) are removed after this long. */
#define QUEUE_TMP_MAX_AGE	3600
#define QUEUE_BACKOFF_FIRST	300
#define QUEUE_BACKOFF_MAX	(4 * 3600)

/*
 * Commit msg for env to a->queue_dir durably. rcpt is either NULL (every
 * recipient is retried: after queue = always, or after relay_send
 * returned -1, when a recipient marked RCPT_OK did NOT get the message)
 * or, only after relay_send returned 0 with partial = 1, the outcome per
 * recipient (env->nrcpt entries): RCPT_OK ones are kept as sent (for
 * mailq), RCPT_PERM ones get a failure notice (queued now, due at once:
 * queue_drain_session delivers it), RCPT_TEMP ones are queued for retry.
 * reason is the failure that made us queue (NULL: no attempt was made,
 * queue = always: the message is due at once). id receives the queue id,
 * or "" when no recipient was left to retry (only a notice was queued).
 * Nothing becomes visible unless complete.
 */
int	 queue_commit(const struct account *a, const struct envelope *env,
	    const struct relay_rcpt *rcpt, struct msg *msg,
	    const char *reason, char *id, size_t idlen, struct err *);

/* 1 when a->queue_dir holds a message of account a due now. */
int	 queue_has_due(const struct account *a);

/*
 * -q: deliver every due message (all with force), grouped per account,
 * one session per account, RSET between messages. Messages locked by
 * another process are skipped. Returns 0 even when messages stay queued;
 * -1 only when a queue directory cannot be read.
 */
int	 queue_run(struct conf *, int force, FILE *trace, struct err *);

/*
 * After a successful send over s for account a: deliver a's due
 * messages over the same session. The session is left as it is (the
 * caller closes it). Returns 0; failures only defer messages.
 */
int	 queue_drain_session(struct relay_session *s, struct conf *,
	    const struct account *a, FILE *trace, struct err *);

/* -bp / mailq: one entry per message; "Mail queue is empty". */
int	 queue_list(struct conf *, FILE *out, struct err *);

/* --queue-delete ID: EX_NOINPUT when there is no such message,
 * EX_TEMPFAIL when it is being delivered right now, EX_NOPERM when it is
 * another user's message in a shared queue (only root and the uid that
 * queued it may delete it). Logged. */
int	 queue_delete(struct conf *, const char *id, struct err *);

/* Seconds to wait after the n-th failed attempt (n >= 1); 0 for n < 1. */
long	 queue_backoff(int attempts);

/*
 * The outcome of one attempt applied to the pending recipients of qf
 * (exposed for the unit tests). rr[k] is the k-th PENDING recipient;
 * rc/e/last are relay_send's result, its error and the session's last
 * reply and stage. Returns how many recipients became QR_FAILED.
 */
size_t	 queue_apply(struct qfile *qf, const struct relay_rcpt *rr,
	    size_t n, int rc, const struct err *e,
	    const struct relay_reply *last, enum stage stage);

#endif
