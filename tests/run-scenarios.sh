#!/bin/sh
# Runs the scenario groups of the real binary against testrelay
# (tests/scenario/*.sh), then the interop groups against a real Postfix
# (tests/interop/*.sh). Each group prints one line per case and exits
# non-zero when a case failed. VALGRIND=1 runs relaymail under valgrind.
cd "$(dirname "$0")/.." || exit 1
if [ ! -x ./relaymail ] || [ ! -x tests/relay/testrelay ]; then
	echo "run-scenarios: build relaymail and tests/relay/testrelay first"
	exit 1
fi
mkdir -p tests/tmp
sh tests/certs.sh tests/tmp/certs || exit 1
fail=0
failed=
# INTEROP=0 leaves out the Postfix groups (the valgrind pass of make
# check: the interop tests prove Postfix compatibility, not memory).
groups="tests/scenario/*.sh"
[ "${INTEROP:-1}" = 0 ] || groups="$groups tests/interop/*.sh"
for f in $groups; do
	[ -f "$f" ] || continue
	case $f in
	*/lib*.sh) continue ;;	# helpers sourced by the groups
	esac
	echo "== $f"
	if ! bash "$f"; then
		fail=1
		failed="$failed $f"
	fi
done
if [ "$fail" = 0 ]; then
	echo "scenarios: all groups passed"
else
	echo "scenarios: FAILED:$failed"
fi
exit "$fail"
