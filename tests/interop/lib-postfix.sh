#!/bin/sh
# lib-postfix.sh - a private Postfix instance for the interop tests.
#
# Sourced by tests/interop/test-*.sh (". tests/interop/lib-postfix.sh").
# Run directly it is a smoke test of the instance itself (TLS handshake on
# both ports, SASL AUTH accepted and refused, delivery to the Maildir), with
# no relaymail involved, so a broken Postfix setup is told apart from a
# relaymail bug.
#
# The instance is `postfix -c DIR` with its own main.cf, master.cf, queue,
# data directory, Cyrus SASL sasldb and test CA, all under tests/tmp/. It
# listens on 127.0.0.1 only, on two ports chosen at run time:
#   PF_SMTPS_PORT  implicit TLS (RFC 8314 section 3.3), AUTH allowed
#   PF_SUBM_PORT   submission, STARTTLS required (RFC 3207), then AUTH
# Everything for the virtual domains goes to Maildirs under PF_MAILBASE:
# $PF_MAILBASE/DOMAIN/LOCALPART/ for the names in PF_BOXES, else
# $PF_MAILBASE/DOMAIN/catchall/ (pf_maildir ADDR tells which). Bare senders
# (MAIL FROM:<root>) and bare recipients are refused, and Postfix is told
# not to rewrite headers, so qualification must come from relaymail.
# No system Postfix is started and /etc/postfix is not touched.
#
# The relaymail half (rm_*) writes 0600 configs for that instance and
# compares what was sent with what was delivered. PF_KEEP=1 keeps the
# directory (maillog, Maildirs, relaymail.log) for a post-mortem.

PF_TOP=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -f "$PF_TOP/Makefile" ] || PF_TOP=$(pwd)
PF_DOMAIN=example.test		# recipients' domain, SASL realm
PF_HOSTDOMAIN=host.example.test	# relaymail's maildomain in the tests
PF_USER=alice@$PF_DOMAIN
PF_PASS='s3cret-Pa55 word'
# Local parts with a Maildir of their own; others go to DOMAIN/catchall.
PF_BOXES="alice bob carol dave erin admin root ops smoke"
PF_DIR=
PF_SMTPS_PORT=
PF_SUBM_PORT=
PF_MECHS=

pf_skip_unless() {
	# pf_skip_unless PROG...: SKIP (exit 0) when a required program is
	# missing, the only reason an interop test may skip.
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1 &&
		    [ ! -x "/usr/sbin/$p" ]; then
			echo "SKIP: $(basename "$0"): $p not installed"
			exit 0
		fi
	done
	if [ "$(id -u)" != 0 ]; then
		# postfix master must start as root (it drops to mail_owner).
		echo "SKIP: $(basename "$0"): needs root to run a private postfix"
		exit 0
	fi
}

pf_free_ports() {
	# Prints N distinct free loopback TCP ports: the kernel picks them
	# (bind to port 0) while all are held, so they differ.
	perl -MIO::Socket::INET -e '
	    my @s; for (1..$ARGV[0]) {
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => 0, Listen => 1, Proto => "tcp") or die "$!";
		push @s, $s; }
	    print join(" ", map { $_->sockport } @s), "\n";' "$1"
}

pf_port_open() {
	perl -MIO::Socket::INET -e '
	    exit(IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		PeerPort => $ARGV[0], Timeout => 1) ? 0 : 1)' "$1"
}

pf_make_ca() {
	# A test CA and a server certificate for localhost/127.0.0.1 signed
	# by it; relaymail trusts only this CA (tls_ca_file).
	d=$PF_DIR/tls
	mkdir -p "$d"
	cat > "$d/ca.tmpl" <<-EOF
	cn = relaymail interop test CA
	ca
	cert_signing_key
	expiration_days = 2
	EOF
	cat > "$d/srv.tmpl" <<-EOF
	cn = localhost
	dns_name = localhost
	ip_address = 127.0.0.1
	tls_www_server
	signing_key
	encryption_key
	expiration_days = 2
	EOF
	certtool --generate-privkey --key-type=rsa --bits=2048 \
	    --outfile "$d/ca.key" >/dev/null 2>&1 &&
	certtool --generate-self-signed --load-privkey "$d/ca.key" \
	    --template "$d/ca.tmpl" --outfile "$d/ca.pem" >/dev/null 2>&1 &&
	certtool --generate-privkey --key-type=rsa --bits=2048 \
	    --outfile "$d/srv.key" >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$d/srv.key" \
	    --load-ca-certificate "$d/ca.pem" --load-ca-privkey "$d/ca.key" \
	    --template "$d/srv.tmpl" --outfile "$d/srv.pem" >/dev/null 2>&1 ||
	    { echo "pf: certtool failed" >&2; return 1; }
	chmod 600 "$d/ca.key" "$d/srv.key"
	PF_CA=$d/ca.pem
}

