/*
 * qfile.h - one queued message on disk: the file format (below; written
 * and parsed by qfile_format.c), its atomic creation and replacement
 * (qfile.c), and the lock that makes one process at a time own it.
 *
 * ON-DISK FORMAT (version 1)
 *
 * queue_dir/msg/ID holds one message; queue_dir/tmp/ holds files being
 * written (never read by a queue run; leftovers older than an hour are
 * removed by queue runs). ID is 16 upper-case hex digits (8 of the time
 * of queueing, 8 random). A file is a header section of LF-terminated
 * "key value" lines, an empty line, then the message exactly as it will
 * be sent (RFC 5322, CRLF line endings, not dot-stuffed):
 *
 *   relaymail-queue 1                 format version, always first
 *   id 6560A1B2C3D4E5F6
 *   account work                      account that delivers it
 *   uid 1000                          who queued it: only root and this
 *                                     uid may delete it (absent in files
 *                                     of older versions: root only, in a
 *                                     shared queue)
 *   sender <alice@example.com>        <> is the null sender
 *   dsn-notify SUCCESS,FAILURE        RFC 3461 -N  (only when given)
 *   dsn-ret HDRS                      RFC 3461 -R  (only when given)
 *   dsn-envid abc123                  RFC 3461 -V  (only when given)
 *   body 8                            -B: 0 unset, 7, 8
 *   kind message                      or "notice" (never bounced)
 *   queued 1700000000                 first queued (Unix time)
 *   attempts 2                        delivery attempts so far
 *   next-retry 1700000600             not tried before this time
 *   last-error 451 4.3.0 Try later    why the last attempt failed
 *   rcpt pending <bob@example.com> 451 4.3.0 Try later
 *   rcpt sent <carol@example.com> 250 2.1.5 OK
 *   rcpt failed <dave@example.com> 550 5.1.1 No such user
 *   (empty line)
 *   message...
 *
 * "pending" recipients are retried, "sent" ones were accepted by the
 * relay, "failed" ones were refused permanently (or expired) and their
 * notice has already been queued. A file is never modified in place: a
 * new version is written to tmp/, fsync'ed, locked, renamed over the old
 * one and the directory fsync'ed (qfile.c). A message is removed once no
 * recipient is pending.
 *
 * Layout of a queue directory D:
 *   D/tmp/   files being written; never read by a queue run
 *   D/msg/   complete queue files, one per message, named by the id
 * A file appears in msg/ only by link(2) or rename(2) of a complete,
 * fsync'ed file, followed by an fsync of msg/, so a crash at any instant
 * leaves either the old complete file or the new complete file.
 *
 * Locking: flock(LOCK_EX|LOCK_NB) on the open queue file. A replacement
 * is locked BEFORE it is renamed over the old file, so the owner holds
 * the lock on whichever inode the name points to; a process that locked
 * an inode that has since been unlinked or replaced sees it (qfile_lock
 * compares the inode with the name) and treats the message as busy.
 *
 * Memory: struct qfile owns its recipient array (qfile_free).
 * Errors: EX_CANTCREAT when the queue cannot be written, EX_TEMPFAIL when
 * the disk is full, EX_IOERR reading, EX_DATAERR for a malformed file,
 * EX_OSERR for memory.
 */
#ifndef RELAYMAIL_QFILE_H
#define RELAYMAIL_QFILE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "bounds.h"
#include "err.h"
#include "msg.h"

#define QFILE_VERSION	1
/* An id is 16 upper-case hex digits: 8 of the time, 8 random. */
#define QFILE_IDLEN	17
/* Longest header line we write (a recipient line: state, <address>,
 * reply line) and the cap on the whole header section (BOUNDS_RCPTS
 * recipient lines plus the fixed lines). */
#define QFILE_LINE	(BOUNDS_ERRMSG + BOUNDS_ADDR + 64)
#define QFILE_HEADER_MAX ((size_t)(BOUNDS_RCPTS + 32) * QFILE_LINE)
/* RFC 3461 §4.4: an ENVID is at most 100 characters. */
#define QFILE_ENVID	101

enum qrcpt_state { QR_PENDING = 0, QR_SENT, QR_FAILED };

