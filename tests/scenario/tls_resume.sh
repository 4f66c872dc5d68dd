#!/bin/bash
# TLS session resumption (RFC 8446 §2.2, §4.6.1; RFC 5077 for TLS 1.2):
# a later send to the same account, host and name resumes the session
# the relay gave a ticket for (the relay logs "--- tls resumed"); any
# other name does not; a resumed session is verified again against the
# trust of today (not repeated while the chain, the CAs it can reach
# and the settings are those it was verified with, and all are still
# valid); a corrupt, unknown or expired ticket costs one full
# handshake and the message is still delivered; concurrent senders
# share the cache without breaking it; no state directory means no
# resumption, not a failure. A relay without X25519 (the one key share
# sent) answers with a HelloRetryRequest and still gets the message.
. "$(dirname "$0")/../lib.sh"

cachedir() { echo "$T/queue/tls"; }
cachefile() { find "$(cachedir)" -maxdepth 1 -type f ! -name '*.tmp' 2>/dev/null | head -1; }
# resumed N: the relay's connection N was (1) or was not (0) resumed.
resumed() {
	awk -v n="$1" '/^=== connection / {c = $3} /^--- tls resumed/ &&
	    c == n {r = 1} END {print r + 0}' "$T/transcript"
}
expect_resumed() {
	[ "$(resumed "$1")" = "$2" ] ||
	    fail "connection $1: resumed is $(resumed "$1"), want $2"
}
# msgconn N: the relay connection that received message N.
msgconn() {
	awk -v n="$1" '/^=== connection / {c = $3}
	    $0 ~ "^--- message " n " complete" {print c}' "$T/transcript"
}
nmsgs() { grep -c '^--- message [0-9]* complete' "$T/transcript"; }
expect_msgs() {
	[ "$(nmsgs)" = "$1" ] || fail "relay got $(nmsgs) messages, want $1"
}

for mode in implicit starttls; do
	t_begin "$mode: the second send resumes, -v and the log say so"
	relay_start "$mode" -n 2
	conf log="file:$T/log"
	send rcpt@example.com
	expect_rc 0
	f=$(cachefile)
	[ -n "$f" ] || fail "no session cached"
	[ "$(stat -c %a "$f" 2>/dev/null)" = 600 ] ||
	    fail "cache file mode $(stat -c %a "$f" 2>/dev/null), want 600"
	[ "$(stat -c %a "$(cachedir)")" = 700 ] ||
	    fail "cache directory mode $(stat -c %a "$(cachedir)")"
	send -v rcpt@example.com
	expect_rc 0
	expect_resumed 1 0
	expect_resumed 2 1
	expect_err '^=== TLS1\.3 .*\(resumed\)'
	expect_msgs 2
	expect_msg "$T/expected"
	grep -q 'tls=TLS1\.3,resumed ' "$T/log" ||
	    fail "log line lacks tls=TLS1.3,resumed: $(tail -1 "$T/log")"
	[ "$(grep -c 'resumed' "$T/log")" = 1 ] ||
	    fail "the first send is logged as resumed"
	t_end
done

t_begin "TLS 1.2 session ticket (RFC 5077) resumes"
relay_start implicit -n 2 -P 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
send rcpt@example.com
send -v rcpt@example.com
expect_rc 0
expect_tr '^--- tls established TLS1\.2'
expect_resumed 2 1
expect_err '^=== TLS1\.2 .*\(resumed\)'
expect_msgs 2
t_end

t_begin "another host name for the same relay does not resume"
relay_start implicit -n 3
send rcpt@example.com
expect_rc 0
conf host=localhost
send rcpt@example.com
expect_rc 0
send rcpt@example.com
expect_rc 0
expect_resumed 2 0
expect_resumed 3 1
expect_msgs 3
[ "$(find "$(cachedir)" -type f | wc -l)" = 2 ] ||
    fail "want one cached session per name"
t_end

t_begin "another account for the same relay does not resume"
relay_start implicit -n 2
send rcpt@example.com
sed -i 's/^\[test\]/[other]/; s/^default = test/default = other/' \
    "$T/config"
send rcpt@example.com
expect_rc 0
expect_resumed 2 0
expect_msgs 2
t_end

corrupt_case() {	# corrupt_case WHAT COMMAND
	t_begin "$1 costs a full handshake, the message is delivered"
	relay_start implicit -n 4
	send rcpt@example.com
	f=$(cachefile)
	[ -n "$f" ] || fail "no session cached"
	eval "$2"
	send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	expect_resumed "$(msgconn 2)" 0
	send rcpt@example.com
	expect_rc 0
	expect_resumed "$(msgconn 3)" 1
	expect_msgs 3
	t_end
}
corrupt_case "a cache file of garbage" \
    'head -c 700 /dev/urandom >"$f"'
corrupt_case "a session with damaged bytes" \
    'printf "\\x5a\\x5a\\x5a\\x5a" | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 40)) conv=notrunc 2>/dev/null'
corrupt_case "a truncated cache file" \
    'truncate -s -10 "$f"'
corrupt_case "an expired ticket" \
    'sed -i "s/^expires .*/expires 1000000000/" "$f"'
corrupt_case "a ticket from a foreign id line" \
    'sed -i "s/^id test /id other /" "$f"'

