/*
 * cli.h - the sendmail command line (relaymail(8)): a table of accepted,
 * ignored and rejected flags, and the argv[0] personalities (mailq,
 * newaliases).
 *
 * cli_parse() never reads stdin nor the config; it only classifies the
 * arguments. Strings point into argv (no ownership). Errors: EX_USAGE
 * with a message naming the flag.
 */
#ifndef RELAYMAIL_CLI_H
#define RELAYMAIL_CLI_H

#include "bounds.h"
#include "err.h"

enum cli_mode {
	CLI_SEND = 0,		/* -bm, the default */
	CLI_QUEUE_LIST,		/* -bp, mailq */
	CLI_QUEUE_RUN,		/* -q[anything] */
	CLI_QUEUE_DELETE,	/* --queue-delete ID */
	CLI_NOOP,		/* -bi, -I, newaliases */
	CLI_HELP,
	CLI_VERSION,
	CLI_DRY_RUN,
	CLI_PROBE,
	CLI_CHECK_CONFIG,
	CLI_SMTP,		/* -bs: SMTP on stdin/stdout (smtpd.c) */
	CLI_AUTHORIZE		/* --authorize[=NAME]: OAuth2 consent */
};

#define CLI_MAX_IGNORED	32

struct cli {
	enum cli_mode	 mode;
	int		 extract;	/* -t */
	int		 ignore_dots;	/* -i, -oi */
	const char	*sender;	/* -f/-r as given ("" or "<>" null) */
	const char	*fullname;	/* -F */
	const char	*config;	/* -C */
	const char	*account;	/* -a, --account, --probe=NAME,
					 * --authorize=NAME */
	int		 verbose;	/* -v */
	char		 dsn_notify[64]; /* -N, normalised "SUCCESS,FAILURE" */
	const char	*dsn_ret;	/* -R: "FULL" or "HDRS" */
	const char	*dsn_envid;	/* -V */
	int		 body;		/* -B: 0, 7, 8 */
	const char	*relay_url;	/* --relay */
	int		 force;		/* -q --force: ignore retry times */
	const char	*queue_id;	/* --queue-delete */
	char		**rcpt;		/* recipient arguments */
	int		 nrcpt;
	const char	*ignored[CLI_MAX_IGNORED]; /* for the -v note */
	int		 nignored;
};

/*
 * Parse argv. Options and recipients may be interleaved (as GNU getopt
 * permutes); "--" ends options. rcpt receives a caller-provided array of
 * argc pointers.
 */
int	 cli_parse(struct cli *, int argc, char **argv, char **rcpt,
	    struct err *);
/* The usage line, for --help and EX_USAGE messages. */
const char *cli_usage(void);
/* The full --help text. */
const char *cli_help(void);

#endif
