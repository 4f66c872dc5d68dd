/*
 * secret.c - the buffer type for passwords and OAuth tokens (relaymail(8)).
 *
 * A secret lives in its own heap allocation so it can be wiped and freed
 * as a unit. Wiping uses gnutls_memset(), which the compiler may not
 * optimise away the way it may a plain memset() before free(). Values with
 * NUL, CR or LF are refused: they would truncate the value or inject an
 * extra line into an SMTP AUTH exchange (RFC 4954 §4).
 *
 * Secrets also come from password_file and password_command:
 * only the first line counts, every buffer is bounded and wiped, and a
 * command runs under a deadline (poll) with its stderr kept for the
 * error message and its stdout never shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <gnutls/gnutls.h>

#include "bounds.h"
#include "err.h"
#include "secret.h"

void
secret_bzero(void *p, size_t len)
{
	if (p != NULL && len > 0)
		gnutls_memset(p, 0, len);
}

void
secret_wipe(struct secret *s)
{
	if (s == NULL)
		return;
	if (s->buf != NULL) {
		secret_bzero(s->buf, s->len + 1);
		free(s->buf);
	}
	s->buf = NULL;
	s->len = 0;
}

int
secret_set(struct secret *s, const char *src, size_t len, struct err *e)
{
	char	*p;

	if (len > BOUNDS_SECRET)
		return err_set(e, EX_CONFIG, "secret longer than %d bytes",
		    BOUNDS_SECRET);
	if (memchr(src, '\0', len) != NULL || memchr(src, '\r', len) != NULL ||
	    memchr(src, '\n', len) != NULL)
		return err_set(e, EX_CONFIG,
		    "secret contains a NUL, CR or LF character");
	if ((p = malloc(len + 1)) == NULL)
		return err_set(e, EX_OSERR, "out of memory for a secret");
	memcpy(p, src, len);
	p[len] = '\0';
	secret_wipe(s);
	s->buf = p;
	s->len = len;
	return 0;
}

/* Output buffer: the longest secret, its CR LF, and one more byte that
 * tells a too-long first line from one that just fits. */
#define OUTCAP	(BOUNDS_SECRET + 3)
/* What we keep of a failing command's stderr for the message. */
#define ERRCAP	160

static int
first_line(struct secret *s, const char *buf, size_t len, struct err *e)
{
	const char	*nl = memchr(buf, '\n', len);
	size_t		 n = nl != NULL ? (size_t)(nl - buf) : len;

	if (nl == NULL && len == OUTCAP)
		return err_set(e, EX_CONFIG, "first line longer than %d bytes",
		    BOUNDS_SECRET);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0)
		return err_set(e, EX_CONFIG, "empty first line");
	return secret_set(s, buf, n, e);
}

int
secret_read_fd(struct secret *s, int fd, struct err *e)
{
	char	 buf[OUTCAP];
	size_t	 len = 0;
	ssize_t	 n;
	int	 rc;

	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			secret_bzero(buf, len);
			return err_set(e, EX_CONFIG, "read: %s",
			    strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n) != NULL)
			break;	/* only the first line is wanted */
	}
	rc = first_line(s, buf, len, e);
	secret_bzero(buf, sizeof(buf));
	return rc;
}

struct cmdio {
	int	 fd[2];		/* stdout, stderr; -1 at EOF */
	char	 out[OUTCAP];
	size_t	 outlen;
	char	 err[ERRCAP + 1];
	size_t	 errlen;
};

static long
ms_left(const struct timespec *deadline)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Read one chunk from io->fd[i]; what does not fit is read and dropped
 * so that the command never blocks on a full pipe. */
static void
drain(struct cmdio *io, int i)
{
	char	 scratch[4096], *dst = scratch;
	size_t	 room = sizeof(scratch);
	ssize_t	 n;

	if (i == 0 && io->outlen < sizeof(io->out)) {
		dst = io->out + io->outlen;
		room = sizeof(io->out) - io->outlen;
	} else if (i == 1 && io->errlen < ERRCAP) {
		dst = io->err + io->errlen;
		room = ERRCAP - io->errlen;
	}
	n = read(io->fd[i], dst, room);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(io->fd[i]);
		io->fd[i] = -1;
	} else if (dst != scratch)
		*(i == 0 ? &io->outlen : &io->errlen) += (size_t)n;
	secret_bzero(scratch, sizeof(scratch));
}

