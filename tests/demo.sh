#!/bin/sh
# make demo: a throw-away local TLS relay (testrelay, implicit TLS on an
# ephemeral loopback port, certificates made now), one message sent
# through ./relaymail, and what the relay received printed.
set -u
cd "$(dirname "$0")/.." || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/relaymail-demo.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sh tests/certs.sh "$dir/certs" || exit 1
tests/relay/testrelay -M implicit -p "$dir/port" -t "$dir/transcript" \
    -m "$dir/received" -c "$dir/certs/server.pem" \
    -k "$dir/certs/server-key.pem" -u demo@example.com -w demo-password \
    -L 30 &
pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
port=$(cat "$dir/port") || exit 1

umask 077
cat >"$dir/config" <<EOC
default = demo
[demo]
host = 127.0.0.1
port = $port
tls = implicit
tls_ca_file = $dir/certs/ca.pem
user = demo@example.com
password = demo-password
from = demo@example.com
queue = never
queue_dir = $dir/queue
log = none
EOC

echo "== relay: implicit TLS on 127.0.0.1:$port (test CA in $dir/certs)"
echo "== sending: ./relaymail -C config -v you@example.com"
printf 'To: you@example.com\nSubject: relaymail demo\n\nIt works: this came through relaymail over TLS.\n.leading dot survives\n' |
    ./relaymail -C "$dir/config" -v you@example.com
rc=$?
echo "== relaymail exit code: $rc"
wait "$pid" 2>/dev/null
pid=
echo "== relay session (client lines C:, server lines S:):"
awk '/^S: 354/ { print; data = 1; next }
    data && /^--- message/ { data = 0 }
    !data && !/^--- read/' "$dir/transcript" |
    sed 's/^C: AUTH \([A-Z-]*\) .*/C: AUTH \1 [redacted]/'
echo "== message as the relay received it:"
cat "$dir/received" 2>/dev/null | tr -d '\r'
exit "$rc"
