/*
 * smtpd.h - relaymail -bs: the server side of SMTP for a local submitter
 * (Symfony Mailer, Laravel, SwiftMailer, monitoring tools) on standard
 * input and output, several transactions per session.
 *
 * Each transaction goes through the path of a message on stdin
 * (send.h: account by sender, aliases, maildomain, force_from, header
 * rules, queue policy, log line, failure notices); the reply to the end
 * of data is 250 only when the relay took the message or it is durably
 * queued, and says which. Recipients are accepted at RCPT when their
 * syntax is good; what the relay then says about each one is in the
 * reply to the end of data (and, for a permanent refusal of some while
 * others got it, in a failure notice to the sender).
 *
 * smtpd_run() is called by main with the send context after the
 * configuration was loaded: cfg_rc is load_config's result and e its
 * error. On a configuration error the client gets a 554 greeting and
 * 503 to everything but QUIT (RFC 5321 §3.1). It returns the exit code:
 * 0 when every transaction that reached the end of data was relayed or
 * queued, else the worst one's (sysexits classes as for a message on
 * stdin); EX_IOERR when the client closed its end of the pipe before
 * QUIT; the configuration's code when it failed.
 * The idle limit is the account's smtpd_timeout (-a's, or the
 * default's; 300 s).
 */
#ifndef RELAYMAIL_SMTPD_H
#define RELAYMAIL_SMTPD_H

#include "err.h"
#include "send.h"

int	 smtpd_run(struct send_ctx *, int cfg_rc, struct err *e);

#endif
