#!/bin/bash
# Interop: relaymail against OpenSMTPD (Debian's opensmtpd 6.8). Installing
# it would remove Postfix, so the package is fetched with apt-get download
# and unpacked into this test's directory (lib-deb.sh). Its spool
# (/var/spool/smtpd), chroot (/var/lib/opensmtpd/empty), control socket
# (/run/smtpd.sock) and users (opensmtpd, opensmtpq) are compiled in: it
# runs in a private mount namespace (unshare -m) where test directories
# are bound over /var/spool, /var/lib and /run, and over /etc a copy of
# it whose passwd and group have those users. The host's files are never changed.
#
# The listener is plaintext on 127.0.0.1 (tls = none: relaymail allows
# that on loopback only): on Debian 12 OpenSMTPD is built against OpenSSL
# 3, with which its server side cannot complete any TLS handshake (its
# upstream issues #1171 and #1239): its privilege-separated key signing
# fails, it logs "io-error: error:0A080006:SSL routines::EVP lib" (or
# "internal error") and sends an internal_error alert, with RSA and ECDSA
# keys, TLS 1.2 and 1.3, smtps and STARTTLS alike. So neither implicit TLS
# nor STARTTLS can be tested here, and it offers AUTH only over TLS. It offers no
# PIPELINING: a command sent before the previous reply gets "500 5.5.1
# Invalid command: Pipelining not supported" and the transaction is
# dropped, so every command, QUIT after the end of data included, must
# wait for its reply (RFC 5321 section 4.3.2; RFC 2920 only where
# offered). Policy: RCPT to nosuch@ is refused (match ... reject, 550),
# RCPT to busy@ gets a 451 from a filter. Accepted mail is relayed to a
# testrelay in plain mode, whose message files and transcript are the
# sink the test reads.
. "$(dirname "$0")/lib-mta.sh"
. "$(dirname "$0")/lib-deb.sh"

mt_need perl unshare dpkg-deb timeout
mt_need_unshare
[ -x "$MT_TOP/tests/relay/testrelay" ] ||
    { echo "FAIL: $MT_GROUP: tests/relay/testrelay is not built"; exit 1; }
mt_begin_deb opensmtpd /usr/sbin/smtpd
SMTPD=$D/root/usr/sbin/smtpd
set -- $(mt_free_ports 1)
P=$1
R=$D/relay		# the sink

os_free_id() {
	# os_free_id N: a uid and gid that neither passwd nor group has,
	# below 65500, N-th from the top.
	id=65500
	k=0
	while [ $id -gt 60000 ]; do
		if ! getent passwd $id >/dev/null && ! getent group $id >/dev/null
		then
			k=$((k + 1))
			[ $k = "$1" ] && { echo $id; return; }
		fi
		id=$((id - 1))
	done
}

os_files() {
	mt_etc_copy
	u1=$(os_free_id 1)
	u2=$(os_free_id 2)
	getent passwd opensmtpd >/dev/null ||
	    echo "opensmtpd:x:$u1:$u1::/var/lib/opensmtpd/empty:/usr/sbin/nologin" \
	    >>"$D/etc/passwd"
	getent passwd opensmtpq >/dev/null ||
	    echo "opensmtpq:x:$u2:$u2::/var/lib/opensmtpd/empty:/usr/sbin/nologin" \
	    >>"$D/etc/passwd"
	getent group opensmtpd >/dev/null || echo "opensmtpd:x:$u1:" >>"$D/etc/group"
	getent group opensmtpq >/dev/null || echo "opensmtpq:x:$u2:" >>"$D/etc/group"
	mkdir -p "$D/ns/spool" "$D/ns/lib/opensmtpd/empty" "$D/ns/run"
	chmod 755 "$D/ns" "$D/ns/spool" "$D/ns/lib" "$D/ns/lib/opensmtpd" \
	    "$D/ns/lib/opensmtpd/empty" "$D/ns/run"
	cat >"$D/smtpd.conf" <<-EOF
	filter "busy" phase rcpt-to match rcpt-to regex "^busy@" \\
	    reject "451 4.7.1 busy: policy says later"
	listen on 127.0.0.1 port $P filter "busy" hostname opensmtpd.test
	action "out" relay host smtp://127.0.0.1:$RPORT
	match from any for rcpt-to regex "^nosuch@" reject
	match from any for domain "$MT_DOMAIN" action "out"
	EOF
}

