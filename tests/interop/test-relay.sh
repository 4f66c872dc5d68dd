#!/bin/sh
# Interop: relaymail through a real Postfix (tests/interop/lib-postfix.sh)
# on the implicit-TLS port (RFC 8314) and the STARTTLS-required submission
# port (RFC 3207), with every SASL mechanism Postfix offers (RFC 4954) and
# auth=auto. The delivered copy must equal what was sent apart from the
# trace headers Postfix prepends; a wrong password must exit 77 (EX_NOPERM)
# and deliver nothing.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup
RCPT=bob@$PF_DOMAIN

make_msg() {
	# A message whose every byte must come through: dot lines (RFC 5321
	# section 4.5.2), a lone dot (-i keeps it), tabs, trailing blanks,
	# empty lines, a folded header.
	cat <<-MSG
	From: Alice Example <$PF_USER>
	To: Bob <$RCPT>
	Subject: interop $1
	 folded subject line
	Date: Sun, 23 Nov 2025 01:02:03 +0000
	Message-ID: <interop-$1@client.example.test>
	MIME-Version: 1.0
	Content-Type: text/plain; charset=us-ascii
	X-Test-Case: $1

	first line of $1
	.leading dot
	..two dots
	.
	 	tab and blanks at the end  	

	a line that is fairly long but well under the 998 octet limit of RFC 5322 section 2.1.1, xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
	last line
	MSG
}

run_rm() {
	# run_rm NAME MODE FLAGS KEY=VALUE...: sends the message of case NAME
	# ($T/NAME.in) to RCPT with `relaymail FLAGS` and a config for MODE
	# with KEY=VALUE ($T/NAME.conf); sets rc, and before (RCPT's count of
	# messages before the send). Output in $T/NAME.out.
	name=$1
	conf=$T/$name.conf
	tmode=$2
	flags=$3
	shift 3
	rm_conf "$conf" "$tmode" "$@"
	make_msg "$name" > "$T/$name.in"
	before=$(pf_count "$RCPT")
	"$RM" -C "$conf" $flags "$RCPT" < "$T/$name.in" > "$T/$name.out" 2>&1
	rc=$?
}

send_case() {
	# send_case NAME MODE AUTH
	run_rm "$1" "$2" "-i -f $PF_USER" "auth=$3"
	if [ $rc != 0 ]; then
		rm_fail "$name: exit $rc, want 0" "$T/$name.out"
		return
	fi
	if ! pf_wait_mail "$RCPT" $((before + 1)) 20; then
		rm_fail "$name: not delivered" "$T/$name.out"
		return
	fi
	got=$(grep -l "^X-Test-Case: $name\$" "$(pf_maildir "$RCPT")"/new/*)
	if [ -z "$got" ]; then
		rm_fail "$name: delivered message not found"
		return
	fi
	rm_strip_trace "$got" > "$T/$name.got"
	if ! cmp -s "$T/$name.in" "$T/$name.got"; then
		diff -u "$T/$name.in" "$T/$name.got" > "$T/$name.diff"
		rm_fail "$name: delivered copy differs from what was sent" \
		    "$T/$name.diff"
		return
	fi
	rp=$(rm_header "$got" Return-Path)
	if [ "$rp" != "<$PF_USER>" ]; then
		rm_fail "$name: Return-Path is '$rp', want <$PF_USER>"
		return
	fi
	# Postfix logs the mechanism it accepted: it must be the one asked
	# for, and with auto the strongest both sides have.
	want=$(echo "$3" | tr 'a-z' 'A-Z')
	[ "$3" = auto ] && want=$AUTO_MECH
	after=$(grep -c "sasl_method=$want, sasl_username=$PF_USER" \
	    "$PF_DIR/maillog")
	if [ "$after" -le "$(cat "$T/mech.$want" 2>/dev/null || echo 0)" ]
	then
		rm_fail "$name: Postfix did not log sasl_method=$want" \
		    "$T/$name.out"
		return
	fi
	echo "$after" > "$T/mech.$want"
	rm_ok "$name: $2 port, auth=$3 ($want), delivered byte for byte"
}

refused_case() {
	# refused_case NAME MODE EXIT SLEEP OK-TEXT KEY=VALUE...: with the
	# config changed by KEY=VALUE relaymail must exit EXIT, deliver
	# nothing (checked after SLEEP seconds) and never show the wrong
	# password of wrong_password.
	name=$1
	tmode=$2
	want=$3
	pause=$4
	text=$5
	shift 5
	run_rm "$name" "$tmode" -i "$@"
	sleep "$pause"
	if [ $rc != "$want" ]; then
		rm_fail "$name: exit $rc, want $want" "$T/$name.out"
	elif [ "$(pf_count "$RCPT")" != "$before" ] || ! pf_queue_empty; then
		rm_fail "$name: a message got through"
	elif grep -q 'not-the-password' "$T/$name.out"; then
		rm_fail "$name: the password shows in the output" "$T/$name.out"
	else
		rm_ok "$name: $text"
	fi
}

wrong_password() {
	# wrong_password MODE AUTH: 535 from Postfix -> exit 77, no mail.
	refused_case "badpw-$1-$2" "$1" 77 0.5 \
	    "wrong password refused, exit 77, nothing delivered" \
	    "auth=$2" "password=not-the-password"
}

bad_tls() {
	# bad_tls NAME MODE KEY=VALUE: a certificate relaymail must not trust
	# (TLS fails closed, relaymail(8)): exit 69, nothing delivered.
	refused_case "$1" "$2" 69 0.3 \
	    "$2 port, $3: refused, exit 69, nothing delivered" "$3"
}

mechs=$(echo "$PF_MECHS" | tr 'A-Z' 'a-z')
# The strongest mechanism Postfix offers here (relaymail.conf(5), auth=auto).
AUTO_MECH=CRAM-MD5
case " $PF_MECHS " in *" SCRAM-SHA-256 "*) AUTO_MECH=SCRAM-SHA-256 ;; esac
for mode in implicit starttls; do
	for m in $mechs auto; do
		send_case "$mode-$m" "$mode" "$m"
	done
	wrong_password "$mode" plain
	wrong_password "$mode" auto
	# The system trust store does not know the test CA.
	bad_tls "untrusted-$mode" "$mode" "tls_ca_file="
	# The certificate is for localhost, not for this name.
	bad_tls "wrongname-$mode" "$mode" "tls_server_name=mail.example.test"
done
rm_finish
