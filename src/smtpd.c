/*
 * smtpd.c - relaymail -bs: an SMTP server for one local client on
 * standard input and output (smtpd.h has the contract).
 *
 * RFC 5321 §4.1 commands (HELO/EHLO §4.1.1.1, MAIL §4.1.1.2, RCPT
 * §4.1.1.3, DATA §4.1.1.4 in smtpd_data.c, RSET §4.1.1.5, VRFY §4.1.1.6
 * answered 252 as §3.5.3 allows, HELP, NOOP, QUIT; §4.1.4 order:
 * 503 out of sequence, EHLO and RSET end a transaction), §4.2 replies,
 * §4.5.3.1 limits (512-octet command lines: 500; the recipient cap of
 * §4.5.3.1.8 answered 452 per §4.5.3.1.10), §4.5.3.2.7 the server's
 * idle timeout (421 and close, §3.8). EHLO offers only what relaymail
 * honours: PIPELINING (RFC 2920), SIZE (RFC 1870: relaymail's limit, or
 * the relay's once a transaction has learnt it), 8BITMIME (RFC 6152;
 * BODY= is passed on), SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES (RFC
 * 2034, codes of RFC 3463), DSN (RFC 3461: RET, ENVID, NOTIFY passed
 * on; ORCPT is checked and not passed on, the relay derives its own).
 * No AUTH and no STARTTLS: the client is a local process acting as the
 * invoking user, as with -f.
 *
 * Recipients are taken at RCPT on their syntax alone (the relay is not
 * asked until the end of data, so a recipient it refuses is named in
 * the reply to the end of data, or gets a failure notice when others
 * were accepted: smtpd_data.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "account.h"
#include "smtpd.h"
#include "smtpd_int.h"

static long long
size_limit(const struct smtpd *d, const struct account *a)
{
	if (d->lim > 0 && d->lim_acct == a && d->lim < BOUNDS_MESSAGE)
		return d->lim;
	return BOUNDS_MESSAGE;
}

static void
cmd_helo(struct smtpd *d, const char *arg, int ehlo)
{
	if (arg[0] == '\0') {
		smtpd_reply(d, 501, 0, "5.5.4", "Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
		return;
	}
	smtpd_txn_clear(d);
	d->esmtp = ehlo;
	if (!ehlo) {
		smtpd_reply(d, 250, 0, NULL, "%s", d->s->fqdn);
		return;
	}
	smtpd_reply(d, 250, 1, NULL, "%s", d->s->fqdn);
	smtpd_reply(d, 250, 1, NULL, "PIPELINING");
	smtpd_reply(d, 250, 1, NULL, "SIZE %lld", size_limit(d, d->acct0));
	smtpd_reply(d, 250, 1, NULL, "8BITMIME");
	smtpd_reply(d, 250, 1, NULL, "SMTPUTF8");
	smtpd_reply(d, 250, 1, NULL, "ENHANCEDSTATUSCODES");
	smtpd_reply(d, 250, 0, NULL, "DSN");
}

static int
copy_param(char *out, size_t cap, const char *v)
{
	if (strlen(v) + 1 > cap)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* One MAIL parameter; 0, or -1 after replying. */
static int
mail_param(struct smtpd *d, const char *k, const char *v, long long *size)
{
	char *end;

	if (strcasecmp(k, "SIZE") == 0) {
		*size = strtoll(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || strlen(v) > 18)
			goto syntax;
	} else if (strcasecmp(k, "BODY") == 0) {
		if (strcasecmp(v, "8BITMIME") == 0)
			d->body = 8;
		else if (strcasecmp(v, "7BIT") == 0)
			d->body = 7;
		else
			goto syntax;
	} else if (strcasecmp(k, "SMTPUTF8") == 0) {
		if (v[0] != '\0')
			goto syntax;
	} else if (strcasecmp(k, "RET") == 0) {
		if (strcasecmp(v, "FULL") != 0 && strcasecmp(v, "HDRS") != 0)
			goto syntax;
		snprintf(d->ret, sizeof(d->ret), "%s",
		    strcasecmp(v, "FULL") == 0 ? "FULL" : "HDRS");
	} else if (strcasecmp(k, "ENVID") == 0) {
		/* RFC 3461 §4.4: xtext, at most 100 characters; passed on
		 * as it came. */
		if (v[0] == '\0' || strlen(v) > 100 ||
		    copy_param(d->envid, sizeof(d->envid), v) == -1)
			goto syntax;
	} else {
		smtpd_reply(d, 555, 0, "5.5.4", "MAIL parameter %s not "
		    "recognised", k);
		return -1;
	}
	return 0;
syntax:
	smtpd_reply(d, 501, 0, "5.5.4", "bad value for MAIL parameter %s", k);
	return -1;
}

