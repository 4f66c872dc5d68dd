#!/bin/bash
# queue-crash.sh - the kill -9 loop. Hundreds of SIGKILLs at
# random instants, first during enqueue, then during queue runs, and
# after each one the queue is checked:
#  - no loss: every message whose sender got exit 0 is queued, and in
#    the end reaches the relay;
#  - no visible partial file: every file in msg/ is a complete queue
#    file whose message ends with its own last line;
#  - no duplicate beyond RFC 1047: a message may reach the relay twice
#    only when a run was killed right after the relay accepted it (it
#    was the last complete message of a connection that never sent
#    QUIT).
# KILLS=n sets the number of kills per phase (default 200).
. "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-200}

make_msg() {
	printf 'From: s@example.com\nTo: r@example.com\nSubject: k %s\n' "$1"
	printf 'Message-ID: <kill-%s@example.com>\n\n' "$1"
	# Big enough that writing it takes a moment (kills land mid-write).
	head -c 20000 /dev/zero | tr '\0' 'y' | fold -w 76; echo
	printf 'END-%s\n' "$1"
}

# Random sleep of 0..$1 milliseconds.
rsleep() { sleep "$(printf '0.%03d' $((RANDOM % ($1 + 1))))"; }

# Every visible queue file is whole: version line, Message-ID, and the
# message ending in its own END line (one awk over all files).
check_files() {
	local bad
	set -- "$QDIR"/msg/*
	[ -f "$1" ] || return 0
	bad=$(awk '
	function check() {
		if (!ok || id == "" || last != "END-" id)
			print prev
	}
	FNR == 1 {
		if (prev != "")
			check()
		prev = FILENAME; ok = ($0 == "relaymail-queue 1"); id = ""
	}
	id == "" && /^Message-ID: <kill-/ {
		id = $0; sub(/.*kill-/, "", id); sub(/@.*/, "", id)
	}
	{ last = $0; sub(/\r$/, "", last) }
	END { if (prev != "") check() }' "$@")
	if [ -n "$bad" ]; then
		fail "partial or bad file visible: $bad"
		return 1
	fi
	return 0
}

t_begin "kill -9 during enqueue ($KILLS kills): nothing lost or partial"
conf queue=always timeout=30
QDIR=$T/queue
CONFIG=$T/config
: >"$T/accepted"
kills=0
i=0
# Count only kills that hit a live process. An enqueue takes a few
# milliseconds, so on a fast, idle machine many kills arrive too late:
# the delay shrinks while kills miss, and up to 20x tries are made.
miss=0
while [ "$kills" -lt "$KILLS" ] && [ "$i" -lt $((KILLS * 20)) ]; do
	i=$((i + 1))
	make_msg "$i" >"$T/in"
	"$RELAYMAIL" -C "$CONFIG" r@example.com <"$T/in" >/dev/null 2>&1 &
	p=$!
	[ "$miss" -gt 3 ] && rsleep 2 || rsleep 6
	if kill -9 "$p" 2>/dev/null; then
		kills=$((kills + 1))
		miss=0
	else
		miss=$((miss + 1))
	fi
	wait "$p" 2>/dev/null
	[ $? = 0 ] && echo "$i" >>"$T/accepted"
	check_files || break
done
[ "$kills" -ge "$KILLS" ] || fail "only $kills kills landed"
# Numbers after every one the loop used: Message-IDs must stay unique.
first_extra=$((i + 1))
# A few that are never killed, so the accepted set is never empty.
for i in $(seq "$first_extra" $((first_extra + 4))); do
	make_msg "$i" >"$T/in"
	"$RELAYMAIL" -C "$CONFIG" r@example.com <"$T/in" >/dev/null 2>&1 &&
	    echo "$i" >>"$T/accepted"
