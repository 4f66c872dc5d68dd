#!/bin/bash
# OAuth2 built in: --authorize (RFC 8628 device flow with its interval
# and slow_down rules; the code flow with PKCE, RFC 7636, and a loopback
# redirect, RFC 8252, or the redirected URL pasted on stdin), the token
# cache and its refresh (RFC 6749 §6, 60 s margin), refresh-once on a
# refused token (RFC 7628 §3.2.3), rotation under a lock (50 senders,
# kill -9 during the write), failure classes, and what -v, --probe,
# --dry-run, --check-config and --relay do with tokens. The provider is
# tests/oauth/provider.py on loopback with the test CA; testrelay -O
# checks the bearer tokens it issued.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-oauth.sh"

CLIENT_SECRET='cs-Hq2!secret'
# Generous: under valgrind an HTTPS request to the provider is slow.
if [ -n "${VALGRIND:-}" ]; then OTIMEOUT=30; else OTIMEOUT=10; fi

# prov_start [key=value ...]: the case's provider, control file set.
prov_start() {
	printf '%s\n' "$@" >"$T/control"
	prov_run 90
	[ -n "$PROV_PORT" ] || fail "provider did not start: $(cat "$T/prov.err")"
}
prov_set() { printf '%s\n' "$@" >"$T/control"; }
prov_stop() { kill "$PROV_PID" 2>/dev/null; wait "$PROV_PID" 2>/dev/null; }
# Requests of one grant type the provider received.
grants() { grep -c "\"grant_type\": \"$1\"" "$T/plog"; }

# orelay [testrelay args]: a relay that offers only the OAuth mechanisms.
orelay() {
	[ -f "$T/script" ] || printf 'nocap AUTH\ncap AUTH XOAUTH2 OAUTHBEARER\n' \
	    >"$T/script"
	relay_start implicit -O "$T/tokens" "$@"
}

# oconf [key=value ...]: an OAuth2 account (device flow endpoints).
oconf() {
	conf password= oauth_provider=custom oauth_client_id=relaymail-test \
	    "oauth_client_secret=$CLIENT_SECRET" \
	    "oauth_token_url=https://127.0.0.1:$PROV_PORT/token" \
	    "oauth_device_url=https://127.0.0.1:$PROV_PORT/device" \
	    "oauth_ca_file=$CERTS/ca.pem" "timeout=$OTIMEOUT" "$@"
}
TOKFILE() { echo "$T/queue/oauth/test"; }

# authorize: the device flow, approved at the first poll.
authorize() {
	timeout 60 "$RELAYMAIL" -C "$T/config" --authorize "$@" \
	    </dev/null >"$T/auth.out" 2>"$T/auth.err"
	AUTH_RC=$?
}
seed() {	# seed [expires_in]: provider, relay and a first token
	prov_start "expires_in=${1:-3600}" "${@:2}"
	msg_default
	orelay "${RELAY_ARGS[@]}"
	oconf "${OCONF[@]}"
	authorize
	[ "$AUTH_RC" = 0 ] || fail "--authorize exit $AUTH_RC: $(cat "$T/auth.err")"
	prov_set "${@:2}"
}
RELAY_ARGS=()
OCONF=()
case_end() { prov_stop; t_end; }

t_begin "--authorize: device flow, pending and slow_down obeyed, tokens stored 0600"
prov_start interval=1 device=pending,slow_down,approved
oconf
authorize
[ "$AUTH_RC" = 0 ] || fail "exit $AUTH_RC: $(cat "$T/auth.err")"
grep -q 'WDJB-MJHT' "$T/auth.out" || fail "user code not shown"
grep -q 'https://127.0.0.1/verify' "$T/auth.out" || fail "URI not shown"
grep -q 'account test: authorized' "$T/auth.out" || fail "no success line"
[ "$(grants urn:ietf:params:oauth:grant-type:device_code)" = 3 ] ||
    fail "want 3 polls"
