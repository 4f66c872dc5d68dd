#!/bin/sh
# make deps: install the Debian packages that are missing, nothing else.
# Postfix is only for the interop tests: debconf is told "No
# configuration" and a policy-rc.d keeps apt from starting any daemon, so
# no system mail server is left running.
missing=
for p in "$@"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "make deps: missing packages; run as root:"
	echo "  $cmd"
	exit 1
fi
echo "make deps: installing$missing"
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
prc=/usr/sbin/policy-rc.d
made_prc=0
if [ ! -e "$prc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$prc" && chmod 755 "$prc" && made_prc=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
apt-get install -y -q --no-install-recommends $missing </dev/null
rc=$?
[ "$made_prc" = 1 ] && rm -f "$prc"
# Belt and braces: whatever the package scripts did, no system MTA runs.
if command -v postfix >/dev/null 2>&1; then
	postfix status >/dev/null 2>&1 && postfix stop >/dev/null 2>&1
fi
exit $rc
