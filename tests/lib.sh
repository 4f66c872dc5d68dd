# tests/lib.sh - sourced (by bash) by every tests/scenario/*.sh group.
#
# One case is:
#	t_begin "what it shows"
#	script <<EOF ... EOF		# testrelay script (optional)
#	relay_start implicit		# plain | implicit | starttls [args]
#	conf timeout=3			# config for ./relaymail, overrides
#	msg_default			# or: msg <<EOF ... EOF
#	send rcpt@example.com		# runs ./relaymail -C config ARGS <msg
#	expect_rc 0; expect_msg "$T/expected"; ...
#	t_end
# t_end prints one line per case ("ok - ..." / "FAIL - ..."); t_finish
# exits non-zero when any case failed. The relay is always stopped: at
# t_end, and by the EXIT trap for anything still running.
# Env: VALGRIND=1 runs relaymail under valgrind; KEEP=1 keeps tmp dirs.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RELAYMAIL=${RELAYMAIL:-$TOP/relaymail}
TESTRELAY=${TESTRELAY:-$TOP/tests/relay/testrelay}
TMPROOT=$TOP/tests/tmp
CERTS=$TMPROOT/certs
PASSWORD='pw-Xq7!z9 s3cret'
TUSER=tester@example.com
GROUP=$(basename "$0" .sh)
GROUPDIR=$TMPROOT/$GROUP.$$
NCASE=0

mkdir -p "$GROUPDIR"
: >"$GROUPDIR/pids"
: >"$GROUPDIR/results"
sh "$TOP/tests/certs.sh" "$CERTS" || { echo "certs.sh failed"; exit 1; }

lib_cleanup() {
	local p
	while read -r p; do
		kill "$p" 2>/dev/null
	done <"$GROUPDIR/pids"
	if [ -z "${KEEP:-}" ] && ! grep -q '^FAIL' "$GROUPDIR/results"; then
		rm -rf "$GROUPDIR"
	fi
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM

# valgrind for VALGRIND=1. --run-libc-freeres=no: glibc's own exit-time
# cleanup of the getaddrinfo_a helper thread (free_res) trips memcheck
# with a false "uninitialised value" on Debian 12; relaymail's leaks are
# still checked (definite leaks are errors).
VG=(valgrind --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --run-libc-freeres=no -q)

# Slack for timing assertions when relaymail runs under valgrind.
if [ -n "${VALGRIND:-}" ]; then SLACK=4; else SLACK=0; fi

t_begin() {
	NCASE=$((NCASE + 1))
	CASE=$1
	T=$GROUPDIR/$NCASE
	rm -rf "$T"
	mkdir -p "$T"
	CASE_FAIL=
	RELAY_PID=
	RELAY_PORT=
	RELAY_MODE=plain
	RC=
}

script() { cat >"$T/script"; }

# wait_port FILE: waits (up to 5 s) for a testrelay to write its port to
# FILE and prints it (nothing when it never did).
wait_port() {
	local i
	for i in $(seq 100); do
		[ -s "$1" ] && break
		sleep 0.05
	done
	cat "$1" 2>/dev/null
}

# relay_spawn VAR WHAT DIR SCRIPT MODE [testrelay args]: a testrelay
# keeping its files (port, transcript, msg, leak, relay.err) in DIR,
# killed at exit; sets ${VAR}_PID and ${VAR}_PORT, and fails the case
# ("WHAT did not start") when it has no port. CERT=name picks
# $CERTS/name.pem.
relay_spawn() {
	local v=$1 what=$2 d=$3 s=$4 mode=$5 pid port
	shift 5
	[ -f "$s" ] || : >"$s"
	"$TESTRELAY" -M "$mode" -p "$d/port" -t "$d/transcript" -m "$d/msg" \
	    -s "$s" -x "$d/leak" -c "$CERTS/${CERT:-server}.pem" \
	    -k "$CERTS/${CERT:-server}-key.pem" -u "$TUSER" -w "$PASSWORD" \
	    -L "${RELAY_LIFETIME:-30}" -d "${DRIP_MS:-300}" "$@" \
	    2>"$d/relay.err" &
	pid=$!
	echo "$pid" >>"$GROUPDIR/pids"
	port=$(wait_port "$d/port")
	printf -v "${v}_PID" '%s' "$pid"
	printf -v "${v}_PORT" '%s' "$port"
	[ -n "$port" ] || fail "$what did not start: $(cat "$d/relay.err")"
}

# relay_kill VAR: stops the testrelay whose pid is in ${VAR}_PID.
relay_kill() {
	local v=${1}_PID
	[ -n "${!v:-}" ] || return 0
	kill "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
	printf -v "$v" '%s' ''
}

# relay_start MODE [testrelay args]: the case's relay, files in $T.
relay_start() {
	RELAY_MODE=$1
	relay_spawn RELAY testrelay "$T" "$T/script" "$@"
}

relay_stop() { relay_kill RELAY; }

# conf [key=value ...]: the account config, mode 0600; "key=" drops a key.
conf() {
	local tls kv k
	case $RELAY_MODE in
	plain) tls=none ;;
	*) tls=$RELAY_MODE ;;
	esac
	declare -gA CONF=()
	CONF_KEYS=(host port tls tls_ca_file user password from timeout log
	    queue queue_dir)
	CONF=([host]=127.0.0.1 [port]=${RELAY_PORT:-1} [tls]=$tls
	    [tls_ca_file]=$CERTS/ca.pem [user]=$TUSER [password]=$PASSWORD
	    [from]=sender@example.com [timeout]=2 [log]=none [queue]=never
	    [queue_dir]=$T/queue)
	for kv in "$@"; do
		k=${kv%%=*}
		[ -n "${CONF[$k]+x}" ] || CONF_KEYS+=("$k")
		CONF[$k]=${kv#*=}
	done
	{
		echo "default = test"
		echo "[test]"
		for k in "${CONF_KEYS[@]}"; do
			[ -n "${CONF[$k]}" ] && echo "$k = ${CONF[$k]}"
		done
	} >"$T/config"
	chmod 600 "$T/config"
}