# RFC 8628 §3.5: after slow_down the interval grows by 5 s (1 -> 6).
gap=$(grep device_code "$T/plog" | python3 -c '
import json, sys
t = [json.loads(l)["time"] for l in sys.stdin]
print(int((t[2] - t[1]) * 10))')
[ "$gap" -ge 58 ] || fail "poll after slow_down came after ${gap}/10 s"
[ "$(stat -c %a "$(TOKFILE)")" = 600 ] || fail "token file mode"
grep -q '^refresh_token rt-' "$(TOKFILE)" || fail "no refresh token stored"
case_end

t_begin "--authorize: expired_token -> 75, access denied -> 77"
prov_start interval=1 device=pending,expired_token
oconf
authorize
[ "$AUTH_RC" = 75 ] || fail "expired: exit $AUTH_RC"
grep -q 'expired' "$T/auth.err" || fail "no 'expired' message"
prov_set interval=1 device=denied
authorize
[ "$AUTH_RC" = 77 ] || fail "denied: exit $AUTH_RC"
[ ! -e "$(TOKFILE)" ] || fail "a token file was written"
case_end

# browser authorize URL: the provider's redirect (Location) for URL;
# browser follow URL: GET the loopback redirect, print the page.
browser() {
	/usr/bin/python3 - "$1" "$2" "$CERTS/ca.pem" <<-'EOP'
	import http.client, ssl, sys, urllib.parse
	what, url, ca = sys.argv[1:4]
	u = urllib.parse.urlsplit(url)
	if what == "authorize":
	    c = http.client.HTTPSConnection(u.hostname, u.port, timeout=20,
	        context=ssl.create_default_context(cafile=ca))
	else:
	    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
	c.request("GET", u.path + "?" + u.query)
	r = c.getresponse()
	print(r.getheader("Location") if what == "authorize" else
	    r.read().decode())
	EOP
}

# code_flow paste|browser: the code flow; the redirect is followed by
# curl (the "browser") or pasted on stdin.
code_flow() {
	local url loc i
	prov_start
	oconf oauth_device_url= \
	    "oauth_auth_url=https://127.0.0.1:$PROV_PORT/authorize"
	mkfifo "$T/stdin"
	timeout 60 "$RELAYMAIL" -C "$T/config" --authorize=test \
	    <"$T/stdin" >"$T/auth.out" 2>"$T/auth.err" &
	local pid=$!
	exec 7>"$T/stdin"
	for i in $(seq 100); do
		url=$(grep -o 'https://127.0.0.1:[0-9]*/authorize?[^ ]*' \
		    "$T/auth.out" 2>/dev/null) && break
		sleep 0.1
	done
	echo "$url" | grep -q 'code_challenge_method=S256' ||
	    fail "no PKCE S256 in the URL: $url"
	loc=$(browser authorize "$url")
	case $1 in
	paste) echo "$loc" >&7 ;;
	browser) browser follow "$loc" >"$T/browser" ||
	    fail "loopback redirect failed" ;;
	esac
	wait "$pid"
	AUTH_RC=$?
	exec 7>&-
	[ "$AUTH_RC" = 0 ] || fail "exit $AUTH_RC: $(cat "$T/auth.err")"
	[ "$(grants authorization_code)" = 1 ] || fail "no code exchange"
	grep -q '"code_verifier"' "$T/plog" || fail "no code_verifier sent"
	grep -q '^access_token at-' "$(TOKFILE)" || fail "no token stored"
}

t_begin "--authorize: code flow with PKCE and a loopback redirect"
code_flow browser
grep -q 'authorization received' "$T/browser" || fail "browser page"
case_end

t_begin "--authorize: code flow, redirected URL pasted on stdin"
code_flow paste
case_end

t_begin "a cached token valid for an hour is used without a refresh"
RELAY_ARGS=(-n 2)
seed 3600
RELAY_ARGS=()
send rcpt@example.com
expect_rc 0
send rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok mech=XOAUTH2'
expect_msg "$T/expected"
[ "$(grants refresh_token)" = 0 ] || fail "refreshed a valid token"
case_end

t_begin "a token valid for under 60 s is refreshed before connecting; rotation stored"
seed 59
old=$(grep '^refresh_token' "$(TOKFILE)")
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
[ "$(grants refresh_token)" = 1 ] || fail "want one refresh"
expect_no_tr '^--- auth failed'
[ "$(grep '^refresh_token' "$(TOKFILE)")" != "$old" ] ||
    fail "rotated refresh token not stored"
grep -q "\"client_secret\": \"$CLIENT_SECRET\"" "$T/plog" ||
    fail "client secret not sent"
case_end

t_begin "a 2500-octet token: AUTH XOAUTH2, then the response after a 334"
seed 3600 token_len=2500
send rcpt@example.com
expect_rc 0
expect_tr '^C: AUTH XOAUTH2.?$'
expect_tr '^--- auth ok mech=XOAUTH2'
expect_msg "$T/expected"
case_end

retry_case() {	# retry_case DESC [testrelay args]
	t_begin "refused token ($1): refreshed once, AUTH retried in the session"
	RELAY_ARGS=("${@:2}")
	seed 3600
	: >"$T/tokens"		# the relay no longer takes the cached token
	send rcpt@example.com
	expect_rc 0
	expect_msg "$T/expected"
	[ "$(grants refresh_token)" = 1 ] || fail "want one refresh"
	[ "$(grep -c '^=== connection' "$T/transcript")" = 1 ] ||
	    fail "want one connection"
	expect_tr '^--- auth failed mech=XOAUTH2'
	expect_tr '^--- auth ok mech=XOAUTH2'
	RELAY_ARGS=()
	case_end
}
retry_case "334 error JSON"
retry_case "535" -J