t_begin "a ticket the relay does not know (restarted) costs a full handshake"
relay_start implicit -n 3 -T rotate
send rcpt@example.com
send rcpt@example.com
expect_rc 0
send rcpt@example.com
expect_rc 0
expect_resumed 2 0
expect_resumed 3 0
expect_msgs 3
[ -n "$(cachefile)" ] || fail "the new ticket was not kept"
t_end

t_begin "a resumed session is verified again: CA gone from the trust -> 69"
relay_start implicit -n 3
send rcpt@example.com
expect_rc 0
conf tls_ca_file="$CERTS/unknownca.pem"
send -v rcpt@example.com
expect_rc 69
expect_err 'not accepted'
expect_err 'cached TLS session is dropped'
# the resumed connection was closed before AUTH, the full handshake failed
expect_resumed 2 1
grep -q '^--- tls handshake failed' "$T/transcript" ||
    fail "no full handshake after the refused resumption"
awk '/^=== connection 2/ {c = 1} c && /^C: (AUTH|MAIL)/ {bad = 1}
    END {exit bad}' "$T/transcript" || fail "AUTH or MAIL after a refused resumption"
[ -z "$(cachefile)" ] || fail "the refused session is still cached"
expect_msgs 1
t_end

# The binding kept with the ticket: while it holds, the resumed session
# is not verified again; any change to what verification depends on
# (the chain's CAs in the store, the settings, the validity window)
# makes the stored chain be verified again.
t_begin "a resumed session whose binding holds is not verified again"
relay_start implicit -n 3
send rcpt@example.com
expect_rc 0
grep -q '^verified [0-9a-f]\{64\} [0-9]* [0-9]*$' "$(cachefile)" ||
    fail "no binding kept with the ticket: $(sed -n 4p "$(cachefile)")"
send -v rcpt@example.com
expect_rc 0
expect_resumed 2 1
expect_err '^=== resumed session: the chain, its trust anchors .*not verified again'
# an unrelated CA added to tls_ca_file changes nothing this chain uses
cat "$CERTS/ca.pem" "$CERTS/unknownca.pem" >"$T/two-cas.pem"
conf tls_ca_file="$T/two-cas.pem"
send -v rcpt@example.com
expect_rc 0
expect_resumed 3 1
expect_err 'not verified again'
expect_msgs 3
t_end

rebind_case() {	# rebind_case WHAT COMMAND [CONF...]: verified again
	what=$1 cmd=$2
	shift 2
	t_begin "$what: the resumed chain is verified again, delivered"
	relay_start implicit -n 3
	send rcpt@example.com
	expect_rc 0
	f=$(cachefile)
	eval "$cmd"
	[ $# -eq 0 ] || conf "$@"
	send -v rcpt@example.com
	expect_rc 0
	expect_resumed 2 1
	expect_err '^=== resumed session: its chain was verified again'
	expect_msg "$T/expected"
	# the binding kept with the new ticket holds again
	send -v rcpt@example.com
	expect_rc 0
	expect_err 'not verified again'
	expect_msgs 3
	t_end
}
rebind_case "a binding of other certificates" \
    'sed -i "s/^verified 0/verified 1/; t; s/^verified [1-9a-f]/verified 0/" "$f"'
rebind_case "a binding past its validity" \
    'sed -i "s/^verified \([0-9a-f]*\) .*/verified \1 1000000000 1000000001/" "$f"'
rebind_case "a binding not yet valid" \
    'sed -i "s/^verified \([0-9a-f]*\) .*/verified \1 4000000000 4000000001/" "$f"'
rebind_case "another tls_priority" : \
    tls_priority="NORMAL:-VERS-ALL:+VERS-TLS1.3"

t_begin "tls_session_cache = no: nothing cached, nothing resumed"
relay_start implicit -n 2
conf tls_session_cache=no
send rcpt@example.com
send rcpt@example.com
expect_rc 0
expect_resumed 2 0
[ -z "$(cachefile)" ] || fail "a session was cached"
expect_msgs 2
t_end

t_begin "no usable state directory: sends normally without resuming"
msg_default
relay_start implicit -n 2
conf queue_dir=
for i in 1 2; do
	env -u XDG_STATE_HOME HOME=/nonexistent "$RELAYMAIL" -C "$T/config" \
	    rcpt@example.com <"$T/in" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	expect_rc 0
done
relay_settle
expect_resumed 2 0
expect_msgs 2
t_end

t_begin "8 concurrent senders share the cache; the next send resumes"
relay_start implicit -n 10 -L 60
conf timeout=30
send rcpt@example.com
senders 8 rcpt@example.com
[ "$BAD" = 0 ] || fail "$BAD senders failed: $(cat "$T"/err.* | head -3)"
send rcpt@example.com
expect_rc 0
expect_resumed 10 1
expect_msgs 10
[ "$(find "$(cachedir)" -type f | wc -l)" = 1 ] ||
    fail "cache holds $(ls "$(cachedir)")"
t_end

# relaymail sends one X25519 key share; a server without X25519 asks
# for another group (HelloRetryRequest, RFC 8446 §4.1.4): one round trip
# more, still delivered, and its session still resumes.
t_begin "a relay without X25519: HelloRetryRequest, delivered, then resumed"
relay_start implicit -n 2 -P 'NORMAL:-GROUP-ALL:+GROUP-SECP256R1'
send rcpt@example.com
expect_rc 0
expect_tr '^--- tls established TLS1\.3 .*SECP256R1'
send rcpt@example.com
expect_rc 0
expect_resumed 2 1
expect_msgs 2
t_end

t_finish
