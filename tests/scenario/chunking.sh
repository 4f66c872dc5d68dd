#!/bin/bash
# CHUNKING (RFC 3030, relaymail(8)): when the relay offers it, the message
# leaves as one "BDAT <size> LAST" chunk of raw (not dot-stuffed) octets.
# With PIPELINING and a small message the deferred AUTH, MAIL, RCPT, BDAT,
# the message and QUIT leave in one write (one round trip); a large
# message, or all-or-nothing with several recipients, waits for the
# envelope's replies first. Every case checks the exit code and what the
# relay received.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-queue.sh"

# chunking [directive...]: a script offering CHUNKING plus the given lines.
chunking() {
	{ echo "cap CHUNKING"; printf '%s\n' "$@"; } | script
}

# The size announced by the (first) BDAT line of the transcript.
bdat_size() {
	sed -n 's/^C: BDAT \([0-9]*\) LAST$/\1/p' "$T/transcript" | head -1
}

# expect_bdat_is_message: BDAT announced exactly the message's size.
expect_bdat_is_message() {
	local n
	n=$(bdat_size)
	[ "$n" = "$(wc -c <"$1")" ] ||
	    fail "BDAT size ${n:-none}, message $(wc -c <"$1") octets"
}

# expect_before RE1 RE2: the first line matching RE1 comes before the
# first matching RE2 in the transcript.
expect_before() {
	awk -v a="$1" -v b="$2" '$0 ~ a && !x { x = NR } $0 ~ b && !y { y = NR }
	    END { exit !(x && y && x < y) }' "$T/transcript" ||
	    fail "/$1/ does not come before /$2/"
}

