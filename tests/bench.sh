#!/bin/sh
# tests/bench.sh - `make bench` (README): relaymail against msmtp in one
# run, on loopback, both configured the same way: implicit TLS (RFC 8314)
# to the project's testrelay with the test CA, AUTH PLAIN (RFC 4954), the
# same messages, PIPELINING (RFC 2920) offered. It measures
#   (a) client writes per message: TLS records testrelay read (one
#       transcript "--- read" entry each) per connection, small and 10 MB;
#       round trips per message: the same send through a loopback proxy
#       that holds every server-to-client chunk DELAY ms; the connection's
#       time divided by DELAY, rounded down, is the number of times the
#       client waited for the server (its own work, and any stall that
#       loopback adds, stay well under DELAY and fall in the remainder);
#   (b) N sequential sends, small and 10 MB: median wall time per send
#       and the client's CPU time per send;
#   (c) peak RSS (GNU time %M) for one small and one 10 MB send;
#   (d) instructions for one small send (valgrind callgrind), if present;
#   (e) the system trust store instead of the CA file: the system bundle
#       with the test CA added, given to msmtp as tls_trust_file (it
#       parses all of it, as it does for its system store) and to
#       relaymail as its system store (RELAYMAIL_SYSTEM_TRUST): warm
#       index, and a first send with no state directory at all (HOME
#       and XDG_STATE_HOME unusable: no index, no session cache);
#   (f) a resumed TLS session (relaymail's session cache; msmtp has none);
#   (g) a queue flush: N_QUEUE queued messages, one `relaymail -q`, one
#       session (msmtp has no queue of its own);
#   (h) a THRU_MB body: MiB/s and peak RSS, against the sink ceiling (the
#       same SMTP session pushed into testrelay by openssl s_client).
# Rows (a)-(d) are full handshakes (tls_session_cache = no).
# Speed is measured here, never asserted in tests. Figures vary with the
# machine; README's are from one run of this script.
# Env: N_SMALL (100), N_BIG (20), BIG_MB (10), DELAY_MS (100), N_QUEUE
# (1000), THRU_MB (200), KEEP=1 keeps the work directory
# (tests/tmp/bench.PID).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
RELAYMAIL=$TOP/relaymail
TESTRELAY=$TOP/tests/relay/testrelay
CERTS=$TOP/tests/tmp/certs
N_SMALL=${N_SMALL:-100}
N_BIG=${N_BIG:-20}
BIG_MB=${BIG_MB:-10}
DELAY_MS=${DELAY_MS:-100}
N_QUEUE=${N_QUEUE:-1000}
THRU_MB=${THRU_MB:-200}
PASSWORD='bench-pw 7Qz!'
USER_NAME=bench@example.com
B=$TOP/tests/tmp/bench.$$
PIDS=

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$B"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

# need PKG TEST...: installs the Debian package when TEST fails (root);
# otherwise says what to run and ends the benchmark without failing.
need() {
	pkg=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "make bench: needs the Debian package $pkg; as root run:"
		echo "  apt-get install -y --no-install-recommends $pkg"
		exit 0
	fi
	echo "make bench: installing $pkg"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends "$pkg" </dev/null >/dev/null ||
	    die "apt-get install $pkg failed"
	"$@" >/dev/null 2>&1 || die "$pkg installed but '$*' still fails"
}

need msmtp msmtp --version
need time /usr/bin/time -f %M true
need perl perl -MTime::HiRes -MIO::Select -MIO::Socket::INET -e 1
[ -x "$RELAYMAIL" ] && [ -x "$TESTRELAY" ] ||
    die "build first: make relaymail tests/relay/testrelay"
HAVE_VG=0
command -v valgrind >/dev/null 2>&1 && HAVE_VG=1

mkdir -p "$B" || exit 1
sh "$TOP/tests/certs.sh" "$CERTS" || die "certs.sh failed"
umask 077

# --- messages: complete headers, so both clients send the same bytes ---
hdrs() {
	printf 'From: Bench <sender@example.com>\nTo: rcpt@example.com\n'
	printf 'Subject: %s\nDate: Mon, 01 Jan 2024 00:00:00 +0000\n' "$1"
	printf 'Message-ID: <%s@bench.example.com>\n\n' "$1"
}
{ hdrs small; printf 'Hello.\n.leading dot\nBye.\n'; } >"$B/small"
# BIG_MB of 76-column base64 lines, like an attachment.
{ hdrs big; head -c $((BIG_MB * 1024 * 1024 * 3 / 4)) /dev/urandom |
    base64 -w 76; } >"$B/big"

