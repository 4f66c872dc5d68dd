#!/bin/bash
# Accounts and local names (relaymail.conf(5), relaymail(8)) through the real
# binary: -a, match_from globs (user+detail@ matches user@), default,
# --relay, `from`, force_from, maildomain qualification and aliases. Each
# account has its own EHLO name (`domain`), so the transcript shows which
# one ran; the log line names it too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-accounts.sh"

# Three accounts on the case's relay: main (default), work, lists.
accounts_conf() {
	mconf <<-EOF
	default = main
	[defaults]
	$(relay_keys)
	log = file:$T/log
	[main]
	domain = acct-main.test
	from = main@example.com
	[work]
	domain = acct-work.test
	from = me@work.example
	match_from = boss@work.example, *@corp.example
	[lists]
	domain = acct-lists.test
	from = lists@example.org
	match_from = alice@lists.example, x?@lists.example
	EOF
}

# expect_account NAME: the relay saw that account's EHLO, the log names it.
expect_account() {
	expect_tr "^C: EHLO acct-$1\\.test"
	grep -qa "account=$1 " "$T/log" 2>/dev/null ||
	    fail "log does not name account $1: $(cat "$T/log" 2>/dev/null)"
}

sel_case() {	# title, account, sender (or ""), relaymail args...
	local title=$1 acct=$2 sender=$3
	shift 3
	t_begin "account selection: $title -> $acct"
	relay_start implicit
	accounts_conf
	send "$@" rcpt@example.com
	expect_rc 0
	expect_account "$acct"
	expect_tr "^C: MAIL FROM:<$(re_esc "$sender")>"
	expect_msg "$T/expected"
	t_end
}
sel_case "-a work" work me@work.example -a work
sel_case "--account=lists" lists lists@example.org --account=lists
sel_case "-a beats match_from" main boss@work.example -a main \
    -f boss@work.example
sel_case "match_from exact address" work boss@work.example \
    -f boss@work.example
sel_case "match_from *@domain glob" work anyone@corp.example \
    -f anyone@corp.example
sel_case "user+detail@ matches a user@ pattern" work \
    boss+cron@work.example -f boss+cron@work.example
sel_case "first matching account in file order, ? glob" lists \
    xy@lists.example -f xy@lists.example
sel_case "user+detail@ with a glob" lists alice+a+b@lists.example \
    -f alice+a+b@lists.example
sel_case "no pattern matches -> default" main nobody@elsewhere.example \
    -f nobody@elsewhere.example
sel_case "no -f -> default, its from is the sender" main main@example.com

t_begin "a glob does not match a longer domain (*@corp.example vs a@corp.example.evil)"
relay_start implicit
accounts_conf
send -f a@corp.example.evil rcpt@example.com
expect_rc 0
expect_account main
expect_tr '^C: MAIL FROM:<a@corp.example.evil>'
t_end

t_begin "unknown -a -> 78, nothing sent"
relay_start implicit
accounts_conf
send -a nosuch rcpt@example.com
expect_rc 78
expect_err 'nosuch'
expect_no_connect
expect_no_mail
t_end

t_begin "no default and nothing matches -> 78, nothing sent"
relay_start implicit
mconf <<-EOF
	[work]
	$(relay_keys)
	match_from = *@work.example
	[other]
	$(relay_keys)
	match_from = *@other.example
EOF
send -f x@example.com rcpt@example.com
expect_rc 78
expect_no_connect
t_end

t_begin "--relay=smtps://user@127.0.0.1:PORT overrides the account's host"
relay_start implicit
dead=$(dead_port)
mconf <<-EOF
	default = main
	[defaults]
	tls_ca_file = $CERTS/ca.pem
	password = $PASSWORD
	timeout = 2
	queue = never
	queue_dir = $T/queue
	[main]
	host = 127.0.0.1
	port = $dead
	tls = none
	from = main@example.com
EOF
send --relay="smtps://$TUSER@127.0.0.1:$RELAY_PORT" rcpt@example.com
expect_rc 0
expect_tr '^--- tls established'
expect_tr "^--- auth ok"
expect_msg "$T/expected"
expect_no_leak
t_end

