#!/bin/bash
# Interop: relaymail against Dovecot's submission service (Debian's
# dovecot-core and dovecot-submissiond). The test runs its own instance
# (dovecot -F -c CONFIG, its own base and state directories, logs in its
# directory; the system service stays off) on 127.0.0.1:
#   TLS  submissions, implicit TLS (RFC 8314)
#   SUB  submission, STARTTLS (RFC 3207)
# with AUTH PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256 (RFC 7677) from a
# passwd-file with a plaintext password, BDAT (RFC 3030) and PIPELINING.
# Dovecot relays what it accepts to submission_relay_host: a testrelay in
# plain mode whose message files and transcript are the sink the test
# reads. The testrelay refuses RCPT to nosuch-* (550 5.1.1), which
# Dovecot passes back; Dovecot's own policy gives the 4xx: past
# submission_max_recipients (3) it answers RCPT with 451 4.5.3.
. "$(dirname "$0")/lib-mta.sh"

mt_need perl dovecot timeout
[ -x /usr/lib/dovecot/submission ] ||
    mt_skip "dovecot-submissiond not installed"
[ -x "$MT_TOP/tests/relay/testrelay" ] ||
    { echo "FAIL: $MT_GROUP: tests/relay/testrelay is not built"; exit 1; }
getent passwd dovenull >/dev/null && getent passwd dovecot >/dev/null ||
    mt_skip "users dovecot and dovenull missing (dovecot-core not set up)"
mt_begin
D=$MT_DIR
set -- $(mt_free_ports 2)
P_TLS=$1
P_SUB=$2
R=$D/relay		# the sink

dv_relay() {
	mkdir -p "$R"
	cat >"$R/script" <<-'EOF'
	cap CHUNKING
	rcpt:<nosuch-partial-never@example.test> 550 5.1.1 no such user
	rcpt:<nosuch-partial-queue@example.test> 550 5.1.1 no such user
	EOF
	"$MT_TOP/tests/relay/testrelay" -M plain -p "$R/port" \
	    -t "$R/transcript" -m "$R/msg" -s "$R/script" -n 1000 -L 900 \
	    2>"$R/err" &
	mt_pid $!
	for i in $(seq 100); do
		[ -s "$R/port" ] && break
		sleep 0.05
	done
	RPORT=$(cat "$R/port" 2>/dev/null)
	[ -n "$RPORT" ] ||
	    { echo "FAIL: $MT_GROUP: testrelay did not start"; exit 1; }
}

dv_conf() {
	mkdir -p "$D/run" "$D/state" "$D/home"
	chown nobody:nogroup "$D/home"
	printf '%s:{PLAIN}%s\n' "$MT_USER" "$MT_PASS" >"$D/users"
	chown root:dovecot "$D/users"	# read by the auth process
	chmod 640 "$D/users"
	cat >"$D/dovecot.conf" <<-EOF
	# A private instance for relaymail's interop tests.
	instance_name = relaymail-test-$$
	base_dir = $D/run
	state_dir = $D/state
	protocols = submission
	listen = 127.0.0.1
	hostname = dovecot.test
	log_path = $D/dovecot.log
	ssl = yes
	ssl_cert = <$D/tls/server.pem
	ssl_key = <$D/tls/server-key.pem
	disable_plaintext_auth = yes
	auth_mechanisms = plain login cram-md5 scram-sha-256
	auth_failure_delay = 0
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $D/users
	}
	mail_location = maildir:$D/home/Maildir
	userdb {
	  driver = static
	  args = uid=nobody gid=nogroup home=$D/home
	}
	submission_relay_host = 127.0.0.1
	submission_relay_port = $RPORT
	submission_relay_ssl = no
	submission_max_recipients = 3
	submission_max_mail_size = 50M
	service submission-login {
	  inet_listener submission {
	    port = $P_SUB
	  }
	  inet_listener submissions {
	    port = $P_TLS
	    ssl = yes
	  }
	}
	service anvil {
	  chroot =
	}
	EOF
}

dv_start() {
	dovecot -F -c "$D/dovecot.conf" >"$D/dovecot.out" 2>&1 &
	DV_PID=$!
	mt_pid "$DV_PID"
	for p in $P_TLS $P_SUB; do
		mt_wait_port "$p" 10 && continue
		echo "FAIL: $MT_GROUP: dovecot did not start"
		cat "$D/dovecot.out" "$D/dovecot.log" 2>/dev/null | tail -n 20
		exit 1
	done
}

dv_relay
dv_conf
dv_start

# --- helpers -----------------------------------------------------------------

port_of() { [ "$1" = implicit ] && echo "$P_TLS" || echo "$P_SUB"; }

run() {
	# run NAME MODE KIND "RCPT..." KEY=VALUE...: the message of KIND to
	# the RCPTs; rc and $T/NAME.out.
	mt_run "$1" "$(port_of "$2")" "$2" "$3" "$4" "${@:5}"
}

sink_find() { mt_sink_find "$R" "$1"; }
sink_count() { mt_sink_count "$R" "$1"; }

rcpt_seen() {	# rcpt_seen ADDR: RCPTs Dovecot relayed for ADDR
	grep -c "^C: RCPT TO:<$1>" "$R/transcript"
}

deliver() {
	# deliver NAME MODE KIND CHECK KEY=VALUE...: rc 0 and the relay got
	# it from Dovecot (CHECK bytes: byte for byte; decoded: after
	# decoding).
	name=$1
	chk=$4
	run "$1" "$2" "$3" "bob-$1@$MT_DOMAIN" "${@:5}"
	mt_rc_is "$name" 0 "$D/dovecot.log" || return 1
	got=$(sink_find "$name")
	mt_copy_is "$name" "$got" "$chk" relayed "$D/dovecot.log" || return 1
	if [ "$(rcpt_seen "bob-$name@$MT_DOMAIN")" != 1 ]; then
		mt_fail "$name: relay did not get one RCPT for bob-$name@"
		return 1
	fi
	return 0
}

