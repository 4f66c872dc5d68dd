/*
 * diag.h - what relaymail tells the user beyond the exit code: the
 * diagnostics that show what relaymail would do or what a relay offers,
 * without sending mail (--dry-run's plan, --probe, --check-config's
 * aliases check), and the warnings about a delivery that the protocol
 * layer records but does not print.
 */
#ifndef RELAYMAIL_DIAG_H
#define RELAYMAIL_DIAG_H

#include <stdio.h>
#include "conf.h"
#include "envelope.h"
#include "err.h"
#include "msg.h"

struct relay_session;

/* --dry-run: the account and why, relays, TLS and AUTH plan, maildomain,
 * final envelope and final headers. Connects to nothing. */
void	 diag_print_plan(const struct account *, const char *why,
	    const char *maildomain, const struct envelope *,
	    const struct msg *, FILE *out);
/* --probe: connect, TLS, EHLO, AUTH (confirmed), print what the relay
 * offers and its certificate; send no mail. Errors as relay_open's. */
int	 diag_probe(struct account *, const char *why, FILE *trace,
	    FILE *out, struct err *);

/* --check-config: load every aliases file the accounts name and expand
 * every alias; print each problem ("file:line: ...") to out. Returns the
 * number of problems. */
int	 diag_check_aliases(const struct conf *, FILE *out);

/* After relay_send: when the relay took the message although it refused
 * the AUTH sent with it (s->auth_refused), say so on stderr and in the
 * log, with the AUTH reply: the account's credentials are wrong. */
void	 diag_auth_warn(const struct relay_session *);

#endif
