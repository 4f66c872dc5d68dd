#!/bin/bash
# relaymail -bs: SMTP on standard input and output for local submitters
# (Symfony Mailer, Laravel). A scripted client talks to the binary, in
# lock-step or pipelined (RFC 2920); every case asserts the replies, what
# testrelay received and the exit code.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-bs.sh"
. "$(dirname "$0")/lib-queue.sh"

# One transaction: sender, recipients, the message of bs_message.
txn() {
	local from=$1 r
	shift
	echo "MAIL FROM:<$from>"
	for r in "$@"; do echo "RCPT TO:<$r>"; done
	echo DATA
	bs_message
}

# dialogue1 [FROM [RCPT...]]: the session of one transaction from FROM
# (default sender@example.com) to the RCPTs (default rcpt@example.com),
# then QUIT.
dialogue1() {
	local from=${1:-sender@example.com}
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- rcpt@example.com
	{ echo "EHLO client.example"; txn "$from" "$@"; echo QUIT; } |
	    dialogue
}

t_begin "one message in lock-step: relayed, the reply says so"
relay_start implicit
bs_expected
dialogue1
bs_chat
expect_rc 0
expect_codes "220 250 250 250 354 250 221"
expect_reply '^250 2\.0\.0 relayed to .*: 250 2\.0\.0 Ok: queued as TESTRELAY'
expect_reply '^250-PIPELINING$'
expect_reply '^250-SIZE [0-9]+$'
expect_reply '^250-8BITMIME$'
expect_reply '^250-SMTPUTF8$'
expect_reply '^250-ENHANCEDSTATUSCODES$'
expect_reply '^250 DSN$'
expect_no_reply 'AUTH|STARTTLS'
expect_msg "$T/expected"
expect_tr '^C: MAIL FROM:<sender@example.com>'
expect_tr '^C: RCPT TO:<rcpt@example.com>'
expect_no_leak
t_end

t_begin "pipelined: the whole session in one write, replies in order"
relay_start plain
bs_expected
dialogue1
bs_pipe
expect_rc 0
expect_codes "220 250 250 250 354 250 221"
expect_msg "$T/expected"
t_end

t_begin "three transactions in one session with RSET between"
relay_start plain -n 3
conf log="file:$T/log"
bs_expected
{ echo "EHLO client.example"
  for i in 1 2 3; do
	txn "s$i@example.com" "r$i@example.com"
	echo RSET
  done
  echo QUIT; } | dialogue
bs_chat
expect_rc 0
expect_codes "220 250 250 250 354 250 250 250 250 354 250 250 250 250 354 250 250 221"
for i in 1 2 3; do
	f=$T/msg; [ "$i" = 1 ] || f=$T/msg.$i
	cmp -s "$f" "$T/expected" || fail "message $i differs"
	expect_tr "^C: MAIL FROM:<s$i@example.com>"
	expect_tr "^C: RCPT TO:<r$i@example.com>"
done
[ "$(grep -c '^=== connection' "$T/transcript")" = 3 ] ||
    fail "want one relay session per message"
# One log line per transaction, as for each message on stdin.
for i in 1 2 3; do
	[ "$(grep -c "s$i@example.com.*r$i@example.com" "$T/log")" = 1 ] ||
	    fail "no single log line for message $i"
done
t_end

t_begin "RSET abandons a transaction: only the second is sent"
relay_start plain
bs_expected
dialogue <<'EOF'
EHLO client.example
MAIL FROM:<dropped@example.com>
RCPT TO:<nobody@example.com>
RSET
MAIL FROM:<sender@example.com>
RCPT TO:<rcpt@example.com>
DATA
EOF
bs_message >>"$T/bs.in"
echo QUIT >>"$T/bs.in"
bs_chat
expect_rc 0
expect_codes "220 250 250 250 250 250 250 354 250 221"
expect_no_tr 'dropped@|nobody@'
expect_msg "$T/expected"
t_end

t_begin "commands and reply classes: 214 252 500 501 502 503 553 554 555"
relay_start plain
dialogue <<'EOF'
NOOP
HELP
EHLO
EHLO client.example
VRFY root
VRFY
EXPN staff
AUTH PLAIN AGFiAGM=
STARTTLS
XYZZY

