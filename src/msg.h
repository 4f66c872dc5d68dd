/*
 * msg.h - the message: a spool for the body and the parsed header section
 * (DESIGN §4).
 *
 * msg_read() reads the caller's message to EOF (or to a lone "." line when
 * MSG_DOT_ENDS), and stores it in canonical form:
 *  - every line ending is CRLF (LF, CRLF in the input); a bare CR becomes a
 *    space, so nothing sent can form an ambiguous end of data;
 *  - NUL bytes are removed (counted in nul_removed);
 *  - a leading mbox "From " line is dropped;
 *  - the header section is parsed into hdrs (names and raw values, folding
 *    kept); the body (after the empty line) goes to a spool that keeps up
 *    to BOUNDS_SPOOL_MEM in memory and continues in an unlinked temporary
 *    file ($TMPDIR or /tmp) beyond, so memory stays bounded;
 *  - NOT dot-stuffed: that is done by msg_emit(MSG_EMIT_DOTSTUFF).
 * Memory: everything is owned by the struct msg, freed by msg_free().
 * Errors: EX_IOERR/EX_NOINPUT reading, EX_CANTCREAT for the temp file,
 * EX_DATAERR for a header section over the bounds.h caps or a message
 * over BOUNDS_MESSAGE, EX_OSERR for memory.
 */
#ifndef RELAYMAIL_MSG_H
#define RELAYMAIL_MSG_H

#include <stddef.h>
#include <sys/types.h>
#include "err.h"
#include "spool.h"	/* the body spool, also used by the queue */

struct hdr {
	char	*name;		/* field name as written, no colon */
	char	*value;		/* raw value after the colon (leading space
				 * kept), folding CRLFs kept, no final CRLF */
};

struct hdrs {
	struct hdr	*v;
	size_t		 n, cap;
};

struct msg;
typedef int (*msg_write_fn)(void *ctx, const void *buf, size_t len,
    struct err *);
/* A rewriting of the whole message for one relay (set by mime.c):
 * writes headers, empty line and body to fn. */
typedef int (*msg_rewrite_fn)(struct msg *, msg_write_fn fn, void *ctx,
    struct err *);

struct msg {
	struct hdrs	 hdrs;
	struct spool	 body;		/* canonical CRLF body */
	int		 has_body_sep;	/* input had the empty separator line */
	int		 eightbit;	/* any octet > 127 in headers or body */
	size_t		 longest_line;	/* longest line, octets without CRLF */
	size_t		 nul_removed;
	int		 bare_cr;	/* bare CRs were replaced */
	/* What mime.c learnt (owned, freed by mime_free) and the rewriting
	 * it chose for the current relay (NULL: sent as stored). */
	void		*mime;
	void		(*mime_free)(void *);
	msg_rewrite_fn	 rewrite;
	off_t		 rewrite_size;	/* octets the rewriting writes */
};

#define MSG_DOT_ENDS	0x01	/* a line holding only "." ends input */
#define MSG_RAW		0x02	/* input is already canonical (queue):
				 * no From_ dropping, no lone-dot rule */

void	 msg_init(struct msg *);
int	 msg_read(struct msg *, int fd, int flags, struct err *);
void	 msg_free(struct msg *);

/* Total size in octets of the message as msg_emit writes it without
 * MSG_EMIT_STORED (the rewritten size when a rewriting is set). */
off_t	 msg_size(const struct msg *);

/*
 * Write the message (headers, empty line, body) through write_fn in large
 * blocks (BOUNDS_IO_BLOCK and up, never line by line). With
 * MSG_EMIT_DOTSTUFF lines starting with "." get a second "." (RFC 5321
 * §4.5.2), correct across block boundaries; the terminating ".\r\n" is NOT
 * written (the caller adds it, with QUIT when pipelining). The body spool
 * is rewound first, so msg_emit may be called more than once.
 * When m->rewrite is set (mime.h: the message as one relay must get
 * it), that is what is written, unless MSG_EMIT_STORED asks for the
 * message as stored (the queue keeps the original, so a queued message
 * is rewritten for the relay that finally takes it).
 * write_fn returns 0 or -1 (filling err).
 */
#define MSG_EMIT_DOTSTUFF	0x01
#define MSG_EMIT_STORED		0x02
int	 msg_emit(struct msg *, int flags, msg_write_fn write_fn, void *ctx,
	    struct err *);

#endif
