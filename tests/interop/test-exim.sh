#!/bin/bash
# Interop: relaymail against Exim 4 (Debian's exim4-daemon-heavy: GnuTLS,
# Cyrus SASL, CHUNKING). Installing Exim would remove Postfix, so the
# package is fetched with apt-get download and unpacked into this test's
# directory (lib-deb.sh). Exim looks up its compiled-in user
# (Debian-exim) before it reads a config, and re-executes itself for each
# delivery, where the loader ignores LD_LIBRARY_PATH: it runs in a private
# mount namespace (unshare -m) with a copy of /etc bound over /etc, whose
# passwd and group have that user (as nobody's uid) and whose ld.so.cache
# knows the unpacked libraries. The host's files are never changed.
#
# One daemon with three listeners on 127.0.0.1:
#   TLS     implicit TLS (RFC 8314), PIPELINING, CHUNKING
#   SUB     STARTTLS (RFC 3207), PIPELINING, CHUNKING
#   STRICT  STARTTLS, neither PIPELINING nor CHUNKING: Exim drops a client
#           that sends a command before the previous reply (RFC 5321
#           section 4.3.2, its strict synchronisation check)
# and a second daemon (8BITMIME is not a per-listener choice in Exim):
#   7BIT    STARTTLS, neither 8BITMIME nor SMTPUTF8
# AUTH after TLS only: PLAIN, LOGIN (plaintext driver), CRAM-MD5
# (cram_md5 driver), SCRAM-SHA-256 (Cyrus SASL with a private sasldb).
# Policy: RCPT to busy@ is deferred by an ACL (450 4.7.1), unknown local
# parts are refused (550 5.1.1), and an acl_smtp_data refuses a message
# with a line over 998 octets (RFC 5322 section 2.1.1) in the session
# (message_linelength_limit alone would bounce it later). Mail for
# alice, bob, carol and dave goes to Maildirs the test reads. Each
# message is delivered as it arrives; a queue runner every 2 s (-q2s, a
# retry rule of 1 s) delivers any that Exim queued instead (it does so
# when the machine is loaded), so a busy machine only delays the sink.
. "$(dirname "$0")/lib-mta.sh"
. "$(dirname "$0")/lib-deb.sh"

mt_need perl unshare ldconfig dpkg-deb saslpasswd2 timeout
mt_need_unshare
mt_begin_deb exim4-daemon-heavy /usr/sbin/exim4
EXIM=$D/root/usr/sbin/exim4
set -- $(mt_free_ports 4)
P_TLS=$1
P_SUB=$2
P_STRICT=$3
P_7BIT=$4

ex_files() {
	# The namespace's files, the sasldb, spool, log and mail dirs.
	mt_etc_copy
	nob=$(id -u nobody)
	nog=$(getent group nogroup | cut -d: -f3)
	echo "Debian-exim:x:$nob:$nog:exim test:/nonexistent:/usr/sbin/nologin" \
	    >>"$D/etc/passwd"
	echo "Debian-exim:x:$nog:" >>"$D/etc/group"
	{
		echo "$D/root/usr/lib/x86_64-linux-gnu"
		echo "$D/root/lib/x86_64-linux-gnu"
		echo "$D/root/usr/lib"
		echo "include /etc/ld.so.conf.d/*.conf"
	} >"$D/ld.so.conf"
	ldconfig -X -C "$D/etc/ld.so.cache" -f "$D/ld.so.conf" 2>/dev/null ||
	    mt_skip "ldconfig cannot write a private cache"
	mkdir -p "$D/spool" "$D/log" "$D/mail" "$D/sasl"
	chown nobody:nogroup "$D/spool" "$D/log" "$D/mail"
	cat >"$D/sasl/exim.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: SCRAM-SHA-256
	sasldb_path: $D/sasl/sasldb2
	EOF
	printf '%s' "$MT_PASS" | saslpasswd2 -f "$D/sasl/sasldb2" -p -c \
	    -u "$MT_DOMAIN" "${MT_USER%@*}" || mt_skip "saslpasswd2 failed"
	chmod 644 "$D/sasl/sasldb2"	# read by Exim as nobody
}

