#!/bin/sh
# Interop: `git send-email --sendmail-cmd=relaymail` of a patch made with
# `git format-patch`, through a real Postfix; the delivered patch must
# apply with `git am` in a fresh clone and give the very same tree (so no
# byte of it changed: trailing blanks, dot lines, UTF-8 text).
. "$(dirname "$0")/lib-postfix.sh"

pf_skip_unless postfix saslpasswd2 certtool perl git
if ! git send-email -h 2>&1 | grep -q -- --sendmail-cmd; then
	echo "SKIP: $(basename "$0"): git send-email not usable" \
	    "(git-email and libmailtools-perl needed)"
	exit 0
fi
rm_setup git
mkdir -p "$T/home"
CONF=$T/git.conf
rm_conf "$CONF" implicit
BOB=bob@$PF_DOMAIN
DAVE=dave@$PF_DOMAIN

# A private git setup: no user or system config leaks in.
export HOME="$T/home" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME="Dave Dévé" \
    GIT_AUTHOR_EMAIL="$DAVE" GIT_COMMITTER_NAME="Dave Dévé" \
    GIT_COMMITTER_EMAIL="$DAVE" LC_ALL=C.UTF-8

cd "$T" || exit 1
git init -q -b main up && cd up || exit 1
printf 'alpha\nbeta\n' > notes.txt
git add notes.txt && git commit -q -m 'initial' || exit 1
cd "$T" && git clone -q up down || exit 1
cd "$T/up" || exit 1
printf 'alpha\nbeta\n.dot line\ntrailing blanks   \ncafé naïve\n\tindented\n' \
    > notes.txt
printf 'new file\n' > extra.txt
git add notes.txt extra.txt
git commit -q -m 'Add notes and an extra file' \
    -m 'Body of the commit message, with a second paragraph.' || exit 1
git format-patch -q -1 -o "$T/patches" || exit 1

git send-email --sendmail-cmd="$RM -C $CONF" --to="$BOB" \
    --from="Dave Dévé <$DAVE>" --envelope-sender=auto --confirm=never \
    --suppress-cc=all --no-validate --quiet "$T"/patches/*.patch \
    > "$T/send.out" 2>&1
rc=$?
if [ $rc != 0 ]; then
	rm_fail "git send-email: exit $rc" "$T/send.out"
	rm_finish
fi
rm_ok "git send-email through relaymail: exit 0"

rm_fetch "$BOB" '^Subject: \[PATCH\] Add notes and an extra file$' \
    "patch delivered to $BOB" "$T/send.out" || rm_finish
if [ "$rp" = "<$DAVE>" ]; then
	rm_ok "patch delivered, envelope sender $DAVE"
else
	rm_fail "envelope sender '$rp', want <$DAVE>" "$got"
fi

cd "$T/down" || exit 1
if git am -q "$(pf_maildir "$BOB")" > "$T/am.out" 2>&1; then
	rm_ok "git am applies the delivered patch"
else
	rm_fail "git am applies the delivered patch" "$T/am.out" "$got"
	rm_finish
fi
want=$(git -C "$T/up" rev-parse 'HEAD^{tree}')
have=$(git rev-parse 'HEAD^{tree}')
if [ "$want" = "$have" ]; then
	rm_ok "applied tree is identical ($have)"
else
	git -C "$T/up" diff "$have" "$want" > "$T/tree.diff" 2>&1
	rm_fail "applied tree $have, want $want" "$T/tree.diff"
fi
a=$(git log -1 --format='%an <%ae>|%s|%b' | tr '\n' ' ')
w=$(git -C "$T/up" log -1 --format='%an <%ae>|%s|%b' | tr '\n' ' ')
if [ "$a" = "$w" ]; then
	rm_ok "author, subject and message kept"
else
	rm_fail "commit is '$a', want '$w'"
fi
cd "$PF_TOP" || exit 1
rm_finish
