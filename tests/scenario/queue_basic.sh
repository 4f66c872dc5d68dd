#!/bin/bash
# The durable queue: a temporary failure queues and exits 0, a
# queue run delivers the exact bytes, 4xx at every stage queues, 5xx never
# does, queue = never / always, mailq, --queue-delete, draining over a
# successful session, and a queue that cannot be written never claims the
# message.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-queue.sh"

t_begin "relay down: exit 0, queued, said so, listed by -bp"
conf_down
send rcpt@example.com
expect_rc 0
expect_queued 1
expect_err "queued"
mailq
grep -q "pending <rcpt@example.com>" "$T/mailq" || fail "mailq: $(cat "$T/mailq")"
grep -qi "refused" "$T/mailq" || fail "mailq lacks the last error"
t_end

t_begin "relay back: -q --force delivers the same bytes, queue empty"
conf_down
send rcpt@example.com
expect_rc 0
relay_back
[ "$QRC" = 0 ] || fail "-q exit $QRC: $(cat "$T/q.err")"
expect_msg "$T/expected"
expect_tr '^C: RCPT TO:<rcpt@example.com>'
expect_queued 0
mailq
grep -q "Mail queue is empty" "$T/mailq" || fail "mailq: $(cat "$T/mailq")"
t_end

t_begin "-q without --force waits for the retry time"
conf_down
send rcpt@example.com
relay_start plain
repoint
qrun -q
[ "$QRC" = 0 ] || fail "-q exit $QRC"
expect_no_connect
expect_queued 1
t_end

temp_case() {	# stage reply
	t_begin "4xx at $1: exit 0 and queued"
	echo "$1 $2" | script
	relay_start plain
	conf queue=on-failure
	send rcpt@example.com
	expect_rc 0
	expect_queued 1
	expect_err "queued"
	t_end
}
temp_case greeting "421 4.3.2 busy"
temp_case ehlo "421 4.3.2 busy"
temp_case auth "454 4.7.0 auth unavailable"
temp_case mail "451 4.3.0 later"
temp_case rcpt "451 4.3.0 later"
temp_case data "451 4.3.0 later"
temp_case eod "451 4.3.0 later"

t_begin "drop after the end of data: queued (RFC 1047), delivered again"
echo "@1 eod drop" | script
relay_start plain -n 2
conf queue=on-failure
send rcpt@example.com
expect_rc 0
expect_queued 1
qrun -q --force
relay_settle
expect_queued 0
[ -f "$T/msg.2" ] && cmp -s "$T/msg.2" "$T/expected" ||
    fail "second copy missing or different"
t_end

perm_case() {	# stage reply exit
	t_begin "5xx at $1: exit $3, not queued"
	echo "$1 $2" | script
	relay_start plain
	conf queue=on-failure
	send rcpt@example.com
	expect_rc "$3"
	expect_queued 0
	t_end
}
perm_case mail "550 5.7.1 sender refused" 69
perm_case rcpt "550 5.1.1 no such user" 67
perm_case eod "554 5.6.0 content refused" 65

t_begin "queue = never: exit 75, nothing queued"
conf queue=never port="$(dead_port)"
send rcpt@example.com
expect_rc 75
expect_queued 0
t_end

t_begin "queue = always: no connection, exit 0; -q delivers"
relay_start plain
conf queue=always
send rcpt@example.com
expect_rc 0
expect_queued 1
expect_no_connect
qrun -q
relay_settle
expect_msg "$T/expected"
expect_queued 0
t_end

t_begin "a successful send drains the account's due queue, one connection"
relay_start plain
conf queue=always
send first@example.com
expect_queued 1
sed -i 's/^queue = always/queue = on-failure/' "$T/config"
send second@example.com
expect_rc 0
expect_queued 0
[ "$(grep -c '^=== connection' "$T/transcript")" = 1 ] ||
    fail "more than one connection"
expect_tr '^C: RCPT TO:<first@example.com>'
expect_tr '^C: RCPT TO:<second@example.com>'
t_end

t_begin "--queue-delete removes one message; unknown id fails"
conf_down
send rcpt@example.com
id=$(ls "$T/queue/msg" | head -1)
qrun --queue-delete "$id"
[ "$QRC" = 0 ] || fail "--queue-delete exit $QRC: $(cat "$T/q.err")"
expect_queued 0
qrun --queue-delete "$id"
[ "$QRC" != 0 ] || fail "deleting twice succeeded"
qrun --queue-delete ../../etc/passwd
[ "$QRC" != 0 ] || fail "a path was accepted as an id"
t_end

t_begin "unwritable queue directory: non-zero exit, nothing claimed"
# A regular file where a directory must be: fails for root too.
: >"$T/notadir"
conf_down queue_dir="$T/notadir/queue"
send rcpt@example.com
[ "$RC" = 73 ] || [ "$RC" = 75 ] || fail "exit $RC, want 73 or 75"
grep -qi "queued as" "$T/stderr" && fail "claims it queued"
t_end

full_disk_case() {
	t_begin "full queue disk: exit 75, nothing visible"
	if [ "$(id -u)" != 0 ] || ! command -v mount >/dev/null; then
		t_skip "full disk" "needs root to mount a small tmpfs"
		return
	fi
	mkdir -p "$T/small"
	if ! mount -t tmpfs -o size=64k tmpfs "$T/small" 2>/dev/null; then
		t_skip "full disk" "cannot mount tmpfs here"
		return
	fi
	conf_down queue_dir="$T/small/queue"
	{
		printf 'Subject: big\n\n'
		head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 70
	} | msg
	send rcpt@example.com
	[ "$RC" = 73 ] || [ "$RC" = 75 ] || fail "exit $RC, want 73 or 75"
	[ -z "$(ls -A "$T/small/queue/msg" 2>/dev/null)" ] ||
	    fail "a file is visible in msg/"
	[ -z "$(ls -A "$T/small/queue/tmp" 2>/dev/null)" ] ||
	    fail "a temp file was left"
	umount "$T/small"
	t_end
}
full_disk_case

t_finish
