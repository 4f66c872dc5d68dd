#!/bin/sh
# Runs every Check unit suite given as an argument; fails if any fails.
fail=0
for t in "$@"; do
	if ! "./$t"; then
		echo "FAIL: $t"
		fail=1
	fi
done
[ "$fail" = 0 ] && echo "unit: all suites passed"
exit "$fail"
