#!/bin/bash
# Failover (relaymail.conf(5) `host`, `fallback`): every host of an
# account in order, then the `fallback` account on a temporary failure,
# all under one overall deadline; permanent failures never fall back; the
# log line names the relay that took the message.
#
# `port` is per account, so a second "host" on the same port is another
# loopback address: 127.0.0.2 on the relay's port is a closed port (the
# relay binds 127.0.0.1 only), and `localhost` reaches the relay again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-accounts.sh"

# Under valgrind on a busy machine a TLS handshake can take more than
# 2 s by itself: the timeout grows there (the bounds follow it).
TIMEOUT=$((2 + 2 * SLACK))

# fo_conf HOSTS [extra lines]: one account on the case's relay port.
fo_conf() {
	local hosts=$1
	shift
	{
		printf 'default = a\n[a]\n'
		{
			relay_keys
			printf 'host = %s\ntimeout = %s\n' "$hosts" "$TIMEOUT"
			printf 'log = file:%s\nfrom = sender@example.com\n' "$T/log"
			printf '%s\n' "$@"
		} | last_wins
	} | mconf
}

# Log lines of the case.
log_has() {
	grep -qaE -- "$1" "$T/log" 2>/dev/null ||
	    fail "log lacks /$1/: $(tr '\n' '|' <"$T/log" 2>/dev/null)"
}

# "Quickly" (no timeout waited on the closed port): the timeout is 60 s,
# far beyond the bound, so valgrind's start-up on a busy machine cannot
# make the case fail while a wait on the dead host still would.
t_begin "first host a closed port, second takes it; the log names it"
relay_start implicit
fo_conf "127.0.0.2, 127.0.0.1" "timeout = 60"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
[ "$(relay_conns)" = 1 ] || fail "relay saw $(relay_conns) connections"
log_has "account=a relay=\\[127\\.0\\.0\\.1\\]:$RELAY_PORT .*exit=0"
grep -qa 'relay=\[127\.0\.0\.2\]' "$T/log" && fail "log names the dead host"
expect_fast 20
t_end

# relaymail(8): the log line has "the relay's reply and queue id" - the
# end-of-data reply, not QUIT's 221 that follows it.
t_begin "the log line carries the end-of-data reply with the queue id"
relay_start implicit
fo_conf "127.0.0.2, 127.0.0.1"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
log_has 'reply="?250 2\.0\.0 Ok: queued as TESTRELAY'
t_end

t_begin "first host a closed port, under -v the failover is shown"
relay_start plain
fo_conf "127.0.0.2, 127.0.0.1"
send -v rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_err '127\.0\.0\.2.*(refused|cannot connect).*trying 127\.0\.0\.1'
t_end

t_begin "421 at the first host's greeting: the next host takes it"
script <<-'EOS'
	@1 greeting 421 4.3.2 busy, try another
EOS
relay_start implicit -n 2
fo_conf "127.0.0.1, localhost"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
[ "$(relay_conns)" = 2 ] || fail "relay saw $(relay_conns) connections"
log_has 'exit=0'
t_end

t_begin "every host down -> 75, quickly, nothing sent"
relay_start implicit
dead=$(dead_port)
fo_conf "127.0.0.2, 127.0.0.3, 127.0.0.1" "port = $dead" "timeout = 60"
send rcpt@example.com
expect_rc 75
expect_no_connect
expect_fast 20
log_has 'exit=75'
t_end

# Cases that wait out timeouts run in parallel.
stall_first_case() {
	t_begin "stalled first host, 3 hosts, timeout=$TIMEOUT: delivered by the third, time bounded"
	script <<-'EOS'
	@1 greeting stall
	EOS
	relay_start implicit -n 2
	fo_conf "127.0.0.1, 127.0.0.2, localhost"
	send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	expect_tr '^--- stalling'
	[ "$(relay_conns)" = 2 ] || fail "relay saw $(relay_conns) connections"
	# One timeout waited out on the first host, as the relay saw it
	# (from its stall to the client's leaving), then the next host.
	expect_waited '^--- stalling' '^--- (client closed|read error)' \
	    $((TIMEOUT * 500)) $((TIMEOUT * 2000 + 1000))
	expect_waited '^--- stalling' '^=== connection 2' \
	    $((TIMEOUT * 500)) $((TIMEOUT * 2000 + 2000))
	t_end
}

stall_all_case() {
	t_begin "3 stalled hosts -> 75 within the overall deadline"
	script <<-'EOS'
	greeting stall
	EOS
	relay_start implicit -n 3
	fo_conf "127.0.0.1, localhost, 127.0.0.1"
	send rcpt@example.com
	expect_rc 75
	expect_no_mail
	# One budget of (hosts + 1) x timeout for the whole account, from the
	# first stall to the last host given up, as the relay saw it.
	expect_waited '^--- stalling' '^--- (client closed|read error)' \
	    $((TIMEOUT * 1000)) $((4 * TIMEOUT * 1000 + 1500))
	t_end
}

