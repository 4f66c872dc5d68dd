/*
 * account.h - choosing the account for a message (relaymail.conf(5)),
 * and the ad-hoc account of --relay=URL (relaymail(8)).
 *
 * Order: the -a name; else the first account whose match_from globs match
 * the envelope sender (a user+detail@ sender also matches user@ patterns);
 * else the top-level `default`; else the only account when there is one.
 */
#ifndef RELAYMAIL_ACCOUNT_H
#define RELAYMAIL_ACCOUNT_H

#include "conf.h"

/*
 * Pick the account. sender may be NULL or "" (no sender known yet or the
 * null sender: match_from is then skipped). why receives a one-line
 * human reason ("-a work", "sender bob@x matches *@x in [work]",
 * "default = work"). EX_CONFIG when the named account does not exist or
 * nothing can be chosen.
 */
int	 account_select(const struct conf *, const char *cli_name,
	    const char *sender, struct account **out, char *why,
	    size_t whylen, struct err *);

/* 1 when the glob pattern matches the address (case-insensitive domain,
 * +detail stripped as described above), else 0. */
int	 account_match_from(const char *pattern, const char *addr);

/*
 * Fill an account from --relay=URL: smtps://[user@]host[:port] (implicit)
 * or smtp://[user@]host[:port] (STARTTLS); IPv6 literals in brackets.
 * Other keys come from base when not NULL ([defaults] or the default
 * account), else built-in defaults. EX_USAGE on a bad URL. Free it with
 * conf_account_free().
 */
int	 account_from_url(struct account *out, const char *url,
	    const struct account *base, struct err *);

#endif