ex_conf() {
	cat >"$D/exim.conf" <<-EOF
	exim_path = $EXIM
	spool_directory = $D/spool
	log_file_path = $D/log/%slog
	pid_file_path = $D/exim.pid
	primary_hostname = exim.test
	qualify_domain = $MT_DOMAIN
	daemon_smtp_ports = $P_TLS : $P_SUB : $P_STRICT
	local_interfaces = 127.0.0.1
	tls_on_connect_ports = $P_TLS
	tls_advertise_hosts = *
	tls_certificate = $D/tls/server.pem
	tls_privatekey = $D/tls/server-key.pem
	pipelining_advertise_hosts = \${if =={\$received_port}{$P_STRICT}{}{*}}
	chunking_advertise_hosts = \${if =={\$received_port}{$P_STRICT}{}{*}}
	smtputf8_advertise_hosts = *
	host_lookup =
	rfc1413_hosts =
	keep_environment =
	add_environment = SASL_CONF_PATH=$D/sasl
	log_selector = +smtp_protocol_error +smtp_syntax_error +tls_cipher \
	    +received_recipients
	# Exim checks synchronisation after the MAIL and DATA ACLs: there
	# must be ones (that accept) for the strict listener to be strict.
	acl_smtp_mail = acl_accept
	acl_smtp_predata = acl_accept
	acl_smtp_rcpt = acl_rcpt
	acl_smtp_data = acl_data

	begin acl
	acl_accept:
	  accept

	acl_rcpt:
	  deny    !authenticated = *
	          message = 5.7.1 authentication required
	  defer   local_parts = busy
	          message = 4.7.1 <\$local_part@\$domain>: policy says later
	  deny    !verify = recipient
	          message = 5.1.1 <\$local_part@\$domain>: no such user
	  accept

	acl_data:
	  deny    condition = \${if >{\$max_received_linelength}{998}}
	          message = 5.6.0 a line of \$max_received_linelength octets
	  accept

	begin retry
	*  *  F,1h,1s

	begin routers
	boxes:
	  driver = accept
	  domains = $MT_DOMAIN
	  local_parts = alice : bob : carol : dave : $UTF8_LP
	  transport = box

	begin transports
	box:
	  driver = appendfile
	  maildir_format
	  directory = $D/mail/\${local_part_data}
	  create_directory
	  envelope_to_add
	  return_path_add
	  delivery_date_add
	  user = nobody
	  group = nogroup
	  mode = 0644

	begin authenticators
	plain:
	  driver = plaintext
	  public_name = PLAIN
	  server_prompts = :
	  server_condition = \${if and {{eq{\$auth2}{$MT_USER}}{eq{\$auth3}{$MT_PASS}}}}
	  server_set_id = \$auth2
	  server_advertise_condition = \${if def:tls_in_cipher}
	login:
	  driver = plaintext
	  public_name = LOGIN
	  server_prompts = Username:: : Password::
	  server_condition = \${if and {{eq{\$auth1}{$MT_USER}}{eq{\$auth2}{$MT_PASS}}}}
	  server_set_id = \$auth1
	  server_advertise_condition = \${if def:tls_in_cipher}
	cram:
	  driver = cram_md5
	  public_name = CRAM-MD5
	  server_secret = \${if eq{\$auth1}{$MT_USER}{$MT_PASS}fail}
	  server_set_id = \$auth1
	  server_advertise_condition = \${if def:tls_in_cipher}
	scram:
	  driver = cyrus_sasl
	  public_name = SCRAM-SHA-256
	  server_mech = SCRAM-SHA-256
	  server_set_id = \$auth1
	  server_advertise_condition = \${if def:tls_in_cipher}
	EOF
}

