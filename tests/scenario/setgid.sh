#!/bin/bash
# The setgid install mode (relaymail(8)): a copy of the binary
# setgid to the `relaymail` group reads a system config 0640
# root:relaymail (with a password) for any user; -C and
# $RELAYMAIL_CONFIG drop the group before anything is opened; a user's
# own config and its password_command run without the group.
#
# Needs root (to create the group, chgrp/chmod the copy, and write
# /etc/relaymail.conf, the path the binary knows as the system config).
# Skipped, with a line saying why, when not root, when the temp
# filesystem is nosuid, or when /etc/relaymail.conf already exists (it
# is never touched then). A config this group writes is removed at exit;
# the group is removed again if this group created it.
#
# The setgid copy runs without valgrind even with VALGRIND=1: valgrind
# cannot run a set-group-ID program as another user.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-accounts.sh"

. "$(dirname "$0")/lib-setgid.sh"

skip_all() {
	local c
	for c in "delivered as nobody through the system config" \
	    "the group as real or supplementary group reads the config" \
	    "-C drops the group" "RELAYMAIL_CONFIG drops the group" \
	    "a user's password_command runs without the group" \
	    "--relay takes no secret from the system config" \
	    "--queue-delete only by root or the queuing uid" \
	    "--dry-run, --probe, --check-config drop the group" \
	    "the system queue's msg/ and tmp/ stay root's" \
	    "an unreadable system config names the two ways out"; do
		t_skip "$c" "$1"
	done
	t_finish
}

sgl_setup setgid
RMGID=$(getent group relaymail | cut -d: -f3)

# The install: besides the setgid copy, a plain one (control).
install -m 0755 "$RELAYMAIL" "$SG/relaymail-plain"
mkdir -p "$SG/queue"

# sys_conf [MODE]: the system config for the case's relay, root:relaymail.
sys_conf() {
	if [ -e "$SYSCONF" ] && [ -z "$MADE_CONF" ]; then
		fail "$SYSCONF appeared during the test; not touching it"
		return 1
	fi
	MADE_CONF=1
	{
		printf 'default = sys\n[sys]\nhost = 127.0.0.1\nport = %s\n' \
		    "$RELAY_PORT"
		printf 'tls = %s\ntls_ca_file = %s\nuser = %s\npassword = %s\n' \
		    "$RELAY_MODE" "$SG/ca.pem" "$TUSER" "$PASSWORD"
		printf 'from = sender@example.com\ntimeout = 2\nqueue = %s\n' \
		    "${SYS_QUEUE:-never}"
		printf 'queue_dir = %s\nlog = none\n' "${SYS_QDIR:-$SG/queue}"
		[ -z "${SYS_EXTRA:-}" ] || printf '%s\n' "$SYS_EXTRA"
	} >"$SYSCONF.tmp"
	chown root:relaymail "$SYSCONF.tmp"
	chmod "${1:-640}" "$SYSCONF.tmp"
	mv "$SYSCONF.tmp" "$SYSCONF"
}

# as_nobody [VAR=value...] -- [relaymail args]: runs the setgid copy
# (BIN= to pick another) as nobody:nogroup (AS_UID= for another uid)
# with no supplementary groups and a clean environment.
as_nobody() {
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	[ -f "$T/in" ] || msg_default
	timeout 60 setpriv --reuid="${AS_UID:-nobody}" --regid="$NOGROUP" \
	    --clear-groups \
	    env -i PATH=/usr/bin:/bin HOME=/nonexistent \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} "${envs[@]}" \
	    "${BIN:-$SG/relaymail}" "$@" <"$T/in" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	relay_settle
}

# nobody_bg IN [relaymail args]: the setgid copy as nobody:nogroup with
# no supplementary groups and a clean environment, in the background,
# stdin from IN; its pid in rm_pid.
nobody_bg() {
	local in=$1
	shift
	setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups env -i \
	    PATH=/usr/bin:/bin HOME=/nonexistent \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} "$SG/relaymail" "$@" \
	    <"$in" >"$T/stdout" 2>"$T/stderr" &
	rm_pid=$!
}

# wait_stalling N: waits (up to N times 0.05 s) until the relay stalls
# (its script's "greeting stall").
wait_stalling() {
	local i
	for i in $(seq "$1"); do
		grep -q '^--- stalling' "$T/transcript" 2>/dev/null && break
		sleep 0.05
	done
}

