# tests/scenario/lib-accounts.sh - helpers for the groups whose configs
# have several accounts or relays (accounts, failover, diagnostics,
# secrets, setgid, personality), sourced after ../lib.sh. run-scenarios.sh skips lib*.sh files.
#
# A case with several accounts writes its whole config with mconf, using
# $(relay_keys) for the lines that reach the case's relay:
#	mconf <<-EOF
#	default = main
#	[main]
#	$(relay_keys)
#	domain = acct-main.test		; the EHLO name tells which account ran
#	EOF
# relay2_start starts a second testrelay (files in $T/r2, port in
# RELAY2_PORT) for a second account; s_end stops it and ends the case.

# mconf: the config from stdin, mode 0600 (it holds a password).
mconf() {
	cat >"$T/config"
	chmod 600 "$T/config"
}

# relay_keys [PORT]: host/port/TLS/AUTH lines for the case's relay (or
# for PORT), with the relay's test credentials and a short timeout.
relay_keys() {
	local tls=$RELAY_MODE
	[ "$tls" = plain ] && tls=none
	printf 'host = 127.0.0.1\nport = %s\ntls = %s\n' \
	    "${1:-${RELAY_PORT:-1}}" "$tls"
	printf 'tls_ca_file = %s\nuser = %s\npassword = %s\n' \
	    "$CERTS/ca.pem" "$TUSER" "$PASSWORD"
	printf 'timeout = 2\nqueue = never\nqueue_dir = %s\n' "$T/queue"
}

# names_head: a config's first lines up to its default account [main],
# with maildomain = host.example and aliases = $T/aliases in [defaults].
names_head() {
	printf 'default = main\n[defaults]\nmaildomain = host.example\n'
	printf 'aliases = %s\n[main]\n' "$T/aliases"
}

# last_wins: "key = value" lines from stdin, a later key replacing an
# earlier one in its place (one section's keys, each once).
last_wins() {
	awk -F' *= *' '/^[^#;\[]/ && NF > 1 {
		if (!($1 in v)) order[n++] = $1
		v[$1] = $0; next }
	{ order[n++] = "\001" NR; v["\001" NR] = $0 }
	END { for (i = 0; i < n; i++) print v[order[i]] }'
}

# relay2_start MODE [testrelay args]: a second relay; script in $T/script2.
relay2_start() {
	mkdir -p "$T/r2"
	relay_spawn RELAY2 "second testrelay" "$T/r2" "$T/script2" "$@"
}

relay2_stop() { relay_kill RELAY2; }

s_end() {
	relay2_stop
	t_end
}

# dead_port: a loopback TCP port nothing listens on (a relay that was
# started and stopped; the kernel answers RST to connections there).
dead_port() {
	local d=$T/dead pid
	mkdir -p "$d"
	"$TESTRELAY" -M plain -p "$d/port" -t "$d/tr" -m "$d/msg" -L 5 \
	    2>/dev/null &
	pid=$!
	wait_port "$d/port"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# expect_hdr RE: the message the relay received has a header line
# matching RE (case-sensitive, CRLF stripped; headers only).
expect_hdr() {
	[ -f "$T/msg" ] || { fail "relay received no message"; return; }
	sed -n '/^\r$/q; s/\r$//; p' "$T/msg" | grep -qaE -- "$1" ||
	    fail "received headers lack /$1/"
}

expect_no_hdr() {
	[ -f "$T/msg" ] || return 0
	sed -n '/^\r$/q; s/\r$//; p' "$T/msg" | grep -qaE -- "$1" &&
	    fail "received headers have /$1/"
	return 0
}

# expect_rcpts ADDR...: the relay got RCPT TO for exactly these, in any
# order.
expect_rcpts() {
	local got want
	got=$(sed -n 's/^C: RCPT TO:<\([^>]*\)>.*/\1/p' "$T/transcript" \
	    2>/dev/null | tr -d '\r' | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "RCPT TO: got [$got], want [$want]"
}

# re_esc STRING: STRING as an ERE matching itself.
re_esc() {
	printf '%s' "$1" | sed 's/[][\\.^$*+?(){}|/]/\\&/g'
}

expect_out() {
	grep -qaE -- "$1" "$T/stdout" || fail "stdout lacks /$1/"
}

expect_no_out() {
	grep -qaE -- "$1" "$T/stdout" && fail "stdout has /$1/"
	return 0
}

expect_no_err() {
	grep -qaE -- "$1" "$T/stderr" && fail "stderr has /$1/"
	return 0
}

# Connections testrelay accepted (0 when it never saw one).
relay_conns() {
	local n
	n=$(grep -c '^=== connection' "${1:-$T/transcript}" 2>/dev/null)
	echo "${n:-0}"
}
