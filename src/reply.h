/*
 * reply.h - strict SMTP reply parsing (RFC 5321 §4.2, §4.5.3.1.5;
 * RFC 3463 / RFC 2034 enhanced status codes).
 *
 * reply_feed() is a pure line-level parser: feed it the lines of one
 * reply (CRLF removed) and it says when the reply is complete. It has no
 * I/O so it can be unit tested and fuzzed. reply_read() reads one whole
 * (possibly multi-line) reply from a conn under ONE absolute deadline, so
 * a reply dripped a byte at a time still times out.
 *
 * Errors: EX_PROTOCOL for a malformed line (code digits, separator),
 * inconsistent codes across lines, a line over BOUNDS_REPLY_LINE or more
 * than BOUNDS_REPLY_LINES lines; reply_read passes on conn errors
 * (EX_TEMPFAIL on timeout or disconnect).
 */
#ifndef RELAYMAIL_REPLY_H
#define RELAYMAIL_REPLY_H

#include <stddef.h>
#include "bounds.h"
#include "conn.h"
#include "err.h"

struct reply {
	int	 code;			/* 3-digit code, 0 until the 1st line */
	char	 enh[16];		/* "5.1.1" or "" (RFC 3463) */
	int	 nlines;
	int	 done;			/* last line seen */
	/* text of each line after "NNN-"/"NNN " (raw, NUL-terminated) */
	char	 text[BOUNDS_REPLY_LINES][BOUNDS_REPLY_LINE];
	char	 last[BOUNDS_REPLY_LINE];	/* last line as received */
};

void	 reply_init(struct reply *);
/*
 * Feed one line (without CRLF). Returns 1 when this line completed the
 * reply, 0 when more lines are expected, -1 (EX_PROTOCOL) on a bad line.
 */
int	 reply_feed(struct reply *, const char *line, size_t len,
	    struct err *);
/*
 * Parse the enhanced status code at the start of text into enh[16]:
 * "class.subject.detail" (class 2, 4 or 5; 1-3 digits each; followed by
 * a space or the end). Returns 1 when found and class matches the
 * reply's first digit (first), else 0 and enh = "".
 */
int	 reply_enhanced(const char *text, int first, char *enh);
/*
 * Read one complete reply; every line goes to the transcript (trace may
 * be NULL); with redact set, 334 lines (SASL challenges) are redacted.
 */
int	 reply_read(struct conn *, struct reply *, long long deadline_ms,
	    int redact, struct err *);
/*
 * Fail (EX_PROTOCOL) when the peer sent bytes we did not ask for yet
 * (RFC 3207 §4 after STARTTLS's 220; RFC 5321 §4.3.1 before EHLO).
 * what names the moment for the message.
 */
int	 reply_check_empty(const struct conn *, const char *what,
	    struct err *);
/*
 * The whole reply on one line for messages, logs and queue files:
 * "NNN text of line 1 text of line 2 ..." (RFC 5321 §4.2.1: the text
 * of every line counts; Gmail's 535 explains on its first lines), an
 * enhanced code repeated at the start of each line said once. Raw:
 * quote it with reply_quote before showing it. A reply longer than cap
 * ends in "...". A reply built by hand (nlines 0) gives its last.
 */
void	 reply_join(const struct reply *, char *out, size_t cap);
/* Copy s into out[cap] replacing control octets and non-ASCII with '?',
 * shortened with "..." when needed: for quoting peer data in errors. */
void	 reply_quote(const char *s, size_t len, char *out, size_t cap);

#endif