t_begin "--relay=smtp:// (STARTTLS) with -a: that account's secrets"
relay_start starttls
dead=$(dead_port)
mconf <<-EOF
	default = main
	[main]
	host = 127.0.0.1
	port = $dead
	tls = none
	timeout = 2
	queue = never
	queue_dir = $T/queue
	[work]
	host = 127.0.0.1
	port = $dead
	tls_ca_file = $CERTS/ca.pem
	user = $TUSER
	password = $PASSWORD
	timeout = 2
	queue = never
	queue_dir = $T/queue
EOF
send -a work --relay="smtp://$TUSER@127.0.0.1:$RELAY_PORT" \
    rcpt@example.com
expect_rc 0
expect_tr '^C: STARTTLS'
expect_tr '^--- auth ok'
expect_msg "$T/expected"
t_end

t_begin "from is the default sender and the From relaymail adds"
relay_start implicit
accounts_conf
printf 'To: rcpt@example.com\nSubject: no from\n\nbody\n' | msg
send -a work rcpt@example.com
expect_rc 0
expect_tr '^C: MAIL FROM:<me@work.example>'
expect_hdr '^From: .*<?me@work\.example>?'
expect_hdr '^Subject: no from$'
t_end

force_conf() {
	mconf <<-EOF
	default = main
	[main]
	$(relay_keys)
	from = forced@example.com
	force_from = yes
	EOF
}

t_begin "force_from: sender and From become from, old From -> Reply-To"
relay_start implicit
force_conf
msg <<-'EOM'
	From: Original Person <orig@example.net>
	To: rcpt@example.com
	Subject: forced
	Date: Mon, 01 Jan 2024 00:00:00 +0000
	Message-ID: <ff@example.com>

	body
EOM
send -f orig@example.net rcpt@example.com
expect_rc 0
expect_tr '^C: MAIL FROM:<forced@example.com>'
expect_no_tr 'MAIL FROM:<orig@example.net>'
expect_hdr '^From: .*forced@example\.com'
expect_no_hdr '^From: .*orig@example\.net'
expect_hdr '^Reply-To: Original Person <orig@example\.net>$'
[ "$(grep -ac '^Reply-To:' "$T/msg" 2>/dev/null)" = 1 ] ||
    fail "not exactly one Reply-To"
expect_hdr '^Subject: forced$'
t_end

t_begin "force_from: an existing Reply-To is kept, not replaced"
relay_start implicit
force_conf
msg <<-'EOM'
	From: Original Person <orig@example.net>
	Reply-To: Replies <replies@example.net>
	To: rcpt@example.com
	Subject: forced

	body
EOM
send rcpt@example.com
expect_rc 0
expect_tr '^C: MAIL FROM:<forced@example.com>'
expect_hdr '^From: .*forced@example\.com'
expect_hdr '^Reply-To: Replies <replies@example\.net>$'
[ "$(grep -ac '^Reply-To:' "$T/msg" 2>/dev/null)" = 1 ] ||
    fail "not exactly one Reply-To"
expect_no_tr 'orig@example\.net'
t_end

t_begin "force_from = no (default): -f and From are kept"
relay_start implicit
accounts_conf
send -f other@example.net rcpt@example.com
expect_rc 0
expect_tr '^C: MAIL FROM:<other@example.net>'
expect_msg "$T/expected"
t_end

# maildomain and aliases in [defaults], inherited by the account.
names_conf() {
	printf '%s\n' "$@" >"$T/aliases"
	mconf <<-EOF
	$(names_head)
	$(relay_keys)
	from = main@example.com
	EOF
}

t_begin "maildomain: -f root and bare header names qualified, comments kept"
relay_start implicit
names_conf '# no aliases here'
msg <<-'EOM'
	From: root (Cron Daemon)
	To: root (Cron Daemon)
	Cc: Admin Person <admin>, ops@example.com
	Reply-To: "Web Master" <webmaster>
	Subject: Cron <root@vm> run-parts
	Date: Mon, 01 Jan 2024 00:00:00 +0000
	Message-ID: <cron@example.com>

	output
