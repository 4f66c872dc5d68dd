/*
 * qfile_format.c - the header section of a queue file (format version 1,
 * documented in qfile.h): the struct qfile in memory with its
 * recipients, its "key value" lines written in one piece, and parsed
 * back strictly (a malformed file is EX_DATAERR, never half-read).
 * Control characters in free text are written as spaces so that no
 * reply or error text from a relay can split or forge a line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qfile_int.h"

void
qfile_init(struct qfile *qf)
{
	memset(qf, 0, sizeof(*qf));
	qf->uid = -1;
}

void
qfile_free(struct qfile *qf)
{
	free(qf->rcpt);
	qf->rcpt = NULL;
	qf->nrcpt = 0;
}

const char *
qfile_state_name(enum qrcpt_state s)
{
	switch (s) {
	case QR_SENT:
		return "sent";
	case QR_FAILED:
		return "failed";
	default:
		return "pending";
	}
}

/* Copy text into a fixed field; over the cap is an error. */
static int
setfield(char *dst, size_t cap, const char *src, const char *what,
    struct err *e)
{
	size_t len = strlen(src);

	if (len >= cap)
		return err_set(e, EX_DATAERR, "queue: %s too long", what);
	memcpy(dst, src, len + 1);
	return 0;
}

int
qfile_add_rcpt(struct qfile *qf, const char *addr, enum qrcpt_state state,
    const char *reply, struct err *e)
{
	struct qrcpt *r;

	if (qf->nrcpt >= BOUNDS_RCPTS)
		return err_set(e, EX_DATAERR, "queue: too many recipients");
	if (addr[0] == '\0' || strpbrk(addr, "<>\r\n") != NULL)
		return err_set(e, EX_DATAERR, "queue: bad recipient address");
	if ((qf->nrcpt & 15) == 0) {
		r = reallocarray(qf->rcpt, qf->nrcpt + 16, sizeof(*r));
		if (r == NULL)
			return err_nomem(e);
		qf->rcpt = r;
	}
	r = &qf->rcpt[qf->nrcpt];
	memset(r, 0, sizeof(*r));
	if (setfield(r->addr, sizeof(r->addr), addr, "address", e) == -1)
		return -1;
	r->state = state;
	/* A reply longer than a reply line is ours to shorten: it is
	 * diagnostic text only. */
	snprintf(r->reply, sizeof(r->reply), "%s", reply != NULL ? reply : "");
	qf->nrcpt++;
	return 0;
}

size_t
qfile_count(const struct qfile *qf, enum qrcpt_state s)
{
	size_t i, n = 0;

	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].state == s)
			n++;
	return n;
}

struct hbuf {
	char	*p;
	size_t	 len, cap;
};

/* Append one "key value\n" line; control characters in free text
 * become spaces so a line can never be split or forged. */
