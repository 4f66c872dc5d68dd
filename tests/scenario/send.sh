#!/bin/bash
# Successful deliveries and the message/envelope rules (relaymail(8),
# §5): what the relay receives is compared byte for byte with what it
# must be; the transcript shows the envelope, DSN/SIZE/BODY parameters,
# pipelining and QUIT written with the end of data.
. "$(dirname "$0")/../lib.sh"

for mode in plain implicit starttls; do
	t_begin "deliver over $mode, message byte for byte"
	relay_start "$mode"
	send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	expect_tr '^C: MAIL FROM:<sender@example.com>'
	expect_tr '^C: RCPT TO:<rcpt@example.com>'
	expect_tr '^--- auth ok'
	expect_no_leak
	t_end
done

t_begin "implicit TLS: every client byte went over TLS"
relay_start implicit
send rcpt@example.com
expect_rc 0
expect_no_tr '^--- read .* plain$'
expect_tr '^--- tls established TLS1\.[23]'
expect_msg "$T/expected"
t_end

t_begin "pipelining: AUTH+MAIL+RCPT+DATA in one client write"
relay_start implicit
send rcpt@example.com
expect_rc 0
expect_chunk '^C: AUTH PLAIN ' '^C: MAIL FROM:' '^C: RCPT TO:' '^C: DATA$'
expect_msg "$T/expected"
t_end

t_begin "QUIT written together with the end of data"
relay_start implicit
send rcpt@example.com
expect_rc 0
expect_chunk '^C: \.$' '^C: QUIT$'
expect_msg "$T/expected"
t_end

t_begin "no PIPELINING offered: still delivered"
script <<-'EOS'
	nocap PIPELINING
EOS
relay_start implicit
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

for mech in login cram-md5 plain; do
	t_begin "auth = $mech against the relay's real check"
	relay_start starttls
	conf auth=$mech
	send rcpt@example.com
	expect_rc 0
	expect_tr "^--- auth ok mech=$(echo "$mech" | tr a-z A-Z)"
	expect_no_leak
	expect_msg "$T/expected"
	t_end
done

t_begin "auth = login with a wrong password -> 77"
relay_start starttls
conf auth=login password=not-it
send rcpt@example.com
expect_rc 77
expect_tr '^--- auth failed mech=LOGIN'
expect_no_mail_after_auth
t_end

t_begin "tls = none to loopback with auth"
relay_start plain
send rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok'
expect_msg "$T/expected"
t_end

t_begin "Date, Message-ID, From added; Bcc removed"
relay_start implicit
msg <<-'EOM'
	To: rcpt@example.com
	Bcc: hidden@example.com
	Subject: generated headers

	body
EOM
printf 'To: rcpt@example.com\r\nSubject: generated headers\r\n\r\nbody\r\n' \
    >"$T/want"
send rcpt@example.com
expect_rc 0
expect_msg_filtered "$T/want"
grep -qai '^Date: ' "$T/msg" || fail "no Date added"
grep -qai '^Message-ID: <.*@.*>' "$T/msg" || fail "no Message-ID added"
grep -qai '^From: .*sender@example.com' "$T/msg" || fail "no From added"
grep -qai '^Bcc:' "$T/msg" && fail "Bcc not removed"
expect_no_tr 'hidden@example.com'
t_end

t_begin "-F sets the full name of an added From"
relay_start implicit
printf 'To: rcpt@example.com\nSubject: x\n\nbody\n' | msg
send -F 'Test Sender' -f sender@example.com rcpt@example.com
expect_rc 0
grep -qa '^From: .*Test Sender.*sender@example.com' "$T/msg" ||
    fail "From lacks the -F name"
t_end

t_begin "line endings, bare CR, NUL and mbox From_ line"
relay_start implicit
printf 'From sender@example.com Mon Jan  1 00:00:00 2024\nFrom: <sender@example.com>\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <n@example.com>\nSubject: norm\n\na\rb\r\nc\0d\n..two\n' | msg
printf 'From: <sender@example.com>\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <n@example.com>\r\nSubject: norm\r\n\r\na b\r\ncd\r\n..two\r\n' >"$T/want"
send rcpt@example.com
expect_rc 0
expect_msg "$T/want"
expect_tr '^C: \.\.\.two'
t_end

t_begin "without -i a lone dot ends the input"
relay_start implicit
printf 'From: <sender@example.com>\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <d@example.com>\n\nline1\n.\nline3\n' | msg
printf 'From: <sender@example.com>\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <d@example.com>\r\n\r\nline1\r\n' >"$T/want"
send rcpt@example.com
expect_rc 0
expect_msg "$T/want"
t_end