msg() { cat >"$T/in"; }

# A message that already has From, Date and Message-ID, so what the relay
# must receive is fully known: $T/expected.
msg_default() {
	msg <<-'EOM'
	From: Sender <sender@example.com>
	To: rcpt@example.com
	Subject: relaymail scenario
	Date: Mon, 01 Jan 2024 00:00:00 +0000
	Message-ID: <scenario@example.com>

	Hello.
	.leading dot
	Bye.
	EOM
	crlf <"$T/in" >"$T/expected"
}

# LF to CRLF, as relaymail must send every line.
crlf() { sed 's/\r$//; s/$/\r/'; }

# send [args]: runs relaymail with the case's config and message.
send() {
	local vg=() t0 t1
	[ -f "$T/config" ] || conf
	[ -e "$T/in" ] || msg_default
	[ -z "${VALGRIND:-}" ] || vg=("${VG[@]}")
	t0=$(date +%s%N)
	timeout 120 "${vg[@]}" "$RELAYMAIL" -C "$T/config" "$@" \
	    <"$T/in" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	t1=$(date +%s%N)
	ELAPSED_MS=$(((t1 - t0) / 1000000))
	SEND_END_NS=$t1
	# Let the relay finish writing what it received.
	relay_settle
}

# senders N [args]: N relaymail at once with the case's config and
# message (stderr of the I-th in $T/err.I); BAD: how many exited non-zero.
senders() {
	local i p n=$1 pids=()
	shift
	for i in $(seq "$n"); do
		"$RELAYMAIL" -C "$T/config" "$@" <"$T/in" >/dev/null \
		    2>"$T/err.$i" &
		pids+=("$!")
	done
	BAD=0
	for p in "${pids[@]}"; do
		wait "$p" || BAD=$((BAD + 1))
	done
}

# send_raw CMD...: like send but without -C (config/flags tests).
send_raw() {
	local vg=()
	[ -z "${VALGRIND:-}" ] || vg=("${VG[@]}")
	timeout 120 "${vg[@]}" "$RELAYMAIL" "$@" <"${T}/in" \
	    >"$T/stdout" 2>"$T/stderr"
	RC=$?
}

