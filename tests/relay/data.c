/*
 * data.c - testrelay receives message content: DATA (RFC 5321 §4.1.1.4)
 * with the transparency procedure of §4.5.2 undone, and BDAT chunks (RFC
 * 3030 §2) taken as they are. Each message is written byte for byte to
 * the -m file (the N-th message of a run to FILE.N), first as FILE.part
 * and renamed when complete, so a test only sees finished messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "relay.h"


enum dstate { D_BOL, D_MID, D_CR, D_DOT, D_DOTCR };

static FILE *cur;		/* message being received (BDAT spans commands) */
static char  cur_path[4096];

static FILE *
msg_open(struct conn *c)
{
	char	 part[4200];

	if (cur != NULL)
		return cur;
	c->nmsg++;
	if (c->nmsg == 1)
		snprintf(cur_path, sizeof(cur_path), "%s", c->opt->msgfile);
	else
		snprintf(cur_path, sizeof(cur_path), "%s.%d", c->opt->msgfile,
		    c->nmsg);
	snprintf(part, sizeof(part), "%s.part", cur_path);
	cur = fopen(part, "wb");
	return cur;
}

static void
msg_close(struct conn *c)
{
	char	 part[4200];
	long	 size;

	if (cur == NULL)
		return;
	size = ftell(cur);
	fclose(cur);
	cur = NULL;
	snprintf(part, sizeof(part), "%s.part", cur_path);
	rename(part, cur_path);
	fprintf(c->log, "--- message %d complete, %ld bytes\n", c->nmsg, size);
	fflush(c->log);
}

/* The connection went away mid-message: keep the .part file as it is. */
static void
msg_abort(struct conn *c)
{
	if (cur == NULL)
		return;
	fclose(cur);
	cur = NULL;
	fprintf(c->log, "--- message %d incomplete\n", c->nmsg);
	fflush(c->log);
}

/*
 * Feeds bytes through the un-stuffing state machine; returns how many were
 * consumed, setting *done when the terminating "." line was seen.
 */
static size_t
unstuff(enum dstate *st, const char *b, size_t n, FILE *out, int *done)
{
	size_t	 i;

	for (i = 0; i < n && !*done; i++) {
		char ch = b[i];

		switch (*st) {
		case D_BOL:
			if (ch == '.') {
				*st = D_DOT;
				continue;
			}
			*st = ch == '\r' ? D_CR : D_MID;
			break;
		case D_DOT:	/* a leading dot is removed (§4.5.2) */
			if (ch == '\r') {
				*st = D_DOTCR;
				continue;
			}
			*st = D_MID;
			break;
		case D_DOTCR:
			if (ch == '\n') {
				*done = 1;
				continue;
			}
			fputc('\r', out);
			*st = ch == '\r' ? D_CR : D_MID;
			break;
		case D_MID:
			if (ch == '\r')
				*st = D_CR;
			break;
		case D_CR:
			*st = ch == '\n' ? D_BOL : ch == '\r' ? D_CR : D_MID;
			break;
		}
		fputc(ch, out);
	}
	return i;
}

int
data_receive(struct conn *c)
{
	enum dstate	 st = D_BOL;
	int		 done = 0;
	size_t		 used;
	FILE		*out;

	if ((out = msg_open(c)) == NULL)
		return -1;
	for (;;) {
		used = unstuff(&st, c->rbuf, c->rlen, out, &done);
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
		c->rlen -= used;
		if (done)
			break;
		if (io_read(c) != 1) {
			msg_abort(c);	/* the .part file shows what came */
			return -1;
		}
	}
	/* Without PIPELINING nothing may follow "." before its reply. */
	if (server_sync_broken(c, "end of data")) {
		msg_abort(c);
		return -1;
	}
	msg_close(c);
	return 0;
}

/* "BDAT n [LAST]": exactly n octets follow the command line. */
int
data_bdat(struct conn *c, const char *args, int accept)
{
	char		*end;
	long long	 n = strtoll(args, &end, 10);
	int		 last = strstr(end, "LAST") != NULL ||
	    strstr(end, "last") != NULL;
	FILE		*out = NULL;
	size_t		 take;

	if (end == args || n < 0)
		return server_reply(c, NULL, "501 5.5.4 BDAT size");
	if (accept && (out = msg_open(c)) == NULL)
		return -1;
	/* RFC 3030 §2: the chunk's octets are read even when the command
	 * is refused, so they are never taken for commands. */
	while (n > 0) {
		if (c->rlen == 0 && io_read(c) != 1) {
			if (out != NULL)
				msg_abort(c);
			return -1;
		}
		take = c->rlen < (size_t)n ? c->rlen : (size_t)n;
		if (out != NULL)
			fwrite(c->rbuf, 1, take, out);
		memmove(c->rbuf, c->rbuf + take, c->rlen - take);
		c->rlen -= take;
		n -= (long long)take;
	}
	if (server_sync_broken(c, "BDAT chunk")) {
		if (out != NULL)
			msg_abort(c);
		return -1;
	}
	if (!accept)
		return server_reply(c, NULL, "554 5.5.1 No valid recipients");
	if (!last)
		return server_reply(c, "bdat", "250 2.0.0 chunk received");
	msg_close(c);
	return server_reply(c, "eod", "250 2.0.0 Ok: queued as TESTRELAY");
}