# --- the relay and the two client configurations ---
# port_wait FILE: waits (up to 5 s) for a listener to write its port there.
port_wait() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# relay NAME CONNECTIONS TRANSCRIPT [SCRIPT]: starts testrelay (with a
# testrelay script, e.g. one offering CHUNKING); RPORT, RDIR set.
relay() {
	RDIR=$B/$1
	mkdir -p "$RDIR"
	"$TESTRELAY" -M implicit -p "$RDIR/port" -t "$3" -m "$RDIR/msg" \
	    -c "$CERTS/server.pem" -k "$CERTS/server-key.pem" \
	    -u "$USER_NAME" -w "$PASSWORD" -n "$2" -L 600 \
	    ${4:+-s} ${4:+"$4"} 2>"$RDIR/relay.err" &
	RPID=$!
	PIDS="$PIDS $RPID"
	port_wait "$RDIR/port"
	RPORT=$(cat "$RDIR/port" 2>/dev/null)
	[ -n "$RPORT" ] || die "testrelay did not start: $(cat "$RDIR/relay.err")"
	configs "$RPORT"
}

# Waits for the current relay to finish its connections.
relay_wait() {
	i=0
	while kill -0 "$RPID" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	# Reaped (the proxy too, before this): no stale pid left to kill.
	PIDS=
}

configs() {
	cat >"$B/rm.conf" <<-EOF
	default = bench
	[bench]
	host = 127.0.0.1
	port = $1
	tls = implicit
	tls_ca_file = $CERTS/ca.pem
	auth = plain
	user = $USER_NAME
	password = $PASSWORD
	from = sender@example.com
	timeout = 30
	queue = never
	queue_dir = $B/queue
	log = none
	tls_session_cache = no
	EOF
	cat >"$B/ms.conf" <<-EOF
	account bench
	host 127.0.0.1
	port $1
	tls on
	tls_starttls off
	tls_trust_file $CERTS/ca.pem
	auth plain
	user $USER_NAME
	password $PASSWORD
	from sender@example.com
	timeout 30
	syslog off
	account default : bench
	EOF
}

# client rm|ms prints the command of relaymail or msmtp, without the
# recipient, for: eval "set -- $(client rm)"; "$@" rcpt@example.com <msg
client() {
	case $1 in
	rm) echo '"$RELAYMAIL" -C "$B/rm.conf"' ;;
	ms) echo 'msmtp -C "$B/ms.conf"' ;;
	esac
}

# Records "KEY VALUE" for the table.
put() { echo "$1 $2" >>"$B/results"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? "-" : v }' \
    "$B/results"; }

# Read chunks per connection in a transcript, in connection order.
chunks() {
	awk '/^=== connection/ { c++ } /^--- read/ { n[c]++ }
	    END { for (i = 1; i <= c; i++) print n[i] + 0 }' "$1"
}

# The relay got each message complete and both clients sent the same bytes.
check_same() {	# check_same DIR: msg from relaymail, msg.2 from msmtp
	[ -f "$1/msg" ] && [ -f "$1/msg.2" ] ||
	    die "a message did not arrive ($1)"
	cmp -s "$1/msg" "$1/msg.2" ||
	    die "relaymail and msmtp sent different bytes ($1)"
}

: >"$B/results"
echo "bench: relaymail $("$RELAYMAIL" --version 2>&1 | head -1) vs" \
    "$(msmtp --version | head -1); N_SMALL=$N_SMALL N_BIG=$N_BIG" \
    "BIG_MB=$BIG_MB"