EOM
send -f root root
expect_rc 0
expect_tr '^C: MAIL FROM:<root@host.example>'
expect_rcpts root@host.example
expect_hdr '^From: root@host\.example \(Cron Daemon\)$'
expect_hdr '^To: root@host\.example \(Cron Daemon\)$'
expect_hdr '^Cc: Admin Person <admin@host\.example>, ops@example\.com$'
expect_hdr '^Reply-To: "Web Master" <webmaster@host\.example>$'
expect_hdr '^Subject: Cron <root@vm> run-parts$'
t_end

t_begin "maildomain: -t recipients qualified, qualified ones untouched"
relay_start implicit
names_conf '# none'
msg <<-'EOM'
	From: root
	To: root, someone@example.com
	Cc: (the operator) operator
	Subject: t

	body
EOM
send -t
expect_rc 0
expect_rcpts root@host.example someone@example.com operator@host.example
expect_hdr '^To: root@host\.example, someone@example\.com$'
t_end

t_begin "aliases: root: admin@x on argv; headers keep the name"
relay_start implicit
names_conf 'root: admin@x.example' '# comment' 'postmaster: root'
msg <<-'EOM'
	To: root
	Subject: aliased

	body
EOM
send -f root root
expect_rc 0
expect_tr '^C: MAIL FROM:<root@host.example>'
expect_rcpts admin@x.example
expect_hdr '^To: root@host\.example$'
t_end

t_begin "aliases: one name to several addresses, chains, -t"
relay_start implicit
names_conf 'root: ops' 'ops: a@x.example, b@x.example' \
    'www-data: root, c@x.example' 'other: d@x.example'
msg <<-'EOM'
	To: www-data
	Cc: someone@example.com
	Subject: chain

	body
EOM
send -t other
expect_rc 0
expect_rcpts a@x.example b@x.example c@x.example d@x.example \
    someone@example.com
t_end

t_begin "aliases: *: catch-all for other local names only"
relay_start implicit
names_conf 'root: admin@x.example' '*: catchall@x.example'
msg <<-'EOM'
	To: nobody, root
	Cc: real@example.com
	Subject: catch-all

	body
EOM
send -t daemon
expect_rc 0
expect_rcpts catchall@x.example admin@x.example real@example.com
t_end

t_begin "aliases: a loop -> 78, nothing sent"
relay_start implicit
names_conf 'root: a' 'a: b' 'b: root'
send root
expect_rc 78
expect_err 'loop|alias'
expect_no_connect
expect_no_mail
t_end

t_begin "aliases: a loop reached through -t -> 78, nothing sent"
relay_start implicit
names_conf 'loopy: loopy2' 'loopy2: loopy'
printf 'To: loopy\nSubject: l\n\nbody\n' | msg
send -t
expect_rc 78
expect_no_connect
t_end

t_begin "cronie argv (-FCronDaemon -i -odi -oem -oi -t -f root), To: root"
relay_start implicit
names_conf 'root: admin@x.example'
msg <<-'EOM'
	From: root (Cron Daemon)
	To: root
	Subject: Cron <root@vm> date
	Content-Type: text/plain; charset=UTF-8
	Auto-Submitted: auto-generated

	Mon Jan  1 00:00:00 UTC 2024
EOM
send -FCronDaemon -i -odi -oem -oi -t -f root
expect_rc 0
expect_tr '^C: MAIL FROM:<root@host.example>'
expect_rcpts admin@x.example
expect_hdr '^From: root@host\.example \(Cron Daemon\)$'
expect_hdr '^To: root@host\.example$'
t_end

t_begin "Debian cron argv (-FCronDaemon -i -B8BITMIME -oem LIST)"
relay_start implicit
names_conf 'root: admin@x.example'
msg <<-'EOM'
	From: root (Cron Daemon)
	To: root,ops@example.com
	Subject: Cron <root@vm> true

	output
EOM
send -FCronDaemon -i -B8BITMIME -oem 'root,ops@example.com'
expect_rc 0
expect_rcpts admin@x.example ops@example.com
expect_tr '^C: MAIL FROM:<main@example.com>'
t_end

t_finish
