/*
 * smtp.h - one function per SMTP command (RFC 5321 §4.1) on a relay
 * session, plus EHLO capability parsing (RFC 5321 §4.1.1.1 and the
 * extension RFCs).
 *
 * Writers (smtp_mail, smtp_rcpt, smtp_data, ...) only append the command
 * to the conn's write buffer and the transcript: the caller decides when
 * to flush, so pipelined commands leave in one write (RFC 2920). Readers
 * read one reply under a deadline of `timeout` from now (capped by the
 * session's overall deadline while it is being opened) and record it in
 * s->last.
 *
 * Errors say what failed, at which relay and its reply; the exit code
 * comes from err_from_reply() (4xx EX_TEMPFAIL, 5xx by stage), garbage
 * is EX_PROTOCOL, a disconnect or timeout EX_TEMPFAIL.
 */
#ifndef RELAYMAIL_SMTP_H
#define RELAYMAIL_SMTP_H

#include "envelope.h"
#include "err.h"
#include "msg.h"
#include "relay.h"
#include "reply.h"

/* Append one line (CRLF added) to the write buffer and the transcript;
 * redact hides the payload in the transcript (AUTH). No flush. */
int	 smtp_write_line(struct relay_session *, const char *line,
	    size_t len, int redact, struct err *);
/* printf-style smtp_write_line (never for secrets). */
int	 smtp_writef(struct relay_session *, struct err *, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/* Read one reply into r (and s->last). */
int	 smtp_read(struct relay_session *, struct reply *, int redact,
	    struct err *);
/* Read one reply and require reply class want (2 or 3); otherwise fill
 * e: "<what> refused by <peer>: <reply>" with the stage's exit code. */
int	 smtp_expect(struct relay_session *, enum stage, const char *what,
	    int want, struct reply *, struct err *);
/* Build the error for reply r to what at stage st (any code). */
int	 smtp_refused(struct relay_session *, enum stage, const char *what,
	    const struct reply *, struct err *);

/* Parse an EHLO reply into caps (lines kept for --probe). */
/* No capabilities (nlines 0; the raw lines' bytes are left alone). */
void	 smtp_caps_clear(struct relay_caps *);
int	 smtp_caps_parse(struct relay_caps *, const struct reply *,
	    struct err *);

int	 smtp_greeting(struct relay_session *, struct err *);
/* EHLO, flushed, reply read and parsed into s->caps. When the relay
 * answers 5xx and allow_helo is set, falls back to HELO. */
int	 smtp_ehlo(struct relay_session *, const char *domain, int allow_helo,
	    struct err *);
/* STARTTLS, flushed, 220 read, and the read buffer checked empty. */
int	 smtp_starttls(struct relay_session *, struct err *);

/* Writers: MAIL FROM with SIZE=/BODY=/SMTPUTF8/RET=/ENVID= as the relay
 * allows (RFC 1870, 6152, 6531, 3461); fails EX_DATAERR before anything
 * is written when the message exceeds the relay's SIZE. */
int	 smtp_mail(struct relay_session *, const struct envelope *,
	    struct msg *, struct err *);
int	 smtp_rcpt(struct relay_session *, const struct envelope *,
	    const char *addr, struct err *);
int	 smtp_data(struct relay_session *, struct err *);
/* "BDAT <size> LAST" (RFC 3030 §2); the caller writes exactly size
 * octets after it. Only the command line reaches the transcript. */
int	 smtp_bdat_last(struct relay_session *, long long size, struct err *);
int	 smtp_rset(struct relay_session *, struct err *);
int	 smtp_quit(struct relay_session *, struct err *);
/* Flush the write buffer (EX_TEMPFAIL on a drop). */
int	 smtp_flush(struct relay_session *, struct err *);

/* "MAIL FROM:<a>" / "RCPT TO:<a>" for messages. */
void	 smtp_what(char *out, size_t cap, const char *cmd, const char *addr);

#endif
