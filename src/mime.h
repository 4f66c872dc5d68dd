/*
 * mime.h - making a message sendable without changing what its
 * recipient sees (RFC 5322 §2.1.1, §2.2.3; RFC 2045 §6.7; RFC 2046
 * §5.1; RFC 6152; RFC 6531 §3.4).
 *
 * Two kinds of message cannot go out as stored: one with a line over
 * 998 octets (RFC 5322 §2.1.1: any relay), and one with 8-bit octets
 * when the relay does not offer 8BITMIME (RFC 6152). They are fixed
 * like this:
 *  - a header field with a line over 998 octets is folded at white
 *    space (RFC 5322 §2.2.3); the field unfolds to the same value;
 *  - a body (a single-part message, or each leaf part of a multipart
 *    that needs it) is re-encoded as quoted-printable (qp.h), its
 *    Content-Transfer-Encoding replaced, MIME-Version added to the
 *    message when missing. Its charset is kept; 8-bit text with no
 *    charset is labelled charset=utf-8 when it is valid UTF-8, else
 *    charset=unknown-8bit (RFC 1428);
 *  - boundaries, preambles, epilogues and every other part are left
 *    byte for byte as they are.
 * What cannot be fixed that way is refused with EX_DATAERR and a
 * message naming the line of the message and the reason: a header line
 * with no white space to fold at, a line inside a message/... part or
 * inside multipart/signed or multipart/encrypted (re-encoding would
 * change the enclosed message or break the signature), a part already
 * declared base64 or quoted-printable (or an unknown encoding), a
 * preamble or epilogue, 8-bit header text for a relay that offers
 * neither 8BITMIME nor SMTPUTF8, MIME structure deeper than
 * BOUNDS_MIME_DEPTH, more than BOUNDS_MIME_FIXES parts to fix, a part
 * header section over BOUNDS_HEADER or a boundary over
 * BOUNDS_MIME_BOUNDARY when a part inside must change.
 *
 * A message that is 7-bit with short lines is never scanned and leaves
 * byte for byte as stored (msg_emit, no rewrite set).
 *
 * Use: mime_check() once the header section is final, before anything
 * is sent or queued (it fails for what no relay could take); then, for
 * each relay, mime_prepare() after EHLO, which sets the message's
 * rewrite (msg.h) for that relay or clears it. The scan streams over
 * the body spool: memory is bounded by the caps, not by the message.
 * Memory: the scan is owned by the struct msg (freed by msg_free).
 * Errors: EX_DATAERR as above, EX_OSERR, and the spool's read errors.
 */
#ifndef RELAYMAIL_MIME_H
#define RELAYMAIL_MIME_H

#include <stdio.h>
#include "msg.h"

/* Scan m (when it needs it) and fail when it cannot be made sendable
 * to any relay. Calling it again does nothing. */
int	 mime_check(struct msg *, struct err *);

/*
 * Choose the rewriting of m for a relay: with eightbitmime 0, 8-bit
 * parts are re-encoded too; smtputf8 says whether 8-bit header text may
 * pass. Sets m->rewrite (or NULL when m goes out as stored) and
 * m->rewrite_size, and says what changes on trace (-v; NULL: quiet).
 * Runs mime_check when it has not run.
 */
int	 mime_prepare(struct msg *, int eightbitmime, int smtputf8,
	    FILE *trace, struct err *);

/* 1 when any header field of m holds an octet over 127. */
int	 mime_headers_8bit(const struct msg *);

#endif