echo "bench: $(nproc) cores, $(uname -m), $(sed -n 's/^PRETTY_NAME="*\([^"]*\)"*$/\1/p' \
    /etc/os-release 2>/dev/null), $(date -u +%Y-%m-%d)"

# --- (a) writes per message, (c) peak RSS: one send of each message ---
for m in small big; do
	relay "w-$m" 2 "$B/w-$m.tr"
	for c in rm ms; do
		eval "set -- $(client "$c")"
		/usr/bin/time -f %M -o "$B/rss-$c-$m" "$@" rcpt@example.com \
		    <"$B/$m" >"$B/out" 2>&1 ||
		    die "$c failed on the $m message: $(cat "$B/out")"
		put "rss-$c-$m" "$(tail -1 "$B/rss-$c-$m")"
	done
	relay_wait
	check_same "$RDIR"
	cp "$RDIR/msg" "$B/ref-$m"
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(chunks "$B/w-$m.tr")
	put "writes-rm-$m" "${1:--}"
	put "writes-ms-$m" "${2:--}"
	rm -rf "$RDIR" "$B/w-$m.tr"
done

# --- (a) round trips: a proxy holds each server-to-client chunk ---
# delay.pl PORTFILE RELAYPORT DELAY_MS CONNECTIONS LOG: serves CONNECTIONS
# sequential connections on an ephemeral loopback port, forwards the
# client's bytes at once and the server's DELAY_MS later (in order), and
# logs each connection's time from accept to the client's close.
cat >"$B/delay.pl" <<'EOP'
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time);

my ($portfile, $rport, $delay_ms, $nconn, $logfile) = @ARGV;
my $delay = $delay_ms / 1000;
my $end = time + 120;
my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 8, ReuseAddr => 1) or die "listen: $!";
open(my $pf, '>', "$portfile.tmp") or die;
print $pf $l->sockport, "\n";
close($pf);
rename("$portfile.tmp", $portfile) or die;
open(my $log, '>', $logfile) or die;
$log->autoflush(1);

sub put_all {
	my ($h, $d) = @_;
	while (length $d) {
		my $n = syswrite($h, $d);
		return 0 unless defined $n && $n > 0;
		substr($d, 0, $n) = '';
	}
	return 1;
}

for my $i (1 .. $nconn) {
	last unless IO::Select->new($l)->can_read($end - time);
	my $c = $l->accept or last;
	my $t0 = time;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $rport) or die "connect: $!";
	setsockopt($_, IPPROTO_TCP, TCP_NODELAY, 1) for ($c, $s);
	my $sel = IO::Select->new($c, $s);
	my (@q, $server_done);
	LOOP: while (time < $end) {
		while (@q && $q[0][0] <= time) {
			last LOOP unless put_all($c, (shift @q)->[1]);
		}
		last if $server_done && !@q;
		my $to = @q ? $q[0][0] - time : 1;
		$to = 0 if $to < 0;
		for my $h ($sel->can_read($to)) {
			my $n = sysread($h, my $buf, 65536);
			if ($h == $c) {
				last LOOP unless $n;
				put_all($s, $buf);
			} elsif (!$n) {
				$server_done = 1;
				$sel->remove($s);
			} else {
				push @q, [time + $delay, $buf];
			}
		}
	}
	printf $log "%.6f\n", time - $t0;
	close($c);
	close($s);
}
EOP

# rtt_run DELAY_MS "CLIENTS" [SCRIPT]: REPS sends of the small message by
# each client through the proxy, to a relay run with SCRIPT if given;
# "CLIENT SECONDS" lines, the fastest of each.
REPS=2
rtt_run() {
	rt_delay=$1 rt_clients=$2 rt_script=${3:-}
	rt_n=$(($(echo $rt_clients | wc -w) * REPS))
	relay "rt-$rt_delay${rt_script:+-$(basename "$rt_script")}" "$rt_n" \
	    /dev/null "$rt_script"
	perl "$B/delay.pl" "$RDIR/pport" "$RPORT" "$rt_delay" "$rt_n" \
	    "$RDIR/times" 2>"$RDIR/proxy.err" &
	PPID_=$!
	PIDS="$PIDS $PPID_"
	port_wait "$RDIR/pport"
	[ -s "$RDIR/pport" ] || die "proxy did not start: $(cat "$RDIR/proxy.err")"
	configs "$(cat "$RDIR/pport")"
	for c in $rt_clients; do
		eval "set -- $(client "$c")"
		for _ in $(seq $REPS); do
			"$@" rcpt@example.com <"$B/small" >"$B/out" 2>&1 ||
			    die "$c failed through the proxy: $(cat "$B/out")"
		done
	done
	wait "$PPID_"
	relay_wait
	[ -f "$RDIR/msg.$rt_n" ] || die "proxy run lost a message"
	awk -v n=$REPS -v cl="$rt_clients" 'BEGIN { split(cl, c, " ") }
	    { i = int((NR - 1) / n) + 1; if (!(i in a) || $1 < a[i]) a[i] = $1 }
	    END { for (i = 1; i in c; i++) print c[i], a[i] }' "$RDIR/times"
}