# sg_begin TITLE [MODE]: a case with an implicit-TLS relay and the system
# config for it (mode MODE, default 0640).
sg_begin() {
	t_begin "$1"
	relay_start implicit
	sys_conf "${@:2}"
}

expect_rc_in() {	# codes...
	local c
	for c in "$@"; do
		[ "$RC" = "$c" ] && return 0
	done
	fail "exit $RC, want one of $* ($(head -c 300 "$T/stderr" | tr '\n' ' '))"
}

sg_begin "setgid copy: nobody delivers with AUTH through a 0640 root:relaymail system config"
as_nobody -- rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok'
expect_msg "$T/expected"
expect_no_leak
t_end

# While the relay stalls the greeting, relaymail's own ids are read from
# /proc: the group must be gone once config and secrets are read.
t_begin "setgid copy: system config: group dropped before connecting"
script <<-'EOS'
	greeting stall
EOS
relay_start implicit
sys_conf
msg_default
nobody_bg "$T/in" rcpt@example.com
wait_stalling 60
grep '^Gid:' "/proc/$rm_pid/status" >"$T/gids" 2>/dev/null
wait "$rm_pid"
RC=$?
expect_rc 75
if [ ! -s "$T/gids" ]; then
	fail "could not read relaymail's ids while connected"
elif tr -s ' \t' '\n\n' <"$T/gids" | grep -qx "$RMGID"; then
	fail "relaymail held the group while connected: $(cat "$T/gids")"
fi
expect_no_mail
t_end

sg_begin "control: the same as nobody without the setgid bit cannot read it, and is told the two ways out"
BIN=$SG/relaymail-plain as_nobody -- rcpt@example.com
expect_rc 66
expect_no_connect
expect_no_msg
expect_err 'Permission denied.*make install-setgid.*~/\.config/relaymail/config'
[ "$(wc -l <"$T/stderr")" = 1 ] || fail "want one message: $(cat "$T/stderr")"
t_end

# The systemd unit's way (User=nobody Group=relaymail) and an admin in
# the group: the plain binary, holding relaymail as its real or a
# supplementary group, reads the same 0640 root:relaymail config.
for how in real supplementary; do
	sg_begin "no setgid bit, relaymail as the $how group: the 0640 system config is read"
	[ -f "$T/in" ] || msg_default
	if [ "$how" = real ]; then
		gopt=(--regid=relaymail --clear-groups)
	else
		gopt=(--regid="$NOGROUP" --groups=relaymail)
	fi
	timeout 60 setpriv --reuid=nobody "${gopt[@]}" env -i \
	    PATH=/usr/bin:/bin HOME=/nonexistent \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
	    "$SG/relaymail-plain" rcpt@example.com \
	    <"$T/in" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	relay_settle
	expect_rc 0
	expect_tr '^--- auth ok'
	expect_msg "$T/expected"
	t_end
done

sg_begin "setgid copy: --probe as nobody works (the group reads the config)"
as_nobody -- --probe
expect_rc 0
expect_out '^AUTH: PLAIN'
expect_no_mail
t_end

sg_begin "setgid copy: a system config readable by others (0644) is refused -> 78" 644
as_nobody -- rcpt@example.com
expect_rc 78
expect_no_connect
expect_no_err "$(re_esc "$PASSWORD")"
t_end

copy_case() {	# title, as_nobody args...
	local title=$1
	shift
	sg_begin "setgid copy: $title drops the group first: cannot read -> 66/78, nothing sent"
	cp "$SYSCONF" "$SG/copy.conf"
	chown root:relaymail "$SG/copy.conf"
	chmod 640 "$SG/copy.conf"
	as_nobody "$@" rcpt@example.com
	expect_rc_in 66 78
	expect_no_connect
	expect_no_msg
	expect_no_err "$(re_esc "$PASSWORD")"
	t_end
}
copy_case "-C a copy of the system config" -- -C "$SG/copy.conf"
copy_case "-C $SYSCONF itself" -- -C "$SYSCONF"
copy_case "RELAYMAIL_CONFIG" "RELAYMAIL_CONFIG=$SG/copy.conf" --
copy_case "RELAYMAIL_CONFIG=$SYSCONF" "RELAYMAIL_CONFIG=$SYSCONF" --

