#!/bin/bash
# Secrets (relaymail.conf(5), relaymail(8)): password, password_command (first
# line; failures exit 78 with the command's stderr summarised, never its
# output), password_file; files holding a secret must not be readable by
# group or others, for root too; the password never reaches -v output
# or the log. The relay checks the password itself (AUTH ok/failed).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-accounts.sh"

# sec_conf [key=value...]: lib.sh's conf, logging to $T/log.
sec_conf() {
	conf "log=file:$T/log" "$@"
}

# pw_script BODY: an executable password command at $T/pw.
pw_script() {
	printf '#!/bin/sh\n%s\n' "$1" >"$T/pw"
	chmod 700 "$T/pw"
}

# Every form the password could leak in: as is, base64 of it, of the
# PLAIN response.
expect_no_secret_in() {	# file, what
	local f=$1 b1 b2
	b1=$(printf '%s' "$PASSWORD" | base64 -w0)
	b2=$(printf '\0%s\0%s' "$TUSER" "$PASSWORD" | base64 -w0)
	[ -f "$f" ] || return 0
	if grep -qaF -- "$PASSWORD" "$f" || grep -qaF -- "$b1" "$f" ||
	    grep -qaF -- "$b2" "$f"; then
		fail "the password is in $2"
	fi
}

t_begin "password_command: its first line is the password"
relay_start implicit
pw_script "printf '%s\\nsecond line\\n' '$PASSWORD'"
sec_conf password= "password_command=$T/pw"
send rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok'
expect_msg "$T/expected"
expect_no_leak
t_end

t_begin "password_command: a shell pipeline, CRLF line end stripped"
relay_start starttls
printf '%s\r\n' "$PASSWORD" >"$T/pwsrc"
chmod 600 "$T/pwsrc"
sec_conf password= "password_command=cat $T/pwsrc | head -n 1" auth=login
send rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok mech=LOGIN'
expect_msg "$T/expected"
t_end

t_begin "failing password_command -> 78, stderr summarised, output never shown"
relay_start implicit
pw_script "echo 'vault is locked: run unlock first' >&2
printf '%s\\n' 'leaky-stdout-$PASSWORD'
exit 3"
sec_conf password= "password_command=$T/pw"
send -v rcpt@example.com
expect_rc 78
expect_err 'password_command'
expect_err 'vault is locked'
expect_no_err 'leaky-stdout'
expect_no_secret_in "$T/stderr" "stderr"
expect_no_secret_in "$T/stdout" "stdout"
expect_no_secret_in "$T/log" "the log"
expect_no_connect
t_end

t_begin "password_command killed by a signal -> 78, nothing sent"
relay_start implicit
pw_script 'kill -TERM $$'
sec_conf password= "password_command=$T/pw"
send rcpt@example.com
expect_rc 78
expect_err 'password_command'
expect_no_connect
t_end

t_begin "password_command that hangs: killed after timeout -> 78"
relay_start implicit
pw_script "date +%s%N >$T/pw.start; echo \$\$ >$T/pw.pid; exec sleep 60"
sec_conf password= "password_command=$T/pw" timeout=2
send rcpt@example.com
expect_rc 78
expect_err 'password_command.*(time|timed)'
# From the command's start to relaymail's exit: the timeout, not the
# 60 s sleep (valgrind's start-up before the command does not count).
if [ -s "$T/pw.start" ]; then
	w=$(((SEND_END_NS - $(cat "$T/pw.start")) / 1000000))
	[ "$w" -ge 1500 ] && [ "$w" -le $((6000 + SLACK * 1000)) ] ||
	    fail "password_command ran $w ms, want about 2000"
fi
sleep 0.2
# Killed: gone, or a zombie left for an init that does not reap.
p=$(cat "$T/pw.pid" 2>/dev/null)
[ -n "$p" ] || fail "the command did not start"
st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
if [ -n "$p" ] && [ -n "$st" ] && [ "$st" != Z ]; then
	fail "the hung command ($p, state $st) is still running"
	kill "$p"
fi
expect_no_connect
t_end

