/*
 * mime_int.h - private to mime.c, mime_ct.c and mime_emit.c: what the
 * structure scan records about a message (contract in mime.h).
 *
 * The scan keeps one record (struct mime_ent) per entity that holds
 * something a relay may not take as is (a line over 998 octets, 8-bit
 * octets, a part header line over 998 octets); entities without any of
 * these are not recorded and are copied as they are. Offsets are into
 * the body spool; hdr_off is -1 for the message's own header section.
 * Line numbers count the lines of the body, from 1 (the header section
 * is named by field instead: relaymail may have added fields to it).
 */
#ifndef RELAYMAIL_MIME_INT_H
#define RELAYMAIL_MIME_INT_H

#include <sys/types.h>
#include "mime.h"

enum mime_kind {
	MK_LEAF,		/* a part that can be re-encoded */
	MK_MESSAGE,		/* message/...: its content must not change */
	MK_PREAMBLE,
	MK_EPILOGUE,
	MK_OPAQUE		/* structure we do not follow (why_opaque) */
};

enum mime_cte {
	CTE_NONE,		/* no Content-Transfer-Encoding (7bit) */
	CTE_IDENTITY,		/* 7bit, 8bit, binary */
	CTE_QP, CTE_BASE64, CTE_OTHER
};

struct mime_ent {
	off_t		 hdr_off, body_off, end_off;
	enum mime_kind	 kind;
	enum mime_cte	 cte;
	const char	*why_opaque;
	int		 has_ct, is_text, has_charset, is_multi;
	int		 in_signed;	/* inside multipart/signed|encrypted */
	int		 longl, eightbit, utf8_bad;
	size_t		 long_line, long_len, eight_line;
	int		 hdr_long, hdr_8bit, hdr_unfoldable;
	size_t		 hdr_long_line, hdr_8bit_line;
	/* chosen for the current relay */
	int		 act_qp, act_hdr;
	const char	*add_charset;	/* NULL, "utf-8", "unknown-8bit" */
};

struct mime_scan {
	struct mime_ent	*v;
	size_t		 n, cap;
	int		 too_many;	/* more than BOUNDS_MIME_FIXES */
	size_t		 delim_long_line; /* a delimiter line over 998 */
	int		 failed;	/* mime_check refused the message */
	struct err	 fail;
	/* the message's own header section */
	int		 top_long, top_unfoldable, top_8bit;
	char		 top_8bit_name[64], top_long_name[64];
	struct mime_ent	*top;		/* the single-part body, or NULL */
};

/* A parsed Content-Type (RFC 2045 §5.1), names lower-cased. */
struct mime_ct {
	char		 type[64], subtype[64];
	char		 boundary[BOUNDS_MIME_BOUNDARY + 1];
	int		 has_boundary, boundary_bad, has_charset;
};

/* mime_ct.c */
int	 mime_ct_parse(const char *value, size_t len, struct mime_ct *);
enum mime_cte mime_cte_parse(const char *value, size_t len);
/* Fold one physical line p[0..n) (no CRLF) at white space into lines
 * of at most BOUNDS_LINE octets, writing them with CRLFs between them
 * (not after the last) to fn; fn NULL only checks. -1 with e EX_DATAERR
 * when there is no white space to fold at. */
int	 mime_fold_line(const char *p, size_t n, msg_write_fn fn, void *ctx,
	    struct err *);
/* "Name:value" of a field as it is written (folding kept, no final
 * CRLF), in a new string; NULL on no memory. */
char	*mime_field_text(const struct hdr *);
/* A field's unfolded value (CRLFs removed) into a new string. */
char	*mime_unfold(const char *p, size_t n);

/* The span of the value (after the colon, continuation lines in it)
 * of the first field called name in the part header section h[0..n),
 * or NULL. */
const char *mime_part_field(const char *h, size_t n, const char *name,
	    size_t *vlen);
/* 1 when the field's name or value holds an octet over 127. */
int	 mime_field_8bit(const struct hdr *);

/* UTF-8 well-formedness, fed one octet at a time (zeroed to start);
 * -1 at the octet where the text stops being UTF-8. need > 0 at the
 * end means a sequence was cut short. */
struct mime_utf8 {
	int		 need;
	unsigned char	 lo, hi;
};
int	 mime_utf8_feed(struct mime_utf8 *, unsigned char);

/* mime.c: the scan (fills s; s->v grows as needed). */
int	 mime_scan_run(struct msg *, struct mime_scan *, struct err *);

/* mime_emit.c: the rewriting set as m->rewrite (mime_decide.c). */
int	 mime_rewrite(struct msg *, msg_write_fn, void *ctx, struct err *);

#endif
