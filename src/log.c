/*
 * log.c - one log line per delivery attempt (DESIGN §5), free-form queue
 * events, and the -v protocol transcript.
 *
 * The destination is process-wide by nature (syslog(3) is), so it is the
 * one piece of module state: set once by log_open() from main. The file
 * destination is opened O_APPEND and each line written with one write(2)
 * so concurrent relaymail processes never interleave within a line.
 * Nothing here ever receives a secret: AUTH payloads are redacted by the
 * caller flagging the line (log_trace redact=1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_kind	 log_kind = LOGTO_NONE;
static int		 log_fd = -1;

void
log_open(enum log_kind kind, const char *path)
{
	log_close();
	log_kind = kind;
	if (kind == LOGTO_SYSLOG)
		openlog("relaymail", LOG_PID, LOG_MAIL);
	else if (kind == LOGTO_FILE && path != NULL) {
		log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
		if (log_fd == -1)
			fprintf(stderr, "relaymail: warning: cannot open log "
			    "%s: %s\n", path, strerror(errno));
	}
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
