/*
 * queue_notice.c - queueing the failure notice for the recipients of a
 * message that failed permanently or expired (RFC 3464 notices composed
 * by notice.c; RFC 5321 §4.5.5 and RFC 3464 §2: never a notice about a
 * notice or to the null sender). A notice is an ordinary queued message
 * of kind "notice" with the null sender, due at once.
 */
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "notice.h"
#include "queue_int.h"

struct notice_emit {
	const struct notice_info *ni;
};

static int
emit_notice(void *ctx, msg_write_fn fn, void *wctx, struct err *e)
{
	struct notice_emit *ne = ctx;

	return notice_write(ne->ni, fn, wctx, e);
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
		queue_set_text(host, hostlen, a->domain);
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


int
queue_notice_make(const struct account *a, const struct qfile *orig,
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
	queue_set_text(nq.account, sizeof(nq.account), a->name);
	nq.notice = 1;
	nq.uid = orig->uid;	/* the sender of the message may delete it */
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