static int
hline(struct hbuf *b, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
hline(struct hbuf *b, struct err *e, const char *fmt, ...)
{
	char line[QFILE_LINE];
	va_list ap;
	size_t i;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return err_set(e, EX_DATAERR, "queue: header line too long");
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	if (b->len + (size_t)n + 2 > b->cap) {
		size_t cap = b->cap == 0 ? 4096 : b->cap * 2;
		char *p;

		while (cap < b->len + (size_t)n + 2)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return err_nomem(e);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, line, (size_t)n);
	b->len += (size_t)n;
	b->p[b->len++] = '\n';
	return 0;
}

static int
header_lines(struct hbuf *b, const struct qfile *qf, struct err *e)
{
	size_t i;

	if (hline(b, e, "relaymail-queue %d", QFILE_VERSION) == -1 ||
	    hline(b, e, "id %s", qf->id) == -1 ||
	    hline(b, e, "account %s", qf->account) == -1 ||
	    (qf->uid >= 0 && hline(b, e, "uid %lld", qf->uid) == -1) ||
	    hline(b, e, "sender <%s>", qf->sender) == -1 ||
	    (qf->dsn_notify[0] && hline(b, e, "dsn-notify %s",
	    qf->dsn_notify) == -1) ||
	    (qf->dsn_ret[0] && hline(b, e, "dsn-ret %s", qf->dsn_ret) == -1) ||
	    (qf->dsn_envid[0] && hline(b, e, "dsn-envid %s",
	    qf->dsn_envid) == -1) ||
	    hline(b, e, "body %d", qf->body) == -1 ||
	    hline(b, e, "kind %s", qf->notice ? "notice" : "message") == -1 ||
	    hline(b, e, "queued %lld", qf->queued) == -1 ||
	    hline(b, e, "attempts %d", qf->attempts) == -1 ||
	    hline(b, e, "next-retry %lld", qf->next_retry) == -1 ||
	    hline(b, e, "last-error %s", qf->last_error) == -1)
		return -1;
	for (i = 0; i < qf->nrcpt; i++)
		if (hline(b, e, "rcpt %s <%s> %s",
		    qfile_state_name(qf->rcpt[i].state), qf->rcpt[i].addr,
		    qf->rcpt[i].reply) == -1)
			return -1;
	return hline(b, e, "%s", "");
}

int
qfile_write_header(int fd, const struct qfile *qf, struct err *e)
{
	struct hbuf b = { NULL, 0, 0 };
	int rc;

	if (strpbrk(qf->sender, "<>\r\n") != NULL ||
	    strpbrk(qf->account, " \r\n") != NULL)
		return err_set(e, EX_DATAERR, "queue: bad sender or account");
	rc = header_lines(&b, qf, e);
	if (rc == 0)
		rc = qfile_write_all(fd, "queue file", b.p, b.len, e);
	free(b.p);
	return rc;
}

/* Read the header section (up to and including the empty line). */
static int
read_header(int fd, char **out, size_t *hlen, struct err *e)
{
	size_t len = 0, cap = 0;
	char *p = NULL, *q, *end;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			if (cap >= QFILE_HEADER_MAX)
				break;
			cap = cap == 0 ? 8192 : cap * 2;
			if ((q = realloc(p, cap + 1)) == NULL) {
				free(p);
				return err_set(e, EX_OSERR, "queue: no memory");
			}
			p = q;
		}
		n = pread(fd, p + len, cap - len, (off_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		p[len] = '\0';
		if ((end = strstr(p, "\n\n")) != NULL) {
			*hlen = (size_t)(end - p) + 2;
			*out = p;
			return 0;
		}
	}
	free(p);
	return err_set(e, EX_DATAERR, "queue: file has no complete header");
}

static int
parse_num(const char *v, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno != 0 || end == v || *end != '\0' || *out < 0 ? -1 : 0;
}

/* "<addr>" or "<addr> rest": addr into dst, *rest after it. */
static int
parse_angle(const char *v, char *dst, size_t cap, const char **rest)
{
	const char *gt;

	if (v[0] != '<' || (gt = strchr(v, '>')) == NULL ||
	    (size_t)(gt - v - 1) >= cap)
		return -1;
	memcpy(dst, v + 1, (size_t)(gt - v - 1));
	dst[gt - v - 1] = '\0';
	gt++;
	if (*gt == ' ')
		gt++;
	else if (*gt != '\0')
		return -1;
	*rest = gt;
	return 0;
}

static int
parse_rcpt(struct qfile *qf, const char *v, struct err *e)
{
	char addr[BOUNDS_ADDR + 1];
	const char *rest;
	enum qrcpt_state s;

	if (strncmp(v, "pending ", 8) == 0)
		s = QR_PENDING, v += 8;
	else if (strncmp(v, "sent ", 5) == 0)
		s = QR_SENT, v += 5;
	else if (strncmp(v, "failed ", 7) == 0)
		s = QR_FAILED, v += 7;
	else
		return -1;
	if (parse_angle(v, addr, sizeof(addr), &rest) == -1)
		return -1;
	return qfile_add_rcpt(qf, addr, s, rest, e);
}

static int
parse_line(struct qfile *qf, const char *k, const char *v, struct err *e)
{
	long long n;
	const char *rest;

	if (strcmp(k, "rcpt") == 0)
		return parse_rcpt(qf, v, e);
	if (strcmp(k, "id") == 0)
		return setfield(qf->id, sizeof(qf->id), v, k, e);
	if (strcmp(k, "account") == 0)
		return setfield(qf->account, sizeof(qf->account), v, k, e);
	if (strcmp(k, "sender") == 0)
		return parse_angle(v, qf->sender, sizeof(qf->sender), &rest) ||
		    *rest != '\0' ? -1 : 0;
	if (strcmp(k, "dsn-notify") == 0)
		return setfield(qf->dsn_notify, sizeof(qf->dsn_notify), v, k,
		    e);
	if (strcmp(k, "dsn-ret") == 0)
		return setfield(qf->dsn_ret, sizeof(qf->dsn_ret), v, k, e);
	if (strcmp(k, "dsn-envid") == 0)
		return setfield(qf->dsn_envid, sizeof(qf->dsn_envid), v, k, e);
	if (strcmp(k, "last-error") == 0)
		return setfield(qf->last_error, sizeof(qf->last_error), v, k,
		    e);
	if (strcmp(k, "kind") == 0) {
		if (strcmp(v, "notice") != 0 && strcmp(v, "message") != 0)
			return -1;
		qf->notice = strcmp(v, "notice") == 0;
		return 0;
	}
	if (parse_num(v, &n) == -1)
		return -1;
	if (strcmp(k, "body") == 0 && (n == 0 || n == 7 || n == 8))
		qf->body = (int)n;
	else if (strcmp(k, "uid") == 0 && n <= 0xffffffffLL)
		qf->uid = n;
	else if (strcmp(k, "queued") == 0)
		qf->queued = n;
	else if (strcmp(k, "attempts") == 0 && n < 1000000)
		qf->attempts = (int)n;
	else if (strcmp(k, "next-retry") == 0)
		qf->next_retry = n;
	else
		return -1;
	return 0;
}

/* Any control character (hline writes them as spaces)? */
static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
parse_lines(struct qfile *qf, char *p, struct err *e)
{
	char *line, *nl, *sp;
	size_t i;
	int lineno = 0;

	for (line = p; *line != '\n'; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "relaymail-queue 1") != 0)
				return err_set(e, EX_DATAERR, "queue: unknown "
				    "format \"%.40s\"", line);
			continue;
		}
		if ((sp = strchr(line, ' ')) == NULL)
			return err_set(e, EX_DATAERR, "queue: line %d: no "
			    "value", lineno);
		*sp = '\0';
		if (parse_line(qf, line, sp + 1, e) == -1) {
			if (e->code == 0 || e->code == EX_DATAERR)
				err_set(e, EX_DATAERR, "queue: line %d: bad "
				    "%s", lineno, line);
			return -1;
		}
	}
	if (!qfile_valid_id(qf->id) || qf->account[0] == '\0' ||
	    qf->nrcpt == 0)
		return err_set(e, EX_DATAERR, "queue: id, account or "
		    "recipients missing");
	/* What qfile_write_header refuses or cannot write back as it is
	 * (control characters become spaces) is malformed here too, or
	 * the rewrite after each attempt would fail or change it. */
	if (strpbrk(qf->account, " ") != NULL || has_ctl(qf->account) ||
	    strpbrk(qf->sender, "<>") != NULL || has_ctl(qf->sender))
		return err_set(e, EX_DATAERR, "queue: bad sender or account");
	for (i = 0; i < qf->nrcpt; i++)
		if (has_ctl(qf->rcpt[i].addr))
			return err_set(e, EX_DATAERR, "queue: bad recipient "
			    "address");
	return 0;
}

int
qfile_parse(int fd, struct qfile *qf, struct err *e)
{
	struct stat st;
	size_t hlen = 0;
	char *p = NULL;
	int rc;

	qfile_free(qf);
	qfile_init(qf);
	/* parse_lines fills e only when a line left it empty: a stale
	 * error from the caller's previous file must not stand in. */
	err_clear(e);
	if (read_header(fd, &p, &hlen, e) == -1)
		return -1;
	rc = parse_lines(qf, p, e);
	free(p);
	if (rc == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		return err_set(e, EX_IOERR, "queue: fstat: %s",
		    strerror(errno));
	qf->msg_offset = (off_t)hlen;
	qf->msg_size = st.st_size - (off_t)hlen;
	return 0;
}
