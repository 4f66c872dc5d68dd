#!/bin/sh
# certs.sh DIR - makes the test certificates with certtool (GnuTLS), fresh
# at test time so none can expire in the repository:
#   ca.pem ca-key.pem            the test CA (tls_ca_file of the tests)
#   server.pem server-key.pem    localhost, 127.0.0.1, ::1, signed by the CA
#   expired.pem expired-key.pem  same names, validity over in 2001
#   other.pem other-key.pem      signed by the CA for another host name only
#   self.pem self-key.pem        self-signed for localhost/127.0.0.1/::1
#   unknown.pem unknown-key.pem  for localhost, signed by an unknown CA
#   client.pem client-key.pem    a client certificate signed by the CA
#   clientauth.pem clientauth-key.pem  the server's names, signed by the
#                                CA, but Extended Key Usage clientAuth only
set -eu
dir=${1:?usage: certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -f .done ] && [ -f clientauth.pem ] && exit 0

key() { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
    --outfile "$1" 2>/dev/null; }

tmpl() {	# tmpl FILE CN [extra lines...]
	f=$1 cn=$2
	shift 2
	{ echo "cn = \"$cn\""; echo "serial = $(date +%s%N | cut -c1-15)"
	  for l in "$@"; do echo "$l"; done; } >"$f"
}

server_names='dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"'

ca() {	# ca NAME CN
	key "$1-key.pem"
	tmpl "$1.tmpl" "$2" "ca" "cert_signing_key" "expiration_days = 30"
	certtool --generate-self-signed --load-privkey "$1-key.pem" \
	    --template "$1.tmpl" --outfile "$1.pem" 2>/dev/null
}

leaf() {	# leaf NAME CA TEMPLATE-LINES...
	name=$1 ca=$2
	shift 2
	key "$name-key.pem"
	tmpl "$name.tmpl" "$name" "$@"
	certtool --generate-certificate --load-privkey "$name-key.pem" \
	    --load-ca-certificate "$ca.pem" --load-ca-privkey "$ca-key.pem" \
	    --template "$name.tmpl" --outfile "$name.pem" 2>/dev/null
}

ca ca "relaymail test CA"
ca unknownca "unknown test CA"
leaf server ca "$server_names" tls_www_server "expiration_days = 30"
leaf expired ca "$server_names" tls_www_server \
    'activation_date = "2000-01-01 00:00:00"' \
    'expiration_date = "2001-01-01 00:00:00"'
leaf other ca 'dns_name = "mail.example.org"' tls_www_server \
    "expiration_days = 30"
leaf unknown unknownca "$server_names" tls_www_server "expiration_days = 30"
leaf client ca tls_www_client "expiration_days = 30"
leaf clientauth ca "$server_names" tls_www_client "expiration_days = 30"
key self-key.pem
tmpl self.tmpl localhost "$server_names" tls_www_server \
    "expiration_days = 30"
certtool --generate-self-signed --load-privkey self-key.pem \
    --template self.tmpl --outfile self.pem 2>/dev/null
rm -f ./*.tmpl
touch .done
