#!/bin/bash
# The queue directory holds only what relaymail wrote: a FIFO or a
# symbolic link named like a queue id is neither waited on nor followed
# (-bp and -q finish and say so), a malformed file is listed without
# leaking memory, and a message that cannot be queued still tells the
# caller why delivery failed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-queue.sh"

# A queue file of the current format for id $1 and recipient $2.
qfile_text() {
	printf 'relaymail-queue 1\nid %s\naccount test\nsender <a@example.com>\n' "$1"
	printf 'body 0\nkind message\nqueued 1700000000\nattempts 0\n'
	printf 'next-retry 0\nlast-error \nrcpt pending <%s> \n\n' "$2"
	printf 'Subject: planted\r\n\r\nplanted\r\n'
}

t_begin "relay down and the queue cannot be written: the cause is kept"
: >"$T/notadir"
conf_down queue_dir="$T/notadir/queue"
send rcpt@example.com
[ "$RC" = 73 ] || [ "$RC" = 75 ] || fail "exit $RC, want 73 or 75"
# "relaymail: <cause>; and the message could not be queued: <why>"
grep -qaE '^relaymail: [^;]*(refused|connect)[^;]*; and the message could not be queued: queue: ' \
    "$T/stderr" || fail "cause lost: $(head -c 300 "$T/stderr")"
grep -qa 'queued as' "$T/stderr" && fail "claims it queued"
t_end

t_begin "a FIFO named like a queue id: -bp and -q finish, it is named unreadable"
conf_down
send rcpt@example.com
expect_rc 0
mkfifo "$T/queue/msg/00000002FFFFFFFF"
timeout 20 "$RELAYMAIL" -C "$T/config" -bp >"$T/mailq" 2>&1
r=$?
[ "$r" = 0 ] || fail "-bp exit $r (124: it hung): $(head -c 200 "$T/mailq")"
grep -q '^00000002FFFFFFFF  (unreadable: .*not a regular file' "$T/mailq" ||
    fail "mailq does not name the FIFO: $(cat "$T/mailq")"
grep -q 'pending <rcpt@example.com>' "$T/mailq" ||
    fail "the real message is not listed"
relay_start plain
repoint
timeout 20 "$RELAYMAIL" -C "$T/config" -q --force >"$T/q.out" 2>"$T/q.err"
r=$?
relay_settle
[ "$r" = 0 ] || fail "-q exit $r (124: it hung)"
expect_msg "$T/expected"
[ -p "$T/queue/msg/00000002FFFFFFFF" ] || fail "the FIFO was removed"
t_end

t_begin "a symbolic link named like a queue id is not followed"
conf_down
send rcpt@example.com
expect_rc 0
id=$(ls "$T/queue/msg" | head -1)
mkdir -p "$T/outside"
mv "$T/queue/msg/$id" "$T/outside/$id"
ln -s "$T/outside/$id" "$T/queue/msg/$id"
mailq
grep -q "^$id  (unreadable: .*symbolic link" "$T/mailq" ||
    fail "mailq does not refuse the link: $(cat "$T/mailq")"
relay_back
[ "$QRC" = 0 ] || fail "-q exit $QRC"
expect_no_connect
[ -f "$T/outside/$id" ] || fail "the link's target was touched"
[ -L "$T/queue/msg/$id" ] || fail "the link was removed"
t_end

# valgrind on the -bp of a file whose recipients were read before a bad
# line: the recipients must be freed (definite leaks are errors). The
# ASan build of make check SANITIZE=1 cannot run under valgrind; there
# LeakSanitizer, on in every run of that build, fails the exit instead.
t_begin "-bp of a malformed file read past its recipients: no leak"
if [ "${SANITIZE:-0}" = 1 ]; then
	VG=()
fi
if [ "${SANITIZE:-0}" != 1 ] && ! command -v valgrind >/dev/null; then
	t_skip "$CASE" "no valgrind"
else
	conf
	mkdir -p "$T/queue/msg" "$T/queue/tmp"
	chmod 700 "$T/queue" "$T/queue/msg" "$T/queue/tmp"
	{
		qfile_text 0000000300000003 b@example.com | sed '/^rcpt/a\
bogus line'
	} >"$T/queue/msg/0000000300000003"
	"${VG[@]}" "$RELAYMAIL" -C "$T/config" -bp >"$T/mailq" 2>"$T/vg"
	r=$?
	[ "$r" = 0 ] || fail "-bp exit $r (99: valgrind): $(head -c 400 "$T/vg")"
	grep -q '^0000000300000003  (unreadable: queue: line 12: bad bogus' \
	    "$T/mailq" || fail "mailq: $(cat "$T/mailq")"
	t_end
fi

t_finish