/* The ESMTP parameters of MAIL (RFC 5321 §4.1.1.11, RFC 1869). */
static int
mail_params(struct smtpd *d, const char *p, long long *size)
{
	char k[32], v[BOUNDS_CMD];
	int rc;

	while ((rc = smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v))) == 1) {
		if (!d->esmtp) {
			smtpd_reply(d, 555, 0, NULL, "MAIL parameters need "
			    "EHLO");
			return -1;
		}
		if (mail_param(d, k, v, size) == -1)
			return -1;
	}
	if (rc == -1) {
		smtpd_reply(d, 501, 0, "5.5.4", "Syntax: MAIL FROM:<address> "
		    "[parameters]");
		return -1;
	}
	return 0;
}

static void
cmd_mail(struct smtpd *d, const char *arg)
{
	char addr[BOUNDS_ADDR + 1];
	const char *params;
	long long size = 0;
	struct err e;

	if (d->mail) {
		smtpd_reply(d, 503, 0, "5.5.1", "nested MAIL command");
		return;
	}
	err_clear(&e);
	if (smtpd_cmd_path(arg, "FROM:", addr, sizeof(addr), &params) == -1) {
		smtpd_reply(d, 501, 0, "5.5.4", "Syntax: MAIL FROM:<address>");
		return;
	}
	if (envelope_check_addr(addr, &e) == -1) {
		smtpd_reply(d, 553, 0, "5.1.7", "bad sender address: %s",
		    e.msg);
		return;
	}
	if (mail_params(d, params, &size) == -1) {
		smtpd_txn_clear(d);
		return;
	}
	/* The account is chosen by this sender, as -f chooses it. */
	if (send_txn_account(d->s, addr, &e) == -1) {
		fprintf(stderr, "relaymail: %s\n", e.msg);
		d->worst = err_worse(d->worst, e.code);
		smtpd_reply(d, 451, 0, "4.3.5", "relaymail: %s", e.msg);
		smtpd_txn_clear(d);
		return;
	}
	d->txn_lim = size_limit(d, d->s->acct);
	if (size > d->txn_lim) {
		smtpd_reply(d, 552, 0, "5.3.4", "message size %lld exceeds "
		    "the limit of %lld octets", size, d->txn_lim);
		smtpd_txn_clear(d);
		return;
	}
	memcpy(d->sender, addr, sizeof(d->sender));
	d->mail = 1;
	smtpd_reply(d, 250, 0, "2.1.0", "Ok");
}

/* RFC 3461 §4.1: NEVER, or a list of SUCCESS, FAILURE, DELAY; out gets
 * it in upper case. */
static int
notify_ok(const char *v, char *out, size_t cap)
{
	static const char *const words[] = { "NEVER", "SUCCESS", "FAILURE",
		"DELAY" };
	size_t i, n, k, o = 0, nw = 0;
	int never = 0;

	while (*v != '\0') {
		n = strcspn(v, ",");
		for (i = 0; i < 4; i++)
			if (strlen(words[i]) == n &&
			    strncasecmp(v, words[i], n) == 0)
				break;
		if (i == 4 || o + n + 2 > cap)
			return -1;
		never |= i == 0;
		if (o > 0)
			out[o++] = ',';
		for (k = 0; k < n; k++)
			out[o++] = words[i][k];
		nw++;
		v += n;
		if (*v == ',' && *++v == '\0')
			return -1;
	}
	out[o] = '\0';
	return nw == 0 || (never && nw > 1) ? -1 : 0;
}

