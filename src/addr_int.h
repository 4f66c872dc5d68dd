/*
 * addr_int.h - what addr.c (address lists, checks, qualification) and
 * addr_scan.c (the RFC 5322 address-list scanner) share. Private to the
 * addr module; addr.h is its contract.
 */
#ifndef RELAYMAIL_ADDR_INT_H
#define RELAYMAIL_ADDR_INT_H

#include <stddef.h>

#include "addr.h"

/* What the scanner reports for each mailbox: its addr-spec without
 * comments and folding, and ins, the offset in the value just after the
 * mailbox's last token (where "@domain" goes for a bare local name). */
typedef int (*addr_scan_fn)(void *ctx, const char *spec, size_t ins,
    struct err *);

/* Scan the address-list v, calling fn for each mailbox in order; the
 * first -1 (from fn or a syntax error, EX_DATAERR) stops the scan. */
int	 addr_scan_list(const char *v, addr_scan_fn fn, void *ctx,
	    struct err *);

#endif
