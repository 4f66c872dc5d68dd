# tests/scenario/lib-setgid.sh - the setup the groups of the setgid
# install mode share (setgid, oauth_setgid), sourced after ../lib.sh.
# run-scenarios.sh skips lib*.sh files.
#
# sgl_setup NAME checks that the group can run (root, no
# /etc/relaymail.conf yet, a user nobody, setpriv), makes $SG, a temp
# directory on a filesystem that honours set-group-ID, creates the group
# relaymail when it is missing, and installs there a copy of relaymail
# setgid to it ($SG/relaymail) and the test CA ($SG/ca.pem). Where the
# group cannot run it calls skip_all REASON, which the group defines (its
# skip lines, then t_finish). At exit a system config the group wrote
# (MADE_CONF set), the group relaymail if sgl_setup created it, and $SG
# are removed.

# LeakSanitizer cannot run in a set-group-ID process (it needs ptrace):
# with make check SANITIZE=1 the setgid copy runs with leak detection off
# (the same code paths are leak-checked in the other groups).
[ "${SANITIZE:-0}" = 1 ] && export ASAN_OPTIONS=detect_leaks=0

SYSCONF=/etc/relaymail.conf
SG=
MADE_CONF=
MADE_GROUP=

sgl_cleanup() {
	[ -n "$MADE_CONF" ] && rm -f "$SYSCONF"
	[ -n "$MADE_GROUP" ] && groupdel relaymail 2>/dev/null
	[ -n "$SG" ] && rm -rf "$SG"
}

sgl_setup() {
	trap 'sgl_cleanup; lib_cleanup' EXIT
	[ "$(id -u)" = 0 ] || skip_all "not root"
	[ -e "$SYSCONF" ] && skip_all "$SYSCONF exists; not touching it"
	id nobody >/dev/null 2>&1 || skip_all "no user nobody"
	command -v setpriv >/dev/null || skip_all "no setpriv"
	NOGROUP=$(id -gn nobody)
	SG=$(mktemp -d "/tmp/relaymail-$1.XXXXXX") || skip_all "no temp dir"
	chmod 755 "$SG"
	if findmnt -no OPTIONS -T "$SG" 2>/dev/null | tr ',' '\n' |
	    grep -qx nosuid; then
		skip_all "$SG is on a nosuid filesystem"
	fi
	if ! getent group relaymail >/dev/null; then
		groupadd --system relaymail || skip_all "groupadd failed"
		MADE_GROUP=1
	fi
	install -m 0755 "$RELAYMAIL" "$SG/relaymail"
	chgrp relaymail "$SG/relaymail"
	chmod 2755 "$SG/relaymail"
	install -m 0644 "$CERTS/ca.pem" "$SG/ca.pem"
}