# Waits (up to 2 s) until the relay has finished every connection it
# accepted, so what it received is on disk.
relay_settle() {
	local i a b
	[ -n "$RELAY_PID" ] || return 0
	for i in $(seq 40); do
		kill -0 "$RELAY_PID" 2>/dev/null || break
		a=$(grep -c '^=== connection' "$T/transcript" 2>/dev/null)
		b=$(grep -c '^=== end of connection' "$T/transcript" 2>/dev/null)
		[ "${a:-0}" = "${b:-0}" ] && break
		sleep 0.05
	done
}

fail() { CASE_FAIL="$CASE_FAIL${CASE_FAIL:+; }$*"; }

expect_rc() {
	[ "$RC" = "$1" ] || fail "exit $RC, want $1 ($(head -c 300 "$T/stderr" | tr '\n' ' '))"
}

# The relay got exactly these bytes (cmp).
expect_msg() {
	if [ ! -f "$T/msg" ]; then
		fail "relay received no message"
	elif ! cmp -s "$T/msg" "$1"; then
		fail "message differs: $(cmp "$T/msg" "$1" 2>&1 | head -1)"
	fi
}

# Compare with headers that relaymail generates filtered out.
expect_msg_filtered() {
	local re='^(Date|Message-ID|From):'
	if [ ! -f "$T/msg" ]; then
		fail "relay received no message"
		return
	fi
	grep -aviE "$re" "$T/msg" >"$T/msg.filtered"
	grep -aviE "$re" "$1" >"$T/exp.filtered"
	cmp -s "$T/msg.filtered" "$T/exp.filtered" ||
	    fail "message differs (generated headers ignored)"
}

expect_no_msg() {
	[ ! -f "$T/msg" ] || fail "relay received a message"
}

# Nothing past the envelope: no MAIL FROM reached the relay.
expect_no_mail() {
	grep -qai '^C: MAIL FROM' "$T/transcript" 2>/dev/null &&
	    fail "relay received MAIL FROM"
	expect_no_msg
}

# After an AUTH failure: MAIL may have been pipelined in the same write as
# AUTH (RFC 4954 §4, RFC 2920), but none was sent after the failure was
# known, none was accepted, and no message arrived.
expect_no_mail_after_auth() {
	awk '/^--- auth failed/ {f = 1} f && /^C: MAIL FROM/ {bad = 1}
	    END {exit bad}' "$T/transcript" 2>/dev/null ||
	    fail "MAIL sent after the AUTH failure"
	grep -qa '^S: 250 2\.1\.0' "$T/transcript" 2>/dev/null &&
	    fail "relay accepted a MAIL"
	expect_no_msg
}

expect_tr() {
	grep -qaE "$1" "$T/transcript" 2>/dev/null ||
	    fail "transcript lacks /$1/"
}

expect_no_tr() {
	grep -qaE "$1" "$T/transcript" 2>/dev/null &&
	    fail "transcript has /$1/"
	return 0
}

expect_err() {
	grep -qaiE "$1" "$T/stderr" || fail "stderr lacks /$1/"
}

expect_no_connect() {
	grep -qa '^=== connection' "$T/transcript" 2>/dev/null &&
	    fail "relaymail connected to the relay"
	return 0
}

# tr_t RE [first|last]: the t= (ms since the relay started) of the first
# or last transcript event matching RE; empty when there is none.
tr_t() {
	local sel=1
	[ "${2:-first}" = last ] && sel='$'
	grep -aE "$1" "$T/transcript" 2>/dev/null | sed -n "${sel}p" |
	    sed -n 's/.* t=\([0-9][0-9]*\)$/\1/p'
}

