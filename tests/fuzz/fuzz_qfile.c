/*
 * fuzz_qfile.c - libFuzzer target for the queue file parser
 * (qfile_parse, qfile_format.c; format in qfile.h). The
 * input is a whole queue file, written to a memfd. Invariants:
 *  - no crash, no leak, no UB; the header read is bounded
 *    (QFILE_HEADER_MAX), so time and memory are too;
 *  - on success: msg_offset + msg_size is the file size, the id is
 *    valid, at least one and at most BOUNDS_RCPTS recipients, every
 *    string field NUL-terminated within its array, no recipient or
 *    sender address holding '<', '>', CR or LF (they go into MAIL
 *    FROM/RCPT TO);
 *  - round trip: what parsed is written again (qfile_write_header, as
 *    qfile_replace does after every attempt) and parses to the same
 *    content, so a file the parser accepts can never get stuck because
 *    its own rewrite fails or changes a recipient.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qfile.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define TERM(f)	(memchr((f), '\0', sizeof(f)) == NULL)

static int
memfd_with(const void *buf, size_t len)
{
	int fd;

	if ((fd = memfd_create("fuzz", 0)) == -1)
		abort();
	if (len > 0 && write(fd, buf, len) != (ssize_t)len)
		abort();
	return fd;
}

static void
check_fields(const struct qfile *q, off_t fsize)
{
	size_t i;

	if (TERM(q->id) || TERM(q->account) || TERM(q->sender) ||
	    TERM(q->dsn_notify) || TERM(q->dsn_ret) || TERM(q->dsn_envid) ||
	    TERM(q->last_error) || !qfile_valid_id(q->id) ||
	    q->nrcpt == 0 || q->nrcpt > BOUNDS_RCPTS ||
	    q->msg_offset + q->msg_size != fsize || q->msg_size < 0 ||
	    strpbrk(q->sender, "<>\r\n") != NULL)
		abort();
	for (i = 0; i < q->nrcpt; i++)
		if (TERM(q->rcpt[i].addr) || TERM(q->rcpt[i].reply) ||
		    q->rcpt[i].addr[0] == '\0' ||
		    strpbrk(q->rcpt[i].addr, "<>\r\n") != NULL)
			abort();
}

/* The writer turns control characters into spaces (free text). */
static int
same_text(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (*a != *b && !(*b == ' ' &&
		    ((unsigned char)*a < 0x20 || *a == 0x7f)))
			return 0;
	return *a == *b;
}

static void
check_same(const struct qfile *a, const struct qfile *b)
{
	size_t i;

	if (strcmp(a->id, b->id) != 0 ||
	    strcmp(a->account, b->account) != 0 ||
	    strcmp(a->sender, b->sender) != 0 ||
	    !same_text(a->dsn_notify, b->dsn_notify) ||
	    !same_text(a->dsn_ret, b->dsn_ret) ||
	    !same_text(a->dsn_envid, b->dsn_envid) ||
	    !same_text(a->last_error, b->last_error) ||
	    a->body != b->body || a->notice != b->notice ||
	    a->queued != b->queued || a->attempts != b->attempts ||
	    a->next_retry != b->next_retry || a->nrcpt != b->nrcpt)
		abort();
	for (i = 0; i < a->nrcpt; i++)
		if (strcmp(a->rcpt[i].addr, b->rcpt[i].addr) != 0 ||
		    a->rcpt[i].state != b->rcpt[i].state ||
		    !same_text(a->rcpt[i].reply, b->rcpt[i].reply))
			abort();
}

static void
round_trip(const struct qfile *q)
{
	struct qfile b;
	struct err e;
	int fd = memfd_with(NULL, 0);

	if (qfile_write_header(fd, q, &e) != 0)
		abort();		/* accepted, but cannot be rewritten */
	qfile_init(&b);
	if (qfile_parse(fd, &b, &e) != 0)
		abort();
	check_same(q, &b);
	qfile_free(&b);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfile q;
	struct err e;
	int fd;

	if (size > 2 * QFILE_HEADER_MAX)
		return 0;
	fd = memfd_with(data, size);
	qfile_init(&q);
	if (qfile_parse(fd, &q, &e) == 0) {
		check_fields(&q, (off_t)size);
		round_trip(&q);
	} else if (e.code != EX_DATAERR && e.code != EX_OSERR)
		abort();
	qfile_free(&q);
	close(fd);
	return 0;
}