t_begin "refused OAUTHBEARER token: %x01 answer to the error, refresh, retry"
printf 'nocap AUTH\ncap AUTH OAUTHBEARER\n' >"$T/script"
seed 3600
: >"$T/tokens"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
[ "$(grants refresh_token)" = 1 ] || fail "want one refresh"
expect_tr '^C: AQ=='
expect_tr '^--- auth failed mech=OAUTHBEARER'
expect_tr '^--- auth ok mech=OAUTHBEARER'
case_end

t_begin "a refused token that stays refused -> 77, one refresh only"
RELAY_ARGS=(-O "$T/none")	# the relay takes no token at all
seed 3600
RELAY_ARGS=()
send rcpt@example.com
expect_rc 77
[ "$(grants refresh_token)" = 1 ] || fail "want exactly one refresh"
expect_no_mail_after_auth
case_end

t_begin "auth = auto uses OAUTHBEARER when that is all the relay offers"
printf 'nocap AUTH\ncap AUTH OAUTHBEARER\n' >"$T/script"
seed 3600
send rcpt@example.com
expect_rc 0
expect_tr '^C: AUTH OAUTHBEARER'
expect_tr '^--- auth ok mech=OAUTHBEARER'
expect_msg "$T/expected"
case_end

fail_case() {	# fail_case DESC RC refresh-mode [conf...]
	t_begin "refresh $1 -> $2"
	OCONF=("${@:4}")
	seed 30 "refresh=$3"
	send rcpt@example.com
	expect_rc "$2"
	expect_no_connect
	OCONF=()
	case_end
}
fail_case "HTTP 500" 75 500
fail_case "stalled (timeout)" 75 stall timeout=2
fail_case "invalid_client" 78 invalid_client
t_begin "refresh invalid_grant -> 77 naming relaymail --authorize"
seed 30 refresh=invalid_grant
send rcpt@example.com
expect_rc 77
expect_err 'relaymail --authorize test'
expect_no_connect
case_end

t_begin "token endpoint unreachable -> 75"
seed 30
prov_stop
send rcpt@example.com
expect_rc 75
expect_no_connect
case_end

t_begin "refresh failing temporarily queues (queue = on-failure); -q refreshes and delivers"
OCONF=(queue=on-failure)
seed 30 refresh=500
send rcpt@example.com
expect_rc 0
[ "$(ls "$T/queue/msg" | wc -l)" = 1 ] || fail "not queued"
prov_set refresh=rotate
relay_stop
rm -f "$T/port"
orelay
oconf "${OCONF[@]}"
timeout 60 "$RELAYMAIL" -C "$T/config" -q --force >"$T/q.out" 2>&1 || fail "-q failed"
relay_settle
[ "$(ls "$T/queue/msg" | wc -l)" = 0 ] || fail "still queued"
expect_tr '^--- auth ok mech=XOAUTH2'
OCONF=()
case_end

t_begin "no token yet -> 77 naming relaymail --authorize"
prov_start
orelay
oconf
send rcpt@example.com
expect_rc 77
expect_err 'run relaymail --authorize test'
case_end

t_begin "50 senders at expiry: one refresh (strict rotation), all 50 delivered"
RELAY_ARGS=(-n 50 -L 80)
OCONF=(timeout=30)
seed 30 refresh=strict
senders 50 rcpt@example.com
[ "$BAD" = 0 ] || fail "$BAD senders failed: $(cat "$T"/err.* | sort | uniq -c | head -3)"
[ "$(grants refresh_token)" = 1 ] || fail "$(grants refresh_token) refreshes"
relay_settle
[ "$(grep -c "^--- message [0-9]* complete" "$T/transcript")" = 50 ] ||
    fail "relay got $(grep -c "^--- message [0-9]* complete" "$T/transcript")"
RELAY_ARGS=()
OCONF=()
case_end

t_begin "kill -9 during the token write never loses the refresh token"
seed 30
old=$(grep '^refresh_token' "$(TOKFILE)")
RELAYMAIL_TEST_TOKEN_WRITE_DELAY_MS=20000 "$RELAYMAIL" -C "$T/config" \
    rcpt@example.com <"$T/in" >/dev/null 2>&1 &
pid=$!
for i in $(seq 100); do [ -s "$(TOKFILE).new" ] && break; sleep 0.1; done
[ -s "$(TOKFILE).new" ] || fail "the write never started"
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ "$(grep '^refresh_token' "$(TOKFILE)")" = "$old" ] ||
    fail "token file changed or damaged"
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
[ ! -e "$(TOKFILE).new" ] || fail "the half-written file is left"
case_end