pf_make_sasl() {
	# Cyrus SASL with a private sasldb; smtpd reads it as mail_owner
	# (group postfix), `postfix check` wants it owned by root.
	# Debian's smtpd looks for smtpd.conf in $config_directory/sasl
	# whatever cyrus_sasl_config_path says, so it lives there.
	mkdir -p "$PF_DIR/conf/sasl"
	PF_SASLDB=$PF_DIR/conf/sasl/sasldb2
	# SCRAM-SHA-256 only when the installed plugin offers it.
	PF_MECHS="PLAIN LOGIN CRAM-MD5"
	if ls /usr/lib/*/sasl2/libscram.so* >/dev/null 2>&1 ||
	    ls /usr/lib/sasl2/libscram.so* >/dev/null 2>&1; then
		PF_MECHS="$PF_MECHS SCRAM-SHA-256"
	fi
	cat > "$PF_DIR/conf/sasl/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: $PF_MECHS
	sasldb_path: $PF_SASLDB
	EOF
	local_user=${PF_USER%@*}
	printf '%s' "$PF_PASS" | saslpasswd2 -f "$PF_SASLDB" -p -c \
	    -u "$PF_DOMAIN" "$local_user" ||
	    { echo "pf: saslpasswd2 failed" >&2; return 1; }
	chown root:postfix "$PF_SASLDB"
	chmod 640 "$PF_SASLDB"
}

pf_make_queue() {
	# The layout of /etc/postfix/postfix-files, made by hand so that no
	# post-install run can touch system files.
	q=$PF_DIR/queue
	mkdir -p "$q" && chmod 755 "$q"
	for s in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		mkdir -p "$q/$s" && chown postfix "$q/$s" && chmod 700 "$q/$s"
	done
	mkdir -p "$q/maildrop" "$q/public" "$q/pid"
	chown postfix:postdrop "$q/maildrop" "$q/public"
	chmod 730 "$q/maildrop"
	chmod 710 "$q/public"
	chmod 755 "$q/pid"
	mkdir -p "$PF_DIR/data"
	chown postfix "$PF_DIR/data" && chmod 700 "$PF_DIR/data"
	PF_MAILBASE=$PF_DIR/mail
	mkdir -p "$PF_MAILBASE"
	chown nobody:nogroup "$PF_MAILBASE"
}

pf_write_main_cf() {
	cat > "$PF_DIR/conf/main.cf" <<-EOF
	# Private instance for relaymail interop tests.
	compatibility_level = 3.6
	queue_directory = $PF_DIR/queue
	data_directory = $PF_DIR/data
	maillog_file = $PF_DIR/maillog
	maillog_file_prefixes = $PF_DIR
	myhostname = localhost
	mydomain = localdomain
	myorigin = localhost
	mydestination =
	mynetworks = 127.0.0.1/32
	relay_domains =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	biff = no
	alias_maps =
	alias_database =
	append_dot_mydomain = no
	# Do not qualify or rewrite headers: that is relaymail's job here.
	local_header_rewrite_clients =
	remote_header_rewrite_domain =
	smtpd_banner = \$myhostname ESMTP relaymail-interop
	smtputf8_enable = yes
	virtual_mailbox_domains = $PF_DOMAIN, $PF_HOSTDOMAIN
	virtual_mailbox_base = $PF_MAILBASE
	virtual_mailbox_maps = texthash:$PF_DIR/conf/vmailbox
	virtual_uid_maps = static:$(id -u nobody)
	virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
	virtual_minimum_uid = 100
	smtpd_tls_cert_file = $PF_DIR/tls/srv.pem
	smtpd_tls_key_file = $PF_DIR/tls/srv.key
	smtpd_tls_security_level = encrypt
	smtpd_tls_auth_only = yes
	smtpd_tls_loglevel = 1
	smtpd_tls_received_header = yes
	smtpd_sasl_auth_enable = yes
	smtpd_sasl_type = cyrus
	smtpd_sasl_path = smtpd
	cyrus_sasl_config_path = $PF_DIR/conf/sasl
	smtpd_sasl_security_options = noanonymous
	smtpd_sasl_local_domain =
	broken_sasl_auth_clients = no
	# A bare sender (MAIL FROM:<root>) is refused even after AUTH:
	# only a relaymail that applied maildomain gets mail through.
	smtpd_sender_restrictions = reject_non_fqdn_sender
	smtpd_relay_restrictions = reject_non_fqdn_recipient,
	    permit_sasl_authenticated, reject
	smtpd_recipient_restrictions = reject_non_fqdn_recipient,
	    permit_sasl_authenticated, reject
	smtpd_delay_reject = yes
	smtpd_helo_required = yes
	smtpd_error_sleep_time = 0
	smtpd_soft_error_limit = 100
	smtpd_hard_error_limit = 200
	EOF
	# One Maildir per known test mailbox, a catch-all per domain for the
	# rest (Postfix forbids regexp substitution in this map).
	: > "$PF_DIR/conf/vmailbox"
	for d in $PF_DOMAIN $PF_HOSTDOMAIN; do
		for u in $PF_BOXES; do
			printf '%s@%s\t%s/%s/\n' "$u" "$d" "$d" "$u"
		done >> "$PF_DIR/conf/vmailbox"
		printf '@%s\t%s/catchall/\n' "$d" "$d" >> "$PF_DIR/conf/vmailbox"
	done
}

pf_write_master_cf() {
	# Services: the two listeners, and the internal ones delivery needs.
	# No port 25, no pickup, nothing chrooted.
	cat > "$PF_DIR/conf/master.cf" <<-EOF
	127.0.0.1:$PF_SMTPS_PORT inet n - n - - smtpd
	  -o syslog_name=postfix/smtps
	  -o smtpd_tls_wrappermode=yes
	127.0.0.1:$PF_SUBM_PORT inet n - n - - smtpd
	  -o syslog_name=postfix/submission
	  -o smtpd_tls_security_level=encrypt
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	virtual   unix  -       n       n       -       -       virtual
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

pf_start() {
	# Creates and starts the instance; sets PF_DIR, PF_SMTPS_PORT,
	# PF_SUBM_PORT, PF_CA, PF_MAILBASE, PF_MECHS. Stopped on exit.
	mkdir -p "$PF_TOP/tests/tmp"
	PF_DIR=$(mktemp -d "$PF_TOP/tests/tmp/interop.XXXXXX") || return 1
	# Postfix daemons run as mail_owner and must reach their files.
	chmod 755 "$PF_DIR"
	mkdir -p "$PF_DIR/conf"
	trap 'pf_stop' EXIT
	trap 'exit 130' INT TERM
	set -- $(pf_free_ports 2)
	PF_SMTPS_PORT=$1
	PF_SUBM_PORT=$2
	pf_make_ca && pf_make_sasl && pf_make_queue || return 1
	pf_write_main_cf
	pf_write_master_cf
	if ! postfix -c "$PF_DIR/conf" check >"$PF_DIR/check.out" 2>&1; then
		echo "pf: postfix check failed:" >&2
		cat "$PF_DIR/check.out" >&2
		return 1
	fi
	if ! postfix -c "$PF_DIR/conf" start >"$PF_DIR/start.out" 2>&1; then
		echo "pf: postfix start failed:" >&2
		cat "$PF_DIR/start.out" >&2
		pf_dump_log
		return 1
	fi
	PF_STARTED=1
	pf_wait_port "$PF_SMTPS_PORT" && pf_wait_port "$PF_SUBM_PORT"
}

pf_wait_port() {
	# Polls until the master listens, with a deadline.
	i=0
	while [ $i -lt 100 ]; do
		pf_port_open "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "pf: port $1 not listening after 10s" >&2
	pf_dump_log
	return 1
}

pf_master_pid() {
	f=$PF_DIR/queue/pid/master.pid
	[ -f "$f" ] && tr -d ' \n' < "$f"
}

pf_stop() {
	# Stops the instance and waits until the master and every child it
	# started are gone; removes the directory unless PF_KEEP is set.
	[ -n "$PF_DIR" ] || return 0
	if [ "${PF_STARTED:-0}" = 1 ]; then
		mpid=$(pf_master_pid)
		kids=
		[ -n "$mpid" ] && kids=$(ps -o pid= --ppid "$mpid" 2>/dev/null)
		postfix -c "$PF_DIR/conf" stop >/dev/null 2>&1
		i=0
		while [ $i -lt 100 ]; do
			alive=
			for p in $mpid $kids; do
				kill -0 "$p" 2>/dev/null && alive="$alive $p"
			done
			[ -z "$alive" ] && break
			sleep 0.1
			i=$((i + 1))
		done
		for p in $alive; do
			echo "pf: killing leftover postfix process $p" >&2
			kill -9 "$p" 2>/dev/null
		done
		PF_STARTED=0
	fi
	if [ -n "$PF_KEEP" ]; then
		echo "pf: kept $PF_DIR" >&2
	else
		rm -rf "$PF_DIR"
	fi
	PF_DIR=
}

pf_dump_log() {
	echo "---- postfix log ($PF_DIR/maillog) ----" >&2
	tail -n "${PF_LOG_LINES:-60}" "$PF_DIR/maillog" >&2 2>/dev/null
	echo "---- end of postfix log ----" >&2
}

pf_maildir() {
	# pf_maildir ADDR: the Maildir that ADDR's mail goes to.
	for u in $PF_BOXES; do
		if [ "$u" = "${1%@*}" ]; then
			echo "$PF_MAILBASE/${1#*@}/$u"
			return
		fi
	done
	echo "$PF_MAILBASE/${1#*@}/catchall"
}

pf_count() {
	# pf_count ADDR: messages delivered to ADDR so far.
	d=$(pf_maildir "$1")/new
	[ -d "$d" ] || { echo 0; return; }
	find "$d" -type f | wc -l | tr -d ' '
}

pf_wait_mail() {
	# pf_wait_mail ADDR N [SECONDS]: waits until ADDR has N messages.
	want=$2
	lim=$((${3:-20} * 10))
	i=0
	while [ $i -lt $lim ]; do
		[ "$(pf_count "$1")" -ge "$want" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "pf: $1 has $(pf_count "$1") message(s), wanted $want" >&2
	return 1
}

pf_wait_match() {
	# pf_wait_match ADDR REGEX [SECONDS]: waits until a message to ADDR
	# has a line matching REGEX (grep -E); prints its path.
	lim=$((${3:-20} * 10))
	i=0
	while [ $i -lt $lim ]; do
		d=$(pf_maildir "$1")/new
		if [ -d "$d" ]; then
			f=$(grep -l -E -e "$2" "$d"/* 2>/dev/null | head -n 1)
			[ -n "$f" ] && { echo "$f"; return 0; }
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "pf: no message to $1 matching $2" >&2
	return 1
}

pf_last_mail() {
	# pf_last_mail ADDR: path of the newest message delivered to ADDR.
	d=$(pf_maildir "$1")/new
	ls -t "$d" 2>/dev/null | head -n 1 | sed "s|^|$d/|"
}

pf_queue_empty() {
	# True when nothing is waiting in the private queue (so a "nothing
	# delivered" check is not fooled by mail still in flight).
	n=$(find "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" \
	    "$PF_DIR/queue/deferred" -type f 2>/dev/null | wc -l)
	[ "$n" -eq 0 ]
}

pf_clear_mail() {
	rm -rf "${PF_MAILBASE:?}"/*
}

# --- relaymail side -----------------------------------------------------------

RM=$PF_TOP/relaymail
RM_FAIL=0

rm_need_binary() {
	# relaymail is this project's own binary: missing means failure.
	if [ ! -x "$RM" ]; then
		echo "FAIL: $(basename "$0"): $RM is not built (run make)"
		exit 1
	fi
}

rm_setup() {
	# rm_setup [PROG...]: the start of every test-*.sh: SKIP unless
	# Postfix and its tools (and PROG...) are here, FAIL without a built
	# relaymail, then the private instance, with the scratch directory
	# T=$PF_DIR/t for the test's files.
	pf_skip_unless postfix saslpasswd2 certtool perl "$@"
	rm_need_binary
	pf_start || { echo "FAIL: private postfix starts"; exit 1; }
	T=$PF_DIR/t
	mkdir -p "$T"
}

rm_conf() {
	# rm_conf FILE implicit|starttls [KEY=VALUE ...]: writes a 0600
	# relaymail config with one account "pf" for the private instance.
	# KEY=VALUE replaces a default key of the account ("KEY=" drops it);
	# keys starting with "defaults." go to [defaults] instead.
	f=$1
	port=$PF_SMTPS_PORT
	[ "$2" = starttls ] && port=$PF_SUBM_PORT
	mode=$2
	shift 2
	acct="host=127.0.0.1
port=$port
tls=$mode
tls_ca_file=$PF_CA
tls_server_name=localhost
auth=auto
user=$PF_USER
password=$PF_PASS
from=$PF_USER
domain=client.example.test
timeout=15
queue=never
queue_dir=$PF_DIR/rmqueue
log=file:$PF_DIR/relaymail.log"
	defs="maildomain=$PF_HOSTDOMAIN"
	for kv in "$@"; do
		case "$kv" in
		defaults.*) defs=$(rm_kv_set "$defs" "${kv#defaults.}") ;;
		*) acct=$(rm_kv_set "$acct" "$kv") ;;
		esac
	done
	(
		umask 077
		echo "default = pf"
		echo "[defaults]"
		echo "$defs" | sed -n 's/^\([^=]*\)=\(..*\)$/\1 = \2/p'
		echo "[pf]"
		echo "$acct" | sed -n 's/^\([^=]*\)=\(..*\)$/\1 = \2/p'
	) > "$f"
	chmod 600 "$f"
}

rm_kv_set() {
	# rm_kv_set LIST KEY=VALUE: LIST (KEY=VALUE lines) with KEY set.
	k=${2%%=*}
	printf '%s\n' "$1" | grep -v "^$k="
	printf '%s\n' "$2"
}

rm_fetch() {
	# rm_fetch ADDR REGEX FAILTEXT [FILE...]: waits for the message to
	# ADDR with a line matching REGEX; sets got (its path), rp (its
	# Return-Path) and from (its From). None in 20 s: rm_fail FAILTEXT
	# FILE... and false.
	got=$(pf_wait_match "$1" "$2" 20)
	if [ -z "$got" ]; then
		shift 2
		rm_fail "$@"
		return 1
	fi
	rp=$(rm_header "$got" Return-Path)
	from=$(rm_header "$got" From)
}

rm_strip_trace() {
	# Prints a delivered message without the trace headers the relay
	# prepends (RFC 5321 section 4.4: Return-Path, Received; Postfix's
	# Delivered-To and X-Original-To), continuation lines included.
	awk 'BEGIN { top = 1; skip = 0 }
	    top && /^[ \t]/ && skip { next }
	    top && /^(Return-Path|Received|Delivered-To|X-Original-To):/ {
		skip = 1; next }
	    { top = 0; print }' "$1"
}

rm_header() {
	# rm_header FILE NAME: the unfolded values of header NAME, one a line.
	awk -v want="$2" 'BEGIN { cur = "" }
	    /^$/ { exit }
	    /^[ \t]/ { if (cur != "") cur = cur " " substr($0, 2); next }
	    { if (cur != "") print cur; cur = "" }
	    { n = index($0, ":"); h = tolower(substr($0, 1, n - 1))
	      if (h == tolower(want)) { v = substr($0, n + 1)
		sub(/^[ \t]+/, "", v); cur = v } }
	    END { if (cur != "") print cur }' "$1"
}

rm_body() {
	# rm_body FILE: everything after the first empty line.
	sed '1,/^$/d' "$1"
}

rm_ok() {
	# rm_ok NAME: records a passed case.
	echo "ok: $1"
}

rm_fail() {
	# rm_fail NAME [DETAIL FILE...]: records a failed case and shows why.
	echo "FAIL: $1"
	shift
	for f in "$@"; do
		[ -f "$f" ] || { echo "  $f"; continue; }
		echo "  ---- $f"
		sed 's/^/  | /' "$f" | tail -n 40
	done
	RM_FAIL=1
}

rm_finish() {
	# Ends a test: exit status 1 if any case failed, with the logs.
	if [ "$RM_FAIL" != 0 ]; then
		[ -f "$PF_DIR/relaymail.log" ] &&
		    { echo "---- relaymail log"; tail -n 30 "$PF_DIR/relaymail.log"; }
		pf_dump_log 2>&1
	fi
	exit "$RM_FAIL"
}

# --- smoke test when run directly ------------------------------------------

pf_smtp_script() {
	# Feeds an SMTP dialogue to gnutls-cli, pausing so each command is
	# sent after the previous reply (no PIPELINING assumptions).
	sleep 0.3
	for l in "$@"; do
		sleep 0.15
		printf '%s\r\n' "$l"
	done
	sleep 0.3
}

pf_selftest() {
	fail=0
	pf_skip_unless postfix saslpasswd2 certtool gnutls-cli perl
	pf_start || { echo "FAIL: postfix starts"; exit 1; }
	echo "ok: private postfix started (smtps $PF_SMTPS_PORT," \
	    "submission $PF_SUBM_PORT, mechs $PF_MECHS)"
	cred=$(printf '\0%s\0%s' "$PF_USER" "$PF_PASS" | base64 -w0)
	bad=$(printf '\0%s\0%s' "$PF_USER" wrong | base64 -w0)
	rcpt=smoke@$PF_DOMAIN
	out=$(pf_smtp_script "EHLO client.test" "AUTH PLAIN $cred" \
	    "MAIL FROM:<$PF_USER>" "RCPT TO:<$rcpt>" DATA \
	    "Subject: smoke" "" "hello" "." QUIT |
	    gnutls-cli --x509cafile="$PF_CA" -p "$PF_SMTPS_PORT" localhost \
	    2>&1)
	if echo "$out" | grep -q '^235' && echo "$out" | grep -q '^250 2.0.0 Ok: queued'
	then echo "ok: smtps TLS + AUTH PLAIN + send"
	else echo "FAIL: smtps TLS + AUTH PLAIN + send"; echo "$out"; fail=1
	fi
	out=$(pf_smtp_script "EHLO client.test" "AUTH PLAIN $bad" QUIT |
	    gnutls-cli --x509cafile="$PF_CA" -p "$PF_SMTPS_PORT" localhost \
	    2>&1)
	if echo "$out" | grep -q '^535'
	then echo "ok: smtps wrong password refused with 535"
	else echo "FAIL: smtps wrong password refused"; echo "$out"; fail=1
	fi
	out=$(pf_smtp_script "EHLO client.test" "MAIL FROM:<$PF_USER>" \
	    "RCPT TO:<$rcpt>" QUIT |
	    gnutls-cli --starttls-proto=smtp --x509cafile="$PF_CA" \
	    -p "$PF_SUBM_PORT" localhost 2>&1)
	if echo "$out" | grep -q '^250-AUTH' &&
	    echo "$out" | grep -q '^554 5.7.1.*Access denied'
	then echo "ok: submission STARTTLS offers AUTH; RCPT without AUTH refused"
	else echo "FAIL: submission STARTTLS"; echo "$out"; fail=1
	fi
	out=$(pf_smtp_script "EHLO client.test" "AUTH PLAIN $cred" \
	    "MAIL FROM:<root>" "RCPT TO:<$rcpt>" QUIT |
	    gnutls-cli --starttls-proto=smtp --x509cafile="$PF_CA" \
	    -p "$PF_SUBM_PORT" localhost 2>&1)
	if echo "$out" | grep -q '^235' && echo "$out" | grep -q '^504.*root'
	then echo "ok: bare sender root refused after AUTH"
	else echo "FAIL: bare sender root refused"; echo "$out"; fail=1
	fi
	if pf_wait_mail "$rcpt" 1 20 &&
	    grep -q '^hello' "$(pf_last_mail "$rcpt")"
	then echo "ok: delivered to Maildir"
	else echo "FAIL: delivered to Maildir"; fail=1
	fi
	[ "$fail" = 0 ] || pf_dump_log
	exit "$fail"
}

case "$0" in
*lib-postfix.sh) pf_selftest ;;	# run directly: the smoke test
esac