RCPT TO:<r@example.com>
DATA
MAIL FROM:sender@example.com
MAIL FROM:<sender@example.com> FROB=1
MAIL FROM:<a@>
MAIL FROM:<sender@example.com>
MAIL FROM:<other@example.com>
DATA
RCPT TO:<r@example.com> FROB=1
RCPT TO:<>
RCPT TO:<a b@example.com>
RCPT TO:<b@>
DATA now
RSET
QUIT
EOF
bs_chat
expect_rc 0
expect_codes "220 250 214 501 250 252 501 502 502 502 500 500 503 503 501 555 553 250 503 554 555 501 501 501 501 250 221"
expect_reply '^503 5\.5\.1 nested MAIL'
expect_reply '^252 2\.5\.0'
expect_no_connect
t_end

t_begin "HELO: no ESMTP, no enhanced codes, no parameters"
relay_start plain
dialogue <<'EOF'
HELO client.example
MAIL FROM:<sender@example.com> SIZE=10
MAIL FROM:<sender@example.com>
QUIT
EOF
bs_chat
expect_rc 0
expect_codes "220 250 555 250 221"
expect_reply '^250 Ok$'
expect_no_reply '^250-'
expect_no_connect
t_end

t_begin "a command line over 512 octets: 500, the session goes on"
relay_start plain
bs_expected
{ echo "EHLO client.example"; printf 'NOOP %0600d\n' 0
  txn sender@example.com rcpt@example.com; echo QUIT; } | dialogue
bs_chat
expect_rc 0
expect_codes "220 250 500 250 250 354 250 221"
expect_reply '^500 5\.5\.2 line too long'
expect_msg "$T/expected"
t_end

t_begin "recipient cap: 452 for the 1001st, the 1000 get the message"
relay_start plain
bs_expected
{ echo "EHLO client.example"; echo "MAIL FROM:<sender@example.com>"
  for i in $(seq 1001); do echo "RCPT TO:<r$i@example.com>"; done
  echo DATA; bs_message; echo QUIT; } | dialogue
bs_pipe
expect_rc 0
[ "$(grep -c '^250 2\.1\.5' "$T/replies")" = 1000 ] || fail "not 1000 RCPT 250s"
expect_reply '^452 4\.5\.3 too many recipients'
n=$(grep -c '^C[:~] RCPT TO:' "$T/transcript")
[ "$n" = 1000 ] || fail "relay got $n RCPTs"
expect_no_tr 'r1001@'
expect_msg "$T/expected"
t_end

t_begin "size: the relay's limit gives 552 at end of data, nothing sent"
script <<'EOF'
nocap SIZE
cap SIZE 300
EOF
relay_start plain -n 2
{ echo "EHLO client.example"; echo "MAIL FROM:<sender@example.com>"
  echo "RCPT TO:<rcpt@example.com>"; echo DATA; echo "Subject: big"; echo
  for i in $(seq 20); do echo "line $i of a message over 300 octets"; done
  echo .
  echo "EHLO client.example"
  echo "MAIL FROM:<sender@example.com> SIZE=1000"
  echo "MAIL FROM:<sender@example.com> SIZE=3000000000"
  echo QUIT; } | dialogue
bs_chat
expect_rc 65
expect_codes "220 250 250 250 354 552 250 552 552 221"
expect_reply '^552 5\.3\.4 not sent: message size [0-9]+ exceeds relay limit 300'
expect_reply '^250-SIZE 300$'
expect_no_mail
t_end

t_begin "4xx from the relay with queue = never: 4xx to the client, exit 75"
n=0
for stage in mail rcpt data eod; do
	n=$((n + 1))
	echo "@$n $stage 451 4.3.0 try later ($stage)"
done | script
relay_start plain -n 4
{ echo "EHLO client.example"
  for i in 1 2 3 4; do txn sender@example.com rcpt@example.com; done
  echo QUIT; } | dialogue
