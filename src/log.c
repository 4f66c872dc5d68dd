/*
 * log.c - one log line per delivery attempt (relaymail(8)), free-form queue
 * events, and the -v protocol transcript.
 *
 * The destination is process-wide by nature (syslog(3) is), so it is the
 * one piece of module state: set once by log_open() from main. The file
 * destination is opened O_APPEND and each line written with one write(2)
 * so concurrent relaymail processes never interleave within a line.
 * Nothing here ever receives a secret: AUTH payloads are redacted by the
 * caller flagging the line (log_trace redact=1).
 *
 * syslog(3) drops lines silently when nothing listens on /dev/log (a
 * container, a chroot, a host without a syslog daemon or journald), so
 * log_open() first connects to it itself. When that fails the lines go,
 * in the file format, to the fallback file the caller names (the
 * account's <queue_dir>/log), or to stderr when that cannot be opened:
 * never nowhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#ifndef LOG_SYSLOG_PATH
#define LOG_SYSLOG_PATH	"/dev/log"	/* glibc's _PATH_LOG */
#endif

static enum log_kind	 log_kind = LOGTO_NONE;
static int		 log_fd = -1;

/* Connect as syslog(3) would, datagram then stream, never blocking. */
int
log_syslog_reachable(void)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un sun;
	size_t i;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, LOG_SYSLOG_PATH, sizeof(LOG_SYSLOG_PATH));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
		if (fd == -1)
			continue;
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		if (rc == -1 && (errno == EINPROGRESS || errno == EAGAIN))
			rc = 0;
		close(fd);
		if (rc == 0)
			return 1;
	}
	return 0;
}

static int
open_append(const char *path, mode_t mode)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY | O_NOFOLLOW, mode);
}

/* The fallback file is shared by every sender and the queue run: 0660
 * whatever the creator's umask (the group is the queue directory's). */
static void
share_fallback(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 07777) != 0660)
		(void)fchmod(fd, 0660);
}

void
log_open(enum log_kind kind, const char *path)
{
	log_close();
	log_kind = kind;
	if (kind == LOGTO_SYSLOG && log_syslog_reachable())
		openlog("relaymail", LOG_PID, LOG_MAIL);
	else if (kind == LOGTO_SYSLOG) {
		/* Beside the queue: 0660, the directory decides who reads
		 * it (2770 root:relaymail, or a user's 0700). */
		log_kind = LOGTO_FILE;
		if (path == NULL || (log_fd = open_append(path, 0660)) == -1)
			log_fd = dup(STDERR_FILENO);
		else
			share_fallback(log_fd);
	} else if (kind == LOGTO_FILE && path != NULL) {
		log_fd = open_append(path, 0600);
		if (log_fd == -1)
			fprintf(stderr, "relaymail: warning: cannot open log "
			    "%s: %s\n", path, strerror(errno));
	}
}

const char *
log_describe(enum log_kind kind, const char *path, char *buf, size_t len)
{
	const char *slash;
	struct stat st;
	int dir;

	if (kind == LOGTO_NONE)
		return "nowhere (log = none)";
	if (kind == LOGTO_FILE)
		snprintf(buf, len, "the file %s", path != NULL ? path : "-");
	else if (log_syslog_reachable())
		snprintf(buf, len, "syslog, facility mail (%s)",
		    LOG_SYSLOG_PATH);
	else {
		/* The fallback file needs its directory (the queue's). */
		slash = path != NULL ? strrchr(path, '/') : NULL;
		dir = 0;
		if (slash != NULL && slash != path &&
		    (size_t)(slash - path) < len) {
			snprintf(buf, len, "%.*s", (int)(slash - path), path);
			dir = stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
		}
		if (dir)
			snprintf(buf, len, "the file %s (syslog unreachable: "
			    "nothing listens on %s)", path, LOG_SYSLOG_PATH);
		else
			snprintf(buf, len, "stderr (syslog unreachable: nothing "
			    "listens on %s; %s once the queue directory "
			    "exists)", LOG_SYSLOG_PATH,
			    path != NULL ? path : "-");
	}
	return buf;
}

void
log_close(void)
{
	if (log_kind == LOGTO_SYSLOG)
		closelog();
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	log_kind = LOGTO_NONE;
}

static void
log_vline(int prio, const char *fmt, va_list ap)
{
	char line[2 * BOUNDS_ERRMSG], stamp[64];
	struct tm tm;
	time_t now;
	int n, m;

	if (log_kind == LOGTO_SYSLOG) {
		vsyslog(prio, fmt, ap);
		return;
	}
	if (log_kind != LOGTO_FILE || log_fd == -1)
		return;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
	n = snprintf(line, sizeof(line), "%s relaymail[%ld]: ", stamp,
	    (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		return;
	/* A line too long for the buffer is cut, and says so. */
	if ((size_t)(n + m) >= sizeof(line) - 1) {
		n = sizeof(line) - 5;
		memcpy(line + n, "...", 3);
		n += 3;
	} else
		n += m;
	line[n++] = '\n';
	(void)!write(log_fd, line, n);
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(prio, fmt, ap);
	va_end(ap);
}

static const char *
nz(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

void
log_attempt(const struct log_attempt *a)
{
	log_msg(a->exit_code == 0 ? LOG_INFO : LOG_ERR,
	    "account=%s relay=%s tls=%s%s auth=%s size=%lld from=<%s> "
	    "to=%s reply=\"%s\"%s%s exit=%d",
	    nz(a->account), nz(a->relay), nz(a->tls),
	    a->tls_resumed ? ",resumed" : "", nz(a->auth),
	    (long long)a->size, a->sender != NULL ? a->sender : "",
	    nz(a->rcpts), nz(a->reply),
	    a->queue_id != NULL ? " queue_id=" : "",
	    a->queue_id != NULL ? a->queue_id : "", a->exit_code);
}

void
log_trace(FILE *trace, char dir, const char *line, size_t len, int redact)
{
	size_t keep = len;
	const char *sp;

	if (trace == NULL)
		return;
	if (redact) {
		/* Keep the command word(s) ("AUTH PLAIN"), hide the rest. */
		sp = memchr(line, ' ', len);
		if (sp != NULL && len >= 5 && strncasecmp(line, "AUTH", 4) == 0) {
			const char *sp2 = memchr(sp + 1, ' ',
			    len - (size_t)(sp + 1 - line));
			keep = sp2 != NULL ? (size_t)(sp2 - line) : len;
		} else
			keep = 0;
		fprintf(trace, "%c %.*s%s<redacted>\n", dir, (int)keep, line,
		    keep > 0 ? " " : "");
		return;
	}
	fprintf(trace, "%c %.*s\n", dir, (int)keep, line);
}
