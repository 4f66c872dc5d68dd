#!/bin/bash
# The provider recipes of conf/relaymail.conf.example (between "; recipe:
# NAME" and "; end recipe") and of the README's "Provider recipes": each
# is a complete account that --check-config accepts, the README shows
# the same lines, and --dry-run with cron's kind of message shows the
# relay, port and TLS mode the provider wants and, with force_from, the
# account's address as sender and From (Microsoft 365 refuses any other
# with SendAsDenied). Nothing is sent: --dry-run does not connect.
. "$(dirname "$0")/../lib.sh"

EXAMPLE=$TOP/conf/relaymail.conf.example
README=$TOP/README

# name host port tls sender(with force_from, else -)
RECIPES=(
	"gmail smtp.gmail.com 465 implicit you@gmail.com"
	"microsoft365 smtp.office365.com 587 starttls you@example.com"
	"fastmail smtp.fastmail.com 465 implicit -"
	"ses email-smtp.eu-west-1.amazonaws.com 465 implicit alerts@example.com"
	"sendgrid smtp.sendgrid.net 465 implicit alerts@example.com"
	"mailgun smtp.mailgun.org 587 starttls -"
	"company mail.corp.example 587 starttls -"
)

# recipe_example NAME: the recipe's lines, without the leading ';'.
recipe_example() {
	awk -v n="$1" '$0 == "; recipe: " n { on = 1; next }
	    /^; end recipe$/ { on = 0 }
	    on && /^;[^ ;]/ { print substr($0, 2) }' "$EXAMPLE"
}
# recipe_readme NAME: the README's indented block starting with [NAME].
recipe_readme() {
	awk -v n="$1" '/^Provider recipes$/ { sec = 1 }
	    /^Migrating from msmtp$/ { sec = 0 }
	    sec && $0 == "    [" n "]" { on = 1 }
	    on && /^$/ { on = 0 }
	    on { sub(/^    /, ""); print }' "$README"
}

# make_conf NAME FILE: a config with the recipe as its default account;
# the private CA path points at the test CA (it must exist).
make_conf() {
	{
		echo "default = $1"
		echo "[defaults]"
		echo "queue_dir = $T/queue"
		recipe_example "$1" |
		    sed "s|^tls_ca_file = .*|tls_ca_file = $CERTS/ca.pem|"
	} >"$2"
	chmod 600 "$2"
}

cron_msg() {
	msg <<-'EOM'
	From: root (Cron Daemon)
	To: root
	Subject: Cron <root@web01> run-parts /etc/cron.daily

	done
	EOM
}

for r in "${RECIPES[@]}"; do
	read -r name host port tls sender <<<"$r"
	t_begin "recipe $name: complete, accepted by --check-config, same in README"
	recipe_example "$name" >"$T/ex"
	[ -s "$T/ex" ] || fail "no recipe $name in the example file"
	recipe_readme "$name" >"$T/rd"
	[ -s "$T/rd" ] || fail "no recipe $name in the README"
	cmp -s "$T/ex" "$T/rd" ||
	    fail "README differs: $(diff "$T/ex" "$T/rd" | head -3 | tr '\n' ' ')"
	make_conf "$name" "$T/config"
	send --check-config
	expect_rc 0
	grep -q ': OK (1 account)$' "$T/stdout" ||
	    fail "check-config: $(head -3 "$T/stdout" | tr '\n' ' ')"
	grep -q 'warning' "$T/stdout" "$T/stderr" &&
	    fail "warning: $(grep -h warning "$T/stdout" "$T/stderr" | head -1)"
	t_end

	t_begin "recipe $name: --dry-run plans $host port $port, tls $tls"
	make_conf "$name" "$T/config"
	cron_msg
	send --dry-run -t
	expect_rc 0
	grep -qx "relays: $host.* port $port" "$T/stdout" ||
	    fail "relays: $(grep '^relays' "$T/stdout")"
	grep -q "^tls: $tls," "$T/stdout" ||
	    fail "tls: $(grep '^tls' "$T/stdout")"
	if [ "$sender" != - ]; then
		grep -qx "envelope sender: <$sender>" "$T/stdout" ||
		    fail "sender: $(grep '^envelope' "$T/stdout")"
		grep -qx "  From: $sender" "$T/stdout" ||
		    fail "From: $(grep '^  From' "$T/stdout")"
		grep -q '^  Reply-To: root@host\.example\.com' "$T/stdout" ||
		    fail "Reply-To: $(grep '^  Reply-To' "$T/stdout")"
	fi
	t_end
done

# SES also takes STARTTLS on 587, as its recipe says.
t_begin "recipe ses with tls = starttls: port 587"
make_conf ses "$T/config"
sed -i 's/^tls = implicit$/tls = starttls/' "$T/config"
cron_msg
send --dry-run -t
expect_rc 0
grep -qx "relays: email-smtp.eu-west-1.amazonaws.com port 587" "$T/stdout" ||
    fail "relays: $(grep '^relays' "$T/stdout")"
t_end

t_finish
