#!/bin/sh
# Interop premise: the private Postfix of lib-postfix.sh works on its own,
# without relaymail: TLS on both ports (gnutls-cli, test CA), SASL AUTH
# accepted and a wrong password refused (535), RCPT refused without AUTH,
# a bare sender `root` refused (so the other groups prove relaymail's
# maildomain), and delivery to the Maildir. A failure here is a test-setup
# problem, not a relaymail bug.
. "$(dirname "$0")/lib-postfix.sh"
pf_selftest