for flag in -i -oi; do
	t_begin "with $flag a lone dot is content (dot-stuffed on the wire)"
	relay_start implicit
	printf 'From: <sender@example.com>\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <d@example.com>\n\nline1\n.\nline3\n' | msg
	printf 'From: <sender@example.com>\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <d@example.com>\r\n\r\nline1\r\n.\r\nline3\r\n' >"$T/want"
	send "$flag" rcpt@example.com
	expect_rc 0
	expect_msg "$T/want"
	expect_tr '^C: \.\.$'
	t_end
done

for f in '<>' ''; do
	t_begin "-f '$f' is the null sender"
	relay_start implicit
	send -f "$f" rcpt@example.com
	expect_rc 0
	expect_tr '^C: MAIL FROM:<>( |$)'
	expect_msg "$T/expected"
	t_end
done

t_begin "-f and -r set the envelope sender"
relay_start implicit
send -r other@example.com rcpt@example.com
expect_rc 0
expect_tr '^C: MAIL FROM:<other@example.com>'
t_end

t_begin "cron MAILTO: a comma list in one argument"
relay_start implicit
send 'a@example.com, b@example.com,c@example.com'
expect_rc 0
expect_tr '^C: RCPT TO:<a@example.com>'
expect_tr '^C: RCPT TO:<b@example.com>'
expect_tr '^C: RCPT TO:<c@example.com>'
expect_msg "$T/expected"
t_end

t_begin "-t takes To, Cc and Bcc, removes Bcc, drops duplicates"
relay_start implicit
msg <<-'EOM'
	From: <sender@example.com>
	Date: Mon, 01 Jan 2024 00:00:00 +0000
	Message-ID: <t@example.com>
	To: to@example.com
	Cc: Someone <cc@example.com>, to@example.com
	Bcc: bcc@example.com
	Subject: -t

	body
EOM
send -t extra@example.com
expect_rc 0
for r in to cc bcc extra; do
	expect_tr "^C: RCPT TO:<$r@example.com>"
done
[ "$(grep -c '^C: RCPT TO:<to@example.com>' "$T/transcript")" = 1 ] ||
    fail "duplicate recipient sent twice"
grep -qai '^Bcc:' "$T/msg" && fail "Bcc not removed"
t_end

# RFC 5322 §3.6.6: each resend prepends a block holding one Resent-Date
# and one Resent-From; a block ends at a trace field or where a field of
# the block repeats.
resent_case() {	# title, separator line between the blocks ("" = none)
	t_begin "-t with Resent- headers uses the topmost block ($1)"
	relay_start implicit
	{
		printf 'Resent-From: <sender@example.com>\nResent-To: new@example.com\n'
		printf 'Resent-Cc: newcc@example.com\nResent-Date: Tue, 02 Jan 2024 00:00:00 +0000\n'
		[ -n "$2" ] && printf '%s\n' "$2"
		printf 'Resent-From: <older@example.com>\nResent-To: oldresent@example.com\n'
		printf 'Resent-Date: Mon, 01 Jan 2024 12:00:00 +0000\n'
		printf 'From: <orig@example.com>\nTo: orig-to@example.com\n'
		printf 'Date: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <r@example.com>\n'
		printf 'Subject: resent\n\nbody\n'
	} | msg
	send -t
	expect_rc 0
	expect_tr '^C: RCPT TO:<new@example.com>'
	expect_tr '^C: RCPT TO:<newcc@example.com>'
	expect_no_tr 'RCPT TO:<orig-to@example.com>'
	expect_no_tr 'RCPT TO:<oldresent@example.com>'
	t_end
}
resent_case "blocks separated by Received" \
    'Received: from a.example.com by b.example.com; Tue, 02 Jan 2024 00:00:00 +0000'
resent_case "adjacent blocks" ""

t_begin "DSN parameters when the relay offers DSN"
script <<-'EOS'
	cap DSN
EOS
relay_start implicit
send -N success,failure -R hdrs -V envid-42 rcpt@example.com
expect_rc 0
expect_tr '^C: MAIL FROM:<sender@example.com>.* RET=HDRS'
expect_tr '^C: MAIL FROM:.* ENVID=envid-42'
expect_tr '^C: RCPT TO:<rcpt@example.com>.* NOTIFY=SUCCESS,FAILURE'
expect_msg "$T/expected"
t_end