t_begin "password_command with a wrong password -> 77 from the relay"
relay_start implicit
pw_script 'echo not-the-password'
sec_conf password= "password_command=$T/pw"
send rcpt@example.com
expect_rc 77
expect_tr '^--- auth failed'
expect_no_mail_after_auth
t_end

t_begin "password_file: its first line is the password"
relay_start implicit
printf '%s\nignored second line\n' "$PASSWORD" >"$T/pwfile"
chmod 600 "$T/pwfile"
sec_conf password= "password_file=$T/pwfile"
send rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok'
expect_msg "$T/expected"
t_end

t_begin "password_file readable by others (0644) -> 78, nothing sent"
relay_start implicit
printf '%s\n' "$PASSWORD" >"$T/pwfile"
chmod 644 "$T/pwfile"
sec_conf password= "password_file=$T/pwfile"
send rcpt@example.com
expect_rc 78
expect_err 'password_file'
expect_no_connect
expect_no_secret_in "$T/stderr" "stderr"
t_end

t_begin "password_file readable by the group (0640) -> 78"
relay_start implicit
printf '%s\n' "$PASSWORD" >"$T/pwfile"
chmod 640 "$T/pwfile"
sec_conf password= "password_file=$T/pwfile"
send rcpt@example.com
expect_rc 78
expect_no_connect
t_end

t_begin "password_file missing -> 78"
relay_start implicit
sec_conf password= "password_file=$T/no-such-file"
send rcpt@example.com
expect_rc 78
expect_err 'no-such-file'
expect_no_connect
t_end

for mode in 644 640 604; do
	t_begin "password = in a config at mode 0$mode -> 78 (as $(id -un))"
	relay_start implicit
	sec_conf
	chmod "$mode" "$T/config"
	send rcpt@example.com
	expect_rc 78
	expect_err "0$mode|group|others"
	expect_no_connect
	expect_no_secret_in "$T/stderr" "stderr"
	t_end
done

t_begin "a config without a secret may be world-readable (0644)"
relay_start implicit
printf '%s\n' "$PASSWORD" >"$T/pwfile"
chmod 600 "$T/pwfile"
sec_conf password= "password_file=$T/pwfile"
chmod 644 "$T/config"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

for mech in plain login cram-md5; do
	t_begin "-v transcript and log: <redacted>, never the password ($mech)"
	relay_start implicit
	sec_conf auth=$mech
	send -v rcpt@example.com
	expect_rc 0
	expect_tr "^--- auth ok mech=$(echo "$mech" | tr a-z A-Z)"
	expect_err '^> (AUTH [A-Z0-9-]+ )?<redacted>$'
	expect_no_secret_in "$T/stderr" "-v output"
	expect_no_secret_in "$T/stdout" "stdout"
	[ -s "$T/log" ] || fail "no log line written"
	expect_no_secret_in "$T/log" "the log"
	grep -qa 'auth=' "$T/log" || fail "log line lacks the AUTH mechanism"
	t_end
done

t_begin "-v with LOGIN: the username and password lines are redacted"
relay_start implicit
sec_conf auth=login
send -v rcpt@example.com
expect_rc 0
# RFC 4954 LOGIN: two base64 lines follow the 334 prompts.
n=$(grep -c '^> .*<redacted>' "$T/stderr")
[ "$n" -ge 1 ] || fail "no redacted client line"
expect_no_err "^> $(printf '%s' "$PASSWORD" | base64 -w0)"
t_end

t_begin "-v with a password_command: its output is not shown"
relay_start implicit
pw_script "printf '%s\\n' '$PASSWORD'"
sec_conf password= "password_command=$T/pw"
send -v rcpt@example.com
expect_rc 0
expect_no_secret_in "$T/stderr" "-v output"
expect_no_secret_in "$T/log" "the log"
t_end

t_begin "a 535 error message does not quote the password"
relay_start implicit
sec_conf "password=wrong-$PASSWORD"
send -v rcpt@example.com
expect_rc 77
grep -qaF -- "wrong-$PASSWORD" "$T/stderr" &&
    fail "the wrong password is in stderr"
expect_no_secret_in "$T/log" "the log"
t_end

t_finish
