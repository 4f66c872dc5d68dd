/*
 * fuzz_hdr.c - libFuzzer target for the header rewriting of relaymail(8)
 * (hdr.c, RFC 5322 §3.6): the input is a message read with msg_read(),
 * then hdr_prepare() with fixed options (maildomain set; force_from on
 * when the first input octet is odd), then msg_emit(). Invariants:
 *  - no crash, no leak, no UB;
 *  - the output has no bare CR and no bare LF (every CR is followed by
 *    LF, every LF preceded by CR);
 *  - no Bcc, Resent-Bcc or Return-Path field is left in the output;
 *  - Date, Message-ID and From are each present: exactly once when the
 *    input had at most one (hdr_prepare adds what is missing and, per
 *    relaymail(8), does not remove a submitter's duplicates), the input's
 *    count otherwise; with force_from exactly one From.
 * The output's header section is re-parsed from the emitted bytes (not
 * from struct msg), so what is checked is what would go on the wire.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "hdr.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The emitted bytes, header section only (body checked for CRLF). */
struct out {
	char	*hdr;
	size_t	 hlen, cap;
	int	 in_body, cr, bol, seen_blank;
};

static int
collect(void *ctx, const void *buf, size_t n, struct err *e)
{
	struct out *o = ctx;
	const unsigned char *p = buf;
	size_t i;

	(void)e;
	for (i = 0; i < n; i++) {
		if (o->cr != (p[i] == '\n'))
			abort();		/* bare CR or bare LF */
		o->cr = p[i] == '\r';
		if (o->in_body)
			continue;
		if (o->hlen + 1 >= o->cap) {
			o->cap = o->cap ? o->cap * 2 : 4096;
			if ((o->hdr = realloc(o->hdr, o->cap)) == NULL)
				abort();
		}
		o->hdr[o->hlen++] = (char)p[i];
		if (o->hlen >= 4 && memcmp(o->hdr + o->hlen - 4, "\r\n\r\n",
		    4) == 0)
			o->in_body = 1;
		else if (o->hlen == 2 && memcmp(o->hdr, "\r\n", 2) == 0)
			o->in_body = 1;
	}
	return 0;
}

/* Fields named name at the start of a line (not a continuation). */
static size_t
count_fields(const char *h, size_t len, const char *name)
{
	size_t i, j, n = 0, nl = strlen(name);

	for (i = 0; i < len; i++) {
		if (i != 0 && h[i - 1] != '\n')
			continue;
		if (len - i <= nl || strncasecmp(h + i, name, nl) != 0)
			continue;
		/* RFC 5322 §4.5: blanks may precede the colon. */
		for (j = i + nl; j < len && (h[j] == ' ' || h[j] == '\t'); j++)
			;
		if (j < len && h[j] == ':')
			n++;
	}
	return n;
}

/* Fields named name as msg_read parsed them. */
static size_t
count_parsed(const struct hdrs *h, const char *name)
{
	size_t n = 0;
	int i = -1;

	while ((i = hdr_find(h, name, (size_t)(i + 1))) >= 0)
		n++;
	return n;
}

static size_t
expect(size_t in)
{
	return in == 0 ? 1 : in;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr_opts o = { "sender@example.org", "Full Name", "user",
	    "host.example", "id.example", NULL, 1700000000 };
	struct out out = { NULL, 0, 0, 0, 0, 1, 0 };
	size_t ndate, nid, nfrom;
	struct msg m;
	struct err e;
	int fd;

	if (size > 0 && (data[0] & 1))
		o.force_from = "Account <acct@example.org>";
	if ((fd = fuzz_memfd(data, size)) == -1)
		return 0;
	msg_init(&m);
	if (msg_read(&m, fd, 0, &e) != 0)
		goto done;
	ndate = count_parsed(&m.hdrs, "Date");
	nid = count_parsed(&m.hdrs, "Message-ID");
	nfrom = count_parsed(&m.hdrs, "From");
	if (hdr_prepare(&m, &o, &e) != 0)
		goto done;
	if (msg_emit(&m, 0, collect, &out, &e) != 0)
		abort();
	if (count_fields(out.hdr, out.hlen, "Bcc") != 0 ||
	    count_fields(out.hdr, out.hlen, "Resent-Bcc") != 0 ||
	    count_fields(out.hdr, out.hlen, "Return-Path") != 0 ||
	    count_fields(out.hdr, out.hlen, "Date") != expect(ndate) ||
	    count_fields(out.hdr, out.hlen, "Message-ID") != expect(nid) ||
	    count_fields(out.hdr, out.hlen, "From") !=
	    (o.force_from != NULL ? 1 : expect(nfrom)))
		abort();
done:
	free(out.hdr);
	msg_free(&m);
	close(fd);
	return 0;
}
