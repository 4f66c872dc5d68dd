#!/bin/bash
# The stage matrix: every SMTP stage x {4xx, 5xx, disconnect,
# stall, garbage}, over STARTTLS (so every stage exists and TLS and AUTH
# are both required). 4xx, a dropped connection and a stall are temporary
# (75; a stall must end within the timeout); 5xx gets its class; garbage
# is a protocol error (76). After a failure before MAIL the relay must
# have received no MAIL; before the end of data, no message.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-queue.sh"

STAGES="greeting ehlo starttls auth mail rcpt data eod"
TIMEOUT=2
# The cases that wait out a timeout run side by side; under valgrind on a
# busy machine the steps before the stall (a TLS handshake, AUTH) need
# more than 2 s each, so they get a longer timeout there.
WAIT_TIMEOUT=$((TIMEOUT + 2 * SLACK))

# The 5xx reply for each stage and the exit code it must map to (relaymail(8)
# with RFC 3463 refining the class).
perm_reply() {
	case $1 in
	greeting) echo "554 5.3.2 scripted-perm no service" ;;
	ehlo) echo "550 5.5.0 scripted-perm go away" ;;
	starttls) echo "554 5.7.0 scripted-perm no TLS today" ;;
	auth) echo "535 5.7.8 scripted-perm bad credentials" ;;
	mail) echo "550 5.7.1 scripted-perm sender refused" ;;
	rcpt) echo "550 5.1.1 scripted-perm no such user" ;;
	data) echo "554 5.5.1 scripted-perm no valid recipients" ;;
	eod) echo "554 5.6.0 scripted-perm content refused" ;;
	esac
}
perm_code() {
	case $1 in
	auth) echo 77 ;;
	rcpt) echo 67 ;;
	eod) echo 65 ;;
	*) echo 69 ;;
	esac
}
temp_reply() {
	case $1 in
	greeting) echo "421 4.3.2 scripted-temp busy" ;;
	starttls) echo "454 4.7.0 scripted-temp TLS not available" ;;
	auth) echo "454 4.7.0 scripted-temp auth unavailable" ;;
	*) echo "451 4.3.0 scripted-temp try later" ;;
	esac
}

# The relay stalled (or began dripping) at FROM: the client must have
# given up one timeout later, as the relay saw it. Not before half of it
# (the deadline is not cut short), not after twice it and a second (a
# deadline that did not fire waits for the relay's 30 s lifetime).
expect_deadline() {	# FROM_RE
	expect_waited "$1" '^--- (client closed|read error)' \
	    $((WAIT_TIMEOUT * 500)) $((WAIT_TIMEOUT * 2000 + 1000))
}

# What the relay may have received when stage failed.
check_received() {
	case $1 in
	greeting|ehlo|starttls) expect_no_mail ;;
	auth) expect_no_mail_after_auth ;;
	mail|rcpt|data) expect_no_msg ;;
	eod) expect_msg "$T/expected" ;;	# bytes arrived, reply failed
	esac
}

stage_case() {	# stage kind
	local stage=$1 kind=$2 want action
	case $kind in
	4xx) action=$(temp_reply "$stage"); want=75 ;;
	5xx) action=$(perm_reply "$stage"); want=$(perm_code "$stage") ;;
	disconnect) action=drop; want=75 ;;
	stall) action=stall; want=75 ;;
	garbage) action=garbage; want=76 ;;
	esac
	t_begin "$stage x $kind -> $want"
	echo "$stage $action" | script
	relay_start starttls
	if [ "$kind" = stall ]; then
		conf timeout=$WAIT_TIMEOUT
	else
		conf timeout=$TIMEOUT
	fi
	send rcpt@example.com
	expect_rc "$want"
	check_received "$stage"
	case $kind in
	4xx|5xx) expect_err 'scripted-(temp|perm)' ;;
	stall) expect_deadline '^--- stalling' ;;
	esac
	[ "$stage" = auth ] || [ "$stage" = greeting ] ||
	    [ "$stage" = ehlo ] || [ "$stage" = starttls ] ||
	    expect_tr '^--- auth ok'
	expect_no_leak
	t_end
}

for stage in $STAGES; do
	for kind in 4xx 5xx disconnect garbage; do
		stage_case "$stage" "$kind"
	done
done
# Stalls wait out the timeout: run them side by side.
for stage in $STAGES; do
	t_parallel stage_case "$stage" stall
done
t_wait

# A reply dripped one byte at a time must still time out as a whole.
drip_case() {	# stage
	t_begin "$1 reply dripped one byte per 300 ms -> 75 in bounded time"
	local code=250
	[ "$1" = greeting ] && code=220
	echo "$1 drip $code-dripping slowly, the whole reply takes far longer than the timeout\r\n$code ok" | script
	relay_start starttls
	conf timeout=$WAIT_TIMEOUT
	send rcpt@example.com
	expect_rc 75
	expect_deadline '^--- dripping'
	expect_no_msg
	t_end
}
t_parallel drip_case greeting
t_parallel drip_case mail
t_wait

# Without PIPELINING every command waits for its reply, QUIT included
# (RFC 2920 §3.1). The relay is as strict as OpenSMTPD: anything sent
# before its reply gets "500 5.5.1 Pipelining not supported" and the
# message is dropped.
strict_case() {	# title, tls mode, extra script lines, config overrides...
	local title=$1 mode=$2 extra=$3
	shift 3
	t_begin "no PIPELINING, strict relay: $title"
	printf 'nocap PIPELINING\n%b' "$extra" | script
	relay_start "$mode"
	conf "$@"
	send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	expect_no_tr 'pipelining violation'
	expect_tr '^C: QUIT$'
	t_end
}
strict_case "STARTTLS, AUTH PLAIN, DATA, then QUIT" starttls ""
strict_case "AUTH LOGIN, DATA, then QUIT" implicit "" auth=login
strict_case "CHUNKING: BDAT LAST, then QUIT" implicit "cap CHUNKING\n"

t_begin "no PIPELINING, strict relay: a queue run sends two messages over one connection"
conf_down
send rcpt@example.com
send other@example.com
expect_queued 2
echo "nocap PIPELINING" | script
relay_back
[ "$QRC" = 0 ] || fail "-q exit $QRC: $(cat "$T/q.err")"
expect_queued 0
expect_no_tr 'pipelining violation'
[ -f "$T/msg.2" ] || fail "the second message did not arrive"
[ "$(grep -c '^=== connection' "$T/transcript")" = 1 ] ||
    fail "not one connection"
t_end

t_finish
