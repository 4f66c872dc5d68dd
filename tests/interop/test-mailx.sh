#!/bin/sh
# Interop: bsd-mailx `mail -s SUBJECT ADDR...` through relaymail into a
# real Postfix. mailx runs its `sendmail` variable (set in a private
# MAILRC) as `sendmail -i -t`; relaymail finds its config through
# $RELAYMAIL_CONFIG (relaymail.conf(5)), so nothing of the system is
# touched. mailx writes no From and may name bare local users: relaymail
# must add a From, qualify `root` and map it through the aliases file.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup bsd-mailx
BOB=bob@$PF_DOMAIN
ADMIN=admin@$PF_DOMAIN
QROOT=root@$PF_HOSTDOMAIN
ME=$(id -un)
printf 'root: %s\n' "$ADMIN" > "$T/aliases"
CONF=$T/mailx.conf
# No `from`: the sender is the invoking user, qualified with maildomain.
rm_conf "$CONF" starttls from= "defaults.aliases=$T/aliases"
cat > "$T/mailrc" <<EOF2
set sendmail=$RM
set sendwait
EOF2

printf 'disk almost full\n.\nsecond line\n' |
    MAILRC=$T/mailrc RELAYMAIL_CONFIG=$CONF bsd-mailx -n \
    -s "mailx subject" "$BOB" root > "$T/mailx.out" 2>&1
rc=$?
if [ $rc = 0 ]; then
	rm_ok "mail -s: exit 0"
else
	rm_fail "mail -s: exit $rc" "$T/mailx.out"
fi
for a in "$BOB" "$ADMIN"; do
	rm_fetch "$a" '^Subject: mailx subject$' "$a: got nothing" \
	    "$T/mailx.out" || continue
	to=$(rm_header "$got" To)
	if [ "$rp" != "<$ME@$PF_HOSTDOMAIN>" ]; then
		rm_fail "$a: envelope sender '$rp', want <$ME@$PF_HOSTDOMAIN>" \
		    "$got"
	elif ! case "$from" in *"$ME@$PF_HOSTDOMAIN"*) true ;;
	    *) false ;; esac; then
		rm_fail "$a: From '$from' lacks $ME@$PF_HOSTDOMAIN" "$got"
	elif [ "$to" != "$BOB, $QROOT" ]; then
		rm_fail "$a: To '$to', want '$BOB, $QROOT'" "$got"
	elif [ "$(rm_body "$got" | tr '\n' '|')" != \
	    "disk almost full|.|second line|" ]; then
		rm_fail "$a: body changed" "$got"
	else
		rm_ok "$a: got it from $ME@$PF_HOSTDOMAIN, To qualified"
	fi
done
if [ "$(pf_count "$QROOT")" != 0 ]; then
	rm_fail "aliases: mail went to $QROOT instead of $ADMIN"
elif [ "$(pf_count "$ADMIN")" = 1 ]; then
	rm_ok "aliases: root's copy went to $ADMIN only"
fi
rm_finish
