#!/bin/bash
# The system trust store, loaded lazily: only the CAs a chain names are
# read from the bundle, through an index rebuilt when the bundle
# changes. Verification must be exactly as strict as loading the whole
# store, so every chain below is sent twice: once with the same bundle
# as tls_ca_file (GnuTLS loads all of it) and once as the system store
# (RELAYMAIL_SYSTEM_TRUST, honoured only outside setgid runs), and both
# must end alike. Then: a CA removed from the store while indexed and
# while its session is cached, and an index that points at the wrong
# place.
. "$(dirname "$0")/../lib.sh"

PK=$GROUPDIR/pki
mkdir -p "$PK"

key() { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
    --outfile "$PK/$1-key.pem" 2>/dev/null; }
tmpl() {	# tmpl NAME CN LINES...
	local n=$1 cn=$2
	shift 2
	{ echo "cn = \"$cn\""; echo "serial = $(date +%s%N | cut -c1-15)"
	  echo "expiration_days = 30"; printf '%s\n' "$@"; } >"$PK/$n.tmpl"
}
selfsigned() {	# selfsigned NAME CN (a CA)
	key "$1"
	tmpl "$1" "$2" ca cert_signing_key
	certtool --generate-self-signed --load-privkey "$PK/$1-key.pem" \
	    --template "$PK/$1.tmpl" --outfile "$PK/$1.pem" 2>/dev/null
}
signed() {	# signed NAME KEYOF CN ISSUER LINES...: NAME's cert for KEYOF's key
	local n=$1 k=$2 cn=$3 is=$4
	shift 4
	tmpl "$n" "$cn" "$@"
	certtool --generate-certificate --load-privkey "$PK/$k-key.pem" \
	    --load-ca-certificate "$PK/$is.pem" \
	    --load-ca-privkey "$PK/$is-key.pem" --template "$PK/$n.tmpl" \
	    --outfile "$PK/$n.pem" 2>/dev/null
}
leafnames='dns_name = "localhost"
ip_address = "127.0.0.1"'

# R root -> I intermediate -> L leaf; O old root cross-signs N new root
# (X: N's name and key, O's signature) -> M leaf.
selfsigned R "trust test root R"
key I; signed I I "trust test intermediate I" R ca cert_signing_key
key L; signed L L "trust test leaf L" I "$leafnames" tls_www_server
selfsigned O "trust test old root O"
selfsigned N "trust test new root N"
signed X N "trust test new root N" O ca cert_signing_key
key M; signed M M "trust test leaf M" N "$leafnames" tls_www_server
for f in R I L O N X M; do
	[ -s "$PK/$f.pem" ] || { echo "certtool failed for $f"; exit 1; }
done

# chain FILE CERTS...: what the server presents.
chain() { local out=$1; shift; for c in "$@"; do cat "$PK/$c.pem"; done >"$PK/$out.chain"; }
chain L L
chain LI L I
chain LIR L I R
chain MX M X
chain M M

# bundle NAME CAS...: the real system bundle plus these CAs (so the
# index has the size of a real one).
bundle() {
	local out=$PK/$1.bundle
	shift
	{ cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null
	  for c in "$@"; do cat "$PK/$c.pem"; done; } >"$out"
}

# send_with BUNDLE: the case's config without tls_ca_file, the system
# store being BUNDLE.
send_system() {
	local b=$1
	shift
	RELAYMAIL_SYSTEM_TRUST=$b send "$@"
}

# same CHAINFILE KEYNAME BUNDLE-CAS... -> both ways, the same exit code.
same() {
	local ch=$1 k=$2 want=$3 rc_file rc_sys
	shift 3
	t_begin "chain $ch, store {$*}: system store as strict as the CA file ($want)"
	bundle b "$@"
	relay_start implicit -n 2 -c "$PK/$ch.chain" -k "$PK/$k-key.pem"
	conf tls_ca_file="$PK/b.bundle" tls_session_cache=no
	send rcpt@example.com
	rc_file=$RC
	conf tls_ca_file= tls_session_cache=no
	send_system "$PK/b.bundle" rcpt@example.com
	rc_sys=$RC
	[ "$rc_file" = "$rc_sys" ] ||
	    fail "tls_ca_file exits $rc_file, system store exits $rc_sys"
	[ "$rc_sys" = "$want" ] || fail "exit $rc_sys, want $want"
	[ "$want" != 0 ] || [ -f "$T/queue/tls/trust-index" ] ||
	    fail "no index was written"
	t_end
}

same LI L 0 R
same L L 69 R
same LI L 0 I
same LIR L 0 R
same LI L 69 O N
same MX M 0 O
same M M 0 N
same MX M 0 N
same M M 69 O
same LI L 69

t_begin "TLS 1.2 Certificate message: the same lookup"
bundle b R
relay_start implicit -c "$PK/LI.chain" -k "$PK/L-key.pem" \
    -P 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
conf tls_ca_file= tls_session_cache=no
send_system "$PK/b.bundle" rcpt@example.com
expect_rc 0
expect_tr '^--- tls established TLS1\.2'
expect_msg "$T/expected"
t_end

t_begin "a CA removed from the store while indexed and cached -> 69"
bundle b R
relay_start implicit -n 4 -c "$PK/LI.chain" -k "$PK/L-key.pem"
conf tls_ca_file=
send_system "$PK/b.bundle" rcpt@example.com
expect_rc 0
send_system "$PK/b.bundle" -v rcpt@example.com
expect_rc 0
grep -q '^--- tls resumed' "$T/transcript" || fail "second send not resumed"
# the same store: the verification kept with the ticket still holds
expect_err '^=== resumed session: .*not verified again'
# update-ca-certificates writes a new file
bundle b.new O
mv "$PK/b.new.bundle" "$PK/b.bundle"
send_system "$PK/b.bundle" -v rcpt@example.com
expect_rc 69
expect_err 'not accepted'
[ "$(grep -c '^--- message [0-9]* complete' "$T/transcript")" = 2 ] ||
    fail "a message went through without the CA"
t_end

t_begin "an index pointing at the wrong place falls back to the bundle"
bundle b O R
relay_start implicit -n 2 -c "$PK/LI.chain" -k "$PK/L-key.pem"
conf tls_ca_file= tls_session_cache=no
send_system "$PK/b.bundle" rcpt@example.com
expect_rc 0
# Same inode, size and time, the CAs in another order: every offset
# in the index is now wrong.
mt=$(stat -c %.9Y "$PK/b.bundle")
{ cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null
  cat "$PK/R.pem" "$PK/O.pem"; } >"$PK/b.swapped"
[ "$(stat -c %s "$PK/b.swapped")" = "$(stat -c %s "$PK/b.bundle")" ] ||
    fail "test set-up: sizes differ"
cat "$PK/b.swapped" >"$PK/b.bundle"
touch -m -d "@$mt" "$PK/b.bundle"
send_system "$PK/b.bundle" rcpt@example.com
expect_rc 0
[ "$(grep -c '^--- message [0-9]* complete' "$T/transcript")" = 2 ] ||
    fail "second message not delivered"
t_end

t_begin "no system bundle -> 78 with the fix"
relay_start implicit
conf tls_ca_file=
send_system "$PK/missing.bundle" rcpt@example.com
expect_rc 78
expect_err 'ca-certificates|tls_ca_file'
t_end

t_finish