# A greeting dripped one byte every 300 ms never trips the per-read
# timeout; only the overall deadline can end it (a 60 s greeting per
# host, 3 hosts).
drip_all_case() {
	local long
	long=$(printf 'x%.0s' $(seq 200))
	t_begin "3 hosts dripping the greeting -> 75 within the overall deadline"
	printf 'greeting drip 220 %s\n' "$long" | script
	relay_start implicit -n 3
	fo_conf "127.0.0.1, localhost, 127.0.0.1"
	send rcpt@example.com
	expect_rc 75
	expect_no_mail
	expect_waited '^--- dripping' '^--- (client closed|read error)' \
	    $((TIMEOUT * 1000)) $((4 * TIMEOUT * 1000 + 1500))
	t_end
}

t_parallel stall_first_case
t_parallel stall_all_case
t_parallel drip_all_case

# Two accounts: a (the case's relay) falls back to b (a second relay).
fb_conf() {
	mconf <<-EOF
	default = a
	[defaults]
	log = file:$T/log
	from = sender@example.com
	[a]
	$({ relay_keys; printf 'domain = acct-a.test\nfallback = b\n';
	    printf '%s\n' "$@"; } | last_wins)
	[b]
	$(relay_keys "$RELAY2_PORT")
	domain = acct-b.test
	EOF
}

# fb_start [fb_conf args]: the case's relay for a, a second one for b.
fb_start() {
	relay_start implicit
	relay2_start implicit
	fb_conf "$@"
}

# The message went to the second relay only, through account b.
expect_by_b() {
	if ! cmp -s "$T/r2/msg" "$T/expected"; then
		fail "second relay did not receive the message"
	fi
	grep -qa '^C: EHLO acct-b.test' "$T/r2/transcript" ||
	    fail "second relay did not see account b"
	expect_no_msg
	log_has 'account=b .*exit=0'
}

# fb_temp_case TITLE SCRIPT-LINE: account a's relay fails temporarily
# as the line says; b delivers and the log has both. The case stays
# open for more checks (s_end).
fb_temp_case() {
	t_begin "fallback: $1, b takes it"
	echo "$2" | script
	fb_start
	send rcpt@example.com
	expect_rc 0
	expect_by_b
	log_has 'account=a .*exit=75'
}

fb_temp_case "421 at the first account's greeting" \
    "greeting 421 4.3.2 Service not available, closing channel"
expect_no_tr '^C: MAIL FROM'
expect_err 'fallback account b'
s_end

fb_temp_case "451 at MAIL on the first account" \
    "mail 451 4.3.0 try again later"
s_end

t_begin "fallback: the first account's only host is down, b takes it"
fb_start "port = $(dead_port)"
send rcpt@example.com
expect_rc 0
expect_by_b
s_end

t_begin "no fallback on a permanent failure (550 at MAIL) -> 69"
script <<-'EOS'
	mail 550 5.7.1 sender refused
EOS
fb_start
send rcpt@example.com
expect_rc 69
expect_no_msg
[ "$(relay_conns "$T/r2/transcript")" = 0 ] ||
    fail "fallback relay was contacted after a 5xx"
[ ! -f "$T/r2/msg" ] || fail "fallback relay received the message"
s_end

t_begin "no fallback on an AUTH failure (535) -> 77"
fb_start "password = wrong-password"
send rcpt@example.com
expect_rc 77
[ "$(relay_conns "$T/r2/transcript")" = 0 ] ||
    fail "fallback relay was contacted after a 535"
s_end

t_begin "fallback chain a -> b -> c: a and b busy (421), c takes it"
script <<-'EOS'
	greeting 421 4.3.2 busy
EOS
relay_start implicit
cp "$T/script" "$T/script2"
relay2_start implicit
mkdir -p "$T/r3"
( T=$T/r3; relay_start implicit; echo "$RELAY_PID" >"$T/pid" )
R3_PORT=$(cat "$T/r3/port")
mconf <<-EOF
	default = a
	[defaults]
	log = file:$T/log
	[a]
	$(relay_keys)
	fallback = b
	[b]
	$(relay_keys "$RELAY2_PORT")
	fallback = c
	[c]
	$(relay_keys "$R3_PORT")
	domain = acct-c.test
EOF
send rcpt@example.com
expect_rc 0
expect_no_msg
[ ! -f "$T/r2/msg" ] || fail "second relay received the message"
cmp -s "$T/r3/msg" "$T/expected" || fail "third relay lacks the message"
grep -qa '^C: EHLO acct-c.test' "$T/r3/transcript" ||
    fail "third relay did not see account c"
log_has 'account=a .*exit=75'
log_has 'account=b .*exit=75'
log_has 'account=c .*exit=0'
kill "$(cat "$T/r3/pid")" 2>/dev/null
s_end

t_begin "a fallback loop (a -> b -> a) is a config error: 78 with file:line, nothing sent"
relay_start implicit
relay2_start implicit
mconf <<-EOF
	default = a
	[a]
	$(relay_keys)
	fallback = b
	[b]
	$(relay_keys "$RELAY2_PORT")
	fallback = a
EOF
send rcpt@example.com
expect_rc 78
expect_err "$T/config:[0-9]+: .*fallback.*loop"
expect_no_connect
[ "$(relay_conns "$T/r2/transcript")" = 0 ] || fail "second relay contacted"
s_end

t_wait
t_finish
