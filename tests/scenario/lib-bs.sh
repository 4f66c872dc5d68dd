# tests/scenario/lib-bs.sh - a scripted SMTP client for relaymail -bs,
# sourced after ../lib.sh by bs.sh. run-scenarios.sh skips lib*.sh.
#
# The dialogue is written with LF line ends (sent as CRLF):
#	dialogue <<EOF
#	EHLO client.example
#	MAIL FROM:<a@example.com>
#	...
#	EOF
#	bs_chat [relaymail args]	# lock-step, as Symfony Mailer talks
#	bs_pipe [relaymail args]	# everything in one write (RFC 2920)
# The replies are in $T/replies, the exit status in RC; expect_codes
# "220 250 ..." checks the code of every reply in order, expect_reply RE
# one reply line.

dialogue() { cat >"$T/bs.in"; }

bs_vg() {
	BS_VG=()
	[ -z "${VALGRIND:-}" ] || BS_VG=("${VG[@]}")
}

# The replies of one read: lines up to the one with "NNN " (or "NNN").
bs_read_reply() {
	local l
	while IFS= read -r -t 60 l <&"$BS_OUT"; do
		l=${l%$'\r'}
		printf '%s\n' "$l" >>"$T/replies"
		case $l in
		[0-9][0-9][0-9]' '* | [0-9][0-9][0-9])
			BS_CODE=${l:0:3}
			return 0 ;;
		esac
	done
	return 1
}

# Lock-step: each command waits for its reply; after 354 the text is
# sent up to its "." line, then the reply to the end of data is read.
bs_chat() {
	local line in_data=0 pid
	[ -f "$T/config" ] || conf
	bs_vg
	: >"$T/replies"
	coproc BS { exec timeout 120 "${BS_VG[@]}" "$RELAYMAIL" \
	    -C "$T/config" -bs "$@" 2>"$T/stderr"; }
	pid=$BS_PID
	exec {BS_OUT}<&"${BS[0]}" {BS_IN}>&"${BS[1]}"
	if bs_read_reply; then
		while IFS= read -r line; do
			printf '%s\r\n' "$line" >&"$BS_IN" 2>/dev/null || break
			if [ "$in_data" = 1 ]; then
				[ "$line" = . ] || continue
				in_data=0
			fi
			bs_read_reply || break
			[ "$BS_CODE" = 354 ] && in_data=1
		done <"$T/bs.in"
	fi
	exec {BS_IN}>&-
	cat <&"$BS_OUT" | tr -d '\r' >>"$T/replies"
	exec {BS_OUT}<&-
	wait "$pid"
	RC=$?
	relay_settle
}

# Pipelined: the whole dialogue in one write, then EOF.
bs_pipe() {
	[ -f "$T/config" ] || conf
	bs_vg
	crlf <"$T/bs.in" | timeout 120 "${BS_VG[@]}" "$RELAYMAIL" \
	    -C "$T/config" -bs "$@" >"$T/replies.raw" 2>"$T/stderr"
	RC=${PIPESTATUS[1]}
	tr -d '\r' <"$T/replies.raw" >"$T/replies"
	relay_settle
}

# The code of each complete reply, in order, space-separated.
bs_codes() {
	grep -aE '^[0-9]{3}( |$)' "$T/replies" | cut -c1-3 | tr '\n' ' ' |
	    sed 's/ $//'
}

expect_codes() {
	local got
	got=$(bs_codes)
	[ "$got" = "$1" ] || fail "replies '$got', want '$1'"
}

expect_reply() {
	grep -qaE -- "$1" "$T/replies" || fail "no reply /$1/"
}

expect_no_reply() {
	grep -qaE -- "$1" "$T/replies" && fail "a reply has /$1/"
	return 0
}

# A message as a client sends it (dot-stuffed) and as the relay must
# get it: $T/expected. Headers complete, so nothing is added.
bs_message() {
	cat <<-'EOM'
	From: Sender <sender@example.com>
	To: rcpt@example.com
	Subject: relaymail -bs
	Date: Mon, 01 Jan 2024 00:00:00 +0000
	Message-ID: <bs@example.com>

	Hello.
	..leading dot
	Bye.
	.
	EOM
}

bs_expected() {
	bs_message | sed '$d' | sed 's/^\.\././' | crlf >"${1:-$T/expected}"
}
