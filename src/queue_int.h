/*
 * queue_int.h - what the files of the queue module share (private; the
 * public contract is queue.h, the on-disk format is documented in
 * qfile.h).
 *
 *	queue.c		commit; queue runs and draining
 *	queue_list.c	mailq and --queue-delete
 *	queue_deliver.c	one delivery attempt of one queued message
 *	queue_outcome.c	what an attempt leaves: recipient states, retry
 *			schedule, expiry, removal
 *	queue_notice.c	queueing the failure notice for failed recipients
 *	queue_scan.c	finding the messages in the queue directories
 *	queue_text.c	diagnostic text into fields, the -v trace
 *
 * queue.c and queue_list.c are the entries (queue.h); a file calls
 * only files listed below it.
 */
#ifndef RELAYMAIL_QUEUE_INT_H
#define RELAYMAIL_QUEUE_INT_H

#include <stdio.h>
#include <sys/types.h>

#include "queue.h"

/* One queued message as found by a scan (its header only). */
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

/* queue_text.c: diagnostic text into a fixed field (shortened if need be,
 * never parsed); a "queue: ID: what: why" line on the -v trace. */
void	 queue_set_text(char *dst, size_t cap, const char *src);
void	 queue_trace(const struct qrun *, const char *id, const char *what,
	    const char *why);

/* queue_scan.c */
int	 queue_scan_push(struct qlist *, const struct qent *);
/* Read the header of D/msg/ID without locking it (EX_NOINPUT: gone). */
int	 queue_scan_peek(const char *dir, const char *id, struct qfile *,
	    struct err *);
/* Append every message of dir, sorted by id; a missing dir is empty. */
int	 queue_scan_dir(const char *dir, struct qlist *, struct err *);
/* 1 when account i has a queue_dir no earlier account has. */
int	 queue_scan_first_dir(const struct conf *, int i);
/* Every distinct queue_dir of c; clean: remove stale temp files too. */
int	 queue_scan_all(const struct conf *, struct qlist *, int clean,
	    struct err *);

/* queue_deliver.c: lock, load, attempt and settle one message. */
void	 queue_deliver_entry(struct qrun *, const struct qent *);

/* queue_outcome.c: after an attempt on the locked file *fd: notices,
 * then remove, expire or reschedule. was_pending[j]: recipient j was
 * pending before the attempt. */
int	 queue_outcome_finish(struct qrun *, int *fd, struct qfile *,
	    const struct msg *, const char *was_pending, struct err *);

/*
 * queue_notice.c: queue a notice for the recipients of orig in state
 * QR_FAILED whose mark[] is set. nid gets the notice's id ("" when none
 * is due or it is not wanted).
 */
int	 queue_notice_make(const struct account *, const struct qfile *orig,
	    const struct hdrs *, const char *mark, int expired, char *nid,
	    struct err *);

#endif
