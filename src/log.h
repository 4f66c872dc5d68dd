/*
 * log.h - the one log line per delivery attempt (relaymail(8)) and the -v
 * protocol transcript (relaymail(8): secrets never appear in either).
 */
#ifndef RELAYMAIL_LOG_H
#define RELAYMAIL_LOG_H

#include <stdio.h>
#include <sys/types.h>
#include "conf.h"

struct log_attempt {
	const char	*account;
	const char	*relay;		/* host [addr]:port that answered */
	const char	*tls;		/* "TLS1.3" or "none" */
	int		 tls_resumed;	/* the TLS session was resumed */
	const char	*auth;		/* mechanism or "none" */
	off_t		 size;
	const char	*sender;
	const char	*rcpts;		/* comma-separated */
	const char	*reply;		/* relay's final reply, or error */
	const char	*queue_id;	/* or NULL */
	int		 exit_code;
};

/*
 * Open per the account's `log` (syslog facility mail, file:PATH, none).
 * For LOGTO_SYSLOG, path is the fallback file used when nothing listens
 * on /dev/log (stderr when it cannot be opened either).
 */
void	 log_open(enum log_kind, const char *path);
/* 1 when something listens on /dev/log. */
int	 log_syslog_reachable(void);
/* Where log_open(kind, path) would send the lines, for --check-config;
 * the text is in buf (or a constant). */
const char *log_describe(enum log_kind, const char *path, char *buf,
	    size_t len);
void	 log_attempt(const struct log_attempt *);
/* Free-form line (queue events, warnings) to the same destination. */
void	 log_msg(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_close(void);

/*
 * Transcript: dir is '<' (from the relay) or '>' (to the relay). len
 * excludes CRLF. With redact set the payload after the command word is
 * replaced by "<redacted>" (AUTH lines and SASL responses).
 */
void	 log_trace(FILE *trace, char dir, const char *line, size_t len,
	    int redact);

#endif