os_relay() {
	mkdir -p "$R"
	"$MT_TOP/tests/relay/testrelay" -M plain -p "$R/port" \
	    -t "$R/transcript" -m "$R/msg" -n 1000 -L 900 2>"$R/err" &
	mt_pid $!
	for i in $(seq 100); do
		[ -s "$R/port" ] && break
		sleep 0.05
	done
	RPORT=$(cat "$R/port" 2>/dev/null)
	[ -n "$RPORT" ] ||
	    { echo "FAIL: $MT_GROUP: testrelay did not start"; exit 1; }
}

os_start() {
	cat >"$D/ns.sh" <<-EOF
	mount --bind $D/etc /etc &&
	mount --bind $D/ns/spool /var/spool &&
	mount --bind $D/ns/lib /var/lib &&
	mount --bind $D/ns/run /run || exit 1
	exec $SMTPD -d -f $D/smtpd.conf
	EOF
	unshare -m sh "$D/ns.sh" >>"$D/smtpd.log" 2>&1 &
	OS_PID=$!
	mt_pid "$OS_PID"
	mt_wait_port "$P" 10 && return
	echo "FAIL: $MT_GROUP: smtpd did not start"
	tail -n 20 "$D/smtpd.log"
	exit 1
}

os_stop() {
	[ -n "${OS_PID:-}" ] && mt_stop_ns "$OS_PID"
	OS_PID=
}

os_alive() {
	# After a case: when smtpd died (a session that ended on its 500
	# "Pipelining not supported" can crash it), the case says so and a
	# fresh smtpd serves the next one.
	kill -0 "$OS_PID" 2>/dev/null && return 0
	mt_fail "$1: smtpd died during the case" "$D/smtpd.log"
	os_stop
	os_start
	return 1
}

os_relay
os_files
mt_on_exit os_stop
os_start

# --- helpers -----------------------------------------------------------------

run() {
	# run NAME KIND "RCPT..." KEY=VALUE...: rc and $T/NAME.out.
	mt_run "$1" "$P" none "$2" "$3" auth=auto user= password= \
	    tls_ca_file= tls_server_name= "${@:4}"
	sleep 0.2
	os_alive "$1"
}

sink_find() { mt_sink_find "$R" "$1"; }
sink_count() { mt_sink_count "$R" "$1"; }

rcpt_seen() { grep -c "^C: RCPT TO:<$1>" "$R/transcript"; }

proto_ok() {
	# OpenSMTPD saw no pipelined command in case $1 (relaymail's -v
	# transcript has every reply it got).
	! grep -q 'Pipelining not supported' "$T/$1.out"
}

deliver() {
	# deliver NAME KIND CHECK KEY=VALUE...: rc 0, relayed once.
	name=$1
	chk=$3
	run "$1" "$2" "bob-$1@$MT_DOMAIN" "${@:4}"
	mt_rc_is "$name" 0 || return 1
	if ! proto_ok "$name"; then
		mt_fail "$name: a command was pipelined" "$T/$name.out"
		return 1
	fi
	if ! mt_quit_after_reply "$name"; then
		mt_fail "$name: QUIT before the end-of-data reply" "$T/$name.out"
		return 1
	fi
	got=$(sink_find "$name")
	mt_copy_is "$name" "$got" "$chk" relayed "$D/smtpd.log"
}

# The premise: OpenSMTPD refuses a command sent before its reply.
out=$(mt_pipelined "$P" "EHLO premise.example.test" "MAIL FROM:<$MT_USER>" \
    "RCPT TO:<bob@$MT_DOMAIN>")