ex_conf7() {
	# The second daemon: one STARTTLS listener, neither 8BITMIME (RFC
	# 6152) nor SMTPUTF8 (RFC 6531) offered; its own spool and log.
	sed -e "s|^spool_directory = .*|spool_directory = $D/spool7|" \
	    -e "s|^log_file_path = .*|log_file_path = $D/log7/%slog|" \
	    -e "s|^pid_file_path = .*|pid_file_path = $D/exim7.pid|" \
	    -e "s|^daemon_smtp_ports = .*|daemon_smtp_ports = $P_7BIT|" \
	    -e "/^tls_on_connect_ports/d" \
	    -e "s|^smtputf8_advertise_hosts = .*|smtputf8_advertise_hosts =|" \
	    -e "s|^primary_hostname = .*|&\\
accept_8bitmime = false|" "$D/exim.conf" >"$D/exim7.conf"
	mkdir -p "$D/spool7" "$D/log7"
	chown nobody:nogroup "$D/spool7" "$D/log7"
}

ex_start() {
	# ex_start CONFIG PORT...: a daemon in a namespace of its own.
	cat >"$D/ns.sh" <<-EOF
	mount --bind $D/etc /etc || exit 1
	exec $EXIM -bdf -q2s -C "\$1"
	EOF
	unshare -m sh "$D/ns.sh" "$1" >>"$D/daemon.out" 2>&1 &
	EX_PIDS="$EX_PIDS $!"
	mt_pid "$!"
	shift
	for p in "$@"; do
		mt_wait_port "$p" 10 && continue
		echo "FAIL: $MT_GROUP: exim did not start"
		cat "$D/daemon.out" "$D"/log*/* 2>/dev/null | tail -n 20
		exit 1
	done
}

ex_stop() {
	for p in $EX_PIDS; do
		mt_stop_ns "$p"
	done
	EX_PIDS=
}

EX_PIDS=
UTF8_LP=j$(printf '\303\266')rg	# a non-ASCII local part (RFC 6531)
ex_files
ex_conf
ex_conf7
mt_on_exit ex_stop
ex_start "$D/exim.conf" $P_TLS $P_SUB $P_STRICT
ex_start "$D/exim7.conf" $P_7BIT

# --- helpers -----------------------------------------------------------------

box() { echo "$D/mail/$1"; }

port_of() {
	case $1 in
	implicit) echo "$P_TLS" ;;
	starttls) echo "$P_SUB" ;;
	strict) echo "$P_STRICT" ;;
	7bit) echo "$P_7BIT" ;;
	esac
}

tls_of() { [ "$1" = implicit ] && echo implicit || echo starttls; }

run() {
	# run NAME MODE KIND "RCPT..." KEY=VALUE...: the message of KIND to
	# the RCPTs through listener MODE; rc and $T/NAME.out.
	mt_run "$1" "$(port_of "$2")" "$(tls_of "$2")" "$3" "$4" "${@:5}"
}

no_sync_error() {
	# relaymail (EHLO client.example.test) never broke synchronisation.
	! grep 'synchronization error' "$D/log/mainlog" |
	    grep -q 'H=(client\.example\.test)'
}

# --- cases -------------------------------------------------------------------

deliver() {
	# deliver NAME MODE KIND CHECK KEY=VALUE...: rc 0, and bob got it
	# (CHECK bytes: byte for byte; decoded: after decoding).
	name=$1
	chk=$4
	run "$1" "$2" "$3" "bob@$MT_DOMAIN" "${@:5}"
	mt_rc_is "$name" 0 || return 1
	got=$(mt_maildir_find "$(box bob)" "$name" 20)
	mt_copy_is "$name" "$got" "$chk" delivered "$D/log/mainlog" || return 1
	if ! no_sync_error; then
		mt_fail "$name: Exim saw a synchronisation error" "$D/log/mainlog"
		return 1
	fi
	if [ "$2" = strict ] && ! mt_quit_after_reply "$name"; then
		mt_fail "$name: QUIT before the end-of-data reply" "$T/$name.out"
		return 1
	fi
	return 0
}

auth_case() {
	# auth_case MODE MECH DRIVER: delivered byte for byte, and Exim
	# logged the authenticator that took it.
	n=auth-$1-$2
	deliver "$n" "$1" plain bytes "auth=$2" || return
	if ! grep -F "id=$MT_GROUP-$n@client.example.test " "$D/log/mainlog" |
	    grep -E "<= $MT_USER .* X=TLS.* A=$3:$MT_USER " -q; then
		mt_fail "$n: Exim did not log A=$3 over TLS" "$D/log/mainlog"
		return
	fi
	mt_ok "$n: $1 TLS, AUTH $2, dot lines, delivered byte for byte"
}

badpw_case() {
	n=badpw-$1-$2
	before=$(grep -c 'authenticator failed' "$D/log/mainlog")
	run "$n" "$1" plain "bob@$MT_DOMAIN" "auth=$2" \
	    "password=not-the-password"
	sleep 0.3
	if [ "$rc" != 77 ]; then
		mt_fail "$n: exit $rc, want 77" "$T/$n.out"
	elif [ "$(mt_maildir_count "$(box bob)" "$n")" != 0 ]; then
		mt_fail "$n: a message got through"
	elif grep -q 'not-the-password' "$T/$n.out"; then
		mt_fail "$n: the password shows in the output"
	elif [ "$(grep -c 'authenticator failed' "$D/log/mainlog")" -le "$before" ]
	then
		mt_fail "$n: Exim logged no failed AUTH" "$D/log/mainlog"
	else
		mt_ok "$n: wrong password ($2): 535, exit 77, nothing delivered"
	fi
}

# The premise of the strict listener: Exim refuses a client that sends
# a command before the reply to the previous one.
out=$(mt_pipelined "$P_STRICT" "EHLO premise.example.test" \
    "MAIL FROM:<$MT_USER>" "RCPT TO:<bob@$MT_DOMAIN>")
if echo "$out" | grep -q '^554 .*synchronization error'; then
	mt_ok "premise: the strict listener drops a pipelining client (554)"
else
	mt_fail "premise: the strict listener took pipelined commands: $out"
fi

for mode in implicit starttls; do
	auth_case $mode plain plain
	auth_case $mode login login
	auth_case $mode cram-md5 cram
	auth_case $mode scram-sha-256 scram
	auth_case $mode auto scram
	badpw_case $mode plain
	badpw_case $mode scram-sha-256
done

# 8-bit text: Exim offers 8BITMIME, so it goes as it is, declared.
deliver 8bit implicit 8bit bytes auth=plain &&
    mt_case_8bitmime 8bit "UTF-8 body with BODY=8BITMIME, byte for byte"

# The same 8-bit text to the daemon without 8BITMIME: re-encoded as
# quoted-printable, nothing 8-bit on the wire, the same text decoded.
if deliver 8bit-7bit 7bit 8bit decoded auth=plain; then
	if grep -q 'BODY=8BITMIME' "$T/8bit-7bit.out"; then
		mt_fail "8bit-7bit: BODY=8BITMIME where it is not offered" \
		    "$T/8bit-7bit.out"
	elif LC_ALL=C grep -q '[^ -~	]' "$got"; then
		mt_fail "8bit-7bit: 8-bit octets reached Exim" "$got"
	elif ! grep -qi '^Content-Transfer-Encoding: quoted-printable' "$got"
	then
		mt_fail "8bit-7bit: not declared quoted-printable" "$got"
	else
		mt_ok "8bit-7bit: no 8BITMIME: re-encoded quoted-printable, same text decoded"
	fi
fi

# A non-ASCII address where SMTPUTF8 is offered: SMTPUTF8 on MAIL (RFC
# 6531 section 3.4), delivered to that mailbox, UTF-8 headers unchanged.
n=utf8-ok
{
	mt_head "$n" 'MIME-Version: 1.0' \
	    'Content-Type: text/plain; charset=utf-8' \
	    'Content-Transfer-Encoding: 8bit' \
	    "Cc: J$(printf '\303\266')rg <$UTF8_LP@$MT_DOMAIN>"
	printf 'Gr\303\274\303\237e\n'
} >"$T/$n.in"
mt_conf "$T/$n.conf" "$P_TLS" implicit auth=plain
mt_send "$n" "$T/$n.conf" "$UTF8_LP@$MT_DOMAIN"
got=$(mt_maildir_find "$(box "$UTF8_LP")" "$n" 20)
if [ "$rc" != 0 ]; then
	mt_fail "$n: exit $rc, want 0" "$T/$n.out"
elif ! grep -q '^> MAIL FROM:<[^>]*>.* SMTPUTF8' "$T/$n.out"; then
	mt_fail "$n: MAIL lacked SMTPUTF8" "$T/$n.out"
elif [ -z "$got" ] || ! mt_same_bytes "$n" "$got"; then
	mt_fail "$n: not delivered byte for byte" "$T/$n.out" "$T/$n.diff"
else
	mt_ok "$n: UTF-8 address with SMTPUTF8 offered: SMTPUTF8 on MAIL, delivered byte for byte"
fi

# A non-ASCII address where SMTPUTF8 is not offered: refused before
# anything is sent (RFC 6531 section 3.4), exit 69.
n=utf8-addr
run "$n" 7bit plain "j$(printf '\303\266')rg@$MT_DOMAIN bob@$MT_DOMAIN" auth=plain
sleep 0.3
if [ "$rc" != 69 ]; then
	mt_fail "$n: exit $rc, want 69" "$T/$n.out"
elif [ "$(mt_maildir_count "$(box bob)" "$n")" != 0 ] ||
    grep -q "id=$MT_GROUP-$n@" "$D/log7/mainlog"; then
	mt_fail "$n: Exim took the message" "$D/log7/mainlog"
else
	mt_ok "$n: UTF-8 address, no SMTPUTF8 offered: exit 69, nothing sent"
fi

# A 5000-octet line: the data ACL refuses it as it is; relaymail must
# re-encode it (quoted-printable) so that Exim takes it.
deliver long implicit long decoded auth=plain &&
    mt_ok "long: 5000-octet line re-encoded, taken, same text decoded"
deliver long-strict strict long decoded auth=plain &&
    mt_ok "long-strict: the same without PIPELINING/CHUNKING"

# Queued first (queue=always), re-encoded for the relay that takes it
# at the queue run.
n=long-queued
run "$n" implicit long "bob@$MT_DOMAIN" auth=plain queue=always \
    "queue_dir=$T/$n.queue"
if [ "$rc" != 0 ] || [ "$(mt_maildir_count "$(box bob)" "$n")" != 0 ]; then
	mt_fail "$n: exit $rc, want 0 and nothing sent yet" "$T/$n.out"
else
	timeout 120 "$RM" -C "$T/$n.conf" -q >"$T/$n.q.out" 2>&1
	qrc=$?
	got=$(mt_maildir_find "$(box bob)" "$n" 20)
	if [ "$qrc" != 0 ] || [ -z "$got" ]; then
		mt_fail "$n: queue run exit $qrc, not delivered" "$T/$n.q.out"
	elif ! mt_same_decoded "$n" "$got"; then
		mt_fail "$n: delivered copy differs after decoding" "$T/$n.diff"
	else
		mt_ok "$n: queued, then re-encoded at the queue run, same text decoded"
	fi
fi

# Multipart with one long-line part: that part re-encoded, the other
# parts and the boundaries byte for byte.
deliver multi starttls multi decoded auth=plain &&
    mt_case_multi multi "$got" 'The short part.'

# 20 MB, BDAT on a CHUNKING listener, DATA on the strict one.
deliver big starttls big bytes auth=scram-sha-256 &&
    mt_case_bdat big "20 MB with BDAT, byte for byte"
if deliver big-strict strict big bytes auth=plain; then
	if grep -qE '> BDAT' "$T/big-strict.out"; then
		mt_fail "big-strict: BDAT without CHUNKING" "$T/big-strict.out"
	else
		mt_ok "big-strict: 20 MB with DATA, no pipelining, byte for byte"
	fi
fi

partial_case() {
	# partial_case NAME MODE QUEUE WANT: bob and carol accepted,
	# nosuch@ refused (550 5.1.1).
	n=$1
	run "$n" "$2" plain "bob@$MT_DOMAIN nosuch@$MT_DOMAIN carol@$MT_DOMAIN" \
	    auth=plain "queue=$3" "queue_dir=$T/$n.queue"
	mt_rc_is "$n" "$4" || return
	if [ "$3" = never ]; then
		sleep 0.5
		if [ "$(mt_maildir_count "$(box bob)" "$n")" != 0 ] ||
		    [ "$(mt_maildir_count "$(box carol)" "$n")" != 0 ]; then
			mt_fail "$n: delivered though all or nothing"
			return
		fi
		no_sync_error || { mt_fail "$n: sync error" "$D/log/mainlog"; return; }
		mt_ok "$n: 550 for one of three, queue=never: exit 67, none delivered"
		return
	fi
	for r in bob carol; do
		got=$(mt_maildir_find "$(box $r)" "$n" 20)
		if [ -z "$got" ] || ! mt_same_bytes "$n" "$got"; then
			mt_fail "$n: $r did not get it byte for byte" "$T/$n.out"
			return
		fi
	done
	# The failure notice for nosuch@ goes to the sender (alice), in this
	# session or at the next queue run.
	mt_force_run "$n"
	notice=
	for i in $(seq 100); do
		notice=$(grep -l -s "^Final-Recipient: rfc822; *nosuch@$MT_DOMAIN" \
		    "$(box alice)"/new/* | xargs -r grep -l "X-Test-Case: $n\$" |
		    head -n 1)
		[ -n "$notice" ] && break
		sleep 0.1
	done
	if [ -z "$notice" ]; then
		mt_fail "$n: no failure notice for nosuch@" "$T/$n.q.out"
	elif ! grep -q '^Return-path: <>' "$notice"; then
		mt_fail "$n: the notice does not have the null sender" "$notice"
	elif ! grep -q '^Status: 5\.1\.1' "$notice"; then
		mt_fail "$n: the notice lacks Status 5.1.1" "$notice"
	else
		mt_ok "$n: 550 for one of three, queued mode: exit 0, two delivered, a notice"
	fi
}

partial_case partial-never implicit never 67
partial_case partial-queue starttls on-failure 0
partial_case partial-strict strict never 67

policy_case() {
	# policy_case NAME MODE QUEUE WANT: bob accepted, busy@ deferred by
	# Exim's ACL (450 4.7.1).
	n=$1
	run "$n" "$2" plain "bob@$MT_DOMAIN busy@$MT_DOMAIN" auth=plain \
	    "queue=$3" "queue_dir=$T/$n.queue"
	mt_rc_is "$n" "$4" || return
	if ! grep -q 'busy@example.test.*: policy says later' "$D/log/mainlog"
	then
		mt_fail "$n: Exim did not log its defer" "$D/log/mainlog"
		return
	fi
	nq=$(mt_nqueued "$n")
	if [ "$3" = never ]; then
		sleep 0.5
		if [ "$(mt_maildir_count "$(box bob)" "$n")" != 0 ] || [ "$nq" != 0 ]
		then
			mt_fail "$n: delivered or queued though queue=never"
			return
		fi
		mt_ok "$n: ACL defer (450), queue=never: exit 75, none delivered"
		return
	fi
	got=$(mt_maildir_find "$(box bob)" "$n" 20)
	if [ -z "$got" ] || ! mt_same_bytes "$n" "$got"; then
		mt_fail "$n: bob did not get it byte for byte" "$T/$n.out"
	elif [ "$nq" != 1 ] ||
	    ! "$RM" -C "$T/$n.conf" -bp 2>&1 | grep -q "busy@$MT_DOMAIN"; then
		mt_fail "$n: busy@ not kept in the queue ($nq queued)"
	else
		mt_ok "$n: ACL defer (450) for one, queued mode: exit 0, bob has it, busy@ queued"
	fi
}

policy_case policy-never implicit never 75
policy_case policy-queue starttls on-failure 0
policy_case policy-strict strict never 75

mt_finish
