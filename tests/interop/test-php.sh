#!/bin/sh
# Interop: PHP's mail() (php-cli, sendmail_path pointing at relaymail with
# -t -i) into a real Postfix, with and without -f in mail()'s
# additional_params. PHP writes CRLF headers and an LF body: the delivered
# copy must have neither stray CRs nor lost lines.
. "$(dirname "$0")/lib-postfix.sh"

rm_setup php
CONF=$T/php.conf
rm_conf "$CONF" starttls
BOB=bob@$PF_DOMAIN
CR=$(printf '\r')

php_mail() {
	# php_mail CASE SUBJECT HEADERS PARAMS: runs mail() in php-cli.
	php -n -d "sendmail_path=$RM -C $CONF -t -i" -r '
	    $r = mail($argv[1], $argv[2], "line one\nline two\n.\nlast\n",
		$argv[3], $argv[4]);
	    echo $r ? "sent\n" : "failed\n";' -- \
	    "$BOB" "$2" "$3" "$4" > "$T/$1.out" 2>&1
}

check() {
	# check CASE SUBJECT WANT_RETURN_PATH WANT_IN_FROM
	c=$1
	if ! grep -qx sent "$T/$c.out"; then
		rm_fail "$c: mail() returned false" "$T/$c.out"
		return
	fi
	rm_fetch "$BOB" "^Subject: $2\$" "$c: not delivered" "$T/$c.out" ||
	    return
	body=$(rm_body "$got" | tr '\n' '|')
	if [ "$rp" != "<$3>" ]; then
		rm_fail "$c: envelope sender '$rp', want <$3>" "$got"
	elif ! case "$from" in *"$4"*) true ;; *) false ;; esac; then
		rm_fail "$c: From '$from' does not hold '$4'" "$got"
	elif grep -q "$CR" "$got"; then
		rm_fail "$c: a CR survived into the delivered copy" "$got"
	elif [ "$body" != "line one|line two|.|last|" ] &&
	    [ "$body" != "line one|line two|.|last||" ]; then
		rm_fail "$c: body '$body'" "$got"
	else
		rm_ok "$c: mail() delivered, sender $3, From '$4'"
	fi
}

php_mail plain "php plain" "" ""
check plain "php plain" "$PF_USER" "$PF_USER"

php_mail with-f "php with -f" "From: Carol <carol@$PF_DOMAIN>" \
    "-f carol@$PF_DOMAIN"
check with-f "php with -f" "carol@$PF_DOMAIN" "Carol <carol@$PF_DOMAIN>"

# A web server user's bare name: qualified with maildomain, or Postfix
# refuses it.
php_mail bare-f "php bare -f" "From: www-data" "-f www-data"
check bare-f "php bare -f" "www-data@$PF_HOSTDOMAIN" \
    "www-data@$PF_HOSTDOMAIN"
rm_finish
