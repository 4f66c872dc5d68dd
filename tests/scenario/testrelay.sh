#!/bin/bash
# Tests of the tester: testrelay itself, driven by a plain bash client
# (/dev/tcp), so the scenario results can be trusted: un-dot-stuffing is
# byte exact, the transcript marks read chunks, AUTH is really checked,
# a password in plaintext is flagged, the lifetime limit holds.
. "$(dirname "$0")/../lib.sh"

# Opens fd 3 to the relay and reads the greeting.
open_client() {
	exec 3<>"/dev/tcp/127.0.0.1/$RELAY_PORT" || fail "cannot connect"
	reply
}
# reply: reads one (multi-line) reply into REPLY_CODE / REPLY_LAST.
reply() {
	local line
	REPLY_CODE=
	while IFS= read -r -t 3 line <&3; do
		line=${line%$'\r'}
		echo "$line" >>"$T/client"
		REPLY_LAST=$line
		if [ "${line:3:1}" != "-" ]; then
			REPLY_CODE=${line:0:3}
			return 0
		fi
	done
	return 1
}
say() { printf '%s\r\n' "$@" >&3; }
want() { [ "$REPLY_CODE" = "$1" ] || fail "got '$REPLY_LAST', want $1 ${2:-}"; }
close_client() { exec 3<&- 3>&-; relay_settle; }
# nopipe_client: a relay that offers no PIPELINING (and takes mail
# without AUTH), a client connected to it, 250 to its EHLO.
nopipe_client() {
	printf 'nocap PIPELINING\nauth-optional\n' | script
	relay_start plain
	open_client
	say "EHLO client.example"; reply; want 250
}
# to_data: MAIL, RCPT and DATA, each after the previous reply.
to_data() {
	say "MAIL FROM:<a@example.com>"; reply; want 250
	say "RCPT TO:<b@example.com>"; reply; want 250
	say DATA; reply; want 354
}

t_begin "DATA is un-dot-stuffed byte for byte, chunks are marked"
relay_start plain
open_client
say "EHLO client.example"; reply; want 250
say "AUTH PLAIN $(printf '\0%s\0%s' "$TUSER" "$PASSWORD" | base64 -w0)"
reply; want 235
# MAIL, RCPT and DATA in one write: one transcript chunk.
printf 'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n' \
    >"$T/pipelined"
cat "$T/pipelined" >&3
reply; want 250; reply; want 250; reply; want 354
printf 'Subject: t\r\n\r\n..one\r\n.\r\n' >&3
reply; want 250
say QUIT; reply; want 221
close_client
printf 'Subject: t\r\n\r\n.one\r\n' >"$T/want"
expect_msg "$T/want"
expect_chunk '^C: MAIL FROM' '^C: RCPT TO' '^C: DATA$'
expect_tr '^--- read [0-9]+ bytes plain$'
expect_tr '^--- auth ok mech=PLAIN'
[ -f "$T/leak" ] || fail "password sent in plaintext was not flagged"
t_end

t_begin "wrong AUTH PLAIN password gets 535, MAIL then 530"
relay_start plain
open_client
say "EHLO client.example"; reply
say "AUTH PLAIN $(printf '\0%s\0%s' "$TUSER" nope | base64 -w0)"
reply; want 535
say "MAIL FROM:<a@example.com>"; reply; want 530
say QUIT; reply
close_client
expect_tr '^--- auth failed mech=PLAIN'
expect_no_msg
t_end

t_begin "AUTH LOGIN and CRAM-MD5 are checked"
relay_start plain -n 3
for pw in "$PASSWORD" wrong; do
	open_client
	say "EHLO c"; reply
	say "AUTH LOGIN"; reply; want 334
	say "$(printf '%s' "$TUSER" | base64 -w0)"; reply; want 334
	say "$(printf '%s' "$pw" | base64 -w0)"; reply
	[ "$pw" = wrong ] && want 535 || want 235
	say QUIT; reply
	exec 3<&- 3>&-
done
open_client
say "EHLO c"; reply
say "AUTH CRAM-MD5"; reply; want 334
chal=$(printf '%s' "${REPLY_LAST#334 }" | base64 -d)
digest=$(printf '%s' "$chal" | openssl dgst -md5 -hmac "$PASSWORD" | sed 's/.*= //')
say "$(printf '%s %s' "$TUSER" "$digest" | base64 -w0)"; reply; want 235
say QUIT; reply
close_client
expect_tr '^--- auth ok mech=LOGIN'
expect_tr '^--- auth failed mech=LOGIN'
expect_tr '^--- auth ok mech=CRAM-MD5'
t_end

t_begin "scripted replies per recipient index and address"
script <<-'EOS'
	auth-optional
	rcpt:2 550 5.1.1 second refused
	rcpt:<c@example.com> 451 4.2.0 c deferred
EOS
relay_start plain
open_client
say "EHLO c"; reply
say "MAIL FROM:<a@example.com>"; reply; want 250
say "RCPT TO:<a@example.com>"; reply; want 250
say "RCPT TO:<b@example.com>"; reply; want 550
say "RCPT TO:<c@example.com>"; reply; want 451
say QUIT; reply
close_client
t_end

t_begin "the relay's lifetime limit ends a stalled session"
script <<-'EOS'
	greeting stall
EOS
t0=$(date +%s)
relay_start plain -L 2
exec 3<>"/dev/tcp/127.0.0.1/$RELAY_PORT" || fail "cannot connect"
wait "$RELAY_PID"
rc=$?
RELAY_PID=
exec 3<&- 3>&-
[ $(($(date +%s) - t0)) -le 4 ] || fail "relay outlived its lifetime"
[ "$rc" = 2 ] || fail "relay exit $rc, want 2"
t_end

# Without PIPELINING the relay is as strict as OpenSMTPD: a command sent
# before the previous reply gets 500 5.5.1 and the connection is dropped,
# with the message; one command per round trip is served normally.
t_begin "without PIPELINING: QUIT pipelined with the end of data -> 500, no message"
nopipe_client
to_data
printf 'Subject: t\r\n\r\nbody\r\n.\r\nQUIT\r\n' >"$T/eod"
cat "$T/eod" >&3		# one write
reply; want 500
close_client
expect_tr '^--- pipelining violation after end of data'
expect_no_msg
t_end

t_begin "without PIPELINING: MAIL and RCPT in one write -> 500"
nopipe_client
printf 'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n' \
    >"$T/pipelined"
cat "$T/pipelined" >&3
reply; want 500
close_client
expect_tr '^--- pipelining violation after MAIL'
t_end

t_begin "without PIPELINING: one command per round trip is delivered"
nopipe_client
to_data
printf 'Subject: t\r\n\r\nbody\r\n.\r\n' >&3
reply; want 250
say QUIT; reply; want 221
close_client
printf 'Subject: t\r\n\r\nbody\r\n' >"$T/want"
expect_msg "$T/want"
expect_no_tr 'pipelining violation'
t_end

t_begin "IPv6 loopback listener"
script <<-'EOS'
	auth-optional
EOS
relay_start plain -l ::1
exec 3<>"/dev/tcp/::1/$RELAY_PORT" || fail "cannot connect to ::1"
reply; want 220
say QUIT; reply; want 221
close_client
t_end

t_finish
