# tests/scenario/lib-oauth.sh - the OAuth2 test provider
# (tests/oauth/provider.py) for the groups that need one (oauth,
# oauth_setgid), sourced after ../lib.sh. run-scenarios.sh skips lib*.sh
# files.

PROVIDER=$TOP/tests/oauth/provider.py

# prov_run LIFETIME: starts the case's provider over HTTPS with the test
# certificate, on what $T/control says, its tokens living LIFETIME
# seconds; request log $T/plog and tokens $T/tokens (both emptied first),
# PROV_PID, and PROV_PORT (empty when it did not start).
prov_run() {
	: >"$T/plog"
	: >"$T/tokens"
	/usr/bin/python3 "$PROVIDER" --cert "$CERTS/server.pem" \
	    --key "$CERTS/server-key.pem" --portfile "$T/pport" \
	    --log "$T/plog" --tokens "$T/tokens" --control "$T/control" \
	    --lifetime "$1" 2>"$T/prov.err" &
	PROV_PID=$!
	echo "$PROV_PID" >>"$GROUPDIR/pids"
	PROV_PORT=$(wait_port "$T/pport")
}
