#!/bin/bash
# The Debian package, for real: `make deb` builds it (lintian-clean), apt
# installs it into a throw-away Debian 12 root, a non-root user sends
# through the installed /usr/sbin/sendmail to the test relay, the queue
# service's ExecStart drains a queued message, the package upgrades over
# itself keeping the admin's changed /etc/relaymail.conf, and purge says
# what the queue held and leaves nothing behind.
#
# The root is made with mmdebstrap --variant=apt from this machine's apt
# sources; its tarball is cached in tests/tmp/deb (delete it to refresh).
# Every command in the root runs in a private mount namespace (its /proc
# vanishes with it) and shares the network, so the relay on 127.0.0.1 is
# reachable; nothing outside the root is installed or changed, and this
# machine's own Postfix is never touched. Skipped, with the reason, where
# the machine cannot build a root (not root, tools or network missing).
. "$(dirname "$0")/../lib.sh"

CASES=("make deb builds a lintian-clean package"
    "apt installs it into a fresh Debian root: files, modes, group, queue, timer"
    "apt now counts it as the mail-transport-agent"
    "a non-root user sends through /usr/sbin/sendmail"
    "the queue service's ExecStart drains a queued message"
    "the cron line does nothing where systemd runs, delivers where it does not"
    "upgrade over itself keeps the changed conffile and the modes"
    "purge says what the queue held and leaves nothing behind"
    "apt replaces an installed Postfix with it")
skip_all() {
	local c
	for c in "${CASES[@]}"; do
		t_skip "$c" "$1"
	done
	t_finish
}

[ "$(id -u)" = 0 ] || skip_all "not root (a root needs chroot and mounts)"
for tool in mmdebstrap dpkg-buildpackage dh lintian fakeroot unshare; do
	command -v "$tool" >/dev/null || skip_all "no $tool (make deps)"
done
unshare -m --propagation private true 2>/dev/null ||
    skip_all "no mount namespaces here"

DEBDIR=$TMPROOT/deb
BASE=$DEBDIR/base-bookworm.tar
R=$GROUPDIR/root
mkdir -p "$DEBDIR"

# make_base TAR [PACKAGE...]: Debian 12 with apt, the package's
# dependencies and PACKAGEs, the package lists kept so that apt resolves
# without the network; from the host's own sources for bookworm, each
# file one mirror argument (mmdebstrap tells one-line from deb822 files
# by their content). Built once, then cached.
make_base() {
	local tar=$1 f srcs=() inc=adduser,libinih1,libgnutls30
	shift
	[ -f "$tar" ] && [ -s "$tar" ] && return 0
	rm -rf "$tar" "$tar.tmp"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources; do
		[ -s "$f" ] && grep -q bookworm "$f" && srcs+=("$f")
	done
	[ ${#srcs[@]} -gt 0 ] || { echo "no apt sources for bookworm" \
	    >"$DEBDIR/mmdebstrap.log"; return 1; }
	for f in "$@"; do inc=$inc,$f; done
	timeout 600 mmdebstrap --variant=apt --format=tar \
	    --skip=cleanup/apt/lists --include="$inc" bookworm "$tar.tmp" \
	    "${srcs[@]}" >"$DEBDIR/mmdebstrap.log" 2>&1 && mv "$tar.tmp" "$tar"
	rm -rf "$tar.tmp"
	[ -f "$tar" ] && [ -s "$tar" ]
}

make_base "$BASE" ||
    skip_all "mmdebstrap cannot build a root here: $(tail -1 "$DEBDIR/mmdebstrap.log")"

# in_root CMD...: CMD in the root, with /proc, as root.
in_root() {
	unshare -m --propagation private sh -c \
	    'r=$1; shift; mount -t proc proc "$r/proc" && exec chroot "$r" "$@"' \
	    sh "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	    LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
# as_user USER GROUP CMD...: CMD in the root as USER:GROUP, no other
# groups, a clean environment.
as_user() {
	local u=$1 g=$2
	shift 2
	in_root setpriv --reuid="$u" --regid="$g" --clear-groups env -i \
	    PATH=/usr/bin:/bin HOME="/home/$u" "$@"
}
# mode_of PATH: "mode owner:group" inside the root.
mode_of() { in_root stat -c '%a %U:%G' "$1" 2>/dev/null; }
expect_mode() {	# path, "mode owner:group"
	local got
	got=$(mode_of "$1")
	[ "$got" = "$2" ] || fail "$1 is '$got', want '$2'"
}
# The files of the root, less what apt, dpkg and the test itself churn.
snapshot() {
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./dev \
	    -o -path ./tmp -o -path ./var/lib/dpkg -o -path ./var/lib/apt \
	    -o -path ./var/cache -o -path ./var/log -o -path ./home \
	    -o -path ./run \) -prune -o -print | sort) >"$1"
}

