#!/bin/bash
# lib-mta.sh - what the groups against real servers other than Postfix
# (test-exim.sh, test-dovecot.sh, test-opensmtpd.sh) share: their scratch
# directory, the processes they start (all stopped at exit), relaymail's
# config for a server, the test messages, and the checks of what the
# server passed on.
#
# Each group starts its own server on 127.0.0.1, on ports the kernel
# picked, from a directory under tests/tmp/, and makes it deliver to a
# sink the test reads (a Maildir per mailbox, or testrelay's message
# files). A case sends one of the messages below through relaymail,
# checks the exit code, and compares what the sink got with what was
# sent: byte for byte where nothing had to change, else after decoding
# (mime-canon.pl: quoted-printable and base64 decoded, headers unfolded).
# Output: one "ok: ..." or "FAIL: ..." line a case, then a count; a
# group that cannot have its server prints "SKIP: ... reason" and exits 0.
# MT_KEEP=1 keeps the directory (logs, mailboxes) for a post-mortem.

MT_TOP=$(cd "$(dirname "$0")/../.." && pwd)
MT_GROUP=$(basename "$0" .sh)
RM=$MT_TOP/relaymail
MT_DOMAIN=example.test
MT_USER=alice@$MT_DOMAIN
MT_PASS='s3cret-Pa55 word'
MT_DIR=
MT_PIDS=
MT_STOPS=
MT_NOK=0
MT_NFAIL=0
MT_NSKIP=0

mt_skip() {
	echo "SKIP: $MT_GROUP: $*"
	exit 0
}

mt_need() {
	# mt_need PROG...: SKIP unless every PROG is installed; FAIL when
	# relaymail itself is not built.
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
		    mt_skip "$p not installed"
	done
	[ "$(id -u)" = 0 ] || mt_skip "needs root to run a private server"
	if [ ! -x "$RM" ]; then
		echo "FAIL: $MT_GROUP: $RM is not built (run make)"
		exit 1
	fi
}

mt_need_unshare() {
	# A server with compiled-in paths runs in a private mount namespace.
	why=$(unshare -m true 2>&1) ||
	    mt_skip "no private mount namespace here (unshare -m: $why)"
}

mt_etc_copy() {
	# A copy of /etc in $MT_DIR/etc, for a namespace to bind over /etc.
	# The whole directory, not single files: a file bind-mounted in
	# another namespace is detached when the host replaces that file
	# (useradd, groupadd and ldconfig rename a new copy into place), and
	# other tests on this machine may do just that meanwhile.
	# The host's secrets stay out of it (no server here needs them).
	cp -a /etc "$MT_DIR/etc" 2>/dev/null || mt_skip "cannot copy /etc"
	rm -rf "$MT_DIR"/etc/shadow* "$MT_DIR"/etc/gshadow* "$MT_DIR/etc/ssh" \
	    "$MT_DIR/etc/ssl/private"
}

