#!/bin/bash
# Concurrency: 100 simultaneous senders while the relay is
# down all exit 0 and queue; then overlapping queue runs deliver every
# message exactly once (one lock per message, nothing global).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-queue.sh"

N=${QUEUE_SENDERS:-100}

# The message of sender i, with an id the relay's copies are counted by.
make_msg() {
	printf 'From: s@example.com\nTo: r@example.com\nSubject: c %s\n' "$1"
	printf 'Message-ID: <conc-%s@example.com>\n\nbody %s\n' "$1" "$1"
}

t_begin "$N concurrent senders, relay down: all exit 0 and queue"
conf_down timeout=30
msg_default
pids=()
for i in $(seq "$N"); do
	make_msg "$i" >"$T/in.$i"
	"$RELAYMAIL" -C "$T/config" r@example.com <"$T/in.$i" \
	    >/dev/null 2>"$T/err.$i" &
	pids+=("$!")
done
bad=0
for p in "${pids[@]}"; do
	wait "$p" || bad=$((bad + 1))
done
[ "$bad" = 0 ] || fail "$bad senders exited non-zero: $(cat "$T"/err.* | sort | uniq -c | head -3)"
[ "$(qcount)" = "$N" ] || fail "queue holds $(qcount), want $N"
t_end

# The next case reuses this case's queue.
prev=$T
t_begin "relay up, 4 overlapping queue runs: each message exactly once"
relay_start plain -n 40 -L 120
cp "$prev/config" "$T/config"
sed -i -e "s/^port = .*/port = $RELAY_PORT/" \
    -e "s|^queue_dir = .*|queue_dir = $prev/queue|" "$T/config"
pids=()
for i in 1 2 3 4; do
	"$RELAYMAIL" -C "$T/config" -q --force >"$T/q.$i" 2>&1 &
	pids+=("$!")
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a queue run exited non-zero"
done
# Whatever a run deferred (none expected) goes now.
"$RELAYMAIL" -C "$T/config" -q --force >/dev/null 2>&1
sleep 0.3
left=$(find "$prev/queue/msg" -type f | wc -l)
[ "$left" = 0 ] || fail "$left messages still queued"
cat "$T"/msg* 2>/dev/null | grep -a '^Message-ID: <conc-' |
    sort | uniq -c >"$T/counts"
got=$(wc -l <"$T/counts")
dups=$(awk '$1 != 1' "$T/counts" | wc -l)
[ "$got" = "$N" ] || fail "$got distinct messages delivered, want $N"
[ "$dups" = 0 ] || fail "$dups messages delivered more than once"
t_end

t_finish