bs_chat
expect_rc 75
expect_codes "220 250 250 250 354 451 250 250 354 451 250 250 354 451 250 250 354 451 221"
for stage in mail rcpt data eod; do
	expect_reply "^451 4\.3\.0 not sent: .*try later \($stage\)"
done
# Only the fourth got as far as the text, and refused it.
[ ! -f "$T/msg.2" ] || fail "the relay took more than one text"
expect_tr '^S: 451 4\.3\.0 try later \(eod\)'
t_end


# 5xx at each stage: the relay's code and text reach the client, nothing
# is queued, the exit code is that of the refusal.
bs_refused() {
	local stage=$1 reply=$2 rc=$3
	t_begin "5xx at $stage: '$reply' to the client, exit $rc, not queued"
	echo "$stage $reply" | script
	relay_start plain
	conf queue=on-failure
	dialogue1
	bs_chat
	expect_rc "$rc"
	expect_codes "220 250 250 250 354 ${reply%% *} 221"
	expect_reply "^${reply%% *} .*not sent: .*${reply#* }"
	expect_queued 0
	t_end
}
bs_refused mail "550 5.7.1 sender refused" 69
bs_refused rcpt "550 5.1.1 no such user" 67
bs_refused data "554 5.5.0 no data today" 69
bs_refused eod "554 5.7.1 looks like spam" 65

t_begin "one recipient refused, queue on: 250 naming it, a failure notice"
echo "@1 rcpt:2 550 5.1.1 no such user" | script
relay_start plain -n 2
conf queue=on-failure
bs_expected
dialogue1 sender@example.com ok@example.com bad@example.com
bs_chat
expect_rc 0
expect_codes "220 250 250 250 250 354 250 221"
expect_reply '^250-2\.0\.0 relayed to .* for 1 of 2 recipients'
expect_reply '^250 2\.0\.0 <bad@example\.com> refused: 550 5\.1\.1 no such user; a failure notice goes to the sender'
expect_msg "$T/expected"
# The notice goes out with the next queue run, to the sender.
qrun -q --force
relay_settle
f=$(grep -l '^Content-Type: multipart/report' "$T"/msg* 2>/dev/null | head -1)
[ -n "$f" ] || fail "no failure notice reached the relay"
[ -z "$f" ] || grep -q '^Final-Recipient: rfc822; bad@example.com' "$f" ||
    fail "the notice does not name bad@"
expect_tr '^C: RCPT TO:<sender@example.com>'
expect_queued 0
t_end

t_begin "partly relayed, the rest cannot be queued: 554 (not 4xx), exit 73"
echo "@1 rcpt:2 550 5.1.1 no such user" | script
relay_start plain
: >"$T/notadir"
conf queue=on-failure queue_dir="$T/notadir/q"
bs_expected
dialogue1 sender@example.com ok@example.com bad@example.com
bs_chat
expect_rc 73
expect_codes "220 250 250 250 250 354 554 221"
expect_reply '^554 5\.3\.0 relayed to .* for some recipients only'
expect_msg "$T/expected"
t_end

t_begin "one recipient deferred, queue on: 250 naming it with its queue id"
echo "@1 rcpt:2 451 4.2.0 mailbox busy" | script
relay_start plain -n 2
conf queue=on-failure
bs_expected
dialogue1 sender@example.com ok@example.com busy@example.com
bs_chat
expect_rc 0
expect_codes "220 250 250 250 250 354 250 221"
expect_reply '^250 2\.0\.0 <busy@example\.com> deferred: 451 4\.2\.0 mailbox busy; queued as [0-9A-Za-z]+ by relaymail for retry'
expect_msg "$T/expected"
expect_queued 1
qrun -q --force
relay_settle
expect_queued 0
n=$(cat "$T"/transcript* | grep -c '^C: RCPT TO:<busy@example.com>')
[ "$n" = 2 ] || fail "busy@ tried $n times, want 2"
t_end

t_begin "one recipient refused, queue = never: 550 at end of data, nothing sent"
echo "rcpt:2 550 5.1.1 no such user" | script
relay_start plain
conf queue=never
dialogue1 sender@example.com ok@example.com bad@example.com
bs_chat
expect_rc 67
expect_codes "220 250 250 250 250 354 550 221"
expect_reply '^550 5\.1\.1 not sent: .*no such user'
expect_no_msg
t_end