done
check_files
for i in $(cat "$T/accepted"); do
	grep -aqs "^Message-ID: <kill-$i@" "$QDIR"/msg/* ||
	    { fail "accepted message $i is not queued"; break; }
done
echo "# enqueue: $kills kills, $(wc -l <"$T/accepted") accepted," \
    "$(find "$QDIR/msg" -type f | wc -l) queued"
t_end
PHASE1=$T
ENQ_CONFIG=$CONFIG
NEXT=$((first_extra + 5))

t_begin "kill -9 during queue runs ($KILLS kills): no loss, RFC 1047 only"
relay_start plain -n $((KILLS * 20 + 20)) -L 900
sed -e "s/^port = .*/port = $RELAY_PORT/" "$CONFIG" >"$T/config"
chmod 600 "$T/config"
CONFIG=$T/config
find "$QDIR/msg" -type f -exec grep -a -h -m1 '^Message-ID: <kill-' {} + |
    sort -u >"$T/queued-ids"
# Keeps at least 10 messages queued, so every kill lands mid-run.
refill() {
	local j
	[ "$(find "$QDIR/msg" -type f | wc -l)" -lt 10 ] || return 0
	for j in $(seq 20); do
		make_msg "$NEXT" >"$T/in"
		"$RELAYMAIL" -C "$ENQ_CONFIG" r@example.com <"$T/in" \
		    >/dev/null 2>&1 ||
		    fail "enqueue of $NEXT failed"
		echo "Message-ID: <kill-$NEXT@example.com>"$'\r' \
		    >>"$T/queued-ids"
		NEXT=$((NEXT + 1))
	done
}
kills=0
for i in $(seq $((KILLS * 20))); do
	refill
	"$RELAYMAIL" -C "$CONFIG" -q --force >/dev/null 2>&1 &
	p=$!
	rsleep 30
	kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
	wait "$p" 2>/dev/null
	check_files || break
	[ "$kills" -lt "$KILLS" ] || break
done
[ "$kills" -ge "$KILLS" ] || fail "only $kills kills landed"

"$RELAYMAIL" -C "$CONFIG" -q --force >/dev/null 2>&1
"$RELAYMAIL" -C "$CONFIG" -q --force >/dev/null 2>&1
relay_stop
left=$(find "$QDIR/msg" -type f | wc -l)
[ "$left" = 0 ] || fail "$left messages still queued"
# Message number -> Message-ID, for every copy the relay received.
for f in "$T"/msg "$T"/msg.*; do
	[ -f "$f" ] || continue
	case $f in *.part) continue ;; esac	# incomplete: not delivered
	n=${f##*/msg}; n=${n#.}; n=${n:-1}
	echo "$n $(grep -a -m1 '^Message-ID: <kill-' "$f")"
done | sort -n >"$T/copies"
# Message numbers at risk: last complete one of a connection without QUIT.
awk '/^=== connection/ { last = ""; quit = 0 }
    /^--- message [0-9]+ complete/ { last = $3 }
    /^C: QUIT/ { quit = 1 }
    /^=== end of connection/ { if (!quit && last != "") print last }' \
    "$T/transcript" | sort -n >"$T/at-risk"
cut -d' ' -f2- "$T/copies" | sort | uniq -c | awk '$1 > 1 {print $3}' \
    >"$T/dup-ids"
while read -r mid; do
	[ -n "$mid" ] || continue
	copies=$(grep -c -F " Message-ID: $mid" "$T/copies")
	risky=$(grep -F " Message-ID: $mid" "$T/copies" | cut -d' ' -f1 |
	    grep -cxFf "$T/at-risk")
	[ "$risky" -ge $((copies - 1)) ] ||
	    fail "duplicate $mid not explained by a kill after acceptance"
done <"$T/dup-ids"
while read -r mid; do
	grep -qF " $mid" "$T/copies" || { fail "lost $mid"; break; }
done <"$T/queued-ids"
echo "# queue runs: $kills kills, $(wc -l <"$T/copies") copies of" \
    "$(wc -l <"$T/queued-ids") messages, $(wc -l <"$T/dup-ids")" \
    "RFC 1047 duplicates"
t_end

t_finish