# A user's own config: found first in the search order, so the group is
# dropped before it is read and its password_command never has it.
user_home() {
	local h=$SG/home.$NCASE
	mkdir -p "$h/.config/relaymail"
	# /bin/sh itself resets a set-group-ID it inherits (dash, bash), so
	# the command also records the ids of its parent (sh -c) and
	# grandparent (relaymail).
	{
		printf '#!/bin/sh\nid -G >%s/ids\n' "$h"
		printf 'p=$PPID; for i in 1 2; do\n'
		printf '  cat /proc/$p/comm >>%s/parent\n' "$h"
		printf '  grep -E "^(Gid|Groups):" /proc/$p/status >>%s/ids\n' \
		    "$h"
		printf '  p=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$p/status)\n'
		printf 'done\n'
		printf 'printf "%%s\\n" %q\n' "$PASSWORD"
	} >"$h/pw"
	chmod 700 "$h/pw"
	{
		printf 'default = mine\n[mine]\nhost = 127.0.0.1\nport = %s\n' \
		    "$RELAY_PORT"
		printf 'tls = implicit\ntls_ca_file = %s\nuser = %s\n' \
		    "$SG/ca.pem" "$TUSER"
		printf 'password_command = %s\ntimeout = 2\nqueue = never\n' \
		    "$h/pw"
		printf 'queue_dir = %s\nlog = none\n' "$h/queue"
	} >"$h/.config/relaymail/config"
	chmod 600 "$h/.config/relaymail/config"
	chown -R nobody:"$NOGROUP" "$h"
	chmod 700 "$h"
	HOMEDIR=$h
}

# Neither the command nor its parents (sh, relaymail) held the group.
expect_no_group() {
	if [ ! -s "$HOMEDIR/ids" ]; then
		fail "password_command did not run"
		return
	fi
	grep -qx relaymail "$HOMEDIR/parent" ||
	    fail "relaymail not among the command's parents: $(cat "$HOMEDIR/parent")"
	grep -q '^Gid:' "$HOMEDIR/ids" || fail "parent's ids not recorded"
	tr -s ' \t' '\n\n' <"$HOMEDIR/ids" | grep -qx "$RMGID" &&
	    fail "relaymail group held: $(tr '\n\t' '  ' <"$HOMEDIR/ids")"
}

sg_begin "setgid copy: a user's ~/.config config and password_command run without the group"
user_home
as_nobody "HOME=$HOMEDIR" -- rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok'
expect_msg "$T/expected"
expect_no_group
t_end

sg_begin "setgid copy: XDG_CONFIG_HOME config likewise runs without the group"
user_home
as_nobody "HOME=/nonexistent" "XDG_CONFIG_HOME=$HOMEDIR/.config" -- \
    rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
expect_no_group
t_end

for how in -C RELAYMAIL_CONFIG; do
	sg_begin "setgid copy: $how naming the user's own config: no group held"
	user_home
	cp -p "$HOMEDIR/.config/relaymail/config" "$HOMEDIR/named.conf"
	if [ "$how" = -C ]; then
		as_nobody -- -C "$HOMEDIR/named.conf" rcpt@example.com
	else
		as_nobody "RELAYMAIL_CONFIG=$HOMEDIR/named.conf" -- \
		    rcpt@example.com
	fi
	expect_rc 0
	expect_msg "$T/expected"
	expect_no_group
	t_end
done

# ---- --relay: a host the config does not name gets none of its secrets

# The "attacker": a second relay the system config does not name, with
# the same test certificate (so trusted only through the config's
# tls_ca_file). OTHERPORT in the arguments becomes its port.
relay_case() {	# title, relaymail args...
	local title=$1
	shift
	sg_begin "setgid copy: $title: no secret from the system config"
	relay2_start implicit
	as_nobody -- "${@//OTHERPORT/$RELAY2_PORT}"
	[ "$RC" = 0 ] && fail "exit 0: something was sent to the other host"
	grep -qaiE '^C: AUTH' "$T/r2/transcript" 2>/dev/null &&
	    fail "AUTH sent to the other host"
	grep -qaF -- "$PASSWORD" "$T/r2/transcript" 2>/dev/null &&
	    fail "the password reached the other host"
	grep -qaF -- "$(printf '\0%s\0%s' "$TUSER" "$PASSWORD" | base64 -w0)" \
	    "$T/r2/transcript" 2>/dev/null && fail "AUTH PLAIN reached the other host"
	[ -f "$T/r2/msg" ] && fail "the other host got a message"
	expect_err "$(re_esc "$SYSCONF") is not readable by you"
	expect_no_err "$(re_esc "$PASSWORD")"
	expect_no_connect	# the system config's own relay
	s_end
}
relay_case "-a sys --relay=smtps://OTHER" -a sys \
    --relay="smtps://127.0.0.1:OTHERPORT" rcpt@example.com