mt_begin() {
	# The group's directory (0755: servers drop to unprivileged users
	# and must reach their files), the test CA and server certificate,
	# and the exit trap.
	mkdir -p "$MT_TOP/tests/tmp"
	MT_DIR=$(mktemp -d "$MT_TOP/tests/tmp/$MT_GROUP.XXXXXX") || exit 1
	chmod 755 "$MT_DIR"
	trap mt_cleanup EXIT
	trap 'exit 130' INT TERM
	sh "$MT_TOP/tests/certs.sh" "$MT_TOP/tests/tmp/certs" >/dev/null ||
	    { echo "FAIL: $MT_GROUP: certs.sh"; exit 1; }
	mkdir -p "$MT_DIR/tls"
	cp "$MT_TOP/tests/tmp/certs/ca.pem" "$MT_DIR/tls/ca.pem"
	cp "$MT_TOP/tests/tmp/certs/server.pem" "$MT_DIR/tls/server.pem"
	cp "$MT_TOP/tests/tmp/certs/server-key.pem" "$MT_DIR/tls/server-key.pem"
	chmod 644 "$MT_DIR"/tls/*	# a throw-away test key
	MT_CA=$MT_DIR/tls/ca.pem
	T=$MT_DIR/t
	mkdir -p "$T"
}

mt_pid() { MT_PIDS="$MT_PIDS $1"; }	# killed (TERM, then KILL) at exit
mt_on_exit() { MT_STOPS="$MT_STOPS $1"; }	# functions run at exit

mt_kill_wait() {
	# mt_kill_wait PID...: TERM, up to 5 s for them to go, then KILL.
	kill "$@" 2>/dev/null
	for i in $(seq 50); do
		alive=
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null && alive="$alive $p"
		done
		[ -z "$alive" ] && return 0
		sleep 0.1
	done
	kill -9 $alive 2>/dev/null
}

mt_stop_ns() {
	# mt_stop_ns PID: stops the server PID that runs in a mount
	# namespace of its own, then whatever is left in that namespace
	# (processes it forked, which share it).
	ns=$(readlink "/proc/$1/ns/mnt" 2>/dev/null)
	mt_kill_wait "$1"
	[ -n "$ns" ] && [ "$ns" != "$(readlink /proc/$$/ns/mnt)" ] || return 0
	left=
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] &&
		    left="$left ${p#/proc/}"
	done
	[ -n "$left" ] && mt_kill_wait $left
}

mt_cleanup() {
	for f in $MT_STOPS; do
		"$f"
	done
	[ -n "$MT_PIDS" ] && mt_kill_wait $MT_PIDS
	[ -n "$MT_DIR" ] || return 0
	rm -rf "$MT_DIR/etc"
	if [ -n "${MT_KEEP:-}" ] || [ "$MT_NFAIL" != 0 ]; then
		echo "# $MT_GROUP: kept $MT_DIR"
	else
		rm -rf "$MT_DIR"
	fi
}

mt_free_ports() {
	# mt_free_ports N: N distinct free loopback ports (held together
	# while the kernel picks them, so they differ).
	perl -MIO::Socket::INET -e '
	    my @s; for (1..$ARGV[0]) {
		push @s, IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => 0, Listen => 1, Proto => "tcp") or die "$!"; }
	    print join(" ", map { $_->sockport } @s), "\n";' "$1"
}

mt_wait_port() {
	# mt_wait_port PORT [SECONDS]: until something listens on PORT.
	for i in $(seq $((${2:-10} * 10))); do
		perl -MIO::Socket::INET -e 'exit(IO::Socket::INET->new(
		    PeerAddr => "127.0.0.1", PeerPort => $ARGV[0],
		    Timeout => 1) ? 0 : 1)' "$1" && return 0
		sleep 0.1
	done
	return 1
}

mt_pipelined() {
	# mt_pipelined PORT CMD...: on a plaintext connection, after the
	# greeting, writes every CMD in one go (as a client that pipelines
	# would) and prints what the server answers within 3 s.
	perl -MIO::Socket::INET -MIO::Select -e '
	    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		PeerPort => shift, Timeout => 5) or exit 1;
	    my $sel = IO::Select->new($s);
	    my ($buf, $out) = ("", "");
	    sub rd { my $t = shift; while ($sel->can_read($t)) {
		last unless sysread($s, $buf, 65536); $out .= $buf;
		last if $t < 1 && $out =~ /\r\n\z/; } }
	    rd(0.5);
	    syswrite($s, join("", map { "$_\r\n" } @ARGV));
	    rd(3);
	    print $out;' "$@"
}

# --- cases -------------------------------------------------------------------

mt_ok() { echo "ok: $*"; MT_NOK=$((MT_NOK + 1)); }

mt_fail() {
	# mt_fail TEXT [FILE...]: a failed case, with the tail of FILEs.
	echo "FAIL: $1"
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "  ---- $f"
		tail -n 25 "$f" | cut -c1-300 | sed 's/^/  | /'
	done
	MT_NFAIL=$((MT_NFAIL + 1))
}

mt_skipcase() { echo "skip: $*"; MT_NSKIP=$((MT_NSKIP + 1)); }

mt_finish() {
	echo "# $MT_GROUP: $MT_NOK passed, $MT_NFAIL failed, $MT_NSKIP skipped"
	[ "$MT_NFAIL" = 0 ]
	exit $?
}

mt_conf() {
	# mt_conf FILE PORT TLS [KEY=VALUE ...]: a 0600 relaymail config with
	# one account for the server; "KEY=" drops a key.
	f=$1
	acct="host=127.0.0.1
port=$2
tls=$3
tls_ca_file=$MT_CA
tls_server_name=localhost
auth=auto
user=$MT_USER
password=$MT_PASS
from=$MT_USER
domain=client.example.test
timeout=30
queue=never
queue_dir=$MT_DIR/rmqueue
log=file:$MT_DIR/relaymail.log"
	shift 3
	for kv in "$@"; do
		acct=$(printf '%s\n' "$acct" | grep -v "^${kv%%=*}=")
		acct="$acct
$kv"
	done
	: >"$f"
	chmod 600 "$f"
	{
		echo "default = srv"
		echo "[srv]"
		printf '%s\n' "$acct" | sed -n 's/^\([^=]*\)=\(..*\)$/\1 = \2/p'
	} >>"$f"
}

mt_send() {
	# mt_send NAME CONF RCPT...: relaymail -v -i, message $T/NAME.in,
	# output $T/NAME.out; sets rc.
	n=$1
	c=$2
	shift 2
	timeout 300 "$RM" -C "$c" -v -i -f "$MT_USER" "$@" <"$T/$n.in" \
	    >"$T/$n.out" 2>&1
	rc=$?
}

# --- messages ------------------------------------------------------------------
# mt_msg KIND NAME > FILE: the headers every test message has (so what
# the server passes on is fully known), then the body of KIND. Each has
# "X-Test-Case: NAME" to find it in the sink.

mt_head() {	# mt_head NAME [EXTRA HEADER LINES]
	printf 'From: Alice Example <%s>\nTo: Bob <bob@%s>\n' "$MT_USER" \
	    "$MT_DOMAIN"
	printf 'Subject: %s %s\n folded subject line\n' "$MT_GROUP" "$1"
	printf 'Date: Sun, 23 Nov 2025 01:02:03 +0000\n'
	printf 'Message-ID: <%s-%s@client.example.test>\nX-Test-Case: %s\n' \
	    "$MT_GROUP" "$1" "$1"
	shift
	for l in "$@"; do printf '%s\n' "$l"; done
	echo
}

mt_msg() {
	case $1 in
	plain)	# dot lines (RFC 5321 section 4.5.2), a lone dot, blanks
		mt_head "$2" 'MIME-Version: 1.0' \
		    'Content-Type: text/plain; charset=us-ascii'
		printf 'first line\n.leading dot\n..two dots\n.\n'
		printf ' \ttab and blanks at the end \t\n\n.\nlast line\n' ;;
	8bit)	# UTF-8 text, 8BITMIME (RFC 6152)
		mt_head "$2" 'MIME-Version: 1.0' \
		    'Content-Type: text/plain; charset=utf-8' \
		    'Content-Transfer-Encoding: 8bit'
		printf 'Gr\303\274\303\237e aus K\303\266ln, \342\202\254 5\n'
		printf '.\303\251t\303\251 with a leading dot\n\346\227\245\346\234\254\350\252\236\n' ;;
	long)	# one line of 5000 octets (RFC 5322 section 2.1.1: 998)
		mt_head "$2" 'MIME-Version: 1.0' \
		    'Content-Type: text/plain; charset=us-ascii'
		printf 'before the long line\n'
		perl -e 'for (1..500) { printf "%09d ", $_ } print "\n"'
		printf '.after it, a dot line\n' ;;
	multi)	# multipart/mixed, one part with a 5000-octet HTML line
		mt_head "$2" 'MIME-Version: 1.0' \
		    'Content-Type: multipart/mixed; boundary="=-mt-b0undary"'
		printf 'This is the preamble.\n\n--=-mt-b0undary\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n\n'
		printf 'The short part.\n.dot line\n\n--=-mt-b0undary\n'
		printf 'Content-Type: text/html; charset=us-ascii\n\n<html><body>'
		perl -e 'for (1..500) { printf "<b>%05d</b>", $_ } print "\n"'
		printf '</body></html>\n\n--=-mt-b0undary\n'
		printf 'Content-Type: application/octet-stream\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 3000 /dev/zero | tr '\0' 'x' | base64 -w 76
		printf '\n--=-mt-b0undary--\nThe epilogue.\n' ;;
	big)	# 20 MB of 76-column lines
		mt_head "$2" 'MIME-Version: 1.0' \
		    'Content-Type: text/plain; charset=us-ascii'
		printf '.leading dot\n'
		head -c $((20 * 1024 * 1024 * 3 / 4)) /dev/urandom |
		    base64 -w 76
		printf '.\n..\nend\n' ;;
	esac
}

# --- checks --------------------------------------------------------------------

mt_quit_after_reply() {
	# mt_quit_after_reply NAME: in relaymail's -v transcript of case
	# NAME, QUIT follows the reply to the end of data (RFC 5321 section
	# 4.3.2: without PIPELINING a client waits for every reply).
	awk '/^> \.$/ { dot = 1 } dot && /^> QUIT/ && !got { bad = 1 }
	    dot && /^< [0-9][0-9][0-9] / { got = 1 } END { exit bad }' "$T/$1.out"
}

mt_strip() {
	# mt_strip FILE: FILE without the trace headers at its top, LF line
	# ends (what was sent, as relaymail was given it).
	LC_ALL=C awk 'BEGIN { top = 1; skip = 0 }
	    { sub(/\r$/, "") }
	    top && /^[ \t]/ && skip { next }
	    top && tolower($0) ~ /^(return-path|received|delivered-to|x-original-to|envelope-to|delivery-date):/ {
		skip = 1; next }
	    { top = 0; print }' "$1"
}

mt_same_bytes() {
	# mt_same_bytes NAME GOT: the copy GOT equals $T/NAME.in byte for
	# byte but for its trace headers.
	mt_strip "$2" >"$T/$1.got"
	cmp -s "$T/$1.in" "$T/$1.got" && return 0
	diff -u "$T/$1.in" "$T/$1.got" | head -n 40 >"$T/$1.diff"
	return 1
}

mt_same_decoded() {
	# mt_same_decoded NAME GOT: GOT shows what $T/NAME.in shows (after
	# decoding, mime-canon.pl) and has no line over 998 octets.
	perl "$MT_TOP/tests/interop/mime-canon.pl" "$T/$1.in" >"$T/$1.canon.in"
	perl "$MT_TOP/tests/interop/mime-canon.pl" "$2" >"$T/$1.canon.got"
	if ! cmp -s "$T/$1.canon.in" "$T/$1.canon.got"; then
		diff -u "$T/$1.canon.in" "$T/$1.canon.got" | cut -c1-200 |
		    head -n 40 >"$T/$1.diff"
		return 1
	fi
	max=$(LC_ALL=C awk '{ sub(/\r$/, ""); if (length($0) > m) m = length($0) }
	    END { print m + 0 }' "$2")
	if [ "$max" -gt 998 ]; then
		echo "a line of $max octets" >"$T/$1.diff"
		return 1
	fi
}

mt_maildir_find() {
	# mt_maildir_find DIR NAME [SECONDS]: waits for the message of case
	# NAME in Maildir DIR; prints its path.
	for i in $(seq $((${3:-20} * 10))); do
		f=$(grep -l -s "^X-Test-Case: $2\$" "$1"/new/* | head -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

mt_maildir_count() {
	# mt_maildir_count DIR NAME: the copies of case NAME in Maildir DIR.
	grep -l -s "^X-Test-Case: $2\$" "$1"/new/* | wc -l
}

# testrelay as a sink: DIR/msg, DIR/msg.2, ... (DIR/*.part: being written)
mt_sink_files() {
	for f in "$1"/msg "$1"/msg.*; do
		case $f in *.part) continue ;; esac
		[ -f "$f" ] && printf '%s\n' "$f"
	done
}

mt_sink_find() {
	# mt_sink_find DIR NAME: waits for the message of case NAME.
	for i in $(seq 200); do
		f=$(mt_sink_files "$1" | xargs -r grep -l -s \
		    "^X-Test-Case: $2"$'\r'"\$" | head -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

mt_sink_count() {
	mt_sink_files "$1" | xargs -r grep -l -s "^X-Test-Case: $2"$'\r'"\$" |
	    wc -l
}

# --- shared case steps -----------------------------------------------------------
# Each prints a FAIL line and returns 1 when its check fails (so that a
# case can stop at its first failed step); those named mt_case_* also
# count the passed case.

mt_rc_is() {
	# mt_rc_is NAME WANT [FILE...]: relaymail exited WANT in case NAME
	# (its output and FILEs shown when it did not).
	[ "$rc" = "$2" ] && return 0
	local n=$1 w=$2
	shift 2
	mt_fail "$n: exit $rc, want $w" "$T/$n.out" "$@"
	return 1
}

mt_copy_is() {
	# mt_copy_is NAME GOT CHECK VERB [FILE...]: the server VERB (relayed,
	# delivered) case NAME as GOT, the same as sent (CHECK bytes: byte
	# for byte; decoded: after decoding; else only that it came).
	local n=$1 g=$2 c=$3 v=$4
	shift 4
	if [ -z "$g" ]; then
		mt_fail "$n: not $v" "$T/$n.out" "$@"
		return 1
	fi
	if [ "$c" = bytes ] && ! mt_same_bytes "$n" "$g"; then
		mt_fail "$n: $v copy differs" "$T/$n.diff"
		return 1
	fi
	if [ "$c" = decoded ] && ! mt_same_decoded "$n" "$g"; then
		mt_fail "$n: $v copy differs after decoding" "$T/$n.diff"
		return 1
	fi
	return 0
}

mt_case_8bitmime() {
	# mt_case_8bitmime NAME TEXT: MAIL of case NAME had BODY=8BITMIME.
	if grep -q 'BODY=8BITMIME' "$T/$1.out"; then
		mt_ok "$1: $2"
	else
		mt_fail "$1: MAIL lacked BODY=8BITMIME" "$T/$1.out"
	fi
}

mt_case_bdat() {
	# mt_case_bdat NAME TEXT: case NAME ended with BDAT ... LAST.
	if grep -qE '> BDAT [0-9]+ LAST' "$T/$1.out"; then
		mt_ok "$1: $2"
	else
		mt_fail "$1: BDAT not used" "$T/$1.out"
	fi
}

mt_case_multi() {
	# mt_case_multi NAME GOT [STRING...]: the copy GOT of a "multi"
	# message (re-encoded for its long line) has the base64 part and the
	# four boundary lines as sent, and every STRING.
	local n=$1 g=$2 part ok=1 s
	shift 2
	part=$(sed -n '/^Content-Type: application/,/^--=-mt-b0undary--/p' \
	    "$T/$n.in")
	mt_strip "$g" | grep -qF -- "$part" || ok=
	[ "$(grep -c '^--=-mt-b0undary' "$g")" = 4 ] || ok=
	for s in "$@"; do
		mt_strip "$g" | grep -qF -- "$s" || ok=
	done
	if [ -n "$ok" ]; then
		mt_ok "$n: long-line part re-encoded, other parts unchanged"
	else
		mt_fail "$n: other parts or boundaries changed" "$g"
	fi
}

mt_case_one_queued() {
	# mt_case_one_queued NAME GOT NQ ADDR TEXT: the copy GOT of case NAME
	# came byte for byte, and the queue (NQ files) keeps ADDR alone.
	if [ -z "$2" ] || ! mt_same_bytes "$1" "$2"; then
		mt_fail "$1: not relayed byte for byte" "$T/$1.out"
	elif [ "$3" != 1 ] ||
	    ! "$RM" -C "$T/$1.conf" -bp 2>&1 | grep -q "$4"; then
		mt_fail "$1: ${4%%@*}@ not kept in the queue ($3 queued)"
	else
		mt_ok "$1: $5"
	fi
}

mt_sink_notice() {
	# mt_sink_notice DIR RCPT NAME TENTHS: waits up to TENTHS tenths of
	# a second for a failure notice about RCPT that names case NAME in
	# testrelay sink DIR; prints its path.
	local i f
	for i in $(seq "$4"); do
		f=$(grep -l -s "^Final-Recipient: rfc822; *$2" \
		    $(mt_sink_files "$1") | xargs -r grep -l "$3@" | head -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

mt_case_none() {
	# mt_case_none NAME SECONDS NQ WHY TEXT COUNT...: SECONDS after case
	# NAME, the command COUNT... NAME prints 0 (copies the server passed
	# on) and NQ (files in its queue) is 0; else "NAME: WHY" fails.
	local n=$1 q=$3 w=$4 t=$5
	sleep "$2"
	shift 5
	if [ "$("$@" "$n")" != 0 ] || [ "$q" != 0 ]; then
		mt_fail "$n: $w"
		return 1
	fi
	mt_ok "$n: $t"
}

mt_force_run() {
	# mt_force_run NAME: a queue run (-q --force) with case NAME's
	# config; output $T/NAME.q.out.
	timeout 120 "$RM" -C "$T/$1.conf" -q --force >"$T/$1.q.out" 2>&1
}

mt_nqueued() {	# mt_nqueued NAME: messages in case NAME's queue
	find "$T/$1.queue/msg" -type f 2>/dev/null | wc -l
}

mt_run() {
	# mt_run NAME PORT TLS KIND "RCPT..." KEY=VALUE...: the message of
	# KIND to the RCPTs, with mt_conf's config for PORT and TLS and the
	# KEY=VALUEs; rc and $T/NAME.out.
	local n=$1 p=$2 t=$3 k=$4 r=$5
	shift 5
	mt_msg "$k" "$n" >"$T/$n.in"
	mt_conf "$T/$n.conf" "$p" "$t" "$@"
	mt_send "$n" "$T/$n.conf" $r
}

mt_begin_deb() {
	# mt_begin_deb PACKAGE PROGRAM: mt_begin (D: its directory) with
	# PACKAGE fetched and unpacked into $D/root (lib-deb.sh); SKIP unless
	# $D/root/PROGRAM is there with all the libraries it needs.
	local b
	b=$(basename "$2")
	deb_fetch "$1" || mt_skip "$1 cannot be fetched ($DEB_WHY)"
	mt_begin
	D=$MT_DIR
	deb_unpack "$D/root" || mt_skip "$DEB_WHY"
	[ -x "$D/root$2" ] || mt_skip "no $b binary in the package"
	miss=$(deb_missing_libs "$D/root" "$D/root$2")
	[ -z "$miss" ] || mt_skip "$b lacks $miss"
}
