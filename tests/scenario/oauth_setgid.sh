#!/bin/bash
# OAuth2 with the system config in the setgid install mode: the token
# file is 0660 group relaymail inside the 2770 system queue, written while
# relaymail holds its group, by root's --authorize and by any user's
# refresh; only root may --authorize; a user cannot read the tokens
# outside relaymail; the test-only write delay is not honoured setgid.
#
# Needs root, like setgid.sh, and skips itself the same way
# (not root, nosuid temp filesystem, /etc/relaymail.conf exists: it is
# never touched then). What it creates is removed at exit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-setgid.sh"
. "$(dirname "$0")/lib-oauth.sh"

skip_all() {
	t_skip "system config OAuth2 token file" "$1"
	t_finish
}
sgl_setup oauth
TOKFILE=$SG/queue/oauth/sys

# og_begin TITLE EXPIRES_IN [control...]: provider, relay, system config
# and a fresh 2770 root:relaymail system queue.
og_begin() {
	t_begin "$1"
	printf '%s\n' "expires_in=$2" "${@:3}" >"$T/control"
	prov_run 60
	printf 'nocap AUTH\ncap AUTH XOAUTH2\n' >"$T/script"
	relay_start implicit -O "$T/tokens" -n 2
	rm -rf "$SG/queue"
	install -d -o root -g relaymail -m 2770 "$SG/queue"
	if [ -e "$SYSCONF" ] && [ -z "$MADE_CONF" ]; then
		fail "$SYSCONF appeared; not touching it"
		return
	fi
	MADE_CONF=1
	cat >"$SYSCONF.tmp" <<-EOF
	default = sys
	[sys]
	host = 127.0.0.1
	port = $RELAY_PORT
	tls = implicit
	tls_ca_file = $SG/ca.pem
	user = $TUSER
	from = sender@example.com
	timeout = 5
	queue = never
	queue_dir = $SG/queue
	log = none
	oauth_client_id = relaymail-test
	oauth_client_secret = cs-sys-secret
	oauth_token_url = https://127.0.0.1:$PROV_PORT/token
	oauth_device_url = https://127.0.0.1:$PROV_PORT/device
	oauth_ca_file = $SG/ca.pem
	EOF
	chown root:relaymail "$SYSCONF.tmp"
	chmod 640 "$SYSCONF.tmp"
	mv "$SYSCONF.tmp" "$SYSCONF"
	msg_default
}
og_end() {
	kill "$PROV_PID" 2>/dev/null
	wait "$PROV_PID" 2>/dev/null
	t_end
}

# as USER [VAR=value...] -- ARGS: the setgid copy as USER, clean env.
as() {
	local u=$1 envs=() g
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	g=$(id -gn "$u")
	timeout 60 setpriv --reuid="$u" --regid="$g" --clear-groups \
	    env -i PATH=/usr/bin:/bin HOME=/nonexistent \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} "${envs[@]}" \
	    "$SG/relaymail" "$@" <"$T/in" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	relay_settle
}
mode_of() { stat -c '%a %G' "$1"; }

og_begin "root's --authorize writes the token file 0660 group relaymail" 3600
as root -- --authorize </dev/null
expect_rc 0
[ "$(stat -c '%a %U %G' "$TOKFILE" 2>/dev/null)" = "660 root relaymail" ] ||
    fail "token file: $(stat -c '%a %U %G' "$TOKFILE" 2>&1)"
[ "$(stat -c %a "$SG/queue/oauth")" = 2770 ] ||
    fail "oauth directory: $(stat -c %a "$SG/queue/oauth")"
as nobody -- rcpt@example.com
expect_rc 0
expect_tr '^--- auth ok mech=XOAUTH2'
expect_msg "$T/expected"
og_end

og_begin "only root may --authorize the system config -> 77" 3600
as nobody -- --authorize
expect_rc 77
expect_err 'only root'
[ ! -e "$TOKFILE" ] || fail "a token file was written"
og_end

og_begin "a user's refresh rotates the file, still 0660 group relaymail, unreadable to the user" 30
as root -- --authorize
old=$(grep '^refresh_token' "$TOKFILE")
echo "expires_in=3600" >"$T/control"
as nobody -- rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
[ "$(grep -c '"grant_type": "refresh_token"' "$T/plog")" = 1 ] ||
    fail "no refresh"
[ "$(grep '^refresh_token' "$TOKFILE")" != "$old" ] || fail "not rotated"
[ "$(mode_of "$TOKFILE")" = "660 relaymail" ] ||
    fail "after refresh: $(mode_of "$TOKFILE")"
setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups \
    cat "$TOKFILE" >/dev/null 2>&1 && fail "nobody can read the tokens"
og_end

og_begin "setgid: the test-only write delay is not honoured" 30
as root -- --authorize
t0=$(date +%s)
as nobody RELAYMAIL_TEST_TOKEN_WRITE_DELAY_MS=30000 -- rcpt@example.com
expect_rc 0
[ $(( $(date +%s) - t0 )) -lt 20 ] || fail "the delay was honoured"
og_end

t_finish
