#!/bin/bash
# Diagnostics (relaymail(8)): --dry-run prints the decisions and
# connects to nothing; --probe[=ACCOUNT] does TLS and AUTH, prints what
# it learnt and sends no MAIL, exiting as a send would; --check-config
# reports every problem with file:line and exits 0 or 78.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-accounts.sh"

# diag_conf: main (default) and work, maildomain and aliases inherited.
diag_conf() {
	printf 'root: admin@x.example\n' >"$T/aliases"
	mconf <<-EOF
	$(names_head)
	$({ relay_keys; printf 'host = 127.0.0.1, localhost\n';
	    printf 'from = main@example.com\nfallback = work\n';
	    printf '%s\n' "$@"; } | last_wins)
	[work]
	$(relay_keys)
	domain = acct-work.test
	auth = login
	match_from = *@work.example
	EOF
}

cron_msg() {
	msg <<-'EOM'
	To: root (Cron Daemon)
	Cc: Ops <ops>
	Bcc: secret-copy@example.com
	Subject: Cron <root@vm> backup

	done
	EOM
}

# The headers part of --dry-run output, unindented.
dry_headers() {
	sed -n '/^headers:/,$p' "$T/stdout" | sed '1d; s/^  //'
}

t_begin "--dry-run: account and why, relays, TLS/AUTH plan, envelope, headers; no connection"
relay_start implicit
diag_conf
cron_msg
send --dry-run -f root root
expect_rc 0
expect_no_connect
expect_no_mail
expect_out '^account: main \(.*default.*\)$'
expect_out "^relays: 127\\.0\\.0\\.1 port $RELAY_PORT, localhost port $RELAY_PORT\$"
expect_out '^fallback: work$'
expect_out '^tls: implicit.*verify on.*CA file .*/ca\.pem'
expect_out "^auth: auto as $(re_esc "$TUSER") \\(password from the config\\)\$"
expect_out '^maildomain: host\.example$'
expect_out '^envelope sender: <root@host\.example>$'
expect_out '^recipient: <admin@x\.example>$'
[ "$(grep -c '^recipient:' "$T/stdout")" = 1 ] || fail "not one recipient"
dry_headers >"$T/hdrs"
grep -qx 'To: root@host.example (Cron Daemon)' "$T/hdrs" ||
    fail "To not qualified with the comment kept"
grep -qx 'Cc: Ops <ops@host.example>' "$T/hdrs" || fail "Cc not qualified"
grep -qx 'Subject: Cron <root@vm> backup' "$T/hdrs" || fail "Subject changed"
grep -qE '^From: .*root@host\.example' "$T/hdrs" || fail "no From added"
grep -qE '^Date: [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} 20[0-9]{2} ' \
    "$T/hdrs" || fail "no Date added"
grep -qE '^Message-ID: <[^@ ]+@[^> ]+>$' "$T/hdrs" ||
    fail "no Message-ID added"
grep -qi '^Bcc:' "$T/hdrs" && fail "Bcc still in the headers"
expect_no_out 'secret-copy'
expect_no_out "$(re_esc "$PASSWORD")"
t_end

t_begin "--dry-run: match_from reason, the account's AUTH plan"
relay_start implicit
diag_conf
cron_msg
send --dry-run -f boss+x@work.example someone@example.com
expect_rc 0
expect_no_connect
expect_out '^account: work \(.*boss\+x@work\.example.*\*@work\.example.*\)$'
expect_out "^auth: login as $(re_esc "$TUSER")"
expect_out '^envelope sender: <boss\+x@work\.example>$'
expect_out '^recipient: <someone@example\.com>$'
t_end

t_begin "--dry-run: -a reason; -t recipients with Bcc; nothing to a dead relay"
relay_start implicit
diag_conf "port = $(dead_port)"
cron_msg
send --dry-run -a main -t
expect_rc 0
expect_out '^account: main \(.*-a.*\)$'
for r in admin@x.example ops@host.example secret-copy@example.com; do
	expect_out "^recipient: <$(re_esc "$r")>\$"
done
dry_headers | grep -qi '^Bcc:' && fail "Bcc still in the headers"
t_end

t_begin "--dry-run runs no password_command"
relay_start implicit
diag_conf "password = " \
    "password_command = touch $T/ran; echo $PASSWORD"
sed -i '/^password = *$/d' "$T/config"
cron_msg
send --dry-run root
expect_rc 0
expect_out 'password from password_command'
[ ! -e "$T/ran" ] || fail "password_command ran under --dry-run"
expect_no_connect
t_end

# Facts about the test certificate, from certtool, to compare with what
# --probe prints.
cert_sha256() {
	certtool -i --infile "$CERTS/server.pem" 2>/dev/null |
	    sed -n 's/^[[:space:]]*sha256:\([0-9a-f]*\)$/\1/p' | head -1 |
	    tr a-f A-F | sed 's/../&:/g; s/:$//'
}