# expect_waited FROM_RE TO_RE MIN_MS MAX_MS: the relay saw between its
# first FROM event and its last TO event (timestamps of the test relay,
# so neither valgrind's start-up nor a TLS handshake on a busy machine
# counts) at least MIN_MS and at most MAX_MS. This bounds the interval a
# deadline governs; a missing deadline shows as no TO event (the relay's
# lifetime ended first) or a far longer wait.
expect_waited() {
	local a b
	a=$(tr_t "$1" first)
	b=$(tr_t "$2" last)
	if [ -z "$a" ] || [ -z "$b" ]; then
		fail "relay saw no /$1/ ... /$2/ (a deadline that never fired?)"
		return
	fi
	[ $((b - a)) -ge "$3" ] && [ $((b - a)) -le "$4" ] ||
	    fail "relay waited $((b - a)) ms from /$1/ to /$2/, want $3..$4 ms"
}

# Returned within N seconds (plus slack under valgrind): only for what
# no deadline governs and with a margin far above valgrind's start-up
# (the deadline a bug would wait out should be far longer than N).
expect_fast() {
	[ "$ELAPSED_MS" -lt $((($1 + SLACK) * 1000)) ] ||
	    fail "took ${ELAPSED_MS} ms, want < $1 s"
}

expect_no_leak() {
	[ ! -f "$T/leak" ] || fail "password crossed in plaintext"
	# Also by hand: no plaintext chunk holds the password or its base64.
	awk '/^--- read .* tls$/ {p = 0} /^--- read .* plain$/ {p = 1}
	    p && /^C/ {print}' "$T/transcript" >"$T/plain-chunks" 2>/dev/null
	if grep -qaF -- "$PASSWORD" "$T/plain-chunks" ||
	    grep -qaF -- "$(printf '%s' "$PASSWORD" | base64 -w0)" \
	    "$T/plain-chunks" ||
	    grep -qaF -- "$(printf '\0%s\0%s' "$TUSER" "$PASSWORD" |
	    base64 -w0)" "$T/plain-chunks"; then
		fail "password found in a plaintext chunk"
	fi
}

# expect_chunk RE...: one single client read holds lines matching every RE.
expect_chunk() {
	awk -v n=$# -v res="$(printf '%s\n' "$@")" '
	BEGIN { split(res, re, "\n") }
	function check() { if (cnt == n) found = 1 }
	/^--- read / { check(); delete seen; cnt = 0; next }
	/^(---|===|S:)/ { check(); delete seen; cnt = 0; next }
	/^C/ { for (i = 1; i <= n; i++)
		if (!(i in seen) && $0 ~ re[i]) { seen[i] = 1; cnt++ } }
	END { check(); exit found ? 0 : 1 }' "$T/transcript" ||
	    fail "no single read holds: $*"
}

expect_valgrind_clean() {
	[ "$RC" != 99 ] || fail "valgrind reported errors"
}

t_end() {
	local line
	relay_stop
	[ -z "${VALGRIND:-}" ] || expect_valgrind_clean
	if [ -z "$CASE_FAIL" ]; then
		line="ok - $GROUP: $CASE"
	else
		line="FAIL - $GROUP: $CASE: $CASE_FAIL (see $T)"
	fi
	echo "$line"
	echo "$line" >>"$GROUPDIR/results"
}

t_skip() {
	echo "skip - $GROUP: $1: $2"
	echo "skip - $1" >>"$GROUPDIR/results"
}

# t_parallel FUNC ARGS...: runs a case function in the background (for
# cases that wait out a timeout); t_wait collects them in order.
PAR=()
t_parallel() {
	local n=${#PAR[@]}
	( NCASE=$(( (NCASE + 1) * 1000 + n )); "$@" ) \
	    >"$GROUPDIR/par.$n" 2>&1 &
	PAR+=("$!")
}

t_wait() {
	local i
	for i in "${!PAR[@]}"; do
		wait "${PAR[$i]}"
		cat "$GROUPDIR/par.$i"
		rm -f "$GROUPDIR/par.$i"
	done
	PAR=()
}

t_finish() {
	local ok bad skip
	ok=$(grep -c '^ok' "$GROUPDIR/results")
	bad=$(grep -c '^FAIL' "$GROUPDIR/results")
	skip=$(grep -c '^skip' "$GROUPDIR/results")
	echo "# $GROUP: $ok passed, $bad failed, $skip skipped"
	[ "$bad" = 0 ]
	exit $?
}