# A message of about $1 MB of base64 lines, with complete headers.
msg_big() {
	{
		printf 'From: Sender <sender@example.com>\nTo: rcpt@example.com\n'
		printf 'Subject: big\nDate: Mon, 01 Jan 2024 00:00:00 +0000\n'
		printf 'Message-ID: <big@example.com>\n\n.starts with a dot\n'
		head -c $(($1 * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76
	} >"$T/in"
	crlf <"$T/in" >"$T/expected"
}

for q in on-failure never; do
	t_begin "queue=$q, one recipient: AUTH+MAIL+RCPT+BDAT+message+QUIT in one write"
	chunking
	relay_start implicit
	conf queue=$q
	send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	expect_chunk '^C: AUTH PLAIN ' '^C: MAIL FROM:<sender@example.com>' \
	    '^C: RCPT TO:<rcpt@example.com>' '^C: BDAT [0-9]+ LAST$' \
	    '^C: Hello\.$' '^C: \.leading dot$' '^C: QUIT$'
	expect_bdat_is_message "$T/expected"
	expect_no_tr '^C: DATA$'
	expect_tr '^--- auth ok'
	# EHLO, then everything else: one round trip for the transaction.
	[ "$(grep -c '^--- read' "$T/transcript")" = 2 ] ||
	    fail "client wrote more than twice (EHLO, transaction)"
	expect_no_leak
	t_end
done

t_begin "STARTTLS + CHUNKING: byte for byte, nothing in plaintext"
chunking
relay_start starttls
conf queue=on-failure
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_chunk '^C: MAIL FROM:' '^C: BDAT [0-9]+ LAST$' '^C: QUIT$'
expect_no_leak
t_end

t_begin "-v: the BDAT line is in the transcript, the message is not"
chunking
relay_start implicit
conf queue=on-failure
send -v rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
grep -qE "BDAT $(wc -c <"$T/expected") LAST" "$T/stderr" ||
    fail "-v lacks the BDAT line"
grep -q 'leading dot' "$T/stderr" && fail "-v shows the message body"
t_end

t_begin "queue=never, 2 recipients, one refused: RSET, no BDAT, exit 67"
chunking "rcpt:2 550 5.1.1 no such user"
relay_start implicit
conf queue=never
send rcpt@example.com other@example.com
expect_rc 67
expect_err 'no such user'
expect_chunk '^C: MAIL FROM:' '^C: RCPT TO:<rcpt@' '^C: RCPT TO:<other@'
expect_tr '^C: RSET$'
expect_no_tr '^C: BDAT'
expect_no_msg
t_end

t_begin "queue=never, 2 recipients accepted: envelope first, then BDAT"
chunking
relay_start implicit
conf queue=never
send rcpt@example.com other@example.com
expect_rc 0
expect_msg "$T/expected"
expect_before '^S: 250 2\.1\.5' '^C: BDAT [0-9]+ LAST$'
expect_chunk '^C: BDAT [0-9]+ LAST$' '^C: QUIT$'
t_end

t_begin "queue=on-failure, 2 recipients, one refused: one write, delivered to the other"
chunking "rcpt:2 550 5.1.1 no such user"
relay_start implicit
conf queue=on-failure
send rcpt@example.com other@example.com
expect_rc 0
expect_msg "$T/expected"
expect_chunk '^C: RCPT TO:<other@' '^C: BDAT [0-9]+ LAST$'
expect_err '<other@example.com>: .*no such user'
t_end

t_begin "the only recipient refused: RCPT's 550 wins over BDAT's 554 (67)"
chunking "rcpt 550 5.1.1 no such user"
relay_start implicit
conf queue=on-failure
send rcpt@example.com
expect_rc 67
expect_err 'no such user'
expect_tr '^S: 554 5\.5\.1 No valid recipients'
expect_no_msg
expect_queued 0
t_end

t_begin "MAIL refused: its 550 is the error (69), not BDAT's"
chunking "mail 550 5.7.1 sender refused"
relay_start implicit
conf queue=on-failure
send rcpt@example.com
expect_rc 69
expect_err 'sender refused'
expect_no_msg
t_end

t_begin "BDAT LAST answered 552 5.3.4 -> 65"
chunking "eod 552 5.3.4 message too big for policy"
relay_start implicit
send rcpt@example.com
expect_rc 65
expect_err '552 5\.3\.4'
expect_tr '^C: BDAT [0-9]+ LAST$'
expect_queued 0
t_end

t_begin "BDAT LAST answered 451, queue=never -> 75, nothing queued"
chunking "eod 451 4.3.0 try later"
relay_start implicit
conf queue=never
send rcpt@example.com
expect_rc 75
expect_err '451 4\.3\.0'
expect_queued 0
t_end

t_begin "BDAT LAST answered 451, queue=on-failure -> 0, queued, -q delivers"
chunking "@1 eod 451 4.3.0 try later"
relay_start implicit -n 2
conf queue=on-failure
send rcpt@example.com
expect_rc 0
expect_queued 1
mailq
grep -q "pending <rcpt@example.com>" "$T/mailq" ||
    fail "mailq: $(cat "$T/mailq")"
qrun -q --force
relay_settle
[ "$QRC" = 0 ] || fail "-q exit $QRC: $(cat "$T/q.err")"
expect_queued 0
cmp -s "$T/msg.2" "$T/expected" || fail "queued copy missing or different"
[ "$(grep -c '^C: BDAT' "$T/transcript")" = 2 ] || fail "want 2 BDAT"
t_end

t_begin "connection dropped after BDAT LAST -> 75"
chunking "eod drop"
relay_start implicit
conf queue=never
send rcpt@example.com
expect_rc 75
expect_err 'end of data'
expect_queued 0
t_end

t_begin "3 MB message: MAIL/RCPT answered first, then BDAT, byte for byte"
chunking
relay_start implicit
conf queue=on-failure timeout=10
msg_big 3
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_bdat_is_message "$T/expected"
expect_chunk '^C: MAIL FROM:' '^C: RCPT TO:'
expect_before '^S: 250 2\.1\.5' '^C: BDAT [0-9]+ LAST$'
expect_tr '^C: QUIT$'
t_end

t_begin "no PIPELINING: one command per round trip, then BDAT, byte for byte"
chunking "nocap PIPELINING"
relay_start implicit
conf queue=on-failure
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_before '^S: 250 2\.1\.0' '^C: RCPT TO:'
expect_before '^S: 250 2\.1\.5' '^C: BDAT [0-9]+ LAST$'
expect_no_tr '^C: DATA$'
t_end

t_begin "no CHUNKING offered: DATA as before"
relay_start implicit
conf queue=on-failure
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_tr '^C: DATA$'
expect_no_tr '^C: BDAT'
t_end

t_begin "wrong password, relay refuses MAIL: the AUTH failure (77), no message"
chunking
relay_start implicit
conf queue=on-failure password=not-it
send rcpt@example.com
expect_rc 77
expect_tr '^--- auth failed'
expect_no_mail_after_auth
expect_queued 0
grep -qi 'accepted the message' "$T/stderr" && fail "spurious warning"
t_end

t_begin "wrong password, relay accepts anyway: delivered, exit 0, warning"
chunking auth-optional
relay_start implicit
conf queue=on-failure password=not-it
send rcpt@example.com
expect_rc 0
expect_tr '^--- auth failed'
expect_msg "$T/expected"
expect_err 'warning: authentication failed \(535.*\) but the relay .*accepted the message'
expect_queued 0
t_end

t_begin "queue run: two messages over one session, BDAT each, no QUIT between"
chunking
relay_start implicit
conf queue=always
send first@example.com
send second@example.com
expect_queued 2
qrun -q
relay_settle
[ "$QRC" = 0 ] || fail "-q exit $QRC: $(cat "$T/q.err")"
expect_queued 0
expect_msg "$T/expected"
cmp -s "$T/msg.2" "$T/expected" || fail "second message differs"
[ "$(grep -c '^=== connection' "$T/transcript")" = 1 ] ||
    fail "more than one connection"
[ "$(grep -c '^C: BDAT' "$T/transcript")" = 2 ] || fail "want 2 BDAT"
[ "$(grep -c '^C: QUIT' "$T/transcript")" = 1 ] || fail "want 1 QUIT"
t_end

# The stage matrix of stages.sh for the one-write transaction: each reply
# is read in order after everything was sent; the exit code is the
# failing stage's. queue=never and one recipient: the pipelined path.
matrix_case() {	# stage kind reply want
	t_begin "pipelined BDAT: $1 x $2 -> $4"
	chunking "$1 $3"
	local to=$((2 + 2 * SLACK))	# valgrind on a busy machine: more
	relay_start implicit
	conf queue=never timeout=$to
	send rcpt@example.com
	expect_rc "$4"
	expect_chunk '^C: MAIL FROM:' '^C: BDAT [0-9]+ LAST$' '^C: QUIT$'
	# the stall's timeout, as the relay saw it (not the whole run)
	[ "$2" = stall ] && expect_waited '^--- stalling' \
	    '^--- (client closed|read error)' $((to * 500)) $((to * 2000 + 1000))
	[ "$1" = eod ] || expect_no_msg
	expect_queued 0
	t_end
}
matrix_case mail 4xx "451 4.3.0 scripted-temp" 75
matrix_case mail 5xx "550 5.7.1 scripted-perm" 69
matrix_case mail disconnect drop 75
matrix_case mail garbage garbage 76
matrix_case rcpt 4xx "451 4.3.0 scripted-temp" 75
matrix_case rcpt 5xx "550 5.1.1 scripted-perm" 67
matrix_case rcpt disconnect drop 75
matrix_case rcpt garbage garbage 76
matrix_case eod 4xx "451 4.3.0 scripted-temp" 75
matrix_case eod 5xx "554 5.6.0 scripted-perm" 65
matrix_case eod garbage garbage 76
t_parallel matrix_case eod stall stall 75
t_parallel matrix_case rcpt stall stall 75
t_wait

t_finish
