/*
 * envelope.c - the envelope sender and recipients (relaymail(8): -t, -f;
 * RFC 5321 §4.1.1.2 MAIL, §4.1.1.3 RCPT, §4.5.3.1 sizes).
 *
 * -t follows RFC 5322 §3.6.6: when a message has been resent, the
 * recipients are those of the latest resending, i.e. the topmost block
 * of Resent- fields (resent blocks are prepended). We take that block as
 * the contiguous run of Resent-* fields starting at the first one, up
 * to a trace field or a repeated field name (the next block), and
 * its Resent-To, Resent-Cc and Resent-Bcc. Otherwise To, Cc and Bcc.
 * Header and argument recipients are merged, as Postfix does.
 *
 * -f and recipient arguments are plain addresses (comma lists allowed for
 * cron's MAILTO); CR, LF, '<' or '>' in them is refused (relaymail(8)), only
 * "<>" means the null sender. Every address is checked with addr_check() after
 * alias expansion and qualification, so nothing that reaches MAIL FROM or RCPT
 * TO can hold CR, LF, NUL, '<' or '>'. Duplicates: the same local part and the
 * same domain ignoring case (RFC 5321 §2.4).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "alias.h"
#include "envelope.h"
#include "hdr.h"

void
envelope_init(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
}

void
envelope_free(struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpt; i++)
		free(env->rcpt[i]);
	env->nrcpt = 0;
}

static int
is_null_sender(const char *s)
{
	return strcmp(s, "") == 0 || strcmp(s, "<>") == 0;
}

int
envelope_check_addr(const char *addr, struct err *e)
{
	if (is_null_sender(addr))
		return 0;
	return addr_check(addr, e);
}

static int
set_sender(struct envelope *env, const struct envelope_opts *o,
    struct err *e)
{
	const char *s = o->sender;

	if (o->force_from && o->account_from != NULL)
		s = o->account_from;
	else if (s == NULL)
		s = o->account_from;
	if (s == NULL)
		s = o->user;
	if (s == NULL)
		return err_set(e, EX_USAGE, "no sender: give -f");
	if (is_null_sender(s)) {
		env->sender[0] = '\0';
		return 0;
	}
	if (addr_check(s, e) == -1 ||
	    addr_qualify(s, o->maildomain, env->sender,
	    sizeof(env->sender), e) == -1)
		return err_prefix(e, "sender");
	return 0;
}

/*
 * End of the Resent- block starting at start: the run of Resent-*
 * fields, cut where a field name of the block repeats (RFC 5322 §3.6.6:
 * each block has one Resent-Date, one Resent-From, ... so a repeat
 * starts the next, older, block).
 */
static size_t
resent_block_end(const struct hdrs *h, size_t start)
{
	size_t end, j;

	for (end = start; end < h->n &&
	    strncasecmp(h->v[end].name, "Resent-", 7) == 0; end++)
		for (j = start; j < end; j++)
			if (strcasecmp(h->v[j].name, h->v[end].name) == 0)
				return end;
	return end;
}

/* Header recipients for -t (see the comment at the top). */
static int
header_rcpts(const struct msg *m, struct addr_list *out, struct err *e)
{
	static const char *const plain[] = { "To", "Cc", "Bcc" };
	static const char *const resent[] = {
		"Resent-To", "Resent-Cc", "Resent-Bcc"
	};
	const struct hdrs *h = &m->hdrs;
	const char *const *names = plain;
	size_t i, k, start = 0, end = h->n;

	for (i = 0; i < h->n; i++)
		if (strncasecmp(h->v[i].name, "Resent-", 7) == 0)
			break;
	if (i < h->n) {
		names = resent;
		start = i;
		end = resent_block_end(h, start);
	}
	for (i = start; i < end; i++)
		for (k = 0; k < 3; k++)
			if (strcasecmp(h->v[i].name, names[k]) == 0 &&
			    addr_parse_list(h->v[i].value, out, e) == -1)
				return err_prefix(e, "%s", names[k]);
	return 0;
}

static int
argv_rcpts(const struct envelope_opts *o, struct addr_list *out,
    struct err *e)
{
	int i;

	for (i = 0; i < o->nargv_rcpt; i++) {
		/* relaymail(8): an argument holding CR, LF, '<' or '>' is
		 * refused as a whole, before parsing (the list parser
		 * would take CR/LF as folding and <> as syntax). */
		if (strpbrk(o->argv_rcpt[i], "\r\n<>") != NULL)
			return err_set(e, EX_DATAERR, "invalid address: "
			    "recipient argument holds CR, LF, '<' or '>'");
		if (addr_parse_list(o->argv_rcpt[i], out, e) == -1)
			return err_prefix(e, "recipient \"%.80s\"",
			    o->argv_rcpt[i]);
	}
	return 0;
}

static int
add_rcpt(struct envelope *env, const char *a, const char *maildomain,
    struct err *e)
{
	char buf[BOUNDS_ADDR + 1];
	size_t i;

	if (addr_qualify(a, maildomain, buf, sizeof(buf), e) == -1 ||
	    addr_check(buf, e) == -1)
		return -1;
	for (i = 0; i < env->nrcpt; i++)
		if (addr_equal(env->rcpt[i], buf))
			return 0;
	if (env->nrcpt == BOUNDS_RCPTS)
		return err_set(e, EX_DATAERR, "more than %d recipients",
		    BOUNDS_RCPTS);
	if ((env->rcpt[env->nrcpt] = strdup(buf)) == NULL)
		return err_nomem(e);
	env->nrcpt++;
	return 0;
}

/* Aliases first (they name bare local names), then qualification. */
static int
resolve(struct envelope *env, const struct envelope_opts *o,
    const struct addr_list *raw, struct err *e)
{
	struct aliases al;
	struct addr_list x;
	size_t i;
	int r = 0;

	alias_init(&al);
	addr_list_init(&x);
	if (o->aliases != NULL) {
		if ((r = alias_load(&al, o->aliases, e)) == 0)
			for (i = 0; r == 0 && i < raw->n; i++)
				r = alias_expand(&al, raw->v[i], o->maildomain,
				    &x, e);
		raw = &x;
	}
	for (i = 0; r == 0 && i < raw->n; i++)
		r = add_rcpt(env, raw->v[i], o->maildomain, e);
	addr_list_free(&x);
	alias_free(&al);
	return r;
}

int
envelope_build(struct envelope *env, const struct envelope_opts *o,
    const struct msg *m, struct err *e)
{
	struct addr_list raw;
	int r;

	envelope_free(env);
	if (set_sender(env, o, e) == -1)
		return -1;
	addr_list_init(&raw);
	r = argv_rcpts(o, &raw, e);
	if (r == 0 && o->from_headers && m != NULL)
		r = header_rcpts(m, &raw, e);
	if (r == 0)
		r = resolve(env, o, &raw, e);
	addr_list_free(&raw);
	if (r == 0 && env->nrcpt == 0)
		r = err_set(e, EX_USAGE, "no recipients");
	if (r == -1)
		envelope_free(env);
	return r;
}