t_begin "-v shows no token, refresh token or client secret"
seed 30
send -v rcpt@example.com
expect_rc 0
grep -q 'OAuth2: POST' "$T/stderr" || fail "no OAuth2 trace"
while read -r tok _; do
	grep -qF "$tok" "$T/stderr" && fail "access token in -v output"
done <"$T/tokens"
grep -o 'rt-[A-Za-z0-9_-]*' "$T/plog" | sort -u | while read -r rt; do
	grep -qF "$rt" "$T/stderr" && echo leak
done | grep -q leak && fail "refresh token in -v output"
grep -qF "$CLIENT_SECRET" "$T/stderr" && fail "client secret in -v output"
case_end

t_begin "--probe shows the token's expiry and scope; --dry-run which token"
seed 3600
send --probe
expect_rc 0
grep -q 'OAuth2 token: .*expires .* scope https://mail.example/' \
    "$T/stdout" || fail "probe: $(grep OAuth2 "$T/stdout")"
send --dry-run rcpt@example.com
expect_rc 0
grep -q "OAuth2 token: $(TOKFILE)" "$T/stdout" || fail "dry-run: no token file"
grep -q 'auth: auto (xoauth2' "$T/stdout" || fail "dry-run: no mechanism"
grep -q 'at-' "$T/stdout" && fail "dry-run shows a token"
case_end

t_begin "--check-config checks the token file's mode"
seed 3600
"$RELAYMAIL" -C "$T/config" --check-config >"$T/cc" 2>&1 || fail "check $?"
chmod 644 "$(TOKFILE)"
"$RELAYMAIL" -C "$T/config" --check-config >"$T/cc" 2>&1
[ $? = 78 ] || fail "mode 0644 not refused"
grep -q "token file .* mode 0644" "$T/cc" || fail "no message: $(cat "$T/cc")"
case_end

cfg_case() {	# cfg_case DESC REGEX key=value...
	t_begin "config: $1 -> 78 with file:line"
	prov_start
	oconf "${@:3}"
	"$RELAYMAIL" -C "$T/config" --check-config >"$T/cc" 2>&1
	[ $? = 78 ] || fail "exit not 78"
	grep -qE "config:[0-9]+: .*$2" "$T/cc" || fail "no message: $(cat "$T/cc")"
	case_end
}
cfg_case "password with oauth_client_id" "password: not with oauth_client_id" \
    "password=x"
cfg_case "http token endpoint" "oauth_token_url: expected an https" \
    "oauth_token_url=http://127.0.0.1:1/token"
cfg_case "auth = plain with OAuth2" "only auto, xoauth2 or oauthbearer" \
    auth=plain
cfg_case "oauth key without client id" "needs oauth_client_id" \
    oauth_client_id=

t_begin "config: oauth_client_secret in a file others can read -> 78"
prov_start
oconf
chmod 644 "$T/config"
"$RELAYMAIL" -C "$T/config" --check-config >"$T/cc" 2>&1
[ $? = 78 ] || fail "exit not 78"
grep -qE "config:[0-9]+: oauth_client_secret in a file that group or others can read" \
    "$T/cc" || fail "no message: $(cat "$T/cc")"
case_end

t_begin "proxy variables cannot move a token"
seed 30
https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    ALL_PROXY=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 \
    NO_PROXY= no_proxy= send rcpt@example.com
expect_rc 0
[ "$(grants refresh_token)" = 1 ] || fail "no refresh at the provider"
case_end

t_begin "--relay never uses a config's tokens"
seed 30
send "--relay=smtps://$TUSER@127.0.0.1:$RELAY_PORT" rcpt@example.com
[ "$RC" != 0 ] || fail "delivered with --relay"
[ "$(grants refresh_token)" = 0 ] || fail "--relay refreshed a token"
expect_no_tr '^C: AUTH XOAUTH2'
case_end

t_begin "password_command token with auth = auto: PLAIN refused, hint; auth = xoauth2 works"
prov_start
script <<-'EOS'
	nocap AUTH
	cap AUTH PLAIN XOAUTH2
	auth 535-5.7.8 Username and Password not accepted. Learn more at\r\n535 5.7.8 https://support.example/?p=BadCredentials
EOS
relay_start implicit -O "$T/tokens"
echo "tok-pc-1 $(( $(date +%s) + 3600 ))" >>"$T/tokens"
conf password= "password_command=echo tok-pc-1"
send rcpt@example.com
expect_rc 77
expect_err 'set auth = xoauth2'
expect_err 'BadCredentials.*Username and Password not accepted'
relay_stop
rm -f "$T/port"
printf 'nocap AUTH\ncap AUTH PLAIN XOAUTH2\n' >"$T/script"
relay_start implicit -O "$T/tokens"
conf password= "password_command=echo tok-pc-1" auth=xoauth2
send rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok mech=XOAUTH2'
expect_msg "$T/expected"
case_end

t_finish