# relay_conf QUEUE [PORT]: the root's /etc/relaymail.conf for this
# case's relay, written in place so its mode and owner stay dpkg's.
relay_conf() {
	in_root sh -c 'cat >/etc/relaymail.conf' <<-EOF
	; changed by the admin
	default = relay
	[relay]
	host = 127.0.0.1
	port = ${2:-$RELAY_PORT}
	tls = implicit
	tls_ca_file = /etc/relaymail-test-ca.pem
	user = $TUSER
	password = $PASSWORD
	from = sender@example.com
	timeout = 5
	queue = $1
	EOF
}
# alice_sends: the user alice sends the default message to
# rcpt@example.com through the root's /usr/sbin/sendmail; RC, $T/stdout,
# $T/stderr.
alice_sends() {
	msg_default
	as_user alice alice /usr/sbin/sendmail -i rcpt@example.com <"$T/in" \
	    >"$T/stdout" 2>"$T/stderr"
	RC=$?
}
qcount_root() { find "$R/var/spool/relaymail/msg" -type f 2>/dev/null | wc -l; }

t_begin "${CASES[0]}"
make -s -C "$TOP" deb >"$T/deb.out" 2>&1 || fail "make deb: $(tail -5 "$T/deb.out")"
DEB=$(cd "$TOP" && ls -t relaymail_*_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || fail "no package built"
grep -E '^[EW]: ' "$T/deb.out" && fail "lintian: $(grep -E '^[EW]: ' "$T/deb.out" | head -3)"
t_end
[ -n "$DEB" ] || skip_all "no package"

t_begin "${CASES[1]}"
mkdir -p "$R"
tar -C "$R" -xf "$BASE" || fail "cannot unpack the base root"
cp "$TOP/$DEB" "$R/tmp/"
cp "$CERTS/ca.pem" "$R/etc/relaymail-test-ca.pem"
in_root useradd -m alice || fail "useradd alice"
snapshot "$T/before"
cp "$T/before" "$GROUPDIR/before"
in_root apt-get install -y --no-install-recommends "/tmp/$DEB" \
    </dev/null >"$T/apt.out" 2>&1 || fail "apt install: $(tail -5 "$T/apt.out")"
expect_mode /usr/sbin/relaymail "2755 root:relaymail"
expect_mode /etc/relaymail.conf "640 root:relaymail"
for d in /var/spool/relaymail /var/spool/relaymail/msg \
    /var/spool/relaymail/tmp; do
	expect_mode "$d" "2770 root:relaymail"
done
in_root getent group relaymail >/dev/null || fail "no group relaymail"
# Every account in the shipped config is commented out.
grep -Ev '^[[:space:]]*([;#]|$)' "$R/etc/relaymail.conf" >"$T/live" &&
    fail "uncommented lines in the conffile: $(head -3 "$T/live")"
for l in /usr/sbin/sendmail /usr/lib/sendmail /usr/bin/mailq \
    /usr/bin/newaliases; do
	[ "$(in_root readlink -f "$l")" = /usr/sbin/relaymail ] ||
	    fail "$l does not lead to /usr/sbin/relaymail"
done
for m in man8/relaymail.8.gz man5/relaymail.conf.5.gz man8/sendmail.8.gz; do
	[ -e "$R/usr/share/man/$m" ] || fail "no man page $m"
done
[ -L "$R/etc/systemd/system/timers.target.wants/relaymail-queue.timer" ] ||
    fail "timer not enabled"
grep -q '^ExecStart=/usr/sbin/relaymail -q$' \
    "$R/lib/systemd/system/relaymail-queue.service" || fail "service ExecStart"
[ -f "$R/etc/cron.d/relaymail" ] || fail "no /etc/cron.d/relaymail"
in_root dpkg-statoverride --list >"$T/so"
grep -q 'root relaymail 2755 /usr/sbin/relaymail' "$T/so" ||
    fail "no statoverride for the binary: $(cat "$T/so")"
t_end

t_begin "${CASES[2]}"
# bsd-mailx needs default-mta | mail-transport-agent: nothing more to
# pull; Postfix would replace relaymail, not sit beside it.
in_root apt-get install -s --no-install-recommends bsd-mailx \
    </dev/null >"$T/mailx.out" 2>&1 || fail "apt -s bsd-mailx failed"
grep -Eq '^Inst (postfix|exim4|nullmailer|msmtp|dma)' "$T/mailx.out" &&
    fail "an MTA would be pulled: $(grep '^Inst' "$T/mailx.out" | tr '\n' ' ')"
in_root apt-get install -s postfix </dev/null >"$T/pf.out" 2>&1
grep -q '^Remv relaymail' "$T/pf.out" ||
    fail "installing postfix does not remove relaymail: $(grep -E '^(Inst|Remv)' "$T/pf.out" | head -3 | tr '\n' ' ')"
t_end

t_begin "${CASES[3]}"
relay_start implicit
relay_conf on-failure
alice_sends
relay_settle
expect_rc 0
expect_tr '^--- auth ok'
expect_msg "$T/expected"
# No syslog in the root: the attempt line is in the queue's log.
if [ ! -e "$R/dev/log" ]; then
	grep -q 'account=relay .*exit=0' "$R/var/spool/relaymail/log" 2>/dev/null ||
	    fail "attempt line not in /var/spool/relaymail/log"
fi
expect_mode /etc/relaymail.conf "640 root:relaymail"
t_end

t_begin "${CASES[4]}"
relay_start implicit
relay_conf always
alice_sends
expect_rc 0
[ "$(qcount_root)" = 1 ] || fail "queue holds $(qcount_root), want 1"
expect_no_msg
# As systemd runs it: another user, relaymail as the group, no setgid
# help (NoNewPrivileges).
cmd=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/relaymail-queue.service")
as_user nobody relaymail setpriv --no-new-privs $cmd >"$T/q.out" 2>&1 ||
    fail "ExecStart ($cmd) exit $?: $(head -3 "$T/q.out")"
relay_settle
expect_msg "$T/expected"
[ "$(qcount_root)" = 0 ] || fail "still queued: $(qcount_root)"
# Its attempt line joins the senders' in the shared fallback log.
if [ ! -e "$R/dev/log" ]; then
	grep -q 'queue_id=.*exit=0' "$R/var/spool/relaymail/log" ||
	    fail "queue run's line not in /var/spool/relaymail/log"
	grep -q 'account=' "$T/q.out" && fail "queue run logged to stderr"
fi
t_end

t_begin "${CASES[5]}"
relay_start implicit
relay_conf always
alice_sends
cron=$(grep -v '^#' "$R/etc/cron.d/relaymail" | grep relaymail |
    awk '{ $1 = $2 = $3 = $4 = $5 = $6 = ""; print }')
mkdir -p "$R/run/systemd/system"
in_root sh -c "$cron"
relay_settle
expect_no_msg
[ "$(qcount_root)" = 1 ] || fail "the cron line ran where systemd runs"
rmdir "$R/run/systemd/system" "$R/run/systemd" 2>/dev/null
in_root sh -c "$cron"
relay_settle
expect_msg "$T/expected"
[ "$(qcount_root)" = 0 ] || fail "cron line did not drain the queue"
t_end

t_begin "${CASES[6]}"
relay_start implicit
relay_conf on-failure
cp "$R/etc/relaymail.conf" "$T/conf.before"
# The same package as a later version: a real upgrade for dpkg (old
# prerm/postrm upgrade, new preinst/postinst, conffile rules).
V=$(dpkg-deb -f "$TOP/$DEB" Version)
rm -rf "$T/pkg"
dpkg-deb -R "$TOP/$DEB" "$T/pkg"
sed -i "s/^Version: .*/Version: $V+1/" "$T/pkg/DEBIAN/control"
dpkg-deb -b "$T/pkg" "$R/tmp/relaymail-up.deb" >/dev/null ||
    fail "cannot repack"
in_root apt-get install -y "/tmp/relaymail-up.deb" </dev/null \
    >"$T/up.out" 2>&1 || fail "upgrade: $(tail -5 "$T/up.out")"
[ "$(in_root dpkg-query -W -f '${Version}' relaymail)" = "$V+1" ] ||
    fail "not upgraded"
cmp -s "$T/conf.before" "$R/etc/relaymail.conf" ||
    fail "the changed conffile was not kept"
[ -e "$R/etc/relaymail.conf.dpkg-dist" ] && fail "a .dpkg-dist appeared"
expect_mode /etc/relaymail.conf "640 root:relaymail"
expect_mode /usr/sbin/relaymail "2755 root:relaymail"
alice_sends
relay_settle
expect_rc 0
expect_msg "$T/expected"
t_end

t_begin "${CASES[7]}"
relay_conf always 1
alice_sends
qid=$(basename "$(find "$R/var/spool/relaymail/msg" -type f | head -1)")
[ -n "$qid" ] || fail "nothing queued before the purge"
in_root apt-get purge -y relaymail </dev/null >"$T/purge.out" 2>&1 ||
    fail "purge: $(tail -5 "$T/purge.out")"
grep -q 'removing /var/spool/relaymail with 1 undelivered' "$T/purge.out" ||
    fail "purge did not say what the queue held"
[ -n "$qid" ] && ! grep -q "$qid" "$T/purge.out" &&
    fail "purge did not name the queued message $qid"
in_root getent group relaymail >/dev/null && fail "group relaymail left"
in_root dpkg-statoverride --list | grep -q relaymail &&
    fail "statoverride left"
st=$(in_root dpkg-query -W -f '${db:Status-Status}' relaymail 2>/dev/null)
[ -z "$st" ] || [ "$st" = not-installed ] || fail "dpkg status: $st"
snapshot "$T/after"
diff "$GROUPDIR/before" "$T/after" >"$T/left"
[ -s "$T/left" ] && fail "left or lost: $(head -5 "$T/left" | tr '\n' ' ')"
t_end

t_begin "${CASES[8]}"
# A Debian 12 root whose mail-transport-agent is Postfix, as installed
# by default: installing the package removes Postfix, and
# /usr/sbin/sendmail is relaymail's.
R=$GROUPDIR/root-postfix
if ! make_base "$DEBDIR/base-bookworm-postfix.tar" postfix; then
	fail "cannot build a root with Postfix: $(tail -1 "$DEBDIR/mmdebstrap.log")"
else
	mkdir -p "$R"
	tar -C "$R" -xf "$DEBDIR/base-bookworm-postfix.tar" ||
	    fail "cannot unpack"
	[ "$(in_root dpkg-query -S /usr/sbin/sendmail | cut -d: -f1)" = postfix ] ||
	    fail "postfix does not own /usr/sbin/sendmail in the root"
	cp "$TOP/$DEB" "$R/tmp/"
	in_root apt-get install -y "/tmp/$DEB" </dev/null >"$T/apt.out" 2>&1 ||
	    fail "apt install over postfix: $(tail -5 "$T/apt.out")"
	grep -q '^Removing postfix' "$T/apt.out" || fail "postfix not removed"
	st=$(in_root dpkg-query -W -f '${db:Status-Status}' postfix)
	[ "$st" = installed ] && fail "postfix still installed"
	[ "$(in_root dpkg-query -S /usr/sbin/sendmail | cut -d: -f1)" = relaymail ] ||
	    fail "/usr/sbin/sendmail is not relaymail's"
	[ "$(in_root readlink -f /usr/sbin/sendmail)" = /usr/sbin/relaymail ] ||
	    fail "/usr/sbin/sendmail does not lead to relaymail"
	in_root /usr/sbin/sendmail --version >"$T/v" 2>&1 ||
	    fail "sendmail --version: $(cat "$T/v")"
fi
rm -rf "$R"
t_end

t_finish
