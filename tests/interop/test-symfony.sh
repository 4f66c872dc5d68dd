#!/bin/sh
# Interop: PHP frameworks through relaymail into a real Postfix.
#  - Symfony Mailer (php-symfony-mailer): three messages through one
#    sendmail://default transport, its -bs mode (one relaymail process,
#    SMTP on a pipe), three more with Laravel's "-bs -i", then three
#    with ?command=... -t -i (one process per message, recipients on
#    the command line);
#  - PHPMailer (libphp-phpmailer): isSendmail(), which runs
#    "sendmail -oi -f SENDER -t".
# What Postfix stored is checked: the envelope sender (Return-Path), each
# recipient's copy (the Bcc one too), no Bcc header anywhere, the body.
. "$(dirname "$0")/lib-postfix.sh"

SYMFONY=/usr/share/php/Symfony/Component/Mailer/autoload.php
PHPMAILER=/usr/share/php/libphp-phpmailer/autoload.php
for f in "$SYMFONY" "$PHPMAILER"; do
	if [ ! -f "$f" ]; then
		echo "SKIP: $(basename "$0"): $f not installed"
		exit 0
	fi
done
rm_setup php
CONF=$T/symfony.conf
rm_conf "$CONF" starttls
BOB=bob@$PF_DOMAIN
CAROL=carol@$PF_DOMAIN
DAVE=dave@$PF_DOMAIN
CR=$(printf '\r')

# A wrapper that counts how many times relaymail was started.
WRAP=$T/relaymail-wrap
cat > "$WRAP" <<EOF
#!/bin/sh
echo run >> "$T/runs"
exec "$RM" "\$@"
EOF
chmod 755 "$WRAP"

# symfony MODE COMMAND: three messages through one transport.
symfony() {
	: > "$T/runs"
	php -r '
	    require $argv[1];
	    use Symfony\Component\Mailer\Mailer;
	    use Symfony\Component\Mailer\Transport;
	    use Symfony\Component\Mime\Email;
	    $dsn = "sendmail://default?command=" . rawurlencode($argv[3]);
	    $mailer = new Mailer(Transport::fromDsn($dsn));
	    for ($i = 1; $i <= 3; $i++) {
		$m = (new Email())
		    ->from("Carol <" . $argv[4] . ">")
		    ->to($argv[5])
		    ->bcc($argv[6])
		    ->subject("symfony " . $argv[2] . " " . $i)
		    ->text("line one\n.\n..two dots\nlast " . $i . "\n");
		$mailer->send($m);
	    }
	    echo "sent\n";' -- \
	    "$SYMFONY" "$1" "$2" "$CAROL" "$BOB" "$DAVE" > "$T/$1.out" 2>&1
}

# check_copy CASE SUBJECT ADDR SENDER BODY: ADDR's copy of the message.
check_copy() {
	rm_fetch "$3" "^Subject: $2\$" "$1: $3 got nothing" "$T/$1.out" ||
	    return 1
	hdrs=$(rm_strip_trace "$got" | sed '/^$/q')
	body=$(rm_body "$got" | tr '\n' '|')
	if [ "$rp" != "<$4>" ]; then
		rm_fail "$1: $3: envelope sender '$rp', want <$4>" "$got"
	elif echo "$hdrs" | grep -qi '^Bcc:' || echo "$hdrs" | grep -q "$DAVE"
	then
		rm_fail "$1: $3: the Bcc recipient shows in the headers" "$got"
	elif [ "$(rm_header "$got" Delivered-To)" != "$3" ]; then
		rm_fail "$1: $3: delivered to '$(rm_header "$got" \
		    Delivered-To)'" "$got"
	elif grep -q "$CR" "$got"; then
		rm_fail "$1: $3: a CR survived into the delivered copy" "$got"
	elif [ "$body" != "$5" ]; then
		rm_fail "$1: $3: body '$body', want '$5'" "$got"
	else
		return 0
	fi
	return 1
}

# check_symfony MODE RUNS END: all three delivered to both, RUNS
# processes, each body ending in END.
check_symfony() {
	if ! grep -qx sent "$T/$1.out"; then
		rm_fail "symfony $1: send failed" "$T/$1.out"
		return
	fi
	n=$(wc -l < "$T/runs")
	[ "$n" = "$2" ] ||
	    rm_fail "symfony $1: relaymail started $n times, want $2"
	bad=0
	for i in 1 2 3; do
		for a in "$BOB" "$DAVE"; do
			check_copy "symfony $1" "symfony $1 $i" "$a" "$CAROL" \
			    "line one|.|..two dots|last $i|$3" || bad=1
		done
	done
	for a in "$BOB" "$DAVE"; do
		n=$(grep -l "^Subject: symfony $1 " "$(pf_maildir "$a")"/new/* \
		    2>/dev/null | wc -l)
		[ "$n" = 3 ] || { rm_fail "symfony $1: $a has $n copies"; bad=1; }
	done
	[ "$bad" = 1 ] || rm_ok "symfony $1: 3 messages, $2 process(es), Bcc delivered and hidden, bodies whole"
}

# Symfony's SMTP client writes CRLF "." CRLF after a text that already
# ends in CRLF: over SMTP the text ends in an empty line, and any server
# stores it so.
symfony bs "$WRAP -C $CONF -bs"
check_symfony bs 1 "|"
# Laravel's sendmail mailer: the same transport with "-bs -i".
symfony laravel "$WRAP -C $CONF -bs -i"
check_symfony laravel 1 "|"
symfony t "$WRAP -C $CONF -t -i"
check_symfony t 3 ""

# PHPMailer's isSendmail(): -oi -f SENDER -t, Bcc only in the header.
php -r '
    require $argv[1];
    use PHPMailer\PHPMailer\PHPMailer;
    $m = new PHPMailer(true);
    $m->isSendmail();
    $m->Sendmail = $argv[2];
    $m->setFrom($argv[3], "Carol");
    $m->addAddress($argv[4]);
    $m->addBCC($argv[5]);
    $m->Subject = "phpmailer 1";
    $m->Body = "line one\n.\nlast\n";
    $m->send();
    echo "sent\n";' -- \
    "$PHPMAILER" "$RM -C $CONF" "$CAROL" "$BOB" "$DAVE" > "$T/pm.out" 2>&1
if ! grep -qx sent "$T/pm.out"; then
	rm_fail "phpmailer: send failed" "$T/pm.out"
else
	ok=1
	for a in "$BOB" "$DAVE"; do
		check_copy phpmailer "phpmailer 1" "$a" "$CAROL" \
		    "line one|.|last|" || ok=0
	done
	[ "$ok" = 0 ] || rm_ok "phpmailer: isSendmail() delivered to To and Bcc, no Bcc header"
fi
rm_finish
