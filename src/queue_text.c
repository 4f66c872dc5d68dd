/*
 * queue_text.c - the queue's diagnostic text (relaymail(8), Queue): a
 * relay's reply or an error copied into a fixed field of a queue file
 * (shortened if need be, never parsed back), and the "queue: ID: what:
 * why" lines of the -v trace. Below every other queue_*.c file.
 */
#include <stdio.h>

#include "queue_int.h"

void
queue_set_text(char *dst, size_t cap, const char *src)
{
	/* Diagnostic text only: shortened if need be, never parsed. */
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

void
queue_trace(const struct qrun *r, const char *id, const char *what,
    const char *why)
{
	if (r->trace != NULL)
		fprintf(r->trace, "queue: %s: %s%s%s\n", id, what,
		    why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
}
