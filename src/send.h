/*
 * send.h - one run of the mailer for the message on stdin: choose the
 * account, read and prepare the message, then deliver it (or, with
 * --dry-run / --probe, only show what would happen). Used by main.c.
 */
#ifndef RELAYMAIL_SEND_H
#define RELAYMAIL_SEND_H

#include "bounds.h"
#include "cli.h"
#include "conf.h"
#include "envelope.h"
#include "err.h"
#include "msg.h"
#include "qfile.h"
#include "relay.h"

/*
 * One transaction of an SMTP session on stdin (-bs, smtpd.c): what the
 * client gave (in), and what became of it (out), for the reply.
 */
struct send_txn {
	/* in: from MAIL, RCPT and DATA (the message is in send_ctx.msg) */
	const char	*sender;	/* as given; "" is the null sender */
	char * const	*rcpt;
	size_t		 nrcpt;
	int		 extract;	/* -t (the stdin path only) */
	const char	*dsn_notify, *dsn_ret, *dsn_envid;
	int		 body;		/* 0, 7 or 8 */
	/* out: set by send_txn_run */
	int		 relayed;	/* the relay took it (>= 1 recipient) */
	char		 peer[BOUNDS_DOMAIN + 64];
	struct relay_reply reply;	/* the relay's answer to the end of
					 * data, or the refusal that failed */
	enum stage	 stage;		/* where it failed */
	char		 qid[QFILE_IDLEN]; /* relaymail's queue id, or "" */
	char		 why_queued[BOUNDS_ERRMSG];
	struct relay_rcpt *rr;		/* per recipient (env order), owned */
	size_t		 nrr;
	long long	 relay_size;	/* the relay's SIZE, 0 when unknown */
};

struct send_ctx {
	const struct cli	*cli;
	struct conf		 conf;
	struct account		 url_acct;	/* from --relay */
	int			 have_url;
	struct account		*acct;
	char			 why[256];	/* why this account */
	char			 maildomain[BOUNDS_DOMAIN + 1];
	char			 fqdn[BOUNDS_DOMAIN + 1];
	char			 user[BOUNDS_LOCAL + 1];
	char			 gecos[BOUNDS_LINE];
	struct msg		 msg;
	struct envelope		 env;
	int			 exit_code;	/* when send_run returns 0 */
	FILE			*trace;		/* stderr with -v */
	struct send_txn		*txn;		/* -bs: the transaction */
};

void	 send_init(struct send_ctx *, const struct cli *);
/* Run the mode in cli (send, --dry-run, --probe); 0 with exit_code set,
 * or -1 with err. */
int	 send_run(struct send_ctx *, struct err *);
void	 send_free(struct send_ctx *);

/*
 * The SMTP session of -bs (smtpd.c) uses the same path per transaction:
 * send_session() once (the account -a or the default names, when there
 * is one, for the log and the idle timeout; the setgid group is kept
 * only while the system config's secrets and queue may still be
 * needed); send_txn_account() at MAIL (-a, --relay, else the sender
 * chooses, exactly as -f does); then, with the body read into s->msg,
 * send_txn_run(): envelope, headers, delivery, queue, log line and
 * notices as for a message on stdin. It returns 0 when the relay took
 * the message or it is durably queued, else -1 with err; t's out
 * fields say which. send_txn_reset() empties msg, envelope and t's
 * owned memory for the next transaction.
 */
int	 send_session(struct send_ctx *, struct err *);
int	 send_txn_account(struct send_ctx *, const char *sender,
	    struct err *);
int	 send_txn_run(struct send_ctx *, struct send_txn *, struct err *);
void	 send_txn_reset(struct send_ctx *, struct send_txn *);

#endif