relay_case "--relay=smtps://user@OTHER" \
    --relay="smtps://$TUSER@127.0.0.1:OTHERPORT" rcpt@example.com
relay_case "--probe --relay=smtps://OTHER" --probe \
    --relay="smtps://127.0.0.1:OTHERPORT"
relay_case "--probe=sys --relay=smtps://user@OTHER" --probe=sys \
    --relay="smtps://$TUSER@127.0.0.1:OTHERPORT"

sg_begin "setgid copy: --dry-run -a sys --relay: no user or password from the system config"
as_nobody -- --dry-run -a sys --relay=smtps://127.0.0.1:1 rcpt@example.com
expect_rc 0
expect_out '^auth: none'
expect_no_out 'password'
expect_no_out "$(re_esc "$TUSER")"
expect_no_connect
t_end

sg_begin "root with --relay may still use the config it can read"
relay2_start implicit
msg_default
"$SG/relaymail" -a sys --relay="smtps://127.0.0.1:$RELAY2_PORT" \
    rcpt@example.com <"$T/in" >"$T/stdout" 2>"$T/stderr"
RC=$?
expect_rc 0
grep -qa '^--- auth ok' "$T/r2/transcript" || fail "root's AUTH did not run"
s_end

# ---- the system queue: listing open to all, deletion by root or owner

# sq_begin TITLE: a system config whose relay is down, queue =
# on-failure into $SG/squeue as the install makes it (2770 root:relaymail
# with msg/ and tmp/).
sq_begin() {
	t_begin "$1"
	rm -rf "$SG/squeue"
	install -d -o root -g relaymail -m 2770 "$SG/squeue" "$SG/squeue/msg" \
	    "$SG/squeue/tmp"
	dead_port >/dev/null
	RELAY_PORT=$(cat "$T/dead/port")
	RELAY_MODE=implicit
	SYS_QUEUE=on-failure SYS_QDIR=$SG/squeue sys_conf
}

queued_id() { sed -n 's/^relaymail: queued as \([0-9A-F]*\).*/\1/p' "$T/stderr"; }

sq_begin "setgid copy: --queue-delete of another user's message -> 77; listing stays open"
as_nobody -- rcpt@example.com
expect_rc 0
id=$(queued_id)
[ -n "$id" ] || fail "nothing queued: $(cat "$T/stderr")"
grep -qx "uid $(id -u nobody)" "$SG/squeue/msg/$id" 2>/dev/null ||
    fail "the queue file does not record nobody's uid"
AS_UID=4242 as_nobody -- --queue-delete "$id"
expect_rc 77
expect_err "was queued by uid $(id -u nobody); only that user or root"
[ -f "$SG/squeue/msg/$id" ] || fail "another user deleted it"
AS_UID=4242 as_nobody -- -bp
expect_rc 0
grep -q "^$id " "$T/stdout" || fail "-bp by another user does not list it"
as_nobody -- --queue-delete "$id"
expect_rc 0
[ -f "$SG/squeue/msg/$id" ] && fail "its own user could not delete it"
t_end

sq_begin "setgid copy: root deletes any message; one without a uid is root's only"
as_nobody -- rcpt@example.com
id=$(queued_id)
as_nobody -- rcpt@example.com
id2=$(queued_id)
[ -n "$id" ] && [ -n "$id2" ] || fail "nothing queued: $(cat "$T/stderr")"
sed -i '/^uid /d' "$SG/squeue/msg/$id2"	# as an older version wrote it
as_nobody -- --queue-delete "$id2"
expect_rc 77
expect_err "does not say who queued it"
"$SG/relaymail" --queue-delete "$id" >"$T/stdout" 2>"$T/stderr"
RC=$?
expect_rc 0
"$SG/relaymail" --queue-delete "$id2" >"$T/stdout" 2>"$T/stderr"
RC=$?
expect_rc 0
[ -z "$(ls -A "$SG/squeue/msg")" ] || fail "root left messages"
t_end