t_begin "DSN parameters left out when DSN is not offered"
relay_start implicit
send -N success,failure -R hdrs -V envid-42 rcpt@example.com
expect_rc 0
expect_no_tr 'RET=|ENVID=|NOTIFY='
expect_msg "$T/expected"
t_end

t_begin "SIZE= and BODY=8BITMIME when offered"
relay_start implicit
printf 'From: <sender@example.com>\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <8@example.com>\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\ncaf\303\251\n' | msg
crlf <"$T/in" >"$T/want"
send rcpt@example.com
expect_rc 0
expect_tr '^C: MAIL FROM:<sender@example.com>.* SIZE=[0-9]+'
expect_tr '^C: MAIL FROM:.* BODY=8BITMIME'
expect_msg "$T/want"
t_end

t_begin "no SIZE= when SIZE is not offered"
script <<-'EOS'
	nocap SIZE
EOS
relay_start implicit
send rcpt@example.com
expect_rc 0
expect_no_tr 'SIZE='
expect_msg "$T/expected"
t_end

t_begin "one recipient refused: all or nothing, exit with its class"
script <<-'EOS'
	rcpt:2 550 5.1.1 <b@example.com>: no such user
EOS
relay_start implicit
send a@example.com b@example.com
expect_rc 67
grep -qa 'relaymail scenario' "$T/msg" 2>/dev/null &&
    fail "message delivered to the accepted recipient"
t_end

# Runs relaymail under GNU time; RSS gets the peak resident set in KiB.
send_rss() {
	local real=$RELAYMAIL
	RELAYMAIL=$T/rm-wrap
	printf '#!/bin/sh\nexec /usr/bin/time -f %%M -o %s %s "$@"\n' \
	    "$T/rss" "$real" >"$RELAYMAIL"
	chmod +x "$RELAYMAIL"
	send "$@"
	RELAYMAIL=$real
	RSS=$(tail -1 "$T/rss")
}

t_begin "a 5 MB message arrives intact, in bounded memory"
relay_start implicit -n 2
{
	printf 'From: <sender@example.com>\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <big@example.com>\nSubject: big\n\n'
	awk 'BEGIN { for (i = 0; i < 70000; i++) {
		printf "%s%06d the quick brown fox jumps over the lazy dog 0123456789\n",
		    (i % 97 == 0 ? "." : ""), i } }'
} | msg
crlf <"$T/in" >"$T/want"
# Not under valgrind or the sanitizers (SANITIZE=1 from make check
# SANITIZE=1): their own allocators decide the resident set there.
if [ -x /usr/bin/time ] && [ -z "${VALGRIND:-}" ] &&
    [ "${SANITIZE:-0}" != 1 ]; then
	# Peak RSS for the 5 MB message against the one for a tiny one.
	cp "$T/in" "$T/big"
	msg_default
	send_rss rcpt@example.com
	small=$RSS
	cp "$T/big" "$T/in"
	send_rss rcpt@example.com
	expect_rc 0
	[ "${RSS:-0}" -lt $((small + 3072)) ] ||
	    fail "peak RSS $RSS KiB for 5 MB, $small KiB for a tiny message"
	mv "$T/msg.2" "$T/msg"
else
	send rcpt@example.com
	expect_rc 0
fi
expect_msg "$T/want"
t_end

t_begin "-v transcript on stderr with AUTH redacted"
relay_start starttls
send -v rcpt@example.com
expect_rc 0
expect_err 'MAIL FROM:<sender@example.com>'
grep -qaF -- "$PASSWORD" "$T/stderr" && fail "password in -v output"
grep -qaF -- "$(printf '\0%s\0%s' "$TUSER" "$PASSWORD" | base64 -w0)" \
    "$T/stderr" && fail "AUTH PLAIN payload in -v output"
expect_msg "$T/expected"
t_end

t_begin "HELO fallback when EHLO is refused and neither TLS nor AUTH is needed"
script <<-'EOS'
	ehlo 502 5.5.1 EHLO not implemented
	auth-optional
EOS
relay_start plain
conf user= password=
send rcpt@example.com
expect_rc 0
expect_tr '^C: HELO '
expect_no_tr '^C: AUTH'
expect_msg "$T/expected"
t_end

t_begin "no HELO fallback when TLS is required: EHLO 502 -> 69"
script <<-'EOS'
	ehlo 502 5.5.1 EHLO not implemented
EOS
relay_start starttls
send rcpt@example.com
expect_rc 69
expect_no_tr '^C: HELO '
expect_no_mail
t_end

t_finish
