/*
 * smtpd_int.h - internals of the -bs session shared by smtpd.c (the
 * session) and smtpd_cmd.c (the command-line parser).
 *
 * smtpd_cmd_parse() splits a command line (CRLF already removed) into
 * its verb and argument; smtpd_cmd_path() reads the reverse- or
 * forward-path of MAIL FROM:/RCPT TO: and points at the ESMTP
 * parameters after it; smtpd_cmd_param() takes one KEYWORD[=VALUE]
 * from there. Nothing is allocated; every output is a caller's buffer
 * of the size given, and a value that does not fit is a syntax error,
 * never truncated.
 */
#ifndef RELAYMAIL_SMTPD_INT_H
#define RELAYMAIL_SMTPD_INT_H

#include <stddef.h>
#include "bounds.h"
#include "send.h"

enum smtpd_verb {
	SV_UNKNOWN = 0, SV_EMPTY, SV_HELO, SV_EHLO, SV_MAIL, SV_RCPT,
	SV_DATA, SV_RSET, SV_NOOP, SV_QUIT, SV_HELP, SV_VRFY,
	SV_NOTIMPL	/* known SMTP verbs relaymail does not offer */
};

struct smtpd_cmd {
	enum smtpd_verb	 verb;
	const char	*arg;	/* after the verb and its blanks; "" */
};

void	 smtpd_cmd_parse(char *line, struct smtpd_cmd *);

/*
 * arg is MAIL's or RCPT's argument; prefix "FROM:" or "TO:" (matched
 * case-insensitively). "<>" gives "". A source route (RFC 5321 §4.1.2,
 * "@a,@b:") is dropped. 0 on success with *params at the parameters
 * ("" when none); -1 on a syntax error.
 */
int	 smtpd_cmd_path(const char *arg, const char *prefix, char *addr,
	    size_t addrlen, const char **params);

/*
 * One parameter at *p (blanks skipped): 1 with key and val filled (val
 * "" when there is no "="), *p moved past it; 0 at the end; -1 on a
 * syntax error or a key/value longer than its buffer.
 */
int	 smtpd_cmd_param(const char **p, char *key, size_t keylen, char *val,
	    size_t vallen);

/* ----------------------------------------------- the session (smtpd.c) */

struct smtpd {
	struct send_ctx		*s;
	int			 in, out;
	int			 timeout_ms;	/* idle limit per read */
	/* input: pipelined commands and DATA (smtpd_io.c) */
	char			 ib[BOUNDS_SMTPD_IBUF];
	size_t			 ipos, ilen;
	int			 eof;		/* client closed stdin */
	int			 idle;		/* timeout_ms passed */
	/* output: replies, written when input would block */
	char			 ob[BOUNDS_SMTPD_OBUF];
	size_t			 olen;
	int			 broken;	/* stdout lost (EPIPE) */
	int			 esmtp;		/* EHLO, not HELO */
	/* the transaction */
	int			 mail;		/* MAIL accepted */
	char			 sender[BOUNDS_ADDR + 1];
	char			*rcpt[BOUNDS_RCPTS];
	size_t			 nrcpt;
	char			 notify[64];	/* NOTIFY of the first RCPT */
	int			 notify_set;
	char			 ret[8];
	char			 envid[104];
	int			 body;
	/* the session */
	int			 worst;		/* exit code so far */
	const struct account	*acct0;		/* -a or default, or NULL */
	const struct account	*lim_acct;	/* whose relay limit is */
	long long		 lim;		/* ... known (SIZE), or 0 */
	long long		 txn_lim;	/* this transaction's limit */
};

/* smtpd_io.c: reading lines and data, writing replies. */
/* A command line into line (NUL-terminated, CRLF or LF removed): 0; 1
 * when it was longer than cap (read to its end and dropped); -1 at EOF,
 * idle timeout or a read error (eof/idle set). */
int	 smtpd_getline(struct smtpd *, char *line, size_t cap);
/* Make input available (flushing replies first): 0, or -1 as above. */
int	 smtpd_fill(struct smtpd *);
/* One reply line; more: a "-" continuation (RFC 5321 §4.2.1). Enhanced
 * codes (RFC 2034) only after EHLO. Control characters in text are
 * written as blanks; text is cut to fit 512 octets. */
void	 smtpd_reply(struct smtpd *, int code, int more, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Write what is buffered (with the idle deadline); sets broken. */
int	 smtpd_flush(struct smtpd *);

/* smtpd_data.c: DATA to the end-of-data reply. */
void	 smtpd_data(struct smtpd *);
/* Empty the transaction (RSET, EHLO, after the end of data). */
void	 smtpd_txn_clear(struct smtpd *);

#endif