/* RCPT parameters; 0, or -1 after replying. */
static int
rcpt_params(struct smtpd *d, const char *p, char *notify, size_t ncap)
{
	char k[32], v[BOUNDS_CMD];
	int rc;

	notify[0] = '\0';
	while ((rc = smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v))) == 1) {
		if (!d->esmtp) {
			smtpd_reply(d, 555, 0, NULL, "RCPT parameters need "
			    "EHLO");
			return -1;
		}
		if (strcasecmp(k, "NOTIFY") == 0) {
			if (notify_ok(v, notify, ncap) == -1)
				break;
		} else if (strcasecmp(k, "ORCPT") == 0) {
			/* RFC 3461 §4.2: addr-type ";" xtext */
			if (strchr(v, ';') == NULL)
				break;
		} else {
			smtpd_reply(d, 555, 0, "5.5.4", "RCPT parameter %s not "
			    "recognised", k);
			return -1;
		}
	}
	if (rc != 0) {
		smtpd_reply(d, 501, 0, "5.5.4", "Syntax: RCPT TO:<address> "
		    "[parameters]");
		return -1;
	}
	return 0;
}

static void
cmd_rcpt(struct smtpd *d, const char *arg)
{
	char addr[BOUNDS_ADDR + 1], notify[sizeof(d->notify)];
	const char *params;
	struct err e;

	if (!d->mail) {
		smtpd_reply(d, 503, 0, "5.5.1", "need MAIL before RCPT");
		return;
	}
	if (d->nrcpt >= BOUNDS_RCPTS) {
		smtpd_reply(d, 452, 0, "4.5.3", "too many recipients (at most "
		    "%d per message)", BOUNDS_RCPTS);
		return;
	}
	err_clear(&e);
	if (smtpd_cmd_path(arg, "TO:", addr, sizeof(addr), &params) == -1) {
		smtpd_reply(d, 501, 0, "5.5.4", "Syntax: RCPT TO:<address>");
		return;
	}
	if (addr[0] == '\0' || envelope_check_addr(addr, &e) == -1) {
		smtpd_reply(d, 501, 0, "5.1.3", "bad recipient address%s%s",
		    e.msg[0] != '\0' ? ": " : "", e.msg);
		return;
	}
	if (rcpt_params(d, params, notify, sizeof(notify)) == -1)
		return;
	/* The envelope has one NOTIFY for all its recipients. */
	if (d->nrcpt > 0 && strcmp(notify, d->notify) != 0) {
		smtpd_reply(d, 455, 0, "4.5.3", "NOTIFY must be the same for "
		    "every recipient of a message");
		return;
	}
	if ((d->rcpt[d->nrcpt] = strdup(addr)) == NULL) {
		smtpd_reply(d, 452, 0, "4.3.1", "out of memory");
		return;
	}
	d->nrcpt++;
	memcpy(d->notify, notify, sizeof(d->notify));
	smtpd_reply(d, 250, 0, "2.1.5", "Ok");
}

static void
cmd_data(struct smtpd *d, const char *arg)
{
	if (arg[0] != '\0')
		smtpd_reply(d, 501, 0, "5.5.4", "Syntax: DATA");
	else if (!d->mail)
		smtpd_reply(d, 503, 0, "5.5.1", "need MAIL before DATA");
	else if (d->nrcpt == 0)
		smtpd_reply(d, 554, 0, "5.5.1", "no valid recipients");
	else
		smtpd_data(d);
}

