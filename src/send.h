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
};

void	 send_init(struct send_ctx *, const struct cli *);
/* Run the mode in cli (send, --dry-run, --probe); 0 with exit_code set,
 * or -1 with err. */
int	 send_run(struct send_ctx *, struct err *);
void	 send_free(struct send_ctx *);

#endif
