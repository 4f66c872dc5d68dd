/*
 * queue_list.c - looking at the queue from the command line (relaymail(8),
 * Queue): -bp / mailq lists every message with its recipients and their last
 * replies, --queue-delete removes one message by id. Neither delivers
 * anything; deletion takes the message's lock like a queue run (concurrency
 * rules: top of queue.c), so a message being delivered right now is never
 * removed under its owner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue_int.h"

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
	if (queue_scan_peek(q->dir, q->id, &qf, &e) == -1) {
		if (e.code != EX_NOINPUT)
			fprintf(out, "%s  (unreadable: %s)\n", q->id, e.msg);
		qfile_free(&qf);	/* recipients read before the fault */
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

	if (queue_scan_all(c, &l, 0, e) == -1) {
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

/*
 * May the caller delete the locked message fd of dir? Root may, and so
 * may the uid that queued it. In a private queue (no access for group
 * or others) whoever reaches the file owns the queue; a shared one (the
 * system queue, 2770 root:relaymail) holds other users' mail, which
 * they alone may remove, as with Postfix's postsuper being root's.
 */
static int
may_delete(const char *dir, const char *id, int fd, struct err *e)
{
	struct qfile qf;
	struct stat st;
	uid_t me = getuid();
	long long owner;

	if (me == 0 || (stat(dir, &st) == 0 && (st.st_mode & 077) == 0 &&
	    st.st_uid == me))
		return 0;
	qfile_init(&qf);
	owner = qfile_parse(fd, &qf, e) == 0 ? qf.uid : -1;
	qfile_free(&qf);
	err_clear(e);
	if (owner == (long long)me)
		return 0;
	if (owner < 0)
		return err_set(e, EX_NOPERM, "queue: %s does not say who "
		    "queued it; only root may delete it", id);
	return err_set(e, EX_NOPERM, "queue: %s was queued by uid %lld; only "
	    "that user or root may delete it", id, owner);
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
	if (may_delete(dir, id, fd, e) == -1) {
		log_msg(LOG_NOTICE, "queue: id=%s: uid %ld may not delete it",
		    id, (long)getuid());
		close(fd);
		return -1;
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
		if (!queue_scan_first_dir(c, i))
			continue;
		rc = delete_in(c->accounts[i].queue_dir, id, e);
		if (rc != 1)
			return rc;
	}
	return err_set(e, EX_NOINPUT, "queue: no message %s", id);
}