rtt_run "$DELAY_MS" "rm ms" >"$B/rtd"
for c in rm ms; do
	put "rtt-$c" "$(awk -v c=$c -v d="$DELAY_MS" '$1 == c {
	    printf "%d", $2 * 1000 / d }' "$B/rtd")"
done

# The same relay also offering CHUNKING (RFC 3030): BDAT needs no 354, so
# relaymail's whole transaction is one write and one wait. msmtp does not
# use CHUNKING: only relaymail's row is measured.
echo "cap CHUNKING" >"$B/chunking"
rtt_run "$DELAY_MS" rm "$B/chunking" >"$B/rtd"
put "rttc-rm" "$(awk -v d="$DELAY_MS" '$1 == "rm" {
    printf "%d", $2 * 1000 / d }' "$B/rtd")"
relay "w-chunking" 1 "$B/w-chunking.tr" "$B/chunking"
"$RELAYMAIL" -C "$B/rm.conf" rcpt@example.com <"$B/small" >"$B/out" 2>&1 ||
    die "relaymail failed with CHUNKING: $(cat "$B/out")"
relay_wait
cmp -s "$RDIR/msg" "$B/ref-small" ||
    die "relaymail sent different bytes with CHUNKING"
put "writesc-rm-small" "$(chunks "$B/w-chunking.tr")"

# --- (b) N sequential sends: wall time, and the client's CPU time ---
# Each send is a new process, connection, TLS handshake and AUTH, as when
# cron or a script calls sendmail. run.pl times each send; the median
# keeps a busy machine's spikes out, and the children's CPU time is
# summed. The relay keeps no transcript here, so its logging does not
# weigh on the client that writes more records.
cat >"$B/run.pl" <<'EOP'
use strict;
use warnings;
use Time::HiRes qw(time);

my ($n, $msg, @cmd) = @ARGV;
my @t;
open(STDOUT, '>', '/dev/null') or die;
for (1 .. $n) {
	open(STDIN, '<', $msg) or die "$msg: $!";
	my $t0 = time;
	system(@cmd, 'rcpt@example.com') == 0 or exit 1;
	push @t, time - $t0;
}
@t = sort { $a <=> $b } @t;
my $med = $n % 2 ? $t[$n / 2] : ($t[$n / 2 - 1] + $t[$n / 2]) / 2;
my (undef, undef, $cu, $cs) = times;
printf STDERR "%.6f %.6f\n", $med, ($cu + $cs) / $n;
EOP

timed() {	# timed CLIENT MSG N
	c=$1 m=$2 n=$3
	relay "t-$c-$m" "$n" /dev/null
	eval "set -- $(client "$c")"
	perl "$B/run.pl" "$n" "$B/$m" "$@" 2>"$B/times" ||
	    die "$c failed during the timed $m sends: $(cat "$B/times")"
	relay_wait
	# Every message arrived, byte for byte the one of the first phase.
	i=1
	while [ $i -le "$n" ]; do
		f=$RDIR/msg
		[ $i = 1 ] || f=$RDIR/msg.$i
		cmp -s "$f" "$B/ref-$m" || die "$c: timed $m message $i differs"
		i=$((i + 1))
	done
	# shellcheck disable=SC2046 # median and CPU seconds
	set -- $(cat "$B/times")
	put "wall-$c-$m" "$(awk -v t="$1" 'BEGIN { printf "%.1f", t * 1000 }')"
	put "cpu-$c-$m" "$(awk -v t="$2" 'BEGIN { printf "%.1f", t * 1000 }')"
	put "mbs-$c-$m" "$(awk -v t="$1" -v s="$(wc -c <"$B/$m")" \
	    'BEGIN { printf "%.0f", s / 1048576 / t }')"
	rm -rf "$RDIR"
}
for m in small big; do
	n=$N_SMALL
	[ $m = small ] || n=$N_BIG
	for c in rm ms; do
		timed "$c" "$m" "$n"
	done
done

