#!/bin/bash
# `make install` works as installed: the queue service, its timer and the
# cron line are made for the real SBINDIR, and what they run delivers a
# queued message; systemd-analyze accepts the units; `make uninstall`
# removes every file install and install-links put in place.
#
# The install goes to a PREFIX under the test tree without DESTDIR, so the
# paths written into the files are the ones that exist; `make` runs with
# -s from the top directory (it only copies the built binary).
. "$(dirname "$0")/../lib.sh"

t_begin "make install: units and cron line name the installed binary"
P=$T/prefix
mk() {
	make -s -C "$TOP" PREFIX="$P" SYSCONFDIR="$P/etc" "$@" \
	    >>"$T/make.out" 2>&1
}
mk install || fail "make install failed: $(tail -3 "$T/make.out")"
SVC=$P/lib/systemd/system/relaymail-queue.service
CRON=$P/etc/cron.d/relaymail
for f in "$P/sbin/relaymail" "$SVC" "$P/lib/systemd/system/relaymail-queue.timer" \
    "$CRON" "$P/share/man/man8/relaymail.8" \
    "$P/share/man/man5/relaymail.conf.5"; do
	[ -f "$f" ] || fail "not installed: $f"
done
[ -x "$P/sbin/relaymail" ] || fail "binary not executable"
grep -qxF "ExecStart=$P/sbin/relaymail -q" "$SVC" ||
    fail "ExecStart: $(grep '^ExecStart' "$SVC")"
grep -qxF "ConditionPathExists=$P/etc/relaymail.conf" "$SVC" ||
    fail "Condition: $(grep '^Condition' "$SVC")"
grep -q '@[A-Z]*@' "$SVC" "$CRON" && fail "placeholder left in a file"
grep -q '/usr/sbin/relaymail' "$SVC" "$CRON" && fail "hard-coded /usr/sbin"
t_end

t_begin "systemd-analyze verify accepts the installed units"
if ! command -v systemd-analyze >/dev/null; then
	t_skip "$CASE" "no systemd-analyze"
else
	# Verified from a copy whose paths are the ones on this machine.
	mkdir -p "$T/units"
	cp "$SVC" "$P/lib/systemd/system/relaymail-queue.timer" "$T/units/"
	SYSTEMD_LOG_LEVEL=warning timeout 60 systemd-analyze verify --man=no \
	    "$T/units/relaymail-queue.service" \
	    "$T/units/relaymail-queue.timer" >"$T/verify" 2>&1
	# Only complaints about this unit count (not the machine's others);
	# the group may not exist here, which verify does not check.
	grep -i 'relaymail-queue' "$T/verify" | grep -v 'Failed to' >"$T/bad"
	[ -s "$T/bad" ] && fail "verify: $(head -3 "$T/bad")"
	grep -q 'is not executable' "$T/verify" &&
	    fail "verify: $(grep 'is not executable' "$T/verify")"
	t_end
fi

# The command of the cron line and of ExecStart, run as cron and systemd
# would (no PATH of ours; the config through RELAYMAIL_CONFIG as -C is
# not on their command lines), each drains a queued message.
for what in cron service; do
	t_begin "the installed $what command delivers a queued message"
	relay_start plain
	conf queue=always
	msg_default
	send rcpt@example.com
	expect_rc 0
	[ "$(find "$T/queue/msg" -type f | wc -l)" = 1 ] ||
	    fail "message not queued"
	if [ "$what" = cron ]; then
		cmd=$(grep -v '^#' "$CRON" | grep relaymail |
		    awk '{ $1 = $2 = $3 = $4 = $5 = $6 = ""; print }')
	else
		cmd=$(sed -n 's/^ExecStart=//p' "$SVC")
	fi
	[ -n "$cmd" ] || fail "no command in the $what file"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    RELAYMAIL_CONFIG="$T/config" sh -c "$cmd" >"$T/q.out" 2>&1
	relay_settle
	expect_msg "$T/expected"
	[ "$(find "$T/queue/msg" -type f | wc -l)" = 0 ] ||
	    fail "still queued after the $what command"
	t_end
done

t_begin "make uninstall removes what install and install-links put in place"
# install-links writes to /usr; only its uninstall half is tried here,
# on links pointing at this prefix's binary.
mk uninstall || fail "make uninstall failed: $(tail -3 "$T/make.out")"
left=$(find "$P" ! -type d)
[ -z "$left" ] || fail "left behind: $left"
t_end

t_finish