struct qrcpt {
	char		 addr[BOUNDS_ADDR + 1];
	enum qrcpt_state state;
	char		 reply[BOUNDS_REPLY_LINE];	/* last reply, or "" */
};

struct qfile {
	char		 id[QFILE_IDLEN];
	char		 account[BOUNDS_NAME];
	char		 sender[BOUNDS_ADDR + 1];	/* "" = null sender */
	char		 dsn_notify[64];		/* "" = not given */
	char		 dsn_ret[16];
	char		 dsn_envid[QFILE_ENVID];
	int		 body;				/* 0, 7 or 8 */
	int		 notice;	/* this is a failure notice */
	long long	 uid;		/* who queued it (-1: not recorded) */
	long long	 queued;	/* first queued, time(2) */
	int		 attempts;
	long long	 next_retry;
	char		 last_error[BOUNDS_ERRMSG];
	struct qrcpt	*rcpt;
	size_t		 nrcpt;
	/* Filled by qfile_parse: where the message starts, and its size. */
	off_t		 msg_offset;
	off_t		 msg_size;
};

/* Something that writes the message "as it will be sent". */
typedef int (*qfile_emit_fn)(void *ctx, msg_write_fn, void *wctx,
    struct err *);

void	 qfile_init(struct qfile *);
void	 qfile_free(struct qfile *);
/* Append a recipient (copied). EX_DATAERR when over the caps. */
int	 qfile_add_rcpt(struct qfile *, const char *addr, enum qrcpt_state,
	    const char *reply, struct err *);
/* Recipients in a state. */
size_t	 qfile_count(const struct qfile *, enum qrcpt_state);
/* 1 when id has the form of a queue id (so it is safe in a path). */
int	 qfile_valid_id(const char *id);
const char *qfile_state_name(enum qrcpt_state);

/* Write the header section (ends with the empty line) to fd. */
int	 qfile_write_header(int fd, const struct qfile *, struct err *);
/* Parse the header section of the file open on fd (read with pread,
 * offset untouched); sets msg_offset and msg_size. */
int	 qfile_parse(int fd, struct qfile *, struct err *);

/* Create D, D/msg and D/tmp when missing (modes in qfile_dir.c):
 * msg/ and tmp/ get D's owner, group and mode. EX_CANTCREAT when they
 * are missing and the caller is neither root nor D's owner (they would
 * belong to the caller, who could then remove anyone's messages). */
int	 qfile_mkdirs(const char *dir, struct err *);
/* Path of D/msg/ID or D/tmp/NAME. EX_CANTCREAT when too long. */
int	 qfile_path(char *out, size_t len, const char *dir, const char *sub,
	    const char *name, struct err *);

/*
 * Create a new queue file: fresh id (written to qf->id), temp file in
 * D/tmp, header + emit(), fsync, link into D/msg, fsync D/msg. The file
 * is visible only once complete. Returns 0 or -1 (EX_CANTCREAT,
 * EX_TEMPFAIL when the disk is full; nothing visible then).
 */
int	 qfile_create(const char *dir, struct qfile *, qfile_emit_fn,
	    void *ctx, struct err *);

/*
 * Open D/msg/ID for reading: never through a symlink, never blocking on
 * a FIFO, and only a regular file (anything else in msg/ is not ours).
 * Returns the fd, or -1 with EX_NOINPUT when it is gone, EX_IOERR else.
 */
int	 qfile_open(const char *dir, const char *id, struct err *);

/*
 * Open and lock D/msg/ID. Returns 0 with *fd locked, 1 when another
 * process holds it or it is gone/replaced (skip it), -1 on error.
 */
int	 qfile_lock(const char *dir, const char *id, int *fd, struct err *);
/*
 * Replace the locked file *fd with qf's header and the same message
 * bytes (copied from the old file at old_offset). The new file is
 * locked before the rename; *fd becomes the new one. msg_offset is
 * updated.
 */
int	 qfile_replace(const char *dir, int *fd, struct qfile *qf,
	    off_t old_offset, struct err *);
/* Remove the locked file (unlink, fsync D/msg) and close fd. */
int	 qfile_remove(const char *dir, const char *id, int fd,
	    struct err *);

/* Remove files in D/tmp older than max_age seconds (crash leftovers). */
void	 qfile_clean_tmp(const char *dir, time_t now, long max_age);

#endif
