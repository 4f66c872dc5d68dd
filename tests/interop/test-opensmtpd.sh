#!/bin/bash
# Interop: relaymail through a real OpenSMTPD (Debian's opensmtpd,
# unpacked with dpkg -x: it conflicts with Postfix, so it is never
# installed) on a plaintext loopback listener. There it offers no
# PIPELINING and answers any command sent before its reply with "500
# 5.5.1 Invalid command: Pipelining not supported", dropping the message
# (RFC 2920 §3.1: without PIPELINING a client waits for every reply,
# QUIT included). OpenSMTPD relays what it accepts to a test relay (the
# sink), which must receive the message.
#
# It runs in a private mount namespace (unshare -m) with a copy of /etc
# that has its two users and private directories over /var/spool,
# /var/lib and /run, so nothing on the host changes. Needs root and the
# Debian archive (apt-get download); skipped otherwise.
. "$(dirname "$0")/../lib.sh"

OS=$TMPROOT/opensmtpd			# the unpacked package, kept
NS=$GROUPDIR/ns				# this run's /etc, spool, ...

os_unpack() {
	local deb
	[ -x "$OS/root/usr/sbin/smtpd" ] && return 0
	mkdir -p "$OS"
	(cd "$OS" && apt-get download opensmtpd >/dev/null 2>&1) || return 1
	deb=$(ls "$OS"/opensmtpd_*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] && dpkg -x "$deb" "$OS/root"
}

# os_start SINKPORT: OpenSMTPD relaying everything to the sink; OS_PORT.
os_start() {
	local i
	mkdir -p "$NS/etc" "$NS/spool/smtpd" "$NS/lib/opensmtpd/empty" \
	    "$NS/run"
	chmod 711 "$NS/spool/smtpd"
	cp -a /etc/. "$NS/etc/" 2>/dev/null
	printf '%s\n' \
	    'opensmtpd:x:60101:60101::/var/lib/opensmtpd/empty:/usr/sbin/nologin' \
	    'opensmtpq:x:60102:60102::/var/lib/opensmtpd/empty:/usr/sbin/nologin' \
	    >>"$NS/etc/passwd"
	printf '%s\n' 'opensmtpd:x:60101:' 'opensmtpq:x:60102:' \
	    >>"$NS/etc/group"
	# a free loopback port (nothing answers there)
	for i in $(seq 50); do
		OS_PORT=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$OS_PORT") 2>/dev/null || break
	done
	cat >"$NS/smtpd.conf" <<-EOF
	listen on 127.0.0.1 port $OS_PORT
	action "sink" relay host smtp://127.0.0.1:$1
	match from any for any action "sink"
	EOF
	unshare -m sh -c "mount --bind '$NS/etc' /etc &&
	    mount --bind '$NS/spool' /var/spool &&
	    mount --bind '$NS/lib' /var/lib && mount --bind '$NS/run' /run &&
	    exec '$OS/root/usr/sbin/smtpd' -d -f '$NS/smtpd.conf'" \
	    >"$GROUPDIR/smtpd.log" 2>&1 &
	OS_PID=$!
	echo "$OS_PID" >>"$GROUPDIR/pids"
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$OS_PORT") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Waits (up to 20 s) for the sink to have the N-th message.
sink_wait() {
	local f=$T/msg i
	[ "$1" = 1 ] || f=$T/msg.$1
	for i in $(seq 200); do
		[ -f "$f" ] && return 0
		sleep 0.1
	done
	return 1
}

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	t_skip "OpenSMTPD" "needs root and unshare(1)"
	t_finish
fi
if ! os_unpack; then
	t_skip "OpenSMTPD" "apt-get download opensmtpd failed (no archive?)"
	t_finish
fi

t_begin "OpenSMTPD without PIPELINING: the message is delivered, QUIT after its reply"
echo auth-optional | script	# the sink OpenSMTPD relays to
relay_start plain -n 3 -L 60
if ! os_start "$RELAY_PORT"; then
	fail "OpenSMTPD did not start: $(head -c 300 "$GROUPDIR/smtpd.log")"
else
	conf port="$OS_PORT" tls=none user= password= timeout=20
	send -v rcpt@example.org
	expect_rc 0
	grep -q 'Pipelining not supported' "$T/stderr" &&
	    fail "OpenSMTPD refused a pipelined command"
	# QUIT only after the end-of-data reply (the -v transcript).
	awk '/^> \.$/ {dot = 1} dot && /^> QUIT/ && !got {bad = 1}
	    dot && /^< 250/ {got = 1} END {exit bad}' "$T/stderr" ||
	    fail "QUIT was sent before the end-of-data reply"
	if ! sink_wait 1; then
		fail "OpenSMTPD did not deliver to the sink"
	else
		# OpenSMTPD prepends Received: the rest is ours, byte for byte.
		grep -av '^Received: \|^	' "$T/msg" >"$T/msg.body"
		grep -av '^Received: \|^	' "$T/expected" >"$T/exp.body"
		cmp -s "$T/msg.body" "$T/exp.body" ||
		    fail "the delivered message differs"
	fi
fi
t_end

t_finish
