/*
 * hdr.h - header parsing helpers and the rewriting of relaymail(8)
 * (RFC 5322 §3.6).
 */
#ifndef RELAYMAIL_HDR_H
#define RELAYMAIL_HDR_H

#include <time.h>
#include "msg.h"

/* Index of the first field named name (case-insensitive) at or after
 * start, or -1. */
int	 hdr_find(const struct hdrs *, const char *name, size_t start);
/* Unfolded value (folding CRLFs removed, leading/trailing blanks trimmed)
 * of field i, in a new string the caller frees; NULL on no memory. */
char	*hdr_unfold(const struct hdrs *, size_t i);
/* Remove every field named name; returns how many. */
size_t	 hdr_remove(struct hdrs *, const char *name);
/* Insert a field at position at (0..n) as read: raw is the value after
 * the colon, leading space and folding kept. EX_DATAERR past
 * BOUNDS_HEADER_COUNT, EX_OSERR. (Added for msg.c's header parsing.) */
int	 hdr_insert(struct hdrs *, size_t at, const char *name,
	    const char *raw, struct err *);
/* Append a field (value without leading space; one is added). */
int	 hdr_add(struct hdrs *, const char *name, const char *value,
	    struct err *);
/* Insert a field at the top (for Date/Message-ID/From we append; Received
 * is not ours to add). */
int	 hdr_prepend(struct hdrs *, const char *name, const char *value,
	    struct err *);

struct hdr_opts {
	const char	*sender;	/* envelope sender, "" for null */
	const char	*fullname;	/* -F, or NULL: GECOS of the user */
	const char	*user;		/* login name for the From we add */
	const char	*maildomain;	/* qualifies bare names; NULL: none */
	const char	*msgid_domain;	/* right side of Message-ID */
	const char	*force_from;	/* non-NULL: force_from=yes and this is
					 * the account's `from` */
	time_t		 now;
};

/*
 * The rewriting of relaymail(8): remove Bcc, Resent-Bcc and
 * Return-Path; qualify bare local names in From, To, Cc, Reply-To, Sender
 * (and their Resent- forms) with maildomain, keeping display names and
 * comments; with force_from, From becomes force_from (the old From goes
 * to Reply-To when there is none); add Date (RFC 5322 §3.3), Message-ID
 * (§3.6.4) and From (fullname <sender>) when missing.
 */
int	 hdr_prepare(struct msg *, const struct hdr_opts *, struct err *);

#endif
