#!/bin/sh
# Interop: system cron's mail through relaymail into a real Postfix.
# Debian cron (3.0pl1) runs `sendmail -FCronDaemon -i -B8BITMIME -oem
# MAILTO` (MAILTO may be a comma list in one argument) with no -f and no
# -t; cronie runs `sendmail -FCronDaemon -i -odi -oem -oi -t -f root` with
# `To: root`. Both write bare local names (From: root (Cron Daemon),
# To: root). Postfix here refuses a bare sender, so the mail only arrives
# when relaymail qualifies names with maildomain and maps root through the
# aliases file to a real mailbox. The argv and the header text below are
# those of the installed Debian cron binary and of cronie's do_command.c.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup
ADMIN=admin@$PF_DOMAIN
OPS=ops@$PF_DOMAIN
QROOT=root@$PF_HOSTDOMAIN
HOST=$(hostname | cut -d. -f1)

cat > "$T/aliases" <<EOF2
# test aliases: root's mail goes to the admin mailbox
root: $ADMIN
postmaster: root
EOF2
# No `from` in the account: cron mail is sent as the bare user, which
# only maildomain can make acceptable.
CONF=$T/cron.conf
rm_conf "$CONF" starttls from= "defaults.aliases=$T/aliases"

debian_msg() {
	# What Debian cron writes (do_command.c with the Debian patches).
	cat <<-MSG
	From: root (Cron Daemon)
	To: $1
	Subject: Cron <root@$HOST> $2
	MIME-Version: 1.0
	Content-Type: text/plain; charset=UTF-8
	Content-Transfer-Encoding: 8bit
	X-Cron-Env: <SHELL=/bin/sh>
	X-Cron-Env: <HOME=/root>
	X-Cron-Env: <PATH=/usr/bin:/bin>
	X-Cron-Env: <LOGNAME=root>

	output of $2
	second line
	MSG
}

cronie_msg() {
	# What cronie writes (src/do_command.c).
	cat <<-MSG
	From: root (Cron Daemon)
	To: $1
	Subject: Cron <root@$HOST> $2
	Content-Type: text/plain; charset=UTF-8
	Auto-Submitted: auto-generated
	X-Cron-Env: <SHELL=/bin/sh>
	X-Cron-Env: <HOME=/root>
	X-Cron-Env: <PATH=/usr/bin:/bin>
	X-Cron-Env: <LOGNAME=root>
	X-Cron-Env: <USER=root>

	output of $2
	second line
	MSG
}

check_delivered() {
	# check_delivered CASE ADDR TAG TO...: ADDR got the message whose
	# Subject ends in TAG, sent as root@maildomain, its From qualified
	# and its To holding exactly the addresses TO (qualified).
	c=$1
	addr=$2
	tag=$3
	shift 3
	rm_fetch "$addr" "^Subject: Cron <root@$HOST> $tag\$" \
	    "$c: $addr did not get the cron message" "$T/$c.out" || return 1
	to=$(rm_header "$got" To | tr ',' '\n' | sed 's/^ *//; s/ *$//' |
	    sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	if [ "$rp" != "<$QROOT>" ]; then
		rm_fail "$c: envelope sender '$rp', want <$QROOT>" "$got"
	elif [ "$from" != "$QROOT (Cron Daemon)" ]; then
		rm_fail "$c: From '$from', want '$QROOT (Cron Daemon)'" "$got"
	elif [ "$to" != "$want" ]; then
		rm_fail "$c: To holds '$to', want '$want'" "$got"
	elif ! rm_body "$got" | grep -q "^output of $tag\$"; then
		rm_fail "$c: body lost" "$got"
	else
		rm_ok "$c: delivered to $addr as $QROOT, headers qualified"
		return 0
	fi
	return 1
}

cron_send() {
	# cron_send CASE MSGFUNC TO TAG ARGS...: MSGFUNC's message (To: TO,
	# for the job TAG) piped into `relaymail ARGS` as cron does; false
	# (and the case failed) unless it exits 0.
	c=$1
	msgf=$2
	mto=$3
	mtag=$4
	shift 4
	"$msgf" "$mto" "$mtag" | "$RM" -C "$CONF" -FCronDaemon "$@" \
	    > "$T/$c.out" 2>&1
	rc=$?
	[ $rc = 0 ] && return 0
	rm_fail "$c: exit $rc, want 0" "$T/$c.out"
	return 1
}

# Debian cron, MAILTO unset: the job owner, root.
cron_send debian-root debian_msg root "echo one" -i -B8BITMIME -oem root &&
    check_delivered $c "$ADMIN" "echo one" "$QROOT"

# Debian cron, MAILTO="root,ops@example.test": one argument, a comma list.
cron_send debian-mailto-list debian_msg "root,$OPS" "echo two" \
    -i -B8BITMIME -oem "root,$OPS" &&
    check_delivered $c "$ADMIN" "echo two" "$QROOT" "$OPS" &&
    check_delivered $c "$OPS" "echo two" "$QROOT" "$OPS"

# cronie: recipients from To: (-t), sender -f root.
cron_send cronie cronie_msg root "echo three" \
    -i -odi -oem -oi -t -f root &&
    check_delivered $c "$ADMIN" "echo three" "$QROOT"
# Nothing may have gone to the unaliased root@maildomain mailbox.
if [ "$(pf_count "$QROOT")" != 0 ]; then
	rm_fail "aliases: mail went to $QROOT instead of $ADMIN"
elif [ "$(pf_count "$ADMIN")" != 3 ]; then
	rm_fail "aliases: $ADMIN has $(pf_count "$ADMIN") messages, want 3"
else
	rm_ok "aliases: root's mail went to $ADMIN only"
fi
rm_finish
