#!/bin/bash
# Every row of the exit-code table (relaymail(8)) produced by the real binary,
# each with what the relay received (or that nothing reached it).
. "$(dirname "$0")/../lib.sh"

# 0: delivered, and the relay has exactly the message.
t_begin "0 EX_OK: delivered over implicit TLS"
relay_start implicit
send rcpt@example.com
expect_rc 0
expect_msg "$T/expected"
t_end

# 64: usage errors never touch the network.
t_begin "64 EX_USAGE: unknown flag"
relay_start implicit
send --no-such-flag rcpt@example.com
expect_rc 64
expect_err '^relaymail: '
expect_no_connect
t_end

t_begin "64 EX_USAGE: no recipient"
relay_start implicit
send
expect_rc 64
expect_no_connect
t_end

# 65: no argument can inject an SMTP command or a header.
inject_case() {	# name, relaymail args...
	local name=$1
	shift
	t_begin "65 EX_DATAERR: injection in $name refused"
	relay_start implicit
	send "$@"
	expect_rc 65
	expect_no_connect
	expect_no_mail
	t_end
}
inject_case "-f (CRLF)" -f $'a@example.com>\r\nRCPT TO:<evil@example.net' \
    rcpt@example.com
inject_case "-f (LF)" -f $'a@example.com\nRCPT TO:<evil@example.net>' \
    rcpt@example.com
inject_case "-f (<>)" -f 'a@example.com> SIZE=1 <b@example.com' \
    rcpt@example.com
inject_case "-F (LF)" -F $'Eve\nBcc: evil@example.net' rcpt@example.com
inject_case "-F (CR)" -F $'Eve\rBcc: evil@example.net' rcpt@example.com
inject_case "recipient (CRLF)" $'rcpt@example.com>\r\nDATA'
inject_case "recipient (<)" 'rcpt@example.com> NOTIFY=NEVER <x@example.com'
inject_case "recipient (LF)" $'rcpt@example.com\nQUIT'

t_begin "65 EX_DATAERR: message above the relay's SIZE, refused before DATA"
script <<-'EOS'
	nocap SIZE
	cap SIZE 1000
EOS
relay_start implicit
{ printf 'Subject: big\n\n'; for i in $(seq 100); do
    echo "line $i of a message that is larger than the relay allows"; done
} | msg
send rcpt@example.com
expect_rc 65
expect_no_tr '^C: DATA'
expect_no_msg
expect_err 'size|SIZE'
t_end

# 66: a named file that cannot be read.
t_begin "66 EX_NOINPUT: -C names a missing file"
msg_default
send_raw -C "$T/no-such-config" rcpt@example.com
expect_rc 66
t_end

# 67: every recipient refused as unknown.
t_begin "67 EX_NOUSER: all recipients 550 5.1.1"
script <<-'EOS'
	rcpt 550 5.1.1 <nobody@example.com>: user unknown
EOS
relay_start implicit
send a@example.com b@example.com
expect_rc 67
expect_err '5\.1\.1'
expect_no_msg
t_end

# 68: the relay's name does not exist (RFC 6761: .invalid never resolves).
t_begin "68 EX_NOHOST: relay host name does not exist"
relay_start implicit
conf host=relay.nonexistent.invalid
send rcpt@example.com
expect_rc 68
expect_no_connect
t_end

# A reply the relay gives to MAIL: the exit code, the reply's text on
# stderr and no message.
mail_case() {	# title, testrelay reply, exit, stderr RE
	t_begin "$1"
	echo "mail $2" | script
	relay_start implicit
	send rcpt@example.com
	expect_rc "$3"
	expect_err "$4"
	expect_no_msg
	t_end
}

# 69: permanent refusal of the sender.
mail_case "69 EX_UNAVAILABLE: 550 to MAIL" \
    "550 5.7.1 sender rejected by policy" 69 'sender rejected by policy'