t_begin "4xx with queue = on-failure: 250 queued by relaymail, sent later"
echo "@1 rcpt 451 4.2.0 mailbox busy" | script
relay_start plain -n 2
conf queue=on-failure
bs_expected
dialogue1
bs_chat
expect_rc 0
expect_codes "220 250 250 250 354 250 221"
expect_reply '^250 2\.0\.0 queued as [0-9A-Za-z]+ by relaymail, not yet relayed: .*mailbox busy'
expect_queued 1
qrun -q --force
relay_settle
expect_queued 0
expect_msg "$T/expected"
t_end

t_begin "relay down, queue = never: 451 to the client, exit 75"
RELAY_MODE=plain
conf queue=never port="$(dead_port)"
dialogue1
bs_chat
expect_rc 75
expect_codes "220 250 250 250 354 451 221"
expect_reply '^451 4\.4\.0 not sent: '
expect_queued 0
t_end

t_begin "relay down, queue = on-failure: 250 queued as ID, exit 0"
RELAY_MODE=plain
conf_down
dialogue1
bs_chat
expect_rc 0
expect_codes "220 250 250 250 354 250 221"
expect_reply '^250 2\.0\.0 queued as [0-9A-Za-z]+ by relaymail'
expect_queued 1
t_end

t_begin "421 greeting with queue = never: 451 (not 421), the session goes on"
echo "greeting 421 4.3.2 shutting down" | script
relay_start plain
{ echo "EHLO client.example"; txn sender@example.com rcpt@example.com
  echo NOOP; echo QUIT; } | dialogue
bs_chat
expect_rc 75
expect_codes "220 250 250 250 354 451 250 221"
expect_reply '^451 4\.4\.0 not sent: .*421 4\.3\.2 shutting down'
t_end

t_begin "AUTH refused by the relay: 554 5.7.0 to the client, exit 77"
echo "auth 535 5.7.8 bad credentials" | script
relay_start plain
conf queue=on-failure
dialogue1
bs_chat
expect_rc 77
expect_codes "220 250 250 250 354 554 221"
expect_reply '^554 5\.7\.0 not sent: .*535 5\.7\.8 bad credentials'
expect_queued 0
expect_no_msg
t_end

t_begin "queue = always: 250 queued as ID, nothing sent now"
relay_start plain
conf queue=always
dialogue1
bs_chat
expect_rc 0
expect_reply '^250 2\.0\.0 queued as [0-9A-Za-z]+ by relaymail, not yet relayed: queue = always'
expect_queued 1
expect_no_connect
t_end

t_begin "exit after QUIT: the worst transaction's class (ok, 550, ok -> 67)"
echo "@2 rcpt 550 5.1.1 no such user" | script
relay_start plain -n 3
{ echo "EHLO client.example"
  for i in 1 2 3; do txn sender@example.com "r$i@example.com"; done
  echo QUIT; } | dialogue
bs_chat
expect_rc 67
expect_codes "220 250 250 250 354 250 250 250 354 550 250 250 354 250 221"
[ -f "$T/msg" ] && [ -f "$T/msg.2" ] || fail "the two good ones were not sent"
t_end

t_begin "EOF inside DATA: nothing sent or queued, exit 0"
relay_start plain
conf queue=on-failure
{ echo "EHLO client.example"; echo "MAIL FROM:<sender@example.com>"
  echo "RCPT TO:<rcpt@example.com>"; echo DATA; echo "Subject: cut"
  echo; echo "half a mess"; } | dialogue
bs_pipe
expect_rc 0
expect_codes "220 250 250 250 354"
expect_no_connect
expect_queued 0
t_end

t_begin "EOF inside DATA after a refused message: that message's code"
echo "rcpt 550 5.1.1 no such user" | script
relay_start plain
{ echo "EHLO client.example"; txn sender@example.com rcpt@example.com
  echo "MAIL FROM:<sender@example.com>"; echo "RCPT TO:<rcpt@example.com>"
  echo DATA; echo "Subject: cut"; } | dialogue
