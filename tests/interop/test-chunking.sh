#!/bin/sh
# Interop: CHUNKING (RFC 3030) against a real Postfix, which offers it by
# default. relaymail must use BDAT ... LAST (the -v transcript shows it,
# and no DATA), and the delivered copy must equal what was sent apart
# from the trace headers Postfix prepends: a small message (pipelined with
# the envelope: queue=on-failure, and queue=never with one recipient),
# and a 3 MB one (over the 1 MiB pipelining threshold: envelope answered
# first). Lines starting with "." prove the octets were not dot-stuffed.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup
RCPT=carol@$PF_DOMAIN

make_msg() {	# make_msg NAME [MB]: headers, dot lines, MB of base64
	printf 'From: Alice Example <%s>\nTo: Carol <%s>\n' "$PF_USER" "$RCPT"
	printf 'Subject: chunking %s\nDate: Sun, 23 Nov 2025 01:02:03 +0000\n' "$1"
	printf 'Message-ID: <chunking-%s@client.example.test>\n' "$1"
	printf 'X-Test-Case: chunking-%s\n\n.leading dot\n..two dots\nbody\n' "$1"
	[ "${2:-0}" = 0 ] ||
	    head -c $(($2 * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76
}

chunk_case() {	# chunk_case NAME MODE MB KEY=VALUE...
	name=$1
	tmode=$2
	mb=$3
	shift 3
	rm_conf "$T/$name.conf" "$tmode" auth=plain "$@"
	make_msg "$name" "$mb" > "$T/$name.in"
	"$RM" -C "$T/$name.conf" -v -f "$PF_USER" "$RCPT" \
	    < "$T/$name.in" > "$T/$name.out" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		rm_fail "$name: exit $rc, want 0" "$T/$name.out"
		return
	fi
	if ! grep -q 'CHUNKING' "$T/$name.out"; then
		rm_fail "$name: Postfix did not offer CHUNKING" "$T/$name.out"
		return
	fi
	if ! grep -qE '> BDAT [0-9]+ LAST' "$T/$name.out" ||
	    grep -qE '> DATA$' "$T/$name.out"; then
		rm_fail "$name: BDAT not used" "$T/$name.out"
		return
	fi
	rm_fetch "$RCPT" "^X-Test-Case: chunking-$name\$" \
	    "$name: not delivered" "$T/$name.out" || return
	rm_strip_trace "$got" > "$T/$name.got"
	if ! cmp -s "$T/$name.in" "$T/$name.got"; then
		rm_fail "$name: delivered copy differs from what was sent"
		return
	fi
	rm_ok "$name: $tmode port, $mb MB, BDAT, delivered byte for byte"
}

chunk_case small-partial implicit 0 queue=on-failure
chunk_case small-never starttls 0 queue=never
chunk_case big-partial implicit 3 queue=on-failure
chunk_case big-never starttls 3 queue=never
rm_finish