t_skip "70 EX_SOFTWARE" "an internal error cannot be provoked from outside"
t_skip "71 EX_OSERR" "needs fork/malloc failure injection"
t_skip "73 EX_CANTCREAT" "queue errors are tested with the queue (tests/scenario/queue_*.sh)"
# 74: standard input that cannot be read (a directory: read() fails
# with EISDIR) is a local I/O error, found before anything is sent.
t_begin "74 EX_IOERR: standard input cannot be read"
relay_start implicit
mkdir "$T/in"
send rcpt@example.com
expect_rc 74
expect_err 'reading the message'
expect_no_connect
t_end

# 75: temporary failures.
mail_case "75 EX_TEMPFAIL: 451 to MAIL" "451 4.3.0 try again later" 75 \
    'try again later'

t_begin "75 EX_TEMPFAIL: connection refused"
relay_start implicit
port=$RELAY_PORT
relay_stop
conf port="$port"
send rcpt@example.com
expect_rc 75
t_end

# 76: the server broke the protocol.
protocol_case() {	# title, testrelay script line
	t_begin "76 EX_PROTOCOL: $1"
	echo "$2" | script
	relay_start implicit
	send rcpt@example.com
	expect_rc 76
	expect_no_mail
	t_end
}
protocol_case "garbage greeting" "greeting garbage"
protocol_case "over-long reply line" "ehlo oversize"
protocol_case "too many reply lines" "ehlo toomany"

# A 5xx to the end of data that names a protocol error (5.5.x, or 50z
# without an enhanced code) is no verdict on the content: 76, not 65,
# and (permanent) not queued.
eod_protocol_case() {	# reply
	t_begin "76 EX_PROTOCOL: '$1' to the end of data, not queued"
	echo "eod $1" | script
	relay_start implicit
	conf queue=on-failure
	send rcpt@example.com
	expect_rc 76
	expect_err 'protocol error'
	expect_err "${1:0:3}"
	[ -z "$(ls "$T/queue/msg" 2>/dev/null)" ] || fail "the message was queued"
	t_end
}
eod_protocol_case "500 5.5.1 Invalid command: Pipelining not supported"
eod_protocol_case "503 bad sequence of commands"

# 77: the relay checks the password for real (PLAIN) and says 535.
t_begin "77 EX_NOPERM: wrong password gets 535"
relay_start implicit
conf password=wrong-password
send rcpt@example.com
expect_rc 77
expect_tr '^--- auth failed'
expect_no_mail_after_auth
t_end

# A multi-line refusal says why on its first lines (as Gmail's 535):
# every line reaches the error and the log line.
t_begin "77 EX_NOPERM: every line of a multi-line 535 in the error and the log"
echo 'auth 535-5.7.8 Username and Password not accepted. Learn more at\r\n535 5.7.8 https://support.example/?p=BadCredentials' | script
relay_start implicit
conf log="file:$T/log"
send rcpt@example.com
expect_rc 77
expect_err 'Username and Password not accepted\. Learn more at https://support\.example/\?p=BadCredentials'
grep -q 'Username and Password not accepted' "$T/log" 2>/dev/null ||
    fail "the log line lacks the first line: $(cat "$T/log" 2>&1)"
expect_no_mail_after_auth
t_end

t_begin "67 EX_NOUSER: every line of a multi-line 550 to RCPT"
echo 'rcpt 550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Please check the address.' | script
relay_start implicit
send a@example.com
expect_rc 67
expect_err 'does not exist\. Please check the address'
expect_no_msg
t_end

# 78: configuration errors, reported with file:line.
t_begin "78 EX_CONFIG: unknown key"
relay_start implicit
conf no_such_key=1
send rcpt@example.com
expect_rc 78
expect_err 'config:[0-9]+'
expect_no_connect
t_end

t_begin "78 EX_CONFIG: bad tls value"
relay_start implicit
conf tls=sometimes
send rcpt@example.com
expect_rc 78
expect_no_connect
t_end

t_begin "78 EX_CONFIG: config with a password readable by others"
relay_start implicit
conf
chmod 644 "$T/config"
send rcpt@example.com
expect_rc 78
expect_no_connect
t_end

t_finish