bs_pipe
expect_rc 67
expect_codes "220 250 250 250 354 550 250 250 354"
[ "$(grep -c '^=== connection' "$T/transcript")" = 1 ] ||
    fail "the cut message reached the relay"
t_end

idle_case() {
	t_begin "idle client: 421 after smtpd_timeout, nothing sent, exit 0"
	relay_start plain
	conf smtpd_timeout=1
	{ printf 'EHLO client.example\r\nMAIL FROM:<sender@example.com>\r\n'
	  sleep $((4 + SLACK * 2)); printf 'QUIT\r\n'; } |
	    timeout 60 "${BS_VG[@]}" "$RELAYMAIL" -C "$T/config" -bs \
	    >"$T/replies.raw" 2>"$T/stderr"
	RC=${PIPESTATUS[1]}
	tr -d '\r' <"$T/replies.raw" >"$T/replies"
	expect_rc 0
	expect_codes "220 250 250 421"
	expect_reply '^421 4\.4\.2 .*timeout'
	expect_no_reply '^221'
	expect_no_connect
	t_end
}
bs_vg
t_parallel idle_case

# The reader is gone before the text ends: the message is not sent (its
# reply could not reach the client, which would send it again).
t_begin "the client closes standard output: exit 74, nothing sent"
relay_start plain
conf
{ sleep 0.5; echo "EHLO client.example"
  echo "MAIL FROM:<sender@example.com>"; echo "RCPT TO:<rcpt@example.com>"
  echo DATA; sleep 0.5; bs_message; echo QUIT; } | crlf |
    timeout 60 "${BS_VG[@]}" "$RELAYMAIL" -C "$T/config" -bs \
    2>"$T/stderr" | head -n 1 >"$T/replies"
RC=${PIPESTATUS[2]}
expect_rc 74
expect_codes "220"
expect_err 'closed standard output'
expect_no_connect
t_end

t_begin "the client closes standard output right after QUIT: exit 0"
relay_start plain
conf
bs_expected
bs_vg
: >"$T/replies"
coproc BS { exec timeout 120 "${BS_VG[@]}" "$RELAYMAIL" -C "$T/config" \
    -bs 2>"$T/stderr"; }
pid=$BS_PID
exec {BS_OUT}<&"${BS[0]}" {BS_IN}>&"${BS[1]}"
bs_read_reply
{ echo "EHLO client.example"; txn sender@example.com rcpt@example.com; } |
    crlf >&"$BS_IN"
for i in 1 2 3 4 5; do bs_read_reply; done
# Nobody reads the 221.
exec {BS_OUT}<&-
eval "exec ${BS[0]}<&-"
printf 'QUIT\r\n' >&"$BS_IN"
exec {BS_IN}>&-
wait "$pid"
RC=$?
relay_settle
expect_rc 0
expect_codes "220 250 250 250 354 250"
expect_msg "$T/expected"
t_end

t_begin "-bs with -t or recipient arguments: usage error 64"
relay_start plain
conf
: >"$T/in"
send -bs -t
expect_rc 64
expect_err '[-]bs takes its recipients from RCPT'
send -bs rcpt@example.com
expect_rc 64
expect_no_connect
t_end

t_begin "configuration error: 554 greeting, 503, 221 to QUIT, exit 78"
printf 'default = nope\n[test]\nhost = 127.0.0.1\nbogus = 1\n' >"$T/config"
chmod 600 "$T/config"
printf 'EHLO client.example\nMAIL FROM:<a@example.com>\nQUIT\n' | dialogue
bs_pipe
expect_rc 78
expect_codes "554 503 503 221"
expect_reply '^554 5\.3\.5 relaymail: .*bogus'
t_end

t_begin "header rules, aliases, maildomain: as for a message on stdin"
relay_start plain
printf 'root: admin@x.example\n' >"$T/aliases"
conf maildomain=host.example aliases="$T/aliases"
{ echo "EHLO client.example"; echo "MAIL FROM:<app@example.com>"
  echo "RCPT TO:<root>"; echo "RCPT TO:<bob>"
  echo "RCPT TO:<hidden@example.com>"; echo DATA
  echo "To: bob"; echo "Bcc: hidden@example.com"; echo "Subject: from PHP"
  echo; echo "...three dots"; echo .; echo QUIT; } | dialogue
