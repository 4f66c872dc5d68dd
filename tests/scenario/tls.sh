#!/bin/bash
# TLS fails closed (relaymail(8)): bad certificates, old protocol
# versions, STARTTLS missing or tampered with, a plaintext server on an
# implicit-TLS port. After any TLS failure the relay gets no AUTH and no
# MAIL, and the password never crosses in the clear.
. "$(dirname "$0")/../lib.sh"

# What the error must say for each certificate: what is wrong with it
# and the key that fixes it.
cert_advice() {
	case $1 in
	expired) echo 'valid until 2001-01-01 00:00 UTC; it has expired: .*renew' ;;
	other) echo 'is for mail\.example\.org, .*; expected 127\.0\.0\.1: .*tls_server_name' ;;
	self) echo 'issued by "CN=localhost", .*not in tls_ca_file .*tls_pin = sha256/' ;;
	unknown) echo 'issued by "CN=unknown test CA", .*not in tls_ca_file .*tls_pin = sha256/' ;;
	clientauth) echo 'is for localhost, 127\.0\.0\.1, ::1, .*Extended Key Usage does not allow a TLS server' ;;
	esac
}

cert_case() {	# cert mode
	t_begin "$2: certificate '$1' is refused -> 69, with the fix"
	CERT=$1 relay_start "$2"
	send rcpt@example.com
	expect_rc 69
	expect_err "$(cert_advice "$1")"
	expect_no_tr '^--- tls established'
	expect_no_tr '^C: AUTH'
	expect_no_mail
	expect_no_leak
	t_end
}
for c in expired other self unknown clientauth; do
	cert_case "$c" implicit
done
cert_case expired starttls
cert_case unknown starttls
cert_case clientauth starttls

t_begin "certificate for another name accepted with tls_server_name"
CERT=other relay_start implicit
conf tls_server_name=mail.example.org
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

# A relay with only TLS 1.0/1.1 is permanently unusable (RFC 8996): 69,
# never queued, and the error names its version (learnt on a second
# connection that stops at the ServerHello), whether it answers with an
# alert or, version-intolerant, closes the connection without a word.
old_tls_case() {	# title, mode, script, server versions, version named
	t_begin "$1 -> 69, names $5, not queued"
	printf '%b' "$3" | script
	relay_start "$2" -n 2 -P "NORMAL:-VERS-ALL:$4"
	conf queue=on-failure
	send rcpt@example.com
	expect_rc 69
	expect_err "offers only $5"
	expect_no_tr '^--- tls established'
	expect_no_tr '^C: (AUTH|MAIL)'
	expect_no_mail
	[ -z "$(ls "$T/queue/msg" 2>/dev/null)" ] || fail "the message was queued"
	t_end
}
old_tls_case "TLS 1.0/1.1-only server (alert)" implicit "" \
    "+VERS-TLS1.1:+VERS-TLS1.0" "TLS 1\.1"
old_tls_case "TLS 1.0-only server (alert), STARTTLS" starttls "" \
    "+VERS-TLS1.0" "TLS 1\.0"
old_tls_case "TLS 1.0/1.1-only server closing without an alert" implicit \
    "tls-intolerant\n" "+VERS-TLS1.1:+VERS-TLS1.0" "TLS 1\.1"
old_tls_case "TLS 1.0/1.1-only server closing without an alert, STARTTLS" \
    starttls "tls-intolerant\n" "+VERS-TLS1.1:+VERS-TLS1.0" "TLS 1\.1"

t_begin "a server that closes the handshake and has no old TLS either -> 75"
echo tls-intolerant | script
relay_start implicit -n 2 -P 'NORMAL:-VERS-ALL:+VERS-TLS1.3'
send rcpt@example.com
expect_rc 75
expect_err 'lost during the TLS handshake'
expect_no_mail
t_end

t_begin "tls_min_version = 1.3 refuses a TLS 1.2-only server -> 69, says so"
relay_start implicit -n 2 -P 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
conf tls_min_version=1.3
send rcpt@example.com
expect_rc 69
expect_err 'offers only TLS 1\.2, but tls_min_version = 1\.3 .*tls_min_version = 1\.2'
expect_no_mail
t_end

t_begin "TLS 1.2 server accepted by default"
relay_start implicit -P 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
send rcpt@example.com
expect_rc 0
expect_tr '^--- tls established TLS1\.2'
expect_msg "$T/expected"
t_end

t_begin "STARTTLS not offered -> 69, nothing sent in the clear"
script <<-'EOS'
	nocap STARTTLS
	auth-before-tls
EOS
relay_start starttls
send rcpt@example.com
expect_rc 69
expect_no_tr '^C: AUTH'
expect_no_mail
expect_no_leak
t_end

t_begin "plaintext injected after STARTTLS's 220 -> 76, no MAIL"
script <<-'EOS'
	starttls inject
