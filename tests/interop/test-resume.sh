#!/bin/sh
# Interop: TLS session resumption (RFC 8446 §4.6.1 tickets) with a real
# Postfix, which issues tickets by default. On each port the first send
# does a full handshake and keeps the ticket; the second resumes (-v says
# "(resumed)", the log line "tls=...,resumed") and is delivered; a third
# with the session cache turned off does not resume.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup
RCPT=dave@$PF_DOMAIN

make_msg() {	# make_msg NAME
	printf 'From: Alice Example <%s>\nTo: Dave <%s>\n' "$PF_USER" "$RCPT"
	printf 'Subject: resume %s\nDate: Sun, 23 Nov 2025 01:02:03 +0000\n' "$1"
	printf 'Message-ID: <resume-%s@client.example.test>\n' "$1"
	printf 'X-Test-Case: resume-%s\n\nbody of %s\n' "$1" "$1"
}

send_one() {	# send_one NAME CONF: sets rc; output in $T/NAME.out
	make_msg "$1" > "$T/$1.in"
	"$RM" -C "$2" -v -f "$PF_USER" "$RCPT" < "$T/$1.in" \
	    > "$T/$1.out" 2>&1
	rc=$?
}

resume_case() {	# resume_case MODE
	m=$1
	rm -rf "$PF_DIR/rmq-$m"
	rm_conf "$T/$m.conf" "$m" auth=plain queue_dir="$PF_DIR/rmq-$m" \
	    log="file:$T/$m.log"
	send_one "$m-1" "$T/$m.conf"
	if [ $rc != 0 ] || grep -q '(resumed)' "$T/$m-1.out"; then
		rm_fail "$m: first send (exit $rc) must be a full handshake" \
		    "$T/$m-1.out"
		return
	fi
	send_one "$m-2" "$T/$m.conf"
	if [ $rc != 0 ] || ! grep -q '^=== TLS1\.3 .*(resumed)' "$T/$m-2.out"; then
		rm_fail "$m: second send (exit $rc) did not resume" "$T/$m-2.out"
		return
	fi
	if ! grep -q 'tls=TLS1\.3,resumed ' "$T/$m.log"; then
		rm_fail "$m: the log line does not say resumed" "$T/$m.log"
		return
	fi
	rm_fetch "$RCPT" "^X-Test-Case: resume-$m-2\$" \
	    "$m: the resumed send was not delivered" "$T/$m-2.out" || return
	rm_conf "$T/$m-off.conf" "$m" auth=plain queue_dir="$PF_DIR/rmq-$m" \
	    tls_session_cache=no
	send_one "$m-3" "$T/$m-off.conf"
	if [ $rc != 0 ] || grep -q '(resumed)' "$T/$m-3.out"; then
		rm_fail "$m: tls_session_cache = no (exit $rc) resumed" \
		    "$T/$m-3.out"
		return
	fi
	rm_ok "$m port: second send resumed and delivered; off: full handshake"
}

resume_case implicit
resume_case starttls
rm_finish
