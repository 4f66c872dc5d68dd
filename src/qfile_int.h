/*
 * qfile_int.h - what the files of the qfile module share (private; the
 * public contract is qfile.h, the format is documented in qfile.h).
 *
 *	qfile.c		create, lock, replace and remove one queue file
 *	qfile_dir.c	the queue directory: creation, paths, directory
 *			fsync, cleaning tmp/; the write helpers, valid ids
 *	qfile_format.c	the header section in memory, written and parsed
 *
 * qfile.c calls the other two, qfile_format.c calls qfile_dir.c, and
 * qfile_dir.c calls neither.
 */
#ifndef RELAYMAIL_QFILE_INT_H
#define RELAYMAIL_QFILE_INT_H

#include "qfile.h"

/* qfile_dir.c: the error for a failed write of path: EX_TEMPFAIL when the
 * disk is full (the caller may retry), else EX_CANTCREAT. Returns -1. */
int	 qfile_write_err(struct err *, int errnum, const char *what,
	    const char *path);
/* qfile_dir.c: write all of buf to fd (path names it in errors). */
int	 qfile_write_all(int fd, const char *path, const void *buf,
	    size_t len, struct err *);

/* qfile_dir.c: fsync D/sub so that a new or removed name survives a
 * crash. */
int	 qfile_dir_fsync(const char *dir, const char *sub, struct err *);

#endif
