/*
 * notice.c - composing failure notices: RFC 3464 (message/delivery-status
 * fields), RFC 6522 (multipart/report; report-type=delivery-status),
 * RFC 3463 (enhanced status codes), RFC 3834 §5 (Auto-Submitted), RFC
 * 5322 (header fields, date-time).
 *
 * The notice has three parts: a human-readable explanation, the
 * machine-readable delivery status (one per-message block, one block per
 * failed recipient), and the original header section as
 * text/rfc822-headers (the body is never returned: it may be large and
 * it is the sender's own copy anyway).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "blockbuf.h"
#include "notice.h"

/* One line of at most 998 octets (RFC 5322 §2.1.1) plus CRLF. */
static int
nline(struct blockbuf *o, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
nline(struct blockbuf *o, struct err *e, const char *fmt, ...)
{
	char line[BOUNDS_LINE + 3];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n > BOUNDS_LINE)
		return err_set(e, EX_DATAERR, "notice: line too long");
	line[n++] = '\r';
	line[n++] = '\n';
	return blockbuf_put(o, line, (size_t)n, e);
}

void
notice_date(long long t, char *out, size_t len)
{
	static const char *wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, len, "%s, %d %s %d %02d:%02d:%02d +0000",
	    wd[tm.tm_wday % 7], tm.tm_mday, mo[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "d.ddd.ddd" of the given class at the start of s (RFC 3463 §2). */
static size_t
enh_len(const char *s, char cls)
{
	size_t i = 0, part, digits;

	if (s[0] != cls || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; isdigit((unsigned char)s[i]); i++)
			digits++;
		if (digits == 0 || digits > 3)
			return 0;
		if (part == 0 && s[i++] != '.')
			return 0;
	}
	return s[i] == '\0' || s[i] == ' ' ? i : 0;
}

void
notice_status(const char *reply, int expired, char *out, size_t len)
{
	size_t n;

	if ((reply[0] == '4' || reply[0] == '5') &&
	    isdigit((unsigned char)reply[1]) &&
	    isdigit((unsigned char)reply[2]) &&
	    (reply[3] == ' ' || reply[3] == '-' || reply[3] == '\0')) {
		if (reply[3] != '\0' &&
		    (n = enh_len(reply + 4, reply[0])) > 0 && n < len) {
			memcpy(out, reply + 4, n);
			out[n] = '\0';
			return;
		}
		snprintf(out, len, "%c.0.0", reply[0]);
		return;
	}
	snprintf(out, len, "%s", expired ? "4.4.7" : "5.0.0");
}

static int
smtp_reply(const char *r)
{
	return isdigit((unsigned char)r[0]) && isdigit((unsigned char)r[1]) &&
	    isdigit((unsigned char)r[2]);
}

static int
write_headers(struct blockbuf *o, const struct notice_info *ni, struct err *e)
{
	char date[64];

	notice_date(ni->now, date, sizeof(date));
	if ((ni->from != NULL ? nline(o, e, "From: Mail Delivery System <%s>",
	    ni->from) : nline(o, e, "From: Mail Delivery System "
	    "<MAILER-DAEMON@%s>", ni->reporting_mta)) == -1 ||
	    nline(o, e, "To: <%s>", ni->to) == -1 ||
	    nline(o, e, "Subject: Undelivered Mail Returned to Sender") == -1 ||
	    nline(o, e, "Date: %s", date) == -1 ||
	    nline(o, e, "Message-ID: <%s.%lld.notice@%s>", ni->id, ni->now,
	    ni->reporting_mta) == -1 ||
	    nline(o, e, "Auto-Submitted: auto-replied") == -1 ||
	    nline(o, e, "MIME-Version: 1.0") == -1 ||
	    nline(o, e, "Content-Type: multipart/report; "
	    "report-type=delivery-status;") == -1 ||
	    nline(o, e, "\tboundary=\"relaymail-%s-%lld\"", ni->id,
	    ni->now) == -1 ||
	    nline(o, e, "%s", "") == -1 ||
	    nline(o, e, "This is a MIME-encapsulated message.") == -1)
		return -1;
	return 0;
}

static int
write_human(struct blockbuf *o, const struct notice_info *ni, struct err *e)
{
	char date[64];
	size_t i;

	notice_date(ni->arrival, date, sizeof(date));
	if (nline(o, e, "Content-Description: Notification") == -1 ||
	    nline(o, e, "Content-Type: text/plain; charset=us-ascii") == -1 ||
	    nline(o, e, "%s", "") == -1 ||
	    nline(o, e, "This is the mail system at host %s.",
	    ni->reporting_mta) == -1 ||
	    nline(o, e, "%s", "") == -1 ||
	    nline(o, e, "Your message from <%s>, accepted on %s,",
	    ni->orig_sender, date) == -1 ||
	    nline(o, e, "could not be delivered to the recipients below%s",
	    ni->expired ? ": it stayed in the queue for too long." :
	    ": the relay refused them permanently.") == -1 ||
	    nline(o, e, "The original header section is attached.") == -1 ||
	    nline(o, e, "%s", "") == -1)
		return -1;
	for (i = 0; i < ni->nrcpt; i++)
		if (nline(o, e, "<%s>: %s", ni->rcpt[i].addr,
		    ni->rcpt[i].reply[0] != '\0' ? ni->rcpt[i].reply :
		    "(no reply)") == -1)
			return -1;
	return nline(o, e, "%s", "");
}

/* RFC 3464 §2.2 (per-message) and §2.3 (per-recipient) fields. */
static int
write_status(struct blockbuf *o, const struct notice_info *ni, struct err *e)
{
	char date[64], now[64], status[16];
	const struct notice_rcpt *r;
	size_t i;

	notice_date(ni->arrival, date, sizeof(date));
	notice_date(ni->now, now, sizeof(now));
	if (nline(o, e, "Content-Description: Delivery report") == -1 ||
	    nline(o, e, "Content-Type: message/delivery-status") == -1 ||
	    nline(o, e, "%s", "") == -1 ||
	    nline(o, e, "Reporting-MTA: dns; %s", ni->reporting_mta) == -1 ||
	    (ni->envid != NULL && ni->envid[0] != '\0' &&
	    nline(o, e, "Original-Envelope-Id: %s", ni->envid) == -1) ||
	    nline(o, e, "Arrival-Date: %s", date) == -1)
		return -1;
	for (i = 0; i < ni->nrcpt; i++) {
		r = &ni->rcpt[i];
		notice_status(r->reply, ni->expired, status, sizeof(status));
		if (nline(o, e, "%s", "") == -1 ||
		    nline(o, e, "Final-Recipient: rfc822; %s", r->addr) == -1 ||
		    nline(o, e, "Action: failed") == -1 ||
		    nline(o, e, "Status: %s", status) == -1 ||
		    (ni->remote_mta != NULL && nline(o, e,
		    "Remote-MTA: dns; %s", ni->remote_mta) == -1) ||
		    (smtp_reply(r->reply) && nline(o, e,
		    "Diagnostic-Code: smtp; %s", r->reply) == -1) ||
		    nline(o, e, "Last-Attempt-Date: %s", now) == -1)
			return -1;
	}
	return nline(o, e, "%s", "");
}

static int
write_orig(struct blockbuf *o, const struct notice_info *ni, struct err *e)
{
	size_t i;

	if (nline(o, e, "Content-Description: Undelivered Message Headers")
	    == -1 ||
	    nline(o, e, "Content-Type: text/rfc822-headers") == -1 ||
	    nline(o, e, "%s", "") == -1)
		return -1;
	for (i = 0; ni->hdrs != NULL && i < ni->hdrs->n; i++) {
		const struct hdr *h = &ni->hdrs->v[i];

		if (blockbuf_put(o, h->name, strlen(h->name), e) == -1 ||
		    blockbuf_put(o, ":", 1, e) == -1 ||
		    blockbuf_put(o, h->value, strlen(h->value), e) == -1 ||
		    blockbuf_put(o, "\r\n", 2, e) == -1)
			return -1;
	}
	return 0;
}

int
notice_write(const struct notice_info *ni, msg_write_fn fn, void *ctx,
    struct err *e)
{
	char buf[BOUNDS_IO_BLOCK], bnd[128];
	struct blockbuf o;

	/* Collected in blocks so write_fn sees few large writes. */
	blockbuf_init(&o, buf, sizeof(buf), fn, ctx);
	/* RFC 2046 §5.1.1: at most 70 characters; id and time make it
	 * unique, and nothing in the parts starts with it. */
	snprintf(bnd, sizeof(bnd), "relaymail-%s-%lld", ni->id, ni->now);
	if (write_headers(&o, ni, e) == -1 ||
	    nline(&o, e, "%s", "") == -1 ||
	    nline(&o, e, "--%s", bnd) == -1 ||
	    write_human(&o, ni, e) == -1 ||
	    nline(&o, e, "--%s", bnd) == -1 ||
	    write_status(&o, ni, e) == -1 ||
	    nline(&o, e, "--%s", bnd) == -1 ||
	    write_orig(&o, ni, e) == -1 ||
	    nline(&o, e, "%s", "") == -1 ||
	    nline(&o, e, "--%s--", bnd) == -1)
		return -1;
	return blockbuf_flush(&o, e);
}