# --- (d) instructions for one small send (callgrind, all threads) ---
if [ $HAVE_VG = 1 ]; then
	relay cg 2 /dev/null
	for c in rm ms; do
		eval "set -- $(client "$c")"
		valgrind -q --tool=callgrind --callgrind-out-file="$B/cg.$c" \
		    "$@" rcpt@example.com <"$B/small" >"$B/out" 2>&1 ||
		    die "$c failed under callgrind: $(cat "$B/out")"
		put "ir-$c" "$(awk '/^(summary|totals):/ { v = $2 } END {
		    printf "%.1f", v / 1e6 }' "$B/cg.$c")"
	done
	relay_wait
else
	echo "bench: valgrind missing; instruction counts not measured"
fi

# irun KEY CMD...: instructions (millions) of one small send by CMD,
# under the environment in IRENV (assignments for env(1)).
irun() {
	ik=$1
	shift
	# shellcheck disable=SC2086 # IRENV is a list of assignments
	env $IRENV valgrind -q --tool=callgrind \
	    --callgrind-out-file="$B/cg.$ik" "$@" rcpt@example.com \
	    <"$B/small" >"$B/out" 2>&1 || die "$ik failed under callgrind: $(cat "$B/out")"
	put "$ik" "$(awk '/^(summary|totals):/ { v = $2 } END {
	    printf "%.1f", v / 1e6 }' "$B/cg.$ik")"
}
IRENV=

# cpurun KEY N CMD...: wall (median) and CPU ms per small send.
cpurun() {
	ck=$1 cn=$2
	shift 2
	perl "$B/run.pl" "$cn" "$B/small" "$@" 2>"$B/times" ||
	    die "$ck: timed sends failed: $(cat "$B/times")"
	# shellcheck disable=SC2046 # median and CPU seconds
	set -- $(cat "$B/times")
	put "wall-$ck" "$(awk -v t="$1" 'BEGIN { printf "%.1f", t * 1000 }')"
	put "cpu-$ck" "$(awk -v t="$2" 'BEGIN { printf "%.1f", t * 1000 }')"
}

# --- (e) the system trust store ---
N_SYS=${N_SYS:-20}
cat /etc/ssl/certs/ca-certificates.crt "$CERTS/ca.pem" >"$B/bundle.pem" \
    2>/dev/null
NCA=$(grep -c 'BEGIN CERTIFICATE' "$B/bundle.pem")
relay sys $((2 * N_SYS + 1 + 3 * HAVE_VG)) /dev/null
sed -e '/^tls_ca_file/d' -e "s|^queue_dir.*|queue_dir = $B/sysq|" \
    "$B/rm.conf" >"$B/rm-sys.conf"
sed -e '/^tls_ca_file/d' -e '/^queue_dir/d' "$B/rm.conf" >"$B/rm-nostate.conf"
sed -e "s|^tls_trust_file.*|tls_trust_file $B/bundle.pem|" "$B/ms.conf" \
    >"$B/ms-sys.conf"
export RELAYMAIL_SYSTEM_TRUST="$B/bundle.pem"
"$RELAYMAIL" -C "$B/rm-sys.conf" rcpt@example.com <"$B/small" >"$B/out" 2>&1 ||
    die "relaymail with the system store failed: $(cat "$B/out")"
[ -s "$B/sysq/tls/trust-index" ] || die "no trust index was written"
if [ $HAVE_VG = 1 ]; then
	irun ir-sys-rm "$RELAYMAIL" -C "$B/rm-sys.conf"
	IRENV="-u XDG_STATE_HOME HOME=/nonexistent"
	irun ir-sysfirst-rm "$RELAYMAIL" -C "$B/rm-nostate.conf"
	IRENV=
	irun ir-sys-ms msmtp -C "$B/ms-sys.conf"
	put ir-ca-rm "$(get ir-rm)"
	put ir-ca-ms "$(get ir-ms)"
fi
cpurun sys-rm "$N_SYS" "$RELAYMAIL" -C "$B/rm-sys.conf"
cpurun sys-ms "$N_SYS" msmtp -C "$B/ms-sys.conf"
relay_wait
unset RELAYMAIL_SYSTEM_TRUST

# --- (f) a resumed TLS session (the CA file) ---
relay res $((2 + HAVE_VG)) "$B/res.tr"
sed -e '/^tls_session_cache/d' -e "s|^queue_dir.*|queue_dir = $B/resq|" \
    "$B/rm.conf" >"$B/rm-res.conf"
