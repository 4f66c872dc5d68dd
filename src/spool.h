/*
 * spool.h - a byte store for a message body (relaymail(8)): the first
 * BOUNDS_SPOOL_MEM bytes in memory, the rest in an unlinked temporary
 * file ($TMPDIR or /tmp), so memory stays bounded whatever the size.
 *
 * Written once from the start, then read (and re-read after
 * spool_rewind) from the start. Memory and the file are owned by the
 * struct spool and released by spool_free().
 * Errors: EX_DATAERR past BOUNDS_MESSAGE, EX_CANTCREAT when the
 * temporary file cannot be made, EX_IOERR writing or reading it,
 * EX_OSERR for memory.
 */
#ifndef RELAYMAIL_SPOOL_H
#define RELAYMAIL_SPOOL_H

#include <stddef.h>
#include <sys/types.h>
#include "err.h"

struct spool {
	char		*mem;		/* first part, up to BOUNDS_SPOOL_MEM */
	size_t		 memlen, memcap;
	int		 fd;		/* -1 until the temp file is needed */
	off_t		 len;		/* total bytes */
	off_t		 pos;		/* read position */
};

void	 spool_init(struct spool *);
int	 spool_write(struct spool *, const void *, size_t, struct err *);
int	 spool_rewind(struct spool *, struct err *);
/* Returns bytes read (0 at end) or -1. */
ssize_t	 spool_read(struct spool *, void *, size_t, struct err *);
void	 spool_free(struct spool *);

#endif