if echo "$out" | grep -q '^500 5.5.1 Invalid command: Pipelining not supported'
then
	mt_ok "premise: a pipelined command gets 500 (no PIPELINING offered)"
else
	mt_fail "premise: OpenSMTPD took pipelined commands: $out"
fi
sleep 0.3
os_alive premise

if deliver plain plain bytes; then
	if grep -qE '^> (PIPELINING|BDAT)' "$T/plain.out" ||
	    grep -q 'PIPELINING' "$T/plain.out"; then
		mt_fail "plain: OpenSMTPD offered PIPELINING after all" \
		    "$T/plain.out"
	else
		mt_ok "plain: dot lines, no pipelining, QUIT after the end-of-data reply, relayed byte for byte"
	fi
fi
deliver 8bit 8bit bytes &&
    mt_case_8bitmime 8bit "UTF-8 body with BODY=8BITMIME, relayed byte for byte"
deliver long long decoded &&
    mt_ok "long: 5000-octet line re-encoded, same text decoded"
deliver multi multi decoded && mt_case_multi multi "$got"
deliver big big bytes && mt_ok "big: 20 MB with DATA, relayed byte for byte"

partial_case() {
	# partial_case NAME QUEUE WANT: bob-NAME and carol-NAME accepted,
	# nosuch@ refused by OpenSMTPD (550).
	n=$1
	run "$n" plain "bob-$n@$MT_DOMAIN nosuch@$MT_DOMAIN carol-$n@$MT_DOMAIN" \
	    "queue=$2" "queue_dir=$T/$n.queue"
	mt_rc_is "$n" "$3" || return
	if ! proto_ok "$n"; then
		mt_fail "$n: a command was pipelined" "$T/$n.out"
		return
	fi
	if [ "$2" = never ]; then
		mt_case_none "$n" 1 0 "relayed though all or nothing" \
		    "550 for one of three, queue=never: exit 67, nothing relayed" \
		    sink_count
		return
	fi
	mt_copy_is "$n" "$(sink_find "$n")" bytes relayed || return
	if [ "$(rcpt_seen "bob-$n@$MT_DOMAIN")" != 1 ] ||
	    [ "$(rcpt_seen "carol-$n@$MT_DOMAIN")" != 1 ]; then
		mt_fail "$n: not relayed to both accepted recipients"
		return
	fi
	mt_force_run "$n"
	if ! mt_sink_notice "$R" nosuch@ "$n" 200 >/dev/null; then
		mt_fail "$n: no failure notice for nosuch@" "$T/$n.q.out"
	else
		mt_ok "$n: 550 for one of three, queued mode: exit 0, relayed to two, a notice"
	fi
}

partial_case partial-never never 67
partial_case partial-queue on-failure 0

policy_case() {
	# policy_case NAME QUEUE WANT: bob-NAME accepted, busy@ 451.
	n=$1
	run "$n" plain "bob-$n@$MT_DOMAIN busy@$MT_DOMAIN" "queue=$2" \
	    "queue_dir=$T/$n.queue"
	mt_rc_is "$n" "$3" || return
	if ! grep -q '< 451 4.7.1 busy' "$T/$n.out"; then
		mt_fail "$n: OpenSMTPD's filter did not answer 451" "$T/$n.out"
		return
	fi
	nq=$(mt_nqueued "$n")
	if [ "$2" = never ]; then
		mt_case_none "$n" 1 "$nq" "relayed or queued though queue=never" \
		    "filter 451, queue=never: exit 75, nothing relayed" sink_count
		return
	fi
	mt_case_one_queued "$n" "$(sink_find "$n")" "$nq" "busy@$MT_DOMAIN" \
	    "filter 451 for one, queued mode: exit 0, relayed to bob, busy@ queued"
}

policy_case policy-never never 75
policy_case policy-queue on-failure 0

why="OpenSMTPD's TLS server side fails every handshake on Debian 12"
mt_skipcase "implicit TLS, STARTTLS: $why"
mt_skipcase "AUTH mechanisms, wrong password: AUTH is offered over TLS only"

mt_finish
