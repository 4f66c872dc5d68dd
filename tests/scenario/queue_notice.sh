#!/bin/bash
# Per-recipient outcomes and failure notices (RFC 3464): partial
# acceptance, permanent refusal during a queue run, expiry, the null
# sender (never a notice), notify = ADDR / none, and a notice that cannot
# be delivered (logged and dropped, never bounced).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-queue.sh"

# Messages the relay received (msg, msg.2, ...) with the null sender.
notices() { grep -l '^Content-Type: multipart/report' "$T"/msg* 2>/dev/null; }
# n_rcpt ADDR: how many RCPT TO the relay got for ADDR, over all runs.
n_rcpt() { cat "$T"/transcript* 2>/dev/null | grep -c "^C: RCPT TO:<$1>"; }
# Keep each relay's transcript and messages when a case starts another.
keep_relay() {
	local f
	relay_stop
	rm -f "$T/port"		# relay_start waits for the new one
	mv "$T/transcript" "$T/transcript.$1" 2>/dev/null
	for f in "$T"/msg "$T"/msg.*; do
		[ -f "$f" ] && mv "$f" "$T/run$1.$(basename "$f")"
	done
}

t_begin "partial 250/550/451: one copy, a notice, the third retried"
script <<'EOF'
@1 rcpt:2 550 5.1.1 no such user
@1 rcpt:3 451 4.2.0 mailbox busy
EOF
relay_start plain -n 2
conf queue=on-failure log="file:$T/log"
send ok@example.com bad@example.com busy@example.com
expect_rc 0
relay_settle
cmp -s "$T/msg" "$T/expected" || fail "first copy differs"
# The notice may go over the same session (drain) or at the next run.
qrun -q --force
relay_settle
expect_queued 0
[ "$(n_rcpt ok@example.com)" = 1 ] || fail "ok@ got $(n_rcpt ok@example.com) RCPTs"
[ "$(n_rcpt busy@example.com)" = 2 ] || fail "busy@ not retried once"
n=$(notices | wc -l)
[ "$n" = 1 ] || fail "$n notices, want 1"
f=$(notices | head -1)
if [ -n "$f" ]; then
	grep -q '^Final-Recipient: rfc822; bad@example.com' "$f" ||
	    fail "notice lacks Final-Recipient"
	grep -q '^Status: 5.1.1' "$f" || fail "notice lacks Status 5.1.1"
	grep -q '^Action: failed' "$f" || fail "notice lacks Action"
	grep -q '^Diagnostic-Code: smtp; 550 5.1.1 no such user' "$f" ||
	    fail "notice lacks Diagnostic-Code"
	grep -q '^Subject: relaymail scenario' "$f" ||
	    fail "notice lacks the original headers"
	grep -q 'busy@example.com' "$f" && fail "notice names busy@"
	grep -q '^Hello\.' "$f" && fail "notice carries the body"
fi
expect_tr '^C: MAIL FROM:<>'
expect_tr '^C: RCPT TO:<sender@example.com>'
t_end

t_begin "5xx during a queue run: notice to the sender, queue empty"
conf_down
send gone@example.com
expect_rc 0
echo "rcpt:<gone@example.com> 550 5.1.1 gone" | script
relay_back
expect_queued 0
[ "$(notices | wc -l)" = 1 ] || fail "no notice"
expect_tr '^C: MAIL FROM:<>'
t_end

t_begin "expiry: after queue_lifetime a notice goes out"
conf_down queue_lifetime=1s
send slow@example.com
expect_rc 0
sleep 2
echo "rcpt:<slow@example.com> 451 4.2.1 still busy" | script
relay_back
expect_queued 0
f=$(notices | head -1)
[ -n "$f" ] || fail "no notice"
[ -n "$f" ] && { grep -q '^Status: 4.2.1' "$f" ||
    fail "expired notice lacks the last status"; }
[ -n "$f" ] && { grep -q '^To: <sender@example.com>' "$f" ||
    fail "notice not to the sender"; }
t_end

t_begin "null sender: no notice ever"
conf_down log="file:$T/log"
send -f '<>' gone@example.com
expect_rc 0
echo "rcpt 550 5.1.1 gone" | script
relay_back -n 2
expect_queued 0
[ "$(grep -c '^C: MAIL FROM' "$T/transcript")" = 1 ] ||
    fail "more than the one transaction"
[ -z "$(notices)" ] || fail "a notice was sent"
grep -q "no notice (null sender)" "$T/log" || fail "not logged"
t_end

t_begin "notify = ADDR gets the notice; notify = none only logs"
conf_down notify=postmaster@example.com \
    log="file:$T/log"
send gone@example.com
echo "rcpt:<gone@example.com> 550 5.1.1 gone" | script
relay_back
expect_tr '^C: RCPT TO:<postmaster@example.com>'
expect_no_tr '^C: RCPT TO:<sender@example.com>'
keep_relay 1
sed -i -e 's/^notify = .*/notify = none/' \
    -e "s/^port = .*/port = $(dead_port)/" "$T/config"
send gone@example.com
relay_back
expect_queued 0
expect_no_tr '^C: MAIL FROM:<>'
grep -q "notify = none" "$T/log" || fail "notify=none not logged"
t_end

t_begin "an undeliverable notice is logged and dropped, never bounced"
conf_down log="file:$T/log"
send gone@example.com
script <<'EOF'
rcpt:<gone@example.com> 550 5.1.1 gone
rcpt:<sender@example.com> 550 5.1.1 sender unknown too
EOF
relay_back
expect_queued 0
[ "$(grep -c '^C: MAIL FROM:<>' "$T/transcript")" = 1 ] ||
    fail "not exactly one notice attempt"
grep -q "a notice itself: dropped" "$T/log" || fail "drop not logged"
t_end

t_finish