"$RELAYMAIL" -C "$B/rm-res.conf" rcpt@example.com <"$B/small" >"$B/out" 2>&1 ||
    die "relaymail failed storing a session: $(cat "$B/out")"
"$RELAYMAIL" -C "$B/rm-res.conf" rcpt@example.com <"$B/small" >"$B/out" 2>&1 ||
    die "relaymail failed resuming: $(cat "$B/out")"
[ $HAVE_VG = 0 ] || irun ir-res-rm "$RELAYMAIL" -C "$B/rm-res.conf"
relay_wait
nres=$(grep -c '^--- tls resumed' "$B/res.tr")
[ "$nres" -ge 1 ] || die "the second send did not resume"
# Timed against a relay without a transcript (as in (b)); its first send
# gets a new ticket, the others resume.
relay res2 "$N_SMALL" /dev/null
sed -e '/^tls_session_cache/d' -e "s|^queue_dir.*|queue_dir = $B/resq|" \
    "$B/rm.conf" >"$B/rm-res.conf"
cpurun res-rm "$N_SMALL" "$RELAYMAIL" -C "$B/rm-res.conf"
relay_wait

# --- (g) a queue flush: N_QUEUE messages, one session ---
relay q 1 "$B/q.tr"
sed -e 's/^queue = never/queue = always/' \
    -e "s|^queue_dir.*|queue_dir = $B/qq|" "$B/rm.conf" >"$B/rm-q.conf"
i=0
while [ $i -lt "$N_QUEUE" ]; do
	"$RELAYMAIL" -C "$B/rm-q.conf" rcpt@example.com <"$B/small" \
	    >/dev/null 2>&1 || die "queueing message $i failed"
	i=$((i + 1))
done
/usr/bin/time -f '%e %U %S %M' -o "$B/qtime" "$RELAYMAIL" -C "$B/rm-q.conf" \
    -q >"$B/out" 2>&1 || die "the queue run failed: $(cat "$B/out")"
relay_wait
nq=$(grep -c '^--- message [0-9]* complete' "$B/q.tr")
[ "$nq" = "$N_QUEUE" ] || die "queue run delivered $nq of $N_QUEUE"
[ "$(grep -c '^=== connection' "$B/q.tr")" = 1 ] ||
    die "queue run used more than one connection"
# shellcheck disable=SC2046 # wall, user, system seconds, RSS
set -- $(tail -1 "$B/qtime")
put qwall-rm "$(awk -v t="$1" 'BEGIN { printf "%.0f", t * 1000 }')"
put qrate-rm "$(awk -v t="$1" -v n="$N_QUEUE" 'BEGIN { printf "%.0f", n / t }')"
put qcpu-rm "$(awk -v u="$2" -v s="$3" -v n="$N_QUEUE" \
    'BEGIN { printf "%.2f", (u + s) * 1000 / n }')"
put qrss-rm "$4"
rm -rf "$B/qq" "$B/q"

# --- (h) a THRU_MB body: throughput and RSS, and the sink's ceiling ---
{ hdrs thru; head -c $((THRU_MB * 1024 * 1024 * 3 / 4)) /dev/urandom |
    base64 -w 76; } >"$B/thru"
THRU_BYTES=$(wc -c <"$B/thru")
# testrelay's SIZE (50 MB) raised above the body.
printf 'nocap SIZE\ncap SIZE %s\n' $((THRU_MB * 2 * 1048576)) >"$B/bigsize"
thru() {	# thru CLIENT
	tc=$1
	relay "thru-$tc" 1 /dev/null "$B/bigsize"
	eval "set -- $(client "$tc")"
	/usr/bin/time -f '%e %M' -o "$B/ttime" "$@" rcpt@example.com \
	    <"$B/thru" >"$B/out" 2>&1 ||
	    die "$tc: $THRU_MB MB send failed: $(head -c 300 "$B/out")"
	relay_wait
	[ -f "$RDIR/msg" ] || die "the $THRU_MB MB message did not arrive"
	rm -rf "$RDIR"
}
for c in rm ms; do
	thru "$c"
	# shellcheck disable=SC2046 # seconds and RSS
	set -- $(tail -1 "$B/ttime")
	put "thru-$c" "$(awk -v t="$1" -v s="$THRU_BYTES" \
	    'BEGIN { printf "%.0f", s / 1048576 / t }')"
	put "thrurss-$c" "$2"
