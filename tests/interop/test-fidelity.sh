#!/bin/sh
# Interop: long lines through a real Postfix (tests/interop/lib-postfix.sh).
# Postfix would fold a line over its line_length_limit (2048) and other
# relays refuse lines over 998 octets (RFC 5322 section 2.1.1), so
# relaymail re-encodes such a body as quoted-printable (RFC 2045 section
# 6.7). The delivered copy must have no line over 998 octets, the
# re-encoded part must decode (Perl's MIME::QuotedPrint) to exactly what
# was sent, and every other part must arrive byte for byte.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup
RCPT=bob@$PF_DOMAIN

# long N: one line of N octets of words (LF-terminated).
long() {
	perl -e 'my $s = ""; $s .= "w$_ " for 1..100000;
	    print substr($s, 0, $ARGV[0]), "\n"' "$1"
}

hdr() {
	cat <<-MSG
	From: Alice Example <$PF_USER>
	To: Bob <$RCPT>
	Subject: fidelity $1
	Date: Sun, 23 Nov 2025 01:02:03 +0000
	Message-ID: <fidelity-$1@client.example.test>
	X-Test-Case: $1
	MSG
}

# deliver NAME: sends $T/NAME.in, waits for it; got = its delivered copy.
deliver() {
	rm_conf "$T/$1.conf" implicit
	"$RM" -C "$T/$1.conf" -i -f "$PF_USER" "$RCPT" < "$T/$1.in" \
	    > "$T/$1.out" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		rm_fail "$1: exit $rc, want 0" "$T/$1.out"
		return 1
	fi
	rm_fetch "$RCPT" "^X-Test-Case: $1\$" "$1: not delivered" \
	    "$T/$1.out" || return 1
	rm_strip_trace "$got" > "$T/$1.got"
	if awk 'length($0) > 998 { bad = 1 } END { exit !bad }' "$T/$1.got"
	then
		rm_fail "$1: a line over 998 octets was delivered"
		return 1
	fi
}

unqp() { perl -MMIME::QuotedPrint -0777 -ne 'print decode_qp($_)'; }

# A 5000-octet HTML line in a single-part message.
name=single
{ hdr $name; printf 'Content-Type: text/html; charset=utf-8\n\n'
  printf '<p>caf\303\251</p>\n'; long 5000; } > "$T/$name.in"
sed '1,/^$/d' "$T/$name.in" > "$T/$name.body"
if deliver $name; then
	if [ "$(rm_header "$T/$name.got" Content-Transfer-Encoding)" != \
	    quoted-printable ]; then
		rm_fail "$name: no Content-Transfer-Encoding: quoted-printable"
	elif ! rm_body "$T/$name.got" | unqp | cmp -s - "$T/$name.body"; then
		rm_fail "$name: decoded body differs from what was sent"
	else
		rm_ok "$name: 5000-octet line re-encoded, decodes to the original"
	fi
fi

# A multipart message: only the long-line part changes.
name=multipart
{ hdr $name; printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_x"\n\n'
  printf 'preamble\n--=_x\nContent-Type: text/plain\n\nshort text\n--=_x\n'
  printf 'Content-Type: text/html\n\n'; long 3000
  printf -- '--=_x\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQ=\n--=_x--\n'
} > "$T/$name.in"
long 3000 > "$T/$name.part"
if deliver $name; then
	# the delivered part between its header and the next delimiter
	awk '/^Content-Transfer-Encoding: quoted-printable$/ { p = 1; next }
	    p && /^--=_x/ { exit } p && s { print } p && /^$/ { s = 1 }' \
	    "$T/$name.got" | unqp > "$T/$name.dec"
	# everything but that part, as sent and as delivered
	awk '/^Content-Type: text\/html$/ { skip = 1 } /^--=_x/ { skip = 0 }
	    !skip' "$T/$name.in" > "$T/$name.rest.in"
	awk '/^Content-Type: text\/html$/ { skip = 1 } /^--=_x/ { skip = 0 }
	    !skip' "$T/$name.got" > "$T/$name.rest.got"
	if ! cmp -s "$T/$name.dec" "$T/$name.part"; then
		rm_fail "$name: decoded part differs from what was sent"
	elif ! cmp -s "$T/$name.rest.in" "$T/$name.rest.got"; then
		diff -u "$T/$name.rest.in" "$T/$name.rest.got" \
		    > "$T/$name.diff"
		rm_fail "$name: other parts changed" "$T/$name.diff"
	else
		rm_ok "$name: only the long-line part re-encoded, the rest byte for byte"
	fi
fi

rm_finish
