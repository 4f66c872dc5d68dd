#!/bin/bash
# Message fidelity (RFC 5322 §2.1.1, §2.2.3; RFC 2045 §6.7; RFC 2046 §5.1;
# RFC 6152; RFC 6531 §3.4): a line over 998 octets, and 8-bit text for a
# relay without 8BITMIME, leave re-encoded as quoted-printable; long
# header lines are folded; what cannot be fixed without changing what the
# recipient sees fails with 65 before anything is sent; a non-ASCII
# address needs SMTPUTF8 (else 69). Every case asserts the exact bytes
# the relay received; re-encoded parts are compared with Perl's
# MIME::QuotedPrint (an encoder independent of relaymail's) and decoded
# back to the original.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-queue.sh"

H='From: Sender <sender@example.com>
To: rcpt@example.com
Subject: fidelity
Date: Mon, 01 Jan 2024 00:00:00 +0000
Message-ID: <fidelity@example.com>'

# qp FILE: FILE (LF lines) as quoted-printable, CRLF line ends.
qp() { perl -MMIME::QuotedPrint -0777 -ne 'print encode_qp($_, "\r\n")' "$1"; }
# unqp: quoted-printable on stdin (CRLF) decoded, LF line ends.
unqp() { perl -MMIME::QuotedPrint -0777 -ne 's/\r\n/\n/g; print decode_qp($_)'; }
# The body of what the relay received (after the first empty line).
rbody() { sed '1,/^\r$/d' "$T/msg"; }
# A line of N octets of "word " runs (foldable and QP-friendly).
longline() { perl -e 'my $s = ""; $s .= "word$_ " for 1..100000;
    print substr($s, 0, $ARGV[0]), "\n"' "$1"; }
# No line of the received message over 998 octets (76 in QP bodies is
# checked by comparing with Perl's encoder).
expect_short_lines() {
	awk 'length($0) > 999 { bad = 1 } END { exit bad }' "$T/msg" ||
	    fail "a line over 998 octets reached the relay"
}
# expect_decodes ORIG: the received body decodes to ORIG (LF).
expect_decodes() {
	rbody | unqp >"$T/decoded"
	cmp -s "$T/decoded" "$1" || fail "decoded body differs from the original"
}
nomime() { echo "nocap 8BITMIME" | script; }
# body_msg: the message of $H and $T/body, as relaymail is given it.
body_msg() { { printf '%s\n\n' "$H"; cat "$T/body"; } | msg; }
# qp_expected [CHARSET]: $T/expected, that message as it must arrive
# re-encoded quoted-printable (with a text/plain Content-Type naming
# CHARSET when given).
qp_expected() {
	{ {
		printf '%s\nMIME-Version: 1.0\n' "$H"
		if [ -n "${1:-}" ]; then
			printf 'Content-Type: text/plain; charset=%s\n' "$1"
		fi
		printf 'Content-Transfer-Encoding: quoted-printable\n\n'
	  } | crlf; qp "$T/body"; } >"$T/expected"
}

# ---------------------------------------------------------------- as is
t_begin "7-bit, short lines, no 8BITMIME: byte for byte, no MIME headers added"
nomime
relay_start plain
conf
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_tr '^C: MAIL FROM:<sender@example.com> SIZE=[0-9]+$'
t_end

t_begin "8-bit text, relay with 8BITMIME: unchanged, BODY=8BITMIME"
relay_start plain
conf
printf '%s\n\nCaf\xc3\xa9 cr\xc3\xa8me\n' "$H" | msg
crlf <"$T/in" >"$T/expected"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_tr '^C: MAIL FROM:<sender@example.com> SIZE=[0-9]+ BODY=8BITMIME$'
t_end

# ---------------------------------------------------------- single part
for chunk in data bdat; do
t_begin "$chunk: a 5000-octet line is re-encoded quoted-printable (7-bit: no charset added)"
[ $chunk = bdat ] && echo "cap CHUNKING" | script
relay_start plain
conf
{ echo "line one"; longline 5000; echo ".dot line"; echo "tail  "; } >"$T/body"
body_msg
qp_expected
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_decodes "$T/body"
expect_short_lines
if [ $chunk = bdat ]; then
	expect_tr "^C: BDAT $(wc -c <"$T/expected") LAST$"
else
	expect_tr "^C: MAIL FROM:<sender@example.com> SIZE=$(wc -c <"$T/expected") BODY=7BIT$|SIZE=$(wc -c <"$T/expected")"
fi
t_end
done

t_begin "8-bit UTF-8 without charset, no 8BITMIME: charset=utf-8 assumed"
nomime
relay_start plain
conf
printf 'Caf\xc3\xa9 = cr\xc3\xa8me\n\xe2\x82\xac 5\n' >"$T/body"
body_msg
qp_expected utf-8
send -v rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_decodes "$T/body"
expect_no_tr 'BODY=8BITMIME'
expect_err 'goes out with 1 part re-encoded as quoted-printable and 0 header'
t_end

t_begin "8-bit, not UTF-8, no charset, no 8BITMIME: charset=unknown-8bit"
nomime
relay_start plain
conf
printf 'Caf\xe9 cr\xe8me\n' >"$T/body"
body_msg
qp_expected unknown-8bit
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_decodes "$T/body"
t_end

t_begin "declared charset and 8bit encoding kept / replaced, MIME-Version not doubled"
nomime
relay_start plain
conf
printf 'Caf\xe9\n' >"$T/body"
{ printf '%s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n' "$H"
  cat "$T/body"; } | msg
qp_expected iso-8859-1
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

# ------------------------------------------------------------ multipart
# mp_parts: the parts around the one that is re-encoded ($T/long).
mp_head() {
	printf '%s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_b1"\n\n' "$H"
	printf 'This is a multi-part message in MIME format.\n--=_b1\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\nshort part\n--=_b1\n'
	printf 'Content-Type: multipart/alternative; boundary=inner\n\n--inner\n'
}
mp_tail() {
	printf -- '--inner--\n--=_b1\nContent-Type: application/octet-stream\n'
	printf 'Content-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--=_b1--\nepilogue\n'
}
t_begin "multipart: only the long-line leaf is re-encoded, the rest byte for byte"
relay_start plain
conf
{ printf '<p>'; longline 3000; } >"$T/long"
{ mp_head; printf 'Content-Type: text/html; charset=utf-8\n\n'; cat "$T/long"
  mp_tail; } | msg
{ mp_head | crlf
  printf 'Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n' | crlf
  qp "$T/long"; mp_tail | crlf; } >"$T/expected"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_short_lines
t_end

t_begin "multipart, no 8BITMIME: each 8-bit leaf re-encoded, charset added"
nomime
relay_start plain
conf
printf 'gr\xc3\xbc\xc3\x9fe\n' >"$T/long"
{ mp_head; printf 'Content-Type: text/plain\n\n'; cat "$T/long"; mp_tail; } | msg
{ mp_head | crlf
  printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n' | crlf
  qp "$T/long"; mp_tail | crlf; } >"$T/expected"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

# -------------------------------------------------------------- headers
t_begin "a header over 998 octets is folded at white space; it unfolds to the same"
relay_start plain
conf
subj=$(longline 2500)
printf 'Subject: %s\n%s\n\nbody\n' "$subj" "$H" | msg
send rcpt@example.com
expect_rc 0
expect_short_lines
sed -n '1,/^\r$/p' "$T/msg" | perl -0777 -ne 's/\r\n(?=[ \t])//g; /^Subject: (.*?)\r\n/ and print "$1\n"' >"$T/subj"
[ "$(cat "$T/subj")" = "$subj" ] || fail "unfolded Subject differs"
[ "$(sed '1,/^\r$/d' "$T/msg")" = "$(printf 'body\r')" ] || fail "body changed"
t_end

# ------------------------------------------------------------ refusals
# refused WHAT RE: exit 65 naming the line, nothing sent at all.
refused() {
	send rcpt@example.com
	expect_rc 65
	expect_err "$1"
	expect_no_connect
}
t_begin "65: a header line with no white space to fold at, before connecting"
relay_start plain
conf
printf 'X-Long: %s\n%s\n\nbody\n' "$(head -c 1200 /dev/zero | tr '\0' x)" "$H" | msg
refused 'header field X-Long: a line over 998 octets with no white space'
t_end

t_begin "65 with queue=always: refused at once, nothing queued"
relay_start plain
conf queue=always
printf 'X-Long: %s\n%s\n\nbody\n' "$(head -c 1200 /dev/zero | tr '\0' x)" "$H" | msg
refused 'header field X-Long'
expect_queued 0
t_end

t_begin "65: a long line in a part declared quoted-printable"
relay_start plain
conf
{ printf '%s\nMIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n' "$H"
  longline 1200; } | msg
refused 'body line 1: a line of 1200 octets .* declared quoted-printable'
t_end

t_begin "65: a long line inside multipart/signed"
relay_start plain
conf
{ printf '%s\nMIME-Version: 1.0\nContent-Type: multipart/signed; boundary=s; protocol="application/pgp-signature"\n\n--s\nContent-Type: text/plain\n\n' "$H"
  longline 1500; printf -- '--s\nContent-Type: application/pgp-signature\n\nSIG\n--s--\n'; } | msg
refused 'body line 4: .*multipart/signed'
t_end

t_begin "65: a long line inside a message/rfc822 part"
relay_start plain
conf
{ printf '%s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: message/rfc822\n\nSubject: inner\n\n' "$H"
  longline 1500; printf -- '--m--\n'; } | msg
refused 'body line 6: .*message/'
t_end

t_begin "65 after EHLO: 8-bit inside multipart/signed, relay without 8BITMIME; no MAIL"
nomime
relay_start plain
conf
{ printf '%s\nMIME-Version: 1.0\nContent-Type: multipart/signed; boundary=s\n\n--s\nContent-Type: text/plain; charset=utf-8\n\nCaf\xc3\xa9\n--s\nContent-Type: application/pgp-signature\n\nSIG\n--s--\n' "$H"; } | msg
send rcpt@example.com
expect_rc 65
expect_err 'body line 4: 8-bit octets for a relay without 8BITMIME.*multipart/signed'
expect_no_mail
t_end

t_begin "65 after EHLO: 8-bit header, relay offers neither 8BITMIME nor SMTPUTF8"
nomime
relay_start plain
conf
printf 'Subject: Caf\xc3\xa9\n%s\n\nbody\n' "$H" | msg
send rcpt@example.com
expect_rc 65
expect_err 'header field Subject: 8-bit octets'
expect_no_mail
t_end

# ------------------------------------------------------------ SMTPUTF8
t_begin "SMTPUTF8 offered: UTF-8 address and headers pass unchanged, SMTPUTF8 on MAIL"
printf 'nocap 8BITMIME\ncap SMTPUTF8\n' | script
relay_start plain
conf
printf 'Subject: Caf\xc3\xa9\n%s\n\nbody\n' "$H" | msg
crlf <"$T/in" >"$T/expected"
send "$(printf 'j\xc3\xb6rg@example.com')"
expect_rc 0
expect_msg "$T/expected"
expect_tr '^C: MAIL FROM:<sender@example.com> SIZE=[0-9]+ SMTPUTF8$'
expect_tr "$(printf '^C: RCPT TO:<j\xc3\xb6rg@example.com>$')"
t_end

t_begin "69: a non-ASCII address, relay without SMTPUTF8; nothing sent raw"
relay_start plain
conf
send "$(printf 'j\xc3\xb6rg@example.com')"
expect_rc 69
expect_err 'non-ASCII address needs SMTPUTF8'
expect_no_mail
expect_no_tr "$(printf '\xc3\xb6')"
t_end

# --------------------------------------------------------------- queue
t_begin "queue: stored as written, re-encoded for the relay that takes it"
conf_down
printf 'Caf\xc3\xa9\n' >"$T/body"
body_msg
send rcpt@example.com
expect_rc 0
expect_queued 1
grep -qa "$(printf 'Caf\xc3\xa9')" "$T"/queue/msg/* || fail "queue does not hold the original"
nomime
relay_back
[ "$QRC" = 0 ] || fail "queue run exit $QRC"
qp_expected utf-8
expect_msg "$T/expected"
expect_queued 0
t_end

t_begin "queue: a queued non-ASCII recipient to a relay without SMTPUTF8 fails for good"
conf_down
send "$(printf 'j\xc3\xb6rg@example.com')"
expect_rc 0
expect_queued 1
relay_back
expect_no_tr "$(printf 'RCPT TO:<j\xc3\xb6rg')"
grep -qa 'SMTPUTF8' "$T"/queue/msg/* 2>/dev/null && fail "still queued"
t_end

t_finish