# ---- the group goes as soon as nothing can be queued

# proc_gids PID: waits (up to 10 s) until PID sleeps reading a pipe,
# then writes its Gid/Groups lines to $T/gids.
proc_gids() {
	local i
	for i in $(seq 200); do
		grep -q pipe "/proc/$1/wchan" 2>/dev/null && break
		sleep 0.05
	done
	grep -E '^(Gid|Groups):' "/proc/$1/status" >"$T/gids" 2>/dev/null
}

expect_gids_without_group() {
	if [ ! -s "$T/gids" ]; then
		fail "could not read relaymail's ids"
	elif tr -s ' \t' '\n\n' <"$T/gids" | grep -qx "$RMGID"; then
		fail "relaymail held the group: $(tr '\n\t' '  ' <"$T/gids")"
	fi
}

t_begin "setgid copy: --dry-run reads the message without the group (system queue configured)"
relay_start implicit
SYS_QUEUE=on-failure sys_conf
msg_default
mkfifo "$T/fifo"
nobody_bg "$T/fifo" --dry-run rcpt@example.com
exec 7>"$T/fifo"
proc_gids "$rm_pid"
cat "$T/in" >&7
exec 7>&-
wait "$rm_pid"
RC=$?
expect_rc 0
expect_out '^envelope sender: '
expect_gids_without_group
expect_no_connect
t_end

t_begin "setgid copy: --probe connects without the group (system queue configured)"
script <<-'EOS'
	greeting stall
EOS
relay_start implicit
SYS_QUEUE=on-failure sys_conf
: >"$T/in"
nobody_bg "$T/in" --probe
wait_stalling 100
grep -E '^(Gid|Groups):' "/proc/$rm_pid/status" >"$T/gids" 2>/dev/null
wait "$rm_pid"
RC=$?
expect_rc 75
expect_gids_without_group
expect_no_mail
t_end

# --check-config reads the aliases file after the config: without the
# group, so one only the group can read is reported, as it would fail
# for --dry-run and for every send that cannot queue.
sg_begin "setgid copy: --check-config checks the named files without the group"
printf 'root: admin@example.com\n' >"$SG/aliases"
chown root:relaymail "$SG/aliases"
chmod 640 "$SG/aliases"
SYS_EXTRA="aliases = $SG/aliases" sys_conf
as_nobody -- --check-config
expect_rc 78
expect_out "$(re_esc "$SG/aliases").*Permission denied"
chmod 644 "$SG/aliases"
as_nobody -- --check-config
expect_rc 0
expect_out "$(re_esc "$SYSCONF"): OK"
t_end

sg_begin "setgid copy: the system config's password_command runs without the group"
{
	printf '#!/bin/sh\nid -G >%s/pwc.ids\n' "$SG"
	printf 'printf "%%s\\n" %q\n' "$PASSWORD"
} >"$SG/pwc"
chmod 755 "$SG/pwc"
rm -f "$SG/pwc.ids"
chmod 1777 "$SG"
SYS_EXTRA="password_command = $SG/pwc" sys_conf
sed -i '/^password = /d' "$SYSCONF"
as_nobody -- rcpt@example.com
chmod 755 "$SG"
expect_rc 0
expect_tr '^--- auth ok'
if [ ! -s "$SG/pwc.ids" ]; then
	fail "password_command did not run"
elif tr ' ' '\n' <"$SG/pwc.ids" | grep -qx "$RMGID"; then
	fail "password_command held the group: $(cat "$SG/pwc.ids")"
fi
t_end

# ---- the system queue's subdirectories belong to root

