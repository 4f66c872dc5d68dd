/*
 * err.c - error classes and the exit-code table (relaymail(8)).
 *
 * Replies map to sysexits(3) codes by stage and class (RFC 5321 §4.2.1:
 * 4yz transient, 5yz permanent), refined by the RFC 3463 enhanced status
 * code when the relay sends one (RFC 2034): X.1.x addressing, X.7.8
 * authentication credentials invalid, X.3.4 / X.2.3 / X.6.x content.
 *
 * At the end of data a 5yz is about the content (EX_DATAERR) unless it
 * names a protocol error: X.5.x (RFC 3463 §3.6, "network protocol
 * status"), or with no enhanced code a 50z (RFC 5321 §4.2.1: syntax,
 * command out of sequence). Such a reply is the relay's failure to
 * follow the protocol (a strict server refusing a command it thinks
 * came too early), so it is EX_PROTOCOL: permanent, never queued, and
 * no verdict on the message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
err_clear(struct err *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}

int
err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_nomem(struct err *e)
{
	return err_set(e, EX_OSERR, "out of memory");
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[BOUNDS_ERRMSG], old[BOUNDS_ERRMSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", pre, old);
	return -1;
}

static const char *const stage_names[] = {
	[STAGE_NONE] = "setup",
	[STAGE_CONNECT] = "connect",
	[STAGE_GREETING] = "greeting",
	[STAGE_EHLO] = "EHLO",
	[STAGE_STARTTLS] = "STARTTLS",
	[STAGE_TLS] = "TLS handshake",
	[STAGE_AUTH] = "AUTH",
	[STAGE_MAIL] = "MAIL FROM",
	[STAGE_RCPT] = "RCPT TO",
	[STAGE_DATA] = "DATA",
	[STAGE_EOD] = "end of data",
	[STAGE_RSET] = "RSET",
	[STAGE_QUIT] = "QUIT",
};

const char *
err_stage_name(enum stage s)
{
	if ((unsigned)s >= sizeof(stage_names) / sizeof(stage_names[0]))
		return "unknown stage";
	return stage_names[s];
}

/* Enhanced status "c.s.d": subject and detail, or -1 when absent. */
static void
enh_parse(const char *enh, int *subject, int *detail)
{
	*subject = *detail = -1;
	if (enh == NULL || enh[0] == '\0' || enh[1] != '.')
		return;
	if (sscanf(enh + 2, "%d.%d", subject, detail) != 2)
		*subject = *detail = -1;
}

/* The permanent-failure exit code for a 5yz reply at a stage. */
static int
perm_code(enum stage st, int code, int subject, int detail)
{
	/* X.7.8 (RFC 4954 §6) and 535: credentials rejected. */
	if ((subject == 7 && detail == 8) || code == 535)
		return EX_NOPERM;
	/* 530 / X.7.0 "authentication required" before MAIL. */
	if (code == 530 && st <= STAGE_MAIL)
		return EX_NOPERM;
	switch (st) {
	case STAGE_AUTH:
		/* 504 mechanism unknown, 534 too weak: policy, not creds. */
		return code == 504 || code == 534 ? EX_UNAVAILABLE : EX_NOPERM;
	case STAGE_RCPT:
		/* X.1.x: the address; with no enhanced code, 550/551/553
		 * are the classic "no such user" replies. */
		if (subject == 1 || (subject < 0 &&
		    (code == 550 || code == 551 || code == 553)))
			return EX_NOUSER;
		return EX_UNAVAILABLE;
	case STAGE_EOD:
		if (subject == 5 || (subject < 0 && code / 10 == 50))
			return EX_PROTOCOL;
		/* 5xx on content: size (X.3.4, 552), media (X.6.x). */
		return EX_DATAERR;
	case STAGE_MAIL:
		if (subject == 1 && (detail == 7 || detail == 8 || detail == 3))
			return EX_DATAERR;	/* bad sender address syntax */
		return EX_UNAVAILABLE;
	default:
		return EX_UNAVAILABLE;
	}
}

int
err_from_reply(enum stage st, int code, const char *enh)
{
	int subject, detail;

	if (code >= 200 && code < 400)
		return EX_OK;
	if (code >= 400 && code < 500)
		return EX_TEMPFAIL;
	if (code >= 500 && code < 600) {
		enh_parse(enh, &subject, &detail);
		return perm_code(st, code, subject, detail);
	}
	return EX_PROTOCOL;
}

static const struct {
	int		 code;
	const char	*name;
} code_names[] = {
	{ EX_OK, "EX_OK" }, { EX_USAGE, "EX_USAGE" },
	{ EX_DATAERR, "EX_DATAERR" }, { EX_NOINPUT, "EX_NOINPUT" },
	{ EX_NOUSER, "EX_NOUSER" }, { EX_NOHOST, "EX_NOHOST" },
	{ EX_UNAVAILABLE, "EX_UNAVAILABLE" }, { EX_SOFTWARE, "EX_SOFTWARE" },
	{ EX_OSERR, "EX_OSERR" }, { EX_OSFILE, "EX_OSFILE" },
	{ EX_CANTCREAT, "EX_CANTCREAT" }, { EX_IOERR, "EX_IOERR" },
	{ EX_TEMPFAIL, "EX_TEMPFAIL" }, { EX_PROTOCOL, "EX_PROTOCOL" },
	{ EX_NOPERM, "EX_NOPERM" }, { EX_CONFIG, "EX_CONFIG" },
};

const char *
err_code_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
		if (code_names[i].code == code)
			return code_names[i].name;
	return "EX_UNKNOWN";
}

/*
 * "Worst" for a transaction with several failures: a permanent refusal
 * outranks a temporary one (retrying cannot fix it), local and
 * configuration errors outrank both.
 */
static int
severity(int code)
{
	switch (code) {
	case EX_OK:		return 0;
	case EX_TEMPFAIL:	return 1;
	case EX_NOUSER:		return 2;
	case EX_DATAERR:	return 3;
	case EX_UNAVAILABLE:	return 4;
	case EX_NOHOST:		return 5;
	case EX_PROTOCOL:	return 6;
	case EX_NOPERM:		return 7;
	default:		return 8;
	}
}

int
err_worse(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}
