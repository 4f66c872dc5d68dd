#!/bin/bash
# Where the attempt log goes. With `log = syslog` (the default) and
# nothing listening on /dev/log (a container, a chroot, no syslog daemon),
# the line goes to <queue_dir>/log, or to stderr while the queue
# directory does not exist yet; --check-config says which, for every
# account. With file:PATH and none it says that.
#
# /dev/log is made unreachable for relaymail alone: where the machine has
# one, relaymail runs in a private mount namespace with /dev/null bound
# over it (root and unshare(1) needed; skipped otherwise).
. "$(dirname "$0")/../lib.sh"

NOLOG=()
why_skip=
if [ -e /dev/log ] || [ -L /dev/log ]; then
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
	    unshare -m --propagation private true 2>/dev/null; then
		NOLOG=(unshare -m --propagation private sh -c
		    'mount --bind /dev/null /dev/log && exec "$@"' sh)
	else
		why_skip="this machine has /dev/log and cannot hide it (needs root and unshare)"
	fi
fi

# nolog_send ARGS: relaymail with the case's config, /dev/log unreachable.
nolog_send() {
	local vg=()
	[ -z "${VALGRIND:-}" ] || vg=("${VG[@]}")
	[ -f "$T/in" ] || : >"$T/in"
	timeout 120 "${NOLOG[@]}" "${vg[@]}" "$RELAYMAIL" -C "$T/config" \
	    "$@" <"$T/in" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	relay_settle
}

ATTEMPT='account=test relay=\[127\.0\.0\.1\]:[0-9]+ .*to=<rcpt@example\.com> .*exit=0$'

if [ -n "$why_skip" ]; then
	for c in "delivered: the attempt line is in <queue_dir>/log" \
	    "no queue directory yet: the attempt line is on stderr" \
	    "--check-config names the fallback file" \
	    "--check-config: stderr until the queue directory exists"; do
		t_skip "$c" "$why_skip"
	done
else
	t_begin "syslog unreachable, delivered: the attempt line is in <queue_dir>/log"
	relay_start implicit
	conf log=syslog
	mkdir -p "$T/queue"
	msg_default
	nolog_send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	if [ ! -f "$T/queue/log" ]; then
		fail "no $T/queue/log"
	else
		[ "$(wc -l <"$T/queue/log")" = 1 ] ||
		    fail "want 1 line in the log: $(cat "$T/queue/log")"
		grep -Eq "^[0-9T:+-]+ relaymail\[[0-9]+\]: $ATTEMPT" \
		    "$T/queue/log" || fail "log line: $(cat "$T/queue/log")"
		grep -qF "$PASSWORD" "$T/queue/log" && fail "password logged"
	fi
	grep -q 'account=' "$T/stderr" && fail "attempt line also on stderr"
	t_end

	t_begin "syslog unreachable, no queue directory yet: the attempt line is on stderr"
	relay_start implicit
	conf log=syslog
	msg_default
	nolog_send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	grep -Eq "relaymail\[[0-9]+\]: $ATTEMPT" "$T/stderr" ||
	    fail "no attempt line on stderr: $(head -c 300 "$T/stderr")"
	t_end

	t_begin "syslog unreachable: --check-config names the fallback file"
	conf log=syslog
	mkdir -p "$T/queue"
	nolog_send --check-config
	expect_rc 0
	grep -qxF "[test] log: the file $T/queue/log (syslog unreachable: nothing listens on /dev/log)" \
	    "$T/stdout" || fail "check-config: $(cat "$T/stdout")"
	t_end

	t_begin "syslog unreachable: --check-config says stderr until the queue directory exists"
	conf log=syslog
	nolog_send --check-config
	expect_rc 0
	grep -q '^\[test\] log: stderr (syslog unreachable' "$T/stdout" ||
	    fail "check-config: $(cat "$T/stdout")"
	t_end
fi

t_begin "--check-config: log = file:PATH and log = none are named"
conf log="file:$T/mail.log"
send --check-config
expect_rc 0
grep -qxF "[test] log: the file $T/mail.log" "$T/stdout" ||
    fail "check-config: $(cat "$T/stdout")"
conf log=none
send --check-config
expect_rc 0
grep -qxF "[test] log: nowhere (log = none)" "$T/stdout" ||
    fail "check-config: $(cat "$T/stdout")"
t_end

t_finish
