#!/bin/sh
# Interop: a shell script's `sendmail -t -oi` with To, Cc and Bcc through
# relaymail into a real Postfix. Every recipient gets the message; the Bcc
# header is in no delivered copy (RFC 5322 section 3.6.3); -oi keeps a
# lone-dot line as data.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup
CONF=$T/t.conf
rm_conf "$CONF" implicit
BOB=bob@$PF_DOMAIN
CAROL=carol@$PF_DOMAIN
DAVE=dave@$PF_DOMAIN
ERIN=erin@$PF_DOMAIN

report() {
	# The kind of script that cron jobs and monitoring hooks run.
	cat <<-MSG | "$RM" -C "$CONF" -t -oi
	From: Backup Job <$PF_USER>
	To: Bob <$BOB>
	Cc: $CAROL,
	 Erin <$ERIN>
	Bcc: Dave <$DAVE>
	Subject: nightly report $1

	backup finished
	.
	size: 42
	MSG
}

report 1 > "$T/run.out" 2>&1
rc=$?
if [ $rc != 0 ]; then
	rm_fail "sendmail -t -oi: exit $rc, want 0" "$T/run.out"
	rm_finish
fi
rm_ok "sendmail -t -oi: exit 0"
for a in "$BOB" "$CAROL" "$ERIN" "$DAVE"; do
	rm_fetch "$a" '^Subject: nightly report 1$' "$a: got nothing" ||
	    continue
	hdrs=$(rm_strip_trace "$got" | sed '/^$/q')
	if echo "$hdrs" | grep -qi '^Bcc:' || echo "$hdrs" | grep -q "$DAVE"
	then
		rm_fail "$a: the Bcc recipient shows in the headers" "$got"
	elif ! rm_body "$got" | grep -qx '\.'; then
		rm_fail "$a: the lone dot line was lost (-oi)" "$got"
	elif ! rm_body "$got" | grep -qx 'size: 42'; then
		rm_fail "$a: the body after the dot was lost" "$got"
	elif [ "$(rm_header "$got" Cc)" != "$CAROL, Erin <$ERIN>" ]; then
		rm_fail "$a: Cc header changed" "$got"
	else
		rm_ok "$a: got it, no Bcc header, body whole"
	fi
done
# Each recipient exactly one copy: nothing duplicated, nothing extra.
for a in "$BOB" "$CAROL" "$ERIN" "$DAVE"; do
	n=$(pf_count "$a")
	[ "$n" = 1 ] || rm_fail "$a: $n copies, want 1"
done
rm_finish