sg_begin "setgid copy: a system queue without msg/: a user is refused (73), creates nothing"
rm -rf "$SG/bare"
install -d -o root -g relaymail -m 2770 "$SG/bare"
relay_stop
dead_port >/dev/null
RELAY_PORT=$(cat "$T/dead/port")
SYS_QUEUE=on-failure SYS_QDIR=$SG/bare sys_conf
as_nobody -- rcpt@example.com
expect_rc 73
expect_err 'msg is missing, and only root or the owner of .* \(uid 0\) may create it'
[ -e "$SG/bare/msg" ] && fail "msg/ was created: $(stat -c '%U:%G %a' "$SG/bare/msg")"
"$SG/relaymail" rcpt@example.com <"$T/in" >"$T/stdout" 2>"$T/stderr"
RC=$?
expect_rc 0
[ "$(stat -c '%U:%G %a' "$SG/bare/msg" 2>/dev/null)" = "root:relaymail 2770" ] ||
    fail "root's run made msg/ $(stat -c '%U:%G %a' "$SG/bare/msg" 2>&1)"
t_end

t_begin "make install-setgid: the queue and its msg/ and tmp/ are 2770 root:relaymail"
D=$SG/dest
mkdir -p "$D/var/spool/relaymail/msg"
chown nobody "$D/var/spool/relaymail/msg"	# made by a user before
chmod 777 "$D/var/spool/relaymail/msg"
make -s -C "$TOP" -o relaymail install-setgid DESTDIR="$D" PREFIX=/usr \
    >"$T/make.out" 2>&1 || fail "make install-setgid failed: $(tail -3 "$T/make.out")"
for d in "" /msg /tmp; do
	got=$(stat -c '%U:%G %a' "$D/var/spool/relaymail$d" 2>&1)
	[ "$got" = "root:relaymail 2770" ] ||
	    fail "/var/spool/relaymail$d is $got"
done
t_end

# The system queue is 2770 root:relaymail; with queue = on-failure the
# group is held while delivering, and the TLS session cache lives in the
# queue's tls/ directory: files 0660 of the group, unreadable by the
# users who send through it, and the second send resumes.
t_begin "setgid copy: TLS sessions cached in the system queue (0660 relaymail), the next send resumes"
relay_start implicit -n 2
sys_conf
sed -i 's/^queue = never/queue = on-failure/' "$SYSCONF"
mkdir -p "$SG/squeue"
chgrp relaymail "$SG/squeue"
chmod 2770 "$SG/squeue"
sed -i "s|^queue_dir = .*|queue_dir = $SG/squeue|" "$SYSCONF"
as_nobody -- rcpt@example.com
expect_rc 0
as_nobody -- rcpt@example.com
expect_rc 0
grep -q '^--- tls resumed' "$T/transcript" || fail "second send not resumed"
f=$(find "$SG/squeue/tls" -type f ! -name trust-index 2>/dev/null | head -1)
if [ -z "$f" ]; then
	fail "no session cached in the system queue"
else
	[ "$(stat -c '%a %G' "$f")" = "660 relaymail" ] ||
	    fail "cache file is $(stat -c '%a %G' "$f"), want 660 relaymail"
	setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups \
	    cat "$f" >/dev/null 2>&1 && fail "nobody can read the cached session"
fi
t_end

# RELAYMAIL_SYSTEM_TRUST (a test hook) must never move the trust of a
# setgid run: with it pointing at a bundle holding the test CA, the
# setgid copy still verifies against the real system store and refuses
# the relay (69, nothing sent); the same environment is honoured by the
# plain copy run by root (control).
t_begin "setgid copy ignores RELAYMAIL_SYSTEM_TRUST; a plain run honours it"
relay_start implicit -n 2
sys_conf
sed -i '/^tls_ca_file/d' "$SYSCONF"
cat /etc/ssl/certs/ca-certificates.crt "$CERTS/ca.pem" >"$SG/bundle.pem" \
    2>/dev/null
chmod 644 "$SG/bundle.pem"
as_nobody "RELAYMAIL_SYSTEM_TRUST=$SG/bundle.pem" -- rcpt@example.com
expect_rc 69
expect_err 'not accepted'
expect_no_mail
chmod 600 "$SYSCONF"	# root without the setgid mode: a 0600 config
RELAYMAIL_SYSTEM_TRUST=$SG/bundle.pem "$SG/relaymail-plain" rcpt@example.com \
    <"$T/in" >"$T/stdout" 2>"$T/stderr"
RC=$?
relay_settle
expect_rc 0
expect_msg "$T/expected"
t_end

t_finish
