/*
 * queue_scan.c - finding the queued messages: every message file of a
 * queue directory's msg/, read without a lock, sorted oldest first, and
 * each distinct queue directory of the configuration once
 * (relaymail.conf(5) `queue_dir`; the format is in qfile.h, the
 * concurrency rules at the top of queue.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue_int.h"

int
queue_scan_push(struct qlist *l, const struct qent *q)
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
int
queue_scan_peek(const char *dir, const char *id, struct qfile *qf,
    struct err *e)
{
	int fd, rc;

	if ((fd = qfile_open(dir, id, e)) == -1)
		return -1;
	rc = qfile_parse(fd, qf, e);
	close(fd);
	return rc;
}

/* Every message in dir, sorted by id (= oldest first). A missing
 * directory is an empty queue. */
int
queue_scan_dir(const char *dir, struct qlist *l, struct err *e)
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
		if (queue_scan_peek(dir, q.id, &qf, e) == 0) {
			queue_set_text(q.account, sizeof(q.account),
			    qf.account);
			q.next_retry = qf.next_retry;
			q.size = qf.msg_size;
		} else if (e->code != EX_NOINPUT)
			log_msg(LOG_ERR, "%s", e->msg);
		else
			continue;	/* delivered meanwhile */
		if (queue_scan_push(l, &q) == -1) {
			closedir(d);
			qfile_free(&qf);
			return err_nomem(e);
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
int
queue_scan_first_dir(const struct conf *c, int i)
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

int
queue_scan_all(const struct conf *c, struct qlist *l, int clean,
    struct err *e)
{
	int i;

	for (i = 0; i < c->naccounts; i++) {
		if (!queue_scan_first_dir(c, i))
			continue;
		if (clean)
			qfile_clean_tmp(c->accounts[i].queue_dir, time(NULL),
			    QUEUE_TMP_MAX_AGE);
		if (queue_scan_dir(c->accounts[i].queue_dir, l, e) == -1)
			return -1;
	}
	return 0;
}