EOS
relay_start starttls
send rcpt@example.com
expect_rc 76
expect_no_tr '^C: AUTH'
expect_no_mail
expect_no_leak
t_end

t_begin "plaintext server on an implicit-TLS port -> 76, names tls = starttls"
relay_start plain
conf tls=implicit
send rcpt@example.com
expect_rc 76
expect_err 'tls = starttls'
expect_no_mail
expect_no_leak
t_end

t_begin "TLS server on a STARTTLS port -> 75 in bounded time, names port = 465"
relay_start implicit
conf tls=starttls timeout=2
send rcpt@example.com
expect_rc 75
# one timeout from the connection to the client's giving up, as the relay
# saw it (its handshake ends when the client closes)
expect_waited '^=== connection' '^--- tls handshake failed' 1000 5000
expect_err '465'
expect_no_mail
t_end

# Port 465 is implicit TLS (RFC 8314): STARTTLS there would wait out the
# timeout for a greeting that never comes and queue for days. It is the
# configuration's fault: 78 at once, nothing queued, no connection.
t_begin "tls = starttls with port = 465 -> 78 at once, names tls = implicit"
conf tls=starttls port=465 queue=on-failure
send rcpt@example.com
expect_rc 78
expect_err 'port 465 .*tls = implicit'
expect_err 'config:[0-9]+'
[ -z "$(ls "$T/queue/msg" 2>/dev/null)" ] || fail "the message was queued"
t_end

t_begin "--relay=smtp://...:465 (STARTTLS to 465) -> 78, no connection"
conf queue=on-failure
send --relay=smtp://127.0.0.1:465 rcpt@example.com
expect_rc 78
expect_err 'port 465 .*tls = implicit'
[ -z "$(ls "$T/queue/msg" 2>/dev/null)" ] || fail "the message was queued"
t_end

# A TLS record (here an alert, 0x15 0x03 0x03) where "220" was due: the
# relay speaks TLS from the first byte. 78 at once, not a timeout.
t_begin "a TLS record instead of the greeting -> 78 at once, names tls = implicit"
echo 'greeting reply \x15\x03\x03\x00\x02\x02\x46' | script
relay_start plain
conf tls=starttls timeout=30 queue=on-failure
send rcpt@example.com
expect_rc 78
expect_err 'TLS record where the SMTP greeting was due.*tls = implicit'
# at once, not after the 30 s timeout
expect_waited '^=== connection' '^--- (client closed|read error)' 0 10000
expect_no_mail
[ -z "$(ls "$T/queue/msg" 2>/dev/null)" ] || fail "the message was queued"
t_end

t_begin "--check-config: 465 with starttls is an error, 587 with implicit a warning"
conf tls=starttls port=465
msg_default
send_raw -C "$T/config" --check-config
expect_rc 78
grep -qE 'config:[0-9]+: .*port 465 is the implicit-TLS port' "$T/stdout" ||
    fail "no 465 error: $(cat "$T/stdout")"
conf tls=implicit port=587
send_raw -C "$T/config" --check-config
expect_rc 0
grep -qE 'config:[0-9]+: warning: .*port 587 is the STARTTLS port' "$T/stdout" ||
    fail "no 587 warning: $(cat "$T/stdout")"
t_end

t_begin "AUTH offered before STARTTLS is not used before it"
script <<-'EOS'
	auth-before-tls
EOS
relay_start starttls
send rcpt@example.com
expect_rc 0
expect_no_leak
expect_tr '^--- auth ok'
awk '/^--- read .* plain$/ {p = 1; next} /^---/ {p = 0} p && /^C: AUTH/' \
    "$T/transcript" | grep -q . && fail "AUTH sent in plaintext"
expect_msg "$T/expected"
t_end

t_begin "tls_pin matching the server key is accepted"
relay_start implicit
pin=$(certtool -i --infile "$CERTS/server.pem" | sed -n 's/.*pin-sha256:/sha256\//p' | head -1)
conf tls_pin="$pin"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

t_begin "tls_pin not matching -> 69"
relay_start implicit
conf tls_pin="sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
send rcpt@example.com
expect_rc 69
# The pin is base64: '+' and '/' are matched literally, not as regex.
pin=$(certtool -i --infile "$CERTS/server.pem" |
    sed -n 's/.*pin-sha256:/sha256\//p' | head -1)
grep -qaF "does not match tls_pin: it is $pin" "$T/stderr" ||
    fail "stderr lacks the relay's pin $pin"
expect_no_mail
t_end

t_begin "client certificate presented"
relay_start implicit -A "$CERTS/ca.pem"
conf tls_cert_file="$CERTS/client.pem" tls_key_file="$CERTS/client-key.pem"
send rcpt@example.com
expect_rc 0
expect_tr '^--- client-cert verified'
expect_msg "$T/expected"
t_end

t_begin "IPv6 loopback (::1) over implicit TLS"
relay_start implicit -l ::1
conf host=::1
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

t_finish