bs_chat
expect_rc 0
expect_tr '^C: MAIL FROM:<app@example.com>'
expect_tr '^C: RCPT TO:<admin@x.example>'
expect_tr '^C: RCPT TO:<bob@host.example>'
expect_tr '^C: RCPT TO:<hidden@example.com>'
grep -qi '^Bcc:' "$T/msg" && fail "Bcc reached the relay"
for h in Date Message-ID From; do
	grep -q "^$h: " "$T/msg" || fail "no $h header added"
done
grep -q '^To: bob@host\.example' "$T/msg" || fail "To not qualified"
grep -q '^\.\.three dots' "$T/msg" || fail "dots: not unstuffed once"
t_end

t_begin "force_from: the account's from replaces MAIL FROM and From"
relay_start plain
conf force_from=yes
dialogue1 app@other.example
bs_chat
expect_rc 0
expect_tr '^C: MAIL FROM:<sender@example.com>'
grep -q '^From: .*sender@example\.com' "$T/msg" || fail "From not forced"
t_end

# Two accounts: [a] for *@a.example on the case's relay, the default [b]
# on R2.
two_accounts() {
	local a p
	{
		echo "default = b"
		for a in a b; do
			p=$RELAY_PORT
			[ "$a" = b ] && p=$R2_PORT
			printf '[%s]\nhost = 127.0.0.1\nport = %s\ntls = none\n' \
			    "$a" "$p"
			printf 'user = %s\npassword = %s\n' "$TUSER" "$PASSWORD"
			printf 'timeout = 2\nlog = file:%s\nqueue = never\n' \
			    "$T/log.$a"
			[ "$a" = a ] && echo "match_from = *@a.example"
		done
	} >"$T/config"
	chmod 600 "$T/config"
}

t_begin "account by MAIL FROM per transaction; -a wins over the sender"
relay_start plain -n 2
mkdir -p "$T/r2"
relay_spawn R2 "second relay" "$T/r2" "$T/r2/script" plain -n 2
two_accounts
{ echo "EHLO client.example"; txn x@a.example rcpt@example.com
  txn y@other.example rcpt@example.com; echo QUIT; } | dialogue
bs_chat
expect_rc 0
grep -q '^C: MAIL FROM:<x@a.example>' "$T/transcript" ||
    fail "x@a.example did not go through [a]"
grep -q '^C: MAIL FROM:<y@other.example>' "$T/r2/transcript" ||
    fail "y@other.example did not go through the default [b]"
# Each transaction's log line goes to its own account's log.
grep -q 'x@a\.example' "$T/log.a" || fail "[a] did not log x@"
grep -q 'y@other\.example' "$T/log.b" || fail "[b] did not log y@"
grep -q 'y@other\.example' "$T/log.a" && fail "[a] logged y@"
dialogue1 x@a.example
bs_chat -a b
expect_rc 0
grep -q '^C: MAIL FROM:<x@a.example>' "$T/r2/transcript" ||
    fail "-a b did not win over match_from"
relay_kill R2
t_end

t_begin "--relay with -bs: every transaction to that relay, whatever the sender"
relay_start starttls -n 2
conf port=1
bs_expected
{ echo "EHLO client.example"; txn one@example.com rcpt@example.com
  txn two@other.example rcpt@example.com; echo QUIT; } | dialogue
bs_chat -a test "--relay=smtp://tester%40example.com@127.0.0.1:$RELAY_PORT"
expect_rc 0
expect_codes "220 250 250 250 354 250 250 250 354 250 221"
expect_tr '^C: MAIL FROM:<one@example.com>'
expect_tr '^C: MAIL FROM:<two@other.example>'
expect_tr '^--- tls established'
expect_no_leak
t_end