cert_days() {
	local na
	na=$(certtool -i --infile "$CERTS/server.pem" 2>/dev/null |
	    sed -n 's/^[[:space:]]*Not After: //p')
	echo $((($(date -u -d "$na" +%s) - $(date -u +%s)) / 86400))
}

probe_checks() {	# mode
	expect_rc 0
	expect_out '^account: main \('
	expect_out '^capabilities:'
	expect_out '^  PIPELINING$'
	expect_out '^  AUTH PLAIN LOGIN CRAM-MD5$'
	expect_out '^TLS: TLS1\.[23], \S+'
	expect_out '^certificate subject: CN=server$'
	expect_out '^certificate issuer: CN=relaymail test CA$'
	expect_out "^certificate SHA-256: $(cert_sha256)\$"
	d=$(cert_days)
	grep -qE "^certificate expires in ($d|$((d + 1))) days" \
	    "$T/stdout" || fail "expiry not $d days: $(grep expires "$T/stdout")"
	expect_out '^AUTH: (PLAIN|LOGIN|CRAM-MD5)'
	expect_tr '^--- auth ok'
	expect_no_mail
	expect_no_tr '^C: (RCPT|DATA)'
	expect_no_out "$(re_esc "$PASSWORD")"
	expect_no_leak
}

for mode in implicit starttls; do
	t_begin "--probe over $mode: capabilities, TLS, certificate, AUTH; no MAIL"
	relay_start "$mode"
	diag_conf
	send --probe
	probe_checks "$mode"
	[ "$mode" = starttls ] && expect_tr '^C: STARTTLS'
	t_end
done

t_begin "--probe=work probes that account (its AUTH mechanism)"
relay_start implicit
diag_conf
send --probe=work
expect_rc 0
expect_out '^account: work \('
expect_out '^AUTH: LOGIN'
expect_tr '^C: EHLO acct-work\.test'
expect_tr '^--- auth ok mech=LOGIN'
expect_no_mail
t_end

t_begin "--probe with a wrong password -> 77, no MAIL"
relay_start implicit
diag_conf "password = not-the-password"
send --probe
expect_rc 77
expect_tr '^--- auth failed'
expect_no_mail
t_end

t_begin "--probe against an untrusted certificate -> 69, no AUTH"
CERT=unknown relay_start implicit
diag_conf
send --probe
expect_rc 69
expect_no_tr '^C: AUTH'
expect_no_mail
expect_no_leak
t_end

t_begin "--probe to a closed port -> 75"
relay_start implicit
diag_conf "host = 127.0.0.1" "port = $(dead_port)"
send --probe
expect_rc 75
t_end

t_begin "--probe=nosuch -> 78, no connection"
relay_start implicit
diag_conf
send --probe=nosuch
expect_rc 78
expect_no_connect
t_end

t_begin "--check-config on a good config -> 0, OK"
relay_start implicit
diag_conf
send --check-config
expect_rc 0
expect_out "^$(re_esc "$T/config"): OK"
expect_no_connect
t_end

t_begin "--check-config prints every problem with file:line -> 78"
relay_start implicit
mconf <<-EOF
	default = main
	[main]
	$(relay_keys)
	colour = blue
	[second]
	port = 99999
	tls = sometimes
	user = $TUSER
	password = $PASSWORD
EOF
send --check-config
expect_rc 78
cf=$(re_esc "$T/config")
line() { grep -n -- "$1" "$T/config" | head -1 | cut -d: -f1; }
expect_out "^$cf:$(line '^colour').*(unknown|colour)"
expect_out "^$cf:$(line '^port = 99999').*port"
expect_out "^$cf:$(line '^tls = sometimes').*tls"
expect_out "^$cf:$(line '^\[second\]').*host"
expect_no_out "$(re_esc "$PASSWORD")"
expect_no_connect
t_end

t_begin "--check-config checks the aliases file it names (file:line) -> 78"
relay_start implicit
diag_conf
printf '# aliases\nroot: admin@x.example\nbroken line without colon\n' \
    >"$T/aliases"
send --check-config
expect_rc 78
expect_out "^$(re_esc "$T/aliases"):3:"
expect_no_connect
t_end

t_begin "--check-config: a secret readable by others and a missing password_file"
relay_start implicit
diag_conf "password_file = $T/nonexistent"
sed -i '0,/^password = /{/^password = /d}' "$T/config"
chmod 644 "$T/config"
send --check-config
expect_rc 78
expect_out "^$(re_esc "$T/config"):[0-9]+: .*password.*(0644|others|group)"
expect_out "$(re_esc "$T/nonexistent")"
t_end

t_finish