auth_case() {
	# auth_case MODE MECH WANT: relayed byte for byte; Dovecot logged the
	# login with mechanism WANT.
	n=auth-$1-$2
	deliver "$n" "$1" plain bytes "auth=$2" || return
	if [ "$(grep -c "Login: user=<$MT_USER>, method=$3," "$D/dovecot.log")" \
	    -le "$(cat "$T/mech.$3" 2>/dev/null || echo 0)" ]; then
		mt_fail "$n: Dovecot did not log method=$3" "$D/dovecot.log"
		return
	fi
	grep -c "Login: user=<$MT_USER>, method=$3," "$D/dovecot.log" \
	    >"$T/mech.$3"
	mt_ok "$n: $1 TLS, AUTH $2, dot lines, relayed byte for byte"
}

badpw_case() {
	n=badpw-$1-$2
	run "$n" "$1" plain "bob-$n@$MT_DOMAIN" "auth=$2" \
	    "password=not-the-password"
	sleep 0.3
	if [ "$rc" != 77 ]; then
		mt_fail "$n: exit $rc, want 77" "$T/$n.out"
	elif [ "$(sink_count "$n")" != 0 ] ||
	    [ "$(rcpt_seen "bob-$n@$MT_DOMAIN")" != 0 ]; then
		mt_fail "$n: a message got through"
	elif grep -q 'not-the-password' "$T/$n.out"; then
		mt_fail "$n: the password shows in the output"
	else
		mt_ok "$n: wrong password ($2): 535, exit 77, nothing relayed"
	fi
}

for mode in implicit starttls; do
	auth_case $mode plain PLAIN
	auth_case $mode login LOGIN
	auth_case $mode cram-md5 CRAM-MD5
	auth_case $mode scram-sha-256 SCRAM-SHA-256
	auth_case $mode auto SCRAM-SHA-256
	badpw_case $mode plain
	badpw_case $mode scram-sha-256
done

deliver 8bit implicit 8bit bytes auth=plain &&
    mt_case_8bitmime 8bit "UTF-8 body with BODY=8BITMIME, relayed byte for byte"
# Dovecot takes a 5000-octet line; relaymail still must not send one
# (RFC 5322 section 2.1.1), so what arrives is re-encoded.
deliver long starttls long decoded auth=plain &&
    mt_ok "long: 5000-octet line re-encoded, same text decoded"
deliver multi implicit multi decoded auth=plain && mt_case_multi multi "$got"
deliver big starttls big bytes auth=scram-sha-256 &&
    mt_case_bdat big "20 MB with BDAT, relayed byte for byte"

partial_case() {
	# partial_case NAME MODE QUEUE WANT: bob-NAME and carol-NAME
	# accepted, nosuch-NAME refused by the relay behind Dovecot.
	n=$1
	ok="bob-$n@$MT_DOMAIN carol-$n@$MT_DOMAIN"
	run "$n" "$2" plain "bob-$n@$MT_DOMAIN nosuch-$n@$MT_DOMAIN carol-$n@$MT_DOMAIN" \
	    auth=plain "queue=$3" "queue_dir=$T/$n.queue"
	mt_rc_is "$n" "$4" || return
	if [ "$3" = never ]; then
		mt_case_none "$n" 0.5 0 "relayed though all or nothing" \
		    "550 for one of three, queue=never: exit 67, nothing relayed" \
		    sink_count
		return
	fi
	mt_copy_is "$n" "$(sink_find "$n")" bytes relayed || return
	mt_force_run "$n"
	if ! mt_sink_notice "$R" "nosuch-$n@" "$n" 100 >/dev/null; then
		mt_fail "$n: no failure notice for nosuch-$n@" "$T/$n.q.out"
	elif ! grep -q "^C: MAIL FROM:<>" "$R/transcript" ||
	    ! grep -q "^C: RCPT TO:<$MT_USER>" "$R/transcript"; then
		mt_fail "$n: the notice did not go from <> to the sender"
	else
		mt_ok "$n: 550 for one of three, queued mode: exit 0, relayed to two, a notice"
	fi
}

partial_case partial-never implicit never 67
partial_case partial-queue starttls on-failure 0

policy_case() {
	# policy_case NAME MODE QUEUE WANT: four recipients, Dovecot takes
	# three (submission_max_recipients) and answers the fourth 451 4.5.3.
	n=$1
	list=
	for r in bob carol dave erin; do list="$list $r-$n@$MT_DOMAIN"; done
	run "$n" "$2" plain "$list" auth=plain "queue=$3" \
	    "queue_dir=$T/$n.queue"
	mt_rc_is "$n" "$4" || return
	if ! grep -qE '< 45[0-9] 4\.5\.3' "$T/$n.out"; then
		mt_fail "$n: Dovecot did not answer 45x 4.5.3" "$T/$n.out"
		return
	fi
	nq=$(mt_nqueued "$n")
	if [ "$3" = never ]; then
		mt_case_none "$n" 0.5 "$nq" "relayed or queued though queue=never" \
		    "451 too many recipients, queue=never: exit 75, nothing relayed" sink_count
		return
	fi
	mt_case_one_queued "$n" "$(sink_find "$n")" "$nq" "erin-$n@$MT_DOMAIN" \
	    "451 for the fourth, queued mode: exit 0, three relayed, one queued"
}

policy_case policy-never implicit never 75
policy_case policy-queue starttls on-failure 0

mt_finish
