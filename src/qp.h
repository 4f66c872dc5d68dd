/*
 * qp.h - a streaming quoted-printable encoder for text (RFC 2045 §6.7).
 *
 * The input is canonical text: lines end in CRLF. Each CRLF stays a hard
 * line break; every other octet is written as itself when it is
 * printable ASCII (33-126 except "="), or as "=XX". SPACE and TAB stay
 * literal except at the end of a line (before a CRLF or at the end of
 * the input): the blanks there are encoded, so no line ends in white
 * space (rule 3); of a run longer than QP_WSHOLD only the last
 * QP_WSHOLD are. Encoded lines hold at most 76 characters: a soft line break
 * "=" CRLF is inserted before a character that would not fit (rule 5).
 * Decoding the output gives back the input octet for octet.
 *
 * The input may come in pieces of any size (a CRLF or a blank may be
 * split across calls): the state is kept in struct qp. Output goes to
 * the callback in pieces of at most QP_OUTBUF octets. Memory: none is
 * allocated. Errors: only what the callback sets.
 */
#ifndef RELAYMAIL_QP_H
#define RELAYMAIL_QP_H

#include <stddef.h>
#include "err.h"

/* RFC 2045 §6.7 rule 5: encoded lines are at most 76 characters. */
#define QP_LINE		76
#define QP_OUTBUF	4096
/* Blanks held back until it is known whether their line ends. */
#define QP_WSHOLD	64

typedef int (*qp_write_fn)(void *ctx, const void *buf, size_t len,
    struct err *);

struct qp {
	qp_write_fn	 fn;
	void		*ctx;
	size_t		 col;		/* characters on the output line */
	char		 ws[QP_WSHOLD];	/* held SPACEs and TABs */
	size_t		 nws;
	int		 cr;		/* a CR is held (CRLF split) */
	size_t		 olen;
	char		 out[QP_OUTBUF];
};

void	 qp_init(struct qp *, qp_write_fn, void *ctx);
/* Encode n octets of p. */
int	 qp_put(struct qp *, const void *p, size_t n, struct err *);
/* End of the input: what is held goes out (a blank encoded), then the
 * buffered output. The encoder may be reused after qp_init. */
int	 qp_finish(struct qp *, struct err *);

#endif
