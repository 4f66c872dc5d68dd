/*
 * err.h - error classes and the exit-code table (relaymail(8)).
 *
 * Every function that can fail returns 0 or -1 and fills a caller-provided
 * struct err: the sysexits(3) code the failure maps to and a message that
 * says what failed, at which stage, and the relay's reply. Only main exits.
 */
#ifndef RELAYMAIL_ERR_H
#define RELAYMAIL_ERR_H

#include <sysexits.h>
#include "bounds.h"

struct err {
	int	code;			/* EX_* from sysexits.h; 0 = none */
	char	msg[BOUNDS_ERRMSG];
};

/* SMTP stages, in order, for messages and for the reply->exit mapping. */
enum stage {
	STAGE_NONE = 0,
	STAGE_CONNECT,
	STAGE_GREETING,
	STAGE_EHLO,
	STAGE_STARTTLS,
	STAGE_TLS,
	STAGE_AUTH,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,
	STAGE_EOD,		/* end of data ("." or BDAT LAST) */
	STAGE_RSET,
	STAGE_QUIT
};

/* Clear an error. */
void	 err_clear(struct err *);
/* Set code and printf-formatted message; always returns -1. */
/* EX_OSERR "out of memory": the one message for every failed allocation. */
int	 err_nomem(struct err *);
int	 err_set(struct err *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prefix the existing message with more context; returns -1. */
int	 err_prefix(struct err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Short lower-case name of a stage ("greeting", "RCPT TO", ...). */
const char *err_stage_name(enum stage);
/*
 * The exit code a reply maps to: code is the 3-digit reply code, enh the
 * RFC 3463 enhanced status ("5.1.1") or NULL/"" when there was none.
 * 2xx/3xx return EX_OK.
 */
int	 err_from_reply(enum stage, int code, const char *enh);
/* The symbolic name of an exit code ("EX_TEMPFAIL"), for messages. */
const char *err_code_name(int code);
/* Severity order used to pick "the worst failure" among several. */
int	 err_worse(int a, int b);

#endif