t_begin "DSN and BODY parameters reach the relay"
echo "cap DSN" | script
relay_start plain
{ echo "EHLO client.example"
  echo "MAIL FROM:<sender@example.com> RET=HDRS ENVID=id42 BODY=8BITMIME"
  echo "RCPT TO:<rcpt@example.com> NOTIFY=success,failure ORCPT=rfc822;rcpt@example.com"
  echo "RCPT TO:<two@example.com> NOTIFY=NEVER"
  echo "RCPT TO:<two@example.com> NOTIFY=SUCCESS,FAILURE"
  echo DATA; bs_message; echo QUIT; } | dialogue
bs_chat
expect_rc 0
expect_codes "220 250 250 250 455 250 354 250 221"
expect_tr '^C: MAIL FROM:<sender@example.com> .*BODY=8BITMIME'
expect_tr '^C: MAIL FROM:<sender@example.com> .*RET=HDRS'
expect_tr '^C: MAIL FROM:<sender@example.com> .*ENVID=id42'
expect_tr '^C: RCPT TO:<rcpt@example.com> NOTIFY=SUCCESS,FAILURE'
t_end

t_begin "a 1500-octet text line: re-encoded exactly as the stdin path does"
relay_start plain -n 2
long=$(printf '%01500d' 7)
{ printf 'From: a@example.com\nTo: b@example.com\nSubject: long\n'
  printf 'Date: Mon, 01 Jan 2024 00:00:00 +0000\n'
  printf 'Message-ID: <long@example.com>\n\n%s\n.dot\n' "$long"; } >"$T/in"
{ echo "EHLO client.example"; echo "MAIL FROM:<sender@example.com>"
  echo "RCPT TO:<rcpt@example.com>"; echo DATA
  sed 's/^\./../' "$T/in"; echo .; echo QUIT; } | dialogue
bs_pipe
expect_rc 0
send -f sender@example.com rcpt@example.com
expect_rc 0
[ -f "$T/msg.2" ] && cmp -s "$T/msg" "$T/msg.2" ||
    fail "-bs and stdin sent different bytes"
awk 'length($0) > 999 { bad = 1 } END { exit bad }' "$T/msg" ||
    fail "a line over 998 octets went out"
grep -qi '^Content-Transfer-Encoding: quoted-printable' "$T/msg" ||
    fail "not re-encoded as quoted-printable"
perl -MMIME::QuotedPrint -0777 -ne 's/\r\n/\n/g; s/^.*?\n\n//s;
    print decode_qp($_)' "$T/msg" | grep -qx "$long" ||
    fail "the long line does not decode back"
t_end

SYMFONY=/usr/share/php/Symfony/Component/Mailer/autoload.php
if [ -f "$SYMFONY" ] && command -v php >/dev/null 2>&1; then
	t_begin "Symfony Mailer hears the relay's own refusal (550 5.1.1)"
	echo "@2 rcpt 550 5.1.1 no such user here" | script
	relay_start plain -n 2
	conf
	php -r '
	    require $argv[1];
	    use Symfony\Component\Mailer\Mailer;
	    use Symfony\Component\Mailer\Transport;
	    use Symfony\Component\Mime\Email;
	    $dsn = "sendmail://default?command=" . rawurlencode($argv[2]);
	    $mailer = new Mailer(Transport::fromDsn($dsn));
	    foreach (["ok", "gone"] as $who) {
		try {
			$mailer->send((new Email())->from("app@example.com")
			    ->to("$who@example.com")->subject($who)->text("hi"));
			echo "$who: sent\n";
		} catch (\Exception $x) {
			echo "$who: ", $x->getMessage(), "\n";
		}
	    }' -- "$SYMFONY" "$RELAYMAIL -C $T/config -bs" >"$T/php.out" 2>&1
	grep -qx 'ok: sent' "$T/php.out" || fail "the first message failed"
	grep -q '^gone: .*550.*5\.1\.1.*no such user here' "$T/php.out" ||
	    fail "Symfony did not get the relay's 550: $(cat "$T/php.out")"
	grep -q '^Subject: ok' "$T/msg" || fail "relay did not get the first"
	t_end
else
	t_skip "Symfony Mailer hears the relay's own refusal" \
	    "php-symfony-mailer not installed"
fi

t_wait
t_finish