done
# The ceiling: the whole session, the body already CRLF and dot-safe,
# pushed by openssl s_client (16 KB records; it waits for the relay to
# close after QUIT) as fast as it can write: what the sink can take.
# It writes every command at once, EHLO's reply unseen: the relay is told
# to take that (lax-sync) instead of dropping the connection.
if command -v openssl >/dev/null 2>&1; then
	{ cat "$B/bigsize"; echo lax-sync; } >"$B/bigsize-lax"
	relay ceiling 1 /dev/null "$B/bigsize-lax"
	{ printf 'EHLO bench.example.com\r\n'
	  printf 'AUTH PLAIN %s\r\n' "$(printf '\0%s\0%s' "$USER_NAME" \
	      "$PASSWORD" | base64 -w0)"
	  printf 'MAIL FROM:<sender@example.com>\r\n'
	  printf 'RCPT TO:<rcpt@example.com>\r\nDATA\r\n'
	  sed 's/$/\r/' "$B/thru"
	  printf '.\r\nQUIT\r\n'; } >"$B/session"
	t0=$(date +%s%N)
	timeout 120 openssl s_client -connect "127.0.0.1:$RPORT" -quiet \
	    -CAfile "$CERTS/ca.pem" <"$B/session" >"$B/out" 2>&1
	t1=$(date +%s%N)
	relay_wait
	[ -f "$RDIR/msg" ] && put thru-sink "$(awk -v t="$((t1 - t0))" \
	    -v s="$THRU_BYTES" 'BEGIN { printf "%.0f", s / 1048576 / (t / 1e9) }')"
	rm -f "$B/session"
fi

# --- the table ---
row() {	# row LABEL KEY [MESSAGE]: the "KEY-rm[-MESSAGE]" and -ms values
	printf '%-44s %12s %12s\n' "$1" "$(get "$2-rm${3:+-$3}")" \
	    "$(get "$2-ms${3:+-$3}")"
}
printf '\n%-44s %12s %12s\n' "implicit TLS + AUTH PLAIN, loopback" \
    relaymail msmtp
row "small message ($(wc -c <"$B/small") B): TLS records sent" writes small
row "  round trips (waits for the server)" rtt
row "  with CHUNKING offered: TLS records sent" writesc small
row "  with CHUNKING offered: round trips" rttc
row "  wall ms per message (median of $N_SMALL)" wall small
row "  client CPU ms per message" cpu small
row "  peak RSS KB" rss small
row "  instructions, millions (callgrind)" ir
row "$BIG_MB MB message: TLS records sent" writes big
row "  wall ms per message (median of $N_BIG)" wall big
row "  throughput MB/s" mbs big
row "  client CPU ms per message" cpu big
row "  peak RSS KB" rss big
printf '%-44s %12s %12s\n' "system trust store ($NCA CAs)" "" ""
row "  instructions, millions: CA file" ir-ca
row "  instructions, millions: system store" ir-sys
printf '%-44s %12s %12s\n' \
    "    first send, no state directory" "$(get ir-sysfirst-rm)" "-"
row "  client CPU ms per message (median of $N_SYS)" cpu-sys
row "  wall ms per message" wall-sys
printf '%-44s %12s %12s\n' "resumed TLS session (CA file)" "" ""
printf '%-44s %12s %12s\n' "  instructions, millions" "$(get ir-res-rm)" "-"
printf '%-44s %12s %12s\n' "  client CPU ms per message" "$(get cpu-res-rm)" "-"
printf '%-44s %12s %12s\n' "  wall ms per message" "$(get wall-res-rm)" "-"
printf '%-44s %12s %12s\n' "queue flush, $N_QUEUE messages, one session" "" ""
printf '%-44s %12s %12s\n' "  wall ms, all of them" "$(get qwall-rm)" "-"
printf '%-44s %12s %12s\n' "  messages per second" "$(get qrate-rm)" "-"
printf '%-44s %12s %12s\n' "  client CPU ms per message" "$(get qcpu-rm)" "-"
printf '%-44s %12s %12s\n' "  peak RSS KB" "$(get qrss-rm)" "-"
printf '%-44s %12s %12s\n' "$THRU_MB MB body (sink ceiling $(get thru-sink) MiB/s)" "" ""
row "  MiB/s" thru
row "  peak RSS KB" thrurss