/* One command; 1 after QUIT. */
static int
command(struct smtpd *d, char *line, int toolong)
{
	struct smtpd_cmd c;

	smtpd_cmd_parse(line, &c);
	/* §4.5.3.1.4: 512 octets with CRLF; MAIL and RCPT carry ESMTP
	 * parameters and may use BOUNDS_CMD. */
	if (toolong || (strlen(line) + 2 > BOUNDS_SMTPD_LINE &&
	    c.verb != SV_MAIL && c.verb != SV_RCPT)) {
		smtpd_reply(d, 500, 0, "5.5.2", "line too long");
		return 0;
	}
	switch (c.verb) {
	case SV_HELO:	cmd_helo(d, c.arg, 0); break;
	case SV_EHLO:	cmd_helo(d, c.arg, 1); break;
	case SV_MAIL:	cmd_mail(d, c.arg); break;
	case SV_RCPT:	cmd_rcpt(d, c.arg); break;
	case SV_DATA:	cmd_data(d, c.arg); break;
	case SV_RSET:
		smtpd_txn_clear(d);
		smtpd_reply(d, 250, 0, "2.0.0", "Ok");
		break;
	case SV_NOOP:	smtpd_reply(d, 250, 0, "2.0.0", "Ok"); break;
	case SV_QUIT:
		smtpd_reply(d, 221, 0, "2.0.0", "Bye");
		return 1;
	case SV_HELP:
		smtpd_reply(d, 214, 0, "2.0.0", "relaymail: EHLO HELO MAIL "
		    "RCPT DATA RSET NOOP QUIT HELP VRFY");
		break;
	case SV_VRFY:
		if (c.arg[0] == '\0')
			smtpd_reply(d, 501, 0, "5.5.4", "Syntax: VRFY address");
		else
			smtpd_reply(d, 252, 0, "2.5.0", "cannot VRFY; send the "
			    "message and the relay will say");
		break;
	case SV_NOTIMPL:
		smtpd_reply(d, 502, 0, "5.5.1", "command not implemented");
		break;
	default:
		smtpd_reply(d, 500, 0, "5.5.2", "command not recognised");
		break;
	}
	return 0;
}

/* RFC 5321 §3.1: after a 554 greeting, 503 to all but QUIT. */
static void
refuse(struct smtpd *d, const struct err *e)
{
	char line[BOUNDS_CMD];
	struct smtpd_cmd c;
	int rc;

	smtpd_reply(d, 554, 0, NULL, "5.3.5 relaymail: %s", e->msg);
	while ((rc = smtpd_getline(d, line, sizeof(line))) != -1) {
		smtpd_cmd_parse(line, &c);
		if (rc == 0 && c.verb == SV_QUIT) {
			smtpd_reply(d, 221, 0, NULL, "2.0.0 Bye");
			break;
		}
		smtpd_reply(d, 503, 0, NULL, "5.5.1 no service: %s", e->msg);
	}
}

/* 1 after QUIT was answered (or could no longer be). */
static int
session(struct smtpd *d)
{
	char line[BOUNDS_CMD];
	int rc;

	smtpd_reply(d, 220, 0, NULL, "%s ESMTP relaymail", d->s->fqdn);
	while ((rc = smtpd_getline(d, line, sizeof(line))) != -1)
		if (command(d, line, rc) == 1) {
			smtpd_txn_clear(d);
			return 1;
		}
	if (d->idle && !d->broken)
		smtpd_reply(d, 421, 0, "4.4.2", "%s timeout: no command for "
		    "%d s, closing", d->s->fqdn, d->timeout_ms / 1000);
	smtpd_txn_clear(d);
	return 0;
}

int
smtpd_run(struct send_ctx *s, int cfg_rc, struct err *e)
{
	struct smtpd *d;
	int rc, quit = 0;

	/* A client closing its end must not kill us (EPIPE instead). */
	(void)signal(SIGPIPE, SIG_IGN);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return EX_OSERR;
	d->s = s;
	d->in = STDIN_FILENO;
	d->out = STDOUT_FILENO;
	d->timeout_ms = CONF_SMTPD_TIMEOUT * 1000;
	if (s->cli->sender != NULL && s->trace != NULL)
		fprintf(stderr, "relaymail: -f is not used with -bs: each "
		    "MAIL FROM gives the sender\n");
	if (cfg_rc == 0 && send_session(s, e) == 0) {
		d->acct0 = s->acct;
		if (s->acct != NULL)
			d->timeout_ms = s->acct->smtpd_timeout * 1000;
		quit = session(d);
		rc = d->worst;
	} else {
		fprintf(stderr, "relaymail: %s\n", e->msg);
		refuse(d, e);
		rc = e->code != 0 ? e->code : EX_SOFTWARE;
	}
	(void)smtpd_flush(d);
	/* A client may close its end as soon as it has sent QUIT. */
	if (d->broken && !quit) {
		fprintf(stderr, "relaymail: -bs: the client closed standard "
		    "output\n");
		rc = err_worse(rc, EX_IOERR);
	}
	free(d);
	return rc;
}
