# tests/scenario/lib-queue.sh - helpers for the queue_*.sh groups (issue
# 4: the durable queue, concurrency, failure notices), sourced after
# ../lib.sh. run-scenarios.sh skips lib*.sh files.
#
# A case that queues while the relay is down and delivers once it is back:
#	conf_down log="file:$T/log"	# queue = on-failure, a dead port
#	send rcpt@example.com
#	echo "rcpt 550 5.1.1 gone" | script
#	relay_back			# relay up, repointed, -q --force
#	expect_queued 0

# A loopback port with nothing listening (connection refused): one of
# the low, privileged ports, which no test service binds.
dead_port() {
	local p
	for p in 9 1 7 13 19 37; do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo 9
}

# Messages in the case's queue.
qcount() { find "$T/queue/msg" -type f 2>/dev/null | wc -l; }

expect_queued() {
	[ "$(qcount)" = "$1" ] || fail "queue holds $(qcount) messages, want $1"
}

# qrun ARGS: relaymail with the case's config and no message (a queue
# run, -bp, --queue-delete); exit status in QRC, output in $T/q.out/err.
qrun() {
	timeout 120 "$RELAYMAIL" -C "$T/config" "$@" >"$T/q.out" 2>"$T/q.err"
	QRC=$?
}

# The queue listing (-bp) in $T/mailq.
mailq() {
	"$RELAYMAIL" -C "$T/config" -bp >"$T/mailq" 2>&1
}

# Point the config at a (new) relay, keeping everything else.
repoint() { sed -i "s/^port = .*/port = $RELAY_PORT/" "$T/config"; }

# conf_down [key=value ...]: a config whose relay is down (a dead port)
# with queue = on-failure, so that a send queues.
conf_down() { conf queue=on-failure port="$(dead_port)" "$@"; }

# relay_back [testrelay args]: the relay comes up, the config is pointed
# at it, a forced queue run goes (QRC) and the relay is let settle.
relay_back() {
	relay_start plain "$@"
	repoint
	qrun -q --force
	relay_settle
}
