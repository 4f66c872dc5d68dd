#!/bin/bash
# argv[0] personalities and the modes that never send (relaymail(8)):
# sendmail, mailq and newaliases as links to the binary, --help,
# --version, -bs and unknown flags. Each case asserts the exit code and
# what the relay received (nothing, where nothing may be sent).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-accounts.sh"

# as_name NAME ARGS...: run the binary through a link called NAME.
as_name() {
	local name=$1 vg=()
	shift
	ln -sf "$(readlink -f "$RELAYMAIL")" "$T/$name"
	[ -e "$T/in" ] || msg_default
	[ -z "${VALGRIND:-}" ] || vg=("${VG[@]}")
	timeout 60 "${vg[@]}" "$T/$name" "$@" <"$T/in" >"$T/stdout" \
	    2>"$T/stderr"
	RC=$?
	relay_settle
}

t_begin "newaliases: exit 0, reads nothing, connects to nothing"
relay_start implicit
conf
as_name newaliases -C "$T/config"
expect_rc 0
expect_no_connect
[ -s "$T/stdout" ] && fail "newaliases printed: $(cat "$T/stdout")"
t_end

t_begin "mailq with an empty queue: 'Mail queue is empty', exit 0"
relay_start implicit
conf queue=on-failure
as_name mailq -C "$T/config"
expect_rc 0
expect_out 'Mail queue is empty'
expect_no_connect
t_end

t_begin "mailq lists a message queued while the relay was down"
relay_start implicit
conf queue=on-failure port=1
as_name sendmail -C "$T/config" -i rcpt@example.com
expect_rc 0
expect_err 'queued as [0-9A-F]{16}'
id=$(grep -oE '[0-9A-F]{16}' "$T/stderr" | head -1)
as_name mailq -C "$T/config"
expect_rc 0
expect_out "$id"
expect_out 'rcpt@example.com'
expect_no_connect
t_end

t_begin "sendmail -t -i through a link delivers as the binary does"
relay_start implicit
conf
printf 'To: rcpt@example.com\nSubject: link\n\nbody\n.\nmore\n' | msg
as_name sendmail -C "$T/config" -t -i
expect_rc 0
expect_tr '^C: RCPT TO:<rcpt@example.com>'
grep -qa '^more' "$T/msg" || fail "the lone dot ended the input despite -i"
t_end

t_begin "--help and --version: exit 0, nothing sent"
relay_start implicit
conf
as_name sendmail --help
expect_rc 0
expect_out '^usage: relaymail'
expect_out -- '--dry-run'
as_name sendmail --version
expect_rc 0
expect_out '^relaymail [0-9]+\.[0-9]+'
expect_no_connect
t_end

t_begin "sendmail -bs through a link: greeting, 221 to QUIT, exit 0"
relay_start implicit
conf
printf 'EHLO client.example\r\nQUIT\r\n' | msg
as_name sendmail -C "$T/config" -bs
expect_rc 0
expect_out '^220 .*ESMTP relaymail'
expect_out '^221 2\.0\.0'
expect_no_connect
t_end

t_begin "an unknown flag: exit 64 with the usage line, nothing sent"
relay_start implicit
conf
as_name sendmail -C "$T/config" -Z rcpt@example.com
expect_rc 64
expect_err 'unknown option -Z'
expect_err '^usage: relaymail'
expect_no_connect
t_end

t_begin "-v names the ignored flags (-oem, -odi), then delivers"
relay_start implicit
conf
as_name sendmail -C "$T/config" -v -oem -odi -i rcpt@example.com
expect_rc 0
expect_err 'ignoring -oem'
expect_err 'ignoring -odi'
expect_tr '^C: RCPT TO:<rcpt@example.com>'
t_end

t_begin "--relay=smtps://user@[::1]:PORT: an IPv6 literal, the account's CA"
relay_start implicit -l ::1
conf port=1
as_name sendmail -C "$T/config" -a test \
    "--relay=smtps://tester%40example.com@[::1]:$RELAY_PORT" -i \
    rcpt@example.com
expect_rc 0
expect_tr '^C: RCPT TO:<rcpt@example.com>'
expect_tr 'auth ok'
t_end

t_finish