/* Read both pipes to EOF; -1 when the deadline passes first. */
static int
collect(struct cmdio *io, const struct timespec *deadline)
{
	struct pollfd	 pfd[2];
	long		 left;
	int		 i, n;

	while (io->fd[0] != -1 || io->fd[1] != -1) {
		if ((left = ms_left(deadline)) <= 0)
			return -1;
		for (i = 0; i < 2; i++) {
			pfd[i].fd = io->fd[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		n = poll(pfd, 2, (int)left);
		if (n == -1 && errno != EINTR)
			return -1;
		for (i = 0; n > 0 && i < 2; i++)
			if (pfd[i].revents != 0)
				drain(io, i);
	}
	return 0;
}

/* waitpid under the deadline; on timeout the command's process group
 * is killed. Returns the wait status, or -1 on timeout. */
static int
reap(pid_t pid, const struct timespec *deadline, int timed_out)
{
	int	 st;
	pid_t	 r;

	while (!timed_out) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r == -1 && errno != EINTR)
			return 0x7f00;	/* as exit 127 */
		if (ms_left(deadline) <= 0)
			break;
		poll(NULL, 0, 10);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return -1;
}

static void
child(const char *cmd, int devnull, int out, int errfd)
{
	gid_t	 g;

	/* Own process group: on timeout the whole pipeline is killed. */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(devnull, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(errfd, 2) == -1)
		_exit(127);
	close_range(3, ~0U, 0);
	/* Never the setgid group, whatever /bin/sh does with it: a command
	 * could hand what the group protects to anyone. */
	g = getgid();
	if (setresgid(g, g, g) == -1)
		_exit(127);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* The first line of the command's stderr, made printable. */
static void
summarise(struct cmdio *io, char *sum, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < io->errlen && io->err[i] != '\n' && n + 4 < len; i++)
		sum[n++] = io->err[i] >= ' ' && io->err[i] < 0x7f ?
		    io->err[i] : io->err[i] == '\r' ? ' ' : '?';
	while (n > 0 && sum[n - 1] == ' ')
		n--;
	sum[n] = '\0';
	if (i < io->errlen && io->err[i] != '\n')
		memcpy(sum + n, "...", 4);
	else if (n == 0)
		snprintf(sum, len, "no error output");
}

static int
spawn(const char *cmd, struct cmdio *io, pid_t *pid, struct err *e)
{
	int	 o[2], r[2], devnull;

	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return err_set(e, EX_OSERR, "/dev/null: %s", strerror(errno));
	if (pipe2(o, O_CLOEXEC) == -1) {
		close(devnull);
		return err_set(e, EX_OSERR, "pipe: %s", strerror(errno));
	}
	if (pipe2(r, O_CLOEXEC) == -1) {
		close(devnull), close(o[0]), close(o[1]);
		return err_set(e, EX_OSERR, "pipe: %s", strerror(errno));
	}
	if ((*pid = fork()) == 0)
		child(cmd, devnull, o[1], r[1]);
	close(devnull), close(o[1]), close(r[1]);
	io->fd[0] = o[0];
	io->fd[1] = r[0];
	if (*pid == -1) {
		close(o[0]), close(r[0]);
		return err_set(e, EX_OSERR, "fork: %s", strerror(errno));
	}
	return 0;
}

static int
cmd_result(struct secret *s, struct cmdio *io, int st, int timeout,
    struct err *e)
{
	char	 sum[ERRCAP + 4];
	int	 rc;

	summarise(io, sum, sizeof(sum));
	if (st == -1)
		return err_set(e, EX_CONFIG, "password_command timed out "
		    "after %d s: %s", timeout, sum);
	if (WIFSIGNALED(st))
		return err_set(e, EX_CONFIG, "password_command failed "
		    "(signal %d): %s", WTERMSIG(st), sum);
	if (WEXITSTATUS(st) != 0)
		return err_set(e, EX_CONFIG, "password_command failed "
		    "(exit %d): %s", WEXITSTATUS(st), sum);
	if ((rc = first_line(s, io->out, io->outlen, e)) == -1) {
		/* e holds only our own words, never the output. */
		if (e->code == EX_CONFIG)
			err_set(e, EX_CONFIG, "password_command failed "
			    "(exit 0): %s; stderr: %s", io->outlen == 0 ?
			    "no output" : "unusable output", sum);
	}
	return rc;
}

int
secret_from_command(struct secret *s, const char *cmd, int timeout,
    struct err *e)
{
	struct cmdio	 io;
	struct timespec	 deadline;
	pid_t		 pid;
	int		 st, late, rc;

	memset(&io, 0, sizeof(io));
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout > 0 ? timeout : 60;
	if (spawn(cmd, &io, &pid, e) == -1)
		return -1;
	late = collect(&io, &deadline) == -1;
	st = reap(pid, &deadline, late);
	if (io.fd[0] != -1)
		close(io.fd[0]);
	if (io.fd[1] != -1)
		close(io.fd[1]);
	rc = cmd_result(s, &io, st, timeout, e);
	secret_bzero(&io, sizeof(io));
	return rc;
}
